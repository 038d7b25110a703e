"""The ``zipfit`` command: select, score and matrix over files of any size.

    zipfit select SOURCES... --target FILE -k N [-o OUT]
    zipfit score  SOURCES... --target FILE [-o OUT]
    zipfit matrix SOURCES... --target FILE -o OUT.npy
    zipfit --version

This module only parses arguments, calls a job of :mod:`zipfit.pipeline` and
prints.  Exit status: 0 done, 1 bad input or failure, 2 bad usage, 130
interrupted (128 + N after signal N; 141 when the reader of standard output
goes away).
"""
from __future__ import annotations

import argparse
import os
import signal
import sys
import time
import warnings
from typing import Any, Optional, Sequence, TextIO

import numpy as np

from . import __version__, pipeline
from .errors import InputError, UsageError, ZipFitError
from .io import FORMAT_NAMES, Counter
from .pipeline import format_rate

PROG = "zipfit"
EXIT_INPUT = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
EXIT_PIPE = 128 + getattr(signal, "SIGPIPE", 13)
DEFAULT_CHUNK = 4096


def _say(msg: str, stream: Optional[TextIO] = None) -> None:
    stream = stream or sys.stderr
    try:
        print(f"{PROG}: {msg}", file=stream, flush=True)
    except (BrokenPipeError, ValueError):  # pragma: no cover - stderr gone
        pass


def _warn(msg: str) -> None:
    _say(f"warning: {msg}")


# ------------------------------------------------------------------ parser

def _number(kind: type, minimum: Optional[int], what: str) -> Any:
    """An argparse type: ``kind(s)``, at least ``minimum`` when one is given."""
    def parse(s: str) -> Any:
        try:
            v = kind(s)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {what}, got {s!r}") from None
        if minimum is not None and v < minimum:
            raise argparse.ArgumentTypeError(f"expected {what}, got {s!r}")
        return v
    return parse


_positive_int = _number(int, 1, "a positive integer")
_count = _number(int, 0, "a whole number >= 0")
_int = _number(int, None, "an integer")
_float = _number(float, None, "a number")


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
                   help="source documents: .jsonl, .jsonl.gz, .json, .txt, .parquet, "
                        ".arrow files, directories, globs, save_to_disk dataset "
                        "directories, hf://datasets/OWNER/NAME, or - for standard input")
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
    g.add_argument("--format", choices=FORMAT_NAMES, dest="format",
                   help="format of the sources (default: from the file name; "
                        "standard input: jsonl, gzip-compressed or not)")
    g.add_argument("--target-format", choices=FORMAT_NAMES,
                   help="format of the targets (default: from the file name; "
                        "standard input: jsonl, gzip-compressed or not)")
    g.add_argument("--split", metavar="NAME",
                   help="the split of a saved DatasetDict or of a hf://datasets/OWNER/NAME "
                        "input (Hub default: train)")
    g.add_argument("--config", metavar="NAME",
                   help="the configuration of a hf://datasets/OWNER/NAME input")
    g.add_argument("--on-error", choices=("fail", "skip"), default="fail",
                   help="a bad source record stops the run (fail, the default) or is "
                        "skipped, counted and reported (skip; skipped records take "
                        "no zipfit_index)")
    s = common.add_argument_group("scoring")
    s.add_argument("-c", "--compressor", default="gzip",
                   help="gzip (default), zlib, deflate, lz4, zstd, brotli, lzma, bz2")
    s.add_argument("-l", "--level", type=_int, default=None,
                   help="compression level (default: the compressor's default, gzip 9)")
    s.add_argument("-j", "--workers", type=_int, default=None,
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
    lim.add_argument("-k", type=_count, metavar="N",
                     help="select N documents (0 selects none)")
    b = lim.add_mutually_exclusive_group()
    b.add_argument("--budget-tokens", type=_positive_int, metavar="N",
                   help="select the best documents until their whitespace-separated "
                        "tokens would exceed N")
    b.add_argument("--budget-bytes", type=_positive_int, metavar="N",
                   help="select the best documents until their UTF-8 bytes would exceed N")
    lim.add_argument("--per-target", type=_positive_int, metavar="M",
                     help="instead of -k: the M nearest documents (lowest NCD) of every "
                          "target; the selection is their union, ordered by score, each "
                          "record with zipfit_targets")
    st = ps.add_argument_group("strategy")
    st.add_argument("--sample", action="store_true",
                    help="sample the documents (Gumbel top-k) with probability "
                         "proportional to exp(score / T) instead of taking the best")
    st.add_argument("--temperature", type=_float, default=1.0, metavar="T",
                    help="with --sample: the temperature T > 0 (default 1; lower is "
                         "closer to the top-k)")
    st.add_argument("--seed", type=_count, default=0, metavar="S",
                    help="with --sample: the seed (default 0); the same seed gives the "
                         "same sample whatever the chunking or the executor")
    st.add_argument("--dedup", action="store_true",
                    help="identical texts count once: the copy with the lowest index is "
                         "kept, and the summary says how many copies were dropped")
    st.add_argument("--min-bytes", type=_count, metavar="N",
                    help="do not select documents shorter than N UTF-8 bytes (empty ones "
                         "score well with any compressor)")
    st.add_argument("--max-bytes", type=_count, metavar="N",
                    help="do not select documents longer than N UTF-8 bytes")
    lim.add_argument("--tokenizer", metavar="NAME_OR_PATH",
                     help="--budget-tokens counts this tokenizer's tokens: a tokenizer.json "
                          "file (needs zipfit[hf]), or a name or path for "
                          "transformers.AutoTokenizer (needs transformers); default: "
                          "whitespace-separated tokens")
    o = ps.add_argument_group("output")
    o.add_argument("-o", "--output", default="-", metavar="FILE",
                   help="selected records: .jsonl (default format), .jsonl.gz, .json, "
                        ".parquet, or - for standard output (default)")
    o.add_argument("--output-format", choices=("jsonl", "json", "parquet", "hf"),
                   help="the output's format when its name does not say it; hf writes "
                        "a datasets.save_to_disk directory at -o DIR (needs zipfit[hf])")
    o.add_argument("--scores-out", metavar="FILE",
                   help="also save every document's score, in input order (.npy or .parquet)")
    o.add_argument("--report", metavar="FILE.html",
                   help="also write a self-contained HTML report of the run: score spread "
                        "and cut, length bias, per-target coverage, documents (needs "
                        "zipfit[report])")
    o.add_argument("--per-target-report", metavar="FILE",
                   help="with --per-target: which target got which document at what NCD "
                        "(.csv or .jsonl)")
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
    sc.add_argument("--report", metavar="FILE.html",
                    help="also write a self-contained HTML report: score spread, length "
                         "bias, the best documents (needs zipfit[report])")

    mx = sub.add_parser(
        "matrix", parents=[common], help="write the NCD matrix of sources x targets (.npy)",
        description="Write NCD(source i, target j) for every pair to a .npy file of "
                    "shape (sources, targets).")
    mx.add_argument("-o", "--output", required=True, metavar="FILE.npy", help="output .npy file")
    mx.add_argument("--dtype", choices=("float64", "float32"), default="float64",
                    help="type of the matrix's values (default float64; float32 halves "
                         "the file)")
    p.commands = {"select": ps, "score": sc, "matrix": mx}  # type: ignore[attr-defined]
    return p


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """Parse the command line; a subcommand's mistakes print its own usage."""
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra:
        parser.commands[args.command].error(f"unrecognized arguments: {' '.join(extra)}")
    return args


# ------------------------------------------------------------------ progress

class Progress:
    """tqdm bar on stderr: input read (bytes, with ETA), docs/s and pairs/s."""

    def __init__(self, enabled: bool, total_bytes: Optional[int], n_targets: int,
                 counter: Counter) -> None:
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
        bar.set_postfix_str(f"{self.docs:,} docs, {format_rate(self.docs / el)} docs/s, "
                            f"{format_rate(pairs / el)} pairs/s", refresh=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None

    @property
    def seconds(self) -> float:
        return time.monotonic() - self.t0


# ------------------------------------------------------------------ commands

def _unescape(template: Optional[str]) -> Optional[str]:
    if template is None:
        return None
    return template.replace("\\n", "\n").replace("\\t", "\t")


def _job(args: argparse.Namespace) -> pipeline.Job:
    return pipeline.Job(
        sources=args.sources, targets=args.target, text_field=args.text_field,
        target_field=args.target_field, target_template=_unescape(args.target_template),
        format=args.format, target_format=args.target_format, split=args.split,
        config=args.config, on_error=args.on_error,
        compressor=args.compressor,
        level=args.level, workers=-1 if args.workers is None else args.workers,
        chunk_size=args.chunk_size)


def _executor(args: argparse.Namespace) -> Any:
    scheduler = getattr(args, "scheduler", None)
    if scheduler is None:
        if getattr(args, "blocksize", None) is not None:
            raise UsageError("--blocksize cuts inputs into Dask partitions: it needs "
                             "--scheduler")
        return pipeline.LocalExecutor()
    if args.workers is not None:
        raise UsageError("-j/--workers sets this machine's threads; with --scheduler "
                         "each Dask worker thread runs one task (set it with the "
                         "workers' --nthreads)")
    try:
        from .dask import DaskExecutor
    except ImportError as e:
        raise UsageError(str(e)) from None
    return DaskExecutor(scheduler, args.blocksize)


def _progress(args: argparse.Namespace) -> Any:
    if args.quiet or not sys.stderr.isatty():
        return None
    return lambda total, n_targets, counter: Progress(True, total, n_targets, counter)


def _run(args: argparse.Namespace) -> None:
    job = _job(args)
    kw = dict(executor=_executor(args), progress=_progress(args), warn=_warn)
    if args.command == "select":
        if not args.sample and (args.temperature != 1.0 or args.seed != 0):
            raise UsageError("--temperature and --seed shape a sample: give --sample")
        summary = pipeline.select(
            job, args.output, k=args.k, budget_tokens=args.budget_tokens,
            budget_bytes=args.budget_bytes, tokenizer=args.tokenizer,
            strategy="sample" if args.sample else "topk", temperature=args.temperature,
            seed=args.seed, dedup=args.dedup, per_target=args.per_target,
            min_bytes=args.min_bytes, max_bytes=args.max_bytes, scores_out=args.scores_out,
            per_target_report=args.per_target_report, output_format=args.output_format,
            report=args.report, **kw)
    elif args.command == "score":
        summary = pipeline.score(job, args.output, report=args.report, **kw)
    else:
        summary = pipeline.matrix(job, args.output, dtype=args.dtype, **kw)
    if not args.quiet:
        _say(summary.line())


def _hint(e: InputError) -> str:
    msg = str(e)
    if e.field is not None and e.message.startswith("missing") and "template" not in e.message:
        msg += " (choose the field with --text-field or --target-field)"
    return msg


def _on_sigterm(signum: int, frame: Any) -> None:
    raise SystemExit(128 + signum)


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the command line; returns the exit status."""
    args = parse_args(argv)
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
        _run(args)
        return 0
    except InputError as e:
        _say(f"error: {_hint(e)}")
        return EXIT_INPUT
    except UsageError as e:
        _say(f"error: {e}")
        return EXIT_USAGE
    except KeyboardInterrupt:
        _say("interrupted; no output written")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (`zipfit score ... | head`): stop quietly with
        # the status a tool killed by SIGPIPE has, as head-fed tools do.
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except OSError:  # pragma: no cover
            pass
        return EXIT_PIPE
    except MemoryError:
        _say("error: out of memory; try a smaller --chunk-size")
        return EXIT_INPUT
    except ZipFitError as e:
        _say(f"error: {e}")
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
