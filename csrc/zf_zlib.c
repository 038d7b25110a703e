/*
 * zf_zlib.c - the reference engine: exact sizes from the system zlib.
 *
 * One deflate stream per thread, reset between texts.  Output is never
 * kept: it goes into a scratch buffer that is overwritten, and only the
 * byte count matters.  The scratch buffer is handed to deflate() in the
 * same sizes as CPython's zlib.compress() grows its output buffer, because
 * at level 0 the stored-block boundaries depend on avail_out; at levels
 * 1-9 the length does not depend on it.
 *
 * For pairs, the source is copied once per row into a concatenation buffer
 * and each target is appended behind it.
 */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "zf.h"

typedef struct zlib_ctx {
    z_stream strm;
    int ready;        /* deflateInit2 succeeded */
    uint8_t *scratch; /* output sink, grown on demand */
    size_t scratch_cap;
    uint8_t *cat; /* source ⊕ target */
    size_t cat_cap;
    size_t src_len;
} zlib_ctx;

static int wbits_for(int wrapper) {
    switch (wrapper) {
    case ZF_WRAP_ZLIB:
        return 15;
    case ZF_WRAP_GZIP:
        return 31;
    default:
        return -15;
    }
}

static void zlib_ctx_free(void *vctx) {
    zlib_ctx *c = vctx;
    if (!c)
        return;
    if (c->ready)
        deflateEnd(&c->strm);
    free(c->scratch);
    free(c->cat);
    free(c);
}

static int zlib_ctx_new(const zf_params *p, void **out) {
    *out = NULL;
    if (p->level < 0 || p->level > 9)
        return ZF_EINVAL;
    zlib_ctx *c = calloc(1, sizeof *c);
    if (!c)
        return ZF_ENOMEM;
    int rc = deflateInit2(&c->strm, p->level, Z_DEFLATED, wbits_for(p->wrapper), 8,
                          Z_DEFAULT_STRATEGY);
    if (rc != Z_OK) {
        free(c);
        return rc == Z_MEM_ERROR ? ZF_ENOMEM : ZF_ECODEC;
    }
    c->ready = 1;
    if (zf_grow(&c->scratch, &c->scratch_cap, 32 * 1024) != ZF_OK) {
        zlib_ctx_free(c);
        return ZF_ENOMEM;
    }
    *out = c;
    return ZF_OK;
}

/*
 * CPython's _BlocksOutputBuffer block sizes (Include/internal/
 * pycore_blocks_output_buffer.h), used by zlib.compress() for each
 * successive deflate() call that ran out of output space.
 */
static size_t python_block_size(unsigned i) {
    static const size_t kib = 1024, mib = 1024 * 1024;
    static const size_t sizes[] = {32 * kib,  64 * kib,  256 * kib, 1 * mib,   4 * mib,
                                   8 * mib,   16 * mib,  16 * mib,  32 * mib,  32 * mib,
                                   32 * mib,  32 * mib,  64 * mib,  64 * mib,  128 * mib,
                                   128 * mib, 256 * mib};
    const unsigned n = sizeof sizes / sizeof sizes[0];
    return sizes[i < n ? i : n - 1];
}

static int zlib_size(void *vctx, const uint8_t *x, size_t n, uint64_t *out) {
    zlib_ctx *c = vctx;
    if (deflateReset(&c->strm) != Z_OK)
        return ZF_ECODEC;
    /* CPython feeds at most UINT_MAX bytes per call; so do we. */
    const uint8_t *next = x;
    size_t left = n;
    uint64_t total = 0;
    unsigned block = 0;
    int flush;
    c->strm.avail_out = 0;
    do {
        uInt chunk = left > (size_t)UINT_MAX ? UINT_MAX : (uInt)left;
        c->strm.next_in = (Bytef *)next;
        c->strm.avail_in = chunk;
        next += chunk;
        left -= chunk;
        flush = left == 0 ? Z_FINISH : Z_NO_FLUSH;
        do {
            if (c->strm.avail_out == 0) {
                size_t want = python_block_size(block++);
                if (zf_grow(&c->scratch, &c->scratch_cap, want) != ZF_OK)
                    return ZF_ENOMEM;
                c->strm.next_out = c->scratch;
                c->strm.avail_out = (uInt)want;
                total += want;
            }
            int rc = deflate(&c->strm, flush);
            if (rc == Z_STREAM_ERROR)
                return ZF_ECODEC;
        } while (c->strm.avail_out == 0);
    } while (flush != Z_FINISH);
    *out = total - c->strm.avail_out;
    return ZF_OK;
}

static int zlib_row_begin(void *vctx, const uint8_t *src, size_t n) {
    zlib_ctx *c = vctx;
    if (zf_grow(&c->cat, &c->cat_cap, n + 1) != ZF_OK)
        return ZF_ENOMEM;
    if (n)
        memcpy(c->cat, src, n);
    c->src_len = n;
    return ZF_OK;
}

static int zlib_pair(void *vctx, const void *tstate, const uint8_t *t, size_t n,
                     uint64_t *out) {
    zlib_ctx *c = vctx;
    (void)tstate;
    if (n > SIZE_MAX - c->src_len)
        return ZF_ETOOBIG;
    if (zf_grow(&c->cat, &c->cat_cap, c->src_len + n) != ZF_OK)
        return ZF_ENOMEM;
    if (n)
        memcpy(c->cat + c->src_len, t, n);
    return zlib_size(c, c->cat, c->src_len + n, out);
}

const zf_engine zf_engine_zlib = {
    .name = "zlib",
    .max_input = 0, /* any size: fed to deflate() in chunks of UINT_MAX */
    .ctx_new = zlib_ctx_new,
    .ctx_free = zlib_ctx_free,
    .target_new = NULL, /* nothing to precompute: each pair runs zlib */
    .target_free = NULL,
    .size = zlib_size,
    .row_begin = zlib_row_begin,
    .pair = zlib_pair,
    .pairs = NULL,
    .target_bytes = NULL,
};

const char *zf_zlib_runtime_version(void) { return zlibVersion(); }
