"""Streaming scoring and selection in bounded memory.

Sources are scored a chunk at a time; a heap keeps the best documents seen
so far.  Memory is one chunk plus the selection, whatever the number of
sources.

Selection order is the ranking: higher score first, ties by lower index
(position in the stream).  Two limits, usable together:

- ``k``: at most k documents;
- ``budget``: the longest run of best-ranked documents whose total cost
  (whitespace tokens or UTF-8 bytes) stays within the budget.  Selection
  stops at the first document that would exceed it, so the result is always
  a prefix of the ranking; this is what makes it exact in one streaming pass.
"""
from __future__ import annotations

import heapq
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator, List, Optional, Sequence, Tuple

import numpy as np

from ._api import CHUNK_DOCS, Selection, _similarity_mean
from .io import InputError, TextSpec, doc_cost, encode_text

__all__ = ["StreamSelection", "Selector", "chunked", "scored_chunks", "select_iter",
           "CHUNK_BYTES"]

#: a chunk also ends once its texts reach this many bytes
CHUNK_BYTES = 32 << 20


@dataclass(frozen=True)
class StreamSelection(Selection):
    """A ``Selection`` from a stream: also the selected items and how many were read.

    ``items[i]`` is the input item at ``indices[i]`` (as given: str, bytes
    or dict).  ``total_cost`` is the selection's tokens or bytes when a
    budget was used (0 otherwise).
    """

    items: Tuple[Any, ...] = ()
    n_seen: int = 0
    total_cost: int = 0


class Selector:
    """Keeps the best documents of a stream: a min-heap of (score, -index).

    ``offer`` takes a scored chunk; ``result`` gives (index, score, payload)
    best first.  Memory: the selected documents only.
    """

    def __init__(self, k: Optional[int] = None, budget: Optional[int] = None) -> None:
        for name, v in (("k", k), ("budget", budget)):
            if v is not None:
                if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
                    raise TypeError(f"{name} must be an int, not {type(v).__name__}")
                if v < 0:
                    raise ValueError(f"{name} must be >= 0, got {v}")
        self.k = None if k is None else int(k)
        self.budget = None if budget is None else int(budget)
        self._heap: List[Tuple[float, int, int, Any]] = []
        self.total_cost = 0
        #: (score, -index) of the best document excluded so far: nothing
        #: ranked below it can be selected any more
        self._cutoff: Optional[Tuple[float, int]] = None

    def __len__(self) -> int:
        return len(self._heap)

    def _over(self) -> bool:
        return ((self.k is not None and len(self._heap) > self.k)
                or (self.budget is not None and self.total_cost > self.budget))

    def offer(self, scores: np.ndarray, start: int, payloads: Sequence[Any],
              costs: Optional[Sequence[int]] = None) -> None:
        """Consider documents ``start, start+1, ...`` with these scores."""
        if self.k == 0:
            return
        heap = self._heap
        # Documents arrive in index order, so a newcomer that only ties the
        # cutoff (or the worst kept document of a full top-k) ranks below it.
        thr = -np.inf
        if self._cutoff is not None:
            thr = self._cutoff[0]
        if self.k is not None and len(heap) == self.k:
            thr = max(thr, heap[0][0])
        cand = np.flatnonzero(scores > thr) if thr > -np.inf else range(len(scores))
        for i in cand:
            i = int(i)
            s = float(scores[i])
            key = (s, -(start + i))
            if self._cutoff is not None and key <= self._cutoff:
                continue
            if self.k is not None and len(heap) == self.k and key <= heap[0][:2]:
                continue
            c = int(costs[i]) if costs is not None else 0
            heapq.heappush(heap, (s, -(start + i), c, payloads[i]))
            self.total_cost += c
            while self._over():
                ws, wi, wc, _ = heapq.heappop(heap)
                self.total_cost -= wc
                if self._cutoff is None or (ws, wi) > self._cutoff:
                    self._cutoff = (ws, wi)

    def result(self) -> List[Tuple[int, float, Any]]:
        """(index, score, payload) of the selection, best first, ties by lower index."""
        best = sorted(self._heap, key=lambda e: (-e[0], -e[1]))
        return [(-e[1], e[0], e[3]) for e in best]


def chunked(items: Iterable[Any], chunk_docs: int, chunk_bytes: int = CHUNK_BYTES,
            size: Callable[[Any], int] = len) -> Iterator[List[Any]]:
    """Lists of up to ``chunk_docs`` items whose ``size`` sums to about ``chunk_bytes``."""
    if chunk_docs < 1:
        raise ValueError(f"chunk size must be >= 1, got {chunk_docs}")
    buf: List[Any] = []
    nbytes = 0
    for it in items:
        buf.append(it)
        nbytes += size(it)
        if len(buf) >= chunk_docs or nbytes >= chunk_bytes:
            yield buf
            buf = []
            nbytes = 0
    if buf:
        yield buf


def score_texts(zipfit: Any, texts: List[bytes],
                on_pairs: Optional[Callable[[int], None]] = None) -> np.ndarray:
    """Alignment of each text (one engine call; ``on_pairs(pairs done)`` as it runs)."""
    d = zipfit._scorer.ncd(texts, progress=on_pairs)
    return _similarity_mean(d)


def scored_chunks(zipfit: Any, chunks: Iterable[List[Any]], text: Callable[[Any], bytes],
                  on_pairs: Optional[Callable[[int], None]] = None
                  ) -> Iterator[Tuple[List[Any], np.ndarray]]:
    """(chunk, alignment scores) for every chunk, in order."""
    for chunk in chunks:
        yield chunk, score_texts(zipfit, [text(r) for r in chunk], on_pairs)


class _Item:
    __slots__ = ("text", "item", "cost")

    def __init__(self, text: bytes, item: Any, cost: int) -> None:
        self.text = text
        self.item = item
        self.cost = cost


def _items(iterable: Iterable[Any], spec: TextSpec, cost: Optional[str]) -> Iterator[_Item]:
    if isinstance(iterable, (str, bytes, dict)):
        raise TypeError(f"select_iter needs an iterable of documents, not a single "
                        f"{type(iterable).__name__}; wrap it in a list")
    for i, it in enumerate(iterable):
        def err(message: str, field: Optional[str] = None, _i: int = i) -> InputError:
            return InputError(message, where=f"item {_i}", field=field)
        if isinstance(it, (bytes, bytearray, memoryview)):
            b = bytes(it)
            text: Any = b
        elif isinstance(it, (str, dict)):
            text = spec.text(it, err)
            b = encode_text(text, err, spec.field if isinstance(it, dict) else None)
        else:
            raise TypeError(f"item {i} is a {type(it).__name__}; expected str, bytes or dict")
        yield _Item(b, it, doc_cost(text, b, cost))


def select_iter(zipfit: Any, iterable: Iterable[Any], k: Optional[int] = None, *,
                budget_tokens: Optional[int] = None, budget_bytes: Optional[int] = None,
                text_field: str = "text", chunk_size: int = CHUNK_DOCS,
                progress: Optional[Callable[[int], None]] = None) -> StreamSelection:
    """Streaming selection over any iterable; see ``ZipFit.select_iter``."""
    if k is None and budget_tokens is None and budget_bytes is None:
        raise ValueError("give k, budget_tokens or budget_bytes")
    if budget_tokens is not None and budget_bytes is not None:
        raise ValueError("give budget_tokens or budget_bytes, not both")
    cost = "tokens" if budget_tokens is not None else "bytes" if budget_bytes is not None else None
    budget = budget_tokens if budget_tokens is not None else budget_bytes
    sel = Selector(k, budget)
    spec = TextSpec(text_field)
    n = 0
    for chunk, scores in scored_chunks(zipfit, chunked(_items(iterable, spec, cost), chunk_size,
                                                       size=lambda r: len(r.text)),
                                       lambda r: r.text):
        sel.offer(scores, n, [r.item for r in chunk],
                  [r.cost for r in chunk] if cost else None)
        n += len(chunk)
        if progress is not None:
            progress(len(chunk))
    res = sel.result()
    return StreamSelection(
        indices=np.array([r[0] for r in res], dtype=np.int64),
        scores=np.array([r[1] for r in res], dtype=np.float64),
        items=tuple(r[2] for r in res), n_seen=n, total_cost=sel.total_cost)
