/*
 * lz4_size.h - exact LZ4 frame lengths, LZ4's fast compressor, size only.
 *
 * Reproduces len(lz4.frame.compress(x, compression_level=level)) of
 * python-lz4 4.x (bundled LZ4 1.9.x, 64-bit little-endian build) with its
 * default frame settings, for the levels that LZ4F maps to the fast
 * compressor: level < 3, acceleration = level < 0 ? 1 - level : 1.  Nothing
 * is written out: the parse is followed and its output bytes are counted.
 *
 * Frame (no checksums, 64 KB blocks, content size stored when n > 0):
 *   len = 11 + 8*[n > 0] + sum over blocks of (4 + block bytes)
 * n <= 65536: one independent block, 16-bit table, 4-byte hash.
 * n >  65536: linked 64 KB blocks on one 32-bit table, 5-byte hash; a
 *             block that does not fit in n_b - 1 bytes is stored raw and
 *             stops updating the table where LZ4 gave up.
 *
 * Pairs x ⊕ y: lzs_row_begin parses x once up to the last point where
 * nothing depends on bytes or length past x ("the pause"), and
 * lzs_pair resumes from that pause with y appended, on a copy of the
 * paused table.  lzs_target_new records y's own parse once; pairs replay it
 * where their parse of y coincides with it (see lz4_size.c).
 *
 * A sizer is single-threaded; use one per thread.
 */
#ifndef LZ4_SIZE_H
#define LZ4_SIZE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LZS_BLOCK 65536u
/* Largest input accepted: LZ4 renormalises its indexes past 2 GB. */
#define LZS_MAX_INPUT ((size_t)1 << 30)

/* Where a block's parse stands. */
enum { LZS_START = 0, LZS_SEARCH = 1, LZS_AFTER = 2 };

typedef struct lzs_pos {
    uint32_t phase;  /* LZS_START, LZS_SEARCH (before a probe), LZS_AFTER (after a match) */
    uint32_t fwd;    /* SEARCH: position of the next probe; AFTER: end of the match */
    uint32_t step;   /* SEARCH: advance after this probe */
    uint32_t nb;     /* SEARCH: probe counter (acceleration << 6 at a search start) */
    uint32_t fh;     /* SEARCH: hash of fwd */
    uint32_t anchor; /* first byte not yet emitted */
    uint32_t out;    /* bytes emitted in this block so far */
} lzs_pos;

/* A table slot that nothing reads: replayed events write there when they
 * have nothing to write before their lookup. */
#define LZS_DUMMY 8192u

/*
 * One table lookup of a target's own parse (y alone); the lzs_state of the
 * same index is the parse state just before it.  Positions are relative to
 * the start of y.  The last event (hit 3) is the end of the parse.
 */
typedef struct lzs_event {
    uint32_t v4;      /* the 4 bytes at pos */
    uint16_t h;       /* slot looked up (hash of pos) */
    uint16_t pos;     /* probe position (SEARCH) or match end (AFTER) */
    uint16_t pre_h;   /* AFTER: slot written with pos - 2 before the lookup; else LZS_DUMMY */
    uint16_t cand;    /* hit: the candidate found */
    uint32_t hit;     /* 0 no match, 1 match, 2 do not replay past this, 3 end of parse */
} lzs_event;

/* The parse state before an event, to resume from when a replay diverges. */
typedef struct lzs_state {
    uint32_t out;     /* bytes emitted before this event (end: the block size) */
    uint32_t step;    /* SEARCH: the probe's advance */
    uint32_t nb;      /* SEARCH: probe counter */
    uint16_t anchor;
    uint16_t phase;   /* LZS_SEARCH or LZS_AFTER */
} lzs_state;

/* Targets from this length on are "long": their pairs read the target's
 * hashes where they are instead of copying them next to the source's. */
#define LZS_LONG_MIN 4096u
/* Targets from this length on also record their parse by the linked-block
 * rules, for their pairs over 64 KiB (with sources of 8 KiB and less at
 * this length): twice the trace memory, so not for every target. */
#define LZS_LINKED_MIN 57344u

typedef struct lzs_trace {
    lzs_event *ev;
    lzs_state *st;
    uint32_t nev;
    uint32_t cap; /* entries allocated in ev and st (while recording) */
    int32_t *ck;  /* ck[a]: the event at which y alone is after a match ending at a, or -1 */
    uint32_t *reach; /* linked-rules traces: the furthest position in y events 0..i look at */
    uint32_t m;   /* entries of ck */
    int full;     /* recording stopped: an event or ck index went past its array */
} lzs_trace;

/* What lzs_pair can reuse of a target: its hashes and its own parse. */
typedef struct lzs_target {
    uint16_t *hash; /* hash4 of each position (m - 3 entries) */
    lzs_trace tr;   /* ev == NULL: no trace */
    lzs_trace ltr;  /* m >= LZS_LINKED_MIN: y alone parsed by the linked-block rules, for
                       pairs over one block whose seam is in the first */
    uint32_t m;     /* the target's length */
} lzs_target;

typedef struct lzs_sizer {
    uint32_t nb0; /* acceleration << 6 */

    /* single-block mode (n <= 64 KB) */
    uint16_t *t16;      /* working table */
    uint16_t *t16_row;  /* the row's paused table */
    int t16_base;       /* what t16 equals: 0 unknown, 1 all zero, 2 t16_row */

    uint16_t *hbuf;     /* hash4 of each position of x ⊕ y (single mode) */

    /* linked mode (n > 64 KB) */
    uint32_t *t32;
    uint32_t *t32_row;

    /* the current row: x in buf[0..x_len), the target appended after it */
    uint8_t *buf;
    size_t buf_cap;
    size_t x_len;
    int row_set;
    lzs_pos s_pos;          /* single mode: x's paused parse */
    int l_valid;            /* linked mode pause computed (lazily) */
    uint32_t l_bs;          /* start of the block holding the x/y seam */
    uint64_t l_sum;         /* sum of (4 + size) of the blocks before it */
    lzs_pos l_pos;          /* x's paused parse inside that block */
} lzs_sizer;

/* Acceleration for a python-lz4 frame level below 3 (as LZ4F computes it). */
int lzs_acceleration(int level);

/* 0 on success, -1 on allocation failure. level must be < 3. */
int lzs_init(lzs_sizer *s, int level);
void lzs_free(lzs_sizer *s);

/* Frame length of x[0..n).  Returns 0, or -1 (no memory), -2 (too big). */
int lzs_size(lzs_sizer *s, const uint8_t *x, size_t n, uint64_t *out);

/* Start pairs with source x (copied).  Same return codes. */
int lzs_row_begin(lzs_sizer *s, const uint8_t *x, size_t n);

/*
 * Precompute what pairs can reuse of target y at this level: its hashes and
 * its own parse.  *out is NULL when there is nothing to reuse (m < 4 or
 * m > 64 KB).  Returns 0, -1 (no memory) or -4 (the recorded parse did not
 * fit the arrays sized for it: a broken bound, never expected).
 */
int lzs_target_new(const uint8_t *y, size_t m, int level, lzs_target **out);
void lzs_target_free(lzs_target *t);

/* Bytes held by t's trace (0 without one), and dropping it (pairs stay
 * exact, only slower). */
size_t lzs_trace_bytes(const lzs_target *t);
void lzs_drop_trace(lzs_target *t);
/* Bytes held by t in all: the struct, its hashes and its trace. */
size_t lzs_target_mem(const lzs_target *t);

/* Frame length of x ⊕ y for the row's x; tg from lzs_target_new(y, m) or
 * NULL.  Same return codes, -3 without a row. */
int lzs_pair(lzs_sizer *s, const uint8_t *y, size_t m, const lzs_target *tg, uint64_t *out);

#ifdef __cplusplus
}
#endif
#endif /* LZ4_SIZE_H */
