/*
 * test_lz4_size.c - differential test of zf_engine_lz4 against the system
 * liblz4: LZ4F_compressFrame with the preferences python-lz4's
 * lz4.frame.compress passes by default (all zero but the level and the
 * content size: 64 KB blocks, linked, no checksums, no auto-flush).
 *
 * Usage: test_lz4_size [seed] [scale]   (scale multiplies case counts)
 * Prints one line per group and exits non-zero on the first mismatch
 * (the inputs go to /tmp/lz4_fail*.bin).
 */
#include <lz4frame.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lz4_size.h"
#include "../zf.h"
#include "lz4_oracle.h"
#include "test_data.h"

/* ---- engine under test ---- */
/* Fast-mode levels: 0-2 (acceleration 1), negative (acceleration 1 - level,
 * capped at 65537, which -65536 and -70000 both reach). */
static const int levels[] = {0, 1, 2, -1, -2, -5, -17, -300, -65536, -70000};
#define NLEVELS (int)(sizeof levels / sizeof levels[0])

static int pick_level(void) { return rnd() % 3 ? levels[rndn(3)] : levels[rndn(NLEVELS)]; }

static void *ctxs[NLEVELS];
static long n_cases, n_fail;

static void *get_ctx(int level) {
    int k = 0;
    while (levels[k] != level)
        k++;
    if (!ctxs[k]) {
        zf_params p = {level, 0};
        if (zf_engine_lz4.ctx_new(&p, &ctxs[k]) != ZF_OK)
            abort();
    }
    return ctxs[k];
}

static int check_size(int level, const uint8_t *x, size_t n, const char *tag) {
    uint64_t want = lz4_frame_len(level, x, n), got = 0;
    int rc = zf_engine_lz4.size(get_ctx(level), x, n, &got);
    n_cases++;
    if (rc != ZF_OK || got != want) {
        n_fail++;
        fprintf(stderr, "MISMATCH size %s level %d n %zu: liblz4 %llu engine %llu rc %d\n", tag,
                level, n, (unsigned long long)want, (unsigned long long)got, rc);
        dump("/tmp/lz4_fail.bin", x, n);
        return 1;
    }
    return 0;
}

static uint8_t *catbuf;

static int pair_mismatch(const char *how, const char *tag, int level, const uint8_t *src,
                         size_t ns, const uint8_t *t, size_t nt, uint64_t want, uint64_t got,
                         int rc) {
    n_cases++;
    if (rc == ZF_OK && got == want)
        return 0;
    n_fail++;
    fprintf(stderr, "MISMATCH %s %s level %d ns %zu nt %zu: liblz4 %llu engine %llu rc %d\n", how,
            tag, level, ns, nt, (unsigned long long)want, (unsigned long long)got, rc);
    dump("/tmp/lz4_fail_src.bin", src, ns);
    dump("/tmp/lz4_fail_tgt.bin", t, nt);
    return 1;
}

/*
 * One row: src against every target, three ways per target: with its
 * state as the engine builds it (target_new: hashes and recorded parse),
 * with hashes only (lzs_target_new, then lzs_drop_trace: what a target
 * keeps past the trace budget) and without a state.
 */
static int check_row(int level, const uint8_t *src, size_t ns, uint8_t **tg, size_t *nt, int ntg,
                     const char *tag) {
    zf_params prm = {level, 0};
    void *c = get_ctx(level);
    void **st = calloc((size_t)ntg + 1, sizeof *st);
    lzs_target **hs = calloc((size_t)ntg + 1, sizeof *hs);
    uint64_t *want = malloc(((size_t)ntg + 1) * sizeof *want);
    if (!st || !hs || !want)
        abort();
    int bad = 0;
    for (int j = 0; j < ntg && !bad; j++) {
        int rc = zf_engine_lz4.target_new(&prm, tg[j], nt[j], &st[j]);
        int rh = lzs_target_new(tg[j], nt[j], level, &hs[j]);
        if (rc != ZF_OK || rh != 0) { /* ZF_EINTERNAL / -4: a trace outgrew its bound */
            n_cases++;
            n_fail++;
            fprintf(stderr, "FAIL target_new %s level %d nt %zu: rc %d, %d\n", tag, level, nt[j],
                    rc, rh);
            dump("/tmp/lz4_fail_tgt.bin", tg[j], nt[j]);
            bad = 1;
        }
        if (hs[j])
            lzs_drop_trace(hs[j]);
        memcpy(catbuf, src, ns);
        memcpy(catbuf + ns, tg[j], nt[j]);
        want[j] = lz4_frame_len(level, catbuf, ns + nt[j]);
    }
    static const char *how[] = {"pair+trace", "pair+hashes", "pair"};
    for (int pass = 0; pass < 3 && !bad; pass++) {
        if (zf_engine_lz4.row_begin(c, src, ns) != ZF_OK)
            abort();
        for (int j = 0; j < ntg && !bad; j++) {
            const void *ts = pass == 0 ? st[j] : pass == 1 ? (const void *)hs[j] : NULL;
            uint64_t got = 0;
            int rc = zf_engine_lz4.pair(c, ts, tg[j], nt[j], &got);
            bad = pair_mismatch(how[pass], tag, level, src, ns, tg[j], nt[j], want[j], got, rc);
        }
    }
    for (int j = 0; j < ntg; j++) {
        zf_engine_lz4.target_free(st[j]);
        lzs_target_free(hs[j]);
    }
    free(st);
    free(hs);
    free(want);
    return bad;
}

/* ---- the pair loop (zf_loop.c) with 2 threads ---- */
typedef struct worker_arg {
    zf_job *job;
    void *ctx;
} worker_arg;

static void *worker(void *p) {
    worker_arg *a = p;
    zf_job_work(a->job, a->ctx);
    return NULL;
}

/* C(rows[i] ⊕ cols[j]) for every pair (ncols > 0) or C(rows[i]) (ncols 0)
 * through a job run by nthreads workers on the lz4 engine; with max_input,
 * longer texts and pairs are left out (*done: how many were computed).
 * The target set is prepared within budget bytes (*info, if not NULL). */
static int run_job(int level, const zf_span *rows, size_t nrows, const zf_span *cols,
                   size_t ncols, int nthreads, uint64_t *out, size_t max_input, size_t *done,
                   size_t budget, zf_targets_info *info) {
    zf_params prm = {level, 0};
    void **states = calloc(ncols + 1, sizeof *states);
    uint64_t *rs = calloc(nrows, sizeof *rs), *cs = calloc(ncols + 1, sizeof *cs);
    double *ncd = malloc((nrows * ncols + 1) * sizeof *ncd);
    if (!states || !rs || !cs || !ncd)
        abort();
    zf_targets_info in;
    if (zf_targets_prepare(&zf_engine_lz4, &prm, cols, ncols, budget, states, &in) != ZF_OK)
        abort();
    if (info) { /* check what it reports against the states it kept */
        size_t mem = 0, kept = 0;
        for (size_t j = 0; j < ncols; j++)
            if (states[j]) {
                mem += zf_engine_lz4.target_mem(states[j]);
                kept++;
            }
        if (mem != in.bytes || kept != in.full + in.trimmed || in.bytes > budget) {
            fprintf(stderr, "FAIL zf_targets_prepare budget %zu: bytes %zu (states hold %zu), "
                    "%zu full + %zu trimmed, %zu kept\n", budget, in.bytes, mem, in.full,
                    in.trimmed, kept);
            abort();
        }
        *info = in;
    }
    zf_tile tiles[256];
    size_t nt;
    if (zf_plan_tiles(rows, nrows, ncols ? cols : NULL, ncols, (unsigned)nthreads, 4096, tiles,
                      256, &nt) != ZF_OK)
        abort();
    zf_job job;
    memset(&job, 0, sizeof job);
    job.kind = ncols ? ZF_JOB_NCD : ZF_JOB_SIZES;
    job.engine = &zf_engine_lz4;
    job.params = prm;
    job.rows = rows;
    job.nrows = nrows;
    job.cols = cols;
    job.ncols = ncols;
    job.col_states = states;
    job.row_size = rs;
    job.col_size = cs;
    job.out_ncd = ncd;
    job.out_pair_sizes = ncols ? out : NULL;
    job.out_sizes = ncols ? NULL : out;
    job.tiles = tiles;
    job.ntiles = nt;
    job.max_input = max_input;
    zf_job_init(&job);
    pthread_t th[4];
    worker_arg wa[4];
    for (int k = 0; k < nthreads; k++) {
        wa[k].job = &job;
        if (zf_engine_lz4.ctx_new(&prm, &wa[k].ctx) != ZF_OK)
            abort();
        pthread_create(&th[k], NULL, worker, &wa[k]);
    }
    for (int k = 0; k < nthreads; k++) {
        pthread_join(th[k], NULL);
        zf_engine_lz4.ctx_free(wa[k].ctx);
    }
    zf_targets_free(&zf_engine_lz4, states, ncols);
    free(states);
    free(rs);
    free(cs);
    free(ncd);
    if (done)
        *done = zf_job_done_pairs(&job);
    return zf_job_error(&job, NULL, NULL);
}

static size_t pick_len(size_t maxn) {
    switch (rndn(7)) {
    case 0: return rndn(40);
    case 1: return rndn(2000);
    case 2: return 200 + rndn(1300);
    case 3: return rndn(20000);
    case 4: return 65536 - 20 + rndn(40); /* around one block */
    case 5: return 65536 + rndn(maxn > 65536 ? maxn - 65536 : 1); /* several blocks */
    default: return rndn(maxn);
    }
}

int main(int argc, char **argv) {
    unsigned seed = argc > 1 ? (unsigned)atoi(argv[1]) : 1;
    int scale = argc > 2 ? atoi(argv[2]) : 1;
    rng_state ^= (uint64_t)seed * 0x9e3779b97f4a7c15ull;
    load_corpus();
    const size_t maxn = 300000;
    uint8_t *x = malloc(maxn);
    catbuf = malloc(2 * maxn);
    if (!x || !catbuf)
        abort();

    /* 1. single texts: all generators, every level, 0 B to 300 KB */
    for (int kind = 0; kind < G_NGEN; kind++) {
        long before = n_cases;
        for (int it = 0; it < 60 * scale; it++) {
            size_t n = it == 0 ? 0 : it == 1 ? 1 + rndn(20) : it == 2 ? 200000 + rndn(100000)
                                                                     : pick_len(maxn);
            gen(kind, x, n);
            for (int l = 0; l < NLEVELS; l++)
                if (check_size(levels[l], x, n, gname[kind]))
                    goto out;
        }
        printf("size   %-7s %6ld cases ok\n", gname[kind], n_cases - before);
    }
    /* lengths at the edges: short blocks (< 13 bytes: all literals), the
     * last-literals and match-limit margins, one block or linked blocks,
     * a block that does not fit and is stored raw */
    {
        long before = n_cases;
        static const size_t edge[] = {1,     4,     11,    12,    13,     14,     15,
                                      16,    17,    20,    64,    65535,  65536,  65537,
                                      65548, 65549, 65550, 131071, 131072, 131073, 131085,
                                      196608, 196621};
        for (size_t e = 0; e < sizeof edge / sizeof edge[0]; e++)
            for (int kind = 0; kind < G_NGEN; kind++) {
                gen(kind, x, edge[e]);
                for (int l = 0; l < NLEVELS; l += 3)
                    if (check_size(levels[l], x, edge[e], "edge"))
                        goto out;
            }
        printf("size   %-7s %6ld cases ok\n", "edges", n_cases - before);
    }
    /* compressible and incompressible stretches mixed: linked blocks,
     * some stored raw, next to ones that compress */
    {
        long before = n_cases;
        for (int it = 0; it < 40 * scale; it++) {
            size_t n = 65536 + rndn(maxn - 65536);
            gen_patchwork(x, n, 1 + rndn(rnd() & 1 ? 2000 : 90000));
            if (check_size(pick_level(), x, n, "patch"))
                goto out;
        }
        printf("size   %-7s %6ld cases ok\n", "patch", n_cases - before);
    }

    /* 2. pairs: row_begin + pair vs the frame of the concatenation */
    enum { NT = 24 };
    static uint8_t *tg[NT];
    size_t nt[NT];
    for (int j = 0; j < NT; j++)
        if (!(tg[j] = malloc(maxn)))
            abort();
    {
        long before = n_cases;
        for (int it = 0; it < 150 * scale; it++) {
            int kind = (int)rndn(G_NGEN);
            size_t ns = rnd() & 1 ? rndn(1200) : pick_len(maxn / 2);
            gen(kind, x, ns);
            int ntg = 1 + (int)rndn(6);
            for (int j = 0; j < ntg; j++) {
                nt[j] = rnd() & 1 ? rndn(1500) : pick_len(maxn / 2);
                gen(rnd() & 1 ? kind : (int)rndn(G_NGEN), tg[j], nt[j]);
                if (ns && nt[j] && rnd() % 3 == 0) { /* share content across the seam */
                    size_t off = rndn(ns), l = rndn(nt[j]), at = rndn(nt[j]);
                    for (size_t k = 0; k < l && off + k < ns && at + k < nt[j]; k++)
                        tg[j][at + k] = x[off + k];
                }
            }
            if (check_row(pick_level(), x, ns, tg, nt, ntg, gname[kind]))
                goto out;
        }
        printf("pairs  %-7s %6ld cases ok\n", "mixed", n_cases - before);
    }
    /* 3. small realistic pairs (the common case): text rows, many targets */
    {
        long before = n_cases;
        for (int it = 0; it < 40 * scale; it++) {
            int kind = rnd() % 4 ? G_TEXT : (int)rndn(G_NGEN);
            size_t ns = rndn(rnd() & 1 ? 1100 : 3000);
            gen(kind, x, ns);
            for (int j = 0; j < NT; j++) {
                nt[j] = rndn(rnd() & 1 ? 1600 : 4000);
                gen(rnd() % 4 ? G_TEXT : (int)rndn(G_NGEN), tg[j], nt[j]);
                if (ns && nt[j] && rnd() % 3 == 0) {
                    size_t off = rndn(ns), l = rndn(nt[j]), at = rndn(nt[j]);
                    for (size_t k = 0; k < l && off + k < ns && at + k < nt[j]; k++)
                        tg[j][at + k] = x[off + k];
                }
            }
            if (check_row(pick_level(), x, ns, tg, nt, NT, "small"))
                goto out;
        }
        printf("pairs  %-7s %6ld cases ok\n", "small", n_cases - before);
    }
    /* 4. boundary sizes: tiny sources and targets, and pairs whose total
     * is just below, at and above one block (65536) */
    {
        long before = n_cases;
        static const size_t lens[] = {0, 1, 3, 4, 5, 11, 12, 13, 14, 16, 17, 30, 100};
        const size_t nl = sizeof lens / sizeof lens[0];
        for (int kind = 0; kind < G_NGEN; kind++)
            for (size_t a = 0; a < nl; a++) {
                gen(kind, x, lens[a]);
                for (size_t j = 0; j < nl; j++) {
                    nt[j] = lens[j];
                    gen(rnd() & 1 ? kind : (int)rndn(G_NGEN), tg[j], nt[j]);
                    if (lens[a] && rnd() & 1) /* repeat the source's end */
                        for (size_t k = 0; k < nt[j]; k++)
                            tg[j][k] = x[lens[a] - 1 - k % (lens[a] < 6 ? lens[a] : 6)];
                }
                if (check_row(pick_level(), x, lens[a], tg, nt, (int)nl, "bound"))
                    goto out;
            }
        for (int it = 0; it < 20 * scale; it++) {
            int kind = (int)rndn(G_NGEN);
            size_t ns = rnd() & 1 ? rndn(64) : rndn(65536);
            gen(kind, x, ns);
            int ntg = 0;
            for (size_t total = 65536 - 13; total <= 65536 + 13; total++) {
                if (total < ns || ntg == NT)
                    continue;
                nt[ntg] = total - ns;
                gen(rnd() & 1 ? kind : (int)rndn(G_NGEN), tg[ntg], nt[ntg]);
                ntg++;
            }
            if (check_row(pick_level(), x, ns, tg, nt, ntg, "64k"))
                goto out;
        }
        printf("pairs  %-7s %6ld cases ok\n", "bounds", n_cases - before);
    }
    /* 5. long pairs: frames of several linked 64 KB blocks, the seam in
     * the first block or a later one, sources of several whole blocks,
     * stored (incompressible) blocks on either side of the seam */
    {
        long before = n_cases;
        for (int it = 0; it < 40 * scale; it++) {
            size_t ns = it % 3 == 0 ? rndn(3000) : rndn(maxn / 2 + 70000);
            if (rnd() & 1)
                gen_patchwork(x, ns, 1 + rndn(80000));
            else
                gen(G_TEXT, x, ns);
            int ntg = 1 + (int)rndn(3);
            for (int j = 0; j < ntg; j++) {
                size_t need = ns < 70000 ? 70000 - ns : 0;
                nt[j] = need + rndn(maxn - ns - need);
                if (rnd() & 1)
                    gen_patchwork(tg[j], nt[j], 1 + rndn(80000));
                else
                    gen(G_TEXT, tg[j], nt[j]);
                if (ns > 100 && nt[j] > 100 && rnd() & 1) { /* a copy of the source's end */
                    size_t l = 1 + rndn(ns < nt[j] ? ns : nt[j]);
                    memcpy(tg[j] + rndn(nt[j] - l + 1), x + ns - l, l);
                }
            }
            if (check_row(pick_level(), x, ns, tg, nt, ntg, "long"))
                goto out;
        }
        printf("pairs  %-7s %6ld cases ok\n", "long", n_cases - before);
    }
    /* 5b. long targets (LZS_LONG_MIN to 64 KiB, states with their own
     * hashes read in place; from LZS_LINKED_MIN also y's parse by the
     * linked-block rules, replayed in a pair's first block):
     * text, repetitive, random and patchwork targets, sources that write
     * few or many table slots (short text, random or mixed bytes of up to
     * 16 KB), content shared across the seam, pairs that fit one block,
     * pairs within 13 bytes of 65,536 and pairs over it (two linked
     * blocks, the seam in the first) */
    {
        long before = n_cases;
        static const int tkinds[] = {G_TEXT, G_TEXT, G_REPEAT, G_RANDOM, G_MIXED, G_LOWENT};
        for (int it = 0; it < 30 * scale; it++) {
            size_t ns;
            switch (it % 4) {
            case 0: ns = rndn(600); gen(G_TEXT, x, ns); break;
            case 1: ns = 2000 + rndn(14000); gen(G_RANDOM, x, ns); break;
            case 2: ns = 1000 + rndn(8000); gen(G_MIXED, x, ns); break;
            default: ns = rndn(3000); gen_patchwork(x, ns, 1 + rndn(500)); break;
            }
            int ntg = 2 + (int)rndn(4);
            for (int j = 0; j < ntg; j++) {
                switch (rndn(5)) {
                case 0: nt[j] = LZS_LONG_MIN + rndn(4); break;
                case 1: nt[j] = 16384 + rndn(49153); break; /* 16-64 KiB */
                case 2: /* the pair within 13 bytes of one block */
                    nt[j] = 65536 - 13 + rndn(27) - ns;
                    break;
                case 3: nt[j] = 65536 - rndn(ns + 200 < 65536 - LZS_LONG_MIN ? ns + 200 : 1);
                    break; /* pairs over one block */
                default: nt[j] = LZS_LONG_MIN + rndn(65536 - LZS_LONG_MIN + 1); break;
                }
                if (nt[j] > 65536)
                    nt[j] = 65536;
                if (rnd() % 3 == 0)
                    gen_patchwork(tg[j], nt[j], 1 + rndn(rnd() & 1 ? 300 : 20000));
                else
                    gen(tkinds[rndn(sizeof tkinds / sizeof tkinds[0])], tg[j], nt[j]);
                if (ns > 8 && rnd() & 1) /* copies of the source's bytes all along */
                    for (int c = (int)rndn(60); c > 0; c--) {
                        size_t l = 4 + rndn(ns < 200 ? ns - 4 : 196), off = rndn(ns - l + 1);
                        memcpy(tg[j] + rndn(nt[j] - l + 1), x + off, l);
                    }
            }
            if (check_row(pick_level(), x, ns, tg, nt, ntg, "longtg"))
                goto out;
        }
        printf("pairs  %-7s %6ld cases ok\n", "longtg", n_cases - before);
    }
    /* 6. the pair loop of zf_loop.c, 2 threads, shared target states:
     * enough traced targets for several column blocks (ZF_COL_BLOCK_BYTES),
     * short rows (taken block by block) and long ones (all columns) */
    {
        long before = n_cases;
        enum { NR = 24, NC = 60 };
        zf_span rows[NR], cols[NC];
        for (int i = 0; i < NR; i++) {
            size_t n = i % 8 == 7 ? 3000 + rndn(80000) : rndn(1800);
            rows[i] = (zf_span){gen_new(n), n};
        }
        for (int j = 0; j < NC; j++) {
            size_t n = j == NC - 1 ? 70000 : 2000 + rndn(4000);
            cols[j] = (zf_span){gen_new(n), n};
        }
        uint64_t *got = malloc(NR * NC * sizeof *got);
        if (!got)
            abort();
        for (int rep = 0; rep < 2; rep++) {
            int level = rep ? pick_level() : 0;
            if (run_job(level, rows, NR, cols, NC, 2, got, 0, NULL, SIZE_MAX, NULL) != ZF_OK)
                abort();
            for (int i = 0; i < NR; i++)
                for (int j = 0; j < NC; j++) {
                    memcpy(catbuf, rows[i].ptr, rows[i].len);
                    memcpy(catbuf + rows[i].len, cols[j].ptr, cols[j].len);
                    uint64_t want = lz4_frame_len(level, catbuf, rows[i].len + cols[j].len);
                    if (pair_mismatch("job", "2 thr", level, rows[i].ptr, rows[i].len,
                                      cols[j].ptr, cols[j].len, want, got[i * NC + j], ZF_OK))
                        goto out;
                }
            if (run_job(level, rows, NR, NULL, 0, 2, got, 0, NULL, SIZE_MAX, NULL) != ZF_OK)
                abort();
            for (int i = 0; i < NR; i++) {
                uint64_t want = lz4_frame_len(level, rows[i].ptr, rows[i].len);
                if (pair_mismatch("job sizes", "2 thr", level, rows[i].ptr, rows[i].len, NULL, 0,
                                  want, got[i], ZF_OK))
                    goto out;
            }
        }
        printf("job    %-7s %6ld cases ok\n", "2 thr", n_cases - before);
        /* with a limit: texts and pairs over it are left as they were (a
         * sentinel here), the others computed, done_pairs counts those */
        before = n_cases;
        const size_t lim = 4000;
        for (int kind = 0; kind < 2; kind++) {
            size_t nc = kind ? NC : 0, n = kind ? (size_t)NR * NC : NR, done = 0, want_done = 0;
            for (size_t k = 0; k < n; k++)
                got[k] = 12345;
            if (run_job(0, rows, NR, kind ? cols : NULL, nc, 2, got, lim, &done, SIZE_MAX,
                        NULL) != ZF_OK)
                abort();
            for (size_t k = 0; k < n; k++) {
                size_t i = kind ? k / NC : k, j = kind ? k % NC : 0;
                size_t len = rows[i].len + (kind ? cols[j].len : 0);
                uint64_t want = 12345;
                if (len <= lim) {
                    memcpy(catbuf, rows[i].ptr, rows[i].len);
                    if (kind)
                        memcpy(catbuf + rows[i].len, cols[j].ptr, cols[j].len);
                    want = lz4_frame_len(0, catbuf, len);
                    want_done++;
                }
                if (pair_mismatch("job max_input", "2 thr", 0, rows[i].ptr, rows[i].len,
                                  kind ? cols[j].ptr : NULL, kind ? cols[j].len : 0, want,
                                  got[k], ZF_OK))
                    goto out;
            }
            n_cases++;
            if (done != want_done || want_done == 0 || want_done == n) {
                n_fail++;
                fprintf(stderr, "MISMATCH job max_input: done %zu, want %zu of %zu\n", done,
                        want_done, n);
                goto out;
            }
        }
        printf("job    %-7s %6ld cases ok\n", "limit", n_cases - before);
        /* target sets within memory budgets: none, every target whole,
         * and cuts in between (some whole, some hashes only, some none);
         * the pairs are the same every time */
        before = n_cases;
        uint64_t *want = malloc(NR * NC * sizeof *want);
        if (!want)
            abort();
        for (int i = 0; i < NR; i++)
            for (int j = 0; j < NC; j++) {
                memcpy(catbuf, rows[i].ptr, rows[i].len);
                memcpy(catbuf + rows[i].len, cols[j].ptr, cols[j].len);
                want[i * NC + j] = lz4_frame_len(0, catbuf, rows[i].len + cols[j].len);
            }
        zf_targets_info all;
        if (run_job(0, rows, NR, cols, NC, 2, got, 0, NULL, SIZE_MAX, &all) != ZF_OK)
            abort();
        size_t budgets[] = {0, 1, 1000, all.bytes / 3, all.bytes / 2 + 7, all.bytes - 1,
                            all.bytes, SIZE_MAX};
        int saw_trim = 0;
        for (size_t b = 0; b < sizeof budgets / sizeof budgets[0]; b++) {
            zf_targets_info in;
            if (run_job(0, rows, NR, cols, NC, 2, got, 0, NULL, budgets[b], &in) != ZF_OK)
                abort();
            saw_trim |= in.trimmed > 0;
            n_cases++;
            if ((budgets[b] >= all.bytes) != (in.full == all.full && in.trimmed == 0) ||
                (budgets[b] < 1000 && in.full + in.trimmed != 0)) {
                n_fail++;
                fprintf(stderr, "MISMATCH budget %zu: %zu full, %zu trimmed, %zu bytes\n",
                        budgets[b], in.full, in.trimmed, in.bytes);
                goto out;
            }
            for (int k = 0; k < NR * NC; k++)
                if (pair_mismatch("job budget", "2 thr", 0, rows[k / NC].ptr, rows[k / NC].len,
                                  cols[k % NC].ptr, cols[k % NC].len, want[k], got[k], ZF_OK))
                    goto out;
        }
        n_cases++;
        if (!saw_trim || all.full < NC - 1) {
            n_fail++;
            fprintf(stderr, "MISMATCH budget: no trimmed target seen, or %zu of %d whole\n",
                    all.full, NC);
            goto out;
        }
        free(want);
        printf("job    %-7s %6ld cases ok\n", "budget", n_cases - before);
    }
out:
    printf("%ld cases, %ld mismatches\n", n_cases, n_fail);
    return n_fail != 0; /* buffers are left to process exit */
}
