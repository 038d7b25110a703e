"""Check zipfit's scores against the official zip-fit package (issue 2).

Builds a fresh data set (seeded; not the tests' corpus), runs the official
``zip_fit.ZIPFIT`` in its own environment and zipfit here on the same
files, and compares:

* ``zipfit.alignment`` vs the official per-source scores, gzip levels 1, 6, 9
  (max absolute difference; must be <= 1e-12),
* ``zipfit.compat.ZIPFIT(...).run()`` output vs the official ``run()`` output
  (must be byte-identical files).

Usage::

    python benchmarks/check_core_official.py --official-python /path/to/venv/bin/python
        [--sources 600] [--targets 24] [--seed 7]

The official package needs its own environment (it imports ``datasets``):
``python -m venv /tmp/offenv && /tmp/offenv/bin/pip install zip-fit==1.0.9 zstandard brotli``.
"""
from __future__ import annotations

import argparse
import contextlib
import io
import json
import pathlib
import random
import subprocess
import sys
import sysconfig
import tempfile

import numpy as np

import zipfit
from zipfit.compat import ZIPFIT

OFFICIAL_SCRIPT = r"""
import json, sys
from zip_fit import ZIPFIT
src, tgt, level, out_scores, out_run, k = sys.argv[1:7]
z = ZIPFIT(src, tgt, k=int(k), compress_level=int(level), output_file=out_run)
sources = z.load_jsonl(src); targets = z.load_jsonl(tgt)
z.k = len(sources)  # every source's score, best first
ranked = z.rank_sequences_by_alignment(sources, targets)
pos = {}
for i, s in enumerate(sources):
    pos.setdefault(s, []).append(i)  # duplicates: in order of appearance
json.dump([[pos[t].pop(0), float(s)] for t, s in ranked], open(out_scores, "w"))
z.k = int(k)
z.run()
"""


def make_data(n_sources: int, n_targets: int, seed: int):
    """Code and prose from stdlib *packages* (the tests use top-level modules)."""
    rng = random.Random(seed)
    root = pathlib.Path(sysconfig.get_paths()["stdlib"])
    files = sorted(p for p in root.glob("*/*.py") if "test" not in p.parts)
    rng.shuffle(files)
    blocks = []
    for f in files[:300]:
        text = f.read_text(encoding="utf-8", errors="replace")
        for b in text.split("\n\n"):
            if 200 <= len(b) <= 1500:
                blocks.append(b)
    rng.shuffle(blocks)
    # add non-ASCII prose and exact duplicates (ties) to the sources
    extra = ["Ünïcödé prose — “quotes”, 日本語のテキスト, emoji ✓ " * 4,
             "\x00binary-ish\x00 text with NULs\x00"]
    sources = blocks[:n_sources - 4] + extra + blocks[:2]
    targets = [b for b in blocks[n_sources:] if "def " in b][:n_targets]
    return sources, targets


def write_jsonl(path, texts):
    with open(path, "w") as f:
        for t in texts:
            f.write(json.dumps({"text": t}) + "\n")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--official-python", required=True)
    ap.add_argument("--sources", type=int, default=600)
    ap.add_argument("--targets", type=int, default=24)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("-k", type=int, default=50)
    args = ap.parse_args()

    sources, targets = make_data(args.sources, args.targets, args.seed)
    ok = True
    with tempfile.TemporaryDirectory() as d:
        d = pathlib.Path(d)
        src, tgt = d / "sources.jsonl", d / "targets.jsonl"
        write_jsonl(src, sources)
        write_jsonl(tgt, targets)
        print(f"{len(sources)} sources x {len(targets)} targets, seed {args.seed}, "
              f"zlib {zipfit.zlib_version()}")
        for level in (1, 6, 9):
            off_scores, off_run, our_run = d / f"o{level}.json", d / f"or{level}", d / f"zr{level}"
            subprocess.run([args.official_python, "-c", OFFICIAL_SCRIPT, str(src), str(tgt),
                            str(level), str(off_scores), str(off_run), str(args.k)],
                           check=True, stdout=subprocess.DEVNULL)
            official = json.load(open(off_scores))
            ours = zipfit.alignment(sources, targets, compressor="gzip", level=level,
                                    workers=-1)
            idx = np.array([i for i, _ in official])
            diff = np.max(np.abs(ours[idx] - np.array([s for _, s in official])))
            with contextlib.redirect_stdout(io.StringIO()):
                ZIPFIT(str(src), str(tgt), k=args.k, compress_level=level,
                       output_file=str(our_run)).run()
            same_file = off_run.read_bytes() == our_run.read_bytes()
            top = zipfit.ZipFit(targets, level=level).select(sources, args.k).indices
            same_top = top.tolist() == idx[:args.k].tolist()
            print(f"gzip level {level}: max |score diff| = {diff:.3g} over {len(idx)} "
                  f"sources; compat run() output identical: {same_file}; "
                  f"ZipFit.select top-{args.k} identical: {same_top}")
            ok &= diff <= 1e-12 and same_file and same_top
    print("OK" if ok else "MISMATCH")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
