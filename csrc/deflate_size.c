/*
 * deflate_size.c - exact deflate lengths: parse model and block costs.
 *
 * Written from the behaviour described in docs/engine.md and checked
 * against the system zlib (csrc/tests/, fuzz/); no zlib source is
 * included here.
 */
#include "deflate_size.h"

#include <stdlib.h>
#include <string.h>
/* x86-64 paths (SSE2, conditional moves in asm); DS_PORTABLE builds the
 * plain-C ones, which other CPUs use, so that tests can check them here. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(DS_PORTABLE)
#define DS_X86 1
#include <immintrin.h>
#else
#define DS_X86 0
#endif

/* ------------------------------------------------------------ config */

int ds_cfg_for_level(int level, ds_cfg *c) {
    static const uint16_t tab[10][4] = {
        /* good lazy nice chain */
        {0, 0, 0, 0},       {4, 4, 8, 4},       {4, 5, 16, 8},      {4, 6, 32, 32},
        {4, 4, 16, 16},     {8, 16, 32, 32},    {8, 16, 128, 128},  {8, 32, 128, 256},
        {32, 128, 258, 1024}, {32, 258, 258, 4096},
    };
    if (level < 1 || level > 9)
        return -1;
    c->good = tab[level][0];
    c->lazy = tab[level][1];
    c->nice = tab[level][2];
    c->chain = tab[level][3];
    c->slow = level >= 4;
    return 0;
}

/* ------------------------------------------------------------ symbols */

/* Length code index 0..28 for match length 3..258. */
static inline unsigned len_code(unsigned len) {
    unsigned lc = len - 3;
    if (lc < 8)
        return lc;
    if (lc == 255)
        return 28;
    unsigned e = 31u - (unsigned)__builtin_clz(lc) - 2u;
    return 4u * (e + 1u) + ((lc >> e) & 3u);
}

/* Distance code 0..29 for distance 1..32768. */
static inline unsigned dist_code(unsigned dist) {
    unsigned d = dist - 1;
    if (d < 4)
        return d;
    unsigned e = 31u - (unsigned)__builtin_clz(d) - 1u;
    return 2u * (e + 1u) + ((d >> e) & 1u);
}

/* ------------------------------------------------------------ trees */

#define HEAP_SIZE (2 * DS_L_CODES + 1)

/*
 * One Huffman tree as zlib builds it; only lengths and costs are kept.
 * Heap entries are packed as freq << 17 | depth << 11 | 1 << 10 | node:
 * zlib's order "freq, then depth, ties count as smaller" compares the bits
 * from 11 up (the key), and since every entry has bit 10 set, "key(a) <=
 * key(b)" is the one comparison (a & ~LOW_MASK) < b, with nothing to
 * compute on b.
 * A block has at most 16384 symbols, so freq < 2^15 and a Huffman tree of
 * that weight is less than 32 levels deep.
 */
typedef struct tree_work {
    uint16_t freq[HEAP_SIZE + 16]; /* leaves' weights; zero past elems */
    uint16_t dad[HEAP_SIZE];
    uint16_t len[HEAP_SIZE];
    uint32_t heap[HEAP_SIZE + 1];  /* the heap, 1-based; INF-padded in lockstep */
    uint32_t order[HEAP_SIZE];     /* popped entries, zlib's heap[heap_max..] */
    int heap_len, max_code;
    int elems;    /* leaves' symbol range; internal nodes are numbered from it */
    int order_ok; /* order[] was written (tree_merge; tree_merge4 skips it) */
} tree_work;

enum { KIND_LIT, KIND_DIST, KIND_BL };

#define NODE_BITS 10
#define DEPTH_BITS 6
#define KEY_SHIFT (NODE_BITS + 1)
#define LOW_MASK ((1u << KEY_SHIFT) - 1)
#define PACK(f, d, n)                                                                      \
    (((uint32_t)(f) << (DEPTH_BITS + KEY_SHIFT)) | ((uint32_t)(d) << KEY_SHIFT) |          \
     (1u << NODE_BITS) | (uint32_t)(n))
#define P_NODE(v) ((int)((v) & ((1u << NODE_BITS) - 1)))
#define P_DEPTH(v) (((v) >> KEY_SHIFT) & ((1u << DEPTH_BITS) - 1))
#define P_FREQ(v) ((v) >> (DEPTH_BITS + KEY_SHIFT))
/* key(a) <= key(b), for entries or HEAP_INF */
#define KEY_LE(a, b) (((a) & ~LOW_MASK) < (b))
/* Above every entry (a block's weight is < 2^15); KEY_LE(entry, HEAP_INF). */
#define HEAP_INF 0xfffff800u

/*
 * zlib's pqdownheap: ties count as smaller, right child only if smaller.
 * The child is picked with masks (that comparison is a coin flip), the
 * loop exit stays a branch: measured on real block frequencies, this beat
 * both the all-branch and the all-select loops.
 * heap[j + 1] may be read one past heap_len; it is never used then.
 */
static inline void sift_down(uint32_t *heap, int heap_len, int k) {
    uint32_t v = heap[k];
    for (;;) {
        int j = k << 1;
        if (j > heap_len)
            break;
        uint32_t c = heap[j], r = heap[j + 1];
        uint32_t right = (uint32_t)(j < heap_len) & (uint32_t)KEY_LE(r, c);
        uint32_t sel = 0u - right;
        c = (r & sel) | (c & ~sel);
        j += (int)right;
        if (KEY_LE(v, c))
            break;
        heap[k] = c;
        k = j;
    }
    heap[k] = v;
}

#if !DS_X86
/* With a < b: *x1 = x2 and *y1 = y2 (else both kept), with masks (the
 * comparison is a coin flip: a branch would mispredict half the time). */
static inline __attribute__((always_inline)) void move_lt(uint32_t a, uint32_t b, uint32_t *x1,
                                                          uint32_t x2, uint32_t *y1,
                                                          uint32_t y2) {
    uint32_t m = 0u - (uint32_t)(a < b);
    *x1 = (x2 & m) | (*x1 & ~m);
    *y1 = (y2 & m) | (*y1 & ~m);
}
#endif

/*
 * One level of sift_down without a branch, for heaps whose unused slots
 * hold HEAP_INF: move v's hole at *k one level down if a child is smaller,
 * else (re)write v at *k.  Once v has stopped it stays stopped, so a fixed
 * number of levels (the heap's depth) does what sift_down does.  vkey is
 * v & ~LOW_MASK.
 */
static inline __attribute__((always_inline)) void sift_level(uint32_t *heap, uint32_t v,
                                                             uint32_t vkey, uint32_t *k) {
    uint64_t j = (uint64_t)*k << 1;
    uint32_t ch = heap[j], r = heap[j + 1], rkey = r & ~LOW_MASK;
#if DS_X86
    /* the carry flag (KEY_LE) also adds the right child's offset to j */
    __asm__("cmpl %[ch], %[rkey]\n\tcmovbl %[r], %[ch]\n\tadcq $0, %[j]"
            : [ch] "+r"(ch), [j] "+r"(j)
            : [r] "r"(r), [rkey] "r"(rkey)
            : "cc");
    uint32_t put = ch, kk = (uint32_t)j;
    __asm__("cmpl %[ch], %[vkey]\n\tcmovbl %[v], %[put]\n\tcmovbl %[k], %[kk]"
            : [put] "+r"(put), [kk] "+r"(kk)
            : [v] "r"(v), [vkey] "r"(vkey), [ch] "r"(ch), [k] "r"(*k)
            : "cc");
#else
    uint32_t jj = (uint32_t)j;
    move_lt(rkey, ch, &ch, r, &jj, jj + 1); /* the smaller child, ties to the right */
    uint32_t put = ch, kk = jj;
    move_lt(vkey, ch, &put, v, &kk, *k); /* v stops here */
#endif
    heap[*k] = put;
    *k = kk;
}

/* Sift v[i] down from k[i] in heap h[i] for four lanes, `depth` levels,
 * and put it where it stopped.  A macro: as an inline function taking
 * arrays it kept k and v in memory and was measurably slower. */
#define SIFT4(h, v, k, depth)                                                              \
    do {                                                                                   \
        for (int l_ = 0; l_ < (depth); l_++) {                                             \
            sift_level((h)[0], (v)[0], (v)[0] & ~LOW_MASK, &(k)[0]);                       \
            sift_level((h)[1], (v)[1], (v)[1] & ~LOW_MASK, &(k)[1]);                       \
            sift_level((h)[2], (v)[2], (v)[2] & ~LOW_MASK, &(k)[2]);                       \
            sift_level((h)[3], (v)[3], (v)[3] & ~LOW_MASK, &(k)[3]);                       \
        }                                                                                  \
        for (int i_ = 0; i_ < 4; i_++)                                                     \
            (h)[i_][(k)[i_]] = (v)[i_];                                                    \
    } while (0)

/*
 * Collect the leaves of in[0..elems) (copied to w->freq) into w's heap, in
 * symbol order (tree_merge/tree_merge4 heapify it); sets w->heap_len and
 * w->max_code.  zlib's "at least two
 * codes" rule adds symbols of weight 1, whose costs come off *opt and *stat.
 */
static void tree_init(tree_work *w, const uint16_t *in, int elems, int kind, int64_t *opt,
                      int64_t *stat);
/* zlib's merge loop, one heap; the popped entries go to w->order. */
static void tree_merge(tree_work *w, int elems);
/* The same for up to four heaps at once (w[0..n)), their levels interleaved. */
static void tree_merge4(tree_work *const *w, int n, int elems);
/* Code lengths from the merged tree, clamped at maxlen as zlib does; adds
 * the cost of the codes (weight times length) to *opt. */
static void tree_lengths(tree_work *w, int maxlen, int64_t *opt);

/*
 * Extra bits per symbol, and static code length + extra bits per symbol
 * (RFC 1951: lengths 8/9/7/8 for literal/length codes 0-143/144-255/
 * 256-279/280-287, 5 for distances; extra bits of length codes 265-284 and
 * distance codes 4-29; 2/3/7 extra bits for bit-length codes 16/17/18).
 */
static const uint8_t lit_xbits[286] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4,
    4, 4, 5, 5, 5, 5, 0,
};
static const uint8_t lit_sbits[286] = {
    8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8,
    8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8,
    8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8,
    8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8,
    8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9,
    9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9,
    9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9,
    9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9,
    9, 9, 9, 9, 9, 9, 9, 9, 7, 7, 7, 7, 7, 7, 7, 7, 7, 8, 8, 8, 8, 9, 9, 9, 9, 10, 10, 10, 10,
    11, 11, 11, 12, 13, 13, 13, 13, 8,
};
static const uint8_t dist_xbits[30] = {
    0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12,
    13, 13,
};
static const uint8_t dist_sbits[30] = {
    5, 5, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13, 14, 14, 15, 15, 16, 16,
    17, 17, 18, 18,
};
static const uint8_t bl_xbits[19] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 3, 7,
};

/* Bit i set when f[i] != 0, for i < 64 (f has 64 readable entries). */
static inline uint64_t nonzero_bits(const uint16_t *f) {
    uint64_t m = 0;
#if DS_X86
    const __m128i zero = _mm_setzero_si128();
    for (int i = 0; i < 64; i += 16) {
        __m128i a = _mm_cmpeq_epi16(_mm_loadu_si128((const __m128i *)(f + i)), zero);
        __m128i b = _mm_cmpeq_epi16(_mm_loadu_si128((const __m128i *)(f + i + 8)), zero);
        uint32_t z = (uint32_t)_mm_movemask_epi8(_mm_packs_epi16(a, b));
        m |= (uint64_t)(~z & 0xffffu) << i;
    }
#else
    for (int i = 0; i < 64; i++)
        m |= (uint64_t)(f[i] != 0) << i;
#endif
    return m;
}

static void tree_init(tree_work *w, const uint16_t *in, int elems, int kind, int64_t *opt,
                      int64_t *stat) {
    const uint8_t *xbits = kind == KIND_LIT ? lit_xbits : kind == KIND_DIST ? dist_xbits : bl_xbits;
    const uint8_t *sbits = kind == KIND_LIT ? lit_sbits : dist_sbits; /* unused for KIND_BL */
    uint32_t *heap = w->heap;
    int max_code = -1, heap_len = 0;
    int64_t o = 0, st = 0;
    memcpy(w->freq, in, (size_t)elems * sizeof *in);
    memset(w->freq + elems, 0, ((size_t)(elems + 63) / 64 * 64 - (size_t)elems) * sizeof *in);
    memset(w->len, 0, (size_t)elems * sizeof w->len[0]);
    /* The leaves in symbol order; the extra bits and the static code's
     * cost do not depend on the tree, so they are summed here. */
    for (int base = 0; base < elems; base += 64) {
        for (uint64_t m = nonzero_bits(w->freq + base); m; m &= m - 1) {
            int n = base + __builtin_ctzll(m);
            uint32_t f = w->freq[n];
            heap[++heap_len] = PACK(f, 0, n);
            o += (int64_t)f * xbits[n];
            if (kind != KIND_BL)
                st += (int64_t)f * sbits[n];
            max_code = n;
        }
    }
    while (heap_len < 2) {
        int node = max_code < 2 ? ++max_code : 0;
        w->freq[node] = 1;
        heap[++heap_len] = PACK(1, 0, node);
        o += xbits[node] - 1;
        if (kind != KIND_BL)
            st += xbits[node];
    }
    *opt += o;
    if (kind != KIND_BL)
        *stat += st;
    w->heap_len = heap_len;
    w->max_code = max_code;
    w->elems = elems;
}

static void tree_merge(tree_work *w, int elems) {
    uint32_t *heap = w->heap, *order = w->order;
    int heap_len = w->heap_len, heap_max = HEAP_SIZE, node = elems;
    for (int k = heap_len / 2; k >= 1; k--)
        sift_down(heap, heap_len, k);
    do {
        uint32_t n = heap[1];
        heap[1] = heap[heap_len--];
        sift_down(heap, heap_len, 1);
        uint32_t m = heap[1];
        order[--heap_max] = n;
        order[--heap_max] = m;
        unsigned dn = P_DEPTH(n), dm = P_DEPTH(m);
        w->dad[P_NODE(n)] = w->dad[P_NODE(m)] = (uint16_t)node;
        heap[1] = PACK(P_FREQ(n) + P_FREQ(m), (dn >= dm ? dn : dm) + 1, node);
        node++;
        sift_down(heap, heap_len, 1);
    } while (heap_len >= 2);
    order[--heap_max] = heap[1];
    w->order_ok = 1;
}

/*
 * Four independent heaps in lockstep: each sift runs the deepest lane's
 * depth in branch-free levels (sift_level), so the four dependency chains
 * overlap instead of each sift waiting on its loads and mispredicted exit.
 * Every lane does exactly what tree_merge does, but for the pop order
 * (w->order), which only the rare too-long-code repair needs: tree_lengths
 * merges that tree again with tree_merge then.  A lane that is finished
 * (or absent, n < 4) sifts a dummy heap.
 */
static void tree_merge4(tree_work *const *w, int n, int elems) {
    uint32_t dummy[4] = {0, HEAP_INF, HEAP_INF, HEAP_INF};
    uint32_t *h[4], v[4], nn[4] = {0}, k[4];
    int len[4], node[4], live = 0;
    for (int i = 0; i < 4; i++) {
        len[i] = i < n ? w[i]->heap_len : 0;
        node[i] = elems;
        if (i < n) {
            for (int q = len[i] + 1; q <= 2 * len[i] + 1; q++)
                w[i]->heap[q] = HEAP_INF;
            live += len[i] >= 2;
        }
    }
    /* heapify: lane i sifts position q while q <= len[i] / 2 */
    int top = 0;
    for (int i = 0; i < n; i++)
        top = len[i] / 2 > top ? len[i] / 2 : top;
    for (int q = top; q >= 1; q--) {
        int depth = 0;
        for (int i = 0; i < 4; i++) {
            k[i] = (uint32_t)q;
            if (q > len[i] / 2) {
                h[i] = dummy;
                v[i] = 0;
                k[i] = 1;
                continue;
            }
            h[i] = w[i]->heap;
            v[i] = h[i][q];
            /* floor(log2(len / q)) without dividing: q << d <= len */
            int d = __builtin_clz((unsigned)q) - __builtin_clz((unsigned)len[i]);
            d -= (q << d) > len[i];
            depth = d > depth ? d : depth;
        }
        SIFT4(h, v, k, depth);
    }
    while (live) {
        int depth = 0;
        for (int i = 0; i < 4; i++) {
            k[i] = 1;
            if (len[i] < 2) { /* finished or absent */
                h[i] = dummy;
                v[i] = 0;
                continue;
            }
            h[i] = w[i]->heap;
            nn[i] = h[i][1];
            v[i] = h[i][len[i]];
            h[i][len[i]--] = HEAP_INF;
            int d = 31 - __builtin_clz((unsigned)len[i]);
            depth = d > depth ? d : depth;
        }
        SIFT4(h, v, k, depth);
        for (int i = 0; i < 4; i++) {
            k[i] = 1;
            if (h[i] == dummy)
                continue;
            uint32_t a = nn[i], m = h[i][1];
            unsigned da = P_DEPTH(a), dm = P_DEPTH(m);
            w[i]->dad[P_NODE(a)] = w[i]->dad[P_NODE(m)] = (uint16_t)node[i];
            v[i] = PACK(P_FREQ(a) + P_FREQ(m), (da >= dm ? da : dm) + 1, node[i]);
            node[i]++;
        }
        SIFT4(h, v, k, depth);
        live = 0;
        for (int i = 0; i < 4; i++)
            live += h[i] != dummy && len[i] >= 2;
    }
    for (int i = 0; i < n; i++)
        w[i]->order_ok = 0;
}

static void tree_lengths_clamped(tree_work *w, int maxlen, int64_t *opt);

static void tree_lengths(tree_work *w, int maxlen, int64_t *opt) {
    /* Internal nodes are numbered elems.. in the order they were made and
     * a parent is made after its children: depths from the root down. */
    uint16_t *len = w->len;
    const uint16_t *dad = w->dad;
    int root = w->elems + w->heap_len - 2, deepest = 0;
    len[root] = 0;
    for (int j = root - 1; j >= w->elems; j--) {
        int d = len[dad[j]] + 1;
        len[j] = (uint16_t)d;
        deepest = d > deepest ? d : deepest;
    }
    if (deepest + 1 > maxlen) { /* some code is too long: zlib's repair */
        if (!w->order_ok) {
            /* it needs the pop order: merge again, one heap (tree_init's
             * heap; with a code too long there were no codes to add) */
            int hl = 0;
            for (int n = 0; n <= w->max_code; n++)
                if (w->freq[n])
                    w->heap[++hl] = PACK(w->freq[n], 0, n);
            tree_merge(w, w->elems);
        }
        tree_lengths_clamped(w, maxlen, opt);
        return;
    }
    int64_t o = 0;
    for (int base = 0; base <= w->max_code; base += 64)
        for (uint64_t m = nonzero_bits(w->freq + base); m; m &= m - 1) {
            int n = base + __builtin_ctzll(m);
            int bits = len[dad[n]] + 1;
            len[n] = (uint16_t)bits;
            o += (int64_t)w->freq[n] * bits;
        }
    *opt += o;
}

/* The general case, as zlib's gen_bitlen: lengths in heap order, clamped
 * at maxlen, then the overflow repaired. */
static void tree_lengths_clamped(tree_work *w, int maxlen, int64_t *opt) {
    const uint32_t *order = w->order;
    int max_code = w->max_code;
    int heap_max = HEAP_SIZE - 2 * (w->heap_len - 1) - 1; /* where the root went */
    int64_t o = 0;
    /* Bit lengths, clamped at maxlen, and the code's cost, without branches. */
    int overflow = 0;
    w->len[P_NODE(order[heap_max])] = 0;
    int h;
    for (h = heap_max + 1; h < HEAP_SIZE; h++) {
        int n = P_NODE(order[h]);
        int bits = w->len[w->dad[n]] + 1;
        overflow += bits > maxlen;
        bits = bits > maxlen ? maxlen : bits;
        w->len[n] = (uint16_t)bits;
        uint32_t leaf = 0u - (uint32_t)(n <= max_code);
        o += (int64_t)(w->freq[n & (int)leaf] & leaf) * bits; /* internal nodes weigh 0 */
    }
    *opt += o;
    if (overflow == 0)
        return;
    int bl_count[16] = {0};
    for (int n = 0; n <= max_code; n++)
        bl_count[w->len[n]] += w->freq[n] != 0;
    do {
        int bits = maxlen - 1;
        while (bl_count[bits] == 0)
            bits--;
        bl_count[bits]--;
        bl_count[bits + 1] += 2;
        bl_count[maxlen]--;
        overflow -= 2;
    } while (overflow > 0);
    h = HEAP_SIZE;
    for (int bits = maxlen; bits != 0; bits--) {
        int n = bl_count[bits];
        while (n != 0) {
            int m = P_NODE(order[--h]);
            if (m > max_code)
                continue;
            if (w->len[m] != bits) {
                *opt += ((int64_t)bits - w->len[m]) * (int64_t)w->freq[m];
                w->len[m] = (uint16_t)bits;
            }
            n--;
        }
    }
}

/* Build the trees of n blocks (1-4) of one kind: init, merge, lengths. */
static void build_trees(tree_work *const *w, const uint16_t *const *in, int n, int elems,
                        int maxlen, int kind, int64_t *opt, int64_t *stat) {
    for (int i = 0; i < n; i++)
        tree_init(w[i], in[i], elems, kind, &opt[i], &stat[i]);
    if (n == 1)
        tree_merge(w[0], elems);
    else
        tree_merge4(w, n, elems);
    for (int i = 0; i < n; i++)
        tree_lengths(w[i], maxlen, &opt[i]);
}

/* Bit i set when f[i] != f[i + 1], for i < 64 (f has 65 readable entries). */
static inline uint64_t change_bits(const uint16_t *f) {
    uint64_t m = 0;
#if DS_X86
    for (int i = 0; i < 64; i += 16) {
        __m128i a = _mm_cmpeq_epi16(_mm_loadu_si128((const __m128i *)(f + i)),
                                    _mm_loadu_si128((const __m128i *)(f + i + 1)));
        __m128i b = _mm_cmpeq_epi16(_mm_loadu_si128((const __m128i *)(f + i + 8)),
                                    _mm_loadu_si128((const __m128i *)(f + i + 9)));
        uint32_t z = (uint32_t)_mm_movemask_epi8(_mm_packs_epi16(a, b));
        m |= (uint64_t)(~z & 0xffffu) << i;
    }
#else
    for (int i = 0; i < 64; i++)
        m |= (uint64_t)(f[i] != f[i + 1]) << i;
#endif
    return m;
}

/*
 * What scan_tree sends for a run of R equal code lengths (after a different
 * one), packed as: codes of the length itself | codes 16 << 16 | codes 17
 * << 32 | codes 18 << 48.  A nonzero length: R < 4 as itself; else itself
 * once and then repeats (16) of 3-6, the first covering up to 6, a last
 * piece under 3 sent as itself.  Zeros: 138 at a time (18), the rest r as
 * r zeros (r < 3), one 17 (r <= 10) or one 18.
 */
#define RUN_NZ_T(R) ((R) > 7 ? (R) - 7 : 0)
#define RUN_NZ(R)                                                                          \
    ((R) < 4 ? (uint64_t)(R)                                                               \
             : (uint64_t)(1 + (RUN_NZ_T(R) % 6 < 3 ? RUN_NZ_T(R) % 6 : 0)) |                 \
                   (uint64_t)(1 + RUN_NZ_T(R) / 6 + (RUN_NZ_T(R) % 6 >= 3)) << 16)
#define RUN_Z(R)                                                                           \
    ((uint64_t)((R) % 138 < 3 ? (R) % 138 : 0) |                                          \
     (uint64_t)((R) % 138 >= 3 && (R) % 138 <= 10) << 32 |                                 \
     (uint64_t)((R) / 138 + ((R) % 138 >= 11)) << 48)
#define RUN_8(F, b) F(b), F(b + 1), F(b + 2), F(b + 3), F(b + 4), F(b + 5), F(b + 6), F(b + 7)
#define RUN_32(F, b) RUN_8(F, b), RUN_8(F, b + 8), RUN_8(F, b + 16), RUN_8(F, b + 24)
#define RUN_288(F)                                                                         \
    RUN_32(F, 0), RUN_32(F, 32), RUN_32(F, 64), RUN_32(F, 96), RUN_32(F, 128),             \
        RUN_32(F, 160), RUN_32(F, 192), RUN_32(F, 224), RUN_32(F, 256)
/* [length is zero][R], R <= 286 (the longest run is max_code + 1) */
static const uint64_t run_codes[2][288] = {{RUN_288(RUN_NZ)}, {RUN_288(RUN_Z)}};

/*
 * Count the code-length symbols needed to send len[0..max_code] (len has
 * 65 readable entries from every multiple of 64 it is read at), as zlib's
 * scan_tree does, a run of equal lengths at a time.
 */
static void scan_lengths(const uint16_t *len, int max_code, uint16_t *blf) {
    uint64_t acc = 0;
    int prev = -1;
    for (int b = 0; b <= max_code >> 6; b++) {
        uint64_t ends = change_bits(len + 64 * b);
        if (b == max_code >> 6)
            ends = (ends & (~0ull >> (63 - (max_code & 63)))) | 1ull << (max_code & 63);
        for (; ends; ends &= ends - 1) {
            int e = 64 * b + __builtin_ctzll(ends);
            uint32_t v = len[e];
            uint64_t x = run_codes[v == 0][e - prev];
            blf[v] = (uint16_t)(blf[v] + (uint16_t)x);
            acc += x >> 16;
            prev = e;
        }
    }
    blf[16] = (uint16_t)(blf[16] + (acc & 0xffff));
    blf[17] = (uint16_t)(blf[17] + ((acc >> 16) & 0xffff));
    blf[18] = (uint16_t)(blf[18] + (acc >> 32));
}

/*
 * Flush n blocks (1 <= n <= DS_BATCH) at once: bits[i] becomes the running
 * bit count after block i.  Their trees are built side by side
 * (tree_merge4); each block's result is what it would be alone.
 */
static void flush_blocks(const ds_freqs *const *f, const uint32_t *stored_len,
                         const int *stored_ok, uint64_t *bits, int n) {
    static const uint8_t bl_order[19] = {16, 17, 18, 0, 8,  7, 9,  6, 10, 5,
                                         11, 4,  12, 3, 13, 2, 14, 1, 15};
    tree_work w[DS_BATCH];
    tree_work *wp[DS_BATCH] = {0};
    const uint16_t *in[DS_BATCH] = {0};
    int64_t opt[DS_BATCH] = {0}, stat[DS_BATCH] = {0}, unused[DS_BATCH] = {0};
    /* (+8: scan_lengths reads one entry past its last 64) */
    uint16_t llen[DS_BATCH][(DS_L_CODES + 63) / 64 * 64 + 8], blf[DS_BATCH][19];
    int lmax[DS_BATCH];
    for (int i = 0; i < n; i++) {
        wp[i] = &w[i];
        in[i] = f[i]->lit;
    }
    build_trees(wp, in, n, DS_L_CODES, 15, KIND_LIT, opt, stat);
    for (int i = 0; i < n; i++) {
        memcpy(llen[i], w[i].len, sizeof llen[i]); /* (w.len is longer) */
        lmax[i] = w[i].max_code;
        in[i] = f[i]->dist;
    }
    build_trees(wp, in, n, DS_D_CODES, 15, KIND_DIST, opt, stat);
    for (int i = 0; i < n; i++) {
        memset(blf[i], 0, sizeof blf[i]); /* at most 286 + 30 codes */
        scan_lengths(llen[i], lmax[i], blf[i]);
        scan_lengths(w[i].len, w[i].max_code, blf[i]);
        in[i] = blf[i];
    }
    build_trees(wp, in, n, 19, 7, KIND_BL, opt, unused);
    for (int i = 0; i < n; i++) {
        int max_blindex;
        for (max_blindex = 18; max_blindex >= 3; max_blindex--)
            if (w[i].len[bl_order[max_blindex]] != 0)
                break;
        int64_t o = opt[i] + 3 * (max_blindex + 1) + 5 + 5 + 4;
        uint64_t opt_b = (uint64_t)(o + 3 + 7) >> 3;
        uint64_t stat_b = (uint64_t)(stat[i] + 3 + 7) >> 3;
        if (stat_b <= opt_b)
            opt_b = stat_b;
        if ((uint64_t)stored_len[i] + 4 <= opt_b && stored_ok[i]) {
            uint64_t b = (bits[i] + 3 + 7) & ~(uint64_t)7;
            bits[i] = b + 32 + 8 * (uint64_t)stored_len[i];
        } else if (stat_b == opt_b) {
            bits[i] += 3 + (uint64_t)stat[i];
        } else {
            bits[i] += 3 + (uint64_t)o;
        }
    }
}

uint64_t ds_flush_block_bits(const ds_freqs *f, uint32_t stored_len, int stored_ok,
                             uint64_t bits) {
    flush_blocks(&f, &stored_len, &stored_ok, &bits, 1);
    return bits;
}

void ds_finish_pending(ds_state *const *st, int n) {
    const ds_freqs *f[DS_BATCH];
    uint32_t len[DS_BATCH];
    int ok[DS_BATCH];
    uint64_t bits[DS_BATCH];
    for (int i0 = 0; i0 < n; i0 += DS_BATCH) {
        int m = n - i0 < DS_BATCH ? n - i0 : DS_BATCH;
        for (int i = 0; i < m; i++) {
            const ds_state *s = st[i0 + i];
            f[i] = &s->f;
            len[i] = s->pend_len;
            ok[i] = s->pend_ok;
            bits[i] = s->bits;
        }
        flush_blocks(f, len, ok, bits, m);
        for (int i = 0; i < m; i++) {
            ds_state *s = st[i0 + i];
            s->bits = (bits[i] + 7) & ~(uint64_t)7;
            s->pending = 0;
        }
    }
}

/* ------------------------------------------------------------ tables */

int ds_tables_init(ds_tables *t, size_t log_cap) {
    memset(t, 0, sizeof *t);
    t->head = calloc(DS_HASH_SIZE, sizeof(uint32_t));
    t->prev = calloc(DS_WSIZE, sizeof(uint32_t));
    if (log_cap)
        t->log = malloc(log_cap * sizeof(ds_undo));
    if (!t->head || !t->prev || (log_cap && !t->log)) {
        ds_tables_free(t);
        return -1;
    }
    t->log_cap = log_cap;
    return 0;
}

void ds_tables_free(ds_tables *t) {
    free(t->head);
    free(t->prev);
    free(t->log);
    memset(t, 0, sizeof *t);
}

int ds_tables_reserve_log(ds_tables *t, size_t need) {
    if (need <= t->log_cap)
        return 0;
    size_t cap = t->log_cap ? t->log_cap : 1024; /* never 0: no zero-size realloc */
    while (cap < need) {
        if (cap > SIZE_MAX / 2 / sizeof(ds_undo))
            return -1;
        cap *= 2;
    }
    ds_undo *p = realloc(t->log, cap * sizeof(ds_undo));
    if (!p)
        return -1;
    t->log = p;
    t->log_cap = cap;
    return 0;
}

void ds_tables_clear(ds_tables *t) {
    memset(t->head, 0, DS_HASH_SIZE * sizeof(uint32_t));
    t->log_len = 0;
}

void ds_tables_undo_to(ds_tables *t, size_t mark) {
    ds_undo *l = t->log;
    for (size_t i = t->log_len; i-- > mark;)
        *l[i].slot = l[i].old;
    t->log_len = mark;
}

void ds_state_init(ds_state *st) {
    memset(st, 0, sizeof *st);
    st->match_length = st->prev_length = 2;
    st->f.lit[256] = 1;
}

/* ------------------------------------------------------------ parse */

/* zlib's TOO_FAR rule (slow levels, default strategy): a match of length 3
 * from more than 4096 back is dropped.  1 when it applies, to subtract from
 * the length (a coin flip on real data: no branch). */
static inline uint32_t too_far(uint32_t len, uint32_t dist) {
    return (uint32_t)(len == 3) & (uint32_t)(dist > 4096);
}

/* zlib's MAX_DIST limit on a chain: the first candidate (chain index 0,
 * deflate_slow's test) may be DS_MAX_DIST back, the others (longest_match's
 * `> limit`) less.  The chain stops at the first candidate out of reach. */
static inline int out_of_reach(uint32_t dist, uint32_t idx) {
    return dist > DS_MAX_DIST || (dist == DS_MAX_DIST && idx > 0);
}

static inline uint32_t hash3(const uint8_t *p) {
    return (((uint32_t)p[0] << 10) ^ ((uint32_t)p[1] << 5) ^ p[2]) & (DS_HASH_SIZE - 1);
}

/* Insert pos into the hash chains; returns the previous head (candidate). */
static inline __attribute__((always_inline)) uint32_t insert_pos(ds_tables *t, const uint8_t *buf,
                                                                 uint32_t pos, int logging) {
    uint32_t h = hash3(buf + pos);
    uint32_t *hp = &t->head[h], *pp = &t->prev[pos & (DS_WSIZE - 1)];
    uint32_t old = *hp;
    if (logging) {
        ds_undo *l = t->log + t->log_len;
        l[0].slot = pp;
        l[0].old = *pp;
        l[1].slot = hp;
        l[1].old = old;
        t->log_len += 2;
    }
    *pp = old;
    *hp = pos;
    return old;
}

static inline uint64_t load64(const uint8_t *p) {
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

/* Common prefix length of a and b, at most max. */
static inline uint32_t common_len(const uint8_t *a, const uint8_t *b, uint32_t max) {
    uint32_t i = 0;
    while (i + 8 <= max) {
        uint64_t x = load64(a + i) ^ load64(b + i);
        if (x) {
            i += (uint32_t)__builtin_ctzll(x) >> 3;
            return i < max ? i : max;
        }
        i += 8;
    }
    while (i < max && a[i] == b[i])
        i++;
    return i;
}

/*
 * One candidate of a longest_match-style search: m (at position pos) is
 * compared with scan as zlib does (the byte at best first, then the first
 * two).  A longer match updates *best and *match_start.  Returns 1 when the
 * search is over (the match reached nice or maxlen).
 */
static inline __attribute__((always_inline)) int try_candidate(
    const uint8_t *scan, const uint8_t *m, uint32_t pos, uint32_t nice, uint32_t maxlen,
    uint32_t *best, uint32_t *match_start) {
    if (m[*best] == scan[*best] && m[0] == scan[0] && m[1] == scan[1]) {
        uint32_t len = common_len(scan, m, maxlen);
        if (len > *best) {
            *match_start = pos;
            *best = len;
            return len >= nice || len >= maxlen;
        }
    }
    return 0;
}

/* A search's limits, as zlib's longest_match sets them: the chain budget
 * (a quarter of it after a match of `good` or more), and nice and the
 * longest length, both at most the lookahead. */
typedef struct search_limits {
    uint32_t chain, nice, maxlen;
} search_limits;

static inline search_limits limits_for(const ds_cfg *c, uint32_t prev_length,
                                       uint32_t lookahead) {
    search_limits L = {c->chain, c->nice, lookahead < 258 ? lookahead : 258};
    if (prev_length >= c->good)
        L.chain >>= 2;
    if (L.nice > lookahead)
        L.nice = lookahead;
    return L;
}

/*
 * zlib's longest_match: candidates from cur down the chain; returns the
 * best length (at most lookahead) and updates *match_start on improvement.
 */
static inline uint32_t longest_match(const ds_cfg *c, const uint32_t *prev, const uint8_t *buf,
                                     uint32_t s, uint32_t base, uint32_t cur, uint32_t lookahead,
                                     uint32_t prev_length, uint32_t *match_start) {
    search_limits L = limits_for(c, prev_length, lookahead);
    uint32_t chain = L.chain, best = prev_length, nice = L.nice, maxlen = L.maxlen;
    uint32_t limit = s - base > DS_MAX_DIST ? s - DS_MAX_DIST : base;
    const uint8_t *scan = buf + s;
    if (best < maxlen) {
        do {
            if (try_candidate(scan, buf + cur, cur, nice, maxlen, &best, match_start))
                break;
        } while ((cur = prev[cur & (DS_WSIZE - 1)]) > limit && --chain != 0);
    }
    return best <= lookahead ? best : lookahead;
}

static inline void tally_lit(ds_freqs *f, uint8_t c) {
    f->lit[c]++;
    f->nsym++;
}

static inline void tally_match(ds_freqs *f, uint32_t dist, uint32_t len) {
    f->lit[257 + len_code(len)]++;
    f->dist[dist_code(dist)]++;
    f->nsym++;
}

/* Flush the block ending at end (absolute). */
static void flush_block(ds_state *st, uint32_t end) {
    st->bits = ds_flush_block_bits(&st->f, end - st->block_start, st->block_start >= st->base,
                                   st->bits);
    st->block_start = end;
    memset(&st->f, 0, sizeof st->f);
    st->f.lit[256] = 1;
}

static void finish(ds_state *st, uint32_t s) {
    st->done = 1;
    if (st->defer_final) { /* ds_finish_pending builds the trees, maybe with others */
        st->pend_len = s - st->block_start;
        st->pend_ok = st->block_start >= st->base;
        st->pending = 1;
        return;
    }
    flush_block(st, s);
    st->bits = (st->bits + 7) & ~(uint64_t)7;
}

/*
 * The loop top: pause if asked, then model fill_window.  Returns the
 * lookahead (0 means end of input) or UINT32_MAX for "paused".
 */
static inline uint32_t loop_top(ds_state *st, uint32_t s, uint32_t n, uint32_t stop) {
    if (s >= stop)
        return UINT32_MAX;
    uint32_t wend = n - st->base > 2 * DS_WSIZE ? st->base + 2 * DS_WSIZE : n;
    uint32_t lookahead = wend - s;
    if (lookahead < DS_MIN_LOOKAHEAD) {
        if (s - st->base >= DS_WSIZE + DS_MAX_DIST)
            st->base += DS_WSIZE;
        wend = n - st->base > 2 * DS_WSIZE ? st->base + 2 * DS_WSIZE : n;
        lookahead = wend - s;
    }
    return lookahead;
}

static inline __attribute__((always_inline)) void run_fast(const ds_cfg *c, ds_state *st,
                                                           ds_tables *t, const uint8_t *buf,
                                                           uint32_t n, uint32_t stop,
                                                           int logging) {
    uint32_t s = st->strstart;
    for (;;) {
        uint32_t lookahead = loop_top(st, s, n, stop);
        if (lookahead == UINT32_MAX) {
            st->strstart = s;
            return;
        }
        if (lookahead == 0)
            break;
        uint32_t mlen = 0;
        if (lookahead >= 3) {
            uint32_t hh = insert_pos(t, buf, s, logging);
            if (hh > st->base && s - hh <= DS_MAX_DIST)
                mlen = longest_match(c, t->prev, buf, s, st->base, hh, lookahead, 2,
                                     &st->match_start);
        }
        if (mlen >= 3) {
            tally_match(&st->f, s - st->match_start, mlen);
            lookahead -= mlen;
            if (mlen <= c->lazy && lookahead >= 3) {
                for (uint32_t q = s + 1; q < s + mlen; q++)
                    insert_pos(t, buf, q, logging);
            }
            s += mlen;
        } else {
            tally_lit(&st->f, buf[s]);
            s++;
        }
        if (st->f.nsym == DS_SYM_END)
            flush_block(st, s);
    }
    finish(st, s);
    st->strstart = s;
}

/* gram keys and their slot in a source-index map */
static const uint8_t gram_len[DS_NGRAMS] = {3, 4, 5, 6, 8};

/* The first gram_len[g] bytes at p as a key (8 bytes are readable at p). */
static inline uint64_t gram_key(const uint8_t *p, int g) {
    static const uint64_t mask[DS_NGRAMS] = {0xffffffull, 0xffffffffull, 0xffffffffffull,
                                             0xffffffffffffull, ~0ull};
    return load64(p) & mask[g];
}

/* The longest gram a candidate to beat `best` must share: min(best + 1, 8). */
static inline int gram_for(uint32_t best) {
    static const uint8_t by_need[9] = {0, 0, 0, 0, 1, 2, 3, 3, 4};
    uint32_t i = best + 1 < 8 ? best + 1 : 8; /* a select, not a branch */
    return by_need[i];
}

static inline uint32_t map_slot(uint64_t key, uint32_t bits) {
    return (uint32_t)((key * 0x9E3779B97F4A7C15ull) >> (64 - bits));
}

/* Per gram length, a bit per map_slot(gram, GRAM_FILTER_LOG) of the deep
 * positions' grams: a clear bit means no deep position has that gram. */
#define GRAM_FILTER_LOG 13
#define GRAM_FILTER_WORDS ((1u << GRAM_FILTER_LOG) / 64)
/* A plan step's filter bit (gram length, slot) is stored in 16 bits. */
_Static_assert((DS_NGRAMS << GRAM_FILTER_LOG) <= 65536, "gram filter bit index over 16 bits");

/* The bit of p's g-gram in a source's gram filter (gram length, slot). */
static inline uint32_t gram_filter_bit(int g, const uint8_t *p) {
    return ((uint32_t)g << GRAM_FILTER_LOG) + map_slot(gram_key(p, g), GRAM_FILTER_LOG);
}

static inline int gram_maybe_present(const ds_srcidx *S, int g, const uint8_t *p) {
    uint32_t b = gram_filter_bit(g, p);
    return (int)((S->gram_filter[b >> 6] >> (b & 63)) & 1);
}

/* Most recent deep source position whose g-gram equals p's, or 0.  A
 * slot's key is read from the source itself (x = buf[0..n)): the maps stay
 * small enough for the L1 cache. */
static inline uint32_t srcidx_lookup(const ds_srcidx *S, int g, const uint8_t *x,
                                     const uint8_t *p) {
    uint64_t key = gram_key(p, g);
    uint32_t mask = S->map_cap - 1, i = map_slot(key, S->map_bits);
    for (;; i = (i + 1) & mask) {
        uint32_t q = S->map_pos[g][i];
        if (q == 0 || gram_key(x + q, g) == key)
            return q;
    }
}

/*
 * The source's part of a target search through the index: candidates in
 * chain order (decreasing position) that share the longest indexed gram of
 * at most best+1 bytes (gram_for), while their chain index (idx0 + rank)
 * is within budget.
 */
static inline uint32_t deep_source_search(const ds_srcidx *S, const uint8_t *buf, uint32_t s,
                                          uint32_t best, uint32_t idx0, uint32_t chain,
                                          uint32_t nice, uint32_t maxlen, uint32_t *match_start) {
    const uint8_t *scan = buf + s;
    int g = gram_for(best);
    uint32_t q = srcidx_lookup(S, g, buf, scan);
    while (q) {
        if (idx0 + S->rank[q] >= chain || out_of_reach(s - q, idx0 + S->rank[q]))
            break;
        if (buf[q + best] != scan[best]) { /* cannot be longer than best */
            q = S->link[g][q];
            continue;
        }
        uint32_t len = common_len(scan, buf + q, maxlen);
        if (len > best) {
            *match_start = q;
            best = len;
            if (len >= nice || len >= maxlen)
                break;
            int g2 = gram_for(best);
            if (g2 != g) { /* need more leading bytes: a narrower chain */
                g = g2;
                if (len >= gram_len[g]) {
                    q = S->link[g][q];
                } else {
                    uint32_t below = q;
                    q = srcidx_lookup(S, g, buf, scan);
                    while (q >= below)
                        q = S->link[g][q];
                }
                continue;
            }
        }
        q = S->link[g][q];
    }
    return best;
}

/*
 * What a pair's fast path knows about the source side: the source index,
 * and the last source positions (the "tail", D .. tpos-1, whose grams run
 * into the target) with their hashes, newest first.
 */
typedef struct fast_ctx {
    const ds_target *T;
    const ds_srcidx *S; /* NULL: source candidates come from the tables */
    uint32_t tpos;
    uint32_t ntail;
    uint32_t tail_pos[8];
    uint32_t tail_hash[8];
    uint64_t tail_filter; /* bit (hash & 63) of each tail hash */
    const ds_tpos *tp;    /* T's records resolved for this level, or NULL */
    const ds_plan *P;     /* T's plan, when the pair follows it (run_slow) */
    const uint64_t *flag; /* bit k: the source could change plan step k's search */
} fast_ctx;

/*
 * longest_match for a target position i (absolute s = tpos + i) in fast
 * mode: the target's own candidates come from T's records, then the
 * source's, in chain order, with the budget left: the tail positions,
 * then the deep ones through the index (or, without an index, the whole
 * source chain through the tables).
 */
/*
 * The source's part of longest_match_target, out of line: only the
 * searches whose hash the source has (about one in five) get here.
 */
static __attribute__((noinline)) uint32_t source_search(const ds_tables *t, const uint8_t *buf,
                                                        uint32_t s, uint32_t h, uint32_t idx,
                                                        uint32_t chain, uint32_t nice,
                                                        uint32_t maxlen, uint32_t best,
                                                        uint32_t *match_start,
                                                        const fast_ctx *F) {
    const uint8_t *scan = buf + s;
    if (F->S) {
        uint32_t ntail = F->ntail & (0u - (uint32_t)((F->tail_filter >> (h & 63)) & 1));
        for (uint32_t k = 0; k < ntail; k++) {
            if (F->tail_hash[k] != h)
                continue;
            uint32_t pos = F->tail_pos[k];
            if (out_of_reach(s - pos, idx))
                return best;
            if (try_candidate(scan, buf + pos, pos, nice, maxlen, &best, match_start))
                return best;
            if (++idx >= chain)
                return best;
        }
        /* (a tail-only hash finds no deep gram: a lookup that misses) */
        return deep_source_search(F->S, buf, s, best, idx, chain, nice, maxlen, match_start);
    }
    for (uint32_t cur = t->head[h]; cur != 0; cur = t->prev[cur & (DS_WSIZE - 1)]) {
        if (out_of_reach(s - cur, idx))
            return best;
        if (try_candidate(scan, buf + cur, cur, nice, maxlen, &best, match_start))
            return best;
        if (++idx >= chain)
            return best;
    }
    return best;
}

/* What a search does after the target's own candidates. */
typedef struct search_rest {
    uint32_t chain, nice, maxlen; /* its limits */
    uint32_t idx;                 /* chain index of the source's first candidate */
    int more;                     /* 1: the source's candidates come next */
} search_rest;

/*
 * The target's part of longest_match at target index i (tps: T's resolved
 * records or NULL; positions are reported relative to tpos): the best
 * length from T's own candidates, and in *R whether and how the search
 * goes on into the source.
 */
static inline __attribute__((always_inline)) uint32_t target_part(
    const ds_cfg *c, const ds_target *T, const ds_tpos *tps, uint32_t tpos, uint32_t i,
    uint32_t lookahead, uint32_t prev_length, uint32_t *match_start, search_rest *R) {
    search_limits L = limits_for(c, prev_length, lookahead);
    uint32_t chain = L.chain, best = prev_length, nice = L.nice, maxlen = L.maxlen;
    R->more = 0;
    if (best >= maxlen)
        return best <= lookahead ? best : lookahead;
    const ds_tpos *tp = tps ? &tps[i] : NULL;
    int quarter = prev_length >= c->good;
    if (tp && !(tp->hit[quarter] && tp->len[quarter] <= best)) {
        if (tp->len[quarter] > best) {
            best = tp->len[quarter];
            *match_start = tpos + tp->pos[quarter];
            if (tp->hit[quarter])
                return best;
        }
    } else {
        const ds_rec *r = T->rec + T->rec_off[i], *re = T->rec + T->rec_off[i + 1];
        for (; r < re && r->idx < chain; r++) {
            if (r->len > best) {
                best = r->len;
                *match_start = tpos + r->pos;
                if (best >= nice || best >= maxlen)
                    return best;
            }
        }
    }
    uint32_t idx = T->count[i];
    if (idx >= chain)
        return best;
    R->chain = chain;
    R->nice = nice;
    R->maxlen = maxlen;
    R->idx = idx;
    R->more = 1;
    return best;
}

static inline __attribute__((always_inline)) uint32_t longest_match_target(
    const ds_cfg *c, const ds_tables *t, const uint8_t *buf, uint32_t s, uint32_t i,
    uint32_t lookahead, uint32_t prev_length, uint32_t *match_start, const fast_ctx *F) {
    search_rest R;
    uint32_t best =
        target_part(c, F->T, F->tp, F->tpos, i, lookahead, prev_length, match_start, &R);
    if (!R.more)
        return best;
    uint32_t h = F->T->hash[i];
    /* present also has the tail's hashes (ds_run_target): one test */
    if (F->S && !((F->S->present[h >> 6] >> (h & 63)) & 1))
        return best;
    /* No tail position with this hash and no deep position with the gram a
     * longer match needs: the source's part would find nothing. */
    if (F->S && !((F->tail_filter >> (h & 63)) & 1) &&
        !gram_maybe_present(F->S, gram_for(best), buf + s))
        return best;
    return source_search(t, buf, s, h, R.idx, R.chain, R.nice, R.maxlen, best, match_start, F);
}

/* A parse state at a step: match pending, match_length and (for a length
 * of 3 or more) its distance; equal keys at one position, equal futures
 * as long as the searches find the same. */
static inline uint32_t plan_key(int match_available, uint32_t match_length, uint32_t dist) {
    uint32_t d = dist & (0u - (uint32_t)(match_length >= 3)); /* no branch */
    return (uint32_t)match_available | match_length << 1 | d << 10;
}

/*
 * A plan step's symbol as two counters of a "taken back" array (ds_untally):
 * its literal/length code (0-285) and its distance code (286-315); a
 * missing one points to one of the spare counters 316-319, so that taking
 * a step back never branches.
 */
#define UNTALLY_SPARE (DS_L_CODES + DS_D_CODES)
typedef struct ds_untally {
    uint16_t n[UNTALLY_SPARE + 4];
    uint32_t nsym;
} ds_untally;

static inline uint32_t plan_sym(uint32_t lit, uint32_t dist_slot) {
    return lit | dist_slot << 16;
}
#define PLAN_NOSYM plan_sym(UNTALLY_SPARE + 1, UNTALLY_SPARE + 2)
static inline uint32_t plan_lit_sym(uint8_t c) { return plan_sym(c, UNTALLY_SPARE + 3); }
static inline uint32_t plan_match_sym(uint32_t dist, uint32_t len) {
    return plan_sym(257 + len_code(len), DS_L_CODES + dist_code(dist));
}

/* Count the symbols sym[from..to) (plan_sym pairs) into u. */
static inline void untally_syms(ds_untally *u, const uint32_t *sym, uint32_t from, uint32_t to) {
    for (uint32_t k = from; k < to; k++) {
        u->n[sym[k] & 0xffff]++;
        u->n[sym[k] >> 16]++;
        u->nsym += (sym[k] & 0xffff) < DS_L_CODES;
    }
}

/* Take back the symbols of plan steps [from, to). */
static inline void plan_untally(ds_untally *u, const ds_plan *P, uint32_t from, uint32_t to) {
    untally_syms(u, P->sym, from, to);
}

/* A plan's block frequencies: all of its symbols sym[0..count). */
static void syms_total(ds_freqs *total, const uint32_t *sym, uint32_t count) {
    ds_untally all;
    memset(&all, 0, sizeof all);
    untally_syms(&all, sym, 0, count);
    memset(total, 0, sizeof *total);
    for (int j = 0; j < DS_L_CODES; j++)
        total->lit[j] = all.n[j];
    for (int j = 0; j < DS_D_CODES; j++)
        total->dist[j] = all.n[DS_L_CODES + j];
    total->nsym = all.nsym;
}

/* f += g - u */
static inline void plan_add(ds_freqs *f, const ds_freqs *g, const ds_untally *u) {
    for (int j = 0; j < DS_L_CODES; j++)
        f->lit[j] = (uint16_t)(f->lit[j] + g->lit[j] - u->n[j]);
    for (int j = 0; j < DS_D_CODES; j++)
        f->dist[j] = (uint16_t)(f->dist[j] + g->dist[j] - u->n[DS_L_CODES + j]);
    f->nsym += g->nsym - u->nsym;
}

/*
 * Plan step k's search from the plan's state, with the source's candidates
 * (a flagged step's search goes on to them): the length they give when it
 * is longer than the target's own (*found_start: where it starts), else 0.
 */
static inline __attribute__((always_inline)) uint32_t plan_search(
    const ds_cfg *c, const ds_tables *t, const uint8_t *buf, uint32_t tpos, uint32_t n,
    const ds_plan *P, uint32_t k, uint32_t *found_start, const fast_ctx *F) {
    const ds_pstep *ps = &P->step[k];
    uint32_t s = tpos + ps->pos, lookahead = n - s, prev_length = (ps->key >> 1) & 511;
    uint32_t best = ps->best;
    search_limits L = limits_for(c, prev_length, lookahead);
    uint32_t len = source_search(t, buf, s, P->chk[k] & 0x7fff, ps->idx, L.chain, L.nice,
                                 L.maxlen, best, found_start, F);
    return len > best ? len : 0;
}

/* The first flagged plan step at or after k, or K. */
static inline uint32_t next_flag(const uint64_t *flag, uint32_t k, uint32_t K) {
    uint32_t w = k >> 6, last = K >> 6;
    uint64_t m = flag[w] & (~0ull << (k & 63));
    while (!m) {
        if (++w > last)
            return K;
        m = flag[w];
    }
    uint32_t f = (w << 6) + (uint32_t)__builtin_ctzll(m);
    return f < K ? f : K;
}

/* f += the symbols of plan steps [from, to), less u (those of them not
 * followed). */
static void plan_range_add(ds_freqs *f, const ds_plan *P, uint32_t from, uint32_t to,
                           const ds_untally *u) {
    if (from == 0 && to == P->nsteps + 1) {
        plan_add(f, &P->total, u);
        return;
    }
    ds_untally v;
    memset(&v, 0, sizeof v);
    plan_untally(&v, P, from, to);
    for (int j = 0; j < DS_L_CODES; j++)
        f->lit[j] = (uint16_t)(f->lit[j] + v.n[j] - u->n[j]);
    for (int j = 0; j < DS_D_CODES; j++)
        f->dist[j] = (uint16_t)(f->dist[j] + v.n[DS_L_CODES + j] - u->n[DS_L_CODES + j]);
    f->nsym += v.nsym - u->nsym;
}

/*
 * fill_window's slide at a loop top at s, for the fast mode, which does
 * not call loop_top (its lookahead is n - s: below MIN_LOOKAHEAD the two
 * agree, above it no decision can tell them apart).  The window's base
 * only decides whether a block's bytes can still be stored.  Slides wait
 * for the first loop top past a threshold, and a loop top comes at least
 * every 258 bytes, so one call at a later top gives the same base.
 */
static inline void fast_slide(ds_state *st, uint32_t s, uint32_t n) {
    for (;;) {
        uint32_t wend = n - st->base > 2 * DS_WSIZE ? st->base + 2 * DS_WSIZE : n;
        if (s + DS_MIN_LOOKAHEAD <= wend || s - st->base < DS_WSIZE + DS_MAX_DIST)
            return;
        st->base += DS_WSIZE;
    }
}

/*
 * Where blocks end while a pair follows plan steps [a, b) (b <= K): the
 * block fills when its symbols (the pair's own, *st, plus the plan steps
 * of [*k0, a) it followed: all but u) reach DS_SYM_END.  Each such block
 * is flushed at the plan step whose symbol fills it, where the pair's
 * parse is the plan's.
 */
static void plan_blocks(ds_state *st, const ds_plan *P, uint32_t tpos, uint32_t n, uint32_t a,
                        uint32_t b, uint32_t *k0, ds_untally *u, int may_slide) {
    for (;;) {
        uint32_t have = st->f.nsym + (P->cnt[a] - P->cnt[*k0]) - u->nsym;
        uint32_t need = DS_SYM_END - have; /* have < DS_SYM_END: blocks flush when full */
        if (P->cnt[b] - P->cnt[a] < need)
            return;
        uint32_t lo = a + 1, hi = b, want = P->cnt[a] + need; /* first j: cnt[j] >= want */
        while (lo < hi) {
            uint32_t mid = lo + (hi - lo) / 2;
            if (P->cnt[mid] >= want)
                hi = mid;
            else
                lo = mid + 1;
        }
        uint32_t kb = lo - 1, end;
        if ((P->sym[kb] & 0xffff) < 256) /* a literal: flushed before the step moves on */
            end = P->step[kb].pos;
        else /* a match: flushed at its end */
            end = kb + 1 < P->nsteps ? P->step[kb + 1].pos : n - tpos;
        if (may_slide)
            fast_slide(st, tpos + P->step[kb].pos, n);
        plan_range_add(&st->f, P, *k0, kb + 1, u);
        flush_block(st, tpos + end);
        *k0 = kb + 1;
        memset(u, 0, sizeof *u);
        a = kb + 1;
    }
}

/* A block of the pair's own parse is full: add the plan steps it followed
 * (of [*k0, unfollowed), all but u) before it is flushed; the next block's
 * start from there.  Returns the next block's sym_end. */
static uint32_t plan_block_flush(ds_state *st, const ds_plan *P, uint32_t *k0,
                                 uint32_t unfollowed, ds_untally *u) {
    plan_range_add(&st->f, P, *k0, unfollowed, u);
    *k0 = unfollowed;
    memset(u, 0, sizeof *u);
    return DS_SYM_END;
}

static inline __attribute__((always_inline)) void run_slow(const ds_cfg *c, ds_state *st,
                                                           ds_tables *t, const uint8_t *buf,
                                                           uint32_t n, uint32_t stop,
                                                           int logging, const fast_ctx *F,
                                                           int planned) {
    const ds_target *T = F ? F->T : NULL;
    uint32_t tpos = F ? F->tpos : UINT32_MAX;
    uint32_t s = st->strstart;
    uint32_t match_length = st->match_length, match_start = st->match_start;
    int match_available = st->match_available;
    /* planned: plan steps from `unfollowed` on have not been followed (yet);
     * the current block holds the plan steps from k0 on that were (all of
     * [k0, unfollowed) but those in u), so it is full at own symbols ==
     * sym_end */
    const ds_plan *P = planned ? F->P : NULL;
    uint32_t unfollowed = 0, k0 = 0, sym_end = DS_SYM_END;
    ds_untally u;
    uint32_t found = 0, found_start = 0; /* planned: step s's search, done */
    if (planned)
        memset(&u, 0, sizeof u);
    int may_slide = F && n > DS_WSIZE + DS_MAX_DIST;
    /* a block can end in the rest of the pair (else the plan's block
     * bookkeeping is skipped: most pairs) */
    int may_end = planned && st->f.nsym + (n - s) + 2 >= DS_SYM_END;
    for (;;) {
        /* fast mode (F): the lookahead is n - s (see fast_slide) */
        if (may_slide)
            fast_slide(st, s, n);
        uint32_t lookahead = F ? n - s : loop_top(st, s, n, stop);
        if (lookahead == UINT32_MAX) {
            st->strstart = s;
            st->match_length = match_length;
            st->match_start = match_start;
            st->match_available = match_available;
            return;
        }
        if (lookahead == 0)
            break;
        if (planned && s >= tpos) {
            uint32_t k = P->at[s - tpos];
            uint32_t key = P->step[k].pos == s - tpos ? P->step[k].key : 0; /* 0: no step here */
            uint32_t mine = plan_key(match_available, match_length, s - match_start);
            int synced = key == mine;
            /* Just after a match here, the plan in a run of literals:
             * this step's search is the plan's (both from length 2), and
             * the step is the plan's but for the literal it emits.  (One
             * test, not a chain of branches.) */
            int one_later = (synced ^ 1) & (key == plan_key(1, 2, 0)) & (mine == plan_key(0, 2, 0));
            synced |= one_later;
            if (synced) {
                /* In step with the plan: take its steps up to the next one
                 * the source could change, and search that one from the
                 * plan's state; if the source finds nothing longer, the
                 * step is the plan's and the pair stays in step. */
                found = 0;
                if (one_later) {
                    if (F->flag[k >> 6] >> (k & 63) & 1)
                        found = plan_search(c, t, buf, tpos, n, P, k, &found_start, F);
                    if (!found)
                        k++; /* in step from the next one: the literal is taken back */
                }
                plan_untally(&u, P, unfollowed, k);
                if (!found) {
                    uint32_t a = k;
                    for (;; k++) {
                        k = next_flag(F->flag, k, P->nsteps);
                        if (k == P->nsteps)
                            break;
                        if ((found = plan_search(c, t, buf, tpos, n, P, k, &found_start, F)))
                            break;
                    }
                    if (may_end)
                        plan_blocks(st, P, tpos, n, a, k, &k0, &u, may_slide);
                    if (k == P->nsteps) { /* the plan to its end, last literal included */
                        unfollowed = k + 1;
                        s = n;
                        if (may_slide)
                            fast_slide(st, s, n);
                        match_available = 0;
                        break;
                    }
                    /* step k in the plan's state */
                    key = P->step[k].key;
                    s = tpos + P->step[k].pos;
                    if (may_slide)
                        fast_slide(st, s, n);
                    lookahead = n - s;
                    match_available = (int)(key & 1);
                    match_length = (key >> 1) & 511;
                    match_start = s - (key >> 10);
                }
                /* step k is decided here, with the source's longer match */
                unfollowed = k;
                if (may_end)
                    sym_end = DS_SYM_END - (P->cnt[k] - P->cnt[k0] - u.nsym);
            }
        }
        uint32_t prev_length = match_length, prev_match = match_start;
        match_length = 2;
        if (T && s >= tpos) {
            /* No gate on "any candidate": a search that finds nothing
             * returns prev_length (or less), which leads to the same step
             * as no search at all. */
            if (planned && found) {
                match_length = found;
                match_start = found_start;
                found = 0;
                match_length -= too_far(match_length, s - match_start);
            } else if (lookahead >= 3 && prev_length < c->lazy) {
                match_length = longest_match_target(c, t, buf, s, s - tpos, lookahead, prev_length,
                                                    &match_start, F);
                match_length -= too_far(match_length, s - match_start);
            }
        } else {
            uint32_t hh = lookahead >= 3 ? insert_pos(t, buf, s, logging) : 0;
            if (hh > st->base && prev_length < c->lazy && s - hh <= DS_MAX_DIST) {
                match_length = longest_match(c, t->prev, buf, s, st->base, hh, lookahead,
                                             prev_length, &match_start);
                match_length -= too_far(match_length, s - match_start);
            }
        }
        if (prev_length >= 3 && match_length <= prev_length) {
            uint32_t max_insert = s + lookahead - 3;
            tally_match(&st->f, s - 1 - prev_match, prev_length);
            uint32_t last = s + prev_length - 2;
            if (last > max_insert)
                last = max_insert;
            if (T && last >= tpos)
                last = tpos - 1; /* target positions stay out of the tables */
            for (uint32_t q = s + 1; q <= last; q++)
                insert_pos(t, buf, q, logging);
            s = s - 1 + prev_length;
            match_available = 0;
            match_length = 2;
            if (st->f.nsym == sym_end) {
                if (planned)
                    sym_end = plan_block_flush(st, P, &k0, unfollowed, &u);
                flush_block(st, s);
            }
        } else if (match_available) {
            tally_lit(&st->f, buf[s - 1]);
            if (st->f.nsym == sym_end) {
                if (planned)
                    sym_end = plan_block_flush(st, P, &k0, unfollowed, &u);
                flush_block(st, s);
            }
            s++;
        } else {
            match_available = 1;
            s++;
        }
    }
    if (match_available)
        tally_lit(&st->f, buf[s - 1]);
    if (planned) { /* the plan's symbols, less those of the steps not followed */
        plan_untally(&u, P, unfollowed, P->nsteps + 1);
        plan_range_add(&st->f, P, k0, P->nsteps + 1, &u);
    }
    st->match_available = 0;
    st->match_length = match_length;
    st->match_start = match_start;
    finish(st, s);
    st->strstart = s;
}

int ds_run(const ds_cfg *c, ds_state *st, ds_tables *t, const uint8_t *buf, uint32_t n,
           uint32_t stop) {
    if (st->done)
        return 0;
    int logging = t->logging;
    if (logging && ds_tables_reserve_log(t, t->log_len + 2 * (size_t)(n - st->strstart) + 8))
        return -1;
    if (c->slow) {
        if (logging)
            run_slow(c, st, t, buf, n, stop, 1, NULL, 0);
        else
            run_slow(c, st, t, buf, n, stop, 0, NULL, 0);
    } else {
        if (logging)
            run_fast(c, st, t, buf, n, stop, 1);
        else
            run_fast(c, st, t, buf, n, stop, 0);
    }
    return 0;
}

/*
 * flag bit k: plan step k's search goes on to the source's candidates and
 * the source may have one that matters, by the tests longest_match_target
 * makes for the plan's state: its hash is present, and a tail position has
 * that hash (here: exactly that hash, or only the same low 6 bits) or a deep
 * one may have the gram.  Any superset of the steps where the source finds
 * a longer match is exact; a smaller one only saves work.
 */
static void plan_flags_c(const ds_plan *P, const ds_srcidx *S, const fast_ctx *F,
                         uint64_t *flag, uint32_t words) {
    for (uint32_t w = 0; w < words; w++) {
        uint64_t acc = 0; /* in a register: no store-to-load chain per step */
        for (uint32_t b = 0; b < 64; b++) {
            uint32_t e = P->chk[w * 64 + b], h = e & 0x7fff, fb = e >> 16;
            uint64_t any = S->present[h >> 6] >> (h & 63) & e >> 15;
            uint64_t gram = (F->tail_filter >> (h & 63)) | S->gram_filter[fb >> 6] >> (fb & 63);
            acc |= (any & gram & 1) << b;
        }
        flag[w] = acc;
    }
}

#if DS_X86
/* The same with AVX2 gathers, eight steps at a time. */
__attribute__((target("avx2"))) static void plan_flags_avx2(const ds_plan *P,
                                                             const ds_srcidx *S,
                                                             const fast_ctx *F, uint64_t *flag,
                                                             uint32_t words) {
    __m256i tail[8];
    for (uint32_t k = 0; k < 8; k++) /* a hash is below 2^15: -1 never equals one */
        tail[k] = _mm256_set1_epi32(k < F->ntail ? (int)F->tail_hash[k] : -1);
    const __m256i low15 = _mm256_set1_epi32(0x7fff), low5 = _mm256_set1_epi32(31);
    for (uint32_t w = 0; w < words; w++) {
        uint64_t acc = 0;
        for (uint32_t v = 0; v < 8; v++) {
            __m256i e = _mm256_loadu_si256((const __m256i *)(P->chk + w * 64 + v * 8));
            __m256i h = _mm256_and_si256(e, low15), fb = _mm256_srli_epi32(e, 16);
            __m256i any =
                _mm256_i32gather_epi32((const int *)S->present, _mm256_srli_epi32(h, 5), 4);
            any = _mm256_srlv_epi32(any, _mm256_and_si256(h, low5));
            __m256i gram = _mm256_i32gather_epi32((const int *)S->gram_filter,
                                                  _mm256_srli_epi32(fb, 5), 4);
            gram = _mm256_srlv_epi32(gram, _mm256_and_si256(fb, low5));
            for (uint32_t k = 0; k < F->ntail; k++)
                gram = _mm256_or_si256(gram, _mm256_cmpeq_epi32(h, tail[k]));
            __m256i r = _mm256_and_si256(_mm256_and_si256(any, gram), _mm256_srli_epi32(e, 15));
            r = _mm256_slli_epi32(r, 31);
            acc |= (uint64_t)(uint32_t)_mm256_movemask_ps(_mm256_castsi256_ps(r)) << (8 * v);
        }
        flag[w] = acc;
    }
}
#endif

/* Flag words [0, words). */
static void plan_flags(const ds_plan *P, const ds_srcidx *S, const fast_ctx *F, uint64_t *flag,
                       uint32_t words) {
#if DS_X86
    if (__builtin_cpu_supports("avx2")) {
        plan_flags_avx2(P, S, F, flag, words);
        return;
    }
#endif
    plan_flags_c(P, S, F, flag, words);
}

int ds_run_target(const ds_cfg *c, ds_state *st, ds_tables *t, const uint8_t *buf, uint32_t tpos,
                  const ds_target *T, ds_srcidx *S) {
    if (tpos == 0) /* position 0 is NIL, but T's records would offer it */
        return ds_run(c, st, t, buf, T->n, UINT32_MAX);
    fast_ctx F;
    F.T = T;
    F.S = S && S->n == tpos ? S : NULL;
    F.tpos = tpos;
    F.tp = T->tp && !memcmp(&T->tp_cfg, c, sizeof *c) ? T->tp : NULL;
    F.ntail = 0;
    F.tail_filter = 0;
    F.P = NULL;
    F.flag = NULL;
    if (F.S && T->n >= 2)
        for (uint32_t q = tpos; q-- > F.S->deep_end;) {
            uint32_t h = hash3(buf + q);
            F.tail_pos[F.ntail] = q;
            F.tail_hash[F.ntail++] = h;
            F.tail_filter |= 1ull << (h & 63);
        }
    if (st->done)
        return 0;
    uint32_t n = tpos + T->n;
    if (t->logging) {
        uint32_t from = st->strstart < tpos ? st->strstart : tpos;
        if (ds_tables_reserve_log(t, t->log_len + 2 * (size_t)(tpos - from) + 8))
            return -1;
    }
    /* The tail's hashes go into the index's bitmap for this pair (its
     * words are put back after), so that a search tests one bit. */
    uint64_t saved[8];
    uint32_t nsaved = 0;
    if (F.S) {
        for (uint32_t k = 0; k < F.ntail; k++)
            saved[nsaved++] = S->present[F.tail_hash[k] >> 6];
        for (uint32_t k = 0; k < F.ntail; k++)
            S->present[F.tail_hash[k] >> 6] |= 1ull << (F.tail_hash[k] & 63);
    }
    const ds_plan *P = &T->plan;
    uint64_t flag[DS_TARGET_MAX / 64 + 2];
    int planned = F.S && F.tp && P->at;
    if (planned) {
        /* steps from P->reach on are too far from any source position */
        uint32_t words = (P->reach + 63) >> 6, all = (P->nsteps >> 6) + 1;
        plan_flags(P, F.S, &F, flag, words);
        memset(flag + words, 0, (all - words) * sizeof *flag);
        F.P = P;
        F.flag = flag;
        if (t->logging)
            run_slow(c, st, t, buf, n, UINT32_MAX, 1, &F, 1);
        else
            run_slow(c, st, t, buf, n, UINT32_MAX, 0, &F, 1);
    } else if (t->logging) {
        run_slow(c, st, t, buf, n, UINT32_MAX, 1, &F, 0);
    } else {
        run_slow(c, st, t, buf, n, UINT32_MAX, 0, &F, 0);
    }
    while (nsaved > 0) { /* newest first: each word ends as it was */
        nsaved--;
        S->present[F.tail_hash[nsaved] >> 6] = saved[nsaved];
    }
    return 0;
}

/* ------------------------------------------------------------ targets */

static void plan_free(ds_plan *P);

static void fplan_free(ds_fplan *P);

void ds_target_free(ds_target *T) {
    fplan_free(T->fplan);
    plan_free(&T->plan);
    free(T->tp);
    free(T->hash);
    free(T->count);
    free(T->rec_off);
    free(T->rec);
    memset(T, 0, sizeof *T);
}

/* Grow the record array (need grows by one at a time; *cap starts at 16
 * or more, so c is never 0); 0 or -1. */
static int rec_reserve(ds_target *T, size_t *cap, size_t need) {
    if (need <= *cap)
        return 0;
    size_t c = *cap * 2;
    ds_rec *p = realloc(T->rec, c * sizeof *p);
    if (!p)
        return -1;
    T->rec = p;
    *cap = c;
    return 0;
}

/*
 * gl[i]: 1 + the previous position whose first gram_len[g] bytes equal
 * those at i, 0 if none (positions 0 .. npos-1 of x, padded with 8 zero
 * bytes).  map: 2^bits slots of scratch.
 */
static void gram_links(const uint8_t *x, uint32_t npos, int g, uint32_t *map, uint32_t bits,
                       uint32_t *gl) {
    uint32_t mask = (1u << bits) - 1;
    memset(map, 0, ((size_t)mask + 1) * sizeof *map);
    for (uint32_t i = 0; i < npos; i++) {
        uint64_t key = gram_key(x + i, g);
        uint32_t k = map_slot(key, bits);
        while (map[k] && gram_key(x + map[k] - 1, g) != key)
            k = (k + 1) & mask;
        gl[i] = map[k];
        map[k] = i + 1;
    }
}

int ds_target_build(ds_target *T, const uint8_t *t, uint32_t n, uint32_t chain) {
    memset(T, 0, sizeof *T);
    T->n = n;
    uint32_t npos = n >= 3 ? n - 2 : 0; /* positions with a hash */
    uint32_t bits = 6;
    while ((1u << bits) < 2 * npos)
        bits++;
    T->hash = malloc((npos + 1) * sizeof *T->hash);
    T->count = malloc((npos + 1) * sizeof *T->count);
    T->rec_off = malloc((npos + 2) * sizeof *T->rec_off);
    uint32_t *occ = malloc((npos + 1) * sizeof *occ); /* same-hash positions before i */
    uint32_t *cnt = calloc(DS_HASH_SIZE, sizeof *cnt);
    uint32_t *first = malloc(DS_HASH_SIZE * sizeof *first); /* oldest position per hash */
    uint32_t *map = malloc(((size_t)1 << bits) * sizeof *map);
    uint32_t *link[DS_NGRAMS] = {0};
    uint8_t *pad = calloc((size_t)n + 8, 1); /* gram keys read 8 bytes */
    size_t cap = 2 * (size_t)npos + 16, nrec = 0;
    T->rec = malloc(cap * sizeof *T->rec);
    int rc = -1;
    for (int g = 0; g < DS_NGRAMS; g++)
        if (!(link[g] = malloc((npos + 1) * sizeof *link[g])))
            goto done;
    if (!T->hash || !T->count || !T->rec_off || !occ || !cnt || !first || !map || !pad ||
        !T->rec)
        goto done;
    if (n)
        memcpy(pad, t, n);
    for (int g = 0; g < DS_NGRAMS; g++)
        gram_links(pad, npos, g, map, bits, link[g]);
    for (uint32_t i = 0; i < npos; i++) {
        uint32_t h = hash3(t + i);
        T->hash[i] = (uint16_t)h;
        if (!cnt[h])
            first[h] = i;
        occ[i] = cnt[h]++;
        /* The source lies past the oldest target position of this hash:
         * out of reach if the MAX_DIST limit stops the chain there. */
        T->count[i] = occ[i] && out_of_reach(i - first[h], occ[i] - 1)
                          ? UINT16_MAX
                          : (uint16_t)(occ[i] < UINT16_MAX - 1 ? occ[i] : UINT16_MAX - 1);
    }
    /*
     * Records: the chain's candidates (decreasing position; chain index =
     * same-hash positions between) that beat every one before them.  Only
     * a candidate sharing best + 1 bytes can, so the walk follows the
     * chain of the longest gram of at most best + 1 bytes, as
     * deep_source_search does over a source, and stops where the level's
     * budget or zlib's MAX_DIST limit stops the hash chain.
     */
    for (uint32_t i = 0; i < npos; i++) {
        T->rec_off[i] = (uint32_t)nrec;
        uint32_t lookahead = n - i;
        uint32_t maxlen = lookahead < 258 ? lookahead : 258;
        uint32_t best = 0;
        int g = 0;
        for (uint32_t q1 = link[0][i]; q1;) {
            uint32_t q = q1 - 1, idx = occ[i] - occ[q] - 1;
            if (idx >= chain || out_of_reach(i - q, idx))
                break; /* and every older one */
            if (pad[q + best] != pad[i + best]) { /* zlib's first test: cannot beat best */
                q1 = link[g][q];
                continue;
            }
            uint32_t len = common_len(pad + i, pad + q, maxlen);
            if (len > best) {
                if (rec_reserve(T, &cap, nrec + 1))
                    goto done;
                T->rec[nrec].idx = (uint16_t)idx;
                T->rec[nrec].len = (uint16_t)len;
                T->rec[nrec].pos = q;
                nrec++;
                best = len;
                if (best >= maxlen)
                    break;
                int g2 = gram_for(best);
                if (g2 != g) { /* a narrower chain: from q if it has the gram, else below it */
                    g = g2;
                    if (len >= gram_len[g]) {
                        q1 = link[g][q];
                    } else {
                        for (q1 = link[g][i]; q1 && q1 - 1 >= q;)
                            q1 = link[g][q1 - 1];
                    }
                    continue;
                }
            }
            q1 = link[g][q];
        }
    }
    T->rec_off[npos] = (uint32_t)nrec;
    T->rec_cap = cap;
    if (nrec && nrec < cap) { /* give back the unused tail (never 0 bytes) */
        ds_rec *p = realloc(T->rec, nrec * sizeof *p);
        if (p) {
            T->rec = p;
            T->rec_cap = nrec;
        }
    }
    rc = 0;
done:
    free(occ);
    free(cnt);
    free(first);
    free(map);
    free(pad);
    for (int g = 0; g < DS_NGRAMS; g++)
        free(link[g]);
    if (rc)
        ds_target_free(T);
    return rc;
}

static size_t fplan_bytes(const ds_fplan *P);

size_t ds_target_bytes(const ds_target *T) {
    if (T->fplan)
        return fplan_bytes(T->fplan);
    size_t n = T->n, npos = n >= 3 ? n - 2 : 0;
    size_t b = (npos + 1) * (sizeof *T->hash + sizeof *T->count) +
               (npos + 2) * sizeof *T->rec_off + T->rec_cap * sizeof *T->rec;
    if (T->tp)
        b += (npos + 1) * sizeof *T->tp;
    if (T->plan.at)
        b += (n + 1) * (sizeof *T->plan.at + sizeof *T->plan.step) +
             (n + 2) * (sizeof *T->plan.sym + sizeof *T->plan.cnt) +
             ((n >> 6) * 64 + 64) * sizeof *T->plan.chk;
    return b;
}

/* ------------------------------------------------------------ sources */

void ds_srcidx_free(ds_srcidx *S) {
    free(S->rank);
    for (int g = 0; g < DS_NGRAMS; g++) {
        free(S->link[g]);
        free(S->map_pos[g]);
    }
    free(S->hash_total);
    free(S->present);
    free(S->gram_filter);
    memset(S, 0, sizeof *S);
}

/* Make room for n positions and a map of 2^bits slots; 0 or -1. */
static int srcidx_reserve(ds_srcidx *S, uint32_t n, uint32_t bits) {
    if (!S->hash_total && !(S->hash_total = calloc(DS_HASH_SIZE, sizeof *S->hash_total)))
        return -1;
    if (!S->present && !(S->present = malloc(DS_HASH_SIZE / 8)))
        return -1;
    if (!S->gram_filter && !(S->gram_filter = malloc(DS_NGRAMS * GRAM_FILTER_WORDS * 8)))
        return -1;
    if (n > S->cap) {
        uint32_t cap = n < 1024 ? 1024 : n; /* never 0: no zero-size realloc */
        uint16_t *p = realloc(S->rank, cap * sizeof *p);
        if (!p)
            return -1;
        S->rank = p;
        for (int g = 0; g < DS_NGRAMS; g++) {
            if (!(p = realloc(S->link[g], cap * sizeof *p)))
                return -1;
            S->link[g] = p;
        }
        S->cap = cap;
    }
    uint32_t mcap = 1u << bits;
    if (mcap > S->map_cap) {
        for (int g = 0; g < DS_NGRAMS; g++) {
            uint16_t *p = realloc(S->map_pos[g], mcap * sizeof *p);
            if (!p)
                return -1;
            S->map_pos[g] = p;
        }
        S->map_cap = mcap;
    }
    S->map_cap = mcap;
    S->map_bits = bits;
    return 0;
}

/* Index x[0..n) (n <= DS_FAST_TOTAL).  Reuses S's buffers. */
int ds_srcidx_build(ds_srcidx *S, const uint8_t *x, uint32_t n) {
    uint32_t D = n > 8 ? n - 7 : 1;
    uint32_t bits = 6;
    while ((1u << bits) < 2 * D)
        bits++;
    if (n > DS_FAST_TOTAL || srcidx_reserve(S, D + 1, bits))
        return -1;
    S->n = n;
    S->deep_end = D;
    for (int g = 0; g < DS_NGRAMS; g++)
        memset(S->map_pos[g], 0, S->map_cap * sizeof(uint16_t));
    memset(S->present, 0, DS_HASH_SIZE / 8);
    memset(S->gram_filter, 0, DS_NGRAMS * GRAM_FILTER_WORDS * 8);
    for (uint32_t q = 1; q < D; q++) {
        uint32_t h = hash3(x + q);
        S->hash_total[h]++;
        S->present[h >> 6] |= 1ull << (h & 63);
    }
    uint32_t mask = S->map_cap - 1;
    for (uint32_t q = 1; q < D; q++) {
        uint32_t h = hash3(x + q);
        S->rank[q] = --S->hash_total[h]; /* later positions with this hash */
        for (int g = 0; g < DS_NGRAMS; g++) {
            uint64_t key = gram_key(x + q, g);
            uint32_t i = map_slot(key, bits);
            while (S->map_pos[g][i] && gram_key(x + S->map_pos[g][i], g) != key)
                i = (i + 1) & mask;
            S->link[g][q] = S->map_pos[g][i];
            uint32_t b = map_slot(key, GRAM_FILTER_LOG);
            S->gram_filter[g * GRAM_FILTER_WORDS + (b >> 6)] |= 1ull << (b & 63);
            S->map_pos[g][i] = (uint16_t)q;
        }
    }
    return 0; /* hash_total is back to all zero */
}

/* ------------------------------------------------------------ speculation */

#define SPEC_OPEN UINT32_MAX

/*
 * longest_match over the source alone (bytes past xlen unknown).  Returns
 * SPEC_OPEN if the outcome could depend on unknown bytes: some candidate
 * matches all the way to xlen, or the length to beat already reaches it.
 * Otherwise every comparison ended inside the source, and nice/lookahead
 * clamps of the real run cannot matter (lengths stay below xlen - s).
 */
static inline uint32_t spec_match(const ds_cfg *c, const uint32_t *prev, const uint8_t *buf,
                                  uint32_t s, uint32_t cur, uint32_t xlen, uint32_t prev_length,
                                  uint32_t *match_start) {
    uint32_t known = xlen - s;
    if (prev_length >= known)
        return SPEC_OPEN;
    uint32_t chain = c->chain, best = prev_length, nice = c->nice;
    if (prev_length >= c->good)
        chain >>= 2;
    uint32_t maxlen = known < 258 ? known : 258;
    const uint8_t *scan = buf + s;
    do {
        const uint8_t *m = buf + cur;
        if (m[best] == scan[best] && m[0] == scan[0] && m[1] == scan[1]) {
            uint32_t len = common_len(scan, m, maxlen);
            if (len == known)
                return SPEC_OPEN;
            if (len > best) {
                *match_start = cur;
                best = len;
                if (len >= nice || len >= maxlen)
                    break;
            }
        }
    } while ((cur = prev[cur & (DS_WSIZE - 1)]) != 0 && --chain != 0);
    return best;
}

/* deflate_fast steps that do not depend on what follows the source. */
static void spec_fast(const ds_cfg *c, ds_state *st, ds_tables *t, const uint8_t *buf,
                      uint32_t xlen) {
    uint32_t s = st->strstart;
    while (s + 2 < xlen) {
        size_t mark = t->log_len;
        uint32_t hh = insert_pos(t, buf, s, 1);
        uint32_t mlen = 0, ms = st->match_start;
        if (hh != 0 && s - hh <= DS_MAX_DIST) {
            mlen = spec_match(c, t->prev, buf, s, hh, xlen, 2, &ms);
            if (mlen == SPEC_OPEN) {
                ds_tables_undo_to(t, mark);
                break;
            }
        }
        if (mlen >= 3) {
            if (mlen <= c->lazy) {
                /* inserting s+1 .. s+mlen-1 reads up to s+mlen+1 */
                if (s + mlen + 1 >= xlen) {
                    ds_tables_undo_to(t, mark);
                    break;
                }
                for (uint32_t q = s + 1; q < s + mlen; q++)
                    insert_pos(t, buf, q, 1);
            }
            tally_match(&st->f, s - ms, mlen);
            st->match_start = ms;
            s += mlen;
        } else {
            tally_lit(&st->f, buf[s]);
            s++;
        }
        if (st->f.nsym == DS_SYM_END)
            flush_block(st, s);
    }
    st->strstart = s;
}

/* deflate_slow steps that do not depend on what follows the source. */
static void spec_slow(const ds_cfg *c, ds_state *st, ds_tables *t, const uint8_t *buf,
                      uint32_t xlen) {
    uint32_t s = st->strstart;
    uint32_t match_length = st->match_length, match_start = st->match_start;
    int match_available = st->match_available;
    while (s + 2 < xlen) {
        size_t mark = t->log_len;
        uint32_t hh = insert_pos(t, buf, s, 1);
        uint32_t prev_length = match_length, prev_match = match_start;
        uint32_t ml = 2, ms = match_start;
        if (hh != 0 && prev_length < c->lazy && s - hh <= DS_MAX_DIST) {
            ml = spec_match(c, t->prev, buf, s, hh, xlen, prev_length, &ms);
            if (ml == SPEC_OPEN) {
                ds_tables_undo_to(t, mark);
                break;
            }
            ml -= too_far(ml, s - ms);
        }
        if (prev_length >= 3 && ml <= prev_length) {
            uint32_t last = s + prev_length - 2;
            if (last + 2 >= xlen) { /* would insert a position hashing unknown bytes */
                ds_tables_undo_to(t, mark);
                break;
            }
            tally_match(&st->f, s - 1 - prev_match, prev_length);
            for (uint32_t q = s + 1; q <= last; q++)
                insert_pos(t, buf, q, 1);
            s = s - 1 + prev_length;
            match_available = 0;
            match_length = 2;
            match_start = ms;
            if (st->f.nsym == DS_SYM_END)
                flush_block(st, s);
        } else if (match_available) {
            tally_lit(&st->f, buf[s - 1]);
            if (st->f.nsym == DS_SYM_END)
                flush_block(st, s);
            s++;
            match_length = ml;
            match_start = ms;
        } else {
            match_available = 1;
            s++;
            match_length = ml;
            match_start = ms;
        }
    }
    st->strstart = s;
    st->match_length = match_length;
    st->match_start = match_start;
    st->match_available = match_available;
}

int ds_run_spec(const ds_cfg *c, ds_state *st, ds_tables *t, const uint8_t *buf, uint32_t xlen) {
    if (st->done || xlen > DS_FAST_TOTAL || st->base != 0)
        return 0;
    if (ds_tables_reserve_log(t, t->log_len + 2 * (size_t)(xlen - st->strstart) + 8))
        return -1;
    if (c->slow)
        spec_slow(c, st, t, buf, xlen);
    else
        spec_fast(c, st, t, buf, xlen);
    return 0;
}

/* ------------------------------------------------------------ plans */

static void plan_free(ds_plan *P) {
    free(P->at);
    free(P->step);
    free(P->sym);
    free(P->chk);
    free(P->cnt);
    memset(P, 0, sizeof *P);
}

/*
 * T's own parse at level c, as run_slow's target steps would take it with
 * a source that never has a candidate.
 */
static int plan_build(ds_target *T, const ds_cfg *c, const uint8_t *t) {
    ds_plan *P = &T->plan;
    uint32_t n = T->n;
    if (!T->tp || n > DS_TARGET_MAX)
        return 0;
    uint8_t *pad = calloc((size_t)n + 8, 1); /* gram keys read 8 bytes */
    P->at = malloc(((size_t)n + 1) * sizeof *P->at);
    P->step = malloc(((size_t)n + 1) * sizeof *P->step);
    P->sym = malloc(((size_t)n + 2) * sizeof *P->sym);
    P->chk = calloc(((size_t)n >> 6) * 64 + 64, sizeof *P->chk);
    P->cnt = malloc(((size_t)n + 2) * sizeof *P->cnt);
    if (!pad || !P->at || !P->step || !P->sym || !P->chk || !P->cnt) {
        free(pad);
        plan_free(P);
        return -1;
    }
    if (n)
        memcpy(pad, t, n);
    memset(P->at, 0, ((size_t)n + 1) * sizeof *P->at); /* step 0 is at index 0 only */
    memset(&P->step[0], 0, sizeof P->step[0]);
    uint32_t i = 0, ml = 2, ms = 0, k = 0, nsym = 0;
    int ma = 0;
    P->reach = UINT32_MAX;
    while (i < n) {
        uint32_t lookahead = n - i;
        if (i >= DS_MAX_DIST && P->reach == UINT32_MAX)
            P->reach = k;
        P->cnt[k] = nsym;
        P->at[i] = (uint16_t)k;
        ds_pstep *ps = &P->step[k];
        ps->pos = (uint16_t)i;
        ps->key = plan_key(ma, ml, i - ms);
        ps->best = ps->idx = 0;
        uint32_t prev_length = ml, prev_match = ms;
        ml = 2;
        if (lookahead >= 3 && prev_length < c->lazy) {
            search_rest R;
            ml = target_part(c, T, T->tp, 0, i, lookahead, prev_length, &ms, &R);
            if (R.more) {
                ps->best = (uint16_t)ml;
                ps->idx = (uint16_t)R.idx;
                P->chk[k] = T->hash[i] | 1u << 15 | gram_filter_bit(gram_for(ml), pad + i) << 16;
            }
            ml -= too_far(ml, i - ms);
        }
        uint32_t sym = PLAN_NOSYM;
        if (prev_length >= 3 && ml <= prev_length) {
            sym = plan_match_sym(i - 1 - prev_match, prev_length);
            i = i - 1 + prev_length;
            ma = 0;
            ml = 2;
        } else if (ma) {
            sym = plan_lit_sym(pad[i - 1]);
            i++;
        } else {
            ma = 1;
            i++;
        }
        nsym += sym != PLAN_NOSYM;
        P->sym[k++] = sym;
    }
    P->cnt[k] = nsym;
    if (P->reach > k)
        P->reach = k;
    P->sym[k] = ma ? plan_lit_sym(pad[n - 1]) : PLAN_NOSYM;
    syms_total(&P->total, P->sym, k + 1);
    P->nsteps = k;
    free(pad);
    return 0;
}

int ds_target_resolve(ds_target *T, const ds_cfg *c, const uint8_t *t) {
    uint32_t n = T->n, npos = n >= 3 ? n - 2 : 0;
    free(T->tp);
    T->tp = NULL;
    plan_free(&T->plan);
    if (n > DS_TARGET_MAX) /* positions (below n - 2) are stored in 16 bits */
        return 0;
    T->tp = calloc((size_t)npos + 1, sizeof *T->tp);
    if (!T->tp)
        return -1;
    T->tp_cfg = *c;
    for (uint32_t i = 0; i < npos; i++) {
        uint32_t lookahead = n - i;
        uint32_t nice = c->nice < lookahead ? c->nice : lookahead;
        uint32_t maxlen = lookahead < 258 ? lookahead : 258;
        for (int q = 0; q < 2; q++) {
            uint32_t chain = q ? c->chain >> 2 : c->chain, best = 0, pos = 0;
            int hit = 0;
            for (uint32_t k = T->rec_off[i]; k < T->rec_off[i + 1] && T->rec[k].idx < chain; k++) {
                if (T->rec[k].len > best) {
                    best = T->rec[k].len;
                    pos = T->rec[k].pos;
                    if (best >= nice || best >= maxlen) {
                        hit = 1;
                        break;
                    }
                }
            }
            T->tp[i].len[q] = (uint16_t)best;
            T->tp[i].pos[q] = (uint16_t)pos;
            T->tp[i].hit[q] = (uint8_t)hit;
        }
    }
    return plan_build(T, c, t);
}

/* ------------------------------------------------------------ levels 1-3: the fast plan */

/*
 * deflate_fast (levels 1-3) has no state between steps but the position and
 * the hash tables, and it inserts a position only where a step starts or
 * inside a match of at most max_lazy bytes.  So a pair at a target position
 * where the target's own parse (the plan) has a step is in step with it,
 * and the step is the plan's whenever its chain walk visits the same
 * candidates: the pair's chain is the target positions it inserted, then
 * the source's.  Two things can make the walks differ:
 *
 *  - the plan's walk ran out of candidates within its budget ("open": the
 *    pair's goes on), and the source has a position with that hash;
 *  - a target position below the step, not below the walk's lowest
 *    candidate, was inserted by one parse and not the other (a "diverged"
 *    position: the pair parsed that stretch itself).
 *
 * A pair flags the first kind in one pass over the plan, and the second
 * kind whenever it finds a diverged position (along the plan's same-hash
 * links ahead of it, until a chain budget's worth of plan-inserted
 * positions lies between).  It takes the plan's steps up to the next flag,
 * where it inserts the plan's positions it skipped into the tables and
 * parses for real until it meets the plan again.  Symbols: the plan's
 * total, less the plan steps not followed, plus its own.
 */


static void fplan_free(ds_fplan *P) {
    if (!P)
        return;
    free(P->at);
    free(P->pos);
    free(P->low);
    free(P->chk);
    free(P->sym);
    free(P->ins);
    free(P->hash);
    free(P->next);
    free(P->prevs);
    free(P);
}

static size_t fplan_bytes(const ds_fplan *P) {
    size_t n = P->n, k = P->nsteps;
    return sizeof *P + (n + 1) * (sizeof *P->at + sizeof *P->pos + sizeof *P->low) +
           ((k >> 6) * 64 + 64) * sizeof *P->chk + (n + 2) * sizeof *P->sym +
           ((n >> 6) + 1) * sizeof *P->ins +
           (n + 1) * (sizeof *P->hash + sizeof *P->next + sizeof *P->prevs);
}

static inline int fplan_inserted(const ds_fplan *P, uint32_t i) {
    return (int)(P->ins[i >> 6] >> (i & 63) & 1);
}

int ds_target_build_fast(ds_target *T, const ds_cfg *c, const uint8_t *t, uint32_t n) {
    memset(T, 0, sizeof *T);
    T->n = n;
    if (c->slow || n > DS_TARGET_MAX)
        return 0;
    ds_fplan *P = calloc(1, sizeof *P);
    uint32_t *head = calloc(DS_HASH_SIZE, sizeof *head); /* 1 + index, 0 = none */
    uint16_t *prv = malloc(((size_t)n + 1) * sizeof *prv);
    if (!P || !head || !prv)
        goto fail;
    T->fplan = P;
    P->n = n;
    P->cfg = *c;
    P->at = malloc(((size_t)n + 1) * sizeof *P->at);
    P->pos = malloc(((size_t)n + 1) * sizeof *P->pos);
    P->low = malloc(((size_t)n + 1) * sizeof *P->low);
    P->chk = calloc(((size_t)n >> 6) * 64 + 64, sizeof *P->chk);
    P->sym = malloc(((size_t)n + 2) * sizeof *P->sym);
    P->ins = calloc(((size_t)n >> 6) + 1, sizeof *P->ins);
    P->hash = calloc((size_t)n + 1, sizeof *P->hash);
    P->next = malloc(((size_t)n + 1) * sizeof *P->next);
    P->prevs = malloc(((size_t)n + 1) * sizeof *P->prevs);
    if (!P->at || !P->pos || !P->low || !P->chk || !P->sym || !P->ins || !P->hash ||
        !P->next || !P->prevs)
        goto fail;
    /* hashes and forward same-hash links (head[] as "next seen", from the end) */
    for (uint32_t i = 0; i <= n; i++) {
        P->at[i] = DS_PLAN_NONE;
        P->next[i] = 0xffff;
    }
    for (uint32_t i = 0; i + 3 <= n; i++)
        P->hash[i] = (uint16_t)hash3(t + i);
    for (uint32_t i = 0; i + 3 <= n; i++) {
        P->prevs[i] = head[P->hash[i]] ? (uint16_t)(head[P->hash[i]] - 1) : 0xffff;
        head[P->hash[i]] = i + 1;
    }
    memset(head, 0, DS_HASH_SIZE * sizeof *head);
    uint32_t i = 0, k = 0;
#define FP_INSERT(q)                                                                       \
    do {                                                                                   \
        uint32_t q_ = (q);                                                                 \
        prv[q_] = (uint16_t)head[P->hash[q_]];                                             \
        head[P->hash[q_]] = q_ + 1;                                                        \
        P->ins[q_ >> 6] |= 1ull << (q_ & 63);                                              \
    } while (0)
    while (i < n) {
        uint32_t look = n - i, len = 0, ms = 0, low = 0xffff, open = 0;
        P->at[i] = (uint16_t)k;
        P->pos[k] = (uint16_t)i;
        if (look >= 3) {
            uint32_t cur = head[P->hash[i]];
            FP_INSERT(i);
            uint32_t chain = c->chain, best = 2, maxlen = look < 258 ? look : 258;
            uint32_t nice = c->nice < look ? c->nice : look, used = 0;
            open = 1;
            /* longest_match over the target's own chain (index q = cur - 1) */
            while (cur) {
                uint32_t q = cur - 1;
                low = q;
                used++;
                if (try_candidate(t + i, t + q, q, nice, maxlen, &best, &ms)) {
                    open = 0;
                    break;
                }
                cur = prv[q];
                if (used == chain) { /* the budget ends the walk, in a pair too */
                    open = 0;
                    break;
                }
            }
            if (best >= 3)
                len = best;
            if (open)
                low = 0;
            P->chk[k] = P->hash[i] | open << 15 | used << 16 | best << 22;
        }
        P->low[k] = (uint16_t)low;
        if (len) {
            P->sym[k] = plan_match_sym(i - ms, len);
            if (len <= c->lazy && look - len >= 3)
                for (uint32_t q = i + 1; q < i + len; q++)
                    FP_INSERT(q);
            i += len;
        } else {
            P->sym[k] = plan_lit_sym(t[i]);
            i++;
        }
        k++;
    }
#undef FP_INSERT
    /* forward links to the next plan-inserted position with the same hash */
    memset(head, 0, DS_HASH_SIZE * sizeof *head);
    for (uint32_t q = n >= 3 ? n - 2 : 0; q-- > 0;) {
        uint32_t h = P->hash[q];
        if (head[h])
            P->next[q] = (uint16_t)(head[h] - 1);
        if (fplan_inserted(P, q))
            head[h] = q + 1;
    }
    P->nsteps = k;
    P->pos[k] = (uint16_t)n;
    P->low[k] = 0xffff;
    P->sym[k] = PLAN_NOSYM;
    syms_total(&P->total, P->sym, k + 1);
    free(head);
    free(prv);
    return 0;
fail:
    free(head);
    free(prv);
    if (T->fplan) {
        fplan_free(T->fplan);
        T->fplan = NULL;
    } else {
        free(P);
    }
    return -1;
}

void ds_fplan_present(uint64_t *present, const uint8_t *x, uint32_t n) {
    memset(present, 0, DS_HASH_SIZE / 8);
    for (uint32_t q = 1; q + 3 <= n; q++) { /* position 0 is never a candidate */
        uint32_t h = hash3(x + q);
        present[h >> 6] |= 1ull << (h & 63);
    }
}

/* Take back the symbols of fast-plan steps [from, to). */
static inline void fplan_untally(ds_untally *u, const ds_fplan *P, uint32_t from, uint32_t to) {
    for (uint32_t k = from; k < to; k++) {
        uint32_t sym = P->sym[k];
        u->n[sym & 0xffff]++;
        u->n[sym >> 16]++;
    }
    /* every step below K has a symbol, step K none */
    u->nsym += to > from ? to - from - (to > P->nsteps) : 0;
}


/* The bits of [a, b) in the 64-bit word starting at lo. */
static inline uint64_t fplan_bits(uint32_t a, uint32_t b, uint32_t lo) {
    uint32_t x = a > lo ? a - lo : 0, y = b > lo ? b - lo : 0;
    if (y > 64)
        y = 64;
    if (x >= y)
        return 0;
    uint64_t hi = y == 64 ? ~0ull : (1ull << y) - 1;
    return hi & (~0ull << x);
}

/* Target index q was inserted by one parse and not the other: flag the
 * plan steps ahead whose walks reach down to it. */
static void fplan_diverged(const ds_fplan *P, uint64_t *flag, uint64_t *flag_d, uint32_t q,
                           uint32_t chain) {
    /* later walks end above q once a budget's worth of insertions lies between */
    uint32_t cnt = 0, K = P->nsteps;
    for (uint32_t j = P->next[q]; j != 0xffff && cnt < chain; j = P->next[j], cnt++) {
        uint32_t k = P->at[j]; /* j is inserted: a step, or inside a short match */
        k = k == DS_PLAN_NONE ? K : k; /* low[K] = 0xffff: never flagged (no branch) */
        uint64_t bit = (uint64_t)(P->low[k] <= q) << (k & 63);
        flag[k >> 6] |= bit;
        flag_d[k >> 6] |= bit;
    }
}

/*
 * Plan step k (open, in step, no diverged position below it with its hash)
 * searched as the pair would: the plan's candidates, then the source's with
 * the rest of the budget (the tables hold source positions only).  Returns
 * the source's length if longer than the plan's (*found_start: where), else 0.
 */
static inline uint32_t fplan_source_search(const ds_cfg *c, const ds_tables *t,
                                           const uint8_t *buf, uint32_t tpos, uint32_t n,
                                           const ds_fplan *P, uint32_t k, uint32_t *found_start) {
    uint32_t e = P->chk[k], s = tpos + P->pos[k], look = n - s;
    uint32_t cur = t->head[e & 0x7fff];
    if (cur == 0)
        return 0;
    uint32_t best = e >> 22, budget = c->chain - ((e >> 16) & 63), ms = 0;
    uint32_t maxlen = look < 258 ? look : 258, nice = c->nice < look ? c->nice : look;
    uint32_t b = best;
    do {
        if (try_candidate(buf + s, buf + cur, cur, nice, maxlen, &b, &ms))
            break;
    } while ((cur = t->prev[cur]) > 0 && --budget != 0);
    *found_start = ms;
    return b > best ? b : 0;
}

/*
 * A real step's search (zlib's longest_match from length 2): the target
 * positions the pair inserted (bit j of pins), newest first, along the
 * target's same-hash links from j, then the source's chain from src.
 * *skips counts the links passed over (positions the pair did not insert).
 */
static inline uint32_t fplan_walk(const ds_cfg *c, const ds_tables *t, const uint8_t *buf,
                                  uint32_t tpos, uint32_t s, uint32_t look, const ds_fplan *P,
                                  const uint64_t *pins, uint32_t j, uint32_t src,
                                  uint32_t *match_start, uint32_t *skips) {
    uint32_t best = 2, used = 0, chain = c->chain;
    uint32_t maxlen = look < 258 ? look : 258, nice = c->nice < look ? c->nice : look;
    const uint8_t *scan = buf + s;
    for (; j != 0xffff; j = P->prevs[j]) {
        if (!(pins[j >> 6] >> (j & 63) & 1)) {
            ++*skips;
            continue;
        }
        if (try_candidate(scan, buf + tpos + j, tpos + j, nice, maxlen, &best, match_start) ||
            ++used == chain)
            return best;
    }
    for (uint32_t cur = src; cur > 0; cur = t->prev[cur])
        if (try_candidate(scan, buf + cur, cur, nice, maxlen, &best, match_start) ||
            ++used == chain)
            return best;
    return best;
}

/* flag bit k: plan step k's walk is open and the source has its hash. */
static void fplan_flags_c(const ds_fplan *P, const uint64_t *present, uint64_t *flag) {
    for (uint32_t w = 0; w <= P->nsteps >> 6; w++) {
        uint64_t acc = 0;
        const uint32_t *e = P->chk + w * 64;
        for (uint32_t b = 0; b < 64; b++)
            acc |= ((uint64_t)(e[b] >> 15) & (present[(e[b] & 0x7fff) >> 6] >> (e[b] & 63)) & 1) << b;
        flag[w] = acc;
    }
}

#if DS_X86
/* The same with AVX2 gathers, eight steps at a time. */
__attribute__((target("avx2"))) static void fplan_flags_avx2(const ds_fplan *P,
                                                              const uint64_t *present,
                                                              uint64_t *flag) {
    const __m256i low15 = _mm256_set1_epi32(0x7fff), low5 = _mm256_set1_epi32(31);
    for (uint32_t w = 0; w <= P->nsteps >> 6; w++) {
        uint64_t acc = 0;
        for (uint32_t v = 0; v < 8; v++) {
            __m256i e = _mm256_loadu_si256((const __m256i *)(P->chk + w * 64 + v * 8));
            __m256i h = _mm256_and_si256(e, low15);
            __m256i any = _mm256_i32gather_epi32((const int *)present, _mm256_srli_epi32(h, 5), 4);
            any = _mm256_srlv_epi32(any, _mm256_and_si256(h, low5));
            __m256i r = _mm256_slli_epi32(_mm256_and_si256(any, _mm256_srli_epi32(e, 15)), 31);
            acc |= (uint64_t)(uint32_t)_mm256_movemask_ps(_mm256_castsi256_ps(r)) << (8 * v);
        }
        flag[w] = acc;
    }
}
#endif

static void fplan_flags(const ds_fplan *P, const uint64_t *present, uint64_t *flag) {
#if DS_X86
    if (__builtin_cpu_supports("avx2")) {
        fplan_flags_avx2(P, present, flag);
        return;
    }
#endif
    fplan_flags_c(P, present, flag);
}

int ds_run_fplan(const ds_cfg *c, ds_state *st, ds_tables *t, const uint8_t *buf, uint32_t tpos,
                 const ds_fplan *P, uint64_t *present) {
    if (st->done)
        return 0;
    uint32_t tn = P->n, n = tpos + tn;
    if (tpos == 0 || n > DS_FAST_TOTAL || st->base != 0 || !t->logging ||
        st->strstart > tpos || memcmp(&P->cfg, c, sizeof *c) != 0 ||
        st->f.nsym + (n - st->strstart) + 2 >= DS_SYM_END)
        return ds_run(c, st, t, buf, n, UINT32_MAX);
    if (ds_tables_reserve_log(t, t->log_len + 2 * (size_t)(n - st->strstart) + 8))
        return -1;
    /* the hashes of the source positions that read target bytes, for this pair */
    uint64_t saved[2];
    uint32_t saved_w[2], nsaved = 0;
    for (uint32_t q = tpos >= 3 ? tpos - 2 : 1; q < tpos; q++) {
        if (q + 3 > n)
            break;
        uint32_t h = hash3(buf + q);
        saved_w[nsaved] = h >> 6;
        saved[nsaved++] = present[h >> 6];
        present[h >> 6] |= 1ull << (h & 63);
    }
    /* flag the open steps whose hash the source has */
    uint32_t K = P->nsteps;
    uint64_t flag[DS_TARGET_MAX / 64 + 2];
    fplan_flags(P, present, flag);
    while (nsaved > 0) { /* newest first */
        nsaved--;
        present[saved_w[nsaved]] = saved[nsaved];
    }
    uint64_t flag_d[DS_TARGET_MAX / 64 + 2]; /* the flags set for diverged positions */
    memset(flag_d, 0, ((K >> 6) + 1) * sizeof *flag_d);
    /* the target positions the pair has inserted: the plan's, but where it
     * parsed for real (target positions never go into the tables) */
    uint64_t pins[DS_TARGET_MAX / 64 + 2];
    memcpy(pins, P->ins, ((tn >> 6) + 1) * sizeof *pins);
    ds_state st0 = *st; /* to start again on the general path */
    size_t mark = t->log_len;
    uint32_t skips = 0, skip_cap = 256 + 4 * tn;
    uint32_t s = st->strstart, unfollowed = 0, found = 0, found_start = 0;
    ds_untally u;
    memset(&u, 0, sizeof u);
    while (s < n) {
        if (s >= tpos) {
            uint32_t k = P->at[s - tpos];
            if (k != DS_PLAN_NONE) { /* in step: follow the plan to its next flag */
                fplan_untally(&u, P, unfollowed, k);
                for (;; k++) {
                    k = next_flag(flag, k, K);
                    if (k == K || (flag_d[k >> 6] >> (k & 63) & 1))
                        break; /* the end, or a step to parse for real */
                    /* flagged for the source only: the pair's chain is the plan's
                     * candidates, then the source's */
                    if ((found = fplan_source_search(c, t, buf, tpos, n, P, k, &found_start)))
                        break;
                }
                if (k == K) {
                    unfollowed = K + 1;
                    s = n;
                    break;
                }
                unfollowed = k;
                s = tpos + P->pos[k];
            }
        }
        /* a step of deflate_fast, as run_fast takes it */
        uint32_t look = n - s, mlen = 0, ms = 0;
        if (look >= 3) {
            uint32_t src = s < tpos ? insert_pos(t, buf, s, 1) : t->head[P->hash[s - tpos]];
            if (found) { /* the source's longer match, found from the plan's state */
                mlen = found;
                ms = found_start;
                found = 0;
            } else {
                mlen = fplan_walk(c, t, buf, tpos, s, look, P, pins,
                                  s >= tpos ? P->prevs[s - tpos] : 0xffff, src, &ms, &skips);
            }
        }
        uint32_t end = s + 1, interior = 0;
        if (mlen >= 3) {
            tally_match(&st->f, s - ms, mlen);
            end = s + mlen;
            if (mlen <= c->lazy && look - mlen >= 3) {
                interior = 1;
                for (uint32_t q = s + 1; q < end && q < tpos; q++)
                    insert_pos(t, buf, q, 1);
            }
        } else {
            tally_lit(&st->f, buf[s]);
        }
        /* the target positions it covers: where its insertions differ from
         * the plan's (flag the steps they reach), and the pair's bits */
        uint32_t here = s >= tpos ? P->at[s - tpos] : DS_PLAN_NONE;
        if ((here == DS_PLAN_NONE || P->pos[here + 1] != end - tpos) && end > tpos) {
            uint32_t a = s > tpos ? s - tpos : 0, b = end - tpos;
            uint32_t first = s >= tpos && look >= 3 ? a : UINT32_MAX; /* the step's own */
            uint32_t in_a = interior ? (s + 1 > tpos ? s + 1 - tpos : 0) : b; /* [in_a, b) */
            if (b - a <= 64 - (a & 63)) { /* one word (a literal, a short match) */
                uint32_t w = a >> 6, lo = w << 6;
                uint64_t top = ~0ull >> (63 - ((b - 1) & 63));
                uint64_t range = top & (~0ull << (a & 63));
                uint64_t mine = in_a < b ? top & (~0ull << (in_a & 63)) : 0;
                mine |= (uint64_t)(first != UINT32_MAX) << (a & 63);
                for (uint64_t x = (pins[w] ^ mine) & range; x; x &= x - 1)
                    fplan_diverged(P, flag, flag_d, lo + (uint32_t)__builtin_ctzll(x), c->chain);
                pins[w] = (pins[w] & ~range) | mine;
            } else {
                for (uint32_t w = a >> 6; w <= (b - 1) >> 6; w++) {
                    uint32_t lo = w << 6;
                    uint64_t range = fplan_bits(a, b, lo), mine = fplan_bits(in_a, b, lo);
                    if (first - lo < 64)
                        mine |= 1ull << (first - lo);
                    for (uint64_t x = (pins[w] ^ mine) & range; x; x &= x - 1)
                        fplan_diverged(P, flag, flag_d, lo + (uint32_t)__builtin_ctzll(x),
                                       c->chain);
                    pins[w] = (pins[w] & ~range) | (mine & range);
                }
            }
        }
        s = end;
        if (skips > skip_cap) { /* same-hash runs the pair did not insert: start again */
            ds_tables_undo_to(t, mark);
            *st = st0;
            return ds_run(c, st, t, buf, n, UINT32_MAX);
        }
    }
    fplan_untally(&u, P, unfollowed, K + 1);
    plan_add(&st->f, &P->total, &u);
    finish(st, n);
    st->strstart = n;
    return 0;
}
