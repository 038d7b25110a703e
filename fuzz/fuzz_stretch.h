/*
 * fuzz_stretch.h - long inputs from short fuzz inputs, for the fuzz targets.
 *
 * libFuzzer grows inputs slowly and is bounded by -max_len, so texts long
 * enough to slide deflate's window (32 KiB), fill several deflate blocks or
 * several LZ4 blocks (64 KiB) would hardly ever be reached.  stretch()
 * builds one from the fuzzed bytes: copies of them, each with a few bits
 * flipped (near-repeats at every distance, matches that end at different
 * places), and with noise on, some copies replaced by pseudo-random bytes
 * (incompressible stretches: literal-heavy or stored blocks).  The result
 * depends only on the input, so a failing case replays.
 */
#ifndef FUZZ_STRETCH_H
#define FUZZ_STRETCH_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Stretch x[0..n) to exactly len bytes (len >= n); returns a malloc'd
 * buffer (of at least 1 byte), or NULL when out of memory. */
static uint8_t *stretch(const uint8_t *x, size_t n, size_t len, int noise, uint32_t seed) {
    uint8_t *p = malloc(len ? len : 1);
    if (!p)
        return NULL;
    uint64_t r = 0x9e3779b97f4a7c15ull ^ seed;
    for (size_t at = 0, copy = 0; at < len; copy++) {
        size_t l = n && n < len - at ? n : len - at;
        r ^= r << 13, r ^= r >> 7, r ^= r << 17;
        if (!n || (noise && (r & 3) == 0)) { /* a pseudo-random stretch */
            uint64_t q = r;
            for (size_t i = 0; i < l; i++) {
                q ^= q << 13, q ^= q >> 7, q ^= q << 17;
                p[at + i] = (uint8_t)q;
            }
        } else {
            memcpy(p + at, x, l);
            if (copy) /* flip a few bits: copy-dependent places */
                for (size_t i = (size_t)(r % 61); i < l; i += 61 + (size_t)(r >> 58))
                    p[at + i] ^= (uint8_t)(1u << ((copy + i) & 7));
        }
        at += l;
    }
    return p;
}

/* A fuzz input as a (source, target) pair.  Bytes 2-3 split what follows
 * the 4-byte header; in long mode (byte 1's top two bits set) the sides
 * byte 1 picks (bits 3-4: 0 source, 1 target, else both) are stretched to
 * at least ls / lt bytes, with noise when bit 5 is set. */
typedef struct fuzz_pair {
    const uint8_t *src, *tgt;
    size_t ns, nt;
    uint8_t *own[2]; /* the stretched copies, freed by fuzz_pair_free */
} fuzz_pair;

static void fuzz_pair_make(fuzz_pair *p, const uint8_t *data, size_t size, size_t ls,
                           size_t lt) {
    int long_mode = (data[1] >> 6) == 3, sides = (data[1] >> 3) & 3, noise = (data[1] >> 5) & 1;
    size_t rest = size - 4, split = ((size_t)data[2] << 8 | data[3]);
    split = rest ? split % (rest + 1) : 0;
    p->src = data + 4, p->ns = split;
    p->tgt = data + 4 + split, p->nt = rest - split;
    p->own[0] = p->own[1] = NULL;
    if (!long_mode)
        return;
    if (sides != 1 && p->ns < ls) {
        if (!(p->own[0] = stretch(p->src, p->ns, ls, noise, (uint32_t)size)))
            abort();
        p->src = p->own[0], p->ns = ls;
    }
    if (sides != 0 && p->nt < lt) {
        if (!(p->own[1] = stretch(p->tgt, p->nt, lt, noise, (uint32_t)size * 3 + 1)))
            abort();
        p->tgt = p->own[1], p->nt = lt;
    }
}

static void fuzz_pair_free(fuzz_pair *p) {
    free(p->own[0]);
    free(p->own[1]);
}

#endif /* FUZZ_STRETCH_H */
