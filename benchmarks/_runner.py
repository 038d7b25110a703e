"""Run one benchmark case in a fresh process and print its timings as JSON.

Used by compare.py, one process per case, so that each method's peak memory
is its own.  It may run under another interpreter (the peers' venv, where
zipfit is not installed), so only the method's own package is imported.

    python _runner.py '{"method": "zipfit", "data": DIR, ...}'

The last stdout line is ``RESULT {json}`` with the median wall time over the
repeats, the top-k indices (for a cross-check) and ru_maxrss of this process
and of its children (the official package and DSIR use worker processes).
"""
from __future__ import annotations

import contextlib
import io
import json
import os
import resource
import sys
import tempfile
import time
from typing import Any, Callable, Dict, List

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common  # noqa: E402


def _topk(scores: List[float], k: int) -> List[int]:
    order = sorted(range(len(scores)), key=lambda i: (-scores[i], i))
    return order[:k]


# ---------------------------------------------------------------- methods
# Each returns a callable that performs the whole selection once and returns
# the top-k source indices.

def _zipfit(case: Dict[str, Any], sources: List[str], targets: List[str]) -> Callable[[], List[int]]:
    import zipfit
    import warnings
    warnings.simplefilter("ignore", zipfit.ZipFitWarning)
    engine = case.get("engine")
    if engine in (None, "python"):
        engine = None

    def run() -> List[int]:
        zf = zipfit.ZipFit(targets, compressor=case["compressor"], level=case["level"],
                           workers=case["workers"], engine=engine)
        return zf.select(sources, case["k"]).indices.tolist()
    return run


def _official(case: Dict[str, Any], sources: List[str], targets: List[str]) -> Callable[[], List[int]]:
    from zip_fit import ZIPFIT
    index = {t: i for i, t in enumerate(sources)}
    out = os.path.join(case["tmp"], "official_top_k.jsonl")

    def run() -> List[int]:
        # A new instance per repeat: its compression cache must start empty.
        z = ZIPFIT(case["sources_file"], case["targets_file"], case["k"], output_file=out,
                   compression_algorithm=case["compressor"], compress_level=case["level"])
        with contextlib.redirect_stdout(io.StringIO()):      # its progress prints
            top = z.rank_sequences_by_alignment(sources, targets)
        return [index[text] for text, _ in top]
    return run


def _size_fn(compressor: str, level: int) -> Callable[[bytes], int]:
    if compressor == "gzip":
        import gzip
        return lambda b: len(gzip.compress(b, compresslevel=level, mtime=0))
    if compressor == "lz4":
        import lz4.frame
        return lambda b: len(lz4.frame.compress(b, compression_level=level))
    raise ValueError(f"no plain Python loop for {compressor!r}")


def _python_loop(case: Dict[str, Any], sources: List[str], targets: List[str]) -> Callable[[], List[int]]:
    size = _size_fn(case["compressor"], case["level"])

    def run() -> List[int]:
        src = [s.encode("utf-8") for s in sources]
        tgt = [t.encode("utf-8") for t in targets]
        cs = [size(s) for s in src]
        ct = [size(t) for t in tgt]
        scores = []
        for s, c1 in zip(src, cs):
            total = 0.0
            for t, c2 in zip(tgt, ct):
                total += (size(s + t) - min(c1, c2)) / max(c1, c2)
            scores.append(1.0 - total / len(tgt))
        return _topk(scores, case["k"])
    return run


def _c_zlib_loop(case: Dict[str, Any], sources: List[str], targets: List[str]) -> Callable[[], List[int]]:
    """The system-zlib C engine called on every concatenation, one call per
    source row: no pair engine, no shared state between pairs."""
    import numpy as np
    from zipfit import _core, _compressors
    comp = _compressors.get(case["compressor"])
    level = case["level"]

    def sizes(texts: List[bytes]) -> Any:
        return _core.sizes(texts, engine="zlib", level=level, wrapper=comp.wrapper,
                           workers=1).astype(np.float64)

    def run() -> List[int]:
        src = [s.encode("utf-8") for s in sources]
        tgt = [t.encode("utf-8") for t in targets]
        cs, ct = sizes(src), sizes(tgt)
        scores = np.empty(len(src))
        for i, s in enumerate(src):
            cst = sizes([s + t for t in tgt])
            ncd = (cst - np.minimum(cs[i], ct)) / np.maximum(cs[i], ct)
            scores[i] = 1.0 - ncd.mean()
        return _topk(scores.tolist(), case["k"])
    return run


def _dsir(case: Dict[str, Any], sources: List[str], targets: List[str]) -> Callable[[], List[int]]:
    from data_selection import HashedNgramDSIR
    index = {t: i for i, t in enumerate(sources)}

    def run() -> List[int]:
        with tempfile.TemporaryDirectory(dir=case["tmp"]) as d:
            with contextlib.redirect_stdout(io.StringIO()), \
                    contextlib.redirect_stderr(io.StringIO()):
                dsir = HashedNgramDSIR([case["sources_file"]], [case["targets_file"]],
                                       cache_dir=os.path.join(d, "cache"),
                                       num_proc=case["workers"])
                dsir.fit_importance_estimator(num_tokens_to_fit="all")
                dsir.compute_importance_weights()
                dsir.resample(out_dir=os.path.join(d, "out"), num_to_sample=case["k"],
                              top_k=True)
            picked = []
            out = os.path.join(d, "out")
            for name in sorted(os.listdir(out)):
                if name.endswith(".jsonl"):
                    picked += [index.get(t, -1) for t in _common.read_jsonl(os.path.join(out, name))]
        return picked
    return run


METHODS = {
    "zipfit": _zipfit,
    "official": _official,
    "python-loop": _python_loop,
    "c-zlib-loop": _c_zlib_loop,
    "dsir": _dsir,
}


def _maxrss_mib(who: int) -> float:
    # Linux reports KiB; macOS bytes.
    r = resource.getrusage(who).ru_maxrss
    return r / (1024 * 1024) if sys.platform == "darwin" else r / 1024


def _cpu_seconds() -> float:
    """CPU time of this process (all threads) and of its reaped children."""
    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        r = resource.getrusage(who)
        total += r.ru_utime + r.ru_stime
    return total


def main(argv: List[str]) -> int:
    case = json.loads(argv[1])
    sources = _common.read_jsonl(case["sources_file"])
    targets = _common.read_jsonl(case["targets_file"])
    n = case.get("n_sources")
    if n is not None and n < len(sources):
        sources = sources[:n]
        # the peers read the file themselves: give them the same prefix
        path = os.path.join(case["tmp"], f"sources-{n}.jsonl")
        if not os.path.exists(path):
            _common.write_jsonl(path, sources)
        case["sources_file"] = path
    run = METHODS[case["method"]](case, sources, targets)
    times: List[float] = []
    cpus: List[float] = []
    top: List[int] = []
    spent = 0.0
    for _ in range(max(1, case.get("repeats", 1))):
        c0 = _cpu_seconds()
        t0 = time.perf_counter()
        top = run()
        dt = time.perf_counter() - t0
        cpus.append(_cpu_seconds() - c0)
        times.append(dt)
        spent += dt
        if spent >= case.get("budget", float("inf")):
            break
    result = {
        "seconds": _common.median(times),
        "times": times,
        "cpu_seconds": _common.median(cpus),
        "n_sources": len(sources),
        "n_targets": len(targets),
        "top": top,
        "maxrss_self_mib": _maxrss_mib(resource.RUSAGE_SELF),
        "maxrss_children_mib": _maxrss_mib(resource.RUSAGE_CHILDREN),
    }
    sys.stdout.write("RESULT " + json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
