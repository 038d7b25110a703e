/*
 * test_deflate_size.c - differential test of zf_engine_deflate against the
 * system zlib (deflate() on the whole text / the concatenation).
 *
 * Usage: test_deflate_size [seed] [scale]   (scale multiplies case counts)
 * Prints one line per group and exits non-zero on the first mismatch.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "../deflate_size.h"
#include "../zf.h"
#include "test_data.h"

/* ---- oracle ---- */
static uint8_t *zout;
static size_t zout_cap;
static z_stream zs[10][3];
static int zs_ready[10][3];

static int wbits_of(int w) { return w == ZF_WRAP_GZIP ? 31 : w == ZF_WRAP_ZLIB ? 15 : -15; }

static uint64_t zlib_size(int level, int wrapper, const uint8_t *x, size_t n) {
    z_stream *s = &zs[level][wrapper];
    if (!zs_ready[level][wrapper]) {
        memset(s, 0, sizeof *s);
        if (deflateInit2(s, level, Z_DEFLATED, wbits_of(wrapper), 8, Z_DEFAULT_STRATEGY) != Z_OK)
            abort();
        zs_ready[level][wrapper] = 1;
    }
    deflateReset(s);
    size_t bound = deflateBound(s, (uLong)n) + 64;
    if (bound > zout_cap) {
        zout = realloc(zout, bound);
        zout_cap = bound;
    }
    s->next_in = (Bytef *)x;
    s->avail_in = (uInt)n;
    s->next_out = zout;
    s->avail_out = (uInt)zout_cap;
    if (deflate(s, Z_FINISH) != Z_STREAM_END)
        abort();
    return s->total_out;
}

/* ---- engine under test ---- */
extern const zf_engine zf_engine_deflate;

static void *ctx[10][3];
static long n_cases, n_fail;

static void *get_ctx(int level, int wrapper) {
    if (!ctx[level][wrapper]) {
        zf_params p = {level, wrapper};
        if (zf_engine_deflate.ctx_new(&p, &ctx[level][wrapper]) != ZF_OK)
            abort();
    }
    return ctx[level][wrapper];
}

static int check_size(int level, int wrapper, const uint8_t *x, size_t n, const char *tag) {
    uint64_t want = zlib_size(level, wrapper, x, n), got = 0;
    int rc = zf_engine_deflate.size(get_ctx(level, wrapper), x, n, &got);
    n_cases++;
    if (rc != ZF_OK || got != want) {
        n_fail++;
        fprintf(stderr, "MISMATCH size %s level %d wrapper %d n %zu: zlib %llu engine %llu rc %d\n",
                tag, level, wrapper, n, (unsigned long long)want, (unsigned long long)got, rc);
        dump("/tmp/ds_fail.bin", x, n);
        return 1;
    }
    return 0;
}

static uint8_t *catbuf;

static int pair_mismatch(const char *how, const char *tag, int level, int wrapper,
                         const uint8_t *src, size_t ns, const uint8_t *t, size_t nt,
                         uint64_t want, uint64_t got, int rc) {
    n_cases++;
    if (rc == ZF_OK && got == want)
        return 0;
    n_fail++;
    fprintf(stderr,
            "MISMATCH %s %s level %d wrapper %d ns %zu nt %zu: zlib %llu engine %llu rc %d\n",
            how, tag, level, wrapper, ns, nt, (unsigned long long)want, (unsigned long long)got,
            rc);
    dump("/tmp/ds_fail_src.bin", src, ns);
    dump("/tmp/ds_fail_tgt.bin", t, nt);
    return 1;
}

/*
 * One row: src against several targets, through row_begin + pair, then
 * again through pairs() in batches of 2, 3 and 4 targets (as the pair loop
 * calls it).
 */
static int check_row(int level, int wrapper, const uint8_t *src, size_t ns, uint8_t **tg,
                     size_t *nt, int ntg, void *const *tstates, const char *tag) {
    void *c = get_ctx(level, wrapper);
    uint64_t *want = malloc(((size_t)ntg + 1) * sizeof *want);
    zf_span *spans = malloc(((size_t)ntg + 1) * sizeof *spans);
    const void **ts = calloc((size_t)ntg + 1, sizeof *ts);
    if (!want || !spans || !ts)
        abort();
    if (zf_engine_deflate.row_begin(c, src, ns) != ZF_OK)
        abort();
    int bad = 0;
    for (int j = 0; j < ntg && !bad; j++) {
        memcpy(catbuf, src, ns);
        memcpy(catbuf + ns, tg[j], nt[j]);
        want[j] = zlib_size(level, wrapper, catbuf, ns + nt[j]);
        spans[j] = (zf_span){tg[j], nt[j]};
        ts[j] = tstates ? tstates[j] : NULL;
        uint64_t got = 0;
        int rc = zf_engine_deflate.pair(c, ts[j], tg[j], nt[j], &got);
        bad = pair_mismatch("pair", tag, level, wrapper, src, ns, tg[j], nt[j], want[j], got, rc);
    }
    if (!bad && zf_engine_deflate.row_begin(c, src, ns) != ZF_OK)
        abort();
    for (int j = 0, b = 2; j < ntg && !bad; b = b % ZF_BATCH + 2) {
        size_t nb = (size_t)(ntg - j) < (size_t)b ? (size_t)(ntg - j) : (size_t)b;
        uint64_t got[ZF_BATCH] = {0};
        int rc = zf_engine_deflate.pairs(c, &ts[j], &spans[j], nb, got);
        for (size_t k = 0; k < nb && !bad; k++)
            bad = pair_mismatch("pairs", tag, level, wrapper, src, ns, tg[j + k], nt[j + k],
                                want[j + k], got[k], rc);
        j += (int)nb;
    }
    free(want);
    free(spans);
    free(ts);
    return bad;
}

/*
 * check_row with target states built for this level and wrapper (shared by
 * every pair, as the engine is used), then, if also_plain, without them.
 */
static int check_row_states(int level, int wrapper, const uint8_t *src, size_t ns, uint8_t **tg,
                            size_t *nt, int ntg, int also_plain, const char *tag) {
    zf_params prm = {level, wrapper};
    void **ts = calloc((size_t)ntg + 1, sizeof *ts);
    if (!ts)
        abort();
    for (int j = 0; j < ntg; j++)
        if (zf_engine_deflate.target_new(&prm, tg[j], nt[j], &ts[j]) != ZF_OK)
            abort();
    int bad = check_row(level, wrapper, src, ns, tg, nt, ntg, ts, tag);
    if (!bad && also_plain)
        bad = check_row(level, wrapper, src, ns, tg, nt, ntg, NULL, tag);
    for (int j = 0; j < ntg; j++)
        zf_engine_deflate.target_free(ts[j]);
    free(ts);
    return bad;
}

/* ---- a failing pair inside a batch: the loop names that target ---- */
#define BAD_LEN 13 /* targets of this length fail in the wrapper engine below */

static int failing_pair(void *ctx, const void *ts, const uint8_t *t, size_t n, uint64_t *out) {
    return n == BAD_LEN ? ZF_ETOOBIG : zf_engine_deflate.pair(ctx, ts, t, n, out);
}

static int failing_pairs(void *ctx, const void *const *ts, const zf_span *t, size_t n,
                         uint64_t *out) {
    for (size_t k = 0; k < n; k++)
        if (t[k].len == BAD_LEN)
            return ZF_ETOOBIG;
    return zf_engine_deflate.pairs(ctx, ts, t, n, out);
}

/* 1 source x ncols targets, target `bad` failing: the job's error names
 * (0, bad), not the first target of bad's batch. */
static int check_failing_batch(size_t ncols, size_t bad) {
    zf_engine e = zf_engine_deflate;
    e.pair = failing_pair;
    e.pairs = failing_pairs;
    static const uint8_t text[] = "def add(a, b):\n    return a + b\n# a source text, some words\n";
    zf_span row = {text, sizeof text - 1}, cols[16];
    for (size_t j = 0; j < ncols; j++)
        cols[j] = (zf_span){text + j, j == bad ? BAD_LEN : 20 + j};
    uint64_t rs = 1, cs[16];
    double ncd[16];
    for (size_t j = 0; j < ncols; j++)
        cs[j] = 1;
    zf_tile tile = {0, 1, 0, ncols};
    zf_job job;
    memset(&job, 0, sizeof job);
    job.kind = ZF_JOB_NCD;
    job.engine = &e;
    job.params = (zf_params){6, ZF_WRAP_GZIP};
    job.rows = &row;
    job.nrows = 1;
    job.cols = cols;
    job.ncols = ncols;
    job.row_size = &rs;
    job.col_size = cs;
    job.out_ncd = ncd;
    job.tiles = &tile;
    job.ntiles = 1;
    zf_job_init(&job);
    void *ctx;
    if (e.ctx_new(&job.params, &ctx) != ZF_OK)
        abort();
    int rc = zf_job_work(&job, ctx);
    e.ctx_free(ctx);
    n_cases++;
    size_t er, ec;
    int err = zf_job_error(&job, &er, &ec);
    if (rc != ZF_ETOOBIG || err != ZF_ETOOBIG || er != 0 || ec != bad) {
        n_fail++;
        fprintf(stderr, "MISMATCH failing batch: ncols %zu bad %zu: rc %d error %d at (%zu, %zu)\n",
                ncols, bad, rc, err, er, ec);
        return 1;
    }
    return 0;
}

/* ---- the job loop (zf_loop.c) with 2 threads, against the zlib engine ---- */
typedef struct worker_arg {
    zf_job *job;
    void *ctx;
} worker_arg;

static void *worker(void *p) {
    worker_arg *a = p;
    zf_job_work(a->job, a->ctx);
    return NULL;
}

/* The target set is prepared within budget bytes (*info, if not NULL). */
static int run_job(const zf_engine *e, int level, int wrapper, const zf_span *rows, size_t nrows,
                   const zf_span *cols, size_t ncols, int nthreads, uint64_t *pair_sizes,
                   size_t budget, zf_targets_info *info) {
    zf_params prm = {level, wrapper};
    void **states = calloc(ncols, sizeof *states);
    zf_targets_info in;
    if (zf_targets_prepare(e, &prm, cols, ncols, budget, states, &in) != ZF_OK)
        abort();
    if (info) { /* check what it reports against the states it kept */
        size_t mem = 0, kept = 0;
        for (size_t j = 0; j < ncols; j++)
            if (states[j]) {
                mem += e->target_mem(states[j]);
                kept++;
            }
        if (mem != in.bytes || kept != in.full || in.trimmed || in.bytes > budget) {
            fprintf(stderr, "FAIL zf_targets_prepare budget %zu: bytes %zu (states hold %zu), "
                    "%zu full + %zu trimmed, %zu kept\n", budget, in.bytes, mem, in.full,
                    in.trimmed, kept);
            abort();
        }
        *info = in;
    }
    uint64_t *rs = calloc(nrows, sizeof *rs), *cs = calloc(ncols, sizeof *cs);
    double *ncd = malloc(nrows * ncols * sizeof *ncd);
    zf_tile tiles[256];
    size_t nt;
    if (zf_plan_tiles(rows, nrows, cols, ncols, (unsigned)nthreads, 4096, tiles, 256, &nt) != ZF_OK ||
        nt == 0)
        abort();
    zf_job job;
    memset(&job, 0, sizeof job);
    job.kind = ZF_JOB_NCD;
    job.engine = e;
    job.params = prm;
    job.rows = rows;
    job.nrows = nrows;
    job.cols = cols;
    job.ncols = ncols;
    job.col_states = states;
    job.row_size = rs;
    job.col_size = cs;
    job.out_ncd = ncd;
    job.out_pair_sizes = pair_sizes;
    job.tiles = tiles;
    job.ntiles = nt;
    zf_job_init(&job);
    pthread_t th[4];
    worker_arg wa[4];
    for (int k = 0; k < nthreads; k++) {
        wa[k].job = &job;
        if (e->ctx_new(&prm, &wa[k].ctx) != ZF_OK)
            abort();
        pthread_create(&th[k], NULL, worker, &wa[k]);
    }
    for (int k = 0; k < nthreads; k++) {
        pthread_join(th[k], NULL);
        e->ctx_free(wa[k].ctx);
    }
    zf_targets_free(e, states, ncols);
    free(states);
    free(rs);
    free(cs);
    free(ncd);
    return zf_job_error(&job, NULL, NULL);
}

static size_t pick_len(size_t maxn) {
    switch (rndn(6)) {
    case 0: return rndn(300);
    case 1: return rndn(2000);
    case 2: return 200 + rndn(1300);
    case 3: return rndn(20000);
    case 4: return 60000 + rndn(15000); /* around the first slide */
    default: return rndn(maxn);
    }
}

int main(int argc, char **argv) {
    unsigned seed = argc > 1 ? (unsigned)atoi(argv[1]) : 1;
    int scale = argc > 2 ? atoi(argv[2]) : 1;
    rng_state ^= (uint64_t)seed * 0x9e3779b97f4a7c15ull;
    load_corpus();
    size_t maxn = 140000;
    uint8_t *x = malloc(maxn);
    catbuf = malloc(2 * maxn);

    /* 1. single texts: all generators, all levels, sizes 0..>100 KiB */
    for (int kind = 0; kind < G_NGEN; kind++) {
        long before = n_cases;
        for (int it = 0; it < 12 * scale; it++) {
            size_t n = it == 0 ? 0 : it == 1 ? 1 + rndn(4) : it == 2 ? 100000 + rndn(40000) : pick_len(maxn);
            gen(kind, x, n);
            for (int level = 1; level <= 9; level++)
                if (check_size(level, (int)rndn(3), x, n, gname[kind]))
                    goto out;
        }
        printf("size   %-7s %6ld cases ok\n", gname[kind], n_cases - before);
    }
    /* exact slide-boundary lengths */
    {
        long before = n_cases;
        static const size_t edge[] = {65273, 65274, 65275, 65535, 65536, 65537, 65536 + 262,
                                      65274 + 262, 32768 + 32506, 98042, 98043};
        for (size_t e = 0; e < sizeof edge / sizeof edge[0]; e++)
            for (int kind = 0; kind < G_NGEN; kind++) {
                gen(kind, x, edge[e]);
                for (int level = 1; level <= 9; level++)
                    if (check_size(level, ZF_WRAP_RAW, x, edge[e], "edge"))
                        goto out;
            }
        printf("size   %-7s %6ld cases ok\n", "edges", n_cases - before);
    }
    /* literals spread evenly over [a, a + k): runs of k (nearly) equal code
     * lengths between runs of a and 256 - a - k zeros, for every k, so the
     * code-length scan sees every run length of both kinds */
    {
        long before = n_cases;
        for (int k = 1; k <= 256; k++) {
            static const int at[] = {0, 7, 100, -1};
            for (int s = 0; s < 4; s++) {
                int a = at[s] < 0 ? 256 - k : at[s] + k > 256 ? 256 - k : at[s];
                size_t n = 200 + rndn(3000);
                for (size_t i = 0; i < n; i++)
                    x[i] = (uint8_t)(a + (int)rndn((size_t)k));
                for (int level = 1; level <= 9; level += 4)
                    if (check_size(level, (int)rndn(3), x, n, "runs"))
                        goto out;
            }
        }
        printf("size   %-7s %6ld cases ok\n", "runs", n_cases - before);
    }
    /* Trees with codes over 15 bits (zlib's repair) and many ties, built
     * from literal counts alone: one block, one at a time and in batches
     * of 1-4, against zlib's Huffman-only deflate of the same bytes (no
     * matches, so the block's symbols are exactly those counts). */
    {
        long before = n_cases;
        z_stream h;
        memset(&h, 0, sizeof h);
        if (deflateInit2(&h, 9, Z_DEFLATED, -15, 8, Z_HUFFMAN_ONLY) != Z_OK)
            return 2;
        if (zout_cap < 65536) {
            zout = realloc(zout, 65536);
            zout_cap = 65536;
        }
        for (int it = 0; it < 150 * scale; it++) {
            int nb = 1 + (int)rndn(4);
            ds_state st[4], *sp[4];
            uint64_t want[4];
            size_t nlen[4];
            for (int b = 0; b < nb; b++) {
                /* adjacent byte values: t of count 1 (ties, whose places in
                 * the heap decide which get the longer codes, and so the
                 * runs of equal lengths the header sends), then a chain
                 * whose every count exceeds the sum of all but the last
                 * one before it (Fibonacci-like): trees up to 20 deep */
                int t = (int)rndn(40), sym0 = (int)rndn(150), j = 0;
                uint32_t below = (uint32_t)t + 1, prev = 0; /* + end of block */
                size_t n = 0;
                for (int i = 0; i < t; i++)
                    x[n++] = (uint8_t)(sym0 + j++);
                for (;; j++) {
                    uint32_t c = j == t ? below : j == t + 1 ? below : below - prev + 1;
                    c += (uint32_t)rndn(2);
                    if (n + c > 16000 || sym0 + j > 255)
                        break;
                    for (uint32_t r = 0; r < c; r++)
                        x[n++] = (uint8_t)(sym0 + j);
                    prev = c;
                    below += c;
                }
                for (size_t i = n; i > 1; i--) { /* shuffle */
                    size_t r = rndn(i);
                    uint8_t c = x[i - 1];
                    x[i - 1] = x[r];
                    x[r] = c;
                }
                deflateReset(&h);
                h.next_in = x;
                h.avail_in = (uInt)n;
                h.next_out = zout;
                h.avail_out = (uInt)zout_cap;
                if (deflate(&h, Z_FINISH) != Z_STREAM_END)
                    return 2;
                want[b] = h.total_out;
                ds_state_init(&st[b]);
                for (size_t i = 0; i < n; i++)
                    st[b].f.lit[x[i]]++;
                st[b].f.nsym = (uint32_t)n;
                st[b].pend_len = (uint32_t)n;
                st[b].pend_ok = 1;
                st[b].pending = 1;
                sp[b] = &st[b];
                nlen[b] = n;
            }
            uint64_t one[4];
            for (int b = 0; b < nb; b++)
                one[b] = (ds_flush_block_bits(&st[b].f, st[b].pend_len, 1, 0) + 7) / 8;
            ds_finish_pending(sp, nb);
            for (int b = 0; b < nb; b++) {
                n_cases++;
                if (one[b] != want[b] || st[b].bits / 8 != want[b]) {
                    n_fail++;
                    printf("MISMATCH trees: %zu literals, batch of %d: zlib %llu, one %llu, "
                           "batched %llu\n",
                           nlen[b], nb, (unsigned long long)want[b], (unsigned long long)one[b],
                           (unsigned long long)(st[b].bits / 8));
                    goto out;
                }
            }
        }
        deflateEnd(&h);
        printf("size   %-7s %6ld cases ok\n", "trees", n_cases - before);
    }

    /* 2. pairs: row_begin + pair vs deflate of the concatenation */
    {
        long before = n_cases;
        static uint8_t *tg[6];
        size_t nt[6];
        for (int j = 0; j < 6; j++)
            tg[j] = malloc(maxn);
        for (int it = 0; it < 60 * scale; it++) {
            int kind = (int)rndn(G_NGEN);
            size_t ns = rnd() & 1 ? rndn(1200) : pick_len(maxn / 2);
            if (it % 7 == 0)
                ns = 65535 + rndn(3) - 1; /* the 65274-slide exception */
            gen(kind, x, ns);
            int ntg = 1 + (int)rndn(6);
            for (int j = 0; j < ntg; j++) {
                nt[j] = rnd() & 1 ? rndn(1500) : pick_len(maxn / 2);
                int tk = rnd() & 1 ? kind : (int)rndn(G_NGEN);
                gen(tk, tg[j], nt[j]);
                if (ns && nt[j] && rnd() % 3 == 0) { /* share content across the boundary */
                    size_t off = rndn(ns), l = rndn(nt[j]);
                    for (size_t k = 0; k < l && off + k < ns; k++)
                        tg[j][k] = x[off + k];
                }
            }
            int level = 1 + (int)rndn(9);
            int wrapper = (int)rndn(3);
            /* with target states, then the same row again without them */
            int bad = check_row_states(level, wrapper, x, ns, tg, nt, ntg, 1, gname[kind]);
            if (bad)
                goto out;
        }
        printf("pairs  %-7s %6ld cases ok\n", "mixed", n_cases - before);
    }
    /* 3. small realistic pairs (the common case): text rows, many targets */
    {
        long before = n_cases;
        enum { NT = 24 };
        static uint8_t *tg[NT];
        size_t nt[NT];
        for (int j = 0; j < NT; j++)
            tg[j] = malloc(4096);
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
            int level = 1 + it % 9;
            int wrapper = (int)rndn(3);
            int bad = check_row_states(level, wrapper, x, ns, tg, nt, NT, 0, "small");
            if (bad)
                goto out;
        }
        printf("pairs  %-7s %6ld cases ok\n", "small", n_cases - before);
    }
    /* 3b. levels 1-3 with target states (the fast plan): targets that are
     * edited copies of the source or of each other (the pair leaves the
     * plan and meets it again often), periodic and run-length targets
     * (long same-hash runs the parse does not insert, up to the fallback
     * to the general path), tiny sources, and targets up to DS_TARGET_MAX
     * with totals around DS_FAST_TOTAL */
    {
        long before = n_cases;
        enum { NT = 8 };
        static uint8_t *tg[NT];
        size_t nt[NT];
        for (int j = 0; j < NT; j++)
            tg[j] = malloc(20000);
        for (int it = 0; it < 120 * scale; it++) {
            int shape = it % 4;
            size_t ns = shape == 3 ? rndn(4) : rnd() & 1 ? rndn(1200) : rndn(16000);
            gen(rnd() % 3 ? G_TEXT : (int)rndn(G_NGEN), x, ns);
            for (int j = 0; j < NT; j++) {
                size_t n = rnd() % 8 ? rndn(2000) : rndn(DS_TARGET_MAX + 200);
                if (j == 0 && shape == 2)
                    n = DS_FAST_TOTAL - ns + rndn(3) - 1; /* the fast path's last pairs */
                if (n > 20000)
                    n = 20000;
                nt[j] = n;
                uint8_t *t = tg[j];
                if (shape == 0 && ns) { /* an edited copy of the source */
                    for (size_t k = 0; k < n; k++)
                        t[k] = x[k % ns];
                    for (size_t e = rndn(n / 8 + 2); e > 0 && n; e--)
                        t[rndn(n)] = (uint8_t)rnd();
                } else if (shape == 1) { /* runs and short periods */
                    size_t per = 1 + rndn(9);
                    for (size_t k = 0; k < n; k++)
                        t[k] = (uint8_t)('a' + (k % per));
                    for (size_t e = rndn(6); e > 0 && n; e--)
                        t[rndn(n)] = (uint8_t)('a' + rndn(3));
                } else {
                    gen(rnd() % 3 ? G_TEXT : (int)rndn(G_NGEN), t, n);
                    if (j > 0 && n && nt[j - 1]) /* part of the previous target */
                        for (size_t k = rndn(n), l = rndn(400); l > 0 && k < n; k++, l--)
                            t[k] = tg[j - 1][k % nt[j - 1]];
                }
                if (ns && n && rnd() % 2) { /* a piece of the source */
                    size_t off = rndn(ns), l = rndn(300), at = rndn(n);
                    for (size_t k = 0; k < l && off + k < ns && at + k < n; k++)
                        t[at + k] = x[off + k];
                }
            }
            int level = 1 + it % 3;
            int bad = check_row_states(level, (int)rndn(3), x, ns, tg, nt, NT, it % 5 == 0,
                                       "fast");
            if (bad)
                goto out;
        }
        printf("pairs  %-7s %6ld cases ok\n", "fast", n_cases - before);
    }
    /* 4. boundary sizes: empty and tiny sources/targets, pause-point lengths */
    {
        long before = n_cases;
        static const size_t lens[] = {0, 1, 2, 3, 4, 7, 8, 9, 30, 258, 260, 261, 262, 263, 600};
        const size_t nl = sizeof lens / sizeof lens[0];
        static uint8_t *tg[15];
        size_t nt[15];
        for (size_t j = 0; j < nl; j++)
            tg[j] = malloc(700);
        for (int level = 1; level <= 9; level++)
            for (int kind = 0; kind < G_NGEN; kind++)
                for (size_t a = 0; a < nl; a++) {
                    gen(kind, x, lens[a]);
                    for (size_t j = 0; j < nl; j++) {
                        nt[j] = lens[j];
                        gen(rnd() & 1 ? kind : (int)rndn(G_NGEN), tg[j], nt[j]);
                        if (lens[a] && nt[j] && rnd() & 1) /* repeat the source's end */
                            for (size_t k = 0; k < nt[j]; k++)
                                tg[j][k] = x[(lens[a] > 5 ? lens[a] - 5 : 0) + k % 5 < lens[a]
                                                 ? (lens[a] > 5 ? lens[a] - 5 : 0) + k % 5
                                                 : 0];
                    }
                    int wrapper = (int)rndn(3);
                    int bad = check_row_states(level, wrapper, x, lens[a], tg, nt, (int)nl, 0,
                                               "bound");
                    if (bad)
                        goto out;
                }
        printf("pairs  %-7s %6ld cases ok\n", "bounds", n_cases - before);
    }
    /* 4b. long pairs: source ⊕ target of 66-140 KB, so the window slides
     * (past 65274 bytes), matches are cut at 32506 bytes back and the pair
     * spans several deflate blocks (16383 symbols each); sources and
     * targets mix compressible and incompressible stretches, so some
     * blocks are stored, and either side may be the long one */
    {
        long before = n_cases;
        static uint8_t *tg[3];
        size_t nt[3];
        for (int j = 0; j < 3; j++)
            tg[j] = malloc(maxn);
        for (int it = 0; it < 8 * scale; it++) {
            size_t ns = it % 4 == 0 ? rndn(2000) : 20000 + rndn(50000);
            if (rnd() & 1)
                gen_patchwork(x, ns, 1 + rndn(40000));
            else
                gen(G_TEXT, x, ns);
            int ntg = 1 + (int)rndn(3);
            for (int j = 0; j < ntg; j++) {
                size_t need = ns < 66000 ? 66000 - ns : 0;
                nt[j] = need + rndn(maxn - ns - need); /* total <= maxn */
                if (rnd() & 1)
                    gen_patchwork(tg[j], nt[j], 1 + rndn(40000));
                else
                    gen(G_TEXT, tg[j], nt[j]);
                if (ns > 100 && nt[j] > 100 && rnd() & 1) { /* a copy of the source's end */
                    size_t l = 1 + rndn(ns < nt[j] ? ns : nt[j]);
                    memcpy(tg[j] + rndn(nt[j] - l + 1), x + ns - l, l);
                }
            }
            int level = 1 + (int)rndn(9);
            if (check_row_states(level, (int)rndn(3), x, ns, tg, nt, ntg, 1, "long"))
                goto out;
        }
        printf("pairs  %-7s %6ld cases ok\n", "long", n_cases - before);
    }
    /* 4c. long targets with their states (16 KiB to DS_TARGET_MAX) after
     * sources up to 32000 bytes: the pair follows the target's plan past
     * the MAX_DIST limit, through block ends that move with the source
     * (random stretches fill blocks fast, some are stored) and past the
     * window's slides; copies of the source deep in the target give
     * source matches near 32506 bytes back */
    {
        long before = n_cases;
        static uint8_t *tg[3];
        size_t nt[3];
        for (int j = 0; j < 3; j++)
            tg[j] = malloc(DS_TARGET_MAX);
        /* A block that ends while the pair parses for real: random bytes
         * (a symbol each) in the source and the target, and in the target
         * 5-byte copies of the source back to back where the pair's 16383rd
         * symbol falls (the plan's symbols there are not the pair's). */
        for (int it = 0; it < 4; it++) {
            size_t ns = 3000, ntg0 = 60000, from = 12600 + 200 * (size_t)it;
            gen(G_RANDOM, x, ns);
            gen(G_RANDOM, tg[0], 34000);
            gen(G_TEXT, tg[0] + 34000, ntg0 - 34000);
            for (size_t at = from; at < from + 2500; at += 5)
                memcpy(tg[0] + at, x + rndn(ns - 4), 5);
            nt[0] = ntg0;
            for (int level = 4; level <= 9; level++)
                if (check_row_states(level, ZF_WRAP_GZIP, x, ns, tg, nt, 1, 0, "longtgt"))
                    goto out;
        }
        for (int it = 0; it < 10 * scale; it++) {
            size_t ns = it % 3 == 0 ? rndn(1200) : it % 3 == 1 ? rndn(8000) : rndn(32001);
            if (rndn(3) == 0)
                gen(G_RANDOM, x, ns);
            else if (rnd() & 1)
                gen_patchwork(x, ns, 1 + rndn(4000));
            else
                gen(G_TEXT, x, ns);
            int ntg = 1 + (int)rndn(3);
            /* a third of the rows: pairs over 65274 bytes (the window slides) */
            size_t tmin = it % 3 == 2 && ns > 200 ? 65274 - ns + 1 : 16384;
            if (tmin < 16384)
                tmin = 16384;
            for (int j = 0; j < ntg; j++) {
                nt[j] = tmin + rndn(DS_TARGET_MAX - tmin + 1);
                switch (rndn(3)) {
                case 0: gen(G_TEXT, tg[j], nt[j]); break;
                case 1: gen_patchwork(tg[j], nt[j], 1 + rndn(20000)); break;
                default: gen((int)rndn(G_NGEN), tg[j], nt[j]); break;
                }
                /* copies of the source: a few, or many (the pair leaves the plan
                 * often, so blocks also end while it parses for real) */
                for (int r = rnd() & 1 ? (int)rndn(4) : 50 + (int)rndn(400); r > 0 && ns > 16; r--) {
                    size_t l = 3 + rndn(ns < 600 ? ns - 2 : 600), from = rndn(ns - l + 1);
                    /* anywhere, or where it is DS_MAX_DIST - 2 .. + 2 after its original */
                    size_t at = rnd() & 1 ? rndn(nt[j] - l + 1) : DS_MAX_DIST + from - ns + rndn(5) - 2;
                    if (at > nt[j] - l)
                        at = nt[j] - l;
                    memcpy(tg[j] + at, x + from, l);
                }
                /* 5-byte copies back to back over up to 16000 bytes: the pair
                 * parses long stretches for real, and blocks can end in them */
                if (ns > 5 && rnd() & 1)
                    for (size_t at = rndn(16000), e = at + 1000 + rndn(15000); at < e; at += 5)
                        memcpy(tg[j] + at, x + rndn(ns - 4), 5);
            }
            int level = 4 + (int)rndn(6);
            if (check_row_states(level, (int)rndn(3), x, ns, tg, nt, ntg, 0, "longtgt"))
                goto out;
        }
        printf("pairs  %-7s %6ld cases ok\n", "longtgt", n_cases - before);
    }
    /* 5. the pair loop of zf_loop.c, 2 threads, shared target states */
    {
        long before = n_cases;
        enum { NR = 30, NC = 12 };
        zf_span rows[NR], cols[NC];
        for (int i = 0; i < NR; i++) {
            size_t n = i % 10 == 9 ? 30000 + rndn(50000) : rndn(1500);
            rows[i] = (zf_span){gen_new(n), n};
        }
        for (int j = 0; j < NC; j++) {
            size_t n = j == NC - 1 ? 20000 : rndn(1500);
            cols[j] = (zf_span){gen_new(n), n};
        }
        uint64_t *a = malloc(NR * NC * sizeof *a), *b = malloc(NR * NC * sizeof *b);
        for (int level = 1; level <= 9; level++) {
            int wrapper = level % 3;
            zf_targets_info all;
            if (run_job(&zf_engine_zlib, level, wrapper, rows, NR, cols, NC, 1, b, SIZE_MAX,
                        NULL) != ZF_OK)
                abort();
            /* every target state, then target sets within budgets (levels
             * 4-9 have states): none, and cuts that leave some out */
            for (int cut = 0; cut < (level >= 4 ? 4 : 1); cut++) {
                size_t budget = cut == 0 ? SIZE_MAX : cut == 1 ? 0 : cut == 2 ? all.bytes / 2
                                                                         : all.bytes - 1;
                zf_targets_info in;
                if (run_job(&zf_engine_deflate, level, wrapper, rows, NR, cols, NC, 2, a, budget,
                            cut ? &in : &all) != ZF_OK)
                    abort();
                n_cases++;
                if (cut && (in.full >= all.full || (cut == 1 && in.full != 0))) {
                    n_fail++;
                    fprintf(stderr, "MISMATCH job level %d budget %zu: %zu of %zu states\n", level,
                            budget, in.full, all.full);
                    goto out;
                }
                for (int k = 0; k < NR * NC; k++) {
                    n_cases++;
                    if (a[k] != b[k]) {
                        n_fail++;
                        fprintf(stderr,
                                "MISMATCH job level %d budget %zu pair %d: deflate %llu zlib %llu\n",
                                level, budget, k, (unsigned long long)a[k], (unsigned long long)b[k]);
                        goto out;
                    }
                }
            }
        }
        printf("job    %-7s %6ld cases ok\n", "2 thr", n_cases - before);
    }
    {
        long before = n_cases;
        for (size_t ncols = 1; ncols <= 9; ncols++)
            for (size_t bad = 0; bad < ncols; bad++)
                if (check_failing_batch(ncols, bad))
                    goto out;
        printf("errors %-7s %6ld cases ok\n", "batch", n_cases - before);
    }
    /* zf_plan_tiles: no work is ZF_OK with no tiles; work that cannot fit
     * is an error, never "no work"; a plan covers every pair once */
    {
        long before = n_cases;
        static const uint8_t text[] = "some text to plan tiles over";
        zf_span rows[5], cols[3];
        for (int i = 0; i < 5; i++)
            rows[i] = (zf_span){text, (size_t)(3 + i * 4)};
        for (int j = 0; j < 3; j++)
            cols[j] = (zf_span){text, (size_t)(5 + j)};
        zf_tile tiles[64];
        size_t nt = 99;
        struct {
            size_t nrows, ncols, max_tiles;
            int cols, rc, some;
        } plan[] = {
            {0, 3, 64, 1, ZF_OK, 0},    /* no rows */
            {5, 0, 64, 1, ZF_OK, 0},    /* no columns */
            {0, 0, 0, 0, ZF_OK, 0},     /* no texts, no room: still no work */
            {5, 3, 0, 1, ZF_ENOMEM, 0}, /* work, no room */
            {5, 0, 0, 0, ZF_ENOMEM, 0},
            {5, 3, 1, 1, ZF_OK, 1},     /* one tile takes everything */
            {5, 0, 64, 0, ZF_OK, 1},
            {5, 3, 64, 1, ZF_OK, 1},
        };
        for (size_t k = 0; k < sizeof plan / sizeof plan[0]; k++) {
            int rc = zf_plan_tiles(rows, plan[k].nrows, plan[k].cols ? cols : NULL,
                                   plan[k].ncols, 2, 1, tiles, plan[k].max_tiles, &nt);
            int covered = 1;
            if (rc == ZF_OK && nt) { /* every (row, column) exactly once */
                size_t nc = plan[k].cols ? plan[k].ncols : 1, seen[5][3] = {{0}};
                for (size_t t = 0; t < nt; t++)
                    for (size_t i = tiles[t].r0; i < tiles[t].r1; i++)
                        for (size_t j = plan[k].cols ? tiles[t].c0 : 0;
                             j < (plan[k].cols ? tiles[t].c1 : 1); j++)
                            seen[i][j]++;
                for (size_t i = 0; i < plan[k].nrows; i++)
                    for (size_t j = 0; j < nc; j++)
                        covered &= seen[i][j] == 1;
            }
            n_cases++;
            if (rc != plan[k].rc || (nt != 0) != plan[k].some || nt > plan[k].max_tiles ||
                !covered) {
                n_fail++;
                fprintf(stderr, "MISMATCH zf_plan_tiles case %zu: rc %d tiles %zu covered %d\n",
                        k, rc, nt, covered);
                goto out;
            }
        }
        printf("errors %-7s %6ld cases ok\n", "plan", n_cases - before);
    }
out:
    printf("%ld cases, %ld mismatches\n", n_cases, n_fail);
    return n_fail != 0;  /* buffers are left to process exit */
}
