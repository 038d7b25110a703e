"""Check: zipfit.dask on a 2-process LocalCluster == local zipfit, exactly.

Generates a fresh pool of documents (seeded, reproducible with --seed),
scores it and selects from it on a real ``distributed.LocalCluster`` with two
worker processes, and compares with local ``zipfit.alignment`` and
``ZipFit.select`` using ``np.array_equal``.  Exit status 0 only if every
comparison is identical.

    python benchmarks/check_dask.py                 # a new random seed
    python benchmarks/check_dask.py --seed 1234 --docs 5000 --partitions 16
"""
from __future__ import annotations

import argparse
import random
import sys
import time

import numpy as np


def make_pool(seed: int, n_docs: int, n_targets: int):
    """Synthetic code/prose/mixed documents with duplicates, empties and non-ASCII."""
    rng = random.Random(seed)
    code_words = ("def return self import class for while if else elif lambda yield "
                  "try except with as pass None True False print len range dict list "
                  "x y i n a b s k v = == += ( ) : [ ] { } , . -> 0 1 2").split()
    prose_words = ("the of and to in is that it was for on are with as his they be at "
                   "one have this from or had by word but what some we can out other "
                   "were all there when up use your how said an each she which do "
                   "théorème naïve façade 数学 証明 Ελλάδα λόγος ∑ ∫ ✓").split()

    def doc(kind: str) -> str:
        if kind == "code":
            lines = []
            for _ in range(rng.randint(1, 12)):
                indent = "    " * rng.randint(0, 3)
                lines.append(indent + " ".join(rng.choice(code_words)
                                               for _ in range(rng.randint(1, 10))))
            return "\n".join(lines)
        if kind == "prose":
            return " ".join(rng.choice(prose_words) for _ in range(rng.randint(3, 120)))
        return doc("prose") + "\n```\n" + doc("code") + "\n```"

    kinds = ["code", "prose", "mixed"]
    docs = [doc(rng.choice(kinds)) for _ in range(n_docs)]
    for _ in range(n_docs // 20):               # exact duplicates -> tied scores
        docs[rng.randrange(n_docs)] = docs[rng.randrange(n_docs)]
    for _ in range(3):
        docs[rng.randrange(n_docs)] = ""
    docs[rng.randrange(n_docs)] = "\x00" * 7 + "nul"
    targets = [doc("code") for _ in range(n_targets)]
    return docs, targets


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=None, help="default: a new random seed")
    ap.add_argument("--docs", type=int, default=3000)
    ap.add_argument("--targets", type=int, default=16)
    ap.add_argument("--partitions", type=int, default=12)
    ap.add_argument("-k", type=int, default=50)
    ap.add_argument("--budget-tokens", type=int, default=5000)
    args = ap.parse_args(argv)
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2**31)

    import dask.dataframe as dd
    import pandas as pd
    from distributed import Client, LocalCluster

    import zipfit
    import zipfit.dask as zd

    docs, targets = make_pool(seed, args.docs, args.targets)
    print(f"seed={seed} docs={len(docs)} targets={len(targets)} "
          f"partitions={args.partitions} k={args.k} budget_tokens={args.budget_tokens}")
    pdf = pd.DataFrame({"text": docs, "id": np.arange(len(docs))})
    ddf = dd.from_pandas(pdf, npartitions=args.partitions, sort=False)
    # drop a whole partition's worth of rows in the middle -> an empty partition
    lo, hi = len(docs) // 3, len(docs) // 3 + len(docs) // args.partitions + 1
    ddf = ddf[(ddf.id < lo) | (ddf.id >= hi)]
    kept = [d for i, d in enumerate(docs) if not lo <= i < hi]

    t = time.perf_counter()
    local = zipfit.alignment(kept, targets, workers=1)
    zf = zipfit.ZipFit(targets, workers=1)
    local_top = zf.select(kept, args.k)
    ranked = zf.select(kept, len(kept))
    costs = np.array([len(kept[i].split()) for i in ranked.indices])
    m = int(np.searchsorted(np.cumsum(costs), args.budget_tokens, side="right"))
    local_budget = ranked.indices[:m]
    t_local = time.perf_counter() - t

    ok = True
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        t = time.perf_counter()
        scores = zd.score(ddf, targets).compute().to_numpy()
        top = zd.select(ddf, targets, args.k)
        budget = zd.select(ddf, targets, budget_tokens=args.budget_tokens)
        t_dask = time.perf_counter() - t
        builds = client.run(zd._build_counts)
        nparts = ddf.map_partitions(len).compute().tolist()

    checks = [
        ("scores == zipfit.alignment", np.array_equal(scores, local)),
        (f"top-{args.k} indices", np.array_equal(top.zipfit_index.to_numpy(),
                                                 local_top.indices)),
        (f"top-{args.k} scores", np.array_equal(top.zipfit_score.to_numpy(),
                                                local_top.scores)),
        (f"top-{args.k} rows", top.text.tolist() == [kept[i] for i in local_top.indices]),
        (f"budget {args.budget_tokens} tokens indices",
         np.array_equal(budget.zipfit_index.to_numpy(), local_budget)),
    ]
    ties = len(local) - len(np.unique(local))
    print(f"partition sizes: {nparts}")
    print(f"tied scores in the pool: {ties}; selected by budget: {len(local_budget)}")
    print(f"target builds per worker process: "
          f"{ {w: sorted(c.values()) for w, c in builds.items()} }")
    for name, good in checks:
        print(f"  {'OK  ' if good else 'FAIL'} {name}")
        ok &= bool(good)
    print(f"local {t_local:.2f}s, dask (2 processes, incl. graph/transfer) {t_dask:.2f}s")
    print("IDENTICAL" if ok else "MISMATCH")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
