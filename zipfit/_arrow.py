"""Texts held in Arrow buffers, handed to the C engine without Python strings.

A pyarrow ``Array`` or ``ChunkedArray`` of type string, large_string, binary
or large_binary becomes :class:`ArrowTexts`: one (address, length) pair per
text, computed with numpy from the arrays' offset buffers, plus the arrays
that own the bytes.  The engine reads the bytes in place.
"""
from __future__ import annotations

import ctypes
from typing import Any, Iterator, List, Optional, Sequence

import numpy as np

from .errors import InputError

__all__ = ["ArrowTexts", "arrow_texts", "is_arrow", "text_lengths"]

_EMPTY = np.zeros(1, dtype=np.uint8)   # a valid address for arrays with no data buffer


def is_arrow(obj: Any) -> bool:
    """Is ``obj`` a pyarrow Array or ChunkedArray (checked without importing pyarrow)?"""
    mod = type(obj).__module__ or ""
    return mod.startswith("pyarrow") and hasattr(obj, "null_count") and hasattr(obj, "type")


class ArrowTexts:
    """Texts as (address, length) spans into Arrow buffers that ``owner`` keeps alive.

    ``arrow_spans`` is a C-contiguous (n, 2) uint64 array laid out like the
    engine's ``zf_span``.  Slicing gives another ``ArrowTexts``; iterating
    gives each text as ``bytes`` (for the compressors without a C engine).
    """

    __slots__ = ("arrow_spans", "owner")

    def __init__(self, spans: np.ndarray, owner: Any) -> None:
        self.arrow_spans = spans
        self.owner = owner

    def __len__(self) -> int:
        return len(self.arrow_spans)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return ArrowTexts(np.ascontiguousarray(self.arrow_spans[index]), self.owner)
        address, length = (int(v) for v in self.arrow_spans[index])
        return ctypes.string_at(address, length)

    def __iter__(self) -> Iterator[bytes]:
        for address, length in self.arrow_spans.tolist():
            yield ctypes.string_at(address, length)


def _chunk_spans(chunk: Any, first_row: int, what: str) -> np.ndarray:
    import pyarrow as pa
    t = chunk.type
    if pa.types.is_string(t) or pa.types.is_binary(t):
        width = np.int32
    elif pa.types.is_large_string(t) or pa.types.is_large_binary(t):
        width = np.int64
    else:
        raise TypeError(f"{what} must be an Arrow array of string, large_string, binary or "
                        f"large_binary, not {t}")
    if chunk.null_count:
        row = int(np.flatnonzero(chunk.is_null().to_numpy(zero_copy_only=False))[0])
        raise InputError(f"{what}: row {first_row + row + 1} is null, expected a string")
    n = len(chunk)
    _, offsets_buf, data_buf = chunk.buffers()
    spans = np.empty((n, 2), dtype=np.uint64)
    if n == 0:
        return spans
    offsets = np.frombuffer(offsets_buf, dtype=width, count=chunk.offset + n + 1)[chunk.offset:]
    address = data_buf.address if data_buf is not None and data_buf.size else _EMPTY.ctypes.data
    spans[:, 0] = offsets[:-1].astype(np.uint64) + np.uint64(address)
    spans[:, 1] = np.diff(offsets).astype(np.uint64)
    return spans


def arrow_texts(obj: Any, what: str) -> Optional[ArrowTexts]:
    """``obj`` as ArrowTexts if it is a pyarrow Array or ChunkedArray, else None."""
    if not is_arrow(obj):
        return None
    chunks: List[Any] = list(obj.chunks) if hasattr(obj, "chunks") else [obj]
    parts, row = [], 0
    for chunk in chunks:
        parts.append(_chunk_spans(chunk, row, what))
        row += len(chunk)
    spans = np.concatenate(parts) if len(parts) != 1 else parts[0]
    return ArrowTexts(np.ascontiguousarray(spans), obj)


def text_lengths(texts: Sequence[Any]) -> np.ndarray:
    """UTF-8 byte length of each text (ArrowTexts: read from their spans)."""
    spans = getattr(texts, "arrow_spans", None)
    if spans is not None:
        return spans[:, 1].astype(np.int64)
    return np.fromiter((len(t.encode("utf-8")) if isinstance(t, str) else len(t)
                        for t in texts), dtype=np.int64, count=len(texts))
