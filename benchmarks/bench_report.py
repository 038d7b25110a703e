"""Peak memory and time of `zipfit select` with and without --report.

A pool of ``--docs`` documents (the benchmark pool's code and prose, numbered
so none repeats) is written as JSON Lines; ``zipfit select -k K`` runs on it
in a fresh process per run, with and without ``--report``, against HumanEval
targets (from the peers' venv when present).  The report's data is
O(k + targets + fixed bins), so the difference in peak RSS should be the
matplotlib import and the drawing, not a function of the pool's size.
Usage::

    python benchmarks/bench_report.py [--docs 185000] [-k 1000] [--compressor lz4]
        [--repeats 3] [--keep-report DIR]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import _common  # noqa: E402

CHILD = _common.PEAK_RSS + r"""
import resource, sys, time
from zipfit import cli
t0 = time.perf_counter()
rc = cli.main(sys.argv[1:])
secs = time.perf_counter() - t0
rss = peak_rss_mib()
print(rc, secs, rss)
"""


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--docs", type=int, default=185_000)
    ap.add_argument("-k", type=int, default=1000)
    ap.add_argument("--compressor", default="lz4")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--keep-report", metavar="DIR", help="copy the last report here")
    args = ap.parse_args()

    base = _common.source_pool()
    peers = os.path.join(HERE, ".peers", "bin", "python")
    targets, note = _common.humaneval_targets([peers] if os.path.exists(peers) else [])
    with tempfile.TemporaryDirectory() as d:
        src, tgt = os.path.join(d, "pool.jsonl"), os.path.join(d, "targets.jsonl")
        with open(src, "w", encoding="utf-8") as f:
            for i in range(args.docs):
                f.write(json.dumps({"text": f"{base[i % len(base)]}\n# {i}"}) + "\n")
        _common.write_jsonl(tgt, targets)
        print(f"{args.docs:,} documents ({os.path.getsize(src) / 2**20:.0f} MiB of JSON Lines) "
              f"x {len(targets)} targets ({note}), {args.compressor}, -k {args.k}")
        rows = {"without": [], "with": []}
        for _ in range(args.repeats):
            for mode in ("without", "with"):
                argv = ["select", src, "-t", tgt, "-c", args.compressor, "-k", str(args.k),
                        "-q", "-o", os.path.join(d, "o.jsonl")]
                if mode == "with":
                    argv += ["--report", os.path.join(d, "report.html")]
                r = subprocess.run([sys.executable, "-c", CHILD, *argv], check=True,
                                   capture_output=True, text=True)
                rc, secs, mib = r.stdout.split()
                assert rc == "0", r.stderr
                rows[mode].append((float(secs), float(mib)))
        if args.keep_report:
            shutil.copy(os.path.join(d, "report.html"), args.keep_report)
    print("\n| --report | median s | median peak RSS (MiB) |\n|---|---:|---:|")
    for mode, runs in rows.items():
        print(f"| {mode} | {statistics.median(s for s, _ in runs):.1f} | "
              f"{statistics.median(m for _, m in runs):.0f} |")
    print()
    print(_common.machine_markdown(_common.machine_info()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
