"""Selections: the strategies, and the selectors that keep the best of a stream.

A :class:`Strategy` says how documents are chosen; every entry point (the
Python API, the command line, ``zipfit.dask``, ``zipfit.hf``) builds one and
lets its selector see the scored documents chunk by chunk.  Selectors of
separately read parts of the input merge (Dask's tree reduction) into what
one selector over the whole stream would have kept.

- **top-k** (default): rank by score, higher first, ties to the lower index;
  keep ``k`` documents and/or the longest run of best-ranked documents whose
  total cost (whitespace tokens, a tokenizer's tokens or UTF-8 bytes) stays
  within ``budget`` (selection stops at the first document that would
  exceed it, so it is a prefix of the ranking: exact in one pass).
- **sample**: rank by ``score / temperature + g``, ``g`` a standard Gumbel
  variate drawn by a counter-based generator from ``(seed, index)``: the
  first k of that ranking are k documents sampled without replacement with
  probability proportional to ``exp(score / temperature)`` (Gumbel top-k),
  whatever the chunking, partitioning or thread count.  ``k`` and budgets
  apply to the sampled order.
- **dedup**: documents with identical text bytes count once, the copy with
  the lowest index is kept.  Copies have equal scores (and, when sampling
  with dedup, equal Gumbel variates, drawn from ``(seed, the text's
  bytes)``), so a later copy always ranks just below the first one and only
  documents that could be selected need remembering: memory O(k + chunk).
- **per-target**: for every target j, the ``m`` documents with the lowest
  NCD to it (ties to the lower index); the selection is their union, each
  document once, ordered by score, with the targets it was chosen for.
- **length filters**: documents outside ``[min_bytes, max_bytes]`` are not
  selected (they are still scored); the selector counts them, and counts
  empty texts.
"""
from __future__ import annotations

import hashlib
import heapq
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple

import numpy as np

from ._arrow import text_lengths
from ._checks import check_int, check_limits
from .tokens import Costs

__all__ = ["Selection", "StreamSelection", "Strategy", "Selector", "PerTargetSelector",
           "top_k", "chunked", "select_stream", "similarity_mean", "gumbel",
           "CHUNK_DOCS", "CHUNK_BYTES"]

#: sources scored per call into the engine; bounds the NCD block in memory
CHUNK_DOCS = 4096
#: a chunk also ends once its texts reach this many bytes
CHUNK_BYTES = 32 << 20


def similarity_mean(d: np.ndarray) -> np.ndarray:
    """align = mean_j (1 - NCD), summed as the official package does (np.mean of
    the similarities), so scores are bit-identical to its scores."""
    return np.mean(1.0 - d, axis=1)


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
    #: what ``report`` needs from the run that made the selection (bounded)
    context: Any = field(default=None, repr=False, compare=False)

    def __len__(self) -> int:
        return len(self.indices)

    def __iter__(self):
        return iter((self.indices, self.scores))

    def report(self, path: str) -> None:
        """Write the self-contained HTML report of this selection (``zipfit[report]``).

        Available on the selections of ``ZipFit.select`` and ``select_iter``.
        """
        if self.context is None:
            raise ValueError("this selection has no report: make it with ZipFit.select or "
                             "ZipFit.select_iter")
        from ._collect import report_data
        from .report import require_matplotlib, write_report
        require_matplotlib()
        write_report(path, report_data(self.context, "zipfit report"))


@dataclass(frozen=True)
class StreamSelection(Selection):
    """A ``Selection`` from a stream: also the selected items and what the run found.

    ``items[i]`` is the input item at ``indices[i]`` (as given: str, bytes
    or dict).  ``total_cost`` is the selection's tokens or bytes when a
    budget was used (0 otherwise).  With ``per_target``, ``targets[i]`` are
    the targets ``indices[i]`` was chosen for, and ``per_target[j]`` lists
    target j's documents as (index, NCD), nearest first.  ``counts``:
    ``duplicates`` dropped by dedup, ``filtered`` by the length filters,
    ``empty`` texts seen.  It unpacks like a ``Selection``
    (``indices, scores = sel``).
    """

    items: Tuple[Any, ...] = ()
    n_seen: int = 0
    total_cost: int = 0
    targets: Tuple[Tuple[int, ...], ...] = ()
    per_target: Tuple[Tuple[Tuple[int, float], ...], ...] = ()
    counts: Dict[str, int] = field(default_factory=dict)


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


# ------------------------------------------------------------------ randomness

_M64 = np.uint64(0xFFFFFFFFFFFFFFFF)


def _mix(x: np.ndarray) -> np.ndarray:
    """SplitMix64's finalizer: a bijective 64-bit hash (counter-based generator)."""
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def gumbel(seed: int, counters: np.ndarray) -> np.ndarray:
    """Standard Gumbel variates, one per 64-bit counter, fixed by (seed, counter)."""
    with np.errstate(over="ignore"):
        s = _mix(np.uint64(seed & 0xFFFFFFFFFFFFFFFF) + np.uint64(0x9E3779B97F4A7C15))
        bits = _mix(np.asarray(counters, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15) ^ s)
    u = ((bits >> np.uint64(11)).astype(np.float64) + 0.5) / 2.0 ** 53   # in (0, 1)
    return -np.log(-np.log(u))


def _digest(text: Any) -> int:
    """A 64-bit digest of a text's bytes (dedup, and the noise of a deduped sample)."""
    b = text.encode("utf-8") if isinstance(text, str) else bytes(text)
    return int.from_bytes(hashlib.blake2b(b, digest_size=8).digest(), "little")


# ------------------------------------------------------------------ strategy

STRATEGIES = ("topk", "sample")


@dataclass(frozen=True)
class Strategy:
    """How a selection is made; build it with :meth:`make` (which checks everything)."""

    k: Optional[int] = None
    budget: Optional[int] = None
    unit: Optional[str] = None
    tokenizer: Optional[str] = None
    sample: bool = False
    temperature: float = 1.0
    seed: int = 0
    dedup: bool = False
    per_target: Optional[int] = None
    min_bytes: Optional[int] = None
    max_bytes: Optional[int] = None

    @classmethod
    def make(cls, k: Any = None, *, budget_tokens: Any = None, budget_bytes: Any = None,
             tokenizer: Optional[str] = None, strategy: str = "topk",
             temperature: Any = 1.0, seed: Any = 0, dedup: bool = False,
             per_target: Any = None, min_bytes: Any = None,
             max_bytes: Any = None) -> "Strategy":
        """The one place a selection's options are checked (ValueError/TypeError)."""
        if strategy not in STRATEGIES:
            raise ValueError(f"strategy must be one of {', '.join(STRATEGIES)}, "
                             f"not {strategy!r}")
        if per_target is not None:
            per_target = check_int("per_target", per_target, 1)
            if k is not None or budget_tokens is not None or budget_bytes is not None:
                raise ValueError("per_target selects m documents per target: give it "
                                 "without k or a budget")
            if strategy != "topk" or dedup:
                raise ValueError("per_target selects the nearest documents: it takes no "
                                 "sampling and no dedup")
            budget, unit = None, None
        else:
            k, budget, unit = check_limits(k, budget_tokens, budget_bytes)
        if tokenizer is not None:
            if unit != "tokens":
                raise ValueError("a tokenizer counts the tokens of budget_tokens: give one")
            Costs(unit, tokenizer)   # loads it: a bad name fails here, before any work
        if isinstance(temperature, bool) or not isinstance(temperature, (int, float, np.number)):
            raise TypeError(f"temperature must be a number, not {type(temperature).__name__}")
        if not np.isfinite(temperature) or temperature <= 0:
            raise ValueError(f"temperature must be > 0, got {temperature}")
        seed = check_int("seed", seed)
        lo = None if min_bytes is None else check_int("min_bytes", min_bytes)
        hi = None if max_bytes is None else check_int("max_bytes", max_bytes)
        if lo is not None and hi is not None and lo > hi:
            raise ValueError(f"min_bytes ({lo}) is more than max_bytes ({hi})")
        if not isinstance(dedup, (bool, np.bool_)):
            raise TypeError(f"dedup must be True or False, not {type(dedup).__name__}")
        return cls(k=k, budget=budget, unit=unit, tokenizer=tokenizer,
                   sample=strategy == "sample", temperature=float(temperature), seed=seed,
                   dedup=bool(dedup), per_target=per_target, min_bytes=lo, max_bytes=hi)

    @property
    def needs_index(self) -> bool:
        """Does ranking need each document's global index (the sampling noise)?"""
        return self.sample and not self.dedup

    def selector(self, near: int = 0) -> Any:
        """A new, empty selector for this strategy (``near``: how many of the best
        documents left out to remember, for a report)."""
        return PerTargetSelector(self) if self.per_target is not None else Selector(self, near)

    def describe(self) -> Dict[str, str]:
        """The strategy in words, for summaries and reports."""
        out: Dict[str, str] = {}
        if self.per_target is not None:
            out["strategy"] = f"per-target: the {self.per_target} nearest of every target"
        elif self.sample:
            out["strategy"] = (f"sample (Gumbel top-k), temperature {self.temperature:g}, "
                               f"seed {self.seed}")
        else:
            out["strategy"] = "top-k"
        if self.k is not None:
            out["k"] = f"{self.k:,}"
        if self.budget is not None:
            what = f"{self.tokenizer} tokens" if self.tokenizer else self.unit
            out["budget"] = f"{self.budget:,} {what}"
        if self.dedup:
            out["dedup"] = "identical texts count once"
        if self.min_bytes is not None or self.max_bytes is not None:
            out["length filter"] = (f"{self.min_bytes or 0:,} to "
                                    f"{'any' if self.max_bytes is None else f'{self.max_bytes:,}'}"
                                    " bytes")
        return out


class _Base:
    """What every selector counts, and the chunk preparation they share."""

    def __init__(self, strategy: Strategy) -> None:
        self.strategy = strategy
        self.counts = {"duplicates": 0, "filtered": 0, "empty": 0}
        self._costs = Costs(strategy.unit, strategy.tokenizer) if strategy.budget is not None \
            else None

    def _eligible(self, texts: Sequence[Any]) -> Optional[np.ndarray]:
        lens = text_lengths(texts)
        self.counts["empty"] += int((lens == 0).sum())
        s = self.strategy
        if s.min_bytes is None and s.max_bytes is None:
            return None
        ok = np.ones(len(lens), dtype=bool)
        if s.min_bytes is not None:
            ok &= lens >= s.min_bytes
        if s.max_bytes is not None:
            ok &= lens <= s.max_bytes
        self.counts["filtered"] += int((~ok).sum())
        return ok

    def _merge_counts(self, other: "_Base") -> None:
        for name, n in other.counts.items():
            self.counts[name] += n


class Selector(_Base):
    """Top-k, budgets, sampling, dedup and length filters over a stream.

    A min-heap of entries (rank, -key, cost, payload, score, digest); rank
    is the score, or the Gumbel key when sampling.  ``key`` orders ties
    (lower first): the document's position, or a number that sorts like it
    (Dask: partition << 40 | position).  Memory: the selected documents.
    """

    def __init__(self, strategy: Strategy, near: int = 0) -> None:
        super().__init__(strategy)
        self.k = strategy.k
        self.budget = strategy.budget
        #: the best documents left out (rank, -key, score, payload), a min-heap
        self.near_size = near
        self._near: List[Tuple[float, int, float, Any]] = []
        self._heap: List[Tuple[float, int, int, Any, float, Optional[int]]] = []
        self._digests: Dict[int, int] = {}   # dedup: digest -> -key of the kept copy
        self.total_cost = 0
        #: (rank, -key) of the best document excluded so far: nothing ranked
        #: below it can be selected any more
        self._cutoff: Optional[Tuple[float, int]] = None

    def __len__(self) -> int:
        return len(self._heap)

    def _over(self) -> bool:
        return ((self.k is not None and len(self._heap) > self.k)
                or (self.budget is not None and self.total_cost > self.budget))

    def _exclude(self, key: Tuple[float, int]) -> None:
        if self._cutoff is None or key > self._cutoff:
            self._cutoff = key

    def _ranks(self, texts: Sequence[Any], scores: np.ndarray,
               first_index: Optional[int]) -> np.ndarray:
        s = self.strategy
        if not s.sample:
            return scores
        if s.dedup:
            counters = np.array([_digest(t) for t in texts], dtype=np.uint64)
        else:
            if first_index is None:
                raise ValueError("sampling needs the documents' global positions")
            counters = np.arange(first_index, first_index + len(scores), dtype=np.uint64)
        return scores / s.temperature + gumbel(s.seed, counters)

    def offer(self, texts: Sequence[Any], scores: np.ndarray, first_key: int,
              payloads: Sequence[Any], first_index: Optional[int] = None,
              ncd: Optional[np.ndarray] = None) -> None:
        """Consider a scored chunk: documents with keys ``first_key, first_key+1, ...``
        (and global positions ``first_index, ...``, which sampling needs)."""
        eligible = self._eligible(texts)
        if self.k == 0:
            return
        ranks = self._ranks(texts, scores, first_index)
        costs = self._costs(texts) if self._costs is not None else None
        heap = self._heap
        # Keys arrive in increasing order, so a newcomer that only ties the
        # cutoff (or the worst kept document of a full top-k) ranks below it.
        thr = -np.inf
        if self._cutoff is not None:
            thr = self._cutoff[0]
        if self.k is not None and len(heap) == self.k:
            thr = max(thr, heap[0][0])
        mask = ranks > thr if thr > -np.inf else np.ones(len(ranks), dtype=bool)
        if eligible is not None:
            mask &= eligible
        if self.near_size:
            out = ~mask if eligible is None else ~mask & eligible
            if len(self._near) == self.near_size:
                out &= ranks >= self._near[0][0]
            for i in np.flatnonzero(out).tolist():
                self._remember(float(ranks[i]), -(first_key + i), float(scores[i]), payloads[i])
        for i in np.flatnonzero(mask).tolist():
            r = float(ranks[i])
            key = (r, -(first_key + i))
            if (self._cutoff is not None and key <= self._cutoff) or \
                    (self.k is not None and len(heap) == self.k and key <= heap[0][:2]):
                self._remember(r, key[1], float(scores[i]), payloads[i])
                continue
            digest = None
            if self.strategy.dedup:
                digest = _digest(texts[i])
                if digest in self._digests:   # a copy with a lower index is kept
                    self.counts["duplicates"] += 1
                    continue
                self._digests[digest] = key[1]
            c = int(costs[i]) if costs is not None else 0
            heapq.heappush(heap, (r, key[1], c, payloads[i], float(scores[i]), digest))
            self.total_cost += c
            while self._over():
                self._pop()

    def _remember(self, rank: float, negkey: int, score: float, payload: Any) -> None:
        """Keep a left-out document if it is among the ``near_size`` best left out."""
        if not self.near_size:
            return
        entry = (rank, negkey, score, payload)
        if len(self._near) < self.near_size:
            heapq.heappush(self._near, entry)
        elif (rank, negkey) > self._near[0][:2]:
            heapq.heapreplace(self._near, entry)

    def near(self) -> List[Tuple[int, float, Any]]:
        """(key, score, payload) of the best documents left out, best first."""
        return [(-e[1], e[2], e[3]) for e in sorted(self._near, key=lambda e: (-e[0], -e[1]))]

    def _pop(self) -> None:
        r, k, c, payload, score, digest = heapq.heappop(self._heap)
        self.total_cost -= c
        if digest is not None and self._digests.get(digest) == k:
            del self._digests[digest]
        self._exclude((r, k))
        self._remember(r, k, score, payload)

    def merge(self, other: "Selector") -> "Selector":
        """Keep what one selector over both streams would keep; returns self.

        Walks the union best first and stops at the first document over a
        limit; the better of the two cutoffs still excludes everything
        ranked below it (it may be a document that fit neither part's budget
        alone but stops the merged run).  Of two copies (dedup), the first
        met, the better ranked, stays.
        """
        self._merge_counts(other)
        entries = sorted(self._heap + other._heap, key=lambda e: (e[0], e[1]), reverse=True)
        if other._cutoff is not None:
            self._exclude(other._cutoff)
        self._heap, self._digests, self.total_cost = [], {}, 0
        left: List[Any] = []
        for n, e in enumerate(entries):
            if self._cutoff is not None and e[:2] <= self._cutoff:
                left = entries[n:]
                break
            if e[5] is not None:
                if e[5] in self._digests:
                    self.counts["duplicates"] += 1
                    continue
                self._digests[e[5]] = e[1]
            self._heap.append(e)
            self.total_cost += e[2]
            if self._over():
                self._heap.pop()
                self.total_cost -= e[2]
                self._exclude(e[:2])
                left = entries[n:]
                break
        heapq.heapify(self._heap)
        for e in other._near:
            self._remember(*e)
        for e in left:   # best first: the first near_size that are not copies
            if e[5] is None or e[5] not in self._digests:
                self._remember(e[0], e[1], e[4], e[3])
        return self

    def result(self) -> List[Tuple[int, float, Any]]:
        """(key, score, payload) of the selection, in selection order."""
        best = sorted(self._heap, key=lambda e: (-e[0], -e[1]))
        return [(-e[1], e[4], e[3]) for e in best]

    def per_target(self) -> Tuple[List[Tuple[int, ...]], List[List[Tuple[int, float]]]]:
        return [], []


class PerTargetSelector(_Base):
    """The ``m`` nearest documents of every target, and their union.

    Per target a max-heap of (-NCD, -key): its top is the worst kept.  The
    documents themselves (score, payload) are kept once, while any target
    holds them.  Memory: O(n_targets x m).
    """

    def __init__(self, strategy: Strategy) -> None:
        super().__init__(strategy)
        self.m = strategy.per_target or 0
        self._heaps: List[List[Tuple[float, int]]] = []
        self._docs: Dict[int, Tuple[float, Any]] = {}
        self.total_cost = 0

    def __len__(self) -> int:
        return len({k for h in self._heaps for _, k in h})

    def near(self) -> List[Tuple[int, float, Any]]:
        return []

    def offer(self, texts: Sequence[Any], scores: np.ndarray, first_key: int,
              payloads: Sequence[Any], first_index: Optional[int] = None,
              ncd: Optional[np.ndarray] = None) -> None:
        eligible = self._eligible(texts)
        assert ncd is not None, "per-target selection needs the NCD block"
        if not self._heaps:
            self._heaps = [[] for _ in range(ncd.shape[1])]
        for j, heap in enumerate(self._heaps):
            col = ncd[:, j]
            mask = col < -heap[0][0] if len(heap) == self.m else np.ones(len(col), dtype=bool)
            if eligible is not None:
                mask &= eligible
            for i in np.flatnonzero(mask).tolist():
                d = float(col[i])
                entry = (-d, -(first_key + i))
                if len(heap) == self.m:
                    if entry <= heap[0]:
                        continue
                    heapq.heapreplace(heap, entry)
                else:
                    heapq.heappush(heap, entry)
                self._docs.setdefault(first_key + i, (float(scores[i]), payloads[i]))
        self._forget()

    def _forget(self) -> None:
        held = {-k for h in self._heaps for _, k in h}
        for key in [key for key in self._docs if key not in held]:
            del self._docs[key]

    def merge(self, other: "PerTargetSelector") -> "PerTargetSelector":
        self._merge_counts(other)
        if not self._heaps:
            self._heaps = [list(h) for h in other._heaps]
        elif other._heaps:
            self._heaps = [heapq.nlargest(self.m, a + b) for a, b in
                           zip(self._heaps, other._heaps)]
            for h in self._heaps:
                heapq.heapify(h)
        self._docs.update(other._docs)
        self._forget()
        return self

    def result(self) -> List[Tuple[int, float, Any]]:
        """(key, score, payload) of the union, best score first, ties by lower key."""
        return [(key, s, p) for key, (s, p) in
                sorted(self._docs.items(), key=lambda kv: (-kv[1][0], kv[0]))]

    def per_target(self) -> Tuple[List[Tuple[int, ...]], List[List[Tuple[int, float]]]]:
        """(targets of each selected document, in result order;
        each target's (key, NCD), nearest first)."""
        lists = [sorted(((-k, -d) for d, k in h), key=lambda e: (e[1], e[0]))
                 for h in self._heaps]
        chosen: Dict[int, List[int]] = {}
        for j, lst in enumerate(lists):
            for key, _ in lst:
                chosen.setdefault(key, []).append(j)
        return [tuple(chosen[key]) for key, _, _ in self.result()], lists


# ------------------------------------------------------------------ streaming

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


def select_stream(ncd: Callable[[List[bytes]], np.ndarray], records: Iterable[Any],
                  selector: Any, chunk_size: int = CHUNK_DOCS, first_key: int = 0,
                  first_index: Optional[int] = 0,
                  on_scores: Optional[Callable[[List[Any], np.ndarray], None]] = None) -> int:
    """Score ``records`` a chunk at a time, offering each chunk to ``selector``.

    ``ncd(texts)`` gives the chunk's NCD block (sources x targets); records
    (``.text``, ``.data``) take keys ``first_key, first_key+1, ...`` and
    global positions ``first_index, ...`` (None where unknown);
    ``on_scores(chunk, scores)`` sees every chunk in order.  Returns the
    number of records.
    """
    n = 0
    for chunk in chunked(records, chunk_size, size=_text_size):
        texts = [r.text for r in chunk]
        block = ncd(texts)
        scores = similarity_mean(block)
        if selector is not None:
            selector.offer(texts, scores, first_key + n, [r.data for r in chunk],
                           None if first_index is None else first_index + n, block)
        if on_scores is not None:
            on_scores(chunk, scores)
        n += len(chunk)
    return n


def selection_of(selector: Any, n_seen: int, context: Any = None) -> StreamSelection:
    """A selector's result as a StreamSelection (keys are positions)."""
    res = selector.result()
    targets, lists = selector.per_target()
    return StreamSelection(
        indices=np.array([r[0] for r in res], dtype=np.int64),
        scores=np.array([r[1] for r in res], dtype=np.float64), context=context,
        items=tuple(r[2] for r in res), n_seen=n_seen, total_cost=selector.total_cost,
        targets=tuple(targets), per_target=tuple(tuple(lst) for lst in lists),
        counts=dict(selector.counts))
