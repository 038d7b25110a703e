/*
 * lz4_oracle.h - the length of the LZ4 frame liblz4 writes with the
 * preferences python-lz4's lz4.frame.compress uses (64 KB linked blocks, no
 * checksums, the content size recorded): the ground truth that the lz4
 * engine's C test and its fuzzer compare with.
 */
#ifndef ZF_LZ4_ORACLE_H
#define ZF_LZ4_ORACLE_H

#include <lz4frame.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t lz4_frame_len(int level, const uint8_t *x, size_t n) {
    static uint8_t *out;
    static size_t cap;
    LZ4F_preferences_t p;
    memset(&p, 0, sizeof p);
    p.compressionLevel = level;
    p.frameInfo.blockSizeID = LZ4F_default; /* 64 KB */
    p.frameInfo.blockMode = LZ4F_blockLinked;
    p.frameInfo.contentChecksumFlag = LZ4F_noContentChecksum;
    p.frameInfo.blockChecksumFlag = LZ4F_noBlockChecksum;
    p.frameInfo.contentSize = n;
    size_t need = LZ4F_compressFrameBound(n, &p);
    if (need > cap) {
        free(out);
        if (!(out = malloc(need)))
            abort();
        cap = need;
    }
    size_t r = LZ4F_compressFrame(out, cap, x, n, &p);
    if (LZ4F_isError(r)) {
        fprintf(stderr, "LZ4F_compressFrame: %s\n", LZ4F_getErrorName(r));
        abort();
    }
    return r;
}

#endif /* ZF_LZ4_ORACLE_H */
