#!/usr/bin/env python3
"""Check: `zipfit select` writes exactly the official zip-fit package's top-k.

Makes a fresh source pool and target set with examples/make_data.py (a new
random seed each run unless --seed is given, so the data is unseen), then

1. runs the command line:
   zipfit select SRC --target TGT -k 50 --compressor gzip --level 6 -o OUT --quiet
2. runs the official package (zip-fit 1.0.9, ``from zip_fit import ZIPFIT``) in
   its own environment on the same files: ``rank_sequences_by_alignment``
   returns (text, score) best first;
3. compares: the same texts in the same order, and every ``zipfit_score``
   equal (==, bit for bit) to the official score.

    python benchmarks/check_cli_official.py                      # random seed
    python benchmarks/check_cli_official.py --seed 7 --n-sources 2000 -k 50
    OFFICIAL_PYTHON=/path/to/venv/bin/python python benchmarks/check_cli_official.py

Exit status 0 when identical, 1 otherwise.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

OFFICIAL = r"""
import json, sys
from zip_fit import ZIPFIT
src, tgt, k, level, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
z = ZIPFIT(src, tgt, k=k, compression_algorithm="gzip", compress_level=level, output_file=out)
sources = z.load_jsonl(src)
targets = z.load_jsonl(tgt)
top = z.rank_sequences_by_alignment(sources, targets)
with open(out, "w") as f:
    json.dump([[text, float(score)] for text, score in top], f)
"""


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seed", type=int, default=None, help="data seed (default: random)")
    p.add_argument("--n-sources", type=int, default=2000)
    p.add_argument("--n-targets", type=int, default=16)
    p.add_argument("-k", type=int, default=50)
    p.add_argument("--level", type=int, default=6)
    p.add_argument("--official-python",
                   default=os.environ.get("OFFICIAL_PYTHON", "/tmp/offenv/bin/python"))
    p.add_argument("--keep", action="store_true", help="keep the work directory")
    args = p.parse_args()
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(10**9)
    work = tempfile.mkdtemp(prefix="zipfit-check-")
    try:
        subprocess.run([sys.executable, os.path.join(ROOT, "examples", "make_data.py"),
                        "--seed", str(seed), "--n-sources", str(args.n_sources),
                        "--n-targets", str(args.n_targets), "--target-text",
                        "--out-dir", work], check=True, stderr=subprocess.DEVNULL)
        src = os.path.join(work, "sources.jsonl")
        tgt = os.path.join(work, "targets.jsonl")
        out = os.path.join(work, "selected.jsonl")
        exe = shutil.which("zipfit")
        cmd = ([exe] if exe else [sys.executable, "-m", "zipfit.cli"]) + [
            "select", src, "--target", tgt, "-k", str(args.k), "--compressor", "gzip",
            "--level", str(args.level), "-o", out, "--quiet"]
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True)
        t_cli = time.perf_counter() - t0
        ref_path = os.path.join(work, "official.json")
        t0 = time.perf_counter()
        subprocess.run([args.official_python, "-c", OFFICIAL, src, tgt, str(args.k),
                        str(args.level), ref_path], check=True, stdout=subprocess.DEVNULL)
        t_off = time.perf_counter() - t0
        with open(ref_path) as f:
            ref = json.load(f)
        with open(out, encoding="utf-8") as f:
            got = [json.loads(line) for line in f]
        print(f"seed {seed}: {args.n_sources} sources x {args.n_targets} targets, "
              f"gzip level {args.level}, k={args.k}")
        print(f"  zipfit CLI {t_cli:.2f} s, official package {t_off:.2f} s")
        print("  command: " + " ".join(["zipfit"] + cmd[cmd.index("select"):]))
        problems = []
        if len(got) != len(ref):
            problems.append(f"{len(got)} records written, official top-{args.k} has {len(ref)}")
        for i, (g, (text, score)) in enumerate(zip(got, ref)):
            if g["text"] != text:
                # equal scores may legitimately come in another order
                same = [j for j, (_, s) in enumerate(ref) if s == g["zipfit_score"]]
                if not any(ref[j][0] == g["text"] for j in same):
                    problems.append(f"rank {i}: different document")
            if g["zipfit_score"] != score:
                problems.append(f"rank {i}: zipfit_score {g['zipfit_score']!r} != "
                                f"official {score!r}")
        ties = len(ref) - len({s for _, s in ref})
        if problems:
            print("  DIFFERENT:")
            for msg in problems[:20]:
                print("   ", msg)
            return 1
        print(f"  IDENTICAL: same {len(got)} documents in the same order, all "
              f"{len(got)} zipfit_score values == official scores "
              f"(bit-exact; {ties} tied scores in the top-{args.k})")
        return 0
    finally:
        if args.keep:
            print(f"  files kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
