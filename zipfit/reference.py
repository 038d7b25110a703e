"""Pure-Python reference implementation of every score.

Slow and obvious on purpose: it calls the real compressor libraries once per
text and per pair, exactly as the definitions read.  The tests hold the C
engine to it; it is also how compressors without a C engine are measured.
"""
from __future__ import annotations

from typing import Optional, Sequence

import numpy as np

from . import _compressors
from ._api import Text

__all__ = ["compressed_size", "ncd", "cdist", "alignment"]


def _bytes(t: Text) -> bytes:
    return t.encode("utf-8") if isinstance(t, str) else bytes(t)


def compressed_size(text: Text, *, compressor: str = "gzip",
                    level: Optional[int] = None) -> int:
    """C(x) through the real library."""
    c = _compressors.get(compressor)
    return c.size(_bytes(text), c.resolve_level(level))


def ncd(x: Text, y: Text, *, compressor: str = "gzip",
        level: Optional[int] = None) -> float:
    """(C(x ⊕ y) - min(C(x), C(y))) / max(C(x), C(y))."""
    cx = compressed_size(x, compressor=compressor, level=level)
    cy = compressed_size(y, compressor=compressor, level=level)
    cxy = compressed_size(_bytes(x) + _bytes(y), compressor=compressor, level=level)
    return (cxy - min(cx, cy)) / max(cx, cy)


def cdist(a: Sequence[Text], b: Sequence[Text], *, compressor: str = "gzip",
          level: Optional[int] = None) -> np.ndarray:
    """NCD matrix, shape (len(a), len(b))."""
    out = np.zeros((len(a), len(b)), dtype=np.float64)
    for i, x in enumerate(a):
        for j, y in enumerate(b):
            out[i, j] = ncd(x, y, compressor=compressor, level=level)
    return out


def alignment(sources: Sequence[Text], targets: Sequence[Text], *,
              compressor: str = "gzip", level: Optional[int] = None) -> np.ndarray:
    """mean_j (1 - NCD(source, targets[j])) for every source, as the API sums it.

    Like the API, it needs at least one target (ValueError otherwise).
    """
    if not len(targets):
        raise ValueError("zipfit needs at least one target text")
    d = cdist(sources, targets, compressor=compressor, level=level)
    return np.mean(1.0 - d, axis=1)
