"""The public scoring API: sizes, NCD, alignment and top-k selection."""
from __future__ import annotations

import re
import time
import zlib as _pyzlib
from typing import Any, Callable, Iterable, List, Optional, Union

import numpy as np

from . import _compressors, _core, _pyengine
from ._arrow import arrow_texts
from ._collect import SHOWN, Collector, ReportContext
from ._checks import check_dtype, check_int, check_limits, resolve_workers
from ._select import (CHUNK_DOCS, Selection, Strategy, StreamSelection, select_stream,
                      selection_of, similarity_mean, top_k)
from .errors import ZipFitWarning, warn
from .io import TextSpec, records_from_items

__all__ = [
    "Text",
    "ZipFitWarning",
    "Selection",
    "ZipFit",
    "compressed_size",
    "ncd",
    "cdist",
    "alignment",
    "zlib_version",
    "resolve_workers",
    "Setup",
    "Scorer",
    "as_texts",
    "similarity_mean",
]

Text = Union[str, bytes]

# ------------------------------------------------------------------ helpers

def zlib_version() -> str:
    """Version of the zlib the C engine is linked with at run time."""
    return _core.zlib_runtime_version()


_STOCK_ZLIB = re.compile(r"^1\.(2\.(1[2-9]|[2-9]\d)|3)(\.\d+)*$")
_stock_zlib: Optional[bool] = None


def _check_zlib() -> bool:
    """Is the linked zlib stock zlib 1.2.12+/1.3.x?  Warn once if it is not."""
    global _stock_zlib
    if _stock_zlib is not None:
        return _stock_zlib
    ours = zlib_version()
    _stock_zlib = bool(_STOCK_ZLIB.match(ours))
    if not _stock_zlib:
        warn(f"zipfit is linked with zlib {ours!r}, which is not stock zlib "
             "1.2.12-1.3.x (zlib-ng and other forks compress differently): "
             "gzip/zlib/deflate sizes come from that library (engine='zlib') and "
             "will not match scores computed with stock zlib.")
    elif ours != _pyzlib.ZLIB_RUNTIME_VERSION:
        warn(f"zipfit runs zlib {ours} but Python's zlib module runs "
             f"{_pyzlib.ZLIB_RUNTIME_VERSION}; sizes may differ from gzip.compress().")
    return _stock_zlib


def _warn_level0(comp: _compressors.Compressor, level: int) -> None:
    # Python's warning filters decide how often it shows (by default once per
    # line of the caller's code that asked for level 0).
    if level == 0 and comp.engines and "zlib" in comp.engines:
        warn(f"{comp.name} level 0 stores the data uncompressed, so NCD depends "
             "only on the text lengths and the ranking is by length. (It is the "
             "default of the official zip-fit 1.0.9.) Use level 1-9 for real "
             "compression.")


def as_texts(texts: Any, what: str) -> List[Text]:
    """A list of str/bytes from any ordered iterable of texts, with clear errors.

    A list, tuple, numpy array, pandas Series or generator is taken in
    order; a pyarrow Array or ChunkedArray of strings or binaries stays in
    its Arrow buffers (the engine reads them in place).  A single text, a dict (its keys), a set (no order) and a pandas
    DataFrame (its column names) are refused.
    """
    if isinstance(texts, (str, bytes)):
        raise TypeError(
            f"{what} must be a sequence of texts, not a single {type(texts).__name__}; "
            f"wrap it in a list")
    arrow = arrow_texts(texts, what)
    if arrow is not None:
        return arrow  # type: ignore[return-value]
    kind = type(texts).__name__
    if isinstance(texts, (dict, set, frozenset)) or kind == "DataFrame":
        hint = {"dict": "pass its values or keys as a list",
                "DataFrame": "pass one column, e.g. df['text']"}.get(
                    kind, "a set has no order; pass a list")
        raise TypeError(f"{what} must be an ordered sequence of texts, not a {kind} ({hint})")
    try:
        items = list(texts)
    except TypeError:
        raise TypeError(f"{what} must be an iterable of str or bytes, "
                        f"not {type(texts).__name__}") from None
    for i, t in enumerate(items):
        if isinstance(t, (bytearray, memoryview)):
            items[i] = bytes(t)
    return items


class Setup:
    """A validated (compressor, level, engine) triple."""

    __slots__ = ("comp", "level", "engine")

    def __init__(self, compressor: str, level: Optional[int],
                 engine: Optional[str] = None) -> None:
        self.comp = _compressors.get(compressor)
        self.level = self.comp.resolve_level(level)
        if engine is None:
            self.engine = self._default_engine()
        else:
            if engine not in self.comp.engines_for(self.level):
                choices = ", ".join(self.comp.engines_for(self.level)) or "none (Python only)"
                raise ValueError(f"engine {engine!r} cannot compute {compressor!r}; "
                                 f"choose one of: {choices}")
            self.engine = engine
        if self.engine is None:
            self.comp.require()  # a missing optional library names its extra
        _warn_level0(self.comp, self.level)

    def _default_engine(self) -> Optional[str]:
        for e in self.comp.engines_for(self.level):
            # The size-only deflate model reproduces stock zlib: with another
            # zlib, measure with that library itself so gzip.compress agrees.
            if e == "deflate" and not _check_zlib():
                continue
            if e in _core.ENGINES:
                return e
        return None

    def sizes(self, texts: List[Text], workers: int, what: str) -> np.ndarray:
        if self.engine is None:
            return _pyengine.sizes(self.comp, self.level, texts, workers, what)
        return _core.sizes(texts, engine=self.engine, level=self.level,
                           wrapper=self.comp.wrapper, workers=workers, what=what)

    def targets(self, texts: List[Text], what: str, memory_budget: Optional[int] = None) -> Any:
        if self.engine is None:
            return _pyengine.Targets(self.comp, self.level, texts, what)
        return _core.Targets(texts, engine=self.engine, level=self.level,
                             wrapper=self.comp.wrapper, what=what,
                             memory_budget=memory_budget)

    def ncd_matrix(self, sources: List[Text], targets: Any, workers: int,
                   row_sizes: np.ndarray, col_sizes: np.ndarray, dtype: Any,
                   progress: Optional[Callable[[int], None]], what: str) -> np.ndarray:
        if self.engine is None:
            return _pyengine.ncd_matrix(sources, targets, workers, row_sizes,
                                        col_sizes, dtype, progress, what)
        return _core.ncd_matrix(sources, targets, workers=workers,
                                row_sizes=row_sizes, col_sizes=col_sizes,
                                dtype=dtype, progress=progress, what=what)


# ------------------------------------------------------------- functions

def compressed_size(text: Text, *, compressor: str = "gzip",
                    level: Optional[int] = None, engine: Optional[str] = None) -> int:
    """Exact compressed length of one text, in bytes.

    ``str`` is encoded as UTF-8.  For ``compressor="gzip"`` this equals
    ``len(gzip.compress(text, compresslevel=level, mtime=0))``.

    ``engine`` picks how sizes are computed (``None``: the fastest exact one).
    For the deflate family, ``"deflate"`` is zipfit's size-only model of stock
    zlib and ``"zlib"`` runs the system zlib itself.

    >>> import gzip
    >>> compressed_size("hello hello hello") == len(gzip.compress(b"hello hello hello", mtime=0))
    True
    """
    if not isinstance(text, (str, bytes, bytearray, memoryview)):
        raise TypeError(f"text must be str or bytes, not {type(text).__name__}")
    s = Setup(compressor, level, engine)
    return int(s.sizes(as_texts([text], "text"), 1, "text")[0])


def ncd(x: Text, y: Text, *, compressor: str = "gzip",
        level: Optional[int] = None, engine: Optional[str] = None) -> float:
    """Normalized compression distance of ``x`` and ``y`` (x first in x ⊕ y).

    >>> d = ncd("def add(a, b): return a + b", "def sub(a, b): return a - b")
    >>> 0.0 < d < 1.0
    True
    """
    return float(cdist([x], [y], compressor=compressor, level=level, engine=engine)[0, 0])


def cdist(a: Iterable[Text], b: Iterable[Text], *, compressor: str = "gzip",
          level: Optional[int] = None, workers: int = -1,
          dtype: Any = np.float64, engine: Optional[str] = None) -> np.ndarray:
    """NCD of every pair: entry ``[i, j]`` is NCD(a[i], b[j]) using a[i] ⊕ b[j].

    Returns an array of shape ``(len(a), len(b))``; ``a`` may be empty (shape
    ``(0, len(b))``), ``b`` may not (ValueError), as everywhere in zipfit:
    sources may be empty, targets may not.  ``workers=-1`` (the default)
    uses all usable cores.

    >>> cdist(["abc abc", "xyz"], ["abc"], level=6).shape
    (2, 1)
    """
    nthreads = resolve_workers(workers)
    dt = check_dtype(dtype)
    s = Setup(compressor, level, engine)
    rows = as_texts(a, "a")
    cols = as_texts(b, "b")
    return Scorer(s, cols, nthreads, "b").ncd(rows, dtype=dt, what="a")


def alignment(sources: Iterable[Text], targets: Iterable[Text], *,
              compressor: str = "gzip", level: Optional[int] = None,
              workers: int = -1, engine: Optional[str] = None) -> np.ndarray:
    """ZIP-FIT alignment of each source: ``1 - mean_j NCD(source, targets[j])``.

    Returns a float64 array of shape ``(len(sources),)`` (empty for no
    sources; no targets is a ValueError).  ``workers=-1`` (the default) uses
    all usable cores, like :class:`ZipFit`, the command line and the
    official package.

    >>> alignment(["def f(x): return x"], ["def g(y): return y", "print(1)"]).shape
    (1,)
    """
    return ZipFit(targets, compressor=compressor, level=level,
                  workers=workers, engine=engine).score(sources)


# ----------------------------------------------------------------- scorer

class Scorer:
    """Targets prepared once; scores batches of sources against them."""

    def __init__(self, setup: Setup, targets: List[Text], workers: int,
                 what: str = "targets", memory_budget: Optional[int] = None) -> None:
        if not targets:
            raise ValueError(f"{what}: zipfit needs at least one target text")
        self.setup = setup
        self.workers = workers
        self.targets = targets
        self.prepared = setup.targets(targets, what, memory_budget)
        self.target_sizes = setup.sizes(targets, workers, what)

    def ncd(self, sources: List[Text], dtype: Any = np.float64,
            progress: Optional[Callable[[int], None]] = None,
            what: str = "sources") -> np.ndarray:
        dtype = check_dtype(dtype)
        src_sizes = self.setup.sizes(sources, self.workers, what)
        return self.setup.ncd_matrix(sources, self.prepared, self.workers, src_sizes,
                                     self.target_sizes, dtype, progress, what)

    def alignment_block(self, sources: List[Text],
                        progress: Optional[Callable[[int], None]] = None) -> np.ndarray:
        """Alignment of every source in one engine call (``progress(pairs done)``)."""
        return similarity_mean(self.ncd(sources, progress=progress))

    def alignment(self, sources: List[Text],
                  progress: Optional[Callable[[int], None]] = None) -> np.ndarray:
        """Alignment of every source, ``CHUNK_DOCS`` at a time (``progress(sources done)``)."""
        out = np.empty(len(sources), dtype=np.float64)
        for lo in range(0, len(sources), CHUNK_DOCS):
            chunk = sources[lo:lo + CHUNK_DOCS]
            out[lo:lo + len(chunk)] = self.alignment_block(chunk)
            if progress is not None:
                progress(len(chunk))
        return out


class ZipFit:
    """ZIP-FIT scorer for a fixed set of targets.

    The targets are compressed and prepared once; ``score``, ``cdist``,
    ``select`` and ``select_iter`` can then be called on any number of
    source batches.

    Parameters
    ----------
    targets:
        The target examples: an ordered sequence (list, tuple, numpy array,
        pandas Series, generator) of ``str`` (encoded as UTF-8) or ``bytes``;
        at least one.
    compressor:
        ``"gzip"`` (default), ``"zlib"``, ``"deflate"``, ``"lz4"``,
        ``"zstd"``, ``"brotli"``, ``"lzma"`` or ``"bz2"``;
        :func:`zipfit.compressors` tells which are usable now.
    level:
        The compression level, or ``None`` (default) for the compressor's
        own default (gzip 9, lz4 0, ...).  numpy integers are accepted.
    workers:
        Threads: ``-1`` (default) all usable cores, ``1`` serial, ``-2``
        all but one; ``0`` is an error.
    engine:
        How sizes are computed; ``None`` (default) picks the fastest exact
        one: ``"deflate"`` (zipfit's size-only model of stock zlib) or
        ``"zlib"`` (the system zlib) for the deflate family, ``"lz4"`` for
        lz4 levels below 3, the compressor's own Python library otherwise.
    memory_budget:
        Bytes the C engine may spend on precomputed target states (``None``:
        1 GiB; ``0``: none).  Targets past the budget are scored without a
        state: the same numbers, more slowly (docs/engine.md).

    Scores are bit-identical whatever ``workers`` and ``engine`` are.

    >>> zf = ZipFit(["def add(a, b):\\n    return a + b\\n"], level=6, workers=1)
    >>> zf
    ZipFit(n_targets=1, compressor='gzip', level=6, workers=1, engine='deflate')
    >>> indices, scores = zf.select(["def mul(a, b):\\n    return a * b\\n", "The cat sat."], k=1)
    >>> indices.tolist()
    [0]
    """

    def __init__(self, targets: Iterable[Text], *, compressor: str = "gzip",
                 level: Optional[int] = None, workers: int = -1,
                 engine: Optional[str] = None, memory_budget: Optional[int] = None) -> None:
        self.workers = resolve_workers(workers)
        self._setup = Setup(compressor, level, engine)
        if memory_budget is not None:
            memory_budget = check_int("memory_budget", memory_budget)
        self.scorer = Scorer(self._setup, as_texts(targets, "targets"), self.workers,
                             memory_budget=memory_budget)

    @property
    def compressor(self) -> str:
        return self._setup.comp.name

    @property
    def level(self) -> int:
        return self._setup.level

    @property
    def engine(self) -> Optional[str]:
        return self._setup.engine

    @property
    def n_targets(self) -> int:
        return len(self.scorer.target_sizes)

    def __repr__(self) -> str:
        return (f"ZipFit(n_targets={self.n_targets}, compressor={self.compressor!r}, "
                f"level={self.level}, workers={self.workers}, engine={self.engine!r})")

    def score(self, sources: Iterable[Text],
              progress: Optional[Callable[[int], None]] = None) -> np.ndarray:
        """Alignment of every source (float64 array, input order).

        ``progress``, if given, is called with the number of sources finished
        after each chunk.
        """
        return self.scorer.alignment(as_texts(sources, "sources"), progress)

    def cdist(self, sources: Iterable[Text], dtype: Any = np.float64) -> np.ndarray:
        """NCD of every source against every target, shape (len(sources), n_targets)."""
        return self.scorer.ncd(as_texts(sources, "sources"), dtype=dtype)

    def select(self, sources: Iterable[Text], k: Optional[int] = None,
               **options: Any) -> Selection:
        """The ``k`` best-aligned sources, best first, ties by lower index.

        ``indices`` are positions in ``sources`` (with pandas, use
        ``df.iloc[sel.indices]``, not ``.loc``).  ``k=0`` selects nothing;
        a ``k`` larger than the pool selects everything.  Other selection
        options (budgets, ``strategy="sample"``, ``dedup``, ``per_target``,
        length filters) are those of :meth:`select_iter`, which then runs.
        """
        if options:
            return self.select_iter(as_texts(sources, "sources"), k, **options)
        k, _, _ = check_limits(k, None, None)
        t0 = time.monotonic()
        texts = as_texts(sources, "sources")
        scores = self.score(texts)
        sel = top_k(scores, k + SHOWN)
        collector = Collector()
        collector.add(texts, scores)
        pick = [(int(i), float(s), texts[i]) for i, s in zip(*sel)]
        context = self._context(collector, len(texts), time.monotonic() - t0, pick[:k],
                                pick[k:], {"strategy": "top-k", "k": f"{k:,}"}, None)
        return Selection(sel.indices[:k], sel.scores[:k], context)

    def _context(self, collector: Collector, n: int, seconds: float, chosen: list,
                 near: list, strategy: dict, spec: Optional[TextSpec]) -> ReportContext:
        """What a selection's report needs (texts of dict items re-read by ``spec``)."""
        from . import __version__

        def text(item: Any) -> Any:
            if isinstance(item, dict) and spec is not None:
                return spec.text(item, lambda m, field=None: ValueError(m))
            return item
        pairs = n * self.n_targets
        run = {"sources": "Python iterable", "documents": f"{n:,}",
               "targets": f"{self.n_targets:,}", "compressor": self.compressor,
               "level": str(self.level), "engine": str(self.engine or "python"),
               "time": f"{seconds:.1f} s", "pairs/s": f"{pairs / max(seconds, 1e-9):,.0f}",
               "zipfit": __version__, "zlib": zlib_version()}
        strategy = dict(strategy, selected=f"{len(chosen):,}", of=f"{n:,}")
        return ReportContext(collector, run, strategy, self.scorer.targets,
                             self.scorer.ncd, [(i, s, text(t)) for i, s, t in chosen],
                             [(i, s, text(t)) for i, s, t in near])

    def select_iter(self, sources: Iterable[Any], k: Optional[int] = None, *,
                    budget_tokens: Optional[int] = None,
                    budget_bytes: Optional[int] = None, text_field: str = "text",
                    chunk_size: int = CHUNK_DOCS,
                    progress: Optional[Callable[[int], None]] = None,
                    tokenizer: Optional[str] = None, strategy: str = "topk",
                    temperature: float = 1.0, seed: int = 0, dedup: bool = False,
                    per_target: Optional[int] = None, min_bytes: Optional[int] = None,
                    max_bytes: Optional[int] = None) -> StreamSelection:
        """Select from any iterable (str, bytes or dicts) in bounded memory.

        Scores ``chunk_size`` documents at a time and keeps only what can
        still be selected.  Dicts give their text by ``text_field`` (dotted
        paths walk nested objects).  Returns a ``StreamSelection``:
        ``indices``, ``scores`` and the selected ``items``, in selection
        order.  ``progress``, if given, is called with the number of items
        scored after each chunk.

        - ``k`` and/or a budget: ``budget_tokens`` (whitespace tokens, or
          the tokens of ``tokenizer``: a ``tokenizer.json`` path or a name
          for ``transformers.AutoTokenizer``) or ``budget_bytes`` (UTF-8
          bytes): the longest run of best documents that fits.
        - ``strategy="sample"`` with ``temperature`` and ``seed``: k
          documents sampled without replacement with probability
          proportional to ``exp(score / temperature)`` (Gumbel top-k,
          independent of chunking and threads); budgets apply to the
          sampled order.
        - ``dedup=True``: identical texts count once (the first copy stays);
          ``counts["duplicates"]`` says how many copies were dropped.
        - ``per_target=m`` (without k): the m nearest documents of every
          target, their union ordered by score; ``targets`` and
          ``per_target`` tell which target got which document.
        - ``min_bytes``/``max_bytes``: documents outside the range are not
          selected (``counts["filtered"]``); ``counts["empty"]`` counts
          empty texts.
        """
        plan = Strategy.make(k, budget_tokens=budget_tokens, budget_bytes=budget_bytes,
                             tokenizer=tokenizer, strategy=strategy, temperature=temperature,
                             seed=seed, dedup=dedup, per_target=per_target,
                             min_bytes=min_bytes, max_bytes=max_bytes)
        check_int("chunk_size", chunk_size, 1)
        t0 = time.monotonic()
        sel = plan.selector(near=SHOWN)
        collector = Collector()
        spec = TextSpec(text_field)

        def ncd(texts: List[bytes]) -> np.ndarray:
            d = self.scorer.ncd(texts)
            if progress is not None:
                progress(len(texts))
            return d

        n = select_stream(ncd, records_from_items(sources, spec), sel, chunk_size,
                          on_scores=lambda chunk, s: collector.add([r.text for r in chunk], s))
        describe = dict(plan.describe(), **{k_: f"{v:,}" for k_, v in sel.counts.items()})
        context = self._context(collector, n, time.monotonic() - t0, sel.result(), sel.near(),
                                describe, spec)
        return selection_of(sel, n, context)
