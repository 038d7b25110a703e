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

Selection runs the same selectors (``zipfit._select``) as the local
pipeline: each partition keeps its own candidates, and the candidates are
merged in a tree, so only ``O(k)`` rows per task travel over the network.

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

from ._api import Setup, Text, ZipFit, as_texts
from ._checks import resolve_workers
from ._collect import SHOWN, Collector
from ._select import CHUNK_DOCS, Strategy, select_stream
from .errors import InputError, UsageError, ZipFitError
from .io import (ErrorPolicy, Input, Record, Split, TextSpec, expand_inputs,
                 read_split, splits)
from .pipeline import Job, Picked

__all__ = ["score", "select", "read_documents", "DaskExecutor",
           "SCORE_COLUMN", "INDEX_COLUMN", "ERROR_COLUMN", "TEXT_COLUMN", "RECORD_COLUMN",
           "TARGETS_COLUMN",
           "BLOCKSIZE"]

#: name of the score column / of the lazy score Series
SCORE_COLUMN = "zipfit_score"
#: name of the column holding a row's global position in the input
INDEX_COLUMN = "zipfit_index"
#: rows whose value here is not null are bad records (``on_error="skip"``):
#: select() skips them (they get no position) and score() gives them NaN
ERROR_COLUMN = "zipfit_error"
#: read_documents' columns: the text to score, and the parsed record
TEXT_COLUMN = "text"
RECORD_COLUMN = "record"
#: with per_target: the targets each selected row was chosen for
TARGETS_COLUMN = "zipfit_targets"
#: default bytes of uncompressed JSON Lines / text per partition
BLOCKSIZE = 32 << 20

#: partial results combined per task in the tree reduction of ``select``
_FAN_IN = 8
#: prepared target sets kept per process
_CACHE_SIZE = 4
#: a candidate's key is partition << _SHIFT | position: it sorts like the
#: global position, which is known only once every partition is counted
_SHIFT = 40
_KEY = "__zipfit_key"


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
    unknown = sorted(set(options) - {"compressor", "level", "engine", "memory_budget"})
    if unknown:
        raise TypeError(f"unexpected option(s) {', '.join(unknown)}; zipfit.dask accepts "
                        "compressor, level, engine, memory_budget, workers_per_task")
    threads = resolve_workers(threads)
    texts = as_texts(targets, "targets")
    if not texts:
        raise ValueError("zipfit.dask needs at least one target text")
    for j, t in enumerate(texts):
        if not isinstance(t, (str, bytes)):
            raise TypeError(f"targets[{j}] must be str or bytes, not {type(t).__name__}")
    # Validates compressor/level/engine and emits the usual warnings here,
    # on the client, rather than once per worker.
    Setup(options.get("compressor", "gzip"), options.get("level"), options.get("engine"))
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


# ------------------------------------------------------------ partial results

class _Partial:
    """One part's (or a merged run of parts') share of a selection."""

    __slots__ = ("counts", "selector", "scores", "policy", "rows", "collector")

    def __init__(self, pid: int, n: int, selector: Any, scores: Optional[np.ndarray],
                 policy: ErrorPolicy, rows: Optional["pd.DataFrame"] = None,
                 collector: Optional[Collector] = None) -> None:
        self.counts = {pid: n}
        self.selector = selector
        self.scores = {pid: scores} if scores is not None else {}
        self.policy = policy
        self.rows = rows
        self.collector = collector


def _merge(parts: Sequence[_Partial]) -> _Partial:
    """Merge partials of consecutive parts, in input order."""
    out = parts[0]
    for p in parts[1:]:
        out.counts.update(p.counts)
        out.scores.update(p.scores)
        out.selector.merge(p.selector)
        out.policy.merge(p.policy)
        if out.collector is not None and p.collector is not None:
            out.collector.merge(p.collector)
    if out.rows is not None:
        rows = pd.concat([p.rows for p in parts]) if len(parts) > 1 else out.rows
        keep = [key for key, _, _ in out.selector.result()]
        out.rows = rows[rows[_KEY].isin(keep)]
    return out


def _reduce(leaves: List[Any]) -> Any:
    """The delayed tree reduction of the leaves' partials."""
    if not leaves:
        raise ValueError("the frame has no partitions")
    level = leaves
    while len(level) > 1:
        level = [dask.delayed(_merge)(level[i:i + _FAN_IN])
                 for i in range(0, len(level), _FAN_IN)]
    return level[0]


def _resolve(p: _Partial) -> Tuple[Picked, int, Optional[np.ndarray]]:
    """(the selection by global positions, documents, all scores or None)."""
    counts = np.array([p.counts[i] for i in range(len(p.counts))], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
    mask = (1 << _SHIFT) - 1
    picked = Picked.of(p.selector, lambda key: int(offsets[key >> _SHIFT] + (key & mask)))
    scores = None
    if p.scores:
        scores = np.concatenate([p.scores[i] for i in range(len(p.counts))])
    return picked, int(counts.sum()), scores


def _first_indexes(counts: Sequence[int]) -> List[int]:
    """Global position of each part's first document (what sampling needs)."""
    return np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64).tolist()


# ----------------------------------------------------------------- frames

def _text_series(obj: Any, text_column: str) -> Any:
    if isinstance(obj, dd.Series):
        return obj
    if isinstance(obj, dd.DataFrame):
        if text_column not in obj.columns:
            raise InputError(
                f"text column {text_column!r} not found; the frame has columns: "
                f"{', '.join(map(str, obj.columns))}")
        return obj[text_column]
    raise TypeError("expected a dask DataFrame or Series, not "
                    f"{type(obj).__module__}.{type(obj).__name__} "
                    "(use dask.dataframe.from_pandas for in-memory data)")


def _texts_of(col: "pd.Series", what: str, pid: int) -> List[Text]:
    texts = col.tolist()
    for i, t in enumerate(texts):
        if not isinstance(t, (str, bytes)):
            label = col.index[i]
            if isinstance(label, np.generic):
                label = label.item()
            missing = t is None or t is pd.NA or (isinstance(t, float) and t != t)
            shown = "missing" if missing else f"a {type(t).__name__}"
            raise InputError(f"is {shown}, expected str or bytes", field=what,
                             where=f"row {i + 1} of partition {pid + 1} "
                                   f"(index label {label!r})")
    return texts


def _flagged(part: "pd.DataFrame", policy: ErrorPolicy) -> "pd.DataFrame":
    """The partition without the rows read_documents flagged as bad (counted)."""
    if ERROR_COLUMN not in part.columns:
        return part
    bad = part[ERROR_COLUMN].notna().to_numpy()
    for msg in part[ERROR_COLUMN][bad].tolist():
        policy.bad(InputError(msg))
    return part[~bad]


def _score_part(part: Any, spec: _Targets, column: str, partition_info: Any = None
                ) -> "pd.Series":
    pid = partition_info["number"] if partition_info else 0
    col = part if isinstance(part, pd.Series) else part[column]
    out = pd.Series(np.nan, index=col.index, name=SCORE_COLUMN, dtype=np.float64)
    good = np.ones(len(col), dtype=bool)
    if isinstance(part, pd.DataFrame) and ERROR_COLUMN in part.columns:
        good = part[ERROR_COLUMN].isna().to_numpy()
    texts = _texts_of(col[good], column, pid)
    out[good] = spec.scorer().score(texts)
    return out


def score(frame_or_series: Any, targets: Iterable[Text], *, text_column: str = "text",
          **options: Any) -> Any:
    """Lazy Dask Series of ZIP-FIT scores, one per row, same partitions and index.

    ``frame_or_series`` is a dask DataFrame (scored on ``text_column``) or a
    dask Series of str/bytes.  ``options``: ``compressor``, ``level``,
    ``engine`` as for :class:`zipfit.ZipFit`, and ``workers_per_task``
    (engine threads per task, default 1).  The Series is named
    ``zipfit_score``; its values equal ``zipfit.alignment(texts, targets)``.
    Rows that :func:`read_documents` flagged as bad (``zipfit_error`` set)
    score NaN.
    """
    col = _text_series(frame_or_series, text_column)
    spec = _prepare(targets, options)
    part = col
    if isinstance(frame_or_series, dd.DataFrame) and ERROR_COLUMN in frame_or_series.columns:
        part = frame_or_series[[text_column, ERROR_COLUMN]]
    column = text_column if col.name is None else str(col.name)
    meta = pd.Series([], dtype=np.float64, name=SCORE_COLUMN)
    return part.map_partitions(_score_part, _ship(spec), column, meta=meta)


def _good_rows(part: "pd.DataFrame") -> int:
    return int(part[ERROR_COLUMN].isna().sum()) if ERROR_COLUMN in part.columns else len(part)


def _frame_leaf(part: "pd.DataFrame", pid: int, spec: _Targets, text_column: str,
                plan: Strategy, first_index: Optional[int]) -> _Partial:
    policy = ErrorPolicy("skip")
    part = _flagged(part, policy)
    texts = _texts_of(part[text_column], text_column, pid)
    sel = plan.selector()
    records = (Record(t, pos, None, None) for pos, t in enumerate(texts))
    n = select_stream(spec.scorer().scorer.ncd, records, sel, CHUNK_DOCS,
                      first_key=pid << _SHIFT, first_index=first_index)
    kept = sel.result()
    rows = part.iloc[[pos for _, _, pos in kept]].copy()
    rows[_KEY] = [key for key, _, _ in kept]
    return _Partial(pid, n, sel, None, policy, rows)


def select(frame: Any, targets: Iterable[Text], k: Optional[int] = None, *,
           text_column: str = "text", budget_tokens: Optional[int] = None,
           budget_bytes: Optional[int] = None, tokenizer: Optional[str] = None,
           strategy: str = "topk", temperature: float = 1.0, seed: int = 0,
           dedup: bool = False, per_target: Optional[int] = None,
           min_bytes: Optional[int] = None, max_bytes: Optional[int] = None,
           **options: Any) -> "pd.DataFrame":
    """The selected rows of a dask DataFrame, as a pandas DataFrame.

    Returns the selected rows with all their columns (and index), plus
    ``zipfit_score`` and ``zipfit_index`` (the row's position in the whole
    frame, counting across partitions), in selection order — the same rows,
    in the same order, as ``zipfit.ZipFit(targets).select_iter`` on the
    concatenated texts with the same options.  Rows flagged by
    :func:`read_documents` are skipped and take no position.

    The selection options are those of :meth:`zipfit.ZipFit.select_iter`:
    ``k`` and/or ``budget_tokens`` (whitespace tokens, ``str.split()``, or
    the tokens of ``tokenizer``: a ``tokenizer.json`` path or a transformers
    name, loaded once per worker process) / ``budget_bytes``;
    ``strategy="sample"`` with ``temperature`` and ``seed`` (the frame's
    partition lengths are counted first, since the noise follows each row's
    global position); ``dedup``; ``per_target`` (adds a ``zipfit_targets``
    column); ``min_bytes``/``max_bytes``.  ``options`` as for :func:`score`.
    """
    plan = Strategy.make(k, budget_tokens=budget_tokens, budget_bytes=budget_bytes,
                         tokenizer=tokenizer, strategy=strategy, temperature=temperature,
                         seed=seed, dedup=dedup, per_target=per_target, min_bytes=min_bytes,
                         max_bytes=max_bytes)
    if isinstance(frame, dd.Series):
        frame = frame.to_frame(name=text_column)
    if not isinstance(frame, dd.DataFrame) or text_column not in frame.columns:
        _text_series(frame, text_column)  # raises the TypeError or InputError
    spec = _prepare(targets, options)
    handle = _ship(spec)
    parts = frame.to_delayed()
    firsts: List[Optional[int]] = [None] * len(parts)
    if plan.needs_index:
        firsts = _first_indexes(dask.compute(*[dask.delayed(_good_rows)(p) for p in parts]))
    leaves = [dask.delayed(_frame_leaf)(part, pid, handle, text_column, plan, firsts[pid])
              for pid, part in enumerate(parts)]
    p = _reduce(leaves).compute()
    picked, _, _ = _resolve(p)
    at = {key: i for i, key in enumerate(p.rows[_KEY].tolist())}
    rows = p.rows.iloc[[at[key] for key, _, _ in p.selector.result()]]
    out = rows[[c for c in frame.columns
                if c not in (SCORE_COLUMN, INDEX_COLUMN, ERROR_COLUMN)]].copy()
    out[SCORE_COLUMN] = np.array([s for _, s, _ in picked.chosen], dtype=np.float64)
    out[INDEX_COLUMN] = np.array([i for i, _, _ in picked.chosen], dtype=np.int64)
    if plan.per_target is not None:
        out[TARGETS_COLUMN] = [list(t) for t in picked.targets]
    out.attrs["zipfit"] = {"counts": picked.counts, "per_target": picked.per_target}
    return out


# ------------------------------------------------------------ reading files

def _split_frame(split: Split, spec: TextSpec, on_error: str) -> "pd.DataFrame":
    """One split's records as a frame (text, record, zipfit_error)."""
    policy = ErrorPolicy(on_error)
    texts: List[Any] = []
    records: List[Any] = []
    for r in read_split(split, spec, policy):
        texts.append(r.text.decode("utf-8"))
        records.append(r.data)
    msgs = [str(e) for e in policy.first]
    msgs += [f"{split.input.name}: bad record"] * (policy.skipped - len(msgs))
    none = [None] * len(msgs)
    return pd.DataFrame({TEXT_COLUMN: pd.Series(texts + none, dtype=object),
                         RECORD_COLUMN: pd.Series(records + none, dtype=object),
                         ERROR_COLUMN: pd.Series([None] * len(texts) + msgs, dtype=object)})


def _worker_splits(inputs: Sequence[Input], blocksize: int) -> List[Split]:
    for inp in inputs:
        if inp.path == "-":
            raise InputError("standard input cannot be read by Dask workers; "
                             "give files on storage every worker can read")
    return splits(list(inputs), blocksize)


def read_documents(paths: Sequence[str], *, text_field: str = "text",
                   template: Optional[str] = None, format: Optional[str] = None,
                   blocksize: int = BLOCKSIZE, on_error: str = "fail") -> Any:
    """The command line's inputs as a dask DataFrame, one record per row.

    ``paths``: files, directories and globs as for ``zipfit select``
    (``.jsonl``, ``.jsonl.gz``, ``.json``, ``.txt``, ``.parquet``), on storage
    that every Dask worker reads under the same path.  Uncompressed
    ``.jsonl``/``.txt`` files are cut into byte ranges of ``blocksize``,
    Parquet files into row groups; other files are one partition each.
    Columns: ``text`` (the text of ``text_field`` or ``template``),
    ``record`` (the parsed record) and ``zipfit_error`` (with
    ``on_error="skip"``: the message of a bad record, whose other columns are
    null; :func:`select` skips such rows and :func:`score` gives them NaN).
    Row order is input order, so :func:`select`'s ``zipfit_index`` is the
    same position the local ``zipfit select`` reports.
    """
    ErrorPolicy(on_error)  # validates
    if isinstance(paths, str):
        paths = [paths]
    spec = TextSpec(text_field, template)
    parts = _worker_splits(expand_inputs(list(paths), format, what="source"), int(blocksize))
    meta = pd.DataFrame({c: pd.Series([], dtype=object)
                         for c in (TEXT_COLUMN, RECORD_COLUMN, ERROR_COLUMN)})
    # Dask would otherwise turn the object columns into Arrow strings,
    # stringifying the records (dicts) and losing their fields.
    with dask.config.set({"dataframe.convert-string": False}):
        return dd.from_map(_split_frame, parts, spec=spec, on_error=on_error, meta=meta,
                           divisions=[None] * (len(parts) + 1), enforce_metadata=False)


# --------------------------------------------------------------- executor

def _split_leaf(split: Split, pid: int, spec: _Targets, text_spec: TextSpec, on_error: str,
                plan: Strategy, first_index: Optional[int], chunk_size: int,
                keep_scores: bool, collect: bool) -> _Partial:
    """Read, score and select one split on a worker (and collect for a report)."""
    policy = ErrorPolicy(on_error)
    sel = plan.selector(near=SHOWN if collect else 0)
    kept: List[np.ndarray] = []
    collector = Collector() if collect else None

    def seen(chunk: List[Record], scores: np.ndarray) -> None:
        if keep_scores:
            kept.append(scores)
        if collector is not None:
            collector.add([r.text for r in chunk], scores)

    n = select_stream(spec.scorer().scorer.ncd, read_split(split, text_spec, policy), sel,
                      chunk_size, first_key=pid << _SHIFT, first_index=first_index,
                      on_scores=seen)
    scores = (np.concatenate(kept) if kept else np.empty(0)) if keep_scores else None
    return _Partial(pid, n, sel, scores, policy, collector=collector)


def _count_split(split: Split, text_spec: TextSpec, on_error: str) -> int:
    """The good records of a split (a first pass, when sampling needs positions)."""
    return sum(1 for _ in read_split(split, text_spec, ErrorPolicy(on_error)))


class DaskExecutor:
    """Runs a pipeline job on a Dask cluster: one task per split.

    Sources must be files every worker reads under the same path.
    Uncompressed ``.jsonl``/``.txt`` are cut into ranges of ``blocksize``
    bytes and Parquet files into row groups; each task reads, scores and
    selects its split with the same reader and selector as the local run,
    ``chunk_size`` documents at a time, and the candidates are merged in a
    tree.  The selection and, if asked for, the scores come back to this
    process, which writes the outputs.
    """

    def __init__(self, scheduler: str, blocksize: Optional[int] = None) -> None:
        self.address = scheduler
        self.blocksize = BLOCKSIZE if blocksize is None else int(blocksize)
        self.workers = 0

    def splits(self, inputs: List[Input]) -> List[Split]:
        return _worker_splits(inputs, self.blocksize)

    def scorer(self, targets: List[bytes], job: Job) -> _Targets:
        return _prepare(targets, {"compressor": job.compressor, "level": job.level})

    def where(self, nsplits: int) -> str:
        return f" on {self.workers} Dask worker(s), {nsplits} partition(s)"

    def level(self, spec: _Targets) -> int:
        return spec.scorer().level

    def engine(self, spec: _Targets) -> str:
        return spec.scorer().engine or "python"

    def ncd_function(self, spec: _Targets) -> Any:
        return spec.scorer().scorer.ncd

    def select(self, run: Any, plan: Strategy, on_scores: Any) -> Picked:
        from distributed import Client
        try:
            client = Client(self.address, timeout="20s", set_as_default=False)
        except (OSError, TimeoutError, ValueError) as e:
            raise ZipFitError(f"cannot connect to the Dask scheduler at {self.address!r}: "
                              f"{e}") from None
        run.stack.callback(client.close)
        self.workers = len(client.scheduler_info().get("workers", {}))
        handle = client.scatter(run.zf, broadcast=True, hash=False)
        firsts: List[Optional[int]] = [None] * len(run.splits)
        if plan.needs_index:   # sampling: the noise follows global positions
            counts = client.compute([dask.delayed(_count_split)(s, run.spec, run.job.on_error)
                                     for s in run.splits], sync=True)
            firsts = _first_indexes(counts)
        leaves = [dask.delayed(_split_leaf)(split, pid, handle, run.spec, run.job.on_error,
                                            plan, firsts[pid], run.job.chunk_size,
                                            on_scores is not None, run.collector is not None)
                  for pid, split in enumerate(run.splits)]
        p = client.compute(_reduce(leaves), sync=True)
        run.policy.merge(p.policy)
        if run.collector is not None and p.collector is not None:
            run.collector.merge(p.collector)
        picked, run.n, scores = _resolve(p)
        if on_scores is not None and scores is not None:
            on_scores(scores)
        return picked

    def each_chunk(self, run: Any) -> Any:
        raise UsageError("score and matrix run locally; --scheduler is for select")
