"""The memory budget per target set, at and past its cap, measured in memory.

For each budget, a fresh process builds one target set (``--targets``
texts of ``--length`` bytes of the benchmark pool) with
``zipfit._core.Targets(..., memory_budget=B)``, reads its RSS (VmRSS)
before and after, and pairs 20 sources of 600 bytes against the set; the
parent checks that every budget gives the same pair sizes.  Usage::

    python benchmarks/bench_budget.py [--engine deflate] [--level 9]
        [--targets 2000] [--length 3000] [--budgets 268435456,67108864,0]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import _common  # noqa: E402

CHILD = r"""
import json, sys, time
sys.path.insert(0, sys.argv[1])
import numpy as np
from zipfit import _core
from bench_by_length import texts_of_length

def rss_mib():
    with open("/proc/self/status") as f:
        return next(int(l.split()[1]) for l in f if l.startswith("VmRSS:")) / 1024

engine, level, n, length, budget = sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
targets = [t.encode() for t in texts_of_length(n, length, 5000)]
sources = [s.encode() for s in texts_of_length(20, 600, 0)]
wrapper = 2 if engine == "deflate" else 0
before = rss_mib()
t0 = time.perf_counter()
T = _core.Targets(targets, engine=engine, level=level, wrapper=wrapper, memory_budget=budget)
build = time.perf_counter() - t0
after = rss_mib()
kw = dict(engine=engine, level=level, wrapper=wrapper, workers=1)
_, pairs = _core.ncd_matrix(sources, T, workers=1, row_sizes=_core.sizes(sources, **kw),
                            col_sizes=_core.sizes(targets, **kw), pair_sizes=True)
print(json.dumps({"prepared": T.prepared, "trimmed": getattr(T, "trimmed", 0),
                  "state_bytes": T.state_bytes, "rss_growth": after - before,
                  "build": build, "ncd": np.asarray(pairs).tolist()}))
"""


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--engine", default="deflate", choices=["deflate", "lz4"])
    ap.add_argument("--level", type=int, default=9)
    ap.add_argument("--targets", type=int, default=2000)
    ap.add_argument("--length", type=int, default=3000)
    ap.add_argument("--budgets", default="268435456,67108864,0")
    args = ap.parse_args()
    rows, first = [], None
    for budget in (int(b) for b in args.budgets.split(",")):
        out = subprocess.run([sys.executable, "-c", CHILD, HERE, args.engine, str(args.level),
                              str(args.targets), str(args.length), str(budget)],
                             check=True, capture_output=True, text=True).stdout
        r = json.loads(out)
        if first is None:
            first = r["ncd"]
        elif r["ncd"] != first:
            raise SystemExit(f"MISMATCH: pair sizes differ at budget {budget}")
        rows.append((budget, r))
    print(f"{args.engine} level {args.level}, {args.targets} targets of {args.length} bytes; "
          "the pair sizes of 20 sources were the same at every budget\n")
    print("| budget | states: whole / trimmed / none | state bytes | RSS growth | build |\n"
          "|---|---|---|---|---|")
    for budget, r in rows:
        none = args.targets - r["prepared"] - r["trimmed"]
        print(f"| {budget / 2**20:.0f} MiB | {r['prepared']} / {r['trimmed']} / {none} | "
              f"{r['state_bytes'] / 2**20:.1f} MiB | {r['rss_growth']:.1f} MiB | {r['build']:.2f} s |")
    print()
    print(_common.machine_markdown(_common.machine_info()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
