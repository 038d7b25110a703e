"""Selections, and the selector that keeps the best documents of a stream.

Selection order is the ranking: higher score first, ties by lower index
(position in the stream).  Two limits, usable together:

- ``k``: at most k documents;
- ``budget``: the longest run of best-ranked documents whose total cost
  (whitespace tokens or UTF-8 bytes) stays within the budget.  Selection
  stops at the first document that would exceed it, so the result is always
  a prefix of the ranking; this is what makes it exact in one streaming pass.

A :class:`Selector` sees documents chunk by chunk and keeps only those that
can still be selected; selectors of separately read parts of the input
merge (Dask's tree reduction), giving what one selector over the whole
stream would have kept.
"""
from __future__ import annotations

import heapq
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator, List, Optional, Sequence, Tuple

import numpy as np

__all__ = ["Selection", "StreamSelection", "Selector", "top_k", "chunked",
           "select_stream", "budget_prefix", "CHUNK_DOCS", "CHUNK_BYTES"]

#: sources scored per call into the engine; bounds the NCD block in memory
CHUNK_DOCS = 4096
#: a chunk also ends once its texts reach this many bytes
CHUNK_BYTES = 32 << 20


@dataclass(frozen=True)
class Selection:
    """The selected sources, best first: ``indices`` and their ``scores``.

    ``indices`` are positions in the input (0-based; with a pandas frame use
    ``.iloc``, not ``.loc``).  A selection unpacks into its two arrays, like
    ``torch.topk``'s result: ``indices, scores = zf.select(sources, k)``;
    ``len(sel)`` is the number selected.
    """

    indices: np.ndarray
    scores: np.ndarray

    def __len__(self) -> int:
        return len(self.indices)

    def __iter__(self):
        return iter((self.indices, self.scores))


@dataclass(frozen=True)
class StreamSelection(Selection):
    """A ``Selection`` from a stream: also the selected items and how many were read.

    ``items[i]`` is the input item at ``indices[i]`` (as given: str, bytes
    or dict).  ``total_cost`` is the selection's tokens or bytes when a
    budget was used (0 otherwise).  It unpacks like a ``Selection``
    (``indices, scores = sel``).
    """

    items: Tuple[Any, ...] = ()
    n_seen: int = 0
    total_cost: int = 0


def top_k(scores: np.ndarray, k: int) -> Selection:
    """Best ``k`` scores, best first, ties broken by lower index (``k`` checked)."""
    scores = np.asarray(scores, dtype=np.float64)
    k = min(int(k), len(scores))
    idx = np.arange(len(scores))
    if k < len(scores):
        # Keep everything at least as good as the k-th best, then sort exactly.
        kth = np.partition(-scores, k - 1)[k - 1] if k else np.inf
        keep = idx[-scores <= kth]
    else:
        keep = idx
    order = np.lexsort((keep, -scores[keep]))[:k]
    chosen = keep[order]
    return Selection(indices=chosen.astype(np.int64), scores=scores[chosen])


def budget_prefix(costs: Sequence[int], budget: int) -> int:
    """How many items, taken best first, fit the budget (stop at the first that does not)."""
    total = np.cumsum(np.asarray(costs, dtype=np.int64))
    return int(np.searchsorted(total, budget, side="right"))


class Selector:
    """Keeps the best documents of a stream: a min-heap of (score, -key).

    ``key`` orders ties (lower first): the document's position in the
    stream, or any number that sorts like it.  ``offer`` takes a scored
    chunk; ``merge`` takes another selector's documents; ``result`` gives
    (key, score, payload) best first.  Memory: the selected documents only.
    """

    def __init__(self, k: Optional[int] = None, budget: Optional[int] = None) -> None:
        self.k = k
        self.budget = budget
        self._heap: List[Tuple[float, int, int, Any]] = []
        self.total_cost = 0
        #: (score, -key) of the best document excluded so far: nothing
        #: ranked below it can be selected any more
        self._cutoff: Optional[Tuple[float, int]] = None

    def __len__(self) -> int:
        return len(self._heap)

    def _over(self) -> bool:
        return ((self.k is not None and len(self._heap) > self.k)
                or (self.budget is not None and self.total_cost > self.budget))

    def _exclude(self, key: Tuple[float, int]) -> None:
        if self._cutoff is None or key > self._cutoff:
            self._cutoff = key

    def offer(self, scores: np.ndarray, start: int, payloads: Sequence[Any],
              costs: Optional[Sequence[int]] = None) -> None:
        """Consider documents with keys ``start, start+1, ...`` and these scores."""
        if self.k == 0:
            return
        heap = self._heap
        # Keys arrive in increasing order, so a newcomer that only ties the
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
                self._exclude((ws, wi))

    def merge(self, other: "Selector") -> "Selector":
        """Keep what one selector over both streams would keep; returns self.

        Walks the union best first and stops at the first document over a
        limit; the better of the two cutoffs still excludes everything
        ranked below it (it may be a document that fit neither part's budget
        alone but stops the merged run).
        """
        entries = sorted(self._heap + other._heap, key=lambda e: (e[0], e[1]), reverse=True)
        if other._cutoff is not None:
            self._exclude(other._cutoff)
        self._heap = []
        self.total_cost = 0
        for e in entries:
            if self._cutoff is not None and e[:2] <= self._cutoff:
                break
            self._heap.append(e)
            self.total_cost += e[2]
            if self._over():
                self._heap.pop()
                self.total_cost -= e[2]
                self._exclude(e[:2])
                break
        heapq.heapify(self._heap)
        return self

    def result(self) -> List[Tuple[int, float, Any]]:
        """(key, score, payload) of the selection, best first, ties by lower key."""
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


def _text_size(record: Any) -> int:
    return len(record.text)


def select_stream(score: Callable[[List[bytes]], np.ndarray], records: Iterable[Any],
                  selector: Optional[Selector], chunk_size: int = CHUNK_DOCS,
                  first_key: int = 0,
                  on_scores: Optional[Callable[[List[Any], np.ndarray], None]] = None,
                  costs: Optional[Callable[[List[Any]], np.ndarray]] = None) -> int:
    """Score ``records`` a chunk at a time, offering each chunk to ``selector``.

    ``score(texts)`` gives the chunk's alignments and ``costs(texts)`` (for
    a budget) their costs; records (``.text``, ``.data``) take keys
    ``first_key, first_key+1, ...``; ``on_scores(chunk, scores)`` sees every
    chunk in order.  Returns the number of records.
    """
    n = 0
    for chunk in chunked(records, chunk_size, size=_text_size):
        texts = [r.text for r in chunk]
        scores = score(texts)
        if selector is not None:
            selector.offer(scores, first_key + n, [r.data for r in chunk],
                           costs(texts) if costs is not None else None)
        if on_scores is not None:
            on_scores(chunk, scores)
        n += len(chunk)
    return n
