"""Check the size-only deflate engine against gzip on fresh data (issue 3).

Every level 0-9: zipfit.cdist(engine="deflate") must equal NCDs computed from
``len(gzip.compress(..., mtime=0))`` bit for bit, on a data set drawn anew
each run (the seed is printed; ``--seed`` repeats it):

* code and prose from standard-library packages, and HumanEval-sized
  targets cut from other modules,
* binary sources: random bytes and slices of executables on this machine,
* long sources over 100 KiB (several blocks, window slides),
* sources that share material with the targets (matches across the seam).

Usage: python benchmarks/check_deflate_exact.py [--seed N] [--sources 60]
"""
from __future__ import annotations

import argparse
import gzip
import os
import pathlib
import random
import sys
import sysconfig
import time

import numpy as np

import zipfit


def make_data(seed: int, n_sources: int):
    rng = random.Random(seed)
    root = pathlib.Path(sysconfig.get_paths()["stdlib"])
    files = sorted(root.glob("*/*.py"))
    rng.shuffle(files)
    blocks = []
    for f in files[:80]:
        for b in f.read_text(encoding="utf-8", errors="replace").split("\n\n"):
            if 100 <= len(b) <= 1500:
                blocks.append(b)
    rng.shuffle(blocks)
    targets = blocks[:12]
    text = blocks[12:12 + n_sources]
    binaries = [p for p in ("/bin/ls", "/bin/cat", sys.executable) if os.path.exists(p)]
    binary = [rng.randbytes(rng.randint(1, 3000)) for _ in range(4)]
    for p in binaries:
        data = pathlib.Path(p).read_bytes()
        at = rng.randrange(max(1, len(data) - 4000))
        binary.append(data[at:at + rng.randint(200, 4000)])
    prose = "\n\n".join(rng.choice(blocks) for _ in range(400))
    long = [prose[:rng.randint(100_000, 160_000)],
            rng.randbytes(70_000) + b"".join(t.encode() for t in targets) * 20]
    seam = [t[rng.randrange(len(t)):] + "\n" + rng.choice(blocks)[:200] + t[:rng.randrange(1, len(t))]
            for t in targets[:6]]
    return text + binary + long + seam, targets


def expected_ncd(sources, targets, level):
    def c(b):
        return len(gzip.compress(b, compresslevel=level, mtime=0))
    enc = [s.encode() if isinstance(s, str) else s for s in sources]
    tenc = [t.encode() for t in targets]
    cs, ct = [c(s) for s in enc], [c(t) for t in tenc]
    out = np.empty((len(enc), len(tenc)))
    for i, s in enumerate(enc):
        for j, t in enumerate(tenc):
            out[i, j] = (c(s + t) - min(cs[i], ct[j])) / max(cs[i], ct[j])
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--sources", type=int, default=60)
    args = ap.parse_args()
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2**31)
    sources, targets = make_data(seed, args.sources)
    print(f"seed {seed}: {len(sources)} sources (text, binary, >100 KiB, seam; "
          f"longest {max(map(len, sources)):,} bytes) x {len(targets)} targets, "
          f"zlib {zipfit.zlib_version()}")
    bad = 0
    for level in range(10):
        t0 = time.perf_counter()
        got = zipfit.cdist(sources, targets, level=level, engine="deflate", workers=-1)
        want = expected_ncd(sources, targets, level)
        n_bad = int(np.sum(got != want))
        bad += n_bad
        print(f"  level {level}: {got.size} pairs, {n_bad} mismatches "
              f"({time.perf_counter() - t0:.1f} s)")
    print("EXACT" if bad == 0 else f"MISMATCH ({bad} pairs)")
    return 0 if bad == 0 else 1


if __name__ == "__main__":
    import warnings
    warnings.simplefilter("ignore", zipfit.ZipFitWarning)  # level 0 is checked on purpose
    sys.exit(main())
