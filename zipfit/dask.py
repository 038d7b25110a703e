"""ZIP-FIT on a Dask cluster: score and select partition by partition.

Install with ``pip install "zipfit[dask]"``.  Every function here builds a
Dask graph whose tasks run the C engine through :class:`zipfit.ZipFit` on one
partition at a time::

    import dask.dataframe as dd
    import zipfit.dask

    pool = dd.read_json("pool-*.jsonl", lines=True, blocksize="64MB")
    scores = zipfit.dask.score(pool, targets)            # lazy dask Series
    best = zipfit.dask.select(pool, targets, k=1000)     # pandas DataFrame

Scores are exactly :func:`zipfit.alignment`'s: each document's score depends
only on the document and the targets, so partitioning changes nothing.

Targets are shipped once.  The targets travel as one object (their texts and
the settings) that is scattered to every worker once when a
``distributed.Client`` is active, or embedded once in the graph otherwise.
Each worker *process* rebuilds the prepared targets (compressed sizes and the
engine's per-target state) the first time a task needs them and keeps them in
a small module-level cache, so they are built once per process, not per task.

Threads: each task uses ``workers_per_task`` engine threads (default 1).  A
Dask worker already runs one task per worker thread, so the default keeps the
machine exactly as busy as the worker's ``--nthreads`` says.  To give each task
several cores instead, start workers with fewer threads (e.g. ``dask worker
ADDRESS --nthreads 1 --nworkers 2``) and pass ``workers_per_task=N``.
"""
from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

import numpy as np

try:
    import dask
    import dask.dataframe as dd
    import pandas as pd
except ImportError as exc:  # pragma: no cover - exercised only without dask
    raise ImportError(
        "zipfit.dask needs Dask: pip install \"zipfit[dask]\" "
        "(installs dask[dataframe] and distributed)") from exc

from . import _api
from ._api import Text, ZipFit

__all__ = ["score", "select", "SCORE_COLUMN", "INDEX_COLUMN", "run_cli_select"]

#: name of the score column / of the lazy score Series
SCORE_COLUMN = "zipfit_score"
#: name of the column holding a row's global position in the input
INDEX_COLUMN = "zipfit_index"

#: partial results combined per task in the tree reduction of ``select``
_FAN_IN = 8
#: prepared target sets kept per process
_CACHE_SIZE = 4


# --------------------------------------------------------- shipped targets

_cache: "OrderedDict[Tuple[str, int], ZipFit]" = OrderedDict()
_cache_lock = threading.Lock()
_builds: Dict[str, int] = {}


def _build_counts() -> Dict[str, int]:
    """How many times this process built each shipped target set (for tests)."""
    return dict(_builds)


class _Targets:
    """Targets and settings that travel to the workers as one small object.

    Pickles as texts + settings + a token; :meth:`scorer` returns the prepared
    :class:`ZipFit`, built at most once per process for a given token.
    """

    __slots__ = ("token", "texts", "options", "threads")

    def __init__(self, texts: Tuple[Text, ...], options: Dict[str, Any],
                 threads: int, token: Optional[str] = None) -> None:
        self.texts = texts
        self.options = options
        self.threads = threads
        self.token = token or uuid.uuid4().hex

    def __reduce__(self):
        return (_Targets, (self.texts, self.options, self.threads, self.token))

    def scorer(self) -> ZipFit:
        key = (self.token, self.threads)
        with _cache_lock:
            zf = _cache.get(key)
            if zf is not None:
                _cache.move_to_end(key)
                return zf
            zf = ZipFit(self.texts, workers=self.threads, **self.options)
            _builds[self.token] = _builds.get(self.token, 0) + 1
            _cache[key] = zf
            while len(_cache) > _CACHE_SIZE:
                _cache.popitem(last=False)
            return zf


def _prepare(targets: Iterable[Text], options: Dict[str, Any]) -> _Targets:
    """Validate targets and options on the client, before any task runs."""
    options = dict(options)
    threads = options.pop("workers_per_task", 1)
    if "workers" in options:
        raise TypeError(
            "zipfit.dask takes workers_per_task (engine threads per Dask task), "
            "not workers; Dask's own workers set the parallelism across tasks")
    allowed = {"compressor", "level", "engine"}
    unknown = sorted(set(options) - allowed)
    if unknown:
        raise TypeError(f"unexpected option(s) {', '.join(unknown)}; "
                        f"zipfit.dask accepts compressor, level, engine, workers_per_task")
    threads = _api.resolve_workers(threads)
    texts = _api._texts(targets, "targets")
    if not texts:
        raise ValueError("zipfit.dask needs at least one target text")
    for j, t in enumerate(texts):
        if not isinstance(t, (str, bytes)):
            raise TypeError(f"targets[{j}] must be str or bytes, not {type(t).__name__}")
    # Validates compressor/level/engine and emits the usual warnings here,
    # on the client, rather than once per worker.
    _api._Setup(options.get("compressor", "gzip"), options.get("level"),
                options.get("engine"))
    return _Targets(tuple(texts), options, threads)


def _ship(spec: _Targets) -> Any:
    """One graph-level handle on the targets: scattered once if we can."""
    try:
        from distributed import get_client
        client = get_client()
    except (ImportError, ValueError):
        client = None
    if client is not None and client.status == "running":
        return client.scatter(spec, broadcast=True, hash=False)
    return dask.delayed(spec, traverse=False, pure=True)


# ----------------------------------------------------------------- scoring

def _text_series(obj: Any, text_column: str) -> Any:
    if isinstance(obj, dd.Series):
        return obj
    if isinstance(obj, dd.DataFrame):
        if text_column not in obj.columns:
            raise KeyError(
                f"text column {text_column!r} not found; the frame has columns: "
                f"{', '.join(map(str, obj.columns))}")
        return obj[text_column]
    raise TypeError("expected a dask DataFrame or Series, not "
                    f"{type(obj).__module__}.{type(obj).__name__} "
                    "(use dask.dataframe.from_pandas for in-memory data)")


def _texts_of(col: "pd.Series", what: str) -> List[Text]:
    texts = col.tolist()
    for i, t in enumerate(texts):
        if not isinstance(t, (str, bytes)):
            label = col.index[i]
            if isinstance(label, np.generic):
                label = label.item()
            missing = t is None or t is pd.NA or (isinstance(t, float) and t != t)
            shown = "missing" if missing else f"a {type(t).__name__}"
            raise TypeError(f"{what} at row {label!r} is {shown}, not str or bytes")
    return texts


def _score_part(col: "pd.Series", spec: _Targets, what: str) -> "pd.Series":
    scores = spec.scorer().score(_texts_of(col, what))
    return pd.Series(scores, index=col.index, name=SCORE_COLUMN, dtype=np.float64)


def score(frame_or_series: Any, targets: Iterable[Text], *, text_column: str = "text",
          **options: Any) -> Any:
    """Lazy Dask Series of ZIP-FIT scores, one per row, same partitions and index.

    ``frame_or_series`` is a dask DataFrame (scored on ``text_column``) or a
    dask Series of str/bytes.  ``options``: ``compressor``, ``level``,
    ``engine`` as for :class:`zipfit.ZipFit`, and ``workers_per_task``
    (engine threads per task, default 1).  The Series is named
    ``zipfit_score``; its values equal ``zipfit.alignment(texts, targets)``.
    """
    col = _text_series(frame_or_series, text_column)
    spec = _prepare(targets, options)
    what = f"text column {text_column!r}" if col.name is None else f"text column {col.name!r}"
    meta = pd.Series([], dtype=np.float64, name=SCORE_COLUMN)
    return col.map_partitions(_score_part, _ship(spec), what, meta=meta)


# --------------------------------------------------------------- selection

_PID = "__zipfit_partition"
_POS = "__zipfit_position"


def _costs(texts: Sequence[Text], unit: str) -> np.ndarray:
    """Budget cost of each text: whitespace tokens or UTF-8 bytes."""
    if unit == "tokens":
        return np.fromiter((len(t.split()) for t in texts), dtype=np.int64,
                           count=len(texts))
    return np.fromiter((len(t.encode("utf-8")) if isinstance(t, str) else len(t)
                        for t in texts), dtype=np.int64, count=len(texts))


def budget_prefix(costs: np.ndarray, budget: int) -> int:
    """How many items, taken best first, fit the budget.

    Greedy best-first: take items in order while the running total stays
    within ``budget``; stop at the first item that would exceed it.
    """
    total = np.cumsum(np.asarray(costs, dtype=np.int64))
    return int(np.searchsorted(total, budget, side="right"))


def _keep(n_keep_rows: int, costs: Optional[np.ndarray], k: Optional[int],
          budget: Optional[int]) -> int:
    """Rows of a best-first ordered group that can still be in the answer."""
    n = n_keep_rows
    if k is not None:
        n = min(n, k)
    if budget is not None:
        # the rows that fit, plus the first that does not: it may be where
        # the global selection stops, so the reduction must see it
        n = min(n, budget_prefix(costs[:n], budget) + 1)
    return n


def _order(scores: np.ndarray, pid: np.ndarray, pos: np.ndarray) -> np.ndarray:
    """Best first; ties by partition then position (= by global position)."""
    return np.lexsort((pos, pid, -scores))


def _part_select(part: "pd.DataFrame", pid: int, spec: _Targets, text_column: str,
                 k: Optional[int], budget: Optional[int], unit: str,
                 keep_scores: bool) -> Tuple[int, int, "pd.DataFrame", Any]:
    what = f"text column {text_column!r}"
    texts = _texts_of(part[text_column], what)
    scores = spec.scorer().score(texts)
    n = len(texts)
    pos = np.arange(n, dtype=np.int64)
    order = np.lexsort((pos, -scores))
    costs = None
    if budget is not None:
        costs = _costs([texts[i] for i in order[:k if k is not None else n]], unit)
    m = _keep(n, costs, k, budget)
    chosen = order[:m]
    out = part.iloc[chosen].copy()
    out[SCORE_COLUMN] = scores[chosen]
    out[_PID] = np.full(m, pid, dtype=np.int64)
    out[_POS] = chosen.astype(np.int64)
    if costs is not None:
        out["__zipfit_cost"] = costs[:m]
    return pid, n, out, (scores if keep_scores else None)


def _combine(parts: Sequence[Tuple[Dict[int, int], "pd.DataFrame", Dict[int, Any]]],
             k: Optional[int], budget: Optional[int]):
    lengths: Dict[int, int] = {}
    all_scores: Dict[int, Any] = {}
    for ln, _, sc in parts:
        lengths.update(ln)
        all_scores.update(sc)
    frames = [f for _, f, _ in parts]
    df = pd.concat(frames) if len(frames) > 1 else frames[0]
    order = _order(df[SCORE_COLUMN].to_numpy(), df[_PID].to_numpy(), df[_POS].to_numpy())
    costs = df["__zipfit_cost"].to_numpy()[order] if budget is not None else None
    m = _keep(len(order), costs, k, budget)
    return lengths, df.iloc[order[:m]], all_scores


def _leaf(result: Tuple[int, int, "pd.DataFrame", Any]):
    pid, n, df, sc = result
    return {pid: n}, df, ({pid: sc} if sc is not None else {})


def _finish(combined, k: Optional[int], budget: Optional[int], columns: List[str]):
    lengths, df, all_scores = _combine([combined], k, budget)
    npart = len(lengths)
    counts = np.array([lengths[p] for p in range(npart)], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
    if budget is not None:
        m = budget_prefix(df["__zipfit_cost"].to_numpy(), budget)
        df = df.iloc[:m]
    gidx = offsets[df[_PID].to_numpy()] + df[_POS].to_numpy()
    out = df[[c for c in columns if c not in (SCORE_COLUMN, INDEX_COLUMN)]].copy()
    out[SCORE_COLUMN] = df[SCORE_COLUMN].to_numpy()
    out[INDEX_COLUMN] = gidx.astype(np.int64)
    scores = None
    if all_scores:
        scores = (np.concatenate([all_scores[p] for p in range(npart)])
                  if npart else np.empty(0, dtype=np.float64))
    return out, scores, int(counts.sum())


def _select_graph(frame: Any, spec: _Targets, k: Optional[int], text_column: str,
                  budget: Optional[int], unit: str, keep_scores: bool):
    """Delayed (selection, scores or None, n_rows)."""
    handle = _ship(spec)
    columns = list(frame.columns)
    leaves = [dask.delayed(_leaf)(dask.delayed(_part_select)(
        part, i, handle, text_column, k, budget, unit, keep_scores))
        for i, part in enumerate(frame.to_delayed())]
    if not leaves:
        raise ValueError("the frame has no partitions")
    level = leaves
    while len(level) > 1:
        level = [dask.delayed(_combine)(level[i:i + _FAN_IN], k, budget)
                 for i in range(0, len(level), _FAN_IN)]
    return dask.delayed(_finish, nout=3)(level[0], k, budget, columns)


def _check_limits(k: Optional[int], budget_tokens: Optional[int],
                  budget_bytes: Optional[int]) -> Tuple[Optional[int], Optional[int], str]:
    for name, v in (("k", k), ("budget_tokens", budget_tokens),
                    ("budget_bytes", budget_bytes)):
        if v is None:
            continue
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
            raise TypeError(f"{name} must be an int, not {type(v).__name__}")
        if v < 0:
            raise ValueError(f"{name} must be >= 0, got {v}")
    if budget_tokens is not None and budget_bytes is not None:
        raise ValueError("give budget_tokens or budget_bytes, not both")
    if k is None and budget_tokens is None and budget_bytes is None:
        raise ValueError("give k, budget_tokens or budget_bytes")
    if budget_tokens is not None:
        return (None if k is None else int(k)), int(budget_tokens), "tokens"
    if budget_bytes is not None:
        return (None if k is None else int(k)), int(budget_bytes), "bytes"
    return int(k), None, "tokens"


def select(frame: Any, targets: Iterable[Text], k: Optional[int] = None, *,
           text_column: str = "text", budget_tokens: Optional[int] = None,
           budget_bytes: Optional[int] = None, **options: Any) -> "pd.DataFrame":
    """The global best rows of a dask DataFrame, as a pandas DataFrame.

    Returns the selected rows with all their columns (and index), plus
    ``zipfit_score`` and ``zipfit_index`` (the row's position in the whole
    frame, counting across partitions), best first, ties by lower position —
    the same rows, in the same order, as ``zipfit.ZipFit(targets).select`` on
    the concatenated texts.

    Select by count (``k``) or by budget: ``budget_tokens`` (whitespace
    tokens, ``str.split()``) or ``budget_bytes`` (UTF-8 bytes) takes rows best
    first while the running total stays within the budget and stops at the
    first row that would exceed it.  With both ``k`` and a budget, whichever
    limit is reached first applies.  ``options`` as for :func:`score`.

    Each partition keeps only its own candidates (its top ``k``, or the rows
    that fit the budget plus one), and the candidates are merged in a tree, so
    only ``O(k)`` rows per task travel over the network.
    """
    k, budget, unit = _check_limits(k, budget_tokens, budget_bytes)
    if isinstance(frame, dd.Series):
        frame = frame.to_frame(name=text_column)
    if not isinstance(frame, dd.DataFrame):
        _text_series(frame, text_column)  # raises the TypeError
    if text_column not in frame.columns:
        _text_series(frame, text_column)  # raises the KeyError
    spec = _prepare(targets, options)
    sel, _, _ = _select_graph(frame, spec, k, text_column, budget, unit, False)
    return sel.compute()


def run_cli_select(args: Any) -> int:  # pragma: no cover - filled in below
    raise NotImplementedError
