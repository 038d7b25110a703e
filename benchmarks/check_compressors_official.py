"""zipfit vs the official zip-fit package for lz4, zstd, brotli and lzma (issue 4).

Exactness (always): a fresh seeded data set (code and prose from the
standard library's *packages*, which the tests do not use, plus non-ASCII,
NUL and >64 KiB / >128 KiB sources) is scored by the official
``ZIPFIT.rank_sequences_by_alignment`` in its own interpreter and by
``zipfit.alignment`` here, for

* lz4 at compress_level 0, zstd at compress_level 3 -- the official package
  passes the level to these;
* brotli and lzma with ``level=None`` -- the official package ignores its
  level for these (we hand it 0 to show that).

Every text's compressed size (the official ``ZIPFIT.compress``) must equal
``zipfit.compressed_size``, and every source's score must agree to 1e-12
(the official package averages in ``imap_unordered`` order, so the last bit
may differ); bit-identical scores are counted too.

Speed (``--speed``): the official lz4 ranking (``compression_algorithm='lz4',
compress_level=0``, its own pool over all CPUs) against
``zipfit.alignment(..., compressor="lz4", level=0, workers=2)`` on the same
sources (the benchmark pool, 0.3-1 KB) and targets (HumanEval), wall clock,
median of ``--repeats`` runs each, alternating.  Run it on a quiet machine:
the load average is printed before and after.

Usage::

    python benchmarks/check_compressors_official.py --official-python /tmp/offenv/bin/python
    python benchmarks/check_compressors_official.py --official-python /tmp/offenv/bin/python \\
        --skip-exact --speed --speed-sources 2000 --repeats 5
    python benchmarks/check_compressors_official.py --official-python /tmp/offenv/bin/python \\
        --skip-exact --speed --speed-sources 1000 --speed-join 4 --repeats 5   # ~2 KB sources
"""
from __future__ import annotations

import argparse
import json
import os
import pathlib
import random
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import _common  # noqa: E402

import zipfit  # noqa: E402

OFFICIAL_EXACT = r"""
import json, sys
from zip_fit import ZIPFIT
src, tgt, alg, level, out = sys.argv[1:6]
z = ZIPFIT(src, tgt, k=1, compression_algorithm=alg, compress_level=int(level))
sources = z.load_jsonl(src); targets = z.load_jsonl(tgt)
z.k = len(sources)
ranked = z.rank_sequences_by_alignment(sources, targets)
pos = {}
for i, s in enumerate(sources):
    pos.setdefault(s, []).append(i)
scores = [[pos[t].pop(0), float(s)] for t, s in ranked]
sizes = [z.compress(t) for t in sources + targets]
json.dump({"scores": scores, "sizes": sizes}, open(out, "w"))
"""

OFFICIAL_SPEED = r"""
import json, sys, time
from zip_fit import ZIPFIT
src, tgt, out = sys.argv[1:4]
z0 = ZIPFIT(src, tgt, k=10, compression_algorithm="lz4", compress_level=0)
sources = z0.load_jsonl(src); targets = z0.load_jsonl(tgt)
z = ZIPFIT(src, tgt, k=10, compression_algorithm="lz4", compress_level=0)  # empty cache
t0 = time.perf_counter()
top = z.rank_sequences_by_alignment(sources, targets)
dt = time.perf_counter() - t0
json.dump({"seconds": dt, "top": [s for s, _ in top]}, open(out, "w"))
"""

#: (compressor, level handed to the official package, level for zipfit)
CASES = [("lz4", 0, 0), ("zstd", 3, 3), ("brotli", 0, None), ("lzma", 0, None)]


def make_data(n_sources: int, n_targets: int, seed: int):
    rng = random.Random(seed)
    root = pathlib.Path(sysconfig.get_paths()["stdlib"])
    files = sorted(p for p in root.glob("*/*.py") if "test" not in str(p))
    rng.shuffle(files)
    blocks, whole = [], []
    for f in files[:400]:
        text = f.read_text(encoding="utf-8", errors="replace")
        whole.append(text)
        blocks += [b for b in text.split("\n\n") if 150 <= len(b) <= 2500]
    rng.shuffle(blocks)
    big = "\n".join(whole)
    extra = ["Ünïcödé prose — “quotes”, 日本語のテキスト, emoji ✓ " * 5,
             "\x00binary-ish\x00 text with NULs\x00" * 3,
             big[:70_000],            # one 64 KB block + a little
             big[100_000:240_000]]    # linked blocks, past 128 KiB
    sources = blocks[:n_sources - len(extra)] + extra
    targets = [b for b in blocks[n_sources:] if "def " in b][:n_targets]
    return sources, targets


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def check_exact(args, d: pathlib.Path) -> bool:
    sources, targets = make_data(args.sources, args.targets, args.seed)
    src, tgt = d / "sources.jsonl", d / "targets.jsonl"
    _common.write_jsonl(str(src), sources)
    _common.write_jsonl(str(tgt), targets)
    print(f"exactness: {len(sources)} sources x {len(targets)} targets (seed {args.seed}; "
          f"{sum(len(s.encode()) > 65536 for s in sources)} sources > 64 KiB)")
    ok = True
    for alg, off_level, our_level in CASES:
        out = d / f"{alg}.json"
        subprocess.run([args.official_python, "-c", OFFICIAL_EXACT, str(src), str(tgt), alg,
                        str(off_level), str(out)], check=True, stdout=subprocess.DEVNULL)
        off = json.load(open(out))
        ours_sizes = [zipfit.compressed_size(t, compressor=alg, level=our_level)
                      for t in sources + targets]
        same_sizes = sum(a == b for a, b in zip(ours_sizes, off["sizes"]))
        ours = zipfit.alignment(sources, targets, compressor=alg, level=our_level, workers=2)
        idx = np.array([i for i, _ in off["scores"]])
        theirs = np.array([s for _, s in off["scores"]])
        diff = float(np.max(np.abs(ours[idx] - theirs)))
        ident = int(np.sum(ours[idx] == theirs))
        top = zipfit.ZipFit(targets, compressor=alg, level=our_level).select(sources, 50)
        same_top = top.indices.tolist() == idx[:50].tolist()
        print(f"  {alg:6s} official level {off_level}, zipfit level {our_level}: "
              f"sizes equal {same_sizes}/{len(ours_sizes)}; scores max |diff| {diff:.3g}, "
              f"bit-identical {ident}/{len(idx)}; top-50 order identical: {same_top}")
        ok &= same_sizes == len(ours_sizes) and diff <= 1e-12 and len(idx) == len(sources)
    return ok


def check_speed(args, d: pathlib.Path) -> None:
    targets, note = _common.humaneval_targets([args.official_python])
    sources = _common.joined_sources(args.speed_sources, args.speed_join, seed=args.seed)
    src, tgt = d / "speed_sources.jsonl", d / "speed_targets.jsonl"
    _common.write_jsonl(str(src), sources)
    _common.write_jsonl(str(tgt), targets)
    pairs = len(sources) * len(targets)
    mean = sum(len(x.encode("utf-8")) for x in sources) / max(len(sources), 1)
    print(f"speed: lz4 level 0, {len(sources)} sources (mean {mean:.0f} B) x "
          f"{len(targets)} targets = {pairs} pairs; targets: {note}")
    print(f"  machine: {_common.cpu_model()}, {_common.usable_cores()} usable cores; "
          f"load before: {load()}")
    off_t, our_t = [], []
    for r in range(args.repeats):
        out = d / f"speed{r}.json"
        subprocess.run([args.official_python, "-c", OFFICIAL_SPEED, str(src), str(tgt),
                        str(out)], check=True, stdout=subprocess.DEVNULL)
        res = json.load(open(out))
        off_t.append(res["seconds"])
        t0 = time.perf_counter()
        scores = zipfit.alignment(sources, targets, compressor="lz4", level=0, workers=2)
        our_t.append(time.perf_counter() - t0)
    top = [int(i) for i in np.argsort(-scores, kind="stable")[:10]]
    same = [sources[i] for i in top] == res["top"]
    mo, mz = statistics.median(off_t), statistics.median(our_t)
    print(f"  official rank_sequences_by_alignment: median {mo:.3f} s "
          f"({pairs / mo:,.0f} pairs/s); runs {', '.join(f'{t:.3f}' for t in off_t)}")
    print(f"  zipfit.alignment workers=2:           median {mz:.3f} s "
          f"({pairs / mz:,.0f} pairs/s); runs {', '.join(f'{t:.3f}' for t in our_t)}")
    print(f"  speed-up (median/median): {mo / mz:.1f}x; same top-10: {same}; "
          f"load after: {load()}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--official-python", required=True)
    ap.add_argument("--sources", type=int, default=300)
    ap.add_argument("--targets", type=int, default=20)
    ap.add_argument("--seed", type=int, default=2024)
    ap.add_argument("--skip-exact", action="store_true")
    ap.add_argument("--speed", action="store_true")
    ap.add_argument("--speed-sources", type=int, default=2000)
    ap.add_argument("--speed-join", type=int, default=1,
                    help="make each speed source of this many pool texts (longer documents)")
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    ok = True
    with tempfile.TemporaryDirectory() as d:
        d = pathlib.Path(d)
        if not args.skip_exact:
            ok = check_exact(args, d)
            print("EXACT: OK" if ok else "EXACT: MISMATCH")
        if args.speed:
            check_speed(args, d)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
