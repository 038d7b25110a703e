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

#endif /* FUZZ_STRETCH_H */
