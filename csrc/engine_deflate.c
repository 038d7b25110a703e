/*
 * engine_deflate.c - the size-only deflate engine (zf_engine_deflate).
 *
 * Exact zlib 1.2.13 lengths for levels 1-9 from the model in
 * deflate_size.c; level 0 (stored blocks, whose boundaries depend on how
 * CPython grows its output buffer) is delegated to zf_engine_zlib.
 *
 * Per context (one per thread): hash tables that are kept "clean" (all
 * NIL) between texts by undoing a log of their writes, a concatenation
 * buffer and the paused parse state of the current source row.
 *
 * A row: row_begin copies the source into the concatenation buffer,
 * indexes it (levels 4-9) and parses it up to its pause point (the first
 * decision that could see bytes past the source).  The first pair that
 * can use it extends that state with every step that provably does not
 * depend on the target (ds_run_spec).  Each pair then appends the target,
 * copies the small state, resumes the parse to the end with every
 * hash-table write logged; the next pair rolls those writes back.
 *
 * Target states (target_new, levels 4-9, targets up to DS_TARGET_MAX
 * bytes) hold each target position's own hash-chain summary (ds_target),
 * resolved for the level, and the target's own parse (its plan); with
 * one, a pair only looks at the source's candidates, and only at the plan
 * steps where they could change a search.  At levels 1-3 a target state is
 * the target's own deflate_fast parse only (ds_fplan); a pair follows it
 * where its chain walks are provably the plan's.  See docs/engine.md.
 */
#include <stdlib.h>
#include <string.h>

#include "deflate_size.h"
#include "zf.h"

/* Above this many bytes a text's table writes are not logged but wiped. */
#define LOG_LIMIT (64u * 1024u)

typedef struct dctx {
    ds_cfg cfg;
    uint64_t wrap_bytes;
    void *zctx; /* level 0: the system-zlib engine's context */
    ds_tables tab;
    int dirty; /* tables hold writes that are not in the log */
    uint8_t *cat;
    size_t cat_cap;
    uint32_t src_len;
    ds_state row;    /* paused parse of the row's source */
    size_t row_mark; /* log length at the pause */
    int row_valid;
    ds_state spec;    /* row state extended past the pause (ds_run_spec) */
    size_t spec_mark; /* log length after the extension */
    int spec_valid;   /* the tables hold the extension's writes */
    ds_srcidx sidx; /* the row's source index (levels 4-9, small sources) */
    int sidx_valid;
    uint64_t *fpresent; /* levels 1-3: the row's source hashes (ds_fplan_present) */
    int fpresent_valid;
} dctx;

static uint64_t wrapper_bytes(int wrapper) {
    return wrapper == ZF_WRAP_GZIP ? 18 : wrapper == ZF_WRAP_ZLIB ? 6 : 0;
}

static void dctx_free(void *v) {
    dctx *c = v;
    if (!c)
        return;
    if (c->zctx)
        zf_engine_zlib.ctx_free(c->zctx);
    ds_tables_free(&c->tab);
    ds_srcidx_free(&c->sidx);
    free(c->fpresent);
    free(c->cat);
    free(c);
}

static int dctx_new(const zf_params *p, void **out) {
    *out = NULL;
    if (p->level < 0 || p->level > 9)
        return ZF_EINVAL;
    if (p->wrapper != ZF_WRAP_RAW && p->wrapper != ZF_WRAP_ZLIB && p->wrapper != ZF_WRAP_GZIP)
        return ZF_EINVAL;
    dctx *c = calloc(1, sizeof *c);
    if (!c)
        return ZF_ENOMEM;
    if (p->level == 0) {
        int rc = zf_engine_zlib.ctx_new(p, &c->zctx);
        if (rc != ZF_OK) {
            free(c);
            return rc;
        }
        *out = c;
        return ZF_OK;
    }
    ds_cfg_for_level(p->level, &c->cfg);
    c->wrap_bytes = wrapper_bytes(p->wrapper);
    if (!c->cfg.slow && !(c->fpresent = malloc(DS_HASH_SIZE / 8))) {
        dctx_free(c);
        return ZF_ENOMEM;
    }
    if (ds_tables_init(&c->tab, 8192) != 0 || zf_grow(&c->cat, &c->cat_cap, 8192) != ZF_OK) {
        dctx_free(c);
        return ZF_ENOMEM;
    }
    *out = c;
    return ZF_OK;
}

/* Bring the tables back to all-NIL. */
static void tables_reset(dctx *c) {
    if (c->dirty) {
        ds_tables_clear(&c->tab);
        c->dirty = 0;
    } else {
        ds_tables_undo_to(&c->tab, 0);
    }
    c->row_valid = 0;
}

/* Parse buf[0..n) from scratch up to stop; logs writes unless n is large. */
static int parse_from_scratch(dctx *c, ds_state *st, const uint8_t *buf, uint32_t n,
                              uint32_t stop) {
    tables_reset(c);
    ds_state_init(st);
    c->tab.logging = n <= LOG_LIMIT;
    if (!c->tab.logging)
        c->dirty = 1;
    return ds_run(&c->cfg, st, &c->tab, buf, n, stop) == 0 ? ZF_OK : ZF_ENOMEM;
}

static int dsize(void *v, const uint8_t *x, size_t n, uint64_t *out) {
    dctx *c = v;
    if (c->zctx)
        return zf_engine_zlib.size(c->zctx, x, n, out);
    if (n > DS_MAX_INPUT)
        return ZF_ETOOBIG;
    ds_state st;
    int rc = parse_from_scratch(c, &st, x, (uint32_t)n, UINT32_MAX);
    if (rc != ZF_OK)
        return rc;
    *out = ds_stream_bytes(&st) + c->wrap_bytes;
    return ZF_OK;
}

static int prepare_row(dctx *c) {
    int rc = parse_from_scratch(c, &c->row, c->cat, c->src_len, ds_pause_pos(c->src_len));
    if (rc != ZF_OK)
        return rc;
    c->row_mark = c->tab.log_len;
    c->tab.logging = 1;
    c->row_valid = 1;
    c->spec_valid = 0;
    return ZF_OK;
}

/* Tables and state for a pair: the extended prefix if it applies. */
static int fork_state(dctx *c, uint32_t tlen, ds_state *st) {
    int rc;
    if (!c->row_valid && (rc = prepare_row(c)) != ZF_OK)
        return rc;
    if (tlen >= 1 && c->src_len + tlen <= DS_FAST_TOTAL && !c->dirty) {
        if (!c->spec_valid) {
            ds_tables_undo_to(&c->tab, c->row_mark);
            c->spec = c->row;
            if (ds_run_spec(&c->cfg, &c->spec, &c->tab, c->cat, c->src_len) != 0)
                return ZF_ENOMEM;
            c->spec_mark = c->tab.log_len;
            c->spec_valid = 1;
        }
        ds_tables_undo_to(&c->tab, c->spec_mark);
        *st = c->spec;
    } else {
        ds_tables_undo_to(&c->tab, c->row_mark);
        c->spec_valid = 0;
        *st = c->row;
    }
    return ZF_OK;
}

static int drow_begin(void *v, const uint8_t *src, size_t n) {
    dctx *c = v;
    if (c->zctx)
        return zf_engine_zlib.row_begin(c->zctx, src, n);
    c->row_valid = 0;
    if (n > DS_MAX_INPUT)
        return ZF_ETOOBIG;
    int rc = zf_grow(&c->cat, &c->cat_cap, n + 1);
    if (rc != ZF_OK)
        return rc;
    if (n)
        memcpy(c->cat, src, n);
    c->src_len = (uint32_t)n;
    c->sidx_valid = c->cfg.slow && n < DS_FAST_TOTAL &&
                    ds_srcidx_build(&c->sidx, c->cat, (uint32_t)n) == 0;
    c->fpresent_valid = !c->cfg.slow && n < DS_FAST_TOTAL;
    if (c->fpresent_valid)
        ds_fplan_present(c->fpresent, c->cat, (uint32_t)n);
    return prepare_row(c);
}

static void dtarget_free(void *state) {
    if (state) {
        ds_target_free(state);
        free(state);
    }
}

/* About 54-59 bytes per target byte at levels 6-9: records, resolution, plan;
 * about 19 at levels 1-3: the fast plan (docs/engine.md, "Memory budget per
 * target set"). */
static size_t dtarget_mem(const void *state) {
    return state ? sizeof(ds_target) + ds_target_bytes(state) : 0;
}

static int dtarget_new(const zf_params *p, const uint8_t *t, size_t n, void **state) {
    *state = NULL;
    ds_cfg cfg;
    /* no precomputation: pairs take the general path (at levels 1-3 the
     * fast plan serves only pairs of source + target <= DS_FAST_TOTAL) */
    if (ds_cfg_for_level(p->level, &cfg) != 0 || n > DS_TARGET_MAX ||
        (!cfg.slow && n >= DS_FAST_TOTAL))
        return ZF_OK;
    ds_target *T = malloc(sizeof *T);
    if (!T)
        return ZF_ENOMEM;
    if (!cfg.slow) { /* levels 1-3: the target's own parse only */
        if (ds_target_build_fast(T, &cfg, t, (uint32_t)n) != 0) {
            free(T);
            return ZF_ENOMEM;
        }
        *state = T;
        return ZF_OK;
    }
    if (ds_target_build(T, t, (uint32_t)n, cfg.chain) != 0) {
        free(T);
        return ZF_ENOMEM;
    }
    if (ds_target_resolve(T, &cfg, t) != 0) {
        ds_target_free(T);
        free(T);
        return ZF_ENOMEM;
    }
    *state = T;
    return ZF_OK;
}

/* Parse source ⊕ t into *st (levels 1-9); with defer, the final block is
 * left pending for ds_finish_pending. */
static int pair_state(dctx *c, const void *tstate, const uint8_t *t, size_t n, ds_state *st,
                      int defer) {
    if (n > DS_MAX_INPUT - c->src_len)
        return ZF_ETOOBIG;
    int rc;
    uint32_t total = c->src_len + (uint32_t)n;
    if ((rc = zf_grow(&c->cat, &c->cat_cap, (size_t)total + 8)) != ZF_OK)
        return rc;
    if ((rc = fork_state(c, (uint32_t)n, st)) != ZF_OK)
        return rc;
    st->defer_final = defer;
    if (n)
        memcpy(c->cat + c->src_len, t, n);
    c->tab.logging = 1;
    const ds_target *T = tstate;
    if (T && c->cfg.slow && T->n == n && (total <= DS_FAST_TOTAL || c->sidx_valid))
        rc = ds_run_target(&c->cfg, st, &c->tab, c->cat, c->src_len, T,
                           c->sidx_valid ? &c->sidx : NULL);
    else if (T && !c->cfg.slow && T->fplan && T->n == n && c->fpresent_valid)
        rc = ds_run_fplan(&c->cfg, st, &c->tab, c->cat, c->src_len, T->fplan, c->fpresent);
    else
        rc = ds_run(&c->cfg, st, &c->tab, c->cat, total, UINT32_MAX);
    return rc == 0 ? ZF_OK : ZF_ENOMEM; /* the next pair rolls the tables back */
}

static int dpair(void *v, const void *tstate, const uint8_t *t, size_t n, uint64_t *out) {
    dctx *c = v;
    if (c->zctx)
        return zf_engine_zlib.pair(c->zctx, tstate, t, n, out);
    ds_state st;
    int rc = pair_state(c, tstate, t, n, &st, 0);
    if (rc != ZF_OK)
        return rc;
    *out = ds_stream_bytes(&st) + c->wrap_bytes;
    return ZF_OK;
}

/* Up to ZF_BATCH pairs: parsed one by one, their final blocks' trees built
 * side by side (ds_finish_pending). */
static int dpairs(void *v, const void *const *tstates, const zf_span *ts, size_t n,
                  uint64_t *out) {
    dctx *c = v;
    if (c->zctx || n < 2 || n > ZF_BATCH) {
        for (size_t k = 0; k < n; k++) {
            int rc = dpair(v, tstates[k], ts[k].ptr, ts[k].len, &out[k]);
            if (rc != ZF_OK)
                return rc;
        }
        return ZF_OK;
    }
    ds_state st[ZF_BATCH];
    ds_state *pend[ZF_BATCH];
    int np = 0;
    for (size_t k = 0; k < n; k++) {
        int rc = pair_state(c, tstates[k], ts[k].ptr, ts[k].len, &st[k], 1);
        if (rc != ZF_OK)
            return rc;
        if (st[k].pending)
            pend[np++] = &st[k];
    }
    ds_finish_pending(pend, np);
    for (size_t k = 0; k < n; k++)
        out[k] = ds_stream_bytes(&st[k]) + c->wrap_bytes;
    return ZF_OK;
}

const zf_engine zf_engine_deflate = {
    .name = "deflate",
    .max_input = DS_MAX_INPUT,
    .ctx_new = dctx_new,
    .ctx_free = dctx_free,
    .target_new = dtarget_new,
    .target_free = dtarget_free,
    .target_mem = dtarget_mem,
    .target_trim = NULL, /* no part of a state is optional */
    .size = dsize,
    .row_begin = drow_begin,
    .pair = dpair,
    .pairs = dpairs,
    .target_bytes = NULL, /* no column blocks (zf.h, target_bytes) */
};
