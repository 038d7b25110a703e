/*
 * bench_deflate_engine.c - zf_engine_deflate vs a plain C loop over zlib.
 *
 * Single thread, same pairs, both measured in this run.  The zlib loop
 * compresses every concatenation from scratch with one reused stream
 * (deflateReset per pair), gzip wrapper, like the reference.  The engine
 * runs row_begin once per source and pair() per target; target_new is
 * timed separately (it is paid once per target, not per pair).
 *
 * Data: sources are 0.3-1 KB chunks, half Python code and half prose
 * (Python's pydoc topics and the licence texts); targets are 164 function
 * definitions of 0.3-1.5 KB taken from other stdlib modules (HumanEval-
 * sized).  The seed picks which files and chunks, so different seeds give
 * data the engine was not tuned on.  Every pair size is checked against
 * the zlib loop.
 *
 * Each level runs the zlib loop and the engine alternately ZF_REPEATS times
 * (default 3) and reports the medians.
 *
 * Usage: bench_deflate_engine [seed] [nsources] [levels, e.g. 169]
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#include "../csrc/zf.h"
#include "bench_time.h"

extern const zf_engine zf_engine_deflate;

/* The standard library directory: $ZF_PYLIB (bench_deflate_engine.sh sets it). */
static const char *PYLIB = "/usr/lib/python3";
#define NTARGETS 164

static uint64_t rs = 0x243f6a8885a308d3ull;
static uint64_t rnd(void) {
    rs ^= rs << 13;
    rs ^= rs >> 7;
    rs ^= rs << 17;
    return rs;
}

static char *read_file(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *p = malloc((size_t)len + 1);
    *n = fread(p, 1, (size_t)len, f);
    p[*n] = 0;
    fclose(f);
    return p;
}

typedef struct text {
    uint8_t *p;
    size_t n;
} text;

static int cmpstr(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted list of stdlib .py files. */
static char **list_py(size_t *count) {
    DIR *d = opendir(PYLIB);
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while (d && (e = readdir(d))) {
        size_t l = strlen(e->d_name);
        if (l < 4 || strcmp(e->d_name + l - 3, ".py"))
            continue;
        if (n == cap)
            names = realloc(names, (cap = cap ? 2 * cap : 256) * sizeof *names);
        names[n++] = strdup(e->d_name);
    }
    if (d)
        closedir(d);
    qsort(names, n, sizeof *names, cmpstr);
    *count = n;
    return names;
}

/* A chunk of 300-1000 bytes starting and ending at line boundaries. */
static int chunk(const char *s, size_t n, text *out) {
    if (n < 1200)
        return 0;
    size_t want = 300 + rnd() % 701;
    size_t a = rnd() % (n - want);
    while (a > 0 && s[a - 1] != '\n')
        a--;
    size_t b = a + want;
    while (b < n && s[b - 1] != '\n')
        b++;
    if (b - a < 300 || b - a > 1000)
        b = a + want;
    out->n = b - a;
    out->p = malloc(out->n);
    memcpy(out->p, s + a, out->n);
    return 1;
}

/* Function definitions of 300-1500 bytes from one module. */
static size_t functions(const char *s, size_t n, text *out, size_t max) {
    size_t got = 0;
    for (size_t i = 0; i + 5 < n && got < max; i++) {
        if (!(i == 0 || s[i - 1] == '\n') || strncmp(s + i, "def ", 4))
            continue;
        size_t j = i + 4;
        while (j < n && !(s[j - 1] == '\n' && (strncmp(s + j, "def ", 4) == 0 ||
                                              strncmp(s + j, "class ", 6) == 0 ||
                                              (s[j] != ' ' && s[j] != '\n' && s[j] != '#'))))
            j++;
        if (j - i >= 300 && j - i <= 1500) {
            out[got].n = j - i;
            out[got].p = malloc(j - i);
            memcpy(out[got].p, s + i, j - i);
            got++;
        }
        i = j - 1;
    }
    return got;
}

/* The baseline: every concatenation compressed from scratch with one
 * reused stream (deflateReset per pair), gzip wrapper.  Fills want[];
 * returns seconds. */
static double zlib_loop(int level, const text *src, size_t ns, const text *tg, size_t ntg,
                        uint8_t *cat, uint8_t *out, uint64_t *want) {
    z_stream z;
    memset(&z, 0, sizeof z);
    deflateInit2(&z, level, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY);
    double t0 = now();
    for (size_t i = 0; i < ns; i++) {
        memcpy(cat, src[i].p, src[i].n);
        for (size_t j = 0; j < ntg; j++) {
            memcpy(cat + src[i].n, tg[j].p, tg[j].n);
            deflateReset(&z);
            z.next_in = cat;
            z.avail_in = (uInt)(src[i].n + tg[j].n);
            z.next_out = out;
            z.avail_out = 1 << 16;
            deflate(&z, Z_FINISH);
            want[i * ntg + j] = z.total_out;
        }
    }
    double t = now() - t0;
    deflateEnd(&z);
    return t;
}

/* The engine as the pair loop calls it (row_begin per source, ZF_BATCH
 * targets at a time; ZF_NO_BATCH=1: one at a time); every size is checked
 * against want[] (mismatches added to *bad).  Returns seconds. */
static double engine_loop(const zf_params *p, const text *src, size_t ns, const zf_span *spans,
                          size_t ntg, void *const *ts, const uint64_t *want, size_t *bad) {
    void *ctx;
    if (zf_engine_deflate.ctx_new(p, &ctx) != ZF_OK)
        exit(1);
    int batch = !getenv("ZF_NO_BATCH");
    double t0 = now();
    for (size_t i = 0; i < ns; i++) {
        zf_engine_deflate.row_begin(ctx, src[i].p, src[i].n);
        for (size_t j = 0; j < ntg; j += ZF_BATCH) {
            size_t nb = ntg - j < ZF_BATCH ? ntg - j : ZF_BATCH;
            uint64_t got[ZF_BATCH];
            if (nb > 1 && batch)
                zf_engine_deflate.pairs(ctx, (const void *const *)&ts[j], &spans[j], nb, got);
            else
                for (size_t k = 0; k < nb; k++)
                    zf_engine_deflate.pair(ctx, ts[j + k], spans[j + k].ptr, spans[j + k].len,
                                           &got[k]);
            for (size_t k = 0; k < nb; k++)
                *bad += got[k] != want[i * ntg + j + k];
        }
    }
    double t = now() - t0;
    zf_engine_deflate.ctx_free(ctx);
    return t;
}

/*
 * The benchmark's inputs for a seed: targets (functions from one half of
 * the stdlib modules of $ZF_PYLIB, or $ZF_TARGETS: 4-byte little-endian
 * length + bytes, repeated) and nsrc sources (chunks of code from the other
 * half, and of prose).  0, or 2 when they cannot be read.
 */
static int load_inputs(unsigned seed, size_t nsrc, text *tg, size_t *ntg_out, text **src_out,
                       size_t *ns_out) {
    if (getenv("ZF_PYLIB"))
        PYLIB = getenv("ZF_PYLIB");
    rs ^= (uint64_t)seed * 0x9e3779b97f4a7c15ull;
    for (int i = 0; i < 10; i++)
        rnd();
    size_t nfiles;
    char **files = list_py(&nfiles);
    if (nfiles < 20) {
        fprintf(stderr, "need Python stdlib sources in %s\n", PYLIB);
        return 2;
    }
    /* Targets from one half of the modules (by seed), code sources from the other. */
    size_t ntg = 0;
    size_t start = rnd() % nfiles;
    for (size_t k = 0; k < nfiles && ntg < NTARGETS; k++) {
        size_t fi = (start + 2 * k) % nfiles;
        char path[1024];
        size_t n;
        snprintf(path, sizeof path, "%s/%s", PYLIB, files[fi]);
        char *s = read_file(path, &n);
        if (!s)
            continue;
        ntg += functions(s, n, tg + ntg, ntg + 3 <= NTARGETS ? 3 : NTARGETS - ntg);
        free(s);
    }
    const char *tfile = getenv("ZF_TARGETS");
    if (tfile) { /* replace them: 4-byte little-endian length + bytes, repeated */
        size_t n, off = 0;
        char *s = read_file(tfile, &n);
        if (!s) {
            fprintf(stderr, "cannot read %s\n", tfile);
            return 2;
        }
        for (ntg = 0; ntg < NTARGETS && off + 4 <= n; ntg++) {
            uint32_t len = (uint32_t)(uint8_t)s[off] | (uint32_t)(uint8_t)s[off + 1] << 8 |
                           (uint32_t)(uint8_t)s[off + 2] << 16 | (uint32_t)(uint8_t)s[off + 3] << 24;
            off += 4;
            if (len > n - off)
                break;
            tg[ntg].n = len;
            tg[ntg].p = malloc(len ? len : 1);
            memcpy(tg[ntg].p, s + off, len);
            off += len;
        }
        free(s);
        printf("# targets from %s\n", tfile);
    }
    char topics[1024], license[1024];
    snprintf(topics, sizeof topics, "%s/pydoc_data/topics.py", PYLIB);
    snprintf(license, sizeof license, "%s/LICENSE.txt", PYLIB);
    const char *prose_files[] = {topics, "/usr/share/common-licenses/GPL-3",
                                 "/usr/share/common-licenses/Apache-2.0",
                                 "/usr/share/common-licenses/MPL-2.0", license};
    size_t nprose_files = sizeof prose_files / sizeof prose_files[0];
    text *src = calloc(nsrc, sizeof *src);
    size_t ns = 0, guard = 0;
    while (ns < nsrc && guard++ < 100 * nsrc) {
        char path[1024];
        size_t n;
        if (ns % 2 == 0) {
            size_t fi = (start + 2 * (rnd() % (nfiles / 2)) + 1) % nfiles;
            snprintf(path, sizeof path, "%s/%s", PYLIB, files[fi]);
        } else {
            snprintf(path, sizeof path, "%s", prose_files[rnd() % nprose_files]);
        }
        char *s = read_file(path, &n);
        if (s && chunk(s, n, &src[ns]))
            ns++;
        free(s);
    }
    *ntg_out = ntg;
    *src_out = src;
    *ns_out = ns;
    return 0;
}

int main(int argc, char **argv) {
    unsigned seed = argc > 1 ? (unsigned)atoi(argv[1]) : 1;
    size_t nsrc = argc > 2 ? (size_t)atol(argv[2]) : 150;
    const char *levels = argc > 3 ? argv[3] : "169";
    text tg[NTARGETS], *src;
    size_t ntg, ns;
    if (load_inputs(seed, nsrc, tg, &ntg, &src, &ns))
        return 2;
    size_t srcbytes = 0, tgbytes = 0;
    for (size_t i = 0; i < ns; i++)
        srcbytes += src[i].n;
    for (size_t j = 0; j < ntg; j++)
        tgbytes += tg[j].n;
    printf("# zipfit deflate engine benchmark: seed %u, %zu sources (mean %.0f B), %zu targets "
           "(mean %.0f B), gzip wrapper, 1 thread\n",
           seed, ns, (double)srcbytes / ns, ntg, (double)tgbytes / ntg);
    printf("# zlib %s\n", zlibVersion());
    printf("# medians of %s alternating runs\n", getenv("ZF_REPEATS") ? getenv("ZF_REPEATS") : "3");
    printf("%5s %12s %12s %8s %12s %10s %14s\n", "level", "zlib us/pair", "engine us/pr",
           "ratio", "target_new ms", "mismatch", "185Kx164 @2c");

    uint8_t *cat = malloc(1 << 16); /* sources <= 1 KB, targets <= 60 KB */
    uint8_t *out = malloc(1 << 16);
    uint64_t *want = malloc(ns * ntg * sizeof *want);
    int reps = getenv("ZF_REPEATS") ? atoi(getenv("ZF_REPEATS")) : 3;
    if (reps < 1 || reps > 15)
        reps = 3;
    zf_span spans[NTARGETS];
    for (size_t j = 0; j < ntg; j++)
        spans[j] = (zf_span){tg[j].p, tg[j].n};
    for (const char *lv = levels; *lv; lv++) {
        int level = *lv - '0';
        if (level < 1 || level > 9)
            continue;
        zf_params p = {level, ZF_WRAP_GZIP};
        void *ts[NTARGETS] = {0};
        double t1 = now();
        if (zf_engine_deflate.target_new)
            for (size_t j = 0; j < ntg; j++)
                if (zf_engine_deflate.target_new(&p, tg[j].p, tg[j].n, &ts[j]) != ZF_OK)
                    return 1;
        double tt = now() - t1;
        /* the two loops alternate, reps times each; medians are reported */
        double tz[15], te[15];
        size_t bad = 0;
        for (int r = 0; r < reps; r++) {
            tz[r] = zlib_loop(level, src, ns, tg, ntg, cat, out, want);
            te[r] = engine_loop(&p, src, ns, spans, ntg, ts, want, &bad);
        }
        for (size_t j = 0; j < ntg; j++)
            if (ts[j])
                zf_engine_deflate.target_free(ts[j]);
        double np = (double)ns * ntg;
        double us_z = median(tz, reps) / np * 1e6, us_e = median(te, reps) / np * 1e6;
        double proj = 185000.0 * 164 * us_e * 1e-6 / 2; /* seconds on 2 cores */
        printf("%5d %12.2f %12.2f %7.2fx %12.2f %10zu %11.1f min\n", level, us_z, us_e, us_z / us_e,
               tt * 1e3, bad, proj / 60);
        fflush(stdout);
    }
    return 0;
}
