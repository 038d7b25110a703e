"""Outputs: files written atomically, and the writers of records, scores and matrices.

Every output is written to a hidden temporary file beside it,
``.NAME.XXXXXXXX.zipfit-tmp``, and renamed into place only when the run
succeeds (:class:`AtomicOutput`), so a failed or interrupted run never leaves
a partial file under the output's name and never touches an existing one.
A run killed with SIGKILL cannot remove its temporary file; such leftovers
can be deleted once no zipfit run writes to that directory
(``find DIR -name '.*.zipfit-tmp' -delete``).
"""
from __future__ import annotations

import base64
import datetime
import decimal
import gzip
import json
import os
import shutil
import sys
import tempfile
from typing import Any, BinaryIO, Callable, Iterable, Optional

import numpy as np

from .errors import OutputError, UsageError

__all__ = ["AtomicOutput", "AtomicDirectory", "RecordWriter", "RecordTable", "NpyWriter",
           "ParquetScores", "output_kind", "scores_writer", "check_not_an_input",
           "TMP_SUFFIX"]

TMP_SUFFIX = ".zipfit-tmp"


_OUTPUT_KINDS = {".jsonl": "jsonl", ".jsonl.gz": "jsonl", ".ndjson": "jsonl",
                 ".ndjson.gz": "jsonl", ".json": "json", ".json.gz": "json",
                 ".npy": "npy", ".parquet": "parquet"}


def output_kind(path: str) -> Optional[str]:
    """What a file name means as an output: jsonl, json, npy, parquet, or None (unknown)."""
    if path == "-":
        return "jsonl"
    low = path.lower()
    for end, kind in _OUTPUT_KINDS.items():
        if low.endswith(end):
            return kind
    return None


def check_not_an_input(path: str, inputs: Iterable[str]) -> None:
    """Refuse an output that would replace one of the input files."""
    if path == "-" or not os.path.exists(path):
        return
    for inp in inputs:
        try:
            same = inp != "-" and os.path.samefile(path, inp)
        except OSError:
            continue
        if same:
            raise UsageError(f"-o {path}: the output is also an input ({inp}); "
                             "write the output to another file")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


class _Guarded:
    """A file whose write errors name the output (``OUT: No space left on device``)."""

    def __init__(self, f: BinaryIO, path: str) -> None:
        self._f = f
        self._path = path

    def _fail(self, e: OSError) -> OutputError:
        return OutputError(self._path, e.strerror or str(e))

    def write(self, b: Any) -> int:
        try:
            return self._f.write(b)
        except OutputError:
            raise
        except OSError as e:
            raise self._fail(e) from None

    def flush(self) -> None:
        try:
            self._f.flush()
        except OSError as e:
            raise self._fail(e) from None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._f, name)


class AtomicOutput:
    """A binary file written under a temporary name and renamed into place.

    ``with AtomicOutput(path) as out: ...; out.commit()`` — only ``commit()``
    makes the file appear under ``path`` (``os.replace``, atomic on POSIX);
    leaving the block without it (an error, Ctrl-C) removes the temporary
    file.  ``path == "-"`` writes to standard output instead.  Problems are
    ``OutputError`` naming the path.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self.tmp: Optional[str] = None
        self._committed = False
        if path == "-":
            self.file: Any = sys.stdout.buffer
            return
        d = os.path.dirname(os.path.abspath(path))
        if os.path.isdir(path):
            raise OutputError(path, "is a directory, not an output file")
        if not os.path.isdir(d):
            raise OutputError(path, "the output directory does not exist")
        try:
            fd, self.tmp = tempfile.mkstemp(
                dir=d, prefix=f".{os.path.basename(path)}.", suffix=TMP_SUFFIX)
        except OSError as e:
            raise OutputError(path, f"cannot write here: {e.strerror}") from None
        self.file = _Guarded(os.fdopen(fd, "wb"), path)

    def __enter__(self) -> "AtomicOutput":
        return self

    def commit(self) -> None:
        if self.tmp is None:
            self.file.flush()
            self._committed = True
            return
        try:
            self.file.flush()
            os.fsync(self.file.fileno())
            self.file.close()
            try:
                mode = os.stat(self.path).st_mode & 0o777
            except OSError:
                mode = 0o666 & ~_umask()
            os.chmod(self.tmp, mode)
            os.replace(self.tmp, self.path)
        except OutputError:
            raise
        except OSError as e:
            raise OutputError(self.path, e.strerror or str(e)) from None
        self._committed = True

    def discard(self) -> None:
        if self.tmp is not None and not self._committed:
            try:
                self.file.close()
            except OSError:
                pass
            finally:
                try:
                    os.unlink(self.tmp)
                except FileNotFoundError:
                    pass
            self._committed = True

    def __exit__(self, *exc: Any) -> None:
        self.discard()


class AtomicDirectory:
    """A directory written under a temporary name and renamed into place.

    Used for ``save_to_disk`` datasets.  An existing ``path`` is refused up
    front (a directory cannot be replaced atomically).
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self._committed = False
        if os.path.exists(path):
            raise OutputError(path, "exists; remove it or name a new directory")
        parent = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(parent):
            raise OutputError(path, "the output directory does not exist")
        try:
            self.tmp = tempfile.mkdtemp(dir=parent, prefix=f".{os.path.basename(path)}.",
                                        suffix=TMP_SUFFIX)
        except OSError as e:
            raise OutputError(path, f"cannot write here: {e.strerror}") from None

    def commit(self) -> None:
        try:
            os.rename(self.tmp, self.path)
        except OSError as e:
            raise OutputError(self.path, e.strerror or str(e)) from None
        self._committed = True

    def discard(self) -> None:
        if not self._committed:
            shutil.rmtree(self.tmp, ignore_errors=True)
            self._committed = True


def _json_default(v: Any) -> Any:
    if isinstance(v, (datetime.datetime, datetime.date, datetime.time)):
        return v.isoformat()
    if isinstance(v, decimal.Decimal):
        return str(v)
    if isinstance(v, (bytes, bytearray, memoryview)):
        b = bytes(v)
        try:
            return b.decode("utf-8")
        except UnicodeDecodeError:
            return base64.b64encode(b).decode("ascii")
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, np.ndarray):
        return v.tolist()
    raise TypeError(f"cannot write a {type(v).__name__} as JSON")


def _dumps(rec: dict) -> bytes:
    s = json.dumps(rec, ensure_ascii=False, default=_json_default)
    try:
        return s.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates in some field: keep them escaped
        return json.dumps(rec, ensure_ascii=True, default=_json_default).encode("ascii")


class RecordWriter:
    """Records as JSON Lines (or one JSON array), optionally gzip-compressed.

    Each record is written with all its fields plus ``zipfit_score`` and
    ``zipfit_index``; ``warn`` is told once if the input already had them.
    """

    def __init__(self, out: AtomicOutput, warn: Callable[[str], None]) -> None:
        self.out = out
        low = out.path.lower()
        self.array = out.path != "-" and low.endswith((".json", ".json.gz"))
        self.gz: Optional[gzip.GzipFile] = None
        self.f: Any = out.file
        if out.path != "-" and low.endswith(".gz"):
            self.gz = gzip.GzipFile(fileobj=out.file, mode="wb", mtime=0)
            self.f = self.gz
        self.n = 0
        self._warn: Optional[Callable[[str], None]] = warn
        if self.array:
            self.f.write(b"[")

    def write(self, data: Any, score: float, index: int) -> None:
        if self._warn is not None and isinstance(data, dict) and \
                ("zipfit_score" in data or "zipfit_index" in data):
            self._warn("input records already have zipfit_score/zipfit_index fields; "
                       "they are replaced by this run's values")
            self._warn = None
        line = _dumps(_record(data, score, index))
        if self.array:
            self.f.write(b"\n" if self.n == 0 else b",\n")
            self.f.write(line)
        else:
            self.f.write(line + b"\n")
        self.n += 1

    def close(self) -> None:
        if self.array:
            self.f.write(b"\n]\n" if self.n else b"]\n")
        if self.gz is not None:
            self.gz.close()


def _record(data: Any, score: float, index: int) -> dict:
    rec = dict(data) if isinstance(data, dict) else {"text": data}
    rec.pop("zipfit_score", None)
    rec.pop("zipfit_index", None)
    rec["zipfit_score"] = float(score)
    rec["zipfit_index"] = int(index)
    return rec


class RecordTable:
    """Selected records as a Parquet file or a ``save_to_disk`` dataset.

    The records (a selection: k of them) are collected and written as one
    table at ``close``: every field any record has becomes a column (missing
    values are null), plus ``zipfit_score`` and ``zipfit_index``.
    """

    def __init__(self, out: Any, kind: str) -> None:
        if out.path == "-":
            raise UsageError(f"{kind} output needs a name, not -")
        self.out = out
        self.kind = kind
        self.rows: list = []

    def write(self, data: Any, score: float, index: int) -> None:
        self.rows.append(_record(data, score, index))

    def close(self) -> None:
        names: dict = {}
        for r in self.rows:
            names.update(dict.fromkeys(r))
        columns = {k: [r.get(k) for r in self.rows] for k in names} or \
            {"zipfit_score": [], "zipfit_index": []}
        try:
            if self.kind == "hf":
                import datasets
                from datasets.utils import logging as hf_logging
                quiet = hf_logging.is_progress_bar_enabled()
                hf_logging.disable_progress_bar()   # the command prints its own summary
                try:
                    datasets.Dataset.from_dict(columns).save_to_disk(self.out.tmp)
                finally:
                    if quiet:
                        hf_logging.enable_progress_bar()
                return
            import pyarrow as pa
            import pyarrow.parquet as pq
            table = pa.table(columns)
        except ImportError:
            extra = "hf" if self.kind == "hf" else "parquet"
            raise UsageError(f'{self.out.path}: writing {self.kind} needs '
                             f'pip install "zipfit[{extra}]"') from None
        except (TypeError, ValueError) as e:  # pyarrow's ArrowInvalid is a ValueError
            raise OutputError(self.out.path, f"cannot write the records as a table: {e}") \
                from None
        pq.write_table(table, self.out.file)


class NpyWriter:
    """A .npy array written row block by row block (shape fixed at the end)."""

    HEADER = 128  # bytes reserved for the header; room for any 2-D shape

    def __init__(self, out: AtomicOutput, ncols: Optional[int], dtype: Any) -> None:
        if out.path == "-":
            raise UsageError(".npy output needs a file name, not -")
        self.out = out
        self.ncols = ncols
        self.dtype = np.dtype(dtype).newbyteorder("<")
        self.rows = 0
        out.file.write(b"\0" * self.HEADER)

    def write(self, block: np.ndarray) -> None:
        a = np.ascontiguousarray(block, dtype=self.dtype)
        self.out.file.write(a.tobytes())
        self.rows += a.shape[0]

    def close(self) -> None:
        shape = (self.rows,) if self.ncols is None else (self.rows, self.ncols)
        d = "{'descr': %r, 'fortran_order': False, 'shape': %r, }" % (
            np.lib.format.dtype_to_descr(self.dtype), shape)
        body = d.encode("latin1")
        pad = self.HEADER - 10 - len(body) - 1
        if pad < 0:  # pragma: no cover - a shape needing > 100 characters
            raise RuntimeError("npy header too long")
        header = (np.lib.format.magic(1, 0) + len(body + b" " * pad + b"\n")
                  .to_bytes(2, "little") + body + b" " * pad + b"\n")
        assert len(header) == self.HEADER
        self.out.file.seek(0)
        self.out.file.write(header)
        self.out.file.seek(0, os.SEEK_END)


class ParquetScores:
    """zipfit_index, zipfit_score columns, written chunk by chunk."""

    def __init__(self, out: AtomicOutput) -> None:
        if out.path == "-":
            raise UsageError(".parquet output needs a file name, not -")
        try:
            import pyarrow as pa
            import pyarrow.parquet as pq
        except ImportError:
            raise UsageError(f'{out.path}: writing Parquet needs pyarrow: '
                             'pip install "zipfit[parquet]"') from None
        self.out = out
        self.pa = pa
        self.schema = pa.schema([("zipfit_index", pa.int64()), ("zipfit_score", pa.float64())])
        self.w = pq.ParquetWriter(out.file, self.schema)
        self.n = 0

    def write(self, scores: np.ndarray) -> None:
        idx = np.arange(self.n, self.n + len(scores), dtype=np.int64)
        self.w.write_table(self.pa.table([idx, np.asarray(scores, dtype=np.float64)],
                                         schema=self.schema))
        self.n += len(scores)

    def close(self) -> None:
        self.w.close()


def scores_writer(out: AtomicOutput) -> Any:
    """The writer of one score per document for a .npy or .parquet output."""
    kind = output_kind(out.path)
    if kind == "npy":
        return NpyWriter(out, None, np.float64)
    if kind == "parquet":
        return ParquetScores(out)
    raise UsageError(f"{out.path}: scores are written as .npy or .parquet")
