"""Scores through the compressors' own Python libraries.

Used for compressors that have no C engine (zstd, brotli, lzma, bz2, lz4's
HC levels).  Work is split into row blocks run on a thread pool; the
libraries release the GIL while they compress, so threads run in parallel.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, List, Optional, Sequence

import numpy as np

from ._checks import usable_cores
from ._compressors import Compressor


def _as_bytes(texts: Sequence[Any], what: str) -> List[bytes]:
    out = []
    for i, t in enumerate(texts):
        if isinstance(t, bytes):
            out.append(t)
        elif isinstance(t, str):
            try:
                out.append(t.encode("utf-8"))
            except UnicodeEncodeError as e:
                raise ValueError(f"{what}[{i}] cannot be encoded as UTF-8: {e.reason} "
                                 f"at position {e.start}") from None
        else:
            raise TypeError(f"{what}[{i}] must be str or bytes, not {type(t).__name__}")
    return out


def _blocks(n: int, workers: int, max_rows: int) -> List[range]:
    step = max(1, min(max_rows, -(-n // (workers * 8))))
    return [range(lo, min(n, lo + step)) for lo in range(0, n, step)]


def _map_blocks(fn, n: int, workers: int, max_rows: int = 1 << 30,
                done: Optional[Callable[[int], None]] = None) -> None:
    """Run fn over row blocks on a thread pool; ``done(rows finished)`` after each.

    Blocks are small (at most ``max_rows`` rows), so on Ctrl-C or an error
    the pending blocks are cancelled and only the running ones finish.
    Threads beyond the usable cores would only contend, so there are none.
    """
    blocks = _blocks(n, workers, max_rows)
    finished = 0
    threads = min(workers, len(blocks), usable_cores())
    if threads <= 1:
        for b in blocks:
            fn(b)
            finished += len(b)
            if done is not None:
                done(finished)
        return
    pool = ThreadPoolExecutor(max_workers=threads)
    try:
        for b, f in [(b, pool.submit(fn, b)) for b in blocks]:
            f.result()
            finished += len(b)
            if done is not None:
                done(finished)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def sizes(comp: Compressor, level: int, texts: Sequence[Any], workers: int,
          what: str) -> np.ndarray:
    data = _as_bytes(texts, what)
    out = np.zeros(len(data), dtype=np.uint64)

    def run(rows: range) -> None:
        for i in rows:
            out[i] = comp.size(data[i], level)

    _map_blocks(run, len(data), workers)
    return out


class Targets:
    """Targets as bytes, with the compressor and level they are scored with."""

    def __init__(self, comp: Compressor, level: int, texts: Sequence[Any],
                 what: str = "targets") -> None:
        self.comp = comp
        self.level = level
        self.data = _as_bytes(texts, what)

    def __len__(self) -> int:
        return len(self.data)


def ncd_matrix(sources: Sequence[Any], targets: Targets, workers: int,
               row_sizes: np.ndarray, col_sizes: np.ndarray, dtype: Any,
               progress: Optional[Callable[[int], None]] = None,
               what: str = "sources") -> np.ndarray:
    """NCD of every pair, with the C engines' contract: float64 or float32
    (checked by the caller), ``progress(pairs done)`` as rows finish."""
    rows = _as_bytes(sources, what)
    size, level, cols = targets.comp.size, targets.level, targets.data
    out = np.zeros((len(rows), len(cols)), dtype=dtype)
    cy = [int(c) for c in col_sizes]

    def run(block: range) -> None:
        for i in block:
            cx = int(row_sizes[i])
            x = rows[i]
            for j, y in enumerate(cols):
                lo, hi = (cx, cy[j]) if cx < cy[j] else (cy[j], cx)
                out[i, j] = (size(x + y, level) - lo) / hi

    if cols:
        # one source row (every target) per block: a row is the unit of work
        _map_blocks(run, len(rows), workers, max_rows=1,
                    done=None if progress is None else lambda r: progress(r * len(cols)))
    return out
