/*
 * lz4_size.c - exact LZ4 frame lengths for the fast compressor, size only.
 *
 * See lz4_size.h for what is reproduced.  The block parse below follows
 * LZ4 1.9.x's fast compressor step by step (its decisions, table updates
 * and output accounting), as described in docs/lz4-engine.md and
 * lz4_size.h, and is checked against liblz4 (csrc/tests/test_lz4_size.c,
 * fuzz/fuzz_lz4_size.c) and python-lz4 (tests/test_lz4.py).
 *
 * One routine, run(), parses a block.  It is specialised at compile time by
 *   u16     single-block mode: 8192 x u16 table, 4-byte hash, no distance
 *           test; else linked mode: 4096 x u32 table, 5-byte hash, 64 KB
 *           window;
 *   checks  follow LZ4's output-budget checks (cap = n_b - 1) and stop
 *           where it gives up; in single-block mode they are not needed,
 *           since a block fails exactly when its full size is >= n_b;
 *   prefix  parse a source x alone and pause at the last point where no
 *           decision depends on bytes or length past x.  A decision that
 *           would (a probe past mflimit, a match end at mflimit, a match
 *           extension reaching matchlimit, a budget check failing with the
 *           smallest possible budget) rolls back to the last safe point:
 *           the start of the current probe or the end of the last match.
 *   rec/tr  (single-block pairs) record a target's own parse once (rec), and
 *           replay it inside a pair (tr): wherever the pair's parse is after
 *           a match ending at the same place in y as one of y alone's, the
 *           rest of its parse is y alone's for as long as each recorded
 *           table lookup gives the same answer here.  The replay checks
 *           those answers without branching on them (a branch on "match or
 *           not" is what costs in a parse) and writes the recorded table
 *           entries; at the first different answer it resumes the parse
 *           from the recorded state before that lookup.  A lookup whose
 *           match, alone, stopped extending backwards at y's first byte is
 *           never replayed past (after a source it may extend further).
 *           Linked mode (u16 0): a pair over 64 KB whose seam is in its
 *           first block replays y alone parsed by the linked rules
 *           (lzs_target.ltr) there, up to the first event whose outcome
 *           may depend on where that block ends (ecut); the output-budget
 *           checks it skips are settled after the block (lzs_pair).
 */
#include <stdlib.h>
#include <string.h>

#include "lz4_size.h"

#define ALWAYS_INLINE static inline __attribute__((always_inline))

#define T16_ENTRIES 8192u
#define T32_ENTRIES 4096u
#define TABLE_BYTES 16384u
#define MINLEN 13u     /* blocks shorter than this are all literals */
#define MAXDIST 65535u /* LZ4_DISTANCE_MAX */

enum { RUN_DONE = 0, RUN_PAUSED = 1 };

/* The hashes and reads assume a little-endian host, as LZ4's x86-64 build. */
ALWAYS_INLINE uint32_t rd32(const uint8_t *p) {
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

ALWAYS_INLINE uint64_t rd64(const uint8_t *p) {
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

ALWAYS_INLINE uint32_t hash_at(const uint8_t *p, const int u16) {
    if (u16)
        return (rd32(p) * 2654435761u) >> 19;                       /* 13 bits, 4 bytes */
    return (uint32_t)(((rd64(p) << 24) * 889523592379ull) >> 52);   /* 12 bits, 5 bytes */
}

/* Extra length bytes for a literal run or match code of v:
 * 0 below 15, else (v - 15) / 255 + 1; both are (v + 240) / 255. */
ALWAYS_INLINE uint32_t ext(uint32_t v) {
    return (v + 240) / 255;
}

/* Equal bytes of a[i] and c[i] for a + i < lim (c < a). */
ALWAYS_INLINE uint32_t count_eq(const uint8_t *a, const uint8_t *c, const uint8_t *lim) {
    const uint8_t *s = a;
    while (a + 8 <= lim) {
        uint64_t d = rd64(a) ^ rd64(c);
        if (d)
            return (uint32_t)(a - s) + ((uint32_t)__builtin_ctzll(d) >> 3);
        a += 8;
        c += 8;
    }
    while (a < lim && *a == *c) {
        a++;
        c++;
    }
    return (uint32_t)(a - s);
}

/*
 * Parse block [bs, be) of b from *P; H, if not NULL, holds hash4 of each
 * position (single-block mode only).  Full runs return RUN_DONE with the
 * block's compressed size in *res (0 when the budget checks failed).
 * Prefix runs (be = end of x) return RUN_PAUSED with *P at the pause.
 */
ALWAYS_INLINE int run(const uint8_t *restrict b, const uint16_t *restrict H, uint32_t bs,
                      uint32_t be, void *restrict tab, lzs_pos *restrict P, uint32_t nb0,
                      uint32_t cap, uint32_t *restrict res, const int u16, const int checks,
                      const int prefix, lzs_trace *restrict rec, const lzs_trace *restrict tr,
                      uint32_t X, const uint16_t *restrict Hy, const int lng, uint32_t ecut) {
    uint16_t *restrict T16 = (uint16_t *)tab;
    uint32_t *restrict T32 = (uint32_t *)tab;
    /* prefix runs: writes since the last safe point, to roll back */
    uint32_t u_idx[4], u_old[4];
    int nu = 0;
    lzs_pos safe = *P;
    const uint32_t mfl = be - 11, mlim = be - 5;
    uint32_t ip, anchor, fwd, step, nb, fh, cand, out;
    uint32_t noreplay = UINT32_MAX;
    lzs_event *ev = NULL; /* recording: the event being filled */

/* H (single-block mode, may be NULL): precomputed hash of every position */
/* lng: y's hashes are read from the target's own array Hy (not copied) */
#define HASH(p)                                                                            \
    (H ? (lng && (p) >= X ? (uint32_t)Hy[(p) - X] : (uint32_t)H[p]) : hash_at(b + (p), u16))
#define TGET(h) (u16 ? (uint32_t)T16[h] : T32[h])
#define TSET(hh, v)                                                                        \
    do {                                                                                   \
        uint32_t h_ = (hh);                                                                \
        if (prefix) {                                                                      \
            u_idx[nu] = h_;                                                                \
            u_old[nu] = TGET(h_);                                                          \
            nu++;                                                                          \
        }                                                                                  \
        if (u16)                                                                           \
            T16[h_] = (uint16_t)(v);                                                       \
        else                                                                               \
            T32[h_] = (v);                                                                 \
    } while (0)

    if (P->phase == LZS_SEARCH) {
        fwd = P->fwd;
        step = P->step;
        nb = P->nb;
        fh = P->fh;
        anchor = P->anchor;
        out = P->out;
        goto probe;
    }
    if (P->phase == LZS_AFTER) {
        ip = P->fwd;
        anchor = P->anchor;
        out = P->out;
        goto after;
    }
    anchor = bs;
    out = 0;
    if (be - bs < MINLEN) {
        if (prefix)
            goto pause;
        goto last;
    }
    TSET(HASH(bs), bs);
    ip = bs + 1;
    fh = HASH(ip);

search:
    fwd = ip;
    step = 1;
    nb = nb0;
probe:
    for (;;) {
        if (prefix) {
            safe = (lzs_pos){LZS_SEARCH, fwd, step, nb, fh, anchor, out};
            nu = 0;
        }
        uint32_t h = fh, cur = fwd;
        if (rec) {
            if (rec->nev >= rec->cap)
                goto rec_full;
            ev = &rec->ev[rec->nev];
            *ev = (lzs_event){rd32(b + cur), (uint16_t)h, (uint16_t)cur, LZS_DUMMY, 0, 0};
            rec->st[rec->nev] = (lzs_state){out, step, nb, (uint16_t)anchor, LZS_SEARCH};
        }
        cand = TGET(h);
        ip = fwd;
        fwd += step;
        step = nb >> 6;
        nb++;
        if (fwd > mfl) {
            if (prefix)
                goto pause;
            goto last;
        }
        fh = HASH(fwd);
        TSET(h, cur);
        if (!u16 && cand + MAXDIST < cur) {
            if (rec)
                rec->nev++;
            continue;
        }
        if (rd32(b + cand) == rd32(b + ip)) {
            if (rec) {
                ev->hit = 1;
                ev->cand = (uint16_t)cand;
                rec->nev++;
            }
            break;
        }
        if (rec)
            rec->nev++;
    }
    /* catch up backwards; the lower limit is the start of the input */
catch_up:
    while (ip > anchor && cand > 0 && b[ip - 1] == b[cand - 1]) {
        ip--;
        cand--;
    }
    /* Catch-up stopped by the start of y alone: joined to a source it could
     * go on, so a replay may not pass this event. */
    if (rec && cand == 0 && ip > anchor)
        ev->hit = 2;
    {
        uint32_t L = ip - anchor;
        if (checks && out + 1 + L + 8 + L / 255 > cap) {
            if (prefix)
                goto pause;
            *res = 0;
            goto done;
        }
        out += 1 + ext(L) + L;
    }
match:
    out += 2;
    {
        uint32_t k = count_eq(b + ip + 4, b + cand + 4, b + mlim);
        if (prefix && ip + 4 + k >= mlim)
            goto pause;
        if (checks && out + 6 + (k + 240) / 255 > cap) {
            if (prefix)
                goto pause;
            *res = 0;
            goto done;
        }
        out += ext(k);
        ip += 4 + k;
    }
    anchor = ip;
after:
    if (prefix) {
        safe = (lzs_pos){LZS_AFTER, ip, 0, 0, 0, anchor, out};
        nu = 0;
    }
    if (ip >= mfl) {
        if (prefix)
            goto pause;
        goto last;
    }
    int32_t k0;
    if (tr && ip >= X && ip != noreplay && (k0 = tr->ck[ip - X]) >= 0 &&
        (u16 || (uint32_t)k0 < ecut)) {
        /* y alone reached this same state: follow its recorded parse for as
         * long as every table lookup gives the same answer here (linked
         * mode: up to event ecut, the first whose outcome may depend on
         * where this block ends). */
        const lzs_event *e = &tr->ev[k0];
        const lzs_event *const ecut_e = u16 ? NULL : tr->ev + ecut;
        uint32_t off = out - tr->st[k0].out;
        uint32_t v, hit;
        for (;; e++) {
            if (u16)
                T16[e->pre_h] = (uint16_t)(X + e->pos - 2);
            else
                T32[e->pre_h] = X + e->pos - 2;
            v = TGET(e->h);
            hit = rd32(b + v) == e->v4;
            if (!u16)
                hit &= v + MAXDIST >= X + e->pos;
            /* branch-free: whether a lookup matches is what mispredicts;
             * the end (hit 3) and no-replay (2) events never agree */
            uint32_t bad = (hit ^ e->hit) | (hit & (v != X + e->cand));
            if (!u16)
                bad |= e >= ecut_e;
            if (bad)
                break;
            if (u16)
                T16[e->h] = (uint16_t)(X + e->pos);
            else
                T32[e->h] = X + e->pos;
        }
        const lzs_state *st = &tr->st[e - tr->ev];
        if (e->hit == 3) {
            *res = st->out + off;
            goto done;
        }
        /* diverged: resume the parse in the state before event e or, when
         * e's lookup found a match here (the usual difference), at that
         * match: the parse would make the same lookup and find it again */
        anchor = X + st->anchor;
        out = st->out + off;
        ip = X + e->pos;
        if (!u16 && e >= ecut_e)
            hit = 0; /* at the cut: the block's end may decide first */
        if (st->phase == LZS_AFTER) {
            if (hit) {
                if (u16)
                    T16[e->h] = (uint16_t)ip;
                else
                    T32[e->h] = ip;
                cand = v;
                out += 1;
                goto match;
            }
            noreplay = ip;
            goto after;
        }
        if (hit) { /* (a match restarts the search: no probe state needed) */
            if (u16)
                T16[e->h] = (uint16_t)ip;
            else
                T32[e->h] = ip;
            cand = v;
            goto catch_up;
        }
        fwd = ip;
        step = st->step;
        nb = st->nb;
        fh = HASH(fwd);
        goto probe;
    }
    if (rec) {
        if (rec->nev >= rec->cap || ip >= rec->m)
            goto rec_full;
        rec->ck[ip] = (int32_t)rec->nev;
        rec->st[rec->nev] = (lzs_state){out, 0, 0, (uint16_t)ip, LZS_AFTER};
        ev = &rec->ev[rec->nev++];
        *ev = (lzs_event){rd32(b + ip), (uint16_t)HASH(ip), (uint16_t)ip,
                          (uint16_t)HASH(ip - 2), 0, 0};
    }
    TSET(HASH(ip - 2), ip - 2);
    {
        uint32_t h = HASH(ip);
        cand = TGET(h);
        TSET(h, ip);
        if ((u16 || cand + MAXDIST >= ip) && rd32(b + cand) == rd32(b + ip)) {
            if (rec) {
                ev->hit = 1;
                ev->cand = (uint16_t)cand;
            }
            out += 1;
            goto match;
        }
    }
    ip++;
    fh = HASH(ip);
    goto search;

last: {
    uint32_t R = be - anchor;
    if (checks && out + R + 1 + (R + 240) / 255 > cap) {
        *res = 0;
        goto done;
    }
    *res = out + 1 + ext(R) + R;
    if (rec) {
        if (rec->nev >= rec->cap)
            goto rec_full;
        rec->st[rec->nev] = (lzs_state){*res, 0, 0, 0, 0};
        rec->ev[rec->nev++] = (lzs_event){0, 0, 0, LZS_DUMMY, 0, 3};
    }
}
done:
    return RUN_DONE;

rec_full:
    /* Recording only (rec is NULL in every other specialisation, so this
     * and the checks that jump here compile away there). */
    rec->full = 1;
    *res = 0;
    return RUN_DONE;

pause:
    while (nu > 0) {
        nu--;
        if (u16)
            T16[u_idx[nu]] = (uint16_t)u_old[nu];
        else
            T32[u_idx[nu]] = u_old[nu];
    }
    *P = safe;
    return RUN_PAUSED;
#undef HASH
#undef TGET
#undef TSET
}

/* The four specialisations. */
static uint32_t single_full(const uint8_t *b, uint32_t n, uint16_t *t, lzs_pos pos,
                            uint32_t nb0) {
    uint32_t res = 0;
    run(b, NULL, 0, n, t, &pos, nb0, 0, &res, 1, 0, 0, NULL, NULL, 0, NULL, 0, 0);
    return res;
}

static uint32_t single_full_h(const uint8_t *b, const uint16_t *H, uint32_t n, uint16_t *t,
                              lzs_pos pos, uint32_t nb0) {
    uint32_t res = 0;
    run(b, H, 0, n, t, &pos, nb0, 0, &res, 1, 0, 0, NULL, NULL, 0, NULL, 0, 0);
    return res;
}

/* A pair x ⊕ y in single-block mode, replaying y's own parse where it can. */
static uint32_t single_replay(const uint8_t *b, const uint16_t *H, uint32_t n, uint16_t *t,
                              lzs_pos pos, uint32_t nb0, const lzs_trace *tr, uint32_t X) {
    uint32_t res = 0;
    run(b, H, 0, n, t, &pos, nb0, 0, &res, 1, 0, 0, NULL, tr, X, NULL, 0, 0);
    return res;
}

/* The same for a long target (LZS_LONG_MIN bytes or more): y's hashes are
 * read from Hy, the target's own array, instead of being copied per pair. */
static uint32_t single_replay_long(const uint8_t *b, const uint16_t *H, uint32_t n, uint16_t *t,
                                   lzs_pos pos, uint32_t nb0, const lzs_trace *tr, uint32_t X,
                                   const uint16_t *Hy) {
    uint32_t res = 0;
    run(b, H, 0, n, t, &pos, nb0, 0, &res, 1, 0, 0, NULL, tr, X, Hy, 1, 0);
    return res;
}

/* y alone, recording its parse. */
static uint32_t single_record(const uint8_t *b, const uint16_t *H, uint32_t n, uint16_t *t,
                              uint32_t nb0, lzs_trace *rec) {
    uint32_t res = 0;
    lzs_pos pos = {LZS_START, 0, 0, 0, 0, 0, 0};
    run(b, H, 0, n, t, &pos, nb0, 0, &res, 1, 0, 0, rec, NULL, 0, NULL, 0, 0);
    return res;
}

static void single_prefix(const uint8_t *b, uint32_t n, uint16_t *t, lzs_pos *pos, uint32_t nb0) {
    uint32_t res;
    run(b, NULL, 0, n, t, pos, nb0, 0, &res, 1, 0, 1, NULL, NULL, 0, NULL, 0, 0);
}

static uint32_t linked_full(const uint8_t *b, uint32_t bs, uint32_t be, uint32_t *t, lzs_pos pos,
                            uint32_t nb0) {
    uint32_t res = 0;
    run(b, NULL, bs, be, t, &pos, nb0, be - bs - 1, &res, 0, 1, 0, NULL, NULL, 0, NULL, 0, 0);
    return res;
}

/* Linked block [0, be) of a pair x ⊕ y whose seam is in it, from x's pause,
 * replaying tr (y alone parsed by the linked rules) up to event ecut; the
 * budget checks of the replayed stretches are not made (see lzs_pair). */
static uint32_t linked_replay(const uint8_t *b, uint32_t be, uint32_t *t, lzs_pos pos,
                              uint32_t nb0, const lzs_trace *tr, uint32_t X, uint32_t ecut) {
    uint32_t res = 0;
    run(b, NULL, 0, be, t, &pos, nb0, be - 1, &res, 0, 1, 0, NULL, tr, X, NULL, 0, ecut);
    return res;
}

/* y alone parsed by the linked rules (4096 x u32 table, 5-byte hash, 64 KB
 * window) as one block without budget checks, recording its parse. */
static void linked_record(const uint8_t *b, uint32_t n, uint32_t *t, uint32_t nb0,
                          lzs_trace *rec) {
    uint32_t res = 0;
    lzs_pos pos = {LZS_START, 0, 0, 0, 0, 0, 0};
    run(b, NULL, 0, n, t, &pos, nb0, 0, &res, 0, 0, 0, rec, NULL, 0, NULL, 0, 0);
}

static void linked_prefix(const uint8_t *b, uint32_t bs, uint32_t x_end, uint32_t *t,
                          lzs_pos *pos, uint32_t nb0) {
    uint32_t res;
    /* the smallest budget any target can give this block */
    run(b, NULL, bs, x_end, t, pos, nb0, x_end - bs - 1, &res, 0, 1, 1, NULL, NULL, 0, NULL, 0, 0);
}

/* ---------------------------------------------------------------- frames */

static const lzs_pos START = {LZS_START, 0, 0, 0, 0, 0, 0};

ALWAYS_INLINE uint64_t frame_len(size_t n, uint64_t blocks) {
    /* magic 4, FLG 1, BD 1, content size 8 (n > 0), HC 1, end mark 4 */
    return n == 0 ? 11 : 19 + blocks;
}

/* Blocks from bs to n in linked mode, the first from *pos; table t as is. */
static uint64_t linked_blocks(const uint8_t *b, size_t n, uint32_t bs, lzs_pos pos, uint32_t *t,
                              uint32_t nb0) {
    uint64_t sum = 0;
    while (bs < n) {
        uint32_t be = (n - bs > LZS_BLOCK) ? bs + LZS_BLOCK : (uint32_t)n;
        uint32_t c = linked_full(b, bs, be, t, pos, nb0);
        sum += 4 + (c ? c : be - bs);
        pos = START;
        bs = be;
    }
    return sum;
}

int lzs_acceleration(int level) {
    if (level >= 0)
        return 1;
    if (level < -65536)
        return 65537; /* LZ4_ACCELERATION_MAX */
    return 1 - level;
}

int lzs_init(lzs_sizer *s, int level) {
    memset(s, 0, sizeof *s);
    s->nb0 = (uint32_t)lzs_acceleration(level) << 6;
    s->t16 = calloc(T16_ENTRIES + 8, sizeof *s->t16); /* + LZS_DUMMY */
    s->t16_row = calloc(T16_ENTRIES, sizeof *s->t16_row);
    s->t32 = calloc(LZS_DUMMY + 8, sizeof *s->t32); /* + LZS_DUMMY (linked replays) */
    s->t32_row = calloc(T32_ENTRIES, sizeof *s->t32_row);
    s->hbuf = malloc((LZS_BLOCK + 16) * sizeof *s->hbuf);
    if (!s->t16 || !s->t16_row || !s->t32 || !s->t32_row || !s->hbuf) {
        lzs_free(s);
        return -1;
    }
    s->t16_base = 1;
    return 0;
}

void lzs_free(lzs_sizer *s) {
    free(s->t16);
    free(s->t16_row);
    free(s->t32);
    free(s->t32_row);
    free(s->hbuf);
    free(s->buf);
    memset(s, 0, sizeof *s);
}

/* Make t16 equal to the zero table (want 1) or to t16_row (want 2). */
static void t16_make(lzs_sizer *s, int want) {
    if (s->t16_base == want)
        return;
    if (want == 1)
        memset(s->t16, 0, TABLE_BYTES);
    else
        memcpy(s->t16, s->t16_row, TABLE_BYTES);
    s->t16_base = want;
}

/* Single-block frame of b[0..n) from pos over base table `want`
 * (H: hashes of b's positions, or NULL). */
static uint64_t single_frame(lzs_sizer *s, const uint8_t *b, const uint16_t *H,
                             const lzs_trace *tr, uint32_t X, uint32_t n, lzs_pos pos,
                             int want, const uint16_t *Hy) {
    if (n == 0)
        return frame_len(0, 0);
    t16_make(s, want);
    uint32_t c = tr && Hy ? single_replay_long(b, H, n, s->t16, pos, s->nb0, tr, X, Hy)
                 : tr     ? single_replay(b, H, n, s->t16, pos, s->nb0, tr, X)
                 : H ? single_full_h(b, H, n, s->t16, pos, s->nb0)
                     : single_full(b, n, s->t16, pos, s->nb0);
    /* Copying the 16 KB table back (next time) is cheaper than logging
     * every write and undoing them, even for short texts. */
    s->t16_base = 0;
    return frame_len(n, 4 + (uint64_t)(c < n ? c : n));
}

int lzs_size(lzs_sizer *s, const uint8_t *x, size_t n, uint64_t *out) {
    if (n > LZS_MAX_INPUT)
        return -2;
    if (n <= LZS_BLOCK) {
        *out = single_frame(s, x, NULL, NULL, 0, (uint32_t)n, START, 1, NULL);
        return 0;
    }
    memset(s->t32, 0, TABLE_BYTES);
    *out = frame_len(n, linked_blocks(x, n, 0, START, s->t32, s->nb0));
    return 0;
}

static int buf_reserve(lzs_sizer *s, size_t need) {
    need += 16; /* slack for word reads */
    if (need <= s->buf_cap)
        return 0;
    size_t c = s->buf_cap ? s->buf_cap : 4096; /* never 0: no zero-size realloc */
    while (c < need) {
        if (c > SIZE_MAX / 2)
            return -1;
        c *= 2;
    }
    uint8_t *p = realloc(s->buf, c);
    if (!p)
        return -1;
    s->buf = p;
    s->buf_cap = c;
    return 0;
}

int lzs_row_begin(lzs_sizer *s, const uint8_t *x, size_t n) {
    s->row_set = 0;
    if (n > LZS_MAX_INPUT)
        return -2;
    if (buf_reserve(s, n))
        return -1;
    if (n)
        memcpy(s->buf, x, n);
    s->x_len = n;
    s->l_valid = 0;
    s->s_pos = START;
    if (n <= LZS_BLOCK) {
        for (size_t i = 0; i + 4 <= n; i++)
            s->hbuf[i] = (uint16_t)hash_at(s->buf + i, 1);
        /* parse x alone on a zero table, keep the paused table */
        t16_make(s, 1);
        single_prefix(s->buf, (uint32_t)n, s->t16, &s->s_pos, s->nb0);
        memcpy(s->t16_row, s->t16, TABLE_BYTES);
        s->t16_base = 2;
    }
    s->row_set = 1;
    return 0;
}

/* The linked-mode pause of x: blocks wholly inside x, then x's part of the next. */
static void linked_pause(lzs_sizer *s) {
    uint32_t X = (uint32_t)s->x_len;
    uint32_t *t = s->t32_row;
    memset(t, 0, TABLE_BYTES);
    uint32_t bs = 0;
    uint64_t sum = 0;
    while (X - bs >= LZS_BLOCK) {
        uint32_t c = linked_full(s->buf, bs, bs + LZS_BLOCK, t, START, s->nb0);
        sum += 4 + (c ? c : LZS_BLOCK);
        bs += LZS_BLOCK;
    }
    s->l_pos = START;
    if (X > bs)
        linked_prefix(s->buf, bs, X, t, &s->l_pos, s->nb0);
    s->l_bs = bs;
    s->l_sum = sum;
    s->l_valid = 1;
}

static void trace_free(lzs_trace *tr) {
    free(tr->ev);
    free(tr->st);
    free(tr->reach);
    free(tr->ck);
    memset(tr, 0, sizeof *tr);
}

void lzs_target_free(lzs_target *t) {
    if (!t)
        return;
    free(t->hash);
    trace_free(&t->tr);
    trace_free(&t->ltr);
    free(t);
}

static size_t trace_bytes(const lzs_trace *tr) {
    if (!tr->ev)
        return 0;
    return tr->nev * (sizeof *tr->ev + sizeof *tr->st + (tr->reach ? sizeof *tr->reach : 0)) +
           tr->m * sizeof *tr->ck;
}

size_t lzs_trace_bytes(const lzs_target *t) {
    return t ? trace_bytes(&t->tr) + trace_bytes(&t->ltr) : 0;
}

size_t lzs_target_mem(const lzs_target *t) {
    if (!t)
        return 0;
    return sizeof *t + (size_t)(t->m - 3) * sizeof *t->hash + lzs_trace_bytes(t);
}

void lzs_drop_trace(lzs_target *t) {
    trace_free(&t->tr);
    trace_free(&t->ltr);
}

/* Record y's own parse into tr: by the single-block rules (hashes H), or
 * by the linked ones (H NULL).  0, -1 (no memory) or -4 (a broken bound). */
static int trace_record(lzs_trace *tr, const uint8_t *y, const uint16_t *H, uint32_t m,
                        uint32_t nb0) {
    /* y's own parse: at most one event per probed position (probes move
     * forward, at most m), one per match (each covers at least 4 bytes: at
     * most m / 4) and the end.  run() checks every write against cap and
     * m, and stops recording (tr->full) rather than write past them. */
    size_t cap = m + m / 4 + 8;
    void *tab = calloc(T16_ENTRIES + 8, sizeof(uint16_t)); /* 16 KB: either table */
    tr->ev = malloc(cap * sizeof *tr->ev);
    tr->st = malloc(cap * sizeof *tr->st);
    tr->ck = malloc(m * sizeof *tr->ck);
    if (!tab || !tr->ev || !tr->st || !tr->ck) {
        free(tab);
        trace_free(tr);
        return -1;
    }
    for (size_t i = 0; i < m; i++)
        tr->ck[i] = -1;
    tr->m = m;
    tr->cap = (uint32_t)cap;
    if (H)
        single_record(y, H, m, tab, nb0, tr);
    else
        linked_record(y, m, tab, nb0, tr);
    free(tab);
    if (tr->full || tr->nev == 0) { /* the bound above broke */
        trace_free(tr);
        return -4;
    }
    /* give back the unused tail (nev >= 1: never a zero-size realloc) */
    lzs_event *ev = realloc(tr->ev, tr->nev * sizeof *ev);
    if (ev)
        tr->ev = ev;
    lzs_state *st = realloc(tr->st, tr->nev * sizeof *st);
    if (st)
        tr->st = st;
    tr->cap = tr->nev;
    if (!H) {
        /* linked rules: how far into y each event's outcome looks (the next
         * event's position, and a probe's next probe position, which the
         * parse tests against mflimit before the match), as a running
         * maximum; the end and the event before it look to the end */
        if (!(tr->reach = malloc(tr->nev * sizeof *tr->reach))) {
            trace_free(tr);
            return -1;
        }
        uint32_t mx = 0;
        for (uint32_t i = 0; i < tr->nev; i++) {
            uint32_t r = i + 2 < tr->nev ? tr->ev[i + 1].pos : UINT32_MAX;
            if (tr->st[i].phase == LZS_SEARCH && r < tr->ev[i].pos + tr->st[i].step)
                r = tr->ev[i].pos + tr->st[i].step;
            mx = r > mx ? r : mx;
            tr->reach[i] = mx;
        }
    }
    return 0;
}

int lzs_target_new(const uint8_t *y, size_t m, int level, lzs_target **out) {
    *out = NULL;
    if (m < 4 || m > LZS_BLOCK)
        return 0;
    lzs_target *t = calloc(1, sizeof *t);
    if (!t)
        return -1;
    t->m = (uint32_t)m;
    t->hash = malloc((m - 3) * sizeof *t->hash);
    if (!t->hash) {
        lzs_target_free(t);
        return -1;
    }
    for (size_t i = 0; i + 4 <= m; i++)
        t->hash[i] = (uint16_t)hash_at(y + i, 1);
    uint32_t nb0 = (uint32_t)lzs_acceleration(level) << 6;
    int rc = 0;
    if (m >= MINLEN)
        rc = trace_record(&t->tr, y, t->hash, (uint32_t)m, nb0);
    if (rc == 0 && m >= LZS_LINKED_MIN)
        rc = trace_record(&t->ltr, y, NULL, (uint32_t)m, nb0);
    if (rc != 0) {
        lzs_target_free(t);
        return rc;
    }
    *out = t;
    return 0;
}

int lzs_pair(lzs_sizer *s, const uint8_t *y, size_t m, const lzs_target *tg, uint64_t *out) {
    if (!s->row_set)
        return -3;
    size_t X = s->x_len;
    if (m > LZS_MAX_INPUT || X + m > LZS_MAX_INPUT)
        return -2;
    if (buf_reserve(s, X + m))
        return -1;
    if (m)
        memcpy(s->buf + X, y, m);
    size_t n = X + m;
    if (n <= LZS_BLOCK) {
        uint16_t *H = s->hbuf;
        /* hashes across the seam, then y's own */
        for (size_t i = X > 3 ? X - 3 : 0; i < X && i + 4 <= n; i++)
            H[i] = (uint16_t)hash_at(s->buf + i, 1);
        const lzs_trace *tr = tg && tg->tr.ev ? &tg->tr : NULL;
        /* a long target's replay reads its hashes where they are */
        const uint16_t *Hy = tr && m >= LZS_LONG_MIN ? tg->hash : NULL;
        if (tg && !Hy)
            memcpy(H + X, tg->hash, (m - 3) * sizeof *H);
        else if (!tg)
            for (size_t i = X; i + 4 <= n; i++)
                H[i] = (uint16_t)hash_at(s->buf + i, 1);
        *out = single_frame(s, s->buf, H, tr, (uint32_t)X, (uint32_t)n, s->s_pos, 2, Hy);
        return 0;
    }
    if (!s->l_valid)
        linked_pause(s);
    memcpy(s->t32, s->t32_row, TABLE_BYTES);
    const lzs_trace *lt = tg && tg->ltr.ev ? &tg->ltr : NULL;
    if (lt && s->l_bs == 0 && X + 16 < LZS_BLOCK) {
        /* The seam is in the first block: replay y alone's linked parse in
         * it, up to its first event whose outcome may depend on where this
         * block ends (one that looks as far as the block's mflimit). */
        uint32_t B = LZS_BLOCK - 11 - (uint32_t)X, lo = 0, hi = lt->nev - 1; /* the end: reach max */
        while (lo < hi) {
            uint32_t mid = lo + (hi - lo) / 2;
            if (lt->reach[mid] >= B)
                hi = mid;
            else
                lo = mid + 1;
        }
        uint32_t c = linked_replay(s->buf, LZS_BLOCK, s->t32, s->l_pos, s->nb0, lt, (uint32_t)X,
                                   lo);
        /* The replayed stretches skip LZ4's output-budget checks: none of
         * them can have failed if the block fits 8 bytes under its budget
         * (each check asks for at most 8 bytes more than the output then
         * held, and the output only grows); else parse the block again. */
        if (c == 0 || c + 8 > LZS_BLOCK - 1) {
            memcpy(s->t32, s->t32_row, TABLE_BYTES);
            c = linked_full(s->buf, 0, LZS_BLOCK, s->t32, s->l_pos, s->nb0);
        }
        uint64_t sum = 4 + (c ? c : LZS_BLOCK);
        *out = frame_len(n, sum + linked_blocks(s->buf, n, LZS_BLOCK, START, s->t32, s->nb0));
        return 0;
    }
    *out = frame_len(n, s->l_sum + linked_blocks(s->buf, n, s->l_bs, s->l_pos, s->t32, s->nb0));
    return 0;
}
