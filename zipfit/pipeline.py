"""The selection pipeline: inputs -> records -> scores -> selection -> outputs.

``select``, ``score`` and ``matrix`` are each written once here, as jobs:
validate the options, read the targets, read and score the sources, select
or collect, write the outputs atomically, and return a :class:`Summary`.
An executor runs the reading and scoring: :class:`LocalExecutor` (this
process, the engine's threads) or ``zipfit.dask.DaskExecutor`` (a Dask
cluster, one task per split).  The command line only parses arguments,
calls a job and prints; Python code can call the jobs directly.
"""
from __future__ import annotations

import contextlib
import itertools
import json
import time
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Tuple

import numpy as np

from . import _compressors
from ._api import ZipFit
from ._checks import check_dtype, check_int
from ._collect import SHOWN, Collector, ReportContext, report_data
from ._select import CHUNK_DOCS, Strategy, select_stream, similarity_mean
from .errors import InputError, UsageError, ZipFitWarning
from .io import (Counter, ErrorPolicy, Input, Record, Split, TextSpec, expand_inputs,
                 read_records, read_split, splits)
from .outputs import (AtomicDirectory, AtomicOutput, NpyWriter, RecordTable, RecordWriter,
                      check_not_an_input, output_kind, scores_writer)

__all__ = ["Job", "Summary", "LocalExecutor", "Chosen", "select", "score", "matrix",
           "read_targets", "format_rate"]

#: (index, score, record data) of one selected document
Chosen = Tuple[int, float, Any]


@dataclass
class Picked:
    """A finished selection, whichever executor made it: documents by input position."""

    chosen: List[Chosen]
    targets: List[Tuple[int, ...]]
    per_target: List[List[Tuple[int, float]]]
    counts: Dict[str, int]
    total_cost: int

    near: List[Chosen] = field(default_factory=list)

    @classmethod
    def of(cls, selector: Any, index: Callable[[int], int]) -> "Picked":
        """A selector's result, its keys turned into input positions by ``index``."""
        targets, lists = selector.per_target()
        return cls([(index(key), s, data) for key, s, data in selector.result()], targets,
                   [[(index(key), d) for key, d in lst] for lst in lists],
                   dict(selector.counts), selector.total_cost,
                   [(index(key), s, data) for key, s, data in selector.near()])


@dataclass
class Job:
    """What every job reads and how it scores (the options the commands share)."""

    sources: Sequence[str]
    targets: Sequence[str]
    text_field: str = "text"
    target_field: Optional[str] = None
    target_template: Optional[str] = None
    format: Optional[str] = None
    target_format: Optional[str] = None
    split: Optional[str] = None
    config: Optional[str] = None
    on_error: str = "fail"
    compressor: str = "gzip"
    level: Optional[int] = None
    workers: int = -1
    chunk_size: int = CHUNK_DOCS

    def check(self) -> None:
        """Options that can be checked before anything is read (UsageError)."""
        if "-" in self.sources and "-" in self.targets:
            raise UsageError("standard input ('-') can feed the sources or the targets, "
                             "not both")
        if self.target_template is not None and self.target_field is not None:
            raise UsageError("--target-template builds each target's text from its "
                             "fields: give it or --target-field, not both")
        comp = _compressors.get(self.compressor)
        try:
            comp.resolve_level(self.level)
        except ValueError:
            raise UsageError(f"--level {self.level} is not valid for {comp.name!r}: choose "
                             f"{comp.min_level}..{comp.max_level}, or leave --level out "
                             f"for its default ({comp.default_level})") from None
        ErrorPolicy(self.on_error)
        check_int("chunk_size", self.chunk_size, 1)
        self.text_spec()
        self.target_spec()

    def inputs(self, paths: Sequence[str], fmt: Optional[str], what: str) -> List[Input]:
        return expand_inputs(list(paths), fmt, what, self.split, self.config)

    def text_spec(self) -> TextSpec:
        return TextSpec(self.text_field)

    def target_spec(self) -> TextSpec:
        return TextSpec(self.target_field or self.text_field, self.target_template)


@dataclass
class Summary:
    """What a job did, for the one-line report."""

    docs: int
    n_targets: int
    seconds: float
    skipped: int = 0
    what: str = ""
    where: str = ""
    selected: int = 0
    total_cost: int = 0
    errors: List[str] = field(default_factory=list)

    def line(self) -> str:
        pairs = self.docs * self.n_targets
        secs = max(self.seconds, 1e-9)
        skipped = f", {self.skipped:,} skipped" if self.skipped else ""
        return (f"{self.docs:,} documents x {self.n_targets:,} targets = {pairs:,} pairs "
                f"in {self.seconds:.1f} s{self.where} ({format_rate(self.docs / secs)} "
                f"docs/s, {format_rate(pairs / secs)} pairs/s){skipped}; {self.what}")


def format_rate(x: float) -> str:
    """A rate that reads well at any size: 1,234 / 12.3 / 0.012."""
    if x >= 100:
        return f"{x:,.0f}"
    if x >= 1:
        return f"{x:.1f}"
    return f"{x:.2g}"


def _warn(msg: str) -> None:
    warnings.warn(msg, ZipFitWarning, stacklevel=3)


class _NoProgress:
    def start_chunk(self, ndocs: int) -> None:
        pass

    def on_pairs(self, done: int) -> None:
        pass

    def end_chunk(self, ndocs: int) -> None:
        pass

    def close(self) -> None:
        pass


def read_targets(job: Job) -> List[bytes]:
    """The target texts (every one must be good: bad targets always fail)."""
    spec = job.target_spec()
    inputs = job.inputs(job.targets, job.target_format, "target")
    texts = [r.text for r in read_records(inputs, spec, ErrorPolicy("fail"))]
    if not texts:
        raise InputError("no target documents (empty input)",
                         file=", ".join(i.name for i in inputs))
    return texts


class _Run:
    """One job's shared state: inputs, targets, scorer, progress, clock."""

    def __init__(self, job: Job, executor: Any, progress: Any, stack: contextlib.ExitStack,
                 outputs: Sequence[Optional[str]]) -> None:
        self.t0 = time.monotonic()
        try:
            job.check()
        except (ValueError, TypeError) as e:
            raise UsageError(str(e)) from None
        self.job = job
        self.executor = executor
        self.spec = job.text_spec()
        self.inputs = job.inputs(job.sources, job.format, "source")
        targets = job.inputs(job.targets, job.target_format, "target")
        for out in outputs:
            if out is not None:
                check_not_an_input(out, [i.path for i in self.inputs + targets])
        self.splits = executor.splits(self.inputs)
        self.targets = read_targets(job)
        try:
            self.zf = executor.scorer(self.targets, job)
        except (ValueError, TypeError, ImportError) as e:
            raise UsageError(str(e)) from None
        self.policy = ErrorPolicy(job.on_error)
        self.counter = Counter()
        sizes = [i.size for i in self.inputs]
        total = None if any(s is None for s in sizes) else sum(sizes)  # type: ignore[arg-type]
        self.progress = (progress(total, len(self.targets), self.counter)
                         if progress is not None else _NoProgress())
        stack.callback(self.progress.close)
        self.stack = stack
        self.n = 0
        self.collector: Optional[Collector] = None   # set when a report is asked for

    def output(self, path: str, directory: bool = False) -> Any:
        out = AtomicDirectory(path) if directory else AtomicOutput(path)
        self.stack.callback(out.discard)
        return out

    def records(self) -> Iterator[Record]:
        """Every source record, read in order in this process."""
        return itertools.chain.from_iterable(
            read_split(s, self.spec, self.policy, self.counter) for s in self.splits)

    def ncd(self, texts: List[bytes], dtype: Any = np.float64) -> np.ndarray:
        self.progress.start_chunk(len(texts))
        d = self.zf.scorer.ncd(texts, dtype=dtype, progress=self.progress.on_pairs)
        self.progress.end_chunk(len(texts))
        return d

    def score(self, texts: List[bytes]) -> np.ndarray:
        return similarity_mean(self.ncd(texts))

    def finish_inputs(self, warn: Callable[[str], None]) -> None:
        """After the stream: report skipped records and empty inputs."""
        self.progress.close()
        p = self.policy
        if p.skipped:
            first = "; ".join(str(e) for e in p.first)
            more = ", ..." if p.skipped > len(p.first) else ""
            warn(f"skipped {p.skipped:,} bad source record(s) (--on-error skip): {first}{more}")
        if self.n == 0:
            if p.skipped:
                raise InputError(f"no valid source documents: all {p.skipped:,} "
                                 "records were bad and skipped")
            raise InputError("no source documents (empty input)",
                             file=", ".join(i.name for i in self.inputs))
        for name in p.empty_inputs():
            warn(f"{name}: no source documents (empty input)")

    def text_of(self, data: Any) -> bytes:
        """A selected record's text again (for the report)."""
        return self.spec.text(data, lambda m, field=None: InputError(m)).encode(
            "utf-8", "surrogatepass")

    def report(self, path: str, chosen: List[Chosen], near: List[Chosen],
               strategy: Dict[str, str], coverage: bool) -> None:
        """Write the HTML report of this run (atomically)."""
        from . import __version__, zlib_version
        from .report import write_report
        secs = time.monotonic() - self.t0
        pairs = self.n * len(self.targets)
        names = [i.name for i in self.inputs]
        run = {"sources": ", ".join(names[:5]) + (f" and {len(names) - 5} more"
                                                  if len(names) > 5 else ""),
               "documents": f"{self.n:,}", "targets": f"{len(self.targets):,}",
               "compressor": self.job.compressor, "level": str(self.executor.level(self.zf)),
               "engine": str(self.executor.engine(self.zf)),
               "time": f"{secs:.1f} s", "pairs/s": format_rate(pairs / max(secs, 1e-9)),
               "zipfit": __version__, "zlib": zlib_version()}
        ctx = ReportContext(self.collector or Collector(), run, strategy, self.targets,
                            self.executor.ncd_function(self.zf),
                            [(i, s, self.text_of(d)) for i, s, d in chosen],
                            [(i, s, self.text_of(d)) for i, s, d in near], cut=coverage)
        write_report(path, report_data(ctx, "zipfit report", coverage))

    def summary(self, what: str, **extra: Any) -> Summary:
        self.progress.close()
        return Summary(docs=self.n, n_targets=len(self.targets),
                       seconds=time.monotonic() - self.t0, skipped=self.policy.skipped,
                       what=what, where=self.executor.where(len(self.splits)), **extra)


class LocalExecutor:
    """Runs a job in this process: inputs read in order, scored by the engine's threads."""

    def splits(self, inputs: List[Input]) -> List[Split]:
        return splits(inputs)

    def scorer(self, targets: List[bytes], job: Job) -> ZipFit:
        return ZipFit(targets, compressor=job.compressor, level=job.level,
                      workers=job.workers)

    def where(self, nsplits: int) -> str:
        return ""

    def level(self, zf: ZipFit) -> int:
        return zf.level

    def engine(self, zf: ZipFit) -> Optional[str]:
        return zf.engine or "python"

    def ncd_function(self, zf: ZipFit) -> Callable[[List[bytes]], np.ndarray]:
        return zf.scorer.ncd

    def select(self, run: _Run, plan: Strategy,
               on_scores: Optional[Callable[[np.ndarray], None]]) -> "Picked":
        """Read, score and select every source in order; counts into ``run``."""
        sel = plan.selector(near=SHOWN if run.collector is not None else 0)

        def seen(chunk: List[Record], scores: np.ndarray) -> None:
            run.n += len(chunk)
            if on_scores is not None:
                on_scores(scores)
            if run.collector is not None:
                run.collector.add([r.text for r in chunk], scores)

        select_stream(run.ncd, run.records(), sel, run.job.chunk_size, on_scores=seen)
        return Picked.of(sel, lambda key: key)

    def each_chunk(self, run: _Run) -> Iterator[List[Record]]:
        """The source records a chunk at a time (score and matrix)."""
        from ._select import chunked
        for chunk in chunked(run.records(), run.job.chunk_size, size=lambda r: len(r.text)):
            yield chunk
            run.n += len(chunk)


def _check_output(path: str, kinds: Sequence[str], what: str) -> None:
    kind = output_kind(path)
    if kind is None:
        raise UsageError(f"-o {path}: cannot tell the output format from the file name: "
                         "use .jsonl, .jsonl.gz, .json or .json.gz for records, .npy or "
                         ".parquet for scores, or - for standard output")
    if kind not in kinds:
        raise UsageError(f"-o {path}: {what}")


def _count(n: int, what: str) -> str:
    return f"{n:,} {what}{'' if n == 1 else 's'}"


def _name(path: str) -> str:
    return "stdout" if path == "-" else path


def _check_report(path: Optional[str]) -> None:
    """A report needs matplotlib and an .html name: checked before any work."""
    if path is None:
        return
    if not path.lower().endswith((".html", ".htm")):
        raise UsageError(f"--report {path}: the report is written as .html")
    from .report import require_matplotlib
    try:
        require_matplotlib()
    except ImportError as e:
        raise UsageError(f"--report: {e}") from None


def _strategy(k: Any, options: Dict[str, Any]) -> Strategy:
    try:
        return Strategy.make(k, **options)
    except (TypeError, ValueError, ImportError) as e:
        msg = str(e)
        if msg == "give k, budget_tokens or budget_bytes":
            msg = ("say how many documents to select: -k N, --budget-tokens N, "
                   "--budget-bytes N or --per-target M")
        raise UsageError(msg) from None


def _write_per_target(path: str, picked: Picked, run: "_Run") -> None:
    """Which targets got which documents, at what NCD: CSV or JSON Lines."""
    out = run.output(path)
    csv = path.lower().endswith(".csv")
    out.file.write(b"target,rank,zipfit_index,ncd\n" if csv else b"")
    for j, lst in enumerate(picked.per_target):
        for rank, (index, d) in enumerate(lst, 1):
            row = (f"{j},{rank},{index},{d!r}\n" if csv else json.dumps(
                {"target": j, "rank": rank, "zipfit_index": index, "ncd": d}) + "\n")
            out.file.write(row.encode())
    out.commit()


def select(job: Job, output: str = "-", *, k: Optional[int] = None,
           scores_out: Optional[str] = None, per_target_report: Optional[str] = None,
           output_format: Optional[str] = None, report: Optional[str] = None,
           executor: Any = None, progress: Any = None,
           warn: Callable[[str], None] = _warn, **strategy: Any) -> Summary:
    """Write the selected source records to ``output``, in selection order.

    Each record keeps all its fields and gains ``zipfit_score`` and
    ``zipfit_index`` (its position among the good records of the input
    stream), and with ``per_target`` ``zipfit_targets``.  ``strategy``:
    the options of :meth:`zipfit.ZipFit.select_iter` (budgets, tokenizer,
    sampling, dedup, per_target, length filters).  The output is JSON Lines,
    JSON, Parquet (by its name) or, with ``output_format="hf"``, a
    ``save_to_disk`` dataset directory.  ``scores_out`` (.npy or .parquet)
    also gets every score; ``per_target_report`` (.csv or .jsonl) which
    target got which document at what NCD; ``report`` (.html) the
    self-contained report of the run (needs ``zipfit[report]``).
    """
    plan = _strategy(k, strategy)
    _check_report(report)
    if output_format not in (None, "jsonl", "json", "parquet", "hf"):
        raise UsageError(f"--output-format {output_format}: choose jsonl, json, parquet or hf")
    kind = output_format or output_kind(output)
    if output_format is None:
        _check_output(output, ("jsonl", "json", "parquet"), "selected records are written "
                      "as .jsonl, .jsonl.gz, .json or .parquet (use --scores-out for a .npy "
                      "of scores)")
    if scores_out is not None and output_kind(scores_out) not in ("npy", "parquet"):
        raise UsageError(f"--scores-out {scores_out}: use a .npy or .parquet file name")
    if per_target_report is not None:
        if plan.per_target is None:
            raise UsageError("--per-target-report needs --per-target M")
        if not per_target_report.lower().endswith((".csv", ".jsonl")):
            raise UsageError(f"--per-target-report {per_target_report}: use a .csv or "
                             ".jsonl file name")
    executor = executor or LocalExecutor()
    with contextlib.ExitStack() as stack:
        run = _Run(job, executor, progress, stack,
                   [output, scores_out, per_target_report, report])
        if report is not None:
            run.collector = Collector()
        out = run.output(output, directory=kind == "hf")
        sw = scores_writer(run.output(scores_out)) if scores_out is not None else None
        picked = executor.select(run, plan, sw.write if sw is not None else None)
        run.finish_inputs(warn)
        chosen = picked.chosen
        if plan.k is not None and plan.k > run.n:
            warn(f"-k {plan.k:,} is more than the {run.n:,} source documents: "
                 f"selecting all {run.n:,}")
        if plan.budget is not None and not chosen:
            warn(f"nothing fits the budget of {plan.budget:,} {plan.unit}: the best document "
                 "alone exceeds it")
        w = RecordTable(out, kind) if kind in ("parquet", "hf") else RecordWriter(out, warn)
        for i, (index, s, data) in enumerate(chosen):
            w.write(data, s, index, picked.targets[i] if picked.targets else None)
        w.close()
        if sw is not None:
            sw.close()
            sw.out.commit()
        if per_target_report is not None:
            _write_per_target(per_target_report, picked, run)
        describe = plan.describe()
        describe.update({"selected": f"{len(chosen):,}", "of": f"{run.n:,}"})
        if plan.budget is not None:
            describe["total cost"] = f"{picked.total_cost:,} {plan.unit}"
        describe.update({name: f"{n:,}" for name, n in picked.counts.items()})
        if report is not None:
            run.report(report, chosen, picked.near, describe, coverage=True)
        out.commit()
        notes = [f"{picked.total_cost:,} {plan.unit}"] if plan.budget is not None else []
        c = picked.counts
        notes += [_count(c["duplicates"], "duplicate") + " dropped"] if c["duplicates"] else []
        notes += [f"{c['filtered']:,} outside the length range"] if c["filtered"] else []
        notes += [_count(c["empty"], "empty text")] if c["empty"] else []
        note = f" ({', '.join(notes)})" if notes else ""
        return run.summary(f"selected {len(chosen):,}{note} -> {_name(output)}",
                           selected=len(chosen), total_cost=picked.total_cost)


def score(job: Job, output: str = "-", *, report: Optional[str] = None,
          executor: Any = None, progress: Any = None,
          warn: Callable[[str], None] = _warn) -> Summary:
    """Write every source's score in input order: .npy, .parquet, or records.

    ``report`` (.html): the run's self-contained report (no cut; its top
    documents are the best scored).
    """
    _check_output(output, ("jsonl", "json", "npy", "parquet"), "")
    _check_report(report)
    executor = executor or LocalExecutor()
    with contextlib.ExitStack() as stack:
        run = _Run(job, executor, progress, stack, [output, report])
        out = run.output(output)
        best = Strategy.make(SHOWN).selector() if report is not None else None
        collector = Collector() if report is not None else None
        records = output_kind(output) not in ("npy", "parquet")
        writer: Any = RecordWriter(out, warn) if records else scores_writer(out)
        for chunk in executor.each_chunk(run):
            texts = [r.text for r in chunk]
            scores = run.score(texts)
            if records:
                for i, (r, s) in enumerate(zip(chunk, scores.tolist())):
                    writer.write(r.data, s, run.n + i)
            else:
                writer.write(scores)
            if best is not None and collector is not None:
                best.offer(texts, scores, run.n, [r.data for r in chunk])
                collector.add(texts, scores)
        run.finish_inputs(warn)
        writer.close()
        if best is not None:
            run.collector = collector
            run.report(report, Picked.of(best, lambda key: key).chosen, [],
                       {"strategy": "scores only (nothing selected)",
                        "documents": f"{run.n:,}"}, coverage=False)
        out.commit()
        return run.summary(f"scores -> {_name(output)}")


def matrix(job: Job, output: str, *, dtype: Any = np.float64, executor: Any = None,
           progress: Any = None, warn: Callable[[str], None] = _warn) -> Summary:
    """Write NCD(source i, target j) for every pair to a .npy file."""
    _check_output(output, ("npy",), "the matrix is written as .npy")
    dt = check_dtype(dtype)
    executor = executor or LocalExecutor()
    with contextlib.ExitStack() as stack:
        run = _Run(job, executor, progress, stack, [output])
        out = run.output(output)
        w = NpyWriter(out, len(run.targets), dt)
        for chunk in executor.each_chunk(run):
            w.write(run.ncd([r.text for r in chunk], dtype=dt))
        run.finish_inputs(warn)
        w.close()
        out.commit()
        return run.summary(f"{run.n:,} x {len(run.targets):,} NCD matrix -> {output}")
