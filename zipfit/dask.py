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

__all__ = ["score", "select", "read_documents", "run_cli_select",
           "SCORE_COLUMN", "INDEX_COLUMN", "ERROR_COLUMN"]

#: name of the score column / of the lazy score Series
SCORE_COLUMN = "zipfit_score"
#: name of the column holding a row's global position in the input
INDEX_COLUMN = "zipfit_index"
#: rows whose value here is not null are bad records: select() skips them
#: (they get no position), counts them and reports the first few messages
ERROR_COLUMN = "zipfit_error"
_KEEP_ERRORS = 5

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
        assert costs is not None, "a budget needs the rows' costs"
        n = min(n, budget_prefix(costs[:n], budget) + 1)
    return n


def _order(scores: np.ndarray, pid: np.ndarray, pos: np.ndarray) -> np.ndarray:
    """Best first; ties by partition then position (= by global position)."""
    return np.lexsort((pos, pid, -scores))


def _part_select(part: "pd.DataFrame", pid: int, spec: _Targets, text_column: str,
                 k: Optional[int], budget: Optional[int], unit: str,
                 keep_scores: bool) -> Tuple[int, int, "pd.DataFrame", Any, Dict[str, Any]]:
    what = f"text column {text_column!r}"
    stats: Dict[str, Any] = {"skipped": 0, "errors": []}
    if ERROR_COLUMN in part.columns:
        bad = part[ERROR_COLUMN].notna().to_numpy()
        if bad.any():
            stats["skipped"] = int(bad.sum())
            stats["errors"] = part[ERROR_COLUMN][bad].iloc[:_KEEP_ERRORS].tolist()
            part = part[~bad]
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
    return pid, n, out, (scores if keep_scores else None), stats


def _merge_stats(stats: Sequence[Dict[str, Any]]) -> Dict[str, Any]:
    errors: List[str] = []
    for st in stats:
        errors += st["errors"][:_KEEP_ERRORS - len(errors)]
    return {"skipped": sum(st["skipped"] for st in stats), "errors": errors}


def _combine(parts: Sequence[Tuple[Dict[int, int], "pd.DataFrame", Dict[int, Any],
                                   Dict[str, Any]]],
             k: Optional[int], budget: Optional[int]):
    lengths: Dict[int, int] = {}
    all_scores: Dict[int, Any] = {}
    for ln, _, sc, _ in parts:
        lengths.update(ln)
        all_scores.update(sc)
    stats = _merge_stats([p[3] for p in parts])
    frames = [f for _, f, _, _ in parts]
    df = pd.concat(frames) if len(frames) > 1 else frames[0]
    order = _order(df[SCORE_COLUMN].to_numpy(), df[_PID].to_numpy(), df[_POS].to_numpy())
    costs = df["__zipfit_cost"].to_numpy()[order] if budget is not None else None
    m = _keep(len(order), costs, k, budget)
    return lengths, df.iloc[order[:m]], all_scores, stats


def _leaf(result: Tuple[int, int, "pd.DataFrame", Any, Dict[str, Any]]):
    pid, n, df, sc, stats = result
    return {pid: n}, df, ({pid: sc} if sc is not None else {}), stats


def _finish(combined, k: Optional[int], budget: Optional[int], columns: List[str]):
    lengths, df, all_scores, stats = _combine([combined], k, budget)
    npart = len(lengths)
    counts = np.array([lengths[p] for p in range(npart)], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
    if budget is not None:
        m = budget_prefix(df["__zipfit_cost"].to_numpy(), budget)
        df = df.iloc[:m]
    gidx = offsets[df[_PID].to_numpy()] + df[_POS].to_numpy()
    out = df[[c for c in columns
              if c not in (SCORE_COLUMN, INDEX_COLUMN, ERROR_COLUMN)]].copy()
    out[SCORE_COLUMN] = df[SCORE_COLUMN].to_numpy()
    out[INDEX_COLUMN] = gidx.astype(np.int64)
    scores = None
    if all_scores:
        scores = (np.concatenate([all_scores[p] for p in range(npart)])
                  if npart else np.empty(0, dtype=np.float64))
    return out, scores, int(counts.sum()), stats


def _select_graph(frame: Any, spec: _Targets, k: Optional[int], text_column: str,
                  budget: Optional[int], unit: str, keep_scores: bool):
    """Delayed (selection, scores or None, n_rows, stats)."""
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
    return dask.delayed(_finish, nout=4)(level[0], k, budget, columns)


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
    assert k is not None  # checked above
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
    sel, _, _, _ = _select_graph(frame, spec, k, text_column, budget, unit, False)
    return sel.compute()


# ------------------------------------------------------------ reading files
#
# The command line's inputs, read as Dask partitions: uncompressed .jsonl and
# .txt are split into byte ranges of ``blocksize`` (a range owns the lines
# that start in it), .gz and .json files are one partition each, and Parquet
# files one partition per row group.  Each partition is a pandas DataFrame
# with the columns ``text`` (the text to score, from the field or template),
# ``record`` (the parsed record, written out in full) and ``zipfit_error``.
# Records are checked exactly like the local CLI checks them (zipfit.io), and
# errors name the file and line (or Parquet row).

TEXT_COLUMN = "text"
RECORD_COLUMN = "record"
#: default bytes of uncompressed JSON Lines / text per partition
BLOCKSIZE = 32 << 20


def _part_frame(texts: List[Any], records: List[Any], errors: List[Any]) -> "pd.DataFrame":
    return pd.DataFrame({TEXT_COLUMN: pd.Series(texts, dtype=object),
                         RECORD_COLUMN: pd.Series(records, dtype=object),
                         ERROR_COLUMN: pd.Series(errors, dtype=object)})


def _meta_frame() -> "pd.DataFrame":
    return _part_frame([], [], [])


def _lines_before(path: str, offset: int) -> int:
    """Number of newlines in the first ``offset`` bytes of ``path`` (error path only)."""
    n = 0
    with open(path, "rb") as f:
        left = offset
        while left > 0:
            b = f.read(min(left, 1 << 20))
            if not b:
                break
            n += b.count(b"\n")
            left -= len(b)
    return n


def _read_range(path: str, name: str, fmt: str, start: int, end: int,
                spec: Any, on_error: str) -> "pd.DataFrame":
    """Records of the lines of ``path`` that start in [start, end)."""
    from .io import BLANK, InputError, LineError, decode_line, encode_text
    texts: List[Any] = []
    records: List[Any] = []
    errors: List[Any] = []
    first_line = 0  # line number of the range's first line, counted on demand

    def line_of(rel: int) -> int:
        nonlocal first_line
        if not first_line:
            first_line = _lines_before(path, first) + 1
        return first_line + rel

    def bad(err: Any) -> None:
        if on_error == "fail":
            raise err
        texts.append(None)
        records.append(None)
        errors.append(str(err))

    try:
        f = open(path, "rb")
    except OSError as e:
        raise InputError(f"cannot open on the Dask worker: {e.strerror}", file=name) from None
    with f:
        if start > 0:
            f.seek(start - 1)
            f.readline()
        first = f.tell()
        rel = -1
        while f.tell() < end:
            raw = f.readline()
            if not raw:
                break
            rel += 1

            def err(message: str, field: Optional[str] = None, _rel: int = rel) -> Any:
                return InputError(message, file=name, line=line_of(_rel), field=field)
            try:
                data = decode_line(raw, first == 0 and rel == 0, fmt == "jsonl")
            except LineError as e:
                bad(err(str(e)))
                continue
            if data is BLANK:
                continue
            try:
                text = spec.text(data, err)
                encode_text(text, err, None if spec.template else spec.field)
            except InputError as e:
                bad(e)
                continue
            texts.append(text)
            records.append(data)
            errors.append(None)
    return _part_frame(texts, records, errors)


def _read_whole(path: str, name: str, fmt: str, spec: Any, on_error: str) -> "pd.DataFrame":
    """Records of a whole .gz or .json file, through the local CLI's reader."""
    from .io import ErrorPolicy, Input, InputError, read_records
    inp = Input(path, fmt)
    inp.name = name
    policy = ErrorPolicy(on_error, keep=_KEEP_ERRORS)
    texts: List[Any] = []
    records: List[Any] = []
    try:
        for r in read_records([inp], spec, policy):
            texts.append(r.text.decode("utf-8"))
            records.append(r.data)
    except OSError as e:
        raise InputError(f"cannot read on the Dask worker: {e.strerror or e}",
                         file=name) from None
    errors: List[Any] = [None] * len(texts)
    msgs = [str(e) for e in policy.first]
    msgs += [f"{name}: bad record"] * (policy.skipped - len(msgs))
    return _part_frame(texts + [None] * len(msgs), records + [None] * len(msgs),
                       errors + msgs)


def _read_row_group(path: str, name: str, group: int, row0: int, spec: Any,
                    on_error: str) -> "pd.DataFrame":
    """Records of one Parquet row group (rows numbered from 1 in the file)."""
    from .io import InputError, encode_text
    try:
        import pyarrow.parquet as pq
        rows = pq.ParquetFile(path).read_row_group(group).to_pylist()
    except Exception as e:  # pyarrow raises its own error types
        raise InputError(f"cannot read row group {group} on the Dask worker ({e})",
                         file=name) from None
    texts: List[Any] = []
    records: List[Any] = []
    errors: List[Any] = []
    for i, data in enumerate(rows):
        def err(message: str, field: Optional[str] = None, _row: int = row0 + i + 1) -> Any:
            return InputError(message, file=name, where=f"row {_row}", field=field)
        try:
            text = spec.text(data, err)
            encode_text(text, err, None if spec.template else spec.field)
        except InputError as e:
            if on_error == "fail":
                raise
            texts.append(None)
            records.append(None)
            errors.append(str(e))
            continue
        texts.append(text)
        records.append(data)
        errors.append(None)
    return _part_frame(texts, records, errors)


def _read_block(block: Tuple[Any, ...], spec: Any, on_error: str) -> "pd.DataFrame":
    kind = block[0]
    if kind == "range":
        _, path, name, fmt, start, end = block
        return _read_range(path, name, fmt, start, end, spec, on_error)
    if kind == "whole":
        _, path, name, fmt = block
        return _read_whole(path, name, fmt, spec, on_error)
    _, path, name, group, row0 = block
    return _read_row_group(path, name, group, row0, spec, on_error)


def _blocks(inputs: Sequence[Any], blocksize: int) -> List[Tuple[Any, ...]]:
    """Partition descriptions for the inputs, in input order."""
    import os

    from .io import InputError
    out: List[Tuple[Any, ...]] = []
    for inp in inputs:
        if inp.path == "-":
            raise InputError("standard input cannot be read by Dask workers; "
                             "give files on storage every worker can read")
        path = os.path.abspath(inp.path)
        if inp.format == "parquet":
            try:
                import pyarrow.parquet as pq
                md = pq.ParquetFile(path).metadata
            except ImportError:
                raise InputError('reading Parquet needs pyarrow: pip install "zipfit[parquet]"',
                                 file=inp.name) from None
            except Exception as e:
                raise InputError(f"not a readable Parquet file ({e})", file=inp.name) from None
            row0 = 0
            for g in range(md.num_row_groups):
                out.append(("rowgroup", path, inp.name, g, row0))
                row0 += md.row_group(g).num_rows
        elif inp.format == "json" or path.lower().endswith(".gz"):
            out.append(("whole", path, inp.name, inp.format))
        else:
            try:
                size = os.path.getsize(path)
            except OSError as e:
                raise InputError(f"cannot open: {e.strerror}", file=inp.name) from None
            for start in range(0, max(size, 1), blocksize):
                out.append(("range", path, inp.name, inp.format, start,
                            min(start + blocksize, size)))
    return out


def read_documents(paths: Sequence[str], *, text_field: str = "text",
                   template: Optional[str] = None, format: Optional[str] = None,
                   blocksize: int = BLOCKSIZE, on_error: str = "fail") -> Any:
    """The command line's inputs as a dask DataFrame, one record per row.

    ``paths``: files, directories and globs as for ``zipfit select``
    (``.jsonl``, ``.jsonl.gz``, ``.json``, ``.txt``, ``.parquet``), on storage
    that every Dask worker reads under the same path.  Columns: ``text`` (the
    text of ``text_field`` or ``template``), ``record`` (the parsed record)
    and ``zipfit_error`` (with ``on_error="skip"``: the message of a bad
    record, whose other columns are null; :func:`select` skips such rows).
    Row order is input order, so :func:`select`'s ``zipfit_index`` is the
    same position the local ``zipfit select`` reports.
    """
    from .io import ErrorPolicy, TextSpec, expand_inputs
    ErrorPolicy(on_error)  # validates
    if isinstance(paths, str):
        paths = [paths]
    spec = TextSpec(text_field, template)
    blocks = _blocks(expand_inputs(list(paths), format, what="source"), int(blocksize))
    return _from_blocks(blocks, spec, on_error)


def _from_blocks(blocks: List[Tuple[Any, ...]], spec: Any, on_error: str) -> Any:
    # Dask would otherwise turn the object columns into Arrow strings,
    # stringifying the records (dicts) and losing their fields.
    with dask.config.set({"dataframe.convert-string": False}):
        return dd.from_map(_read_block, blocks, spec=spec, on_error=on_error,
                           meta=_meta_frame(), divisions=[None] * (len(blocks) + 1),
                           enforce_metadata=False)


# ------------------------------------------------------------ command line

def run_cli_select(args: Any, stack: Any) -> int:
    """``zipfit select ... --scheduler ADDRESS``: the select job on a Dask cluster.

    Takes the options parsed by ``zipfit.cli`` and the command's ExitStack.
    Targets are read here, the sources by the workers (one partition per
    byte range / file / row group); each partition keeps its candidates and
    the candidates are merged in a tree.  The selection (k rows) and, with
    ``--scores-out``, the scores (8 bytes per document) come back to this
    process and are written here with the same writers as the local command,
    under a temporary name renamed into place at the end.
    """
    import time

    from . import cli
    from .io import AtomicOutput, InputError, TextSpec, expand_inputs

    if args.k is None and args.budget_tokens is None and args.budget_bytes is None:
        raise cli.UsageError("say how many documents to select: -k N, --budget-tokens N "
                             "or --budget-bytes N")
    if cli._record_kind(args.output) in ("npy", "parquet"):
        raise cli.UsageError(f"-o {args.output}: selected records are written as .jsonl, "
                             ".jsonl.gz or .json (use --scores-out for a .npy/.parquet "
                             "of scores)")
    unit = "bytes" if args.budget_bytes else "tokens"
    budget = args.budget_tokens or args.budget_bytes
    args.target_template = cli._unescape(args.target_template)
    t0 = time.monotonic()
    spec = TextSpec(args.text_field)
    inputs = expand_inputs(args.sources, args.format, what="source")
    blocks = _blocks(inputs, int(getattr(args, "blocksize", None) or BLOCKSIZE))
    targets = cli._targets(args)
    try:
        shipped = _prepare(targets, {"compressor": args.compressor, "level": args.level,
                                     "workers_per_task": 1})
    except (ValueError, TypeError, ImportError) as e:
        raise cli.UsageError(str(e)) from None
    out = AtomicOutput(args.output)
    stack.callback(out.discard)
    scores_out = None
    if args.scores_out:
        so = AtomicOutput(args.scores_out)
        stack.callback(so.discard)
        scores_out = cli._scores_writer(so)

    from distributed import Client
    try:
        client = Client(args.scheduler, timeout="20s", set_as_default=True)
    except (OSError, TimeoutError, ValueError) as e:
        raise InputError(f"cannot connect to the Dask scheduler at {args.scheduler!r}: "
                         f"{e}") from None
    stack.callback(client.close)
    frame = _from_blocks(blocks, spec, args.on_error)
    graph = _select_graph(frame, shipped, args.k, TEXT_COLUMN, budget, unit,
                          scores_out is not None)
    sel, scores, n, stats = client.compute(list(graph), sync=True)

    if stats["skipped"]:
        first = "; ".join(stats["errors"])
        more = ", ..." if stats["skipped"] > len(stats["errors"]) else ""
        cli._warn(f"skipped {stats['skipped']:,} bad source record(s) (--on-error skip): "
                  f"{first}{more}")
    if n == 0:
        if stats["skipped"]:
            raise InputError(f"no valid source documents: all {stats['skipped']:,} "
                             "records were bad and skipped")
        raise InputError("no source documents (empty input)",
                         file=", ".join(i.name for i in inputs))
    if args.k is not None and args.k > n:
        cli._warn(f"-k {args.k:,} is more than the {n:,} source documents: "
                  f"selecting all {n:,}")
    if budget is not None and len(sel) == 0:
        cli._warn(f"nothing fits the budget of {budget:,} {unit}: the best document "
                  "alone exceeds it")
    w = cli.RecordWriter(out)
    for data, score_, index in zip(sel[RECORD_COLUMN].tolist(),
                                   sel[SCORE_COLUMN].tolist(), sel[INDEX_COLUMN].tolist()):
        w.write(data, score_, index)
    w.close()
    if scores_out is not None:
        scores_out.write(scores)
        scores_out.close()
        scores_out.out.commit()
    out.commit()
    if not args.quiet:
        secs = time.monotonic() - t0
        nt = len(targets)
        cost = ""
        if budget is not None:
            total = int(_costs(sel[TEXT_COLUMN].tolist(), unit).sum())
            cost = f" ({total:,} {unit})"
        skipped = f", {stats['skipped']:,} skipped" if stats["skipped"] else ""
        nworkers = len(client.scheduler_info().get("workers", {}))
        cli._say(f"{n:,} documents x {nt:,} targets = {n * nt:,} pairs in {secs:.1f} s "
                 f"on {nworkers} Dask worker(s), {len(blocks)} partition(s){skipped}; "
                 f"selected {len(sel):,}{cost} -> "
                 f"{'stdout' if args.output == '-' else args.output}")
    return 0
