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
import time
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, List, Optional, Sequence, Tuple

import numpy as np

from . import _compressors
from ._api import ZipFit
from ._checks import check_dtype, check_int, check_limits
from ._select import CHUNK_DOCS, Selector, select_stream
from .errors import InputError, UsageError, ZipFitWarning
from .tokens import Costs
from .io import (Counter, ErrorPolicy, Input, Record, Split, TextSpec, expand_inputs,
                 read_records, read_split, splits)
from .outputs import (AtomicDirectory, AtomicOutput, NpyWriter, RecordTable, RecordWriter,
                      check_not_an_input, output_kind, scores_writer)

__all__ = ["Job", "Summary", "LocalExecutor", "Chosen", "select", "score", "matrix",
           "read_targets", "format_rate"]

#: (index, score, record data) of one selected document
Chosen = Tuple[int, float, Any]


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

    def output(self, path: str, directory: bool = False) -> Any:
        out = AtomicDirectory(path) if directory else AtomicOutput(path)
        self.stack.callback(out.discard)
        return out

    def records(self) -> Iterator[Record]:
        """Every source record, read in order in this process."""
        return itertools.chain.from_iterable(
            read_split(s, self.spec, self.policy, self.counter) for s in self.splits)

    def score(self, texts: List[bytes]) -> np.ndarray:
        self.progress.start_chunk(len(texts))
        s = self.zf.scorer.alignment_block(texts, self.progress.on_pairs)
        self.progress.end_chunk(len(texts))
        return s

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

    def select(self, run: _Run, k: Optional[int], budget: Optional[int],
               costs: Optional[Costs], on_scores: Optional[Callable[[np.ndarray], None]]
               ) -> Tuple[List[Chosen], int]:
        """(the selection best first, its total cost); counts into ``run``."""
        sel = Selector(k, budget)

        def seen(chunk: List[Record], scores: np.ndarray) -> None:
            run.n += len(chunk)
            if on_scores is not None:
                on_scores(scores)

        select_stream(run.score, run.records(), sel, run.job.chunk_size,
                      on_scores=seen, costs=costs)
        return sel.result(), sel.total_cost

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


def _name(path: str) -> str:
    return "stdout" if path == "-" else path


def select(job: Job, output: str = "-", *, k: Optional[int] = None,
           budget_tokens: Optional[int] = None, budget_bytes: Optional[int] = None,
           scores_out: Optional[str] = None, tokenizer: Optional[str] = None,
           output_format: Optional[str] = None, executor: Any = None, progress: Any = None,
           warn: Callable[[str], None] = _warn) -> Summary:
    """Write the best-aligned source records to ``output``, best first.

    Each record keeps all its fields and gains ``zipfit_score`` and
    ``zipfit_index`` (its position among the good records of the input
    stream).  The output is JSON Lines, JSON, Parquet (by its name) or,
    with ``output_format="hf"``, a ``save_to_disk`` dataset directory.
    ``scores_out`` (.npy or .parquet) also gets every score.
    ``tokenizer`` makes ``budget_tokens`` count a tokenizer's tokens
    (:class:`zipfit.tokens.Costs`).
    """
    try:
        k, budget, unit = check_limits(k, budget_tokens, budget_bytes)
    except (TypeError, ValueError) as e:
        raise UsageError(str(e).replace("give k, budget_tokens or budget_bytes",
                                        "say how many documents to select: -k N, "
                                        "--budget-tokens N or --budget-bytes N")) from None
    if output_format not in (None, "jsonl", "json", "parquet", "hf"):
        raise UsageError(f"--output-format {output_format}: choose jsonl, json, parquet or hf")
    kind = output_format or output_kind(output)
    if output_format is None:
        _check_output(output, ("jsonl", "json", "parquet"), "selected records are written "
                      "as .jsonl, .jsonl.gz, .json or .parquet (use --scores-out for a .npy "
                      "of scores)")
    if scores_out is not None and output_kind(scores_out) not in ("npy", "parquet"):
        raise UsageError(f"--scores-out {scores_out}: use a .npy or .parquet file name")
    try:
        costs = Costs(unit, tokenizer) if unit is not None else None
        if tokenizer is not None and unit is None:
            raise ValueError("--tokenizer counts the tokens of --budget-tokens: give one")
    except (ValueError, ImportError) as e:
        raise UsageError(str(e)) from None
    executor = executor or LocalExecutor()
    with contextlib.ExitStack() as stack:
        run = _Run(job, executor, progress, stack, [output, scores_out])
        out = run.output(output, directory=kind == "hf")
        sw = scores_writer(run.output(scores_out)) if scores_out is not None else None
        chosen, total_cost = executor.select(run, k, budget, costs,
                                             sw.write if sw is not None else None)
        run.finish_inputs(warn)
        if k is not None and k > run.n:
            warn(f"-k {k:,} is more than the {run.n:,} source documents: "
                 f"selecting all {run.n:,}")
        if budget is not None and not chosen:
            warn(f"nothing fits the budget of {budget:,} {unit}: the best document alone "
                 "exceeds it")
        w = RecordTable(out, kind) if kind in ("parquet", "hf") else RecordWriter(out, warn)
        for index, s, data in chosen:
            w.write(data, s, index)
        w.close()
        if sw is not None:
            sw.close()
            sw.out.commit()
        out.commit()
        note = f" ({total_cost:,} {unit})" if budget is not None else ""
        return run.summary(f"selected {len(chosen):,}{note} -> {_name(output)}",
                           selected=len(chosen), total_cost=total_cost)


def score(job: Job, output: str = "-", *, executor: Any = None, progress: Any = None,
          warn: Callable[[str], None] = _warn) -> Summary:
    """Write every source's score in input order: .npy, .parquet, or records."""
    _check_output(output, ("jsonl", "json", "npy", "parquet"), "")
    executor = executor or LocalExecutor()
    with contextlib.ExitStack() as stack:
        run = _Run(job, executor, progress, stack, [output])
        out = run.output(output)
        if output_kind(output) in ("npy", "parquet"):
            writer: Any = scores_writer(out)
            for chunk in executor.each_chunk(run):
                writer.write(run.score([r.text for r in chunk]))
        else:
            writer = RecordWriter(out, warn)
            for chunk in executor.each_chunk(run):
                scores = run.score([r.text for r in chunk]).tolist()
                for i, (r, s) in enumerate(zip(chunk, scores)):
                    writer.write(r.data, s, run.n + i)
        run.finish_inputs(warn)
        writer.close()
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
            run.progress.start_chunk(len(chunk))
            w.write(run.zf.scorer.ncd([r.text for r in chunk], dtype=dt,
                                      progress=run.progress.on_pairs))
            run.progress.end_chunk(len(chunk))
        run.finish_inputs(warn)
        w.close()
        out.commit()
        return run.summary(f"{run.n:,} x {len(run.targets):,} NCD matrix -> {output}")
