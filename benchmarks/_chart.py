"""Draw compare.py's bar chart; reads {"rows": [...], "title", "path"} on stdin.

Run by compare.py with whichever interpreter has matplotlib (this one or the
peers' venv), so it imports nothing from zipfit.
"""
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

COLORS = {"zipfit": "#1f77b4", "official": "#d62728", "python-loop": "#7f7f7f",
          "c-zlib-loop": "#2ca02c", "dsir": "#9467bd"}


def main() -> int:
    spec = json.load(sys.stdin)
    rows = [r for r in spec["rows"] if r.get("pairs_per_s")]
    labels = [f"{r['label']} · {r['compressor']}/{r['level']}"
              + (f" · {r['engine']}" if r["method"] == "zipfit" else "")
              + f" · {r['workers']}w" for r in rows]
    values = [r["pairs_per_s"] for r in rows]
    fig, ax = plt.subplots(figsize=(10, 0.32 * len(rows) + 1.6))
    y = range(len(rows))
    ax.barh(list(y), values, color=[COLORS.get(r["method"], "#333333") for r in rows])
    ax.set_yticks(list(y))
    ax.set_yticklabels(labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xscale("log")
    ax.set_xlabel("pairs per second (log scale, higher is better)")
    ax.set_title(spec["title"], fontsize=10)
    for i, v in enumerate(values):
        ax.text(v, i, f" {v:,.0f}", va="center", fontsize=7)
    ax.grid(axis="x", which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(spec["path"], dpi=120)
    return 0


if __name__ == "__main__":
    sys.exit(main())
