"""A self-contained HTML report of a selection (``zipfit[report]``, matplotlib).

The pipeline fills a :class:`ReportData` while it runs, in memory bounded by
O(k + n_targets + fixed bins); :func:`write_report` renders it as one HTML
file that needs no network (charts are inline PNGs, no scripts or fonts are
loaded from elsewhere, every text is escaped).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional

import numpy as np

__all__ = ["Doc", "ReportData", "write_report", "require_matplotlib"]


@dataclass
class Doc:
    """One document shown in the report: its position, score, size and text."""

    index: int
    score: float
    nbytes: int
    text: str


@dataclass
class ReportData:
    """Everything the report shows; every field is bounded in size.

    - ``run``: ordered (label -> value) rows of "The run" table: inputs,
      counts, compressor, level, engine, time, pairs/s, versions.
    - ``score_edges`` (B+1) / ``score_counts`` (B): histogram of every
      source's score; ``cut``: the lowest selected score (None when nothing
      was selected, e.g. a score-only run).
    - ``length_edges`` (L+1, bytes, log-spaced) and ``length_score_counts``
      (L x B): score against document length; ``length_correlation``: Pearson
      correlation of score and log2(1 + bytes) over all sources.
    - ``target_mean_ncd`` / ``target_best_ncd`` (n_targets): the mean and
      the best (lowest) NCD of each target to the selected documents (empty
      arrays when nothing was selected); ``target_snippets``: each target's
      text, shortened.
    - ``top``: the best selected documents; ``last_in``: the last ones
      selected; ``near_out``: the best documents left out, near the cut.
    - ``strategy``: ordered (label -> value) rows: which selection (top-k,
      budget, sample, dedup, per-target) and its counts.
    """

    title: str
    run: Dict[str, str]
    score_edges: np.ndarray
    score_counts: np.ndarray
    cut: Optional[float]
    length_edges: np.ndarray
    length_score_counts: np.ndarray
    length_correlation: float
    target_mean_ncd: np.ndarray
    target_best_ncd: np.ndarray
    target_snippets: List[str]
    top: List[Doc] = field(default_factory=list)
    last_in: List[Doc] = field(default_factory=list)
    near_out: List[Doc] = field(default_factory=list)
    strategy: Dict[str, str] = field(default_factory=dict)


def require_matplotlib() -> None:
    """Raise ImportError with the install hint unless matplotlib is importable."""
    raise NotImplementedError


def write_report(path: str, data: ReportData) -> None:
    """Write ``data`` as one self-contained HTML file at ``path`` (atomically)."""
    raise NotImplementedError
