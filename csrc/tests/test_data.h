/*
 * test_data.h - inputs for the engines' differential tests: a seeded
 * generator and seven kinds of data (random bytes, real text, repeats,
 * structured binary, one byte repeated, low entropy, LZ-style copies).
 * Included by test_deflate_size.c and test_lz4_size.c (one translation
 * unit each, so the definitions are static).
 *
 * Real text comes from the .py files of a Python standard library:
 * $ZF_TEST_CORPUS_DIR if set (run.sh sets it from python3), else a
 * default path; without one, synthetic words stand in.
 */
#ifndef ZF_TEST_DATA_H
#define ZF_TEST_DATA_H

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng_state = 88172645463325252ull;
static uint64_t rnd(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}
static size_t rndn(size_t n) { return n ? (size_t)(rnd() % n) : 0; }

static uint8_t *corpus; /* concatenated real text (python stdlib sources) */
static size_t corpus_len;

static void load_corpus(void) {
    const char *dir = getenv("ZF_TEST_CORPUS_DIR");
    if (!dir || !*dir)
        dir = "/root/.pyenv/versions/3.11.7/lib/python3.11";
    DIR *d = opendir(dir);
    size_t cap = 4 << 20;
    corpus = malloc(cap);
    if (!corpus)
        abort();
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) && corpus_len < cap - 300000) {
            size_t l = strlen(e->d_name);
            if (l < 4 || strcmp(e->d_name + l - 3, ".py"))
                continue;
            char path[1024];
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            FILE *f = fopen(path, "rb");
            if (!f)
                continue;
            corpus_len += fread(corpus + corpus_len, 1, cap - corpus_len, f);
            fclose(f);
        }
        closedir(d);
    }
    if (corpus_len < 100000) { /* fallback: synthetic words */
        static const char *w[] = {"the ", "def ", "return ", "self", ".", "(", "):\n    ", "x",
                                  "if ", "for ", "in ", "range", "1", "0", " = ", "\n"};
        corpus_len = 0;
        while (corpus_len < 400000) {
            const char *s = w[rndn(16)];
            size_t l = strlen(s);
            memcpy(corpus + corpus_len, s, l);
            corpus_len += l;
        }
    }
}

enum { G_RANDOM, G_TEXT, G_REPEAT, G_BINARY, G_ZEROS, G_LOWENT, G_MIXED, G_NGEN };
static const char *gname[] = {"random", "text", "repeat", "binary", "zeros", "lowent", "mixed"};

static void gen(int kind, uint8_t *p, size_t n) {
    switch (kind) {
    case G_RANDOM:
        for (size_t i = 0; i < n; i++)
            p[i] = (uint8_t)rnd();
        break;
    case G_TEXT: {
        size_t off = corpus_len > n ? rndn(corpus_len - n) : 0;
        for (size_t i = 0; i < n; i++)
            p[i] = corpus[(off + i) % corpus_len];
        break;
    }
    case G_REPEAT: {
        size_t per = 1 + rndn(rnd() & 1 ? 8 : 300);
        for (size_t i = 0; i < n; i++)
            p[i] = i < per ? (uint8_t)rnd() : p[i - per];
        for (size_t k = rndn(n / 64 + 1); k > 0; k--) /* a few mutations */
            p[rndn(n)] = (uint8_t)rnd();
        break;
    }
    case G_BINARY: /* structured binary: little-endian counters and floats */
        for (size_t i = 0; i < n; i++) {
            size_t k = i / 4;
            p[i] = (uint8_t)(((k * 2654435761u) >> ((i & 3) * 3)) & (i % 7 ? 0x0f : 0xff));
        }
        break;
    case G_ZEROS:
        memset(p, rnd() & 1 ? 0 : 'a', n);
        break;
    case G_LOWENT:
        for (size_t i = 0; i < n; i++)
            p[i] = "ab\n"[rndn(rnd() % 3 + 1)];
        break;
    default: { /* LZ77-ish: copies from earlier with random distances, plus literals */
        size_t i = 0;
        while (i < n) {
            if (i > 3 && rnd() % 3) {
                size_t dist = 1 + rndn(i < 40000 ? i : 40000);
                size_t len = 3 + rndn(rnd() & 1 ? 10 : 300);
                for (size_t k = 0; k < len && i < n; k++, i++)
                    p[i] = p[i - dist];
            } else {
                p[i++] = (uint8_t)(rnd() & 1 ? rnd() : 'a' + rndn(4));
            }
        }
    }
    }
}

/* Stretches of different kinds one after the other (e.g. a compressible
 * block, then an incompressible one), each 1..max_run bytes. */
static void gen_patchwork(uint8_t *p, size_t n, size_t max_run) {
    for (size_t i = 0; i < n;) {
        size_t l = 1 + rndn(max_run);
        if (l > n - i)
            l = n - i;
        gen((int)rndn(G_NGEN), p + i, l);
        i += l;
    }
}

/* A new n-byte buffer (freed by the caller) of mostly real text, sometimes
 * another kind of data. */
static uint8_t *gen_new(size_t n) {
    uint8_t *p = malloc(n + 1);
    if (!p)
        abort();
    gen(rnd() % 3 ? G_TEXT : (int)rndn(G_NGEN), p, n);
    return p;
}

static void dump(const char *what, const uint8_t *x, size_t n) {
    FILE *f = fopen(what, "wb");
    if (f) {
        fwrite(x, 1, n, f);
        fclose(f);
    }
}

#endif /* ZF_TEST_DATA_H */
