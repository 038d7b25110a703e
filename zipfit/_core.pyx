# cython: language_level=3, boundscheck=False, wraparound=False
"""Marshalling and threads for the C engine (csrc/).

This module only moves data: it turns Python texts into C spans, creates one
engine context per worker thread while holding the GIL, runs the workers
without the GIL, and turns C error codes into Python exceptions.  Every
algorithm lives in csrc/.
"""
import operator
import sys
import threading

import numpy as np

from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_GET_SIZE, PyBytes_Check
from cpython.unicode cimport PyUnicode_Check
from libc.stdint cimport uint8_t, uint64_t, uintptr_t
from libc.stdlib cimport calloc, free

cdef extern from "Python.h":
    const char *PyUnicode_AsUTF8AndSize(object s, Py_ssize_t *size) except NULL

cdef extern from "zf.h" nogil:
    enum:
        ZF_OK
        ZF_ENOMEM
        ZF_ECODEC
        ZF_ECANCEL
        ZF_EINVAL
        ZF_ETOOBIG
        ZF_EINTERNAL
        ZF_JOB_SIZES
        ZF_JOB_NCD

    ctypedef struct zf_params:
        int level
        int wrapper

    ctypedef struct zf_span:
        const uint8_t *ptr
        size_t len

    ctypedef struct zf_engine:
        const char *name
        size_t max_input
        int (*ctx_new)(const zf_params *p, void **ctx)
        void (*ctx_free)(void *ctx)
        int (*target_new)(const zf_params *p, const uint8_t *t, size_t n, void **state)
        void (*target_free)(void *state)
        int (*size)(void *ctx, const uint8_t *x, size_t n, uint64_t *out) noexcept nogil
        int (*row_begin)(void *ctx, const uint8_t *src, size_t n) noexcept nogil
        int (*pair)(void *ctx, const void *tstate, const uint8_t *t, size_t n,
                    uint64_t *out) noexcept nogil

    ctypedef struct zf_tile:
        size_t r0, r1, c0, c1

    ctypedef struct zf_job:
        int kind
        const zf_engine *engine
        zf_params params
        const zf_span *rows
        size_t nrows
        const zf_span *cols
        size_t ncols
        void **col_states
        const uint64_t *row_size
        const uint64_t *col_size
        uint64_t *out_sizes
        double *out_ncd
        float *out_ncd32
        uint64_t *out_pair_sizes
        const zf_tile *tiles
        size_t ntiles
        size_t max_input
        # The fields shared with the workers (C11 atomics) are left out on
        # purpose: they are reached only through the zf_job_* accessors.

    const zf_engine zf_engine_zlib
    const zf_engine zf_engine_deflate
    const zf_engine zf_engine_lz4
    const char *zf_strerror(int code)
    double zf_ncd(uint64_t cx, uint64_t cy, uint64_t cxy)

    size_t ZF_TARGET_BUDGET_DEFAULT
    ctypedef struct zf_targets_info:
        size_t bytes
        size_t full
        size_t trimmed
    int zf_targets_prepare(const zf_engine *e, const zf_params *p, const zf_span *t,
                           size_t n, size_t budget, void **states,
                           zf_targets_info *info)
    void zf_targets_free(const zf_engine *e, void **states, size_t n)
    const char *zf_zlib_runtime_version()
    void zf_job_init(zf_job *job)
    int zf_job_work(zf_job *job, void *ctx)
    void zf_job_cancel(zf_job *job)
    size_t zf_job_done_pairs(const zf_job *job)
    int zf_job_error(const zf_job *job, size_t *row, size_t *col)
    int zf_plan_tiles(const zf_span *rows, size_t nrows, const zf_span *cols,
                      size_t ncols, unsigned nthreads, uint64_t tile_cost,
                      zf_tile *out, size_t max_tiles, size_t *ntiles)


# Jobs smaller than this (bytes to compress) run on the calling thread:
# starting threads would cost more than they save.
DEF INLINE_BYTES = 1 << 17
# How often the waiting thread wakes to take Ctrl-C and report progress.
DEF POLL_SECONDS = 0.2

WRAPPERS = {"deflate": 0, "zlib": 1, "gzip": 2}


def zlib_runtime_version():
    """Version string of the zlib the extension runs with (zlibVersion())."""
    return zf_zlib_runtime_version().decode("ascii")


cdef const zf_engine *_engine(str name) except NULL:
    if name == "zlib":
        return &zf_engine_zlib
    if name == "deflate" and name in ENGINES:
        return &zf_engine_deflate
    if name == "lz4" and name in ENGINES:
        return &zf_engine_lz4
    raise ValueError(f"unknown engine {name!r}; available: {', '.join(ENGINES)}")


#: C engines in this build: "deflate" is the size-only model of stock zlib
#: (csrc/deflate_size.c), "zlib" runs the system zlib itself.
ENGINES = ("zlib",)
# "deflate" compares and indexes 8-byte words as little-endian numbers, so it
# is offered only on little-endian hosts (elsewhere gzip/zlib/deflate sizes
# come from the system zlib).  "lz4": size-only LZ4 fast mode
# (csrc/lz4_size.c); it reproduces LZ4's 64-bit little-endian build, so it is
# offered only on such hosts.
if sys.byteorder == "little":
    ENGINES = ("deflate", "zlib")
    if sys.maxsize > 2 ** 32:
        ENGINES += ("lz4",)

#: The longest text, or pair (source + target), in bytes, that each C engine
#: computes itself; None: no limit.  Longer ones are computed exactly by the
#: library instead: the system zlib (the "zlib" engine) for the deflate
#: family, the lz4 package for lz4.  Tests lower these to reach that path
#: without gigabytes of input; a value above the engine's own limit counts
#: as that limit.
MAX_INPUT = {
    "zlib": None,
    "deflate": zf_engine_deflate.max_input or None,
    "lz4": zf_engine_lz4.max_input or None,
}


cdef size_t _limit(str name, const zf_engine *eng) except? 0:
    """The job's max_input for engine `name`: 0 (no limit) or a length."""
    cdef object lim = MAX_INPUT.get(name)
    if lim is None:
        return eng.max_input
    if lim < 1:
        raise ValueError(f"MAX_INPUT[{name!r}] must be a length >= 1 or None, not {lim}")
    if eng.max_input and <size_t>lim > eng.max_input:
        return eng.max_input
    return <size_t>lim


cdef class _Spans:
    """C views of a sequence of str/bytes; keeps the owners alive."""
    cdef zf_span *spans
    cdef size_t n
    cdef object owners   # the texts (a list, or ArrowTexts and its arrays)
    cdef uint64_t nbytes
    cdef size_t maxlen

    def __cinit__(self, texts, str what):
        cdef Py_ssize_t size = 0
        cdef const char *p
        cdef Py_ssize_t i
        cdef const uint64_t[:, ::1] view
        self.nbytes = 0
        arrow = getattr(texts, "arrow_spans", None)
        if arrow is not None:
            # Texts in Arrow buffers (zipfit._arrow): (address, length) pairs
            # laid out exactly as zf_span; no Python object per text.
            self.owners = texts
            view = arrow
            self.n = view.shape[0]
            self.spans = <zf_span *>calloc(self.n if self.n else 1, sizeof(zf_span))
            if self.spans == NULL:
                raise MemoryError()
            for i in range(<Py_ssize_t>self.n):
                self.spans[i].ptr = <const uint8_t *><uintptr_t>view[i, 0]
                self.spans[i].len = <size_t>view[i, 1]
                self.nbytes += view[i, 1]
            return
        self.owners = list(texts)
        self.n = len(self.owners)
        self.nbytes = 0
        self.maxlen = 0
        self.spans = <zf_span *>calloc(self.n if self.n else 1, sizeof(zf_span))
        if self.spans == NULL:
            raise MemoryError()
        for i in range(<Py_ssize_t>self.n):
            t = self.owners[i]
            if PyBytes_Check(t):
                p = PyBytes_AS_STRING(t)
                size = PyBytes_GET_SIZE(t)
            elif PyUnicode_Check(t):
                try:
                    p = PyUnicode_AsUTF8AndSize(t, &size)
                except UnicodeEncodeError as e:
                    raise ValueError(
                        f"{what}[{i}] cannot be encoded as UTF-8: {e.reason} "
                        f"at position {e.start}") from None
            else:
                raise TypeError(
                    f"{what}[{i}] must be str or bytes, not {type(t).__name__}")
            self.spans[i].ptr = <const uint8_t *>p
            self.spans[i].len = <size_t>size
            self.nbytes += <uint64_t>size
            if <size_t>size > self.maxlen:
                self.maxlen = <size_t>size

    def __dealloc__(self):
        free(self.spans)


cdef class _Job:
    """One parallel job: the C job, its tiles and one context per thread."""
    cdef zf_job job
    cdef zf_tile *tiles
    cdef void **ctxs
    cdef int nctx
    cdef object keep   # Python objects the job points into

    def __cinit__(self):
        self.tiles = NULL
        self.ctxs = NULL
        self.nctx = 0

    def __dealloc__(self):
        cdef int i
        if self.ctxs != NULL:
            for i in range(self.nctx):
                if self.ctxs[i] != NULL:
                    self.job.engine.ctx_free(self.ctxs[i])
            free(self.ctxs)
        free(self.tiles)

    cdef int setup(self, int nthreads, uint64_t tile_cost) except -1:
        cdef size_t max_tiles = <size_t>nthreads * 64 + 16
        cdef int i, rc
        self.tiles = <zf_tile *>calloc(max_tiles, sizeof(zf_tile))
        if self.tiles == NULL:
            raise MemoryError()
        self.job.tiles = self.tiles
        rc = zf_plan_tiles(
            self.job.rows, self.job.nrows,
            self.job.cols if self.job.kind == ZF_JOB_NCD else NULL,
            self.job.ncols, nthreads, tile_cost, self.tiles, max_tiles,
            &self.job.ntiles)
        if rc != ZF_OK:
            raise MemoryError(
                f"cannot split the work into at most {max_tiles} tiles ({zf_strerror(rc).decode()})")
        if nthreads > <int>self.job.ntiles:
            nthreads = <int>self.job.ntiles
        if nthreads < 1:
            nthreads = 1
        self.ctxs = <void **>calloc(nthreads, sizeof(void *))
        if self.ctxs == NULL:
            raise MemoryError()
        self.nctx = nthreads
        for i in range(nthreads):
            rc = self.job.engine.ctx_new(&self.job.params, &self.ctxs[i])
            if rc != ZF_OK:
                _raise(rc, "creating a compressor context")
        zf_job_init(&self.job)
        return 0

    def _work(self, int tid):
        with nogil:
            zf_job_work(&self.job, self.ctxs[tid])

    cdef run(self, uint64_t nbytes, progress):
        """Run the job on nctx threads; raise the first error."""
        cdef size_t err_row = 0, err_col = 0
        cdef int err
        if self.job.ntiles == 0:
            return
        if self.nctx == 1 and nbytes < INLINE_BYTES:
            self._work(0)
        else:
            threads = [threading.Thread(target=self._work, args=(i,), daemon=True)
                       for i in range(self.nctx)]
            for t in threads:
                t.start()
            try:
                for t in threads:
                    while t.is_alive():
                        t.join(POLL_SECONDS)
                        if progress is not None:
                            progress(zf_job_done_pairs(&self.job))
            except BaseException:
                zf_job_cancel(&self.job)
                for t in threads:
                    t.join()
                raise
        if progress is not None:
            progress(zf_job_done_pairs(&self.job))
        err = zf_job_error(&self.job, &err_row, &err_col)
        if err != ZF_OK:
            _raise(err, None, err_row, err_col, self.job.kind)


cdef _raise(int code, str doing, size_t row=0, size_t col=0, int kind=-1):
    msg = zf_strerror(code).decode("ascii")
    where = ""
    if doing is not None:
        where = f" while {doing}"
    elif kind == ZF_JOB_SIZES:
        where = f" while compressing text {row}"
    elif kind == ZF_JOB_NCD:
        where = f" while compressing the pair (source {row}, target {col})"
    if code == ZF_ENOMEM:
        raise MemoryError(msg + where)
    if code == ZF_EINVAL:
        raise ValueError(msg + where)
    if code == ZF_ETOOBIG:
        raise OverflowError(msg + where)
    raise RuntimeError(msg + where)


cdef _Job _new_job(int kind, str engine, int level, int wrapper, _Spans rows):
    cdef _Job job = _Job()
    job.job.kind = kind
    job.job.engine = _engine(engine)
    job.job.params.level = level
    job.job.params.wrapper = wrapper
    job.job.rows = rows.spans
    job.job.nrows = rows.n
    job.job.max_input = _limit(engine, job.job.engine)
    return job


cdef bytes _span_bytes(const zf_span *x):
    return (<const char *>x.ptr)[:x.len]


cdef class _Library:
    """The library path, for texts and pairs longer than the C engine takes.

    Exact sizes one at a time on the calling thread: the system zlib
    (zf_engine_zlib, as engine="zlib" computes them) for the deflate
    family, lz4.frame.compress for lz4.  Such inputs are gigabytes long, so
    the per-call cost does not matter.
    """
    cdef void *ctx
    cdef object compress
    cdef object row
    cdef int level

    def __cinit__(self, str engine, int level, int wrapper):
        cdef zf_params params
        cdef int rc
        self.ctx = NULL
        self.compress = None
        self.level = level
        if engine == "lz4":
            try:
                import lz4.frame
            except ImportError:
                raise ImportError(
                    "texts or pairs longer than the lz4 engine takes "
                    "(zipfit._core.MAX_INPUT) are compressed by the lz4 "
                    'package: pip install "zipfit[lz4]"') from None
            self.compress = lz4.frame.compress
        else:
            params.level = level
            params.wrapper = wrapper
            rc = zf_engine_zlib.ctx_new(&params, &self.ctx)
            if rc != ZF_OK:
                _raise(rc, "creating a zlib stream for long texts")

    def __dealloc__(self):
        if self.ctx != NULL:
            zf_engine_zlib.ctx_free(self.ctx)

    cdef uint64_t size(self, const zf_span *x) except? 0:
        cdef uint64_t out = 0
        cdef int rc
        if self.compress is not None:
            return len(self.compress(_span_bytes(x), compression_level=self.level))
        with nogil:
            rc = zf_engine_zlib.size(self.ctx, x.ptr, x.len, &out)
        if rc != ZF_OK:
            _raise(rc, "compressing a long text with zlib")
        return out

    cdef int row_begin(self, const zf_span *x) except -1:
        cdef int rc
        if self.compress is not None:
            self.row = _span_bytes(x)
            return 0
        with nogil:
            rc = zf_engine_zlib.row_begin(self.ctx, x.ptr, x.len)
        if rc != ZF_OK:
            _raise(rc, "compressing a long pair with zlib")
        return 0

    cdef uint64_t pair(self, const zf_span *y) except? 0:
        """C(x ⊕ y) for the x of the last row_begin."""
        cdef uint64_t out = 0
        cdef int rc
        if self.compress is not None:
            return len(self.compress(self.row + _span_bytes(y),
                                     compression_level=self.level))
        with nogil:
            rc = zf_engine_zlib.pair(self.ctx, NULL, y.ptr, y.len, &out)
        if rc != ZF_OK:
            _raise(rc, "compressing a long pair with zlib")
        return out


def sizes(texts, *, str engine, int level, int wrapper, int workers,
          str what="texts", progress=None):
    """C(x) for every text, as a uint64 array."""
    cdef _Spans rows = _Spans(texts, what)
    cdef size_t i, lim
    out = np.zeros(rows.n, dtype=np.uint64)
    if rows.n == 0:
        return out
    cdef uint64_t[::1] o = out
    cdef _Job job = _new_job(ZF_JOB_SIZES, engine, level, wrapper, rows)
    cdef _Library lib
    job.keep = rows
    job.job.out_sizes = &o[0]
    job.setup(workers, 0)
    job.run(rows.nbytes, progress)
    lim = job.job.max_input
    if lim and rows.maxlen > lim:
        # the texts the engine left out (longer than it takes)
        lib = _Library(engine, level, wrapper)
        for i in range(rows.n):
            if rows.spans[i].len > lim:
                o[i] = lib.size(&rows.spans[i])
        if progress is not None:
            progress(rows.n)
    return out


#: A target set's memory budget when Targets() is given none (bytes).
DEFAULT_MEMORY_BUDGET = ZF_TARGET_BUDGET_DEFAULT


cdef class Targets:
    """Targets laid out for the engine: spans plus per-target precomputed state.

    Built once and reused for every batch of sources; the states are shared
    read-only by all worker threads.  Pickles as its texts and settings, so
    it is rebuilt once where it is unpickled.

    memory_budget caps the bytes of precomputed state the set holds (None:
    DEFAULT_MEMORY_BUDGET, 1 GiB; 0: none).  Targets are prepared in
    order while the budget lasts; a target whose state does not fit in
    what is left keeps a trimmed one if the engine has it and it fits (lz4:
    its hashes without its recorded parse), else none.  Targets without a
    state are paired by the engine's unprepared path: the same sizes,
    more slowly.  state_bytes is what the states hold; prepared and trimmed
    count the targets with a whole or trimmed state.
    """
    cdef _Spans spans
    cdef void **states
    cdef const zf_engine *eng
    cdef readonly str engine
    cdef readonly int level
    cdef readonly int wrapper
    cdef readonly object texts
    cdef readonly object memory_budget
    cdef readonly size_t state_bytes
    cdef readonly size_t prepared
    cdef readonly size_t trimmed

    def __cinit__(self, texts, *, str engine, int level, int wrapper,
                  str what="targets", memory_budget=None):
        cdef int rc
        cdef size_t budget
        cdef zf_targets_info info
        cdef zf_params params
        self.states = NULL
        self.eng = _engine(engine)
        self.engine = engine
        self.level = level
        self.wrapper = wrapper
        if memory_budget is None:
            memory_budget = DEFAULT_MEMORY_BUDGET
        if isinstance(memory_budget, bool):
            raise TypeError("memory_budget must be None or a number of bytes, not a bool")
        memory_budget = operator.index(memory_budget)
        if memory_budget < 0:
            raise ValueError(f"memory_budget must be >= 0 bytes, not {memory_budget}")
        self.memory_budget = memory_budget
        budget = <size_t>min(memory_budget, <object>(<size_t>-1))
        self.spans = _Spans(texts, what)
        self.texts = tuple(self.spans.owners)
        params.level = level
        params.wrapper = wrapper
        if self.eng.target_new != NULL and self.spans.n:
            self.states = <void **>calloc(self.spans.n, sizeof(void *))
            if self.states == NULL:
                raise MemoryError()
            with nogil:
                rc = zf_targets_prepare(self.eng, &params, self.spans.spans, self.spans.n,
                                        budget, self.states, &info)
            if rc != ZF_OK:
                _raise(rc, "preparing the targets")
            self.state_bytes = info.bytes
            self.prepared = info.full
            self.trimmed = info.trimmed

    def __dealloc__(self):
        if self.states != NULL:
            zf_targets_free(self.eng, self.states, self.spans.n)
            free(self.states)

    def __len__(self):
        return self.spans.n

    def __reduce__(self):
        return (_rebuild_targets, (self.texts, self.engine, self.level, self.wrapper,
                                   self.memory_budget))


def _rebuild_targets(texts, engine, level, wrapper, memory_budget=None):
    return Targets(texts, engine=engine, level=level, wrapper=wrapper,
                   memory_budget=memory_budget)


def ncd_matrix(rows_texts, Targets targets, *, int workers, row_sizes, col_sizes,
               dtype=np.float64, pair_sizes=False, progress=None, str what="sources"):
    """NCD(rows[i], targets[j]) for every pair, shape (len(rows), len(targets)).

    row_sizes/col_sizes are C() of each text (from sizes()).  With
    pair_sizes=True, also return C(rows[i] ⊕ targets[j]) as uint64.
    """
    cdef _Spans rows = _Spans(rows_texts, what)
    cdef _Spans cols = targets.spans
    dtype = np.dtype(dtype)
    if dtype != np.float64 and dtype != np.float32:
        raise ValueError(f"dtype must be float64 or float32, not {dtype}")
    out = np.zeros((rows.n, cols.n), dtype=dtype)
    psz = np.zeros((rows.n, cols.n), dtype=np.uint64) if pair_sizes else None
    if rows.n == 0 or cols.n == 0:
        return (out, psz) if pair_sizes else out
    cdef const uint64_t[::1] rs = np.ascontiguousarray(row_sizes, dtype=np.uint64)
    cdef const uint64_t[::1] cs = np.ascontiguousarray(col_sizes, dtype=np.uint64)
    if rs.shape[0] != <Py_ssize_t>rows.n or cs.shape[0] != <Py_ssize_t>cols.n:
        raise ValueError("row_sizes/col_sizes do not match the texts")
    cdef double[:, ::1] o64
    cdef float[:, ::1] o32
    cdef uint64_t[:, ::1] ps
    cdef _Job job = _new_job(ZF_JOB_NCD, targets.engine, targets.level,
                             targets.wrapper, rows)
    job.keep = (rows, targets, rs, cs, out, psz)
    job.job.cols = cols.spans
    job.job.ncols = cols.n
    job.job.col_states = targets.states
    job.job.row_size = &rs[0]
    job.job.col_size = &cs[0]
    if dtype == np.float64:
        o64 = out
        job.job.out_ncd = &o64[0, 0]
    else:
        o32 = out
        job.job.out_ncd32 = &o32[0, 0]
    if pair_sizes:
        ps = psz
        job.job.out_pair_sizes = &ps[0, 0]
    job.setup(workers, 0)
    job.run(rows.nbytes * cols.n + cols.nbytes * rows.n, progress)
    cdef size_t i, j, lim = job.job.max_input
    cdef uint64_t cxy
    cdef double d
    cdef _Library lib
    if lim and rows.maxlen + cols.maxlen > lim:
        # the pairs the engine left out (longer than it takes), row by row
        lib = _Library(targets.engine, targets.level, targets.wrapper)
        for i in range(rows.n):
            if rows.spans[i].len + cols.maxlen <= lim:
                continue
            lib.row_begin(&rows.spans[i])
            for j in range(cols.n):
                if rows.spans[i].len + cols.spans[j].len <= lim:
                    continue
                cxy = lib.pair(&cols.spans[j])
                d = zf_ncd(rs[i], cs[j], cxy)
                if dtype == np.float64:
                    o64[i, j] = d
                else:
                    o32[i, j] = <float>d
                if pair_sizes:
                    ps[i, j] = cxy
        if progress is not None:
            progress(rows.n * cols.n)
    return (out, psz) if pair_sizes else out
