"""What a report needs from a run, collected while it streams, in bounded memory.

A :class:`Collector` sees every scored chunk and keeps fixed-bin histograms
(scores; score against length) and the sums of a correlation: O(bins),
whatever the number of sources.  Collectors of separately read parts merge.
:func:`report_data` turns a finished run into ``zipfit.report.ReportData``.
"""
from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

from ._arrow import text_lengths

__all__ = ["Collector", "ReportContext", "report_data", "SCORE_EDGES", "LENGTH_EDGES"]

#: score bins (0.002 wide): alignment is 1 - mean NCD, within about [-0.2, 1]
SCORE_EDGES = np.round(np.linspace(-0.2, 1.0, 601), 6)
#: length bins in bytes: 0, 1, 2, 4, ... 2**32 (log-spaced)
LENGTH_EDGES = np.concatenate([[0.0], 2.0 ** np.arange(0, 33)])
#: documents shown per list in a report
SHOWN = 10


class Collector:
    """Score and length histograms and the score-length correlation of a stream."""

    def __init__(self) -> None:
        nb, nl = len(SCORE_EDGES) - 1, len(LENGTH_EDGES) - 1
        self.score_counts = np.zeros(nb, dtype=np.int64)
        self.length_score_counts = np.zeros((nl, nb), dtype=np.int64)
        self.sums = np.zeros(6)   # n, Σx, Σy, Σx², Σy², Σxy (x = log2(1 + bytes))

    def add(self, texts: Sequence[Any], scores: np.ndarray) -> None:
        lens = text_lengths(texts)
        s = np.clip(scores, SCORE_EDGES[0], SCORE_EDGES[-1])
        self.score_counts += np.histogram(s, SCORE_EDGES)[0]
        self.length_score_counts += np.histogram2d(
            np.clip(lens, 0, LENGTH_EDGES[-1] - 1), s, (LENGTH_EDGES, SCORE_EDGES))[0].astype(
                np.int64)
        x = np.log2(1.0 + lens)
        self.sums += [len(x), x.sum(), scores.sum(), (x * x).sum(), (scores * scores).sum(),
                      (x * scores).sum()]

    def merge(self, other: "Collector") -> "Collector":
        self.score_counts += other.score_counts
        self.length_score_counts += other.length_score_counts
        self.sums += other.sums
        return self

    def correlation(self) -> float:
        n, sx, sy, sxx, syy, sxy = self.sums
        if n < 2:
            return float("nan")
        vx, vy = n * sxx - sx * sx, n * syy - sy * sy
        return float((n * sxy - sx * sy) / np.sqrt(vx * vy)) if vx > 0 and vy > 0 \
            else float("nan")


class ReportContext:
    """What a finished selection keeps for its report (bounded: O(k + targets))."""

    def __init__(self, collector: Collector, run: Dict[str, str], strategy: Dict[str, str],
                 targets: Sequence[bytes], ncd: Callable[[List[bytes]], np.ndarray],
                 chosen: List[Tuple[int, float, bytes]], near: List[Tuple[int, float, bytes]],
                 cut: bool = True) -> None:
        self.collector = collector
        self.run = run
        self.strategy = strategy
        self.targets = targets
        self.ncd = ncd
        self.chosen = chosen
        self.near = near
        self.cut = cut


def _text(b: Any) -> str:
    return b.decode("utf-8", "replace") if isinstance(b, (bytes, bytearray)) else str(b)


def report_data(ctx: ReportContext, title: str, coverage: bool = True) -> Any:
    """The ReportData of a finished run (coverage: the chosen texts against the targets)."""
    from .report import Doc, ReportData
    chosen = ctx.chosen
    if chosen and coverage:
        d = ctx.ncd([t for _, _, t in chosen])
        mean, best = d.mean(axis=0), d.min(axis=0)
    else:
        mean = best = np.empty(0)
    docs = [Doc(i, float(s), len(t), _text(t)) for i, s, t in chosen]
    c = ctx.collector
    return ReportData(
        title=title, run=ctx.run, score_edges=SCORE_EDGES, score_counts=c.score_counts,
        cut=min(s for _, s, _ in chosen) if chosen and ctx.cut else None,
        length_edges=LENGTH_EDGES, length_score_counts=c.length_score_counts,
        length_correlation=c.correlation(), target_mean_ncd=mean, target_best_ncd=best,
        target_snippets=[_text(t)[:400] for t in ctx.targets],
        top=docs[:SHOWN], last_in=docs[-SHOWN:] if len(docs) > SHOWN else [],
        near_out=[Doc(i, float(s), len(t), _text(t)) for i, s, t in ctx.near[:SHOWN]],
        strategy=ctx.strategy)
