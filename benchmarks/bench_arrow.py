"""Arrow in, no Python strings: time and peak memory against the list path.

The pool (``--docs`` documents of 0.3-1 KB: the benchmark pool's code and
prose, numbered so none repeats) is written once to an Arrow file.  Each
mode then runs in a fresh process, so its peak RSS is its own:

* ``list``:  the column read as a Python list of str, ``zipfit.alignment(list)``;
* ``arrow``: the column memory-mapped as a pyarrow ChunkedArray,
  ``zipfit.alignment(array)`` (the engine reads the Arrow buffers in place);
* ``hf``:    ``zipfit.hf.select(Dataset.from_file(...), k=1000)``.

Scores of the list and Arrow modes are checked bit for bit.  Usage::

    python benchmarks/bench_arrow.py [--docs 185000] [--targets 16] [--repeats 3]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import _common  # noqa: E402

CHILD = _common.PEAK_RSS + r"""
import json, resource, sys, time
import numpy as np
mode, path, targets_path, out = sys.argv[1:5]
import pyarrow as pa, zipfit
targets = json.load(open(targets_path))
t0 = time.perf_counter()
if mode == "hf":
    import datasets, zipfit.hf
    ds = datasets.Dataset.from_file(path)
    sel = zipfit.hf.select(ds, targets, k=1000, level=6)
    result = sel["zipfit_index"][:5]
else:
    with pa.memory_map(path) as src:
        column = pa.ipc.open_stream(src).read_all().column("text")
    texts = column.to_pylist() if mode == "list" else column
    del column
    scores = zipfit.alignment(texts, targets, level=6)
    np.save(out, scores)
    result = None
secs = time.perf_counter() - t0
rss = peak_rss_mib()
print(json.dumps({"seconds": secs, "peak_mib": rss, "result": result}))
"""


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--docs", type=int, default=185_000)
    ap.add_argument("--targets", type=int, default=16)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()

    import numpy as np
    import pyarrow as pa

    base = _common.source_pool()
    texts = [f"{base[i % len(base)]}\n# {i}" for i in range(args.docs)]
    peers = os.path.join(HERE, ".peers", "bin", "python")
    targets, note = _common.humaneval_targets([peers] if os.path.exists(peers) else [])
    targets = targets[:args.targets]
    info = _common.machine_info()
    print(f"{args.docs:,} documents ({sum(map(len, texts)) / 2**20:.0f} MiB) x "
          f"{len(targets)} targets ({note}), gzip level 6")
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "pool.arrow")
        table = pa.table({"text": texts})
        with pa.OSFile(path, "wb") as sink, pa.ipc.new_stream(sink, table.schema) as w:
            w.write_table(table, max_chunksize=10_000)
        del table, texts
        tpath = os.path.join(d, "targets.json")
        json.dump(targets, open(tpath, "w"))
        rows = {}
        for _ in range(args.repeats):
            for mode in ("list", "arrow", "hf"):
                out = os.path.join(d, f"{mode}.npy")
                r = subprocess.run([sys.executable, "-c", CHILD, mode, path, tpath, out],
                                   check=True, capture_output=True, text=True)
                rows.setdefault(mode, []).append(json.loads(r.stdout.strip().splitlines()[-1]))
        same = np.array_equal(np.load(os.path.join(d, "list.npy")),
                              np.load(os.path.join(d, "arrow.npy")))
    base_t = statistics.median(r["seconds"] for r in rows["list"])
    print("\n| input | median s | peak RSS (MiB) | × list time |\n|---|---:|---:|---:|")
    for mode, label in (("list", "Python list of str"), ("arrow", "pyarrow ChunkedArray"),
                        ("hf", "zipfit.hf.select(Dataset), k=1000")):
        t = statistics.median(r["seconds"] for r in rows[mode])
        m = statistics.median(r["peak_mib"] for r in rows[mode])
        print(f"| {label} | {t:.2f} | {m:.0f} | {base_t / t:.2f}× |")
    print(f"\nscores bit-identical (list vs Arrow): {same}")
    print(_common.machine_markdown(info))
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
