/*
 * bench_lz4_engine.c - the lz4 size engine's pairs, replayed vs parsed.
 *
 * Single thread, the same pairs both ways, alternately in one run:
 *   replay  what zipfit runs: row_begin once per source and column block,
 *           then lzs_pair with each target's hashes and recorded parse;
 *   parse   the same pairs with the traces dropped: every pair parses its
 *           target for real from the source's pause (the engine's fallback,
 *           and the oracle every replayed size is checked against here);
 *   alone   for scale: the frame length of each target alone (lzs_size on
 *           a zeroed table), once per pair.
 * Column blocks hold at most ZF_COL_BLOCK_BYTES of traces, as in the pair
 * loop (csrc/zf_loop.c).  The run exits 1 if any replayed size differs.
 * python-lz4 itself is the oracle of the Python tests and
 * check_compressors_official.py; this harness times the C engine alone.
 *
 * Inputs: two files of length-prefixed texts (4-byte little-endian length,
 * then the bytes), as benchmarks/dump_targets.py writes them;
 * bench_lz4_engine.sh makes the source pool and HumanEval target files.
 *
 * Usage: bench_lz4_engine SOURCES TARGETS [runs] [level]
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../csrc/lz4_size.h"
#include "../csrc/zf.h"
#include "bench_time.h"

typedef struct text {
    uint8_t *p;
    size_t n;
} text;

static text *load(const char *path, size_t *count) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        exit(2);
    }
    text *t = NULL;
    size_t n = 0, cap = 0;
    uint8_t hdr[4];
    while (fread(hdr, 1, 4, f) == 4) {
        size_t len = hdr[0] | hdr[1] << 8 | hdr[2] << 16 | (size_t)hdr[3] << 24;
        if (n == cap) {
            cap = cap ? 2 * cap : 256;
            t = realloc(t, cap * sizeof *t);
            if (!t) {
                fprintf(stderr, "out of memory\n");
                exit(3);
            }
        }
        t[n].p = malloc(len + 1);
        t[n].n = len;
        if (!t[n].p || fread(t[n].p, 1, len, f) != len) {
            fprintf(stderr, "%s: truncated or unreadable\n", path);
            exit(2);
        }
        n++;
    }
    fclose(f);
    *count = n;
    return t;
}

/* All pairs, targets in column blocks; sizes into out[i * nt + j]. */
static double run_pairs(lzs_sizer *s, const text *S, size_t ns, const text *T, size_t nt,
                        lzs_target *const *tg, uint64_t *out) {
    double t0 = now();
    for (size_t j0 = 0; j0 < nt;) {
        size_t j1 = j0, bytes = 0;
        while (j1 < nt && (j1 == j0 || bytes + lzs_trace_bytes(tg[j1]) <= ZF_COL_BLOCK_BYTES))
            bytes += lzs_trace_bytes(tg[j1++]);
        for (size_t i = 0; i < ns; i++) {
            if (lzs_row_begin(s, S[i].p, S[i].n) != 0)
                exit(3);
            for (size_t j = j0; j < j1; j++)
                if (lzs_pair(s, T[j].p, T[j].n, tg[j], &out[i * nt + j]) != 0)
                    exit(3);
        }
        j0 = j1;
    }
    return now() - t0;
}

/* lzs_size of every target once per source, as many sizes as pairs. */
static double run_alone(lzs_sizer *s, size_t ns, const text *T, size_t nt) {
    double t0 = now();
    for (size_t i = 0; i < ns; i++)
        for (size_t j = 0; j < nt; j++) {
            uint64_t c;
            if (lzs_size(s, T[j].p, T[j].n, &c) != 0)
                exit(3);
        }
    return now() - t0;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s SOURCES TARGETS [runs] [level]\n", argv[0]);
        return 2;
    }
    size_t ns, nt;
    text *S = load(argv[1], &ns), *T = load(argv[2], &nt);
    int runs = argc > 3 ? atoi(argv[3]) : 5;
    int level = argc > 4 ? atoi(argv[4]) : 0;
    if (runs < 1 || runs > 99 || level >= 3) {
        fprintf(stderr, "runs 1-99, level < 3\n");
        return 2;
    }
    lzs_target **tr = malloc(nt * sizeof *tr), **pl = malloc(nt * sizeof *pl);
    if (!tr || !pl) {
        fprintf(stderr, "out of memory\n");
        return 3;
    }
    size_t sbytes = 0, tbytes = 0, trace = 0;
    for (size_t i = 0; i < ns; i++)
        sbytes += S[i].n;
    double t0 = now();
    for (size_t j = 0; j < nt; j++)
        if (lzs_target_new(T[j].p, T[j].n, level, &tr[j]) != 0)
            return 3;
    double t_targets = now() - t0;
    for (size_t j = 0; j < nt; j++) {
        tbytes += T[j].n;
        trace += lzs_trace_bytes(tr[j]);
        if (lzs_target_new(T[j].p, T[j].n, level, &pl[j]) != 0)
            return 3;
        if (pl[j])
            lzs_drop_trace(pl[j]);
    }
    lzs_sizer s;
    if (lzs_init(&s, level) != 0)
        return 3;
    size_t np = ns * nt;
    uint64_t *a = malloc(np * sizeof *a), *b = malloc(np * sizeof *b);
    double *tr_t = malloc(runs * sizeof *tr_t), *pl_t = malloc(runs * sizeof *pl_t);
    double *al_t = malloc(runs * sizeof *al_t);
    if (!a || !b || !tr_t || !pl_t || !al_t) {
        fprintf(stderr, "out of memory\n");
        return 3;
    }
    printf("lz4 level %d: %zu sources (mean %.0f B) x %zu targets (mean %.0f B) = %zu pairs; "
           "traces %.1f KiB (built in %.1f ms)\n",
           level, ns, ns ? (double)sbytes / ns : 0, nt, nt ? (double)tbytes / nt : 0, np,
           trace / 1024.0, t_targets * 1e3);
    size_t bad = 0;
    for (int r = 0; r < runs; r++) {
        pl_t[r] = run_pairs(&s, S, ns, T, nt, pl, b) * 1e6 / np;
        tr_t[r] = run_pairs(&s, S, ns, T, nt, tr, a) * 1e6 / np;
        al_t[r] = run_alone(&s, ns, T, nt) * 1e6 / np;
        for (size_t k = 0; k < np; k++)
            bad += a[k] != b[k];
        printf("  run %d: parse %.3f us/pair, replay %.3f us/pair, target alone %.3f us\n",
               r + 1, pl_t[r], tr_t[r], al_t[r]);
    }
    double mp = median(pl_t, runs), mr = median(tr_t, runs), ma = median(al_t, runs);
    printf("median: parse %.3f us/pair, replay %.3f us/pair, target alone %.3f us; "
           "replay speed-up %.2fx, replay / target alone %.2f; mismatches %zu of %zu\n",
           mp, mr, ma, mp / mr, mr / ma, bad, np * (size_t)runs);
    lzs_free(&s);
    return bad ? 1 : 0;
}
