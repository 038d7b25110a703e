/*
 * deflate_size.h - exact deflate stream lengths without emitting bits.
 *
 * A model of zlib 1.2.13 deflate (windowBits 15, memLevel 8, default
 * strategy, levels 1-9) that follows its parse decisions and block choices
 * exactly but only counts bits.  docs/engine.md describes the model (the
 * rules of zlib's deflate_fast/deflate_slow and trees it follows) and how
 * pairs reuse work; csrc/tests/ and fuzz/ check it against the system zlib.
 *
 * Positions are absolute offsets into one contiguous input buffer; the
 * sliding window is modelled by `base` (the absolute position of window
 * index 0), so a slide never moves data.  Hash tables hold absolute
 * positions; an entry q is NIL when q <= base.
 *
 * A parse can be paused at a position and resumed later with more input
 * (ds_run with a stop position), and its state forked cheaply: ds_state is
 * small and flat, and the hash tables can record an undo log of every write
 * so that a fork's changes are reverted in O(writes).
 */
#ifndef DEFLATE_SIZE_H
#define DEFLATE_SIZE_H

#include <stddef.h>
#include <stdint.h>

#define DS_WSIZE 32768u
#define DS_HASH_SIZE 32768u
#define DS_MIN_LOOKAHEAD 262u
#define DS_MAX_DIST 32506u     /* WSIZE - MIN_LOOKAHEAD */
#define DS_SYM_END 16383u      /* symbols per block */
#define DS_MAX_INPUT 0x7fff0000u /* larger inputs: ZF_ETOOBIG */
#define DS_L_CODES 286
#define DS_D_CODES 30

/* Per-level tuning, zlib's configuration_table. */
typedef struct ds_cfg {
    uint32_t good, lazy, nice, chain;
    int slow; /* 1: deflate_slow (levels 4-9), 0: deflate_fast (1-3) */
} ds_cfg;

/* Returns 0 and fills *c for levels 1-9, -1 otherwise. */
int ds_cfg_for_level(int level, ds_cfg *c);

/* Symbol frequencies of the block being built. */
typedef struct ds_freqs {
    uint16_t lit[DS_L_CODES];
    uint16_t dist[DS_D_CODES];
    uint32_t nsym;
} ds_freqs;

/* Everything a paused parse needs besides the hash tables. */
typedef struct ds_state {
    uint32_t base;        /* absolute position of window index 0 */
    uint32_t strstart;    /* next position to decide */
    uint32_t block_start; /* absolute start of the current block */
    uint32_t match_length, match_start;
    uint32_t prev_length, prev_match;
    int match_available;
    int done;             /* final block flushed */
    uint64_t bits;        /* deflate stream bits written so far */
    int defer_final;      /* leave the final block to ds_finish_pending */
    int pending;          /* the final block is waiting for it */
    uint32_t pend_len;    /* that block's stored length ... */
    int pend_ok;          /* ... and whether it could be stored */
    ds_freqs f;
} ds_state;

/* Undo log entry: table slot and its previous value. */
typedef struct ds_undo {
    uint32_t *slot;
    uint32_t old;
} ds_undo;

typedef struct ds_tables {
    uint32_t *head; /* DS_HASH_SIZE entries */
    uint32_t *prev; /* DS_WSIZE entries */
    ds_undo *log;   /* undo log, grown by ds_run as needed */
    size_t log_len, log_cap;
    int logging; /* set by the caller: record writes in the log */
} ds_tables;

/* Allocate tables (head zeroed) and an undo log of log_cap entries. */
int ds_tables_init(ds_tables *t, size_t log_cap);
/* Make room for `need` log entries; 0 or -1 (no memory). */
int ds_tables_reserve_log(ds_tables *t, size_t need);
void ds_tables_free(ds_tables *t);
/* Forget everything (head := NIL, log emptied). */
void ds_tables_clear(ds_tables *t);
/* Revert every write recorded after log position mark (newest first). */
void ds_tables_undo_to(ds_tables *t, size_t mark);

void ds_state_init(ds_state *st);

/*
 * Run the parse over buf[0..n) (all input known: n is the end of input)
 * until a loop top with strstart >= stop, or to the end of input.  At the
 * end the final block is flushed and st->done is set.  When t->logging is
 * set every table write is logged.  Returns 0, or -1 if the log could not
 * grow (nothing was changed then).
 */
int ds_run(const ds_cfg *c, ds_state *st, ds_tables *t, const uint8_t *buf, uint32_t n,
           uint32_t stop);

/*
 * Per-target precomputation for levels 4-9 (deflate_slow inserts every
 * position, so a target position's hash chain is: the earlier target
 * positions with the same hash, then the source's).  For each target
 * position i the chain part inside the target is summarised by its
 * "records": the candidates whose match length beats every candidate
 * before them in chain order, with their chain index.  A search with any
 * starting best, chain budget and nice length only needs these records.
 * Distances are the pair's: a candidate counts while zlib's MAX_DIST
 * limit lets the chain reach it (the first one at most DS_MAX_DIST back,
 * the others less), and count[i] is UINT16_MAX when that limit stops the
 * chain inside the target, before any source position.
 */
typedef struct ds_rec {
    uint16_t idx; /* chain index (0 = first candidate) */
    uint16_t len; /* match length, capped at min(258, lookahead) */
    uint32_t pos; /* candidate position, relative to the target */
} ds_rec;

/*
 * The records of one position resolved for one level: for the full and
 * the quartered chain budget, the length and position a search ends with
 * from the target's own candidates (started from nothing), and whether
 * that ends the search (nice length or the length cap reached).  Because
 * records only grow, a search starting from prev_length takes this result
 * if its length is larger, else keeps prev_length.
 */
typedef struct ds_tpos {
    uint16_t len[2]; /* [0]: full budget, [1]: budget / 4; 0 = no record */
    uint16_t pos[2];
    uint8_t hit[2];
} ds_tpos;

/*
 * The target's own parse for one level (the "plan"): the steps deflate_slow
 * takes through the target when no source candidate ever wins, from the
 * state (no match pending, match_length 2).  A pair whose parse reaches a
 * plan step in the same state takes the plan's steps until the next step
 * whose search the source could change (see run_slow); the plan's symbols
 * are added as a whole and the steps the pair did not follow subtracted.
 */
#define DS_PLAN_NONE 0xffffu /* a fast plan's "no step here" (targets under 32000 bytes) */
typedef struct ds_pstep {
    uint32_t key;  /* the state it starts from (plan_key) */
    uint16_t pos;  /* its target index */
    uint16_t best; /* with a search: the length the target's candidates give, */
    uint16_t idx;  /*   and the chain index of the source's first candidate */
} ds_pstep;

typedef struct ds_plan {
    uint32_t nsteps;    /* K */
    uint16_t *at;       /* at[i]: the step at target index i if one starts there
                           (step[at[i]].pos == i), else 0 (16 bits: a 64 KiB
                           target has up to 65536 steps, no value is spare) */
    ds_pstep *step;     /* step[k] */
    uint32_t *sym;      /* sym[k]: its symbol (K + 1 entries; [K]: the last literal) */
    uint32_t *chk;      /* chk[k]: hash | search << 15 | gram filter bit << 16, where
                           search = 1 when the step's search goes on to the source's
                           candidates; zero-padded to a multiple of 64 steps */
    uint32_t *cnt;      /* cnt[k]: symbols of steps [0, k) (K + 1 entries): where a block ends */
    uint32_t reach;     /* steps before the first at target index >= DS_MAX_DIST: only
                           these can meet a source candidate */
    ds_freqs total;     /* all of sym[0..K] */
} ds_plan;

typedef struct ds_target {
    uint32_t n;
    uint16_t *hash;    /* hash of t[i..i+2], i <= n-3 */
    uint16_t *count;   /* same-hash target positions before i (capped) */
    uint32_t *rec_off; /* records of i: rec[rec_off[i] .. rec_off[i+1]) */
    ds_rec *rec;
    ds_cfg tp_cfg;     /* the level tp was resolved for */
    ds_tpos *tp;       /* NULL: not resolved, searches walk the records */
    ds_plan plan;      /* with tp; plan.at NULL: none */
    size_t rec_cap;    /* entries allocated in rec */
    struct ds_fplan *fplan; /* levels 1-3: the target's own parse (then only n is set besides) */
} ds_target;

#define DS_TARGET_MAX 65536u /* larger targets get no precomputation (16-bit positions) */
#define DS_FAST_TOTAL 32000u /* sources up to this: indexed, extended, fast path */

/* Records of chain index < chain (the level's budget; at most 65535). */
int ds_target_build(ds_target *T, const uint8_t *t, uint32_t n, uint32_t chain);
/* Resolve T's records for level c (ds_tpos) and plan T's own parse
 * (ds_plan; t is the target T was built from).  0 or -1 (no memory). */
int ds_target_resolve(ds_target *T, const ds_cfg *c, const uint8_t *t);
void ds_target_free(ds_target *T);
/* Bytes of the arrays T holds (its records, resolution and plan; not the
 * ds_target itself, nor the allocator's overhead). */
size_t ds_target_bytes(const ds_target *T);

/*
 * Per-source index for the fast path: the source's "deep" positions
 * 1 .. D-1 (D = max(1, n-7): every 8-byte gram starting there lies inside
 * the source) chained by equal 3-, 4-, 5-, 6- and 8-byte grams, and each one's
 * rank in its hash chain (how many deeper-later positions share its hash).
 * A target search walks only candidates that share enough leading bytes
 * to beat the best length so far, and stops where the chain budget ends.
 * Positions D .. n-1 are walked through the hash tables as usual.
 */
#define DS_NGRAMS 5 /* gram lengths 3, 4, 5, 6 and 8 */
typedef struct ds_srcidx {
    uint32_t n, deep_end; /* source length, D */
    uint32_t cap;         /* positions allocated */
    uint16_t *rank;       /* rank[q] */
    uint16_t *link[DS_NGRAMS]; /* next lower position with the same 3/4/5/6/8-gram */
    uint32_t map_bits, map_cap;
    uint16_t *map_pos[DS_NGRAMS]; /* 0: empty slot; a slot's key is the gram at its position */
    uint16_t *hash_total; /* DS_HASH_SIZE counters */
    uint64_t *present;    /* bit h: some deep position has hash h */
    uint64_t *gram_filter; /* per gram length, bit map_slot(gram): some deep position has it */
} ds_srcidx;

int ds_srcidx_build(ds_srcidx *S, const uint8_t *x, uint32_t n);
void ds_srcidx_free(ds_srcidx *S);

/*
 * Like ds_run from a paused state to the end, for buf = source ⊕ target
 * with the target starting at tpos and T built from it (levels 4-9 only,
 * tpos <= DS_FAST_TOTAL; the window may slide and blocks end anywhere
 * in the target).  Target positions are not inserted in
 * the tables; their own candidates come from T, the source's from S
 * (built from buf[0..tpos)) or, if S is NULL, from the tables.  S's
 * bitmap is changed during the call and restored before it returns.
 */
int ds_run_target(const ds_cfg *c, ds_state *st, ds_tables *t, const uint8_t *buf, uint32_t tpos,
                  const ds_target *T, ds_srcidx *S);

/*
 * Speculative extension of a paused source prefix (source length xlen <=
 * DS_FAST_TOTAL, state paused by ds_run at ds_pause_pos(xlen)): keep
 * taking parse steps whose outcome cannot depend on the bytes that follow
 * the source, and stop at the first step that could (a match reaching the
 * source's end, or a hash reading past it).  The resulting state is the
 * one-shot state for any continuation of length >= 1 with source +
 * continuation <= DS_FAST_TOTAL.  Table writes are logged.  0 or -1.
 */
int ds_run_spec(const ds_cfg *c, ds_state *st, ds_tables *t, const uint8_t *buf, uint32_t xlen);

/*
 * Levels 1-3 (deflate_fast): the target's own parse (its "fast plan").
 * deflate_fast inserts a position only where a step starts, or inside a
 * match of at most max_lazy bytes, so a target step's hash chain depends on
 * the parse before it; a pair takes a plan step only where its chain walk
 * provably visits the same candidates as the plan's (docs/engine.md,
 * "Levels 1-3").
 */
typedef struct ds_fplan {
    uint32_t n, nsteps; /* target length, K */
    ds_cfg cfg;         /* the level it was built for */
    uint16_t *at;       /* at[i]: the step at target index i, or DS_PLAN_NONE (n + 1) */
    uint16_t *pos;      /* pos[k]: its target index */
    uint16_t *low;      /* the lowest candidate its walk visits; 0 when the walk ran out of
                           candidates within its budget (a pair's could go on); 0xffff: none */
    uint32_t *chk;      /* hash | open << 15 (open: low == 0 and a search); padded to 64 */
    uint32_t *sym;      /* K + 1 symbols as plan_sym; [K]: none */
    uint64_t *ins;      /* bit i: the plan inserts target index i */
    uint16_t *hash;     /* hash[i] for i + 3 <= n */
    uint16_t *next;     /* the next plan-inserted index with the same hash, or 0xffff */
    uint16_t *prevs;    /* previous index with the same hash, or 0xffff */
    ds_freqs total;     /* all of sym[0..K] */
} ds_fplan;

/* T gets only n and a fast plan for level c (1-3); 0 or -1 (no memory). */
int ds_target_build_fast(ds_target *T, const ds_cfg *c, const uint8_t *t, uint32_t n);

/*
 * Like ds_run from a paused state to the end, for buf = source ⊕ target
 * (target at tpos, P built from it for level c), taking the plan's steps
 * wherever they are provably the pair's.  present: bit h set for the hash
 * of every source position (1 .. tpos-3); changed during the call and
 * restored.  Falls back to ds_run when the plan does not apply.
 */
int ds_run_fplan(const ds_cfg *c, ds_state *st, ds_tables *t, const uint8_t *buf, uint32_t tpos,
                 const ds_fplan *P, uint64_t *present);
/* Set present's bits for a source x[0..n) (present: DS_HASH_SIZE bits, cleared here). */
void ds_fplan_present(uint64_t *present, const uint8_t *x, uint32_t n);

/* Deflate stream length in bytes of a finished parse. */
static inline uint64_t ds_stream_bytes(const ds_state *st) { return (st->bits + 7) >> 3; }

/*
 * Cost of flushing a block: returns the new running bit count.  stored_ok
 * says whether the block's raw bytes are still in the window.
 */
uint64_t ds_flush_block_bits(const ds_freqs *f, uint32_t stored_len, int stored_ok,
                             uint64_t bits);

/*
 * States run with defer_final set stop short of their final block's trees
 * (done and pending are set, bits not final).  This finishes n of them,
 * building the trees of up to DS_BATCH blocks side by side, which is
 * faster than one by one; the results are the same.
 */
#define DS_BATCH 4
void ds_finish_pending(ds_state *const *st, int n);

/* The pause position for a prefix of length n (first decision >= this). */
static inline uint32_t ds_pause_pos(uint32_t n) {
    return n > DS_MIN_LOOKAHEAD - 1 ? n - (DS_MIN_LOOKAHEAD - 1) : 0;
}

#endif /* DEFLATE_SIZE_H */
