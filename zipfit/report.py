"""A self-contained HTML report of a selection (``zipfit[report]``, matplotlib).

The pipeline fills a :class:`ReportData` while it runs, in memory bounded by
O(k + n_targets + fixed bins); :func:`write_report` renders it as one HTML
file that needs no network (charts are inline PNGs, no scripts or fonts are
loaded from elsewhere, every text is escaped).
"""
from __future__ import annotations

import base64
import html
import io
import re
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


_INSTALL_HINT = 'pip install "zipfit[report]"'

# Figures: ~8 x 3 inches at 100 dpi, drawn on matplotlib.figure.Figure (no
# pyplot, no global state), encoded as PNG and inlined as data: URIs.
_FIG_SIZE = (8.0, 3.0)
_DPI = 100
_SNIPPET_CHARS = 300
_SNIPPET_LINES = 14
_LEAST_SERVED = 5

_INK = "#1f2933"
_MUTED = "#6b7785"
_BLUE = "#3367a6"
_LIGHT_BLUE = "#9db9dc"
_RED = "#c0392b"
_GRID = "#e4e7eb"


def require_matplotlib() -> None:
    """Raise ImportError with the install hint unless matplotlib is importable."""
    try:
        import matplotlib  # noqa: F401
        from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: F401
        from matplotlib.figure import Figure  # noqa: F401
    except ImportError as e:
        raise ImportError(f"the HTML report needs matplotlib: {_INSTALL_HINT} ({e})") from None


def write_report(path: str, data: ReportData) -> None:
    """Write ``data`` as one self-contained HTML file at ``path`` (atomically)."""
    from .outputs import AtomicOutput

    require_matplotlib()
    _check(data)
    page = _render(data).encode("utf-8")
    with AtomicOutput(path) as out:
        out.file.write(page)
        out.commit()


# ------------------------------------------------------------------ checks


def _check(data: ReportData) -> None:
    """Refuse inconsistent shapes (a bug in the caller), with the field named."""
    se = np.asarray(data.score_edges)
    sc = np.asarray(data.score_counts)
    le = np.asarray(data.length_edges)
    lc = np.asarray(data.length_score_counts)
    if se.ndim != 1 or sc.ndim != 1 or se.size != sc.size + 1:
        raise ValueError(f"score_edges must have one more entry than score_counts "
                         f"(got shapes {se.shape} and {sc.shape})")
    if le.ndim != 1 or le.size < 1:
        raise ValueError(f"length_edges must be a 1-D array of L+1 edges (got shape {le.shape})")
    if lc.shape != (le.size - 1, sc.size):
        raise ValueError(f"length_score_counts must have shape (L, B) = "
                         f"({le.size - 1}, {sc.size}) (got {lc.shape})")
    for name, e in (("score_edges", se), ("length_edges", le)):
        if e.size > 1 and not np.all(np.diff(e.astype(float)) > 0):
            raise ValueError(f"{name} must be strictly increasing")
    tm = np.asarray(data.target_mean_ncd)
    tb = np.asarray(data.target_best_ncd)
    if tm.shape != tb.shape or tm.ndim != 1:
        raise ValueError(f"target_mean_ncd and target_best_ncd must be 1-D of the same length "
                         f"(got shapes {tm.shape} and {tb.shape})")
    if tm.size and tm.size != len(data.target_snippets):
        raise ValueError(f"target_snippets must have one text per target "
                         f"({len(data.target_snippets)} for {tm.size} targets)")


# ------------------------------------------------------------------- text

# C0 controls (but tab, newline, CR) and DEL show as their Control Pictures
# (U+2400...), C1 controls and lone surrogates as U+FFFD: an HTML parser
# would drop NUL or choke on them, and the file must encode as UTF-8.
_CONTROLS = {c: chr(0x2400 + c) for c in range(32) if c not in (9, 10, 13)}
_CONTROLS[0x7F] = "\u2421"
_CONTROLS.update({c: "\ufffd" for c in range(0x80, 0xA0)})
_CONTROLS.update({c: "\ufffd" for c in range(0xD800, 0xE000)})


def _visible(text: object) -> str:
    return str(text).translate(_CONTROLS)


def _esc(text: object) -> str:
    """Any text from the data, made safe for HTML text and attribute values."""
    return html.escape(_visible(text), quote=True)


def _shorten(text: str, chars: int = _SNIPPET_CHARS, lines: int = _SNIPPET_LINES) -> str:
    """The first ``chars`` characters (and at most ``lines`` lines), with an ellipsis."""
    text = str(text)
    cut = text[:chars]
    parts = cut.split("\n")
    if len(parts) > lines:
        cut = "\n".join(parts[:lines])
    if len(cut) < len(text):
        cut = cut.rstrip() + " \u2026"
    return cut


def _num(x: object, digits: int = 4) -> str:
    try:
        v = float(x)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return _esc(x)
    if not np.isfinite(v):
        return "n/a"
    return f"{v:.{digits}f}"


def _bytes(n: int) -> str:
    n = int(n)
    unit = "byte" if n == 1 else "bytes"
    return f"{n:,} {unit}"


# ---------------------------------------------------------------- figures


def _new_figure(size=_FIG_SIZE):
    from matplotlib.figure import Figure

    fig = Figure(figsize=size, dpi=_DPI, facecolor="white")
    return fig


def _style(ax) -> None:
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_color(_MUTED)
    ax.tick_params(colors=_INK, labelsize=9)
    ax.xaxis.label.set_color(_INK)
    ax.yaxis.label.set_color(_INK)
    ax.grid(True, color=_GRID, linewidth=0.8)
    ax.set_axisbelow(True)


def _png(fig) -> str:
    """The figure as a base64 PNG data: URI (the figure is released afterwards)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=_DPI, facecolor="white", metadata={"Software": None})
    fig.clear()
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _score_range(edges: np.ndarray, counts: np.ndarray, cut: Optional[float]) -> tuple:
    """The scores that occur (and the cut), with a margin: fixed bins span every
    possible score, but a run's scores often sit in a narrow band."""
    used = np.flatnonzero(counts > 0)
    if used.size == 0:
        return float(edges[0]), float(edges[-1])
    lo, hi = float(edges[used[0]]), float(edges[used[-1] + 1])
    if cut is not None and np.isfinite(cut):
        lo, hi = min(lo, float(cut)), max(hi, float(cut))
    margin = max((hi - lo) * 0.08, (edges[1] - edges[0]) * 2)
    return max(float(edges[0]), lo - margin), min(float(edges[-1]), hi + margin)


def _score_figure(data: ReportData) -> str:
    edges = np.asarray(data.score_edges, dtype=float)
    counts = np.asarray(data.score_counts, dtype=float)
    fig = _new_figure()
    ax = fig.add_subplot(1, 1, 1)
    _style(ax)
    ax.stairs(counts, edges, fill=True, color=_LIGHT_BLUE, edgecolor=_BLUE, linewidth=0.8)
    ax.stairs(counts, edges, color=_BLUE, linewidth=0.8)
    nonzero = counts[counts > 0]
    log = nonzero.size > 0 and nonzero.max() / nonzero.min() > 50
    if log:
        ax.set_yscale("log")
        ax.set_ylim(0.7, nonzero.max() * 1.6)
    else:
        ax.set_ylim(0, max(1.0, counts.max()) * 1.08)
    ax.set_xlim(*_score_range(edges, counts, data.cut))
    if data.cut is not None and np.isfinite(data.cut):
        cut = float(data.cut)
        ax.axvspan(cut, max(cut, edges[-1]), color=_RED, alpha=0.07, linewidth=0)
        ax.axvline(cut, color=_RED, linewidth=1.6)
        inside = edges[0] <= cut <= edges[-1]
        if not inside:
            ax.set_xlim(min(edges[0], cut), max(edges[-1], cut))
        right = cut < (ax.get_xlim()[0] + ax.get_xlim()[1]) / 2
        ax.annotate(f"cut {cut:.4f}" + ("  selected \u2192" if right else ""),
                    xy=(cut, 1), xycoords=("data", "axes fraction"),
                    xytext=(5 if right else -5, -4), textcoords="offset points",
                    ha="left" if right else "right", va="top", color=_RED, fontsize=9,
                    fontweight="bold")
    ax.set_xlabel("score = 1 \u2212 mean NCD to the targets (higher is more aligned)")
    ax.set_ylabel("sources (log scale)" if log else "sources")
    fig.tight_layout()
    return _png(fig)


def _log_edges(edges: np.ndarray) -> Optional[np.ndarray]:
    """Length edges drawable on a log axis (a first edge of 0 becomes half the next)."""
    e = edges.astype(float).copy()
    if e.size < 2 or e[1] <= 0:
        return None
    if e[0] <= 0:
        e[0] = e[1] / 2
    return e


def _length_figure(data: ReportData) -> str:
    from matplotlib.colors import LogNorm

    sedges = np.asarray(data.score_edges, dtype=float)
    counts = np.asarray(data.length_score_counts, dtype=float)
    ledges = _log_edges(np.asarray(data.length_edges))
    log_x = ledges is not None
    if ledges is None:
        ledges = np.asarray(data.length_edges, dtype=float)
    fig = _new_figure((8.0, 3.4))
    ax = fig.add_subplot(1, 1, 1)
    _style(ax)
    ax.grid(False)
    shown = np.ma.masked_less_equal(counts.T, 0)
    vmax = max(1.0, counts.max())
    mesh = ax.pcolormesh(ledges, sedges, shown, cmap="viridis",
                         norm=LogNorm(vmin=1, vmax=vmax) if vmax > 1 else None,
                         shading="flat", rasterized=True)
    cb = fig.colorbar(mesh, ax=ax, pad=0.015, fraction=0.04)
    cb.set_label("sources", color=_INK)
    cb.ax.tick_params(labelsize=8, colors=_INK)
    # Mean score of each length bin, from the 2-D bins; bins holding too few
    # sources to mean anything (under 0.5% of them, or under 5) break the line.
    per_len = counts.sum(axis=1)
    centers = (sedges[:-1] + sedges[1:]) / 2
    enough = per_len >= max(5.0, 0.005 * per_len.sum())
    xs = np.sqrt(ledges[:-1] * ledges[1:]) if log_x else (ledges[:-1] + ledges[1:]) / 2
    if enough.sum() >= 2:
        mean = np.full(per_len.size, np.nan)
        mean[enough] = (counts[enough] @ centers) / per_len[enough]
        ax.plot(xs, mean, color="white", linewidth=3.2, solid_capstyle="round")
        ax.plot(xs, mean, color=_RED, linewidth=1.6, label="mean score per length bin")
    # Show the lengths that occur (one empty bin of margin each side).
    used = np.flatnonzero(per_len > 0)
    lo = ledges[max(used[0] - 1, 0)]
    hi = ledges[min(used[-1] + 2, ledges.size - 1)]
    if log_x:
        ax.set_xscale("log")
    ax.set_xlim(lo, hi)
    ax.set_ylim(*_score_range(sedges, counts.sum(axis=0), data.cut))
    if data.cut is not None and np.isfinite(data.cut) and sedges[0] <= data.cut <= sedges[-1]:
        ax.axhline(float(data.cut), color=_RED, linewidth=1, linestyle="--", label="cut")
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="upper right", fontsize=8, frameon=True, framealpha=0.85)
    ax.set_xlabel("document length (bytes" + (", log scale)" if log_x else ")"))
    ax.set_ylabel("score")
    fig.tight_layout()
    return _png(fig)


def _coverage_order(best: np.ndarray) -> np.ndarray:
    """Targets from the best served (lowest best NCD) to the least; NaN last, ties by index."""
    key = np.where(np.isnan(best), np.inf, best)
    return np.lexsort((np.arange(best.size), key))


def _coverage_figure(mean: np.ndarray, best: np.ndarray) -> str:
    order = _coverage_order(best)
    n = best.size
    x = np.arange(1, n + 1)
    m, b = mean[order], best[order]
    fig = _new_figure()
    ax = fig.add_subplot(1, 1, 1)
    _style(ax)
    small = n <= 80
    if small:
        ax.vlines(x, b, m, color=_GRID, linewidth=3 if n <= 40 else 1.5, zorder=1)
    else:
        ax.fill_between(x, b, m, color=_LIGHT_BLUE, alpha=0.35, linewidth=0, zorder=1)
    mark = dict(markersize=5 if n <= 40 else 3, linewidth=1.2 if not small else 0)
    ax.plot(x, m, color=_BLUE, marker="s" if small else None, zorder=2,
            label="mean NCD to the selected documents", **mark)
    ax.plot(x, b, color=_RED, marker="o" if small else None, zorder=3,
            label="best NCD (to the closest selected document)", **mark)
    if n <= 30:
        ax.set_xticks(x)
        ax.set_xticklabels([str(i) for i in order], fontsize=8)
        ax.set_xlabel("target (its index), sorted by best NCD — least served on the right")
    else:
        ax.set_xlabel(f"{n:,} targets, sorted by best NCD — least served on the right")
    ax.set_xlim(0.3, n + 0.7)
    finite = np.concatenate([m[np.isfinite(m)], b[np.isfinite(b)]])
    if finite.size:
        lo, hi = float(finite.min()), float(finite.max())
        pad = max(0.02, 0.08 * (hi - lo))
        ax.set_ylim(max(0.0, lo - pad), hi + pad)
    ax.set_ylabel("NCD (lower is closer)")
    ax.legend(loc="upper left", fontsize=8, frameon=True, framealpha=0.9)
    fig.tight_layout()
    return _png(fig)


# ------------------------------------------------------------------- html

_CSS = """
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; background: #f4f5f7; color: #1f2933;
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", Roboto, sans-serif; }
main { max-width: 900px; margin: 0 auto; padding: 24px 20px 48px; }
header h1 { font-size: 1.6em; margin: 0 0 4px; overflow-wrap: anywhere; }
header p { margin: 0; color: #6b7785; }
nav { margin: 14px 0 6px; font-size: 0.92em; }
nav a { color: #3367a6; text-decoration: none; margin-right: 14px; white-space: nowrap; }
nav a:hover { text-decoration: underline; }
section { background: #fff; border: 1px solid #e1e4e8; border-radius: 8px;
  padding: 16px 20px 18px; margin: 16px 0; }
h2 { font-size: 1.2em; margin: 0 0 6px; }
h3 { font-size: 1em; margin: 18px 0 6px; }
p.how { color: #52606d; margin: 0 0 10px; font-size: 0.93em; }
figure { margin: 8px 0; }
figure img { display: block; max-width: 100%; height: auto; }
table { border-collapse: collapse; width: 100%; font-size: 0.93em; }
th, td { text-align: left; padding: 5px 10px; border-bottom: 1px solid #edf0f2;
  vertical-align: top; overflow-wrap: anywhere; }
th { color: #52606d; font-weight: 600; width: 34%; }
table.targets th { width: auto; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; width: 1%; }
.stat { font-size: 1.05em; margin: 4px 0 0; }
.stat b { font-variant-numeric: tabular-nums; }
.empty { color: #6b7785; font-style: italic; }
ol.docs { list-style: none; padding: 0; margin: 0; }
ol.docs li { border: 1px solid #e1e4e8; border-radius: 6px; margin: 8px 0; overflow: hidden; }
.meta { background: #f7f8fa; padding: 4px 10px; font-size: 0.88em; color: #52606d;
  border-bottom: 1px solid #e1e4e8; font-variant-numeric: tabular-nums; }
.meta b { color: #1f2933; }
pre { margin: 0; padding: 8px 10px; white-space: pre-wrap; overflow-wrap: anywhere;
  font: 12.5px/1.45 ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; }
td pre { padding: 0; font-size: 12px; }
.pair { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 0 16px; }
@media (max-width: 720px) { .pair { grid-template-columns: minmax(0, 1fr); } }
footer { color: #8a94a0; font-size: 0.85em; text-align: center; }
"""

# Nothing but inline styles and data: images may load; no script may run.
_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"

_SECTIONS = [("run", "The run"), ("score-spread", "Score spread"),
             ("length-bias", "Length bias"), ("target-coverage", "Per-target coverage"),
             ("documents", "Documents"), ("strategy", "Strategy")]


def _section(sid: str, title: str, how: str, body: List[str]) -> str:
    return (f'<section id="{sid}">\n<h2>{_esc(title)}</h2>\n'
            + (f'<p class="how">{how}</p>\n' if how else "")
            + "\n".join(body) + "\n</section>")


def _table(rows: Dict[str, str], empty: str) -> str:
    if not rows:
        return f'<p class="empty">{_esc(empty)}</p>'
    cells = "".join(f"<tr><th>{_esc(k)}</th><td>{_esc(v)}</td></tr>\n" for k, v in rows.items())
    return f"<table>\n{cells}</table>"


def _img(uri: str, alt: str) -> str:
    return (f'<figure><img src="{uri}" alt="{_esc(alt)}" '
            f'width="{int(_FIG_SIZE[0] * _DPI)}"></figure>')


def _docs(docs: List[Doc], empty: str) -> str:
    if not docs:
        return f'<p class="empty">{_esc(empty)}</p>'
    items = []
    for d in docs:
        items.append(f'<li><div class="meta">#<b>{int(d.index)}</b> &middot; score '
                     f'<b>{_num(d.score)}</b> &middot; {_bytes(d.nbytes)}</div>'
                     f'<pre>{_esc(_shorten(d.text))}</pre></li>')
    return '<ol class="docs">\n' + "\n".join(items) + "\n</ol>"


def _run_section(data: ReportData) -> str:
    return _section("run", "The run", "", [_table(data.run, "No details of the run were recorded.")])


def _score_section(data: ReportData) -> str:
    counts = np.asarray(data.score_counts)
    total = int(counts.sum()) if counts.size else 0
    how = ("How the scores of all sources spread. The red line is the cut, the lowest "
           "selected score: a top-k or budget selection took the sources to its right "
           "(sampling, dedup and per-target selections may skip some of them). A long "
           "tail to the right means a few sources stand out; a cut deep inside the bulk "
           "means the selection took many ordinary sources.")
    body: List[str] = []
    if total == 0:
        body.append('<p class="empty">No scores were recorded.</p>')
    else:
        body.append(_img(_score_figure(data), "Histogram of the sources' scores"))
    stats = [f"<b>{total:,}</b> scores"]
    if data.cut is not None:
        stats.append(f"cut <b>{_num(data.cut)}</b>")
    else:
        stats.append("no cut (nothing was selected)")
    body.append('<p class="stat">' + " &middot; ".join(stats) + "</p>")
    return _section("score-spread", "Score spread", how, body)


def _length_section(data: ReportData) -> str:
    counts = np.asarray(data.length_score_counts)
    how = ("Each cell counts the sources of that length (bytes, log scale) and score. "
           "The red curve is the mean score per length bin. A curve that climbs or falls "
           "with length, or a correlation far from 0, means length drives the ranking: "
           "compression scores favour some lengths, so check the selection is not just "
           "the longest or the shortest documents.")
    body: List[str] = []
    if counts.size == 0 or counts.sum() == 0:
        body.append('<p class="empty">No lengths were recorded.</p>')
    else:
        body.append(_img(_length_figure(data), "2-D histogram of score against document length"))
    r = data.length_correlation
    rtxt = _num(r, 3)
    word = ""
    if rtxt != "n/a":
        a = abs(float(r))
        word = (" (negligible)" if a < 0.1 else " (weak)" if a < 0.3
                else " (moderate)" if a < 0.5 else " (strong)")
    body.append(f'<p class="stat">Correlation of score with log<sub>2</sub>(1 + bytes): '
                f'<b>{rtxt}</b>{word}</p>')
    return _section("length-bias", "Length bias", how, body)


def _coverage_section(data: ReportData) -> str:
    mean = np.asarray(data.target_mean_ncd, dtype=float)
    best = np.asarray(data.target_best_ncd, dtype=float)
    how = ("For each target example, how close the selected documents come to it: its "
           "best NCD (to the closest selected document) and its mean NCD (over all of "
           "them). Lower is closer. Targets on the right of the chart are served worst; "
           "if their best NCD is near 1, nothing selected resembles them.")
    body: List[str] = []
    if mean.size == 0:
        body.append('<p class="empty">Nothing was selected, so no target is served.</p>')
        return _section("target-coverage", "Per-target coverage", how, body)
    body.append(_img(_coverage_figure(mean, best),
                     "Mean and best NCD of each target, sorted by best NCD"))
    worst = _coverage_order(best)[::-1]
    worst = worst[np.isfinite(best[worst])][:_LEAST_SERVED] if np.isfinite(best).any() \
        else worst[:_LEAST_SERVED]
    rows = []
    for i in worst:
        snippet = _BLANK_LINES.sub("\n\n", str(data.target_snippets[i]))
        rows.append(f'<tr><td class="num">{int(i)}</td><td class="num">{_num(best[i])}</td>'
                    f'<td class="num">{_num(mean[i])}</td>'
                    f'<td><pre>{_esc(_shorten(snippet, 200, 6))}</pre></td></tr>')
    body.append(f"<h3>The {len(rows)} least-served targets</h3>")
    body.append('<table class="targets">\n<tr><th class="num">target</th>'
                '<th class="num">best NCD</th><th class="num">mean NCD</th><th>text</th></tr>\n'
                + "\n".join(rows) + "\n</table>")
    return _section("target-coverage", "Per-target coverage", how, body)


_BLANK_LINES = re.compile(r"\n[ \t]*\n(?:[ \t]*\n)+")


def _documents_section(data: ReportData) -> str:
    how = ("The first characters of documents around the selection, exactly as read "
           "(control characters shown as symbols). The last ones in and the best ones "
           "left out stand side by side: if they look alike, the cut is arbitrary there; "
           "if the ones left out look better, the score misses something.")
    body = [
        '<div id="documents-top">',
        "<h3>Top selected</h3>",
        _docs(data.top, "Nothing was selected."),
        "</div>",
        '<div class="pair">',
        '<div id="documents-last-in">',
        "<h3>Last ones in</h3>",
        _docs(data.last_in, "Nothing was selected."),
        "</div>",
        '<div id="documents-near-out">',
        "<h3>Best ones left out, near the cut</h3>",
        _docs(data.near_out, "No document was left out."),
        "</div>",
        "</div>",
    ]
    return _section("documents", "Documents", how, body)


def _strategy_section(data: ReportData) -> str:
    return _section("strategy", "Strategy", "How the documents were chosen from the scores.",
                    [_table(data.strategy, "No selection: the sources were only scored.")])


def _render(data: ReportData) -> str:
    from . import __version__

    nav = "".join(f'<a href="#{sid}">{_esc(t)}</a>' for sid, t in _SECTIONS)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_esc(data.title)}</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
        "<main>",
        f'<header><h1>{_esc(data.title)}</h1><p>ZIP-FIT selection report</p></header>',
        f"<nav>{nav}</nav>",
        _run_section(data),
        _score_section(data),
        _length_section(data),
        _coverage_section(data),
        _documents_section(data),
        _strategy_section(data),
        f"<footer>Written by zipfit {_esc(__version__)}. This file is self-contained: "
        "it loads nothing from the network and runs no scripts.</footer>",
        "</main>",
        "</body>",
        "</html>",
        "",
    ]
    return "\n".join(parts)
