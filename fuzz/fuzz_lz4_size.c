/*
 * fuzz_lz4_size.c - libFuzzer target: zf_engine_lz4 vs the system liblz4.
 *
 * The oracle is LZ4F_compressFrame with the preferences python-lz4's
 * lz4.frame.compress passes by default (all zero but the level and the
 * content size: 64 KB blocks, linked, no checksums, no auto-flush).
 *
 * Input layout: byte 0 picks the level (low 4 bits: 0, 1, 2 or an
 * acceleration, see levels[]) and a length jitter (high 4 bits), byte 1
 * the target state (bits 0-1: the engine's, hashes only, or none) and the
 * long mode (below), bytes 2-3 the split point; the rest is split into
 * source and target.  Checks size(source), size(target), and
 * row_begin(source) + pair() with the target and with the target reversed
 * (reuse of the row), against the frame of the concatenation.
 *
 * Long mode (bits 6-7 of byte 1 both set: a quarter of the inputs): the
 * source, the target or both (bits 3-4) are stretched (fuzz_stretch.h) to
 * 40-175 KB and 50-215 KB, with pseudo-random stretches if bit 5 is set:
 * frames of several linked 64 KB blocks, the seam in any of them, stored
 * (incompressible) blocks among them.
 *
 * Medium mode (bits 6-7 of byte 1 = 2: another quarter): the target alone is
 * stretched to 4-64 KiB, the lengths whose states read their hashes in
 * place and, from 32 KiB, carry the linked-rules trace; a third of the time
 * to make the pair end within 20 bytes of 64 KiB (one block, or two
 * linked blocks with the seam in the first).
 */
#include <lz4frame.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../csrc/lz4_size.h"
#include "../csrc/zf.h"
#include "../csrc/tests/lz4_oracle.h"
#include "fuzz_stretch.h"

static void check(const char *what, uint64_t got, uint64_t want, int level, size_t ns, size_t nt) {
    if (got != want) {
        fprintf(stderr, "MISMATCH %s level %d ns %zu nt %zu: engine %llu liblz4 %llu\n", what,
                level, ns, nt, (unsigned long long)got, (unsigned long long)want);
        abort();
    }
}

static const int levels[16] = {0,  1,  2,  0,   -1,   -2,     -3,     -4,
                               -6, -9, -17, -64, -300, -4000, -65536, -70000};

/* A target state of the chosen kind: the engine's (hashes and recorded
 * parse), hashes only (the trace dropped, as past the trace budget), or
 * none. */
static void *state_for(int kind, int level, const uint8_t *t, size_t n) {
    void *st = NULL;
    if (kind == 0) {
        zf_params p = {level, 0};
        if (zf_engine_lz4.target_new(&p, t, n, &st) != ZF_OK)
            abort();
    } else if (kind == 1) {
        lzs_target *tg;
        if (lzs_target_new(t, n, level, &tg) != 0)
            abort();
        if (tg)
            lzs_drop_trace(tg);
        st = tg;
    }
    return st;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 4)
        return 0;
    int level = levels[data[0] & 15];
    size_t jitter = data[0] >> 4;
    int kind = (data[1] & 3) % 3;
    fuzz_pair fp;
    fuzz_pair_make(&fp, data, size, 40000 + jitter * 9001, 50000 + (jitter ^ 6) * 11003);
    const uint8_t *src = fp.src, *tgt = fp.tgt;
    size_t ns = fp.ns, nt = fp.nt;
    uint8_t *med = NULL;
    if ((data[1] >> 6) == 2) {
        uint32_t r = (uint32_t)size * 2654435761u ^ (uint32_t)data[0] << 8;
        size_t len = 4096 + r % (65536 - 4096 + 1);
        if (r % 3 == 0 && ns + 4096 + 20 < 65536)
            len = 65536 - 20 - ns + (r >> 8) % 41;
        if (len > 65536)
            len = 65536;
        if (len > nt) {
            if (!(med = stretch(tgt, nt, len, (data[1] >> 5) & 1, r)))
                abort();
            tgt = med;
            nt = len;
        }
    }

    zf_params p = {level, 0};
    void *ctx;
    if (zf_engine_lz4.ctx_new(&p, &ctx) != ZF_OK)
        abort();
    uint8_t *cat = malloc(ns + nt + 1);
    uint8_t *rev = malloc(nt + 1);
    if (!cat || !rev)
        abort();
    for (size_t i = 0; i < nt; i++)
        rev[i] = tgt[nt - 1 - i];
    void *ts[2] = {state_for(kind, level, tgt, nt), state_for(kind, level, rev, nt)};
    uint64_t got;
    if (zf_engine_lz4.size(ctx, src, ns, &got) != ZF_OK)
        abort();
    check("size(src)", got, lz4_frame_len(level, src, ns), level, ns, 0);
    if (zf_engine_lz4.row_begin(ctx, src, ns) != ZF_OK)
        abort();
    for (int k = 0; k < 3; k++) { /* tgt, rev, tgt again */
        const uint8_t *t = k == 1 ? rev : tgt;
        memcpy(cat, src, ns);
        memcpy(cat + ns, t, nt);
        if (zf_engine_lz4.pair(ctx, ts[k == 1], t, nt, &got) != ZF_OK)
            abort();
        check(k == 1 ? "pair(src, reversed tgt)" : "pair(src, tgt)", got,
              lz4_frame_len(level, cat, ns + nt), level, ns, nt);
    }
    if (zf_engine_lz4.size(ctx, tgt, nt, &got) != ZF_OK)
        abort();
    check("size(tgt)", got, lz4_frame_len(level, tgt, nt), level, nt, 0);
    for (int k = 0; k < 2; k++) {
        if (kind == 0)
            zf_engine_lz4.target_free(ts[k]);
        else
            lzs_target_free(ts[k]);
    }
    zf_engine_lz4.ctx_free(ctx);
    free(cat);
    free(rev);
    fuzz_pair_free(&fp);
    free(med);
    return 0;
}
