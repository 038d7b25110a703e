"""The ``zipfit`` command: select, score and matrix over files of any size.

    zipfit select SOURCES... --target FILE -k N [-o OUT]
    zipfit score  SOURCES... --target FILE [-o OUT]
    zipfit matrix SOURCES... --target FILE -o OUT.npy
    zipfit --version

Sources stream through in chunks (memory: one chunk plus the selection).
Output files are written under a temporary name and renamed into place at
the end, so an interrupted or failed run leaves no partial file.  Exit
status: 0 done, 1 bad input or failure, 2 bad usage, 130 interrupted.
"""
from __future__ import annotations

import argparse
import contextlib
import datetime
import decimal
import base64
import gzip
import json
import os
import signal
import sys
import time
import warnings
from typing import Any, Iterator, List, Optional, Sequence, TextIO

import numpy as np

from . import __version__
from .io import (AtomicOutput, ErrorPolicy, InputError, Record, TextSpec, _Counter,
                 expand_inputs, read_records, FORMATS)

PROG = "zipfit"
EXIT_INPUT = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
DEFAULT_CHUNK = 4096


class UsageError(Exception):
    """A bad combination of options (exit status 2)."""


def _say(msg: str, stream: Optional[TextIO] = None) -> None:
    stream = stream or sys.stderr
    try:
        print(f"{PROG}: {msg}", file=stream, flush=True)
    except (BrokenPipeError, ValueError):  # pragma: no cover - stderr gone
        pass


def _warn(msg: str) -> None:
    _say(f"warning: {msg}")


# ------------------------------------------------------------------ parser

def _positive_int(s: str) -> int:
    try:
        v = int(s)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {s!r}") from None
    if v < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {s!r}")
    return v


def _int(s: str) -> int:
    try:
        return int(s)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {s!r}") from None


def build_parser() -> argparse.ArgumentParser:
    from . import zlib_version
    p = argparse.ArgumentParser(
        prog=PROG,
        description="Exact ZIP-FIT data selection: rank source documents by "
                    "compression-based alignment with a target set.",
        epilog="Run 'zipfit COMMAND --help' for the options of each command.")
    p.add_argument("--version", action="version",
                   version=f"{PROG} {__version__} (zlib {zlib_version()}, numpy {np.__version__})")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    common = argparse.ArgumentParser(add_help=False)
    g = common.add_argument_group("inputs")
    g.add_argument("sources", nargs="+", metavar="SOURCE",
                   help="source documents: .jsonl, .jsonl.gz, .json, .txt, .parquet "
                        "files, directories, globs, or - for standard input")
    g.add_argument("-t", "--target", action="append", required=True, metavar="FILE",
                   help="target documents (repeatable; same formats as sources)")
    g.add_argument("--text-field", default="text", metavar="NAME",
                   help="field holding each source's text; dotted paths such as "
                        "meta.body or messages.0.content walk nested records "
                        "(default: text)")
    g.add_argument("--target-field", metavar="NAME",
                   help="field holding each target's text (default: --text-field)")
    g.add_argument("--target-template", metavar="TEMPLATE",
                   help="build each target's text from several fields, e.g. "
                        "'Problem: {prompt}\\nSolution: {canonical_solution}' "
                        "(write real newlines or \\n)")
    g.add_argument("--format", choices=sorted(FORMATS), dest="format",
                   help="format of the sources (default: from the file name; "
                        "standard input: jsonl)")
    g.add_argument("--on-error", choices=("fail", "skip"), default="fail",
                   help="a bad source record stops the run (fail, the default) or is "
                        "skipped, counted and reported (skip; skipped records take "
                        "no zipfit_index)")
    s = common.add_argument_group("scoring")
    s.add_argument("-c", "--compressor", default="gzip",
                   help="gzip (default), zlib, deflate, lz4, zstd, brotli, lzma, bz2")
    s.add_argument("-l", "--level", type=_int, default=None,
                   help="compression level (default: the compressor's default, gzip 9)")
    s.add_argument("-j", "--workers", type=_int, default=-1,
                   help="threads: -1 all usable cores (default), 1 serial, -2 all but one")
    s.add_argument("--chunk-size", type=_positive_int, default=DEFAULT_CHUNK, metavar="N",
                   help=f"documents scored per chunk; memory is about one chunk "
                        f"(default {DEFAULT_CHUNK})")
    s.add_argument("-q", "--quiet", action="store_true",
                   help="no progress bar and no summary (warnings and errors still show)")

    ps = sub.add_parser(
        "select", parents=[common], help="write the best-aligned source records",
        description="Write the k best-aligned source records (or the best that fit a "
                    "budget), best first, each with all its fields plus zipfit_score "
                    "and zipfit_index (its position in the input stream).")
    lim = ps.add_argument_group("how many")
    lim.add_argument("-k", type=_positive_int, metavar="N", help="select N documents")
    b = lim.add_mutually_exclusive_group()
    b.add_argument("--budget-tokens", type=_positive_int, metavar="N",
                   help="select the best documents until their whitespace-separated "
                        "tokens would exceed N")
    b.add_argument("--budget-bytes", type=_positive_int, metavar="N",
                   help="select the best documents until their UTF-8 bytes would exceed N")
    o = ps.add_argument_group("output")
    o.add_argument("-o", "--output", default="-", metavar="FILE",
                   help="selected records: .jsonl (default format), .jsonl.gz, .json, "
                        "or - for standard output (default)")
    o.add_argument("--scores-out", metavar="FILE",
                   help="also save every document's score, in input order (.npy or .parquet)")
    dk = ps.add_argument_group("cluster (needs zipfit[dask]; see docs/dask.md)")
    dk.add_argument("--scheduler", metavar="ADDRESS",
                    help="run on the Dask cluster at ADDRESS (e.g. tcp://head:8786); the "
                         "sources must be files every worker can read at the same path")
    dk.add_argument("--blocksize", type=_positive_int, metavar="BYTES",
                    help="with --scheduler: bytes of .jsonl/.txt per partition "
                         "(default 32 MiB)")

    sc = sub.add_parser(
        "score", parents=[common], help="write every source's score, in input order",
        description="Score every source document, in input order.")
    sc.add_argument("-o", "--output", default="-", metavar="FILE",
                    help=".npy (float64 array), .parquet (zipfit_index, zipfit_score), "
                         "or records with zipfit_score and zipfit_index: .jsonl, "
                         ".jsonl.gz, .json, - for standard output (default)")

    mx = sub.add_parser(
        "matrix", parents=[common], help="write the NCD matrix of sources x targets (.npy)",
        description="Write NCD(source i, target j) for every pair to a .npy file of "
                    "shape (sources, targets).")
    mx.add_argument("-o", "--output", required=True, metavar="FILE.npy", help="output .npy file")
    mx.add_argument("--dtype", choices=("float64", "float32"), default="float64")
    return p


# ------------------------------------------------------------------ output

def _json_default(v: Any) -> Any:
    if isinstance(v, (datetime.datetime, datetime.date, datetime.time)):
        return v.isoformat()
    if isinstance(v, decimal.Decimal):
        return str(v)
    if isinstance(v, (bytes, bytearray, memoryview)):
        b = bytes(v)
        try:
            return b.decode("utf-8")
        except UnicodeDecodeError:
            return base64.b64encode(b).decode("ascii")
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, np.ndarray):
        return v.tolist()
    raise TypeError(f"cannot write a {type(v).__name__} as JSON")


def _dumps(rec: dict) -> bytes:
    s = json.dumps(rec, ensure_ascii=False, default=_json_default)
    try:
        return s.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates in some field: keep them escaped
        return json.dumps(rec, ensure_ascii=True, default=_json_default).encode("ascii")


def _record_kind(path: str) -> str:
    low = path.lower()
    if path == "-":
        return "jsonl"
    if low.endswith((".npy",)):
        return "npy"
    if low.endswith(".parquet"):
        return "parquet"
    if low.endswith((".json", ".json.gz")):
        return "json"
    return "jsonl"


class RecordWriter:
    """Records as JSON Lines (or one JSON array), optionally gzip-compressed."""

    def __init__(self, out: AtomicOutput) -> None:
        self.out = out
        low = out.path.lower()
        self.array = out.path != "-" and low.endswith((".json", ".json.gz"))
        self.gz: Optional[gzip.GzipFile] = None
        self.f: Any = out.file
        if out.path != "-" and low.endswith(".gz"):
            self.gz = gzip.GzipFile(fileobj=out.file, mode="wb", mtime=0)
            self.f = self.gz
        self.n = 0
        self._clash_warned = False
        if self.array:
            self.f.write(b"[")

    def write(self, data: Any, score: float, index: int) -> None:
        rec = dict(data) if isinstance(data, dict) else {"text": data}
        if not self._clash_warned and ("zipfit_score" in rec or "zipfit_index" in rec):
            self._clash_warned = True
            _warn("input records already have zipfit_score/zipfit_index fields; "
                  "they are replaced by this run's values")
        rec.pop("zipfit_score", None)
        rec.pop("zipfit_index", None)
        rec["zipfit_score"] = float(score)
        rec["zipfit_index"] = int(index)
        line = _dumps(rec)
        if self.array:
            self.f.write(b"\n" if self.n == 0 else b",\n")
            self.f.write(line)
        else:
            self.f.write(line + b"\n")
        self.n += 1

    def close(self) -> None:
        if self.array:
            self.f.write(b"\n]\n" if self.n else b"]\n")
        if self.gz is not None:
            self.gz.close()


class NpyWriter:
    """A .npy array written row block by row block (shape fixed at the end)."""

    HEADER = 128  # bytes reserved for the header; room for any 2-D shape

    def __init__(self, out: AtomicOutput, ncols: Optional[int], dtype: Any) -> None:
        if out.path == "-":
            raise UsageError(".npy output needs a file name, not -")
        self.out = out
        self.ncols = ncols
        self.dtype = np.dtype(dtype).newbyteorder("<")
        self.rows = 0
        out.file.write(b"\0" * self.HEADER)

    def write(self, block: np.ndarray) -> None:
        a = np.ascontiguousarray(block, dtype=self.dtype)
        self.out.file.write(a.tobytes())
        self.rows += a.shape[0]

    def close(self) -> None:
        shape = (self.rows,) if self.ncols is None else (self.rows, self.ncols)
        d = "{'descr': %r, 'fortran_order': False, 'shape': %r, }" % (
            np.lib.format.dtype_to_descr(self.dtype), shape)
        body = d.encode("latin1")
        pad = self.HEADER - 10 - len(body) - 1
        if pad < 0:  # pragma: no cover - a shape needing > 100 characters
            raise RuntimeError("npy header too long")
        header = (np.lib.format.magic(1, 0) + len(body + b" " * pad + b"\n")
                  .to_bytes(2, "little") + body + b" " * pad + b"\n")
        assert len(header) == self.HEADER
        self.out.file.seek(0)
        self.out.file.write(header)
        self.out.file.seek(0, os.SEEK_END)


class ParquetScores:
    """zipfit_index, zipfit_score columns, written chunk by chunk."""

    def __init__(self, out: AtomicOutput) -> None:
        if out.path == "-":
            raise UsageError(".parquet output needs a file name, not -")
        try:
            import pyarrow as pa
            import pyarrow.parquet as pq
        except ImportError:
            raise InputError('writing Parquet needs pyarrow: pip install "zipfit[parquet]"',
                             file=out.path) from None
        self.out = out
        self.pa = pa
        self.schema = pa.schema([("zipfit_index", pa.int64()), ("zipfit_score", pa.float64())])
        self.w = pq.ParquetWriter(out.file, self.schema)
        self.n = 0

    def write(self, scores: np.ndarray) -> None:
        idx = np.arange(self.n, self.n + len(scores), dtype=np.int64)
        self.w.write_table(self.pa.table([idx, np.asarray(scores, dtype=np.float64)],
                                         schema=self.schema))
        self.n += len(scores)

    def close(self) -> None:
        self.w.close()


def _scores_writer(out: AtomicOutput) -> Any:
    kind = _record_kind(out.path)
    if kind == "npy":
        return NpyWriter(out, None, np.float64)
    if kind == "parquet":
        return ParquetScores(out)
    raise UsageError(f"--scores-out {out.path}: use a .npy or .parquet file name")


# ------------------------------------------------------------------ progress

class Progress:
    """tqdm bar on stderr: input read (bytes, with ETA), docs/s and pairs/s."""

    def __init__(self, enabled: bool, total_bytes: Optional[int], n_targets: int,
                 counter: _Counter) -> None:
        self.t0 = time.monotonic()
        self.n_targets = n_targets
        self.counter = counter
        self.docs = 0
        self.pairs = 0
        self.bar = None
        self._pos0 = 0
        self._pos1 = 0
        self._chunk_pairs = 1
        self._last = 0.0
        if enabled:
            from tqdm import tqdm
            self.bar = tqdm(total=total_bytes, unit="B", unit_scale=True, unit_divisor=1024,
                            file=sys.stderr, mininterval=0.5, smoothing=0.05,
                            dynamic_ncols=True, leave=False)

    def start_chunk(self, ndocs: int) -> None:
        self._pos0 = self._pos1
        self._pos1 = self.counter.bytes
        self._chunk_pairs = max(1, ndocs * self.n_targets)

    def on_pairs(self, done: int) -> None:
        """Engine callback (about every 0.2 s): pairs done in the current chunk."""
        if self.bar is None:
            return
        now = time.monotonic()
        if now - self._last < 0.5:
            return
        self._last = now
        frac = min(1.0, done / self._chunk_pairs)
        self._show(self._pos0 + int((self._pos1 - self._pos0) * frac), self.pairs + done)

    def end_chunk(self, ndocs: int) -> None:
        self.docs += ndocs
        self.pairs += ndocs * self.n_targets
        if self.bar is not None:
            self._show(self._pos1, self.pairs)

    def _show(self, pos: int, pairs: int) -> None:
        bar = self.bar
        assert bar is not None  # only called with a bar
        el = max(1e-9, time.monotonic() - self.t0)
        if pos > bar.n:
            bar.update(pos - bar.n)
        bar.set_postfix_str(f"{self.docs:,} docs, {self.docs / el:,.0f} docs/s, "
                            f"{pairs / el:,.0f} pairs/s", refresh=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None

    @property
    def seconds(self) -> float:
        return time.monotonic() - self.t0


# ------------------------------------------------------------------ commands

def _targets(args: argparse.Namespace) -> List[bytes]:
    spec = TextSpec(args.target_field or args.text_field, args.target_template)
    inputs = expand_inputs(args.target, what="target")
    empty: List[str] = []
    texts = [r.text for r in read_records(inputs, spec, ErrorPolicy("fail"), empty=empty)]
    if not texts:
        names = ", ".join(i.name for i in inputs)
        raise InputError("no target documents (empty input)", file=names)
    return texts


def _zipfit(args: argparse.Namespace, targets: List[bytes]) -> Any:
    from ._api import ZipFit
    try:
        return ZipFit(targets, compressor=args.compressor, level=args.level,
                      workers=args.workers)
    except (ValueError, TypeError, ImportError) as e:
        raise UsageError(str(e)) from None


def _check_options(args: argparse.Namespace) -> None:
    """Bad options fail before any input is read."""
    from . import _compressors
    try:
        _compressors.get(args.compressor).resolve_level(args.level)
    except (ValueError, TypeError) as e:
        raise UsageError(str(e)) from None
    so = getattr(args, "scores_out", None)
    if so and _record_kind(so) not in ("npy", "parquet"):
        raise UsageError(f"--scores-out {so}: use a .npy or .parquet file name")


def _unescape(template: Optional[str]) -> Optional[str]:
    if template is None:
        return None
    return template.replace("\\n", "\n").replace("\\t", "\t")


class _Run:
    """What every command shares: inputs, scorer, outputs, progress, summary."""

    def __init__(self, args: argparse.Namespace, stack: contextlib.ExitStack) -> None:
        self.args = args
        self.stack = stack
        _check_options(args)
        if "-" in args.sources and "-" in args.target:
            raise UsageError("standard input ('-') can feed the sources or the targets, "
                             "not both")
        args.target_template = _unescape(args.target_template)
        self.spec = TextSpec(args.text_field)
        self.sources = expand_inputs(args.sources, args.format, what="source")
        self.targets = _targets(args)
        self.zf = _zipfit(args, self.targets)
        self.policy = ErrorPolicy(args.on_error)
        self.counter = _Counter()
        self.empty: List[str] = []
        sizes = [i.size for i in self.sources]
        total = None if any(s is None for s in sizes) else sum(sizes)  # type: ignore[arg-type]
        show = not args.quiet and sys.stderr.isatty()
        self.n = 0
        self.progress = Progress(show, total, self.zf.n_targets, self.counter)
        stack.callback(self.progress.close)

    def output(self, path: str) -> AtomicOutput:
        out = AtomicOutput(path)
        self.stack.callback(out.discard)
        return out

    def chunks(self, cost: Optional[str] = None) -> Iterator[List[Record]]:
        from ._select import CHUNK_BYTES, chunked
        recs = read_records(self.sources, self.spec, self.policy, self.counter,
                            cost=cost, empty=self.empty)
        for chunk in chunked(recs, self.args.chunk_size, CHUNK_BYTES,
                             size=lambda r: len(r.text)):
            self.progress.start_chunk(len(chunk))
            yield chunk

    def score(self, chunk: List[Record]) -> np.ndarray:
        from ._select import score_texts
        s = score_texts(self.zf, [r.text for r in chunk], self.progress.on_pairs)
        self.progress.end_chunk(len(chunk))
        self.n += len(chunk)
        return s

    def ncd(self, chunk: List[Record], dtype: Any) -> np.ndarray:
        d = self.zf._scorer.ncd([r.text for r in chunk], dtype=dtype,
                                progress=self.progress.on_pairs)
        self.progress.end_chunk(len(chunk))
        self.n += len(chunk)
        return d

    def finish_inputs(self) -> None:
        """After the stream: report skipped records and empty inputs."""
        self.progress.close()
        p = self.policy
        if p.skipped:
            first = "; ".join(str(e) for e in p.first)
            more = ", ..." if p.skipped > len(p.first) else ""
            _warn(f"skipped {p.skipped:,} bad source record(s) (--on-error skip): {first}{more}")
        if self.n == 0:
            if p.skipped:
                raise InputError(f"no valid source documents: all {p.skipped:,} "
                                 "records were bad and skipped")
            names = ", ".join(i.name for i in self.sources)
            raise InputError("no source documents (empty input)", file=names)
        for name in self.empty:
            _warn(f"{name}: no source documents (empty input)")

    def summary(self, what: str) -> None:
        self.progress.close()
        if self.args.quiet:
            return
        secs = self.progress.seconds
        pairs = self.n * self.zf.n_targets
        skipped = f", {self.policy.skipped:,} skipped" if self.policy.skipped else ""
        _say(f"{self.n:,} documents x {self.zf.n_targets:,} targets = {pairs:,} pairs "
             f"in {secs:.1f} s ({self.n / max(secs, 1e-9):,.0f} docs/s, "
             f"{pairs / max(secs, 1e-9):,.0f} pairs/s){skipped}; {what}")


def cmd_select(args: argparse.Namespace, stack: contextlib.ExitStack) -> int:
    from ._select import Selector
    if args.scheduler:
        try:
            from .dask import run_cli_select
        except ImportError as e:
            raise UsageError(str(e)) from None
        return run_cli_select(args, stack)
    if args.k is None and args.budget_tokens is None and args.budget_bytes is None:
        raise UsageError("say how many documents to select: -k N, --budget-tokens N "
                         "or --budget-bytes N")
    kind = _record_kind(args.output)
    if kind in ("npy", "parquet"):
        raise UsageError(f"-o {args.output}: selected records are written as .jsonl, "
                         ".jsonl.gz or .json (use --scores-out for a .npy/.parquet of scores)")
    cost = "tokens" if args.budget_tokens else "bytes" if args.budget_bytes else None
    budget = args.budget_tokens or args.budget_bytes
    run = _Run(args, stack)
    out = run.output(args.output)
    scores_out = None
    if args.scores_out:
        scores_out = _scores_writer(run.output(args.scores_out))
    sel = Selector(args.k, budget)
    for chunk in run.chunks(cost):
        scores = run.score(chunk)
        sel.offer(scores, run.n - len(chunk), [r.data for r in chunk],
                  [r.cost for r in chunk] if cost else None)
        if scores_out is not None:
            scores_out.write(scores)
    run.finish_inputs()
    if args.k is not None and args.k > run.n:
        _warn(f"-k {args.k:,} is more than the {run.n:,} source documents: "
              f"selecting all {run.n:,}")
    chosen = sel.result()
    if budget is not None and not chosen:
        _warn(f"nothing fits the budget of {budget:,} "
              f"{'tokens' if cost == 'tokens' else 'bytes'}: the best document alone "
              "exceeds it")
    w = RecordWriter(out)
    for index, score, data in chosen:
        w.write(data, score, index)
    w.close()
    if scores_out is not None:
        scores_out.close()
        scores_out.out.commit()
    out.commit()
    budget_note = ""
    if budget is not None:
        budget_note = f" ({sel.total_cost:,} {'tokens' if cost == 'tokens' else 'bytes'})"
    run.summary(f"selected {len(chosen):,}{budget_note} -> "
                f"{'stdout' if args.output == '-' else args.output}")
    return 0


def cmd_score(args: argparse.Namespace, stack: contextlib.ExitStack) -> int:
    run = _Run(args, stack)
    out = run.output(args.output)
    kind = _record_kind(args.output)
    writer: Any
    if kind in ("npy", "parquet"):
        writer = _scores_writer(out)
        for chunk in run.chunks():
            writer.write(run.score(chunk))
    else:
        writer = RecordWriter(out)
        for chunk in run.chunks():
            start = run.n
            scores = run.score(chunk)
            for i, (r, s) in enumerate(zip(chunk, scores.tolist())):
                writer.write(r.data, s, start + i)
    run.finish_inputs()
    writer.close()
    out.commit()
    run.summary(f"scores -> {'stdout' if args.output == '-' else args.output}")
    return 0


def cmd_matrix(args: argparse.Namespace, stack: contextlib.ExitStack) -> int:
    if _record_kind(args.output) != "npy":
        raise UsageError(f"-o {args.output}: the matrix is written as .npy")
    run = _Run(args, stack)
    out = run.output(args.output)
    w = NpyWriter(out, run.zf.n_targets, args.dtype)
    for chunk in run.chunks():
        w.write(run.ncd(chunk, np.dtype(args.dtype)))
    run.finish_inputs()
    w.close()
    out.commit()
    run.summary(f"{run.n:,} x {run.zf.n_targets:,} NCD matrix -> {args.output}")
    return 0


COMMANDS = {"select": cmd_select, "score": cmd_score, "matrix": cmd_matrix}


def _hint(e: InputError, args: argparse.Namespace) -> str:
    msg = str(e)
    if e.field is not None and e.message.startswith("missing") and "template" not in e.message:
        msg += " (choose the field with --text-field or --target-field)"
    return msg


def _on_sigterm(signum: int, frame: Any) -> None:
    raise SystemExit(128 + signum)


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the command line; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    old_show = warnings.showwarning

    def show(message: Any, category: Any, filename: str, lineno: int,
             file: Any = None, line: Any = None) -> None:
        _warn(str(message))

    warnings.showwarning = show
    old_handlers = {}
    for sig in (signal.SIGTERM, getattr(signal, "SIGHUP", None)):
        if sig is None:
            continue
        try:  # terminate / hang up: clean up like Ctrl-C, exit 128 + signal
            old_handlers[sig] = signal.signal(sig, _on_sigterm)
        except ValueError:  # not the main thread
            pass
    try:
        with contextlib.ExitStack() as stack:
            return COMMANDS[args.command](args, stack)
    except InputError as e:
        _say(f"error: {_hint(e, args)}")
        return EXIT_INPUT
    except UsageError as e:
        _say(f"error: {e}")
        return EXIT_USAGE
    except KeyboardInterrupt:
        _say("interrupted; no output written")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except OSError:  # pragma: no cover
            pass
        return EXIT_INPUT
    except MemoryError:
        _say("error: out of memory; try a smaller --chunk-size")
        return EXIT_INPUT
    except OSError as e:
        _say(f"error: {e.filename + ': ' if e.filename else ''}{e.strerror or e}")
        return EXIT_INPUT
    finally:
        warnings.showwarning = old_show
        for sig, handler in old_handlers.items():
            signal.signal(sig, handler)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
