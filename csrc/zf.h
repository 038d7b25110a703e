/*
 * zf.h - the zipfit C engine: compressed sizes and NCD pair loops.
 *
 * No Python API in this engine.  zipfit/_core.pyx marshals Python objects into the plain
 * structures below, creates one engine context per worker thread while it
 * holds the GIL, and then calls zf_job_work() from each thread without it.
 *
 * An engine computes exact compressed lengths for one compressor family.
 * It is a table of functions (zf_engine) so that the pair loop, the work
 * split and the error handling are written once for every compressor.
 */
#ifndef ZF_H
#define ZF_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Error codes: 0 is success, everything else is negative. */
enum {
    ZF_OK = 0,
    ZF_ENOMEM = -1,  /* an allocation failed */
    ZF_ECODEC = -2,  /* the compressor library reported an error */
    ZF_ECANCEL = -3, /* the job was cancelled (Ctrl-C) */
    ZF_EINVAL = -4,  /* bad parameters (level out of range, ...) */
    ZF_ETOOBIG = -5, /* an input is larger than the compressor accepts */
    ZF_EINTERNAL = -6 /* a bound the engine relies on did not hold (a bug) */
};

const char *zf_strerror(int code);

/* Grow *buf (capacity *cap) to hold at least need bytes, doubling from
 * 4 KiB; contents are kept.  Returns ZF_OK or ZF_ENOMEM. */
int zf_grow(uint8_t **buf, size_t *cap, size_t need);

/* Container around the compressed stream. */
enum {
    ZF_WRAP_RAW = 0,  /* raw deflate (wbits -15) */
    ZF_WRAP_ZLIB = 1, /* zlib header + adler32 (wbits 15) */
    ZF_WRAP_GZIP = 2  /* gzip header + crc32/isize (wbits 31) */
};

typedef struct zf_params {
    int level;   /* compressor level, already validated by the caller */
    int wrapper; /* ZF_WRAP_* for the deflate family, 0 otherwise */
} zf_params;

/* A byte string owned by the caller. */
typedef struct zf_span {
    const uint8_t *ptr;
    size_t len;
} zf_span;

/*
 * An engine.  Every function returns ZF_OK or a negative code.
 *
 *   ctx_new     one context per thread; the only place that may allocate
 *               large state up front.
 *   target_new  optional (may be NULL): precompute what does not depend on
 *               the source, once per target, shared read-only by all threads.
 *               *state may be left NULL (nothing worth keeping); pair()
 *               takes NULL for any target, with the same results.
 *   target_mem  with target_new: bytes of memory a state holds (its arrays;
 *               not the allocator's overhead), at least 1.  Budgets count
 *               these.
 *   target_trim optional (may be NULL): drop the parts of a state that pairs
 *               can do without (slower, same results); returns target_mem
 *               of what is left.
 *   size        C(x) for one text.
 *   row_begin   start a source row: later pair() calls compress src ⊕ t.
 *   pair        C(src ⊕ t) for the row's source and one target.
 *   pairs       optional (may be NULL): pair() for n <= ZF_BATCH targets
 *               at once, out[k] for ts[k]; same results, possibly faster.
 *               On an error the loop redoes the batch with pair() to find
 *               which target failed.
 *   max_input   the longest text or pair (source + target), in bytes, that
 *               size and pair take; longer ones return ZF_ETOOBIG.  0: no
 *               limit.  (Jobs can leave longer items out: zf_job.max_input.)
 *   target_bytes optional (may be NULL): bytes of a target's state that a
 *               pair reads.  When set, a tile's columns are taken in blocks
 *               of at most ZF_COL_BLOCK_BYTES of it, each block against
 *               every row of the tile (row_begin once per row and block),
 *               so that the block's states stay in the core's cache.  Rows
 *               longer than ZF_COL_BLOCK_MAX_ROW bytes, whose row_begin
 *               costs more than that saves, take all columns at once.
 */
typedef struct zf_engine {
    const char *name;
    size_t max_input;
    int (*ctx_new)(const zf_params *p, void **ctx);
    void (*ctx_free)(void *ctx);
    int (*target_new)(const zf_params *p, const uint8_t *t, size_t n, void **state);
    void (*target_free)(void *state);
    size_t (*target_mem)(const void *state);
    size_t (*target_trim)(void *state);
    int (*size)(void *ctx, const uint8_t *x, size_t n, uint64_t *out);
    int (*row_begin)(void *ctx, const uint8_t *src, size_t n);
    int (*pair)(void *ctx, const void *tstate, const uint8_t *t, size_t n, uint64_t *out);
    int (*pairs)(void *ctx, const void *const *tstates, const zf_span *ts, size_t n,
                 uint64_t *out);
    size_t (*target_bytes)(const void *state);
} zf_engine;

#define ZF_BATCH 4
/* Measured with the lz4 engine (HumanEval targets, 2 cores): blocks of
 * 512 KiB-1 MiB of traces gave the same speed; blocking paid for sources
 * up to 2-4 KB and cost for longer ones (docs/lz4-engine.md). */
#define ZF_COL_BLOCK_BYTES ((size_t)640 << 10)
#define ZF_COL_BLOCK_MAX_ROW 2048

/* Engines compiled into this build. */
extern const zf_engine zf_engine_zlib;    /* system zlib, one reused stream per thread */
extern const zf_engine zf_engine_deflate; /* size-only model of stock zlib (deflate_size.c) */
extern const zf_engine zf_engine_lz4;     /* size-only LZ4 fast mode, levels < 3 (lz4_size.c) */

/* The version string of the zlib linked at run time (zlibVersion()). */
const char *zf_zlib_runtime_version(void);

/* ------------------------------------------------------- target sets */

/* The memory budget of a target set when the caller names none. */
#define ZF_TARGET_BUDGET_DEFAULT ((size_t)1 << 30)

typedef struct zf_targets_info {
    size_t bytes;   /* target_mem of the states kept, at most the budget */
    size_t full;    /* targets whose whole state was kept */
    size_t trimmed; /* targets kept trimmed (target_trim) */
} zf_targets_info;

/*
 * The states of a target set, within a memory budget of `budget` bytes
 * (target_mem summed): states[j] for t[j] (n entries, NULL where there is
 * none).  When every state fits whole, all are kept whole (one build
 * each).  Otherwise:
 *   engines that can trim (target_trim: lz4) first give every target, in
 *   order, its trimmed state while those fit, then rebuild whole states in
 *   order for as long as the budget lasts (a target built two or three
 *   times);
 *   engines that cannot (deflate) keep whole states in order up to the
 *   first that does not fit; the targets from there on get none (and are
 *   not built).
 * A target without a state is paired by the engine's unprepared path, a
 * trimmed one by a slower path: the same sizes either way.  While a state
 * is built and measured, memory may exceed the budget by that one state.
 * Returns ZF_OK, or target_new's error (the states are freed then, and
 * states[] set to NULL).  Engines without target_new give all NULL.
 */
int zf_targets_prepare(const zf_engine *e, const zf_params *p, const zf_span *t, size_t n,
                       size_t budget, void **states, zf_targets_info *info);

/* Free the states of zf_targets_prepare (NULL entries are skipped). */
void zf_targets_free(const zf_engine *e, void **states, size_t n);

/* ------------------------------------------------------------------ jobs */

/* A rectangle of work: rows [r0, r1) against columns [c0, c1). */
typedef struct zf_tile {
    size_t r0, r1, c0, c1;
} zf_tile;

enum {
    ZF_JOB_SIZES = 0, /* out_sizes[i] = C(rows[i]); columns unused */
    ZF_JOB_NCD = 1    /* out_ncd[i*ncols+j] = NCD(rows[i], cols[j]) */
};

typedef struct zf_job {
    int kind;
    const zf_engine *engine;
    zf_params params;
    const zf_span *rows;
    size_t nrows;
    const zf_span *cols;
    size_t ncols;
    void *const *col_states;  /* per column, from target_new, or NULL */
    const uint64_t *row_size; /* C(rows[i]), for ZF_JOB_NCD */
    const uint64_t *col_size; /* C(cols[j]), for ZF_JOB_NCD */
    uint64_t *out_sizes;      /* ZF_JOB_SIZES: nrows entries */
    double *out_ncd;          /* ZF_JOB_NCD: nrows*ncols, or NULL ...   */
    float *out_ncd32;         /* ... or this one, for float32 output    */
    uint64_t *out_pair_sizes; /* optional: C(rows[i] ⊕ cols[j]), nrows*ncols */

    const zf_tile *tiles;
    size_t ntiles;
    /* 0, or the longest text (ZF_JOB_SIZES) or pair (ZF_JOB_NCD: source +
     * target) to compute: longer ones are left out, their outputs left
     * untouched and not counted in done_pairs, for the caller to compute
     * another way (the caller sets it to the engine's max_input, or less). */
    size_t max_input;

    /* Shared between the workers and the thread that waits for them: C11
     * atomics, read and written only through zf_job_init, zf_job_work and
     * the accessors below (never directly, never from Cython). */
    _Atomic size_t next_tile;
    _Atomic int cancel;     /* nonzero: stop all workers (zf_job_cancel) */
    _Atomic int error;      /* first error code, 0 if none */
    _Atomic size_t err_row; /* where the first error happened */
    _Atomic size_t err_col;
    _Atomic size_t done_pairs; /* progress: pairs (or texts) finished */
} zf_job;

/* Reset the shared fields before the workers start. */
void zf_job_init(zf_job *job);

/* Ask every worker to stop; safe from any thread while they run.  Each
 * stops within one text or pair and returns ZF_ECANCEL. */
void zf_job_cancel(zf_job *job);

/* Pairs (or, for ZF_JOB_SIZES, texts) finished so far; safe from any
 * thread while the workers run (a lower bound then, exact once they have
 * all returned). */
size_t zf_job_done_pairs(const zf_job *job);

/* The job's first error (ZF_OK if none) and, if row/col are not NULL,
 * where it happened.  Read it after every worker has returned: while they
 * run, the code may be set before its place. */
int zf_job_error(const zf_job *job, size_t *row, size_t *col);

/*
 * Run tiles until none are left, the job is cancelled or another worker
 * failed.  ctx comes from job->engine->ctx_new.  Returns ZF_OK or the
 * code this worker hit; the job's first error is in job->error.
 */
int zf_job_work(zf_job *job, void *ctx);

/*
 * Split the work into at most max_tiles tiles of roughly equal cost in
 * bytes to compress, in row-major order.  For ZF_JOB_SIZES pass cols =
 * NULL.  A row whose cost alone exceeds the target is split by columns.
 * tile_cost is the cost each tile should reach (0 picks one from total and
 * nthreads); it is raised until the tiles fit.  On ZF_OK *ntiles is the
 * number of tiles written, 0 only when there is no work (no rows, or no
 * columns for an NCD job).  ZF_ENOMEM: the work does not fit in max_tiles
 * tiles (max_tiles is 0); *ntiles is 0 then and nothing may be run.
 */
int zf_plan_tiles(const zf_span *rows, size_t nrows, const zf_span *cols, size_t ncols,
                  unsigned nthreads, uint64_t tile_cost, zf_tile *out, size_t max_tiles,
                  size_t *ntiles);

/* NCD from three sizes, as the reference computes it in Python. */
static inline double zf_ncd(uint64_t cx, uint64_t cy, uint64_t cxy) {
    uint64_t lo = cx < cy ? cx : cy, hi = cx < cy ? cy : cx;
    if (hi == 0)
        return 0.0;
    return ((double)cxy - (double)lo) / (double)hi;
}

#ifdef __cplusplus
}
#endif
#endif /* ZF_H */
