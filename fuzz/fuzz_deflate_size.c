/*
 * fuzz_deflate_size.c - libFuzzer target: zf_engine_deflate vs system zlib.
 *
 * Input layout: byte 0 picks the level (1-9, low 4 bits) and a length
 * jitter (high 4 bits), byte 1 the wrapper (bits 0-1), whether target
 * states are used (bit 2) and the long mode (below), bytes 2-3 the split
 * point; the rest is split into source and target.  Checks size(source),
 * size(target) and row_begin(source) + pair(target) against deflate() of
 * the concatenation.  A second target (the rest reversed) exercises reuse
 * of the same row.
 *
 * Long mode (bits 6-7 of byte 1 both set: a quarter of the inputs): the
 * source, the target or both (bits 3-4) are stretched (fuzz_stretch.h) to
 * 33-70 KB and 35-95 KB, with pseudo-random stretches if bit 5 is set, so
 * the parse slides the window and spans several blocks, stored ones
 * among them.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "../csrc/zf.h"
#include "fuzz_stretch.h"

extern const zf_engine zf_engine_deflate;

static uint64_t zlib_len(int level, int wrapper, const uint8_t *x, size_t n) {
    static uint8_t *out;
    static size_t cap;
    z_stream s;
    memset(&s, 0, sizeof s);
    int wbits = wrapper == ZF_WRAP_GZIP ? 31 : wrapper == ZF_WRAP_ZLIB ? 15 : -15;
    if (deflateInit2(&s, level, Z_DEFLATED, wbits, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        abort();
    size_t need = deflateBound(&s, (uLong)n) + 64;
    if (need > cap) {
        free(out);
        out = malloc(need);
        cap = need;
    }
    s.next_in = (Bytef *)x;
    s.avail_in = (uInt)n;
    s.next_out = out;
    s.avail_out = (uInt)cap;
    if (deflate(&s, Z_FINISH) != Z_STREAM_END)
        abort();
    uint64_t r = s.total_out;
    deflateEnd(&s);
    return r;
}

static void check(const char *what, uint64_t got, uint64_t want, int level, size_t ns, size_t nt) {
    if (got != want) {
        fprintf(stderr, "MISMATCH %s level %d ns %zu nt %zu: engine %llu zlib %llu\n", what, level,
                ns, nt, (unsigned long long)got, (unsigned long long)want);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 4)
        return 0;
    int level = 1 + (data[0] & 15) % 9;
    size_t jitter = data[0] >> 4;
    int wrapper = (data[1] & 3) % 3;
    int use_states = (data[1] >> 2) & 1;
    fuzz_pair fp;
    fuzz_pair_make(&fp, data, size, 33000 + jitter * 2491, 35000 + (jitter ^ 9) * 4003);
    const uint8_t *src = fp.src, *tgt = fp.tgt;
    size_t ns = fp.ns, nt = fp.nt;

    zf_params p = {level, wrapper};
    void *ctx;
    if (zf_engine_deflate.ctx_new(&p, &ctx) != ZF_OK)
        abort();
    uint8_t *cat = malloc(ns + nt + 1);
    uint8_t *rev = malloc(nt + 1);
    for (size_t i = 0; i < nt; i++)
        rev[i] = tgt[nt - 1 - i];
    void *ts[2] = {NULL, NULL};
    if (use_states) {
        if (zf_engine_deflate.target_new(&p, tgt, nt, &ts[0]) != ZF_OK ||
            zf_engine_deflate.target_new(&p, rev, nt, &ts[1]) != ZF_OK)
            abort();
    }
    uint64_t got;
    if (zf_engine_deflate.size(ctx, src, ns, &got) != ZF_OK)
        abort();
    check("size(src)", got, zlib_len(level, wrapper, src, ns), level, ns, 0);
    if (zf_engine_deflate.row_begin(ctx, src, ns) != ZF_OK)
        abort();
    for (int k = 0; k < 2; k++) {
        const uint8_t *t = k ? rev : tgt;
        memcpy(cat, src, ns);
        memcpy(cat + ns, t, nt);
        if (zf_engine_deflate.pair(ctx, ts[k], t, nt, &got) != ZF_OK)
            abort();
        check(k ? "pair(src, reversed tgt)" : "pair(src, tgt)", got,
              zlib_len(level, wrapper, cat, ns + nt), level, ns, nt);
    }
    /* the same pairs batched, as the pair loop calls them: tgt, rev, tgt */
    {
        const void *bts[3] = {ts[0], ts[1], ts[0]};
        zf_span bsp[3] = {{tgt, nt}, {rev, nt}, {tgt, nt}};
        uint64_t bgot[3];
        if (zf_engine_deflate.row_begin(ctx, src, ns) != ZF_OK ||
            zf_engine_deflate.pairs(ctx, bts, bsp, 3, bgot) != ZF_OK)
            abort();
        for (int k = 0; k < 3; k++) {
            memcpy(cat, src, ns);
            memcpy(cat + ns, bsp[k].ptr, nt);
            check("pairs(src, [tgt, rev, tgt])", bgot[k], zlib_len(level, wrapper, cat, ns + nt),
                  level, ns, nt);
        }
    }
    if (zf_engine_deflate.size(ctx, tgt, nt, &got) != ZF_OK)
        abort();
    check("size(tgt)", got, zlib_len(level, wrapper, tgt, nt), level, nt, 0);
    zf_engine_deflate.target_free(ts[0]);
    zf_engine_deflate.target_free(ts[1]);
    zf_engine_deflate.ctx_free(ctx);
    free(cat);
    free(rev);
    fuzz_pair_free(&fp);
    return 0;
}
