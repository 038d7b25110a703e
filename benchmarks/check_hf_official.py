"""zipfit's Hugging Face and Arrow paths against the official zip-fit package.

A real data set -- the benchmark pool (code and prose of Python's standard
library, 0.3-1 KB) as sources, HumanEval (prompt + canonical solution) as
targets -- is ranked by the official ``ZIPFIT.rank_sequences_by_alignment``
in its own environment, and by zipfit through:

* ``zipfit.hf.select`` on a ``datasets.Dataset`` and on a 3-shard
  ``IterableDataset``;
* ``zipfit.hf.score`` (the Dataset ordered by its new column);
* ``zipfit select`` on the ``save_to_disk`` directory and on its ``.arrow`` file;
* ``zipfit.alignment`` on a pyarrow array.

Each top-k must equal the official top-k (same documents, same order) and
the scores must agree (max |diff| printed; the official package sums in its
own order, so the last bit may differ).  Usage::

    bash benchmarks/make_peers_env.sh
    python benchmarks/check_hf_official.py --official-python benchmarks/.peers/bin/python \\
        [--sources 2000] [-k 50] [--level 9]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import _common  # noqa: E402

OFFICIAL = r"""
import json, sys
from zip_fit import ZIPFIT
src, tgt, level, out = sys.argv[1:5]
z = ZIPFIT(src, tgt, k=1, compress_level=int(level))
sources = z.load_jsonl(src); targets = z.load_jsonl(tgt)
z.k = len(sources)
ranked = z.rank_sequences_by_alignment(sources, targets)
pos = {s: i for i, s in enumerate(sources)}
json.dump([[pos[t], float(s)] for t, s in ranked], open(out, "w"))
"""


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--official-python", required=True)
    ap.add_argument("--sources", type=int, default=2000)
    ap.add_argument("-k", type=int, default=50)
    ap.add_argument("--level", type=int, default=9)
    args = ap.parse_args()

    import datasets
    import pyarrow as pa

    import zipfit
    import zipfit.hf
    from zipfit import cli

    sources = _common.source_pool(args.sources)
    targets, note = _common.humaneval_targets([args.official_python])
    k, level = args.k, args.level
    print(f"{len(sources)} sources (benchmark pool) x {len(targets)} targets ({note}), "
          f"gzip level {level}, top-{k}")
    ok = True
    with tempfile.TemporaryDirectory() as d:
        src, tgt, off = (os.path.join(d, n) for n in ("s.jsonl", "t.jsonl", "off.json"))
        _common.write_jsonl(src, sources)
        _common.write_jsonl(tgt, targets)
        subprocess.run([args.official_python, "-c", OFFICIAL, src, tgt, str(level), off],
                       check=True, stdout=subprocess.DEVNULL)
        official = json.load(open(off))
        want_idx = [i for i, _ in official[:k]]
        want_scores = np.array([s for _, s in official[:k]])

        ds = datasets.Dataset.from_dict({"text": sources, "id": list(range(len(sources)))})
        saved = os.path.join(d, "pool")
        ds.save_to_disk(saved)
        arrow = next(os.path.join(saved, f) for f in sorted(os.listdir(saved))
                     if f.endswith(".arrow"))
        results = {}
        sel = zipfit.hf.select(ds, targets, k=k, level=level)
        results["zipfit.hf.select(Dataset)"] = (sel["zipfit_index"], sel["zipfit_score"])
        sel = zipfit.hf.select(ds.to_iterable_dataset(num_shards=3), targets, k=k, level=level)
        results["zipfit.hf.select(IterableDataset, 3 shards)"] = (sel["zipfit_index"],
                                                                  sel["zipfit_score"])
        scored = zipfit.hf.score(ds, targets, level=level)
        s = np.array(scored["zipfit_score"])
        order = sorted(range(len(s)), key=lambda i: (-s[i], i))[:k]
        results["zipfit.hf.score(Dataset)"] = (order, s[order].tolist())
        for name, path in (("zipfit select DIR (save_to_disk)", saved),
                           ("zipfit select FILE.arrow", arrow)):
            out = os.path.join(d, "o.jsonl")
            assert cli.main(["select", path, "-t", tgt, "-k", str(k), "-l", str(level),
                             "-q", "-o", out]) == 0
            rows = [json.loads(line) for line in open(out)]
            results[name] = ([r["zipfit_index"] for r in rows], [r["zipfit_score"] for r in rows])
        s = zipfit.alignment(pa.array(sources), targets, level=level)
        order = sorted(range(len(s)), key=lambda i: (-s[i], i))[:k]
        results["zipfit.alignment(pyarrow array)"] = (order, s[order].tolist())
        print("\n| zipfit path | top-k equal to official | max abs score diff |\n|---|---|---:|")
        for name, (idx, scores) in results.items():
            same = list(idx) == want_idx
            diff = float(np.max(np.abs(np.array(scores) - want_scores)))
            ok &= same and diff <= 1e-12
            print(f"| {name} | {same} | {diff:.3g} |")
    print("\nOK" if ok else "\nMISMATCH")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
