"""zipfit's engines by document length: source length x target length x compressor.

For each cell, sources and targets of the given lengths (texts of the
benchmark pool glued together and cut to length; "HumanEval" are the real
HumanEval problems, all 164, about 0.6 KB each) are paired on one thread by

* zipfit's engine (``ZipFit(targets, workers=1).cdist(sources)``), and
* the baseline: the system zlib compressing every concatenation
  (``engine="zlib"``) for gzip, a plain ``lz4.frame.compress`` loop for lz4,

alternating, medians of ``--repeats`` runs; every NCD of the two is
checked equal.  The ratio is the baseline's time over zipfit's.  Targets
are prepared once per cell, as a job does for all its sources; that
one-time cost (``ZipFit(targets)``: target states, their sizes) is shown
per target in its own column and is not in the pair times.  Usage::

    python benchmarks/bench_by_length.py [--repeats 3] [--seconds 1.0] [--quick]
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from typing import List, Optional

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import _common  # noqa: E402

import zipfit  # noqa: E402

KB = 1024


def texts_of_length(n: int, length: int, offset: int) -> List[str]:
    """``n`` texts of about ``length`` bytes: pool texts glued and cut."""
    pool = _common.source_pool()
    out, i = [], offset
    while len(out) < n:
        parts, size = [], 0
        while size < length:
            t = pool[i % len(pool)]
            parts.append(t)
            size += len(t.encode("utf-8")) + 2
            i += 1
        out.append("\n\n".join(parts).encode("utf-8")[:length].decode("utf-8", "ignore"))
    return out


def lz4_loop(sources: List[str], targets: List[str], level: int) -> np.ndarray:
    import lz4.frame
    size = lambda b: len(lz4.frame.compress(b, compression_level=level))  # noqa: E731
    src = [s.encode("utf-8") for s in sources]
    tgt = [t.encode("utf-8") for t in targets]
    cs, ct = [size(s) for s in src], [size(t) for t in tgt]
    out = np.empty((len(src), len(tgt)))
    for i, s in enumerate(src):
        for j, t in enumerate(tgt):
            out[i, j] = (size(s + t) - min(cs[i], ct[j])) / max(cs[i], ct[j])
    return out


def timed(fn) -> tuple:
    t0 = time.perf_counter()
    r = fn()
    return time.perf_counter() - t0, r


def cell(compressor: str, level: int, src_len: Optional[int], tgt_len: Optional[int],
         humaneval: List[str], seconds: float, repeats: int) -> dict:
    tgts = humaneval if tgt_len is None else texts_of_length(8, tgt_len, 5000)
    probe = texts_of_length(2, src_len or 400, 0)
    t0 = time.perf_counter()
    ours = zipfit.ZipFit(tgts, compressor=compressor, level=level, workers=1)
    prep = time.perf_counter() - t0
    if compressor == "lz4":
        base = lambda s: lz4_loop(s, tgts, level)  # noqa: E731
    else:
        zb = zipfit.ZipFit(tgts, compressor=compressor, level=level, workers=1, engine="zlib")
        base = zb.cdist
    # size the cell so the baseline takes about `seconds`
    secs, _ = timed(lambda: base(probe))
    per_pair = secs / (len(probe) * len(tgts))
    n_src = max(2, min(2000, int(seconds / (per_pair * len(tgts)))))
    sources = texts_of_length(n_src, src_len or 400, 0)
    ours_t, base_t = [], []
    for _ in range(repeats):
        t, a = timed(lambda: ours.cdist(sources))
        ours_t.append(t)
        t, b = timed(lambda: base(sources))
        base_t.append(t)
        if not np.array_equal(a, b):
            raise SystemExit(f"MISMATCH {compressor} {level} {src_len} {tgt_len}")
    pairs = len(sources) * len(tgts)
    o, b = statistics.median(ours_t), statistics.median(base_t)
    return {"pairs": pairs, "ours_us": o / pairs * 1e6, "base_us": b / pairs * 1e6,
            "ratio": b / o, "prep_ms": prep / len(tgts) * 1e3}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=1.0, help="baseline time per cell")
    ap.add_argument("--quick", action="store_true", help="fewer cells")
    args = ap.parse_args()
    peers = os.path.join(HERE, ".peers", "bin", "python")
    humaneval, note = _common.humaneval_targets([peers] if os.path.exists(peers) else [])
    lengths = [(400, None), (8 * KB, None), (20 * KB, None), (40 * KB, None), (60 * KB, None),
               (400, 16 * KB), (400, 32 * KB), (400, 48 * KB), (400, 64 * KB)]
    if args.quick:
        lengths = [(400, None), (8 * KB, None), (400, 16 * KB)]
    runs = [("gzip", 9), ("gzip", 6), ("gzip", 1), ("lz4", 0)]
    print(f"one thread; targets: {note[:60]}...; every NCD checked equal to the baseline's\n")
    print("| compressor | sources | targets | pairs | zipfit µs/pair | baseline µs/pair "
          "| ratio | target prep ms |\n|---|---|---|---:|---:|---:|---:|---:|")
    for compressor, level in runs:
        for src_len, tgt_len in lengths:
            r = cell(compressor, level, src_len, tgt_len, humaneval, args.seconds, args.repeats)
            tl = f"HumanEval ({len(humaneval)})" if tgt_len is None else f"{tgt_len / KB:.3g} KiB (8)"
            print(f"| {compressor} {level} | {src_len / 1000:.1f} KB | {tl} | {r['pairs']:,} | "
                  f"{r['ours_us']:.1f} | {r['base_us']:.1f} | {r['ratio']:.2f}× | "
                  f"{r['prep_ms']:.2f} |", flush=True)
    print()
    print(_common.machine_markdown(_common.machine_info()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
