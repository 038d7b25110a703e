/*
 * zf_loop.c - the pair loops, shared by every engine.
 *
 * Workers pull tiles from a shared counter.  Within a tile a source row is
 * laid down once (row_begin) and then paired with each target column (or,
 * for engines with large target states, once per block of columns).  The
 * first error wins; the others see it and stop.  Cancellation is polled
 * between texts, so a Ctrl-C stops the job within one compression.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "zf.h"

const char *zf_strerror(int code) {
    switch (code) {
    case ZF_OK:
        return "success";
    case ZF_ENOMEM:
        return "out of memory";
    case ZF_ECODEC:
        return "the compressor library reported an error";
    case ZF_ECANCEL:
        return "cancelled";
    case ZF_EINVAL:
        return "invalid compressor parameters";
    case ZF_ETOOBIG:
        return "input too large for this compressor";
    case ZF_EINTERNAL:
        return "internal error in the engine (a checked bound did not hold)";
    default:
        return "unknown error";
    }
}

int zf_grow(uint8_t **buf, size_t *cap, size_t need) {
    if (need <= *cap)
        return ZF_OK;
    size_t c = *cap ? *cap : 4096; /* never 0: no zero-size realloc */
    while (c < need) {
        if (c > SIZE_MAX / 2)
            return ZF_ENOMEM;
        c *= 2;
    }
    uint8_t *p = realloc(*buf, c);
    if (!p)
        return ZF_ENOMEM;
    *buf = p;
    *cap = c;
    return ZF_OK;
}

void zf_job_init(zf_job *job) {
    atomic_init(&job->next_tile, 0);
    atomic_init(&job->cancel, 0);
    atomic_init(&job->error, 0);
    atomic_init(&job->err_row, 0);
    atomic_init(&job->err_col, 0);
    atomic_init(&job->done_pairs, 0);
}

void zf_job_cancel(zf_job *job) {
    atomic_store_explicit(&job->cancel, 1, memory_order_relaxed);
}

size_t zf_job_done_pairs(const zf_job *job) {
    return atomic_load_explicit(&job->done_pairs, memory_order_relaxed);
}

int zf_job_error(const zf_job *job, size_t *row, size_t *col) {
    /* the place is stored after the code wins (job_fail): complete once the
     * workers have returned, which orders it before this read */
    int code = atomic_load_explicit(&job->error, memory_order_relaxed);
    if (row)
        *row = atomic_load_explicit(&job->err_row, memory_order_relaxed);
    if (col)
        *col = atomic_load_explicit(&job->err_col, memory_order_relaxed);
    return code;
}

static int job_stopped(const zf_job *job) {
    return atomic_load_explicit(&job->cancel, memory_order_relaxed) ||
           atomic_load_explicit(&job->error, memory_order_relaxed);
}

/* Keep the first error and where it happened. */
static void job_fail(zf_job *job, int code, size_t row, size_t col) {
    int expected = 0;
    if (atomic_compare_exchange_strong(&job->error, &expected, code)) {
        atomic_store_explicit(&job->err_row, row, memory_order_relaxed);
        atomic_store_explicit(&job->err_col, col, memory_order_relaxed);
    }
}

static void store_ncd(zf_job *job, size_t i, size_t j, uint64_t cxy) {
    size_t k = i * job->ncols + j;
    double d = zf_ncd(job->row_size[i], job->col_size[j], cxy);
    if (job->out_ncd)
        job->out_ncd[k] = d;
    if (job->out_ncd32)
        job->out_ncd32[k] = (float)d;
    if (job->out_pair_sizes)
        job->out_pair_sizes[k] = cxy;
}

/* End of the column block starting at c0 (see zf_engine.target_bytes). */
static size_t col_block_end(const zf_job *job, size_t c0, size_t c1) {
    const zf_engine *e = job->engine;
    if (!e->target_bytes || !job->col_states)
        return c1;
    size_t j = c0, bytes = 0;
    do
        bytes += e->target_bytes(job->col_states[j++]);
    while (j < c1 && bytes + e->target_bytes(job->col_states[j]) <= ZF_COL_BLOCK_BYTES);
    return j;
}

/* Rows [r0, r1) against columns [c0, c1), row by row.  Texts and pairs
 * longer than job->max_input are skipped (left to the caller). */
static int run_block(zf_job *job, void *ctx, const zf_tile *t) {
    const zf_engine *e = job->engine;
    const size_t lim = job->max_input ? job->max_input : SIZE_MAX;
    for (size_t i = t->r0; i < t->r1; i++) {
        if (job_stopped(job))
            return ZF_ECANCEL;
        const zf_span *src = &job->rows[i];
        int rc;
        if (src->len > lim)
            continue; /* so is every pair of this row */
        if (job->kind == ZF_JOB_SIZES) {
            rc = e->size(ctx, src->ptr, src->len, &job->out_sizes[i]);
            if (rc != ZF_OK) {
                job_fail(job, rc, i, 0);
                return rc;
            }
            atomic_fetch_add_explicit(&job->done_pairs, 1, memory_order_relaxed);
            continue;
        }
        rc = e->row_begin(ctx, src->ptr, src->len);
        if (rc != ZF_OK) {
            job_fail(job, rc, i, t->c0);
            return rc;
        }
        const size_t room = lim - src->len; /* the longest target to pair */
        size_t done = 0;
        for (size_t j = t->c0; j < t->c1;) {
            if (j != t->c0 && job_stopped(job))
                return ZF_ECANCEL;
            if (job->cols[j].len > room) {
                j++;
                continue;
            }
            /* a batch of consecutive targets, none too long */
            size_t nmax = e->pairs ? t->c1 - j : 1, nb = 1;
            nmax = nmax < ZF_BATCH ? nmax : ZF_BATCH;
            while (nb < nmax && job->cols[j + nb].len <= room)
                nb++;
            const void *ts[ZF_BATCH];
            for (size_t k = 0; k < nb; k++)
                ts[k] = job->col_states ? job->col_states[j + k] : NULL;
            uint64_t cxy[ZF_BATCH];
            rc = nb > 1 ? e->pairs(ctx, ts, &job->cols[j], nb, cxy)
                        : e->pair(ctx, ts[0], job->cols[j].ptr, job->cols[j].len, cxy);
            if (rc != ZF_OK) {
                /* name the target that fails on its own (else the batch's first) */
                size_t bad = j;
                for (size_t k = 0; nb > 1 && k < nb; k++) {
                    uint64_t tmp;
                    int rk = e->pair(ctx, ts[k], job->cols[j + k].ptr, job->cols[j + k].len, &tmp);
                    if (rk != ZF_OK) {
                        rc = rk;
                        bad = j + k;
                        break;
                    }
                }
                job_fail(job, rc, i, bad);
                return rc;
            }
            for (size_t k = 0; k < nb; k++)
                store_ncd(job, i, j + k, cxy[k]);
            j += nb;
            done += nb;
        }
        atomic_fetch_add_explicit(&job->done_pairs, done, memory_order_relaxed);
    }
    return ZF_OK;
}

static int run_tile(zf_job *job, void *ctx, const zf_tile *t) {
    if (job->kind == ZF_JOB_SIZES || col_block_end(job, t->c0, t->c1) == t->c1)
        return run_block(job, ctx, t);
    /* Long rows take all columns at once: laying such a row down again for
     * each block costs more than the cache saves. */
    for (size_t i = t->r0; i < t->r1; i++) {
        if (job->rows[i].len <= ZF_COL_BLOCK_MAX_ROW)
            continue;
        zf_tile r = {i, i + 1, t->c0, t->c1};
        int rc = run_block(job, ctx, &r);
        if (rc != ZF_OK)
            return rc;
    }
    for (size_t c0 = t->c0; c0 < t->c1;) {
        size_t c1 = col_block_end(job, c0, t->c1);
        for (size_t i = t->r0; i < t->r1; i++) {
            if (job->rows[i].len > ZF_COL_BLOCK_MAX_ROW)
                continue;
            zf_tile b = {i, i + 1, c0, c1};
            int rc = run_block(job, ctx, &b);
            if (rc != ZF_OK)
                return rc;
        }
        c0 = c1;
    }
    return ZF_OK;
}

int zf_job_work(zf_job *job, void *ctx) {
    for (;;) {
        if (job_stopped(job)) {
            int e = atomic_load_explicit(&job->error, memory_order_relaxed);
            return e ? e : ZF_ECANCEL;
        }
        size_t k = atomic_fetch_add_explicit(&job->next_tile, 1, memory_order_relaxed);
        if (k >= job->ntiles)
            return ZF_OK;
        int rc = run_tile(job, ctx, &job->tiles[k]);
        if (rc != ZF_OK)
            return rc;
    }
}

void zf_targets_free(const zf_engine *e, void **states, size_t n) {
    for (size_t j = 0; j < n; j++) {
        if (states[j])
            e->target_free(states[j]);
        states[j] = NULL;
    }
}

/* Build t[j]'s state (whole). */
static int target_build(const zf_engine *e, const zf_params *p, const zf_span *t, void **s) {
    *s = NULL;
    return e->target_new(p, t->ptr, t->len, s);
}

static size_t target_mem(const zf_engine *e, const void *s) {
    return e->target_mem ? e->target_mem(s) : 0;
}

int zf_targets_prepare(const zf_engine *e, const zf_params *p, const zf_span *t, size_t n,
                       size_t budget, void **states, zf_targets_info *info) {
    zf_targets_info in = {0, 0, 0};
    void *s;
    int rc = ZF_OK, whole = 1; /* whole: every state fits whole */
    size_t j = 0;
    for (size_t k = 0; k < n; k++)
        states[k] = NULL;
    if (!e->target_new || budget == 0) /* every state holds some bytes */
        goto done;
    /* 1. Whole states in order, up to the first that does not fit (for an
     * engine that can trim, the rest is decided below). */
    for (; j < n; j++) {
        if ((rc = target_build(e, p, &t[j], &s)) != ZF_OK)
            goto fail;
        if (!s)
            continue; /* nothing to keep for this one */
        size_t m = target_mem(e, s);
        if (m <= budget - in.bytes) {
            states[j] = s;
            in.bytes += m;
            in.full++;
        } else if (e->target_trim) {
            states[j++] = s; /* trimmed below with the others */
            whole = 0;
            break;
        } else {
            e->target_free(s);
            break;
        }
    }
    if (whole || !e->target_trim)
        goto done;
    /* 2. The set does not fit whole: every target trimmed, in order, while
     * they fit (the states kept above, then the others, built now). */
    in = (zf_targets_info){0, 0, 0};
    for (size_t k = 0; k < n; k++) {
        if (k >= j && in.bytes < budget && (rc = target_build(e, p, &t[k], &states[k])) != ZF_OK)
            goto fail;
        if (!states[k])
            continue;
        size_t m = e->target_trim(states[k]);
        if (m <= budget - in.bytes) {
            in.bytes += m;
            in.trimmed++;
        } else {
            e->target_free(states[k]);
            states[k] = NULL;
        }
    }
    /* 3. Whole states again, in order, while the budget lasts. */
    for (size_t k = 0; k < n && in.bytes < budget; k++) {
        if (!states[k])
            continue;
        if ((rc = target_build(e, p, &t[k], &s)) != ZF_OK)
            goto fail;
        size_t h = target_mem(e, states[k]), m = s ? target_mem(e, s) : 0;
        if (!s || m < h || m - h > budget - in.bytes) {
            if (s)
                e->target_free(s);
            break;
        }
        e->target_free(states[k]);
        states[k] = s;
        in.bytes += m - h;
        in.trimmed--;
        in.full++;
    }
done:
    *info = in;
    return ZF_OK;
fail:
    zf_targets_free(e, states, n);
    *info = (zf_targets_info){0, 0, 0};
    return rc;
}

/* Rough cost of compressing one row against columns [c0, c1), in bytes. */
static uint64_t row_cost(const zf_span *row, const zf_span *cols, size_t c0, size_t c1) {
    /* Each text also pays a fixed setup cost (stream reset, tables). */
    const uint64_t fixed = 256;
    if (!cols)
        return row->len + fixed;
    uint64_t cost = 0;
    for (size_t j = c0; j < c1; j++)
        cost += row->len + cols[j].len + fixed;
    return cost;
}

int zf_plan_tiles(const zf_span *rows, size_t nrows, const zf_span *cols, size_t ncols,
                  unsigned nthreads, uint64_t tile_cost, zf_tile *out, size_t max_tiles,
                  size_t *ntiles) {
    *ntiles = 0;
    if (nrows == 0 || (cols && ncols == 0))
        return ZF_OK; /* no work */
    if (max_tiles == 0)
        return ZF_ENOMEM; /* work, but no room for a single tile */
    if (!cols)
        ncols = 0;
    uint64_t colbytes = 0;
    for (size_t j = 0; j < ncols; j++)
        colbytes += cols[j].len;
    if (tile_cost == 0) {
        uint64_t total = 0;
        for (size_t i = 0; i < nrows; i++)
            total += cols ? (uint64_t)rows[i].len * ncols + colbytes + 256 * (uint64_t)ncols
                          : rows[i].len + 256;
        /* About 16 tiles per thread keeps the tail short. */
        uint64_t per = (uint64_t)(nthreads ? nthreads : 1) * 16;
        tile_cost = total / per;
        if (tile_cost < 65536)
            tile_cost = 65536;
    }
    /* Never make more tiles than fit: raise the cost until they do. */
    for (;;) {
        size_t nt = 0;
        size_t r0 = 0;
        uint64_t acc = 0;
        int overflow = 0;
        for (size_t i = 0; i < nrows && !overflow; i++) {
            uint64_t c = row_cost(&rows[i], cols, 0, ncols);
            if (cols && c > tile_cost && ncols > 1) {
                /* Flush the pending rows, then split this row by columns. */
                if (i > r0) {
                    if (nt == max_tiles) {
                        overflow = 1;
                        break;
                    }
                    out[nt++] = (zf_tile){r0, i, 0, ncols};
                }
                size_t c0 = 0;
                uint64_t cacc = 0;
                for (size_t j = 0; j < ncols; j++) {
                    cacc += rows[i].len + cols[j].len + 256;
                    if (cacc >= tile_cost || j + 1 == ncols) {
                        if (nt == max_tiles) {
                            overflow = 1;
                            break;
                        }
                        out[nt++] = (zf_tile){i, i + 1, c0, j + 1};
                        c0 = j + 1;
                        cacc = 0;
                    }
                }
                r0 = i + 1;
                acc = 0;
                continue;
            }
            acc += c;
            if (acc >= tile_cost || i + 1 == nrows) {
                if (nt == max_tiles) {
                    overflow = 1;
                    break;
                }
                out[nt++] = (zf_tile){r0, i + 1, 0, ncols};
                r0 = i + 1;
                acc = 0;
            }
        }
        if (!overflow) {
            *ntiles = nt;
            return ZF_OK;
        }
        /* With max_tiles >= 1 this ends: once tile_cost exceeds the whole
         * job's cost, every row goes into one tile. */
        if (tile_cost > UINT64_MAX / 2)
            return ZF_ENOMEM;
        tile_cost *= 2;
    }
}
