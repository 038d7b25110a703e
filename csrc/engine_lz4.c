/*
 * engine_lz4.c - the size-only LZ4 fast-mode engine (zf_engine_lz4).
 *
 * Exact len(lz4.frame.compress(x, compression_level=level)) for levels
 * below 3 (LZ4's fast compressor) from the model in lz4_size.c.  Higher
 * (HC) levels are not handled here: the registry sends them to the lz4
 * package.
 *
 * One lzs_sizer per context (thread).  row_begin parses the source alone up
 * to its pause; each pair appends the target and resumes from there on a
 * copy of the paused table.  Targets carry their precomputed hashes and
 * their own parse: where the pair's parse reaches a state y alone also
 * reached, the recorded lookups are replayed (checked, not re-derived) for
 * as long as they give the same answers.
 */
#include <stdlib.h>

#include "lz4_size.h"
#include "zf.h"

static int rc_of(int r) {
    return r == 0    ? ZF_OK
           : r == -1 ? ZF_ENOMEM
           : r == -2 ? ZF_ETOOBIG
           : r == -4 ? ZF_EINTERNAL
                     : ZF_EINVAL;
}

static int lctx_new(const zf_params *p, void **out) {
    *out = NULL;
    if (p->level >= 3)
        return ZF_EINVAL; /* HC levels */
    /* own cache lines: contexts of different threads must not share one */
    lzs_sizer *s = aligned_alloc(64, (sizeof *s + 63) / 64 * 64);
    if (!s)
        return ZF_ENOMEM;
    if (lzs_init(s, p->level) != 0) {
        free(s);
        return ZF_ENOMEM;
    }
    *out = s;
    return ZF_OK;
}

static void lctx_free(void *v) {
    if (!v)
        return;
    lzs_free(v);
    free(v);
}

static int lsize(void *ctx, const uint8_t *x, size_t n, uint64_t *out) {
    return rc_of(lzs_size(ctx, x, n, out));
}

static int lrow(void *ctx, const uint8_t *src, size_t n) {
    return rc_of(lzs_row_begin(ctx, src, n));
}

/* Per target: the hash of each of its positions and its own parse (neither
 * depends on the source in single-block mode). */

static int ltarget_new(const zf_params *p, const uint8_t *t, size_t n, void **state) {
    lzs_target *tg;
    int rc = lzs_target_new(t, n, p->level, &tg);
    if (rc != 0)
        return rc_of(rc);
    *state = tg;
    return ZF_OK;
}

static void ltarget_free(void *state) {
    lzs_target_free(state);
}

/* A state takes 2 bytes per target byte for the hashes and ~15 for the
 * trace (targets from LZS_LINKED_MIN bytes: two traces, ~30); past a
 * target set's budget (zf_targets_prepare) a target may keep
 * only its hashes: its pairs parse it instead of replaying it (the same
 * sizes, slower). */
static size_t ltarget_mem(const void *state) {
    return lzs_target_mem(state);
}

static size_t ltarget_trim(void *state) {
    lzs_drop_trace(state);
    return lzs_target_mem(state);
}

static int lpair(void *ctx, const void *tstate, const uint8_t *t, size_t n, uint64_t *out) {
    return rc_of(lzs_pair(ctx, t, n, tstate, out));
}

/* A pair reads its target's hashes and trace: blocks of targets whose
 * traces fit in L2 beat streaming all of them once per source. */
static size_t ltarget_bytes(const void *state) {
    const lzs_target *tg = state;
    return tg ? lzs_trace_bytes(tg) + tg->tr.m * sizeof *tg->hash : 0;
}

const zf_engine zf_engine_lz4 = {
    .name = "lz4",
    .max_input = LZS_MAX_INPUT,
    .ctx_new = lctx_new,
    .ctx_free = lctx_free,
    .target_new = ltarget_new,
    .target_free = ltarget_free,
    .target_mem = ltarget_mem,
    .target_trim = ltarget_trim,
    .size = lsize,
    .row_begin = lrow,
    .pair = lpair,
    .pairs = NULL,
    .target_bytes = ltarget_bytes,
};
