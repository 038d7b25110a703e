/*
 * bench_lz4_lanes.c - how fast could LZ4 probes run 16 pairs to a vector?
 *
 * A feasibility bound for a lane-parallel lz4 pair engine (AVX-512), not a
 * part of zipfit.  Each of G groups of 16 lanes runs the fast compressor's
 * search probe and nothing else, on its own buffer and its own table:
 *
 *   look up the probe's slot in the lane's working table (entries stamped
 *   with the pair they belong to, so no table is copied per pair) and, for a
 *   stale entry, in the source's shared table; read the 4 bytes at the
 *   candidate and at the next probe; hash the next probe; optionally write
 *   the slot back (a scatter).
 *
 * That is 4 gathers (and a scatter) per lane-step, with no match handling,
 * no output accounting and no lane refills, so a real engine would be
 * slower than this.  The scalar engine's pairs cost about 12 cycles per
 * table lookup, everything included (bench_lz4_engine.sh, docs/lz4-engine.md).
 *
 * Build and run (needs an AVX-512 CPU):
 *   cc -O3 -march=native -o /tmp/lanes benchmarks/bench_lz4_lanes.c && /tmp/lanes
 * Prints ns per lane-step, median of 5, for 1, 2 and 4 groups in flight,
 * without and with the scatter.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifndef __AVX512F__
int main(void) {
    fprintf(stderr, "bench_lz4_lanes: build with -march=native on an AVX-512 CPU\n");
    return 2;
}
#else
#include <immintrin.h>

#include "bench_time.h"

#define LANES 16
#define MAXG 4
#define LANE_BUF 4096u  /* bytes of x ⊕ y per lane */
#define SLOTS 8192u     /* LZ4's single-block table */

typedef struct arena {
    uint8_t *buf;   /* MAXG * LANES buffers of LANE_BUF bytes */
    uint32_t *work; /* MAXG * LANES stamped tables */
    uint32_t *row;  /* the source's table, shared */
} arena;

/* steps probes of G groups; returns seconds.  hits keeps the work live. */
static inline __attribute__((always_inline)) double probe(const arena *a, long steps, const int G,
                                                          const int scatter, uint64_t *hits) {
    const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    const __m512i stamp = _mm512_set1_epi32(7 << 16), one = _mm512_set1_epi32(1);
    const __m512i low16 = _mm512_set1_epi32(0xffff);
    const __m512i mul = _mm512_set1_epi32((int)2654435761u);
    const __m512i lim = _mm512_set1_epi32(LANE_BUF - 64), start = _mm512_set1_epi32(500);
    __m512i bbase[MAXG], tbase[MAXG], fwd[MAXG], fh[MAXG], cnt[MAXG], vip[MAXG];
    for (int g = 0; g < G; g++) {
        __m512i ln = _mm512_add_epi32(lane, _mm512_set1_epi32(LANES * g));
        bbase[g] = _mm512_mullo_epi32(ln, _mm512_set1_epi32(LANE_BUF));
        tbase[g] = _mm512_mullo_epi32(ln, _mm512_set1_epi32(SLOTS));
        fwd[g] = _mm512_set1_epi32(500 + g);
        fh[g] = _mm512_set1_epi32(5 + g);
        cnt[g] = vip[g] = _mm512_setzero_si512();
    }
    double t0 = now();
    for (long s = 0; s < steps; s++) {
        for (int g = 0; g < G; g++) {
            __m512i ti = _mm512_add_epi32(tbase[g], fh[g]);
            __m512i w = _mm512_i32gather_epi32(ti, a->work, 4);
            __mmask16 fresh = _mm512_cmpeq_epi32_mask(_mm512_srli_epi32(w, 16),
                                                      _mm512_srli_epi32(stamp, 16));
            __m512i v = _mm512_mask_i32gather_epi32(w, (__mmask16)~fresh, fh[g], a->row, 4);
            __m512i cand = _mm512_and_si512(v, low16);
            if (scatter)
                _mm512_i32scatter_epi32(a->work, ti, _mm512_or_si512(stamp, fwd[g]), 4);
            __m512i vc = _mm512_i32gather_epi32(_mm512_add_epi32(bbase[g], cand), a->buf, 1);
            fwd[g] = _mm512_add_epi32(fwd[g], one);
            __m512i vf = _mm512_i32gather_epi32(_mm512_add_epi32(bbase[g], fwd[g]), a->buf, 1);
            cnt[g] = _mm512_mask_add_epi32(cnt[g], _mm512_cmpeq_epi32_mask(vc, vip[g]), cnt[g],
                                           one);
            vip[g] = vf;
            fh[g] = _mm512_srli_epi32(_mm512_mullo_epi32(vf, mul), 19);
            fwd[g] = _mm512_mask_mov_epi32(fwd[g], _mm512_cmpgt_epi32_mask(fwd[g], lim), start);
        }
    }
    double dt = now() - t0;
    for (int g = 0; g < G; g++)
        *hits += (uint64_t)_mm512_reduce_add_epi32(cnt[g]);
    return dt;
}

int main(void) {
    arena a;
    size_t nbuf = (size_t)MAXG * LANES * LANE_BUF, ntab = (size_t)MAXG * LANES * SLOTS;
    a.buf = aligned_alloc(64, nbuf + 64);
    a.work = aligned_alloc(64, ntab * 4);
    a.row = aligned_alloc(64, SLOTS * 4);
    if (!a.buf || !a.work || !a.row) {
        fprintf(stderr, "out of memory\n");
        return 3;
    }
    /* text-like bytes so that some probes match */
    const char *alphabet = "abcdefghij def return x\n";
    srand(1);
    for (size_t i = 0; i < nbuf + 64; i++)
        a.buf[i] = (uint8_t)alphabet[rand() % 24];
    memset(a.work, 0, ntab * 4);
    for (uint32_t i = 0; i < SLOTS; i++)
        a.row[i] = (uint32_t)(rand() % 400);

    const long steps = 2000000;
    uint64_t hits = 0;
    printf("lanes of 16, %ld steps per group; ns (cycles at 2.6 GHz) per lane-step, median of 5\n",
           steps);
    for (int scatter = 0; scatter <= 1; scatter++)
        for (int G = 1; G <= MAXG; G *= 2) {
            double t[5];
            for (int r = 0; r < 5; r++)
                t[r] = G == 1   ? probe(&a, steps, 1, scatter, &hits)
                       : G == 2 ? probe(&a, steps, 2, scatter, &hits)
                                : probe(&a, steps, 4, scatter, &hits);
            double ns = median(t, 5) / ((double)steps * LANES * G) * 1e9;
            printf("  groups %d, %s: %.2f ns (%.1f cycles)\n", G,
                   scatter ? "with the scatter   " : "without the scatter", ns, ns * 2.6);
        }
    printf("(hits %llu)\n", (unsigned long long)hits);
    free(a.buf);
    free(a.work);
    free(a.row);
    return 0;
}
#endif
