"""Reading documents: inputs are cut into splits, and one reader turns a split into records.

Every reader streams: it yields one record at a time and never holds more
than one buffer of its file, so a source pool of any size can be scored in
bounded memory.  Each record remembers the file and line (or row) it came
from, so that every problem is reported as ``file:line: field 'x': what``.

A *split* is what one reader call reads: a whole input, a byte range of a
``.jsonl``/``.txt`` file (it owns the lines that start in it), or one row
group of a Parquet file.  The local run reads whole inputs in order; Dask
maps :func:`read_split` over finer splits (:func:`splits` with a blocksize).

Formats, by file name (``--format`` overrides it for the sources):

=================  ===========================================================
``.jsonl``         one JSON object per line (``.ndjson`` too); blank lines
                   are skipped
``.json``          one JSON array of objects, read incrementally
``.txt``           one document per line (the line without its newline)
``.parquet``       rows of a Parquet file (needs ``pip install "zipfit[parquet]"``)
``.arrow``         rows of an Arrow file (the streaming format ``datasets`` writes)
directory          a ``Dataset.save_to_disk`` directory (its ``.arrow`` files); of a
                   ``DatasetDict``, the split named by ``--split``
``hf://datasets/`` a Hugging Face Hub dataset, loaded (streamed where it can be)
                   by ``datasets.load_dataset`` with ``--split``/``--config``
``*.gz``           any of the text formats compressed with gzip
``-``              standard input (JSON Lines unless ``--format`` says otherwise)
=================  ===========================================================

A record may also be a bare JSON string, which is then the document itself.
"""
from __future__ import annotations

import codecs
import glob
import gzip
import json
import os
import string
import sys
import zlib
from typing import Any, BinaryIO, Callable, Dict, Iterable, Iterator, List, Optional, Tuple

from .errors import InputError

__all__ = [
    "FORMATS",
    "FORMAT_NAMES",
    "Record",
    "TextSpec",
    "ErrorPolicy",
    "Counter",
    "Input",
    "Split",
    "expand_inputs",
    "splits",
    "read_split",
    "read_records",
    "records_from_items",
    "encode_text",
]

#: format name -> file name endings that select it
FORMATS = {
    "jsonl": (".jsonl", ".ndjson", ".jsonl.gz", ".ndjson.gz"),
    "json": (".json", ".json.gz"),
    "txt": (".txt", ".txt.gz"),
    "parquet": (".parquet",),
    "arrow": (".arrow",),
}

#: what a format option accepts: the formats, and the gzip-compressed ones
FORMAT_NAMES = ("jsonl", "jsonl.gz", "json", "json.gz", "txt", "txt.gz", "parquet", "arrow")
#: a Hugging Face Hub dataset as an input: hf://datasets/OWNER/NAME
HUB_PREFIX = "hf://datasets/"

_READ_BYTES = 1 << 20


class ErrorPolicy:
    """What to do with a bad record, and what reading found.

    ``mode="fail"`` raises the record's ``InputError``; ``"skip"`` counts it,
    keeps the first ``keep`` errors and goes on.  ``counts`` holds the number
    of good records read from each input (by display name), so inputs that
    held none can be reported.  Policies of separately read splits merge.
    """

    def __init__(self, mode: str = "fail", keep: int = 5) -> None:
        if mode not in ("fail", "skip"):
            raise ValueError(f"on_error must be 'fail' or 'skip', not {mode!r}")
        self.mode = mode
        self.skipped = 0
        self.first: List[InputError] = []
        self.counts: Dict[str, int] = {}
        self._keep = keep

    def bad(self, err: InputError) -> None:
        """Raise ``err``, or record it and return (then the caller skips the record)."""
        if self.mode == "fail":
            raise err
        self.skipped += 1
        if len(self.first) < self._keep:
            self.first.append(err)

    def count(self, name: str, n: int) -> None:
        self.counts[name] = self.counts.get(name, 0) + n

    def merge(self, other: "ErrorPolicy") -> "ErrorPolicy":
        """Add what ``other`` (a later split) found to this policy; returns self."""
        self.skipped += other.skipped
        self.first += other.first[:self._keep - len(self.first)]
        for name, n in other.counts.items():
            self.count(name, n)
        return self

    def empty_inputs(self) -> List[str]:
        """Names of the inputs read that held no good record, in reading order."""
        return [name for name, n in self.counts.items() if n == 0]


class Record:
    """One document: its text as UTF-8 bytes, the parsed record and its origin.

    ``line`` is the 1-based line (Parquet: row) in ``file``; None for a record
    read from a byte range that does not start the file (counting its lines
    would mean reading all that comes before).
    """

    __slots__ = ("text", "data", "file", "line")

    def __init__(self, text: bytes, data: Any, file: Optional[str],
                 line: Optional[int]) -> None:
        self.text = text
        self.data = data
        self.file = file
        self.line = line

    def as_dict(self) -> dict:
        """The record with all its fields (a bare string becomes ``{"text": s}``)."""
        if isinstance(self.data, dict):
            return dict(self.data)
        return {"text": self.data}


# ------------------------------------------------------------------ fields

_MISSING = object()


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return f"a number ({value!r})" if len(repr(value)) < 24 else "a number"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, (list, tuple)):
        return "an array"
    return f"a {type(value).__name__}"


def get_field(obj: Any, path: str) -> Any:
    """``obj[path]``, where a dotted path walks nested objects and arrays.

    A key that itself contains dots is found first; ``messages.0.content``
    indexes into an array.  Returns ``_MISSING`` when the path does not exist.
    """
    if isinstance(obj, dict) and path in obj:
        return obj[path]
    cur = obj
    for part in path.split("."):
        if isinstance(cur, dict):
            if part not in cur:
                return _MISSING
            cur = cur[part]
        elif isinstance(cur, list) and part.lstrip("-").isdigit():
            i = int(part)
            if not -len(cur) <= i < len(cur):
                return _MISSING
            cur = cur[i]
        else:
            return _MISSING
    return cur


def _fields_hint(obj: Any) -> str:
    if isinstance(obj, dict):
        names = list(obj)
        shown = ", ".join(repr(n) for n in names[:8])
        if len(names) > 8:
            shown += f", ... ({len(names)} fields)"
        return f" (the record has: {shown})" if names else " (the record is empty: {})"
    return ""


class TextSpec:
    """How to turn a record into the text that is compressed.

    Either one (dotted) field, or a template such as
    ``"Problem: {prompt}\\nSolution: {canonical_solution}"`` whose ``{name}``
    placeholders are (dotted) fields.  A bare string record is its own text
    when no template is given.
    """

    def __init__(self, field: str = "text", template: Optional[str] = None) -> None:
        if not field:
            raise ValueError("the text field name must not be empty")
        self.field = field
        self.template = template
        self._parts: List[Tuple[str, Optional[str], str, Optional[str]]] = []
        if template is not None:
            try:
                parsed = list(string.Formatter().parse(template))
            except ValueError as e:
                raise ValueError(f"bad template {template!r}: {e}") from None
            for literal, name, spec, conv in parsed:
                if name is not None and name == "":
                    raise ValueError(
                        f"bad template {template!r}: every placeholder needs a "
                        "field name, e.g. {prompt}")
                if conv not in (None, "s"):
                    raise ValueError(
                        f"bad template {template!r}: conversion !{conv} is not supported")
                self._parts.append((literal, name, spec or "", conv))
            if not any(p[1] for p in self._parts):
                raise ValueError(f"template {template!r} has no {{field}} placeholder")

    def describe(self) -> str:
        return f"template {self.template!r}" if self.template else f"field {self.field!r}"

    def text(self, data: Any, err: Callable[..., InputError]) -> str:
        """The text of one record; ``err(message, field=...)`` builds the error."""
        if self.template is None:
            if isinstance(data, str):
                return data
            if not isinstance(data, dict):
                raise err(f"the record is {_kind(data)}, expected an object "
                          f"with a string field {self.field!r}")
            value = get_field(data, self.field)
            if value is _MISSING:
                raise err("missing" + _fields_hint(data), field=self.field)
            if not isinstance(value, str):
                raise err(f"is {_kind(value)}, expected a string", field=self.field)
            return value
        if not isinstance(data, dict):
            raise err(f"the record is {_kind(data)}, but the template "
                      f"{self.template!r} needs an object")
        out = []
        for literal, name, spec, _conv in self._parts:
            out.append(literal)
            if name is None:
                continue
            value = get_field(data, name)
            if value is _MISSING:
                raise err("missing (used by the template)" + _fields_hint(data), field=name)
            if isinstance(value, bool) or not isinstance(value, (str, int, float)):
                raise err(f"is {_kind(value)}, expected a string", field=name)
            out.append(format(value, spec) if spec else str(value))
        return "".join(out)


def encode_text(text: str, err: Callable[..., InputError], field: Optional[str]) -> bytes:
    """UTF-8 bytes of ``text``; lone surrogates (from JSON ``\\ud800`` escapes) are errors."""
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as e:
        raise err(f"is not valid Unicode: lone surrogate {text[e.start]!r} "
                  f"at character {e.start}", field=field) from None


# ------------------------------------------------------------------ inputs

class Input:
    """One input: a path (or ``-`` for stdin), its display name and format.

    ``gzip`` is True for gzip-compressed data (a ``.gz`` name or a format
    such as ``jsonl.gz``); for standard input without such a format it is
    None: the data is checked for gzip's magic bytes when it is opened.
    """

    __slots__ = ("path", "name", "format", "gzip", "hf_split", "hf_config")

    def __init__(self, path: str, fmt: str, hf_split: Optional[str] = None,
                 hf_config: Optional[str] = None) -> None:
        self.path = path
        self.hf_split = hf_split
        self.hf_config = hf_config
        self.name = "<stdin>" if path == "-" else path
        self.gzip: Optional[bool] = fmt.endswith(".gz") or path.lower().endswith(".gz")
        if path == "-" and not self.gzip:
            self.gzip = None
        self.format = fmt[:-3] if fmt.endswith(".gz") else fmt

    @property
    def size(self) -> Optional[int]:
        if self.path == "-" or self.format in ("hf", "hub"):
            return None
        try:
            return os.path.getsize(self.path)
        except OSError:
            return None

    def __repr__(self) -> str:
        return f"Input({self.path!r}, {self.format!r})"


def format_of(path: str) -> Optional[str]:
    low = path.lower()
    for fmt, ends in FORMATS.items():
        if low.endswith(ends):
            return fmt
    return None


def _known(path: str) -> bool:
    return format_of(path) is not None


def _saved_dataset(path: str, split: Optional[str]) -> Optional[str]:
    """The directory of a ``save_to_disk`` dataset at ``path`` (a split's, for a
    DatasetDict), or None if ``path`` is not one."""
    if os.path.isfile(os.path.join(path, "state.json")):
        return path
    dict_file = os.path.join(path, "dataset_dict.json")
    if not os.path.isfile(dict_file):
        return None
    with open(dict_file, encoding="utf-8") as f:
        names = json.load(f).get("splits", [])
    if split is None or split not in names:
        raise InputError(f"a saved DatasetDict: choose a split with --split "
                         f"(one of: {', '.join(names)})", file=path)
    return os.path.join(path, split)


def expand_inputs(paths: List[str], fmt: Optional[str] = None, what: str = "input",
                  hf_split: Optional[str] = None, hf_config: Optional[str] = None
                  ) -> List[Input]:
    """Files named by ``paths``: files, directories (recursively), globs, ``-``,
    saved Hugging Face datasets and ``hf://datasets/OWNER/NAME``.

    Directory and glob entries are sorted by path; only files with a known
    extension are taken from directories.  Missing files, empty directories,
    globs matching nothing and unknown formats are ``InputError``.
    """
    if fmt is not None and fmt not in FORMAT_NAMES:
        raise ValueError(f"unknown format {fmt!r}; choose one of: {', '.join(FORMAT_NAMES)}")
    out: List[Input] = []
    option = "--target-format" if what == "target" else "--format"

    def add(path: str) -> None:
        f = fmt or format_of(path)
        if f is None:
            raise InputError(
                "cannot tell the format from the file name: use a name ending in "
                f".jsonl, .jsonl.gz, .json, .txt or .parquet, or give {option}",
                file=path)
        out.append(Input(path, f))

    for p in paths:
        if p == "-":
            out.append(Input("-", fmt or "jsonl"))
        elif p.startswith(HUB_PREFIX):
            if len(p) == len(HUB_PREFIX):
                raise InputError("name the dataset: hf://datasets/OWNER/NAME", file=p)
            out.append(Input(p, "hub", hf_split, hf_config))
        elif os.path.isdir(p) and _saved_dataset(p, hf_split) is not None:
            out.append(Input(_saved_dataset(p, hf_split) or p, "hf"))
        elif os.path.isdir(p):
            found = []
            for root, dirs, files in os.walk(p):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                found += [os.path.join(root, f) for f in files
                          if not f.startswith(".") and (_known(f) or fmt)]
            if not found:
                raise InputError(f"the directory has no {what} files "
                                 "(.jsonl, .jsonl.gz, .json, .txt, .parquet)", file=p)
            for f in sorted(found):
                add(f)
        elif os.path.exists(p):
            add(p)
        elif glob.has_magic(p):
            matches = sorted(glob.glob(p, recursive=True))
            files = []
            for m in matches:
                if os.path.isdir(m):
                    files += sorted(os.path.join(r, f) for r, _, fs in os.walk(m)
                                    for f in fs if _known(f) or fmt)
                else:
                    files.append(m)
            if not files:
                raise InputError("no file matches this pattern", file=p)
            for f in files:
                add(f)
        else:
            raise InputError("no such file or directory", file=p)
    if sum(1 for i in out if i.path == "-") > 1:
        raise InputError("standard input ('-') can be read only once")
    return out


class Counter:
    """Bytes of input consumed so far, for progress bars."""

    __slots__ = ("bytes",)

    def __init__(self) -> None:
        self.bytes = 0


class Split:
    """What one reader call reads.

    A whole input (``start=0, end=None, group=None``); a byte range
    ``[start, end)`` of a ``.jsonl``/``.txt`` file, which owns the lines that
    start in it; or row group ``group`` of a Parquet file, whose first row is
    row ``row0 + 1`` of the file.
    """

    __slots__ = ("input", "start", "end", "group", "row0")

    def __init__(self, inp: Input, start: int = 0, end: Optional[int] = None,
                 group: Optional[int] = None, row0: int = 0) -> None:
        self.input = inp
        self.start = start
        self.end = end
        self.group = group
        self.row0 = row0

    def __repr__(self) -> str:
        return (f"Split({self.input!r}, start={self.start}, end={self.end}, "
                f"group={self.group})")


def splits(inputs: List[Input], blocksize: Optional[int] = None) -> List[Split]:
    """The inputs cut into splits, in input order.

    Without ``blocksize`` each input is one split.  With it, uncompressed
    ``.jsonl``/``.txt`` files are cut into byte ranges of ``blocksize`` and
    Parquet files into row groups; ``.json``, ``.gz`` files and standard
    input stay whole.
    """
    out: List[Split] = []
    for inp in inputs:
        whole = (blocksize is None or inp.path == "-"
                 or inp.format in ("json", "arrow", "hf", "hub") or inp.gzip is not False)
        if whole:
            out.append(Split(inp))
        elif inp.format == "parquet":
            row0 = 0
            md = _parquet_file(inp).metadata
            for g in range(md.num_row_groups):
                out.append(Split(inp, group=g, row0=row0))
                row0 += md.row_group(g).num_rows
        else:
            size = inp.size
            if size is None:
                raise InputError("cannot open: no such file", file=inp.name)
            for start in range(0, max(size, 1), blocksize):
                out.append(Split(inp, start, min(start + blocksize, size)))
    return out


_GZIP_MAGIC = b"\x1f\x8b"


def _open_binary(inp: Input) -> Tuple[BinaryIO, Callable[[], int], Callable[[], None]]:
    """(stream, position-in-raw-file, close) for a jsonl/json/txt input."""
    if inp.path == "-":
        raw = sys.stdin.buffer
        count = [0]

        class _Tracked:
            def __iter__(self):
                for line in raw:
                    count[0] += len(line)
                    yield line

            def read(self, n: int = -1) -> bytes:
                b = raw.read(n)
                count[0] += len(b)
                return b

        gz = inp.gzip
        if gz is None:   # gzip data on a pipe: told by its first two bytes
            peek = getattr(raw, "peek", None)
            gz = peek is not None and peek(2)[:2] == _GZIP_MAGIC
        stream: Any = gzip.GzipFile(fileobj=_Tracked(), mode="rb") if gz else _Tracked()
        return stream, lambda: count[0], lambda: None
    try:
        raw = open(inp.path, "rb")
    except OSError as e:
        raise InputError(f"cannot open: {e.strerror}", file=inp.name) from None
    if inp.gzip:
        gz = gzip.GzipFile(fileobj=raw, mode="rb")

        def close() -> None:
            gz.close()
            raw.close()
        return gz, raw.tell, close  # type: ignore[return-value]
    return raw, raw.tell, raw.close


def _read_guard(inp: Input, items: Iterator[Any]) -> Iterator[Any]:
    """Turn read and decompression failures into an InputError naming the input."""
    try:
        yield from items
    except (gzip.BadGzipFile, EOFError, zlib.error) as e:
        raise InputError(f"not a valid gzip file ({e or 'truncated'})",
                         file=inp.name) from None
    except OSError as e:
        raise InputError(f"read error: {e.strerror or e}", file=inp.name) from None


def _json_msg(e: json.JSONDecodeError) -> str:
    """json's message without its dangling ' at' ('Invalid control character at')."""
    msg = e.msg
    for tail in (" at", " starting"):
        if msg.endswith(tail):
            msg = msg[:-len(tail)]
    return msg


def _bad_utf8(raw: bytes, e: UnicodeDecodeError) -> str:
    return (f"invalid UTF-8 (byte 0x{raw[e.start]:02x} at column {e.start + 1})")


#: decode_line's answer for a blank JSON Lines line
BLANK = object()


class LineError(ValueError):
    """A line that is not valid UTF-8 or not valid JSON (no file/line yet)."""


def decode_line(raw: bytes, first: bool, json_lines: bool) -> Any:
    """The value of one raw .jsonl/.txt line: parsed JSON, or the line's text.

    ``first`` drops a UTF-8 byte-order mark; blank JSON Lines lines give
    ``BLANK``; text lines lose their line ending.  Raises ``LineError``.
    """
    if first and raw.startswith(codecs.BOM_UTF8):
        raw = raw[3:]
    if json_lines:
        if not raw.strip():
            return BLANK
        # without its line end, an unterminated string reads as one (the
        # newline would be reported as an invalid control character)
        raw = raw.rstrip(b"\r\n")
    elif raw.endswith(b"\n"):
        raw = raw[:-1]
        if raw.endswith(b"\r"):
            raw = raw[:-1]
    try:
        s = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise LineError(_bad_utf8(raw, e)) from None
    if not json_lines:
        return s
    try:
        return json.loads(s)
    except json.JSONDecodeError as e:
        raise LineError(f"malformed JSON: {_json_msg(e)} (column {e.colno})") from None
    except RecursionError:
        raise LineError("malformed JSON: nested too deeply") from None


class _LineNumbers:
    """1-based line numbers of a split's lines, from their position in the split.

    For a range that does not start the file, the lines before it are
    counted only when a number is needed (an error message).
    """

    def __init__(self, split: Split) -> None:
        self.split = split
        self.first = 1 if split.start == 0 else 0
        self.offset = 0  # where the split's first line starts, once known

    def known(self, rel: int) -> Optional[int]:
        return self.first + rel if self.first else None

    def __call__(self, rel: int) -> int:
        if not self.first:
            n = 0
            with open(self.split.input.path, "rb") as f:
                left = self.offset
                while left > 0:
                    b = f.read(min(left, _READ_BYTES))
                    if not b:
                        break
                    n += b.count(b"\n")
                    left -= len(b)
            self.first = n + 1
        return self.first + rel


def _lines(split: Split, numbers: _LineNumbers, counter: Counter, policy: ErrorPolicy,
           json_lines: bool) -> Iterator[Tuple[Any, int]]:
    """(value, index of the line in the split) for each line of a .jsonl or .txt split."""
    inp = split.input
    fh, pos, close = _open_binary(inp)
    base = counter.bytes
    try:
        if split.start > 0:   # the line that starts before the range is not ours
            fh.seek(split.start - 1)
            fh.readline()
        numbers.offset = fh.tell() if split.start > 0 else 0
        if split.end is None:
            raws: Iterable[bytes] = fh
        else:
            end = split.end

            def ranged() -> Iterator[bytes]:
                while fh.tell() < end:
                    raw = fh.readline()
                    if not raw:
                        return
                    yield raw
            raws = ranged()
        for rel, raw in enumerate(raws):
            counter.bytes = base + pos()
            try:
                value = decode_line(raw, rel == 0 and split.start == 0, json_lines)
            except LineError as e:
                policy.bad(InputError(str(e), file=inp.name, line=numbers(rel)))
                continue
            if value is not BLANK:
                yield value, rel
        counter.bytes = base + pos()
    finally:
        close()


def _json_array(inp: Input, counter: Counter) -> Iterator[Tuple[Any, int]]:
    """(element, line) for each element of a JSON array, read incrementally.

    Elements are decoded one at a time from a window of the file, so a
    multi-gigabyte array needs only memory for its largest element.  A syntax
    error ends the file (there is no reliable way to resume), also with
    ``--on-error skip``.
    """
    fh, pos, close = _open_binary(inp)
    base = counter.bytes
    dec = json.JSONDecoder()
    utf8 = codecs.getincrementaldecoder("utf-8")("strict")
    buf = ""
    i = 0          # position in buf
    line0 = 1      # line number of buf[0]
    eof = False
    want = _READ_BYTES
    first = True

    def fail(msg: str, at: int) -> InputError:
        return InputError(msg, file=inp.name, line=line0 + buf.count("\n", 0, at))

    def more() -> bool:
        nonlocal buf, i, line0, eof, first
        if eof:
            return False
        raw = fh.read(want)
        counter.bytes = base + pos()
        if first and raw.startswith(codecs.BOM_UTF8):
            raw = raw[3:]
        first = False
        line0 += buf.count("\n", 0, i)
        buf = buf[i:]
        i = 0
        try:
            buf += utf8.decode(raw, final=not raw)
        except UnicodeDecodeError as e:
            tail = raw[:e.start]
            nl = tail.rfind(b"\n")
            line = line0 + buf.count("\n") + tail.count(b"\n")
            col = e.start - nl if nl >= 0 else len(buf) - buf.rfind("\n") + e.start
            raise InputError(f"invalid UTF-8 (byte 0x{raw[e.start]:02x} at column {col})",
                             file=inp.name, line=line) from None
        if not raw:
            eof = True
        return True

    def skip_ws() -> bool:
        nonlocal i
        while True:
            while i < len(buf) and buf[i] in " \t\r\n":
                i += 1
            if i < len(buf):
                return True
            if not more():
                return False

    try:
        if not skip_ws():
            return  # empty file: no records
        if buf[i] != "[":
            raise fail("a .json file must hold one JSON array of records "
                       f"(found {buf[i]!r}); use .jsonl for one record per line", i)
        i += 1
        n = 0
        while True:
            if not skip_ws():
                raise fail("malformed JSON: unexpected end of file in the array", len(buf))
            if buf[i] == "]" and n == 0:
                i += 1
                break
            while True:
                try:
                    obj, end = dec.raw_decode(buf, i)
                except json.JSONDecodeError as e:
                    # Ran off the end of the window (an unterminated string
                    # reports where it starts): read more and decode again.
                    if not eof and (e.pos >= len(buf) - 8
                                    or e.msg.startswith("Unterminated string")):
                        want *= 2
                        more()
                        continue
                    raise fail(f"malformed JSON: {_json_msg(e)} (element {n + 1})",
                               e.pos) from None
                except RecursionError:
                    raise fail(f"malformed JSON: nested too deeply (element {n + 1})", i) from None
                if end >= len(buf) and not eof:   # a number may go on
                    want *= 2
                    more()
                    continue
                break
            yield obj, line0 + buf.count("\n", 0, i)
            n += 1
            want = _READ_BYTES
            i = end
            if not skip_ws():
                raise fail("malformed JSON: unexpected end of file in the array", len(buf))
            if buf[i] == ",":
                i += 1
                continue
            if buf[i] == "]":
                i += 1
                break
            raise fail(f"malformed JSON: expected ',' or ']' after element {n}", i)
        if skip_ws():
            raise fail("malformed JSON: extra data after the array", i)
    finally:
        counter.bytes = base + pos()
        close()


def _parquet_file(inp: Input) -> Any:
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise InputError('reading Parquet needs pyarrow: pip install "zipfit[parquet]"',
                         file=inp.name) from None
    if inp.path == "-":
        raise InputError("Parquet cannot be read from standard input; give a file",
                         file=inp.name)
    try:
        return pq.ParquetFile(inp.path)
    except Exception as e:  # pyarrow raises its own error types
        raise InputError(f"not a readable Parquet file ({e})", file=inp.name) from None


def _parquet(split: Split, counter: Counter) -> Iterator[Tuple[Any, int]]:
    """(row, 1-based row number in the file) for each row of a Parquet split."""
    inp = split.input
    pf = _parquet_file(inp)
    base = counter.bytes
    total = max(1, pf.metadata.num_rows)
    size = inp.size or 0
    row = split.row0
    try:
        if split.group is None:
            batches = pf.iter_batches(batch_size=1024)
        else:
            batches = iter([pf.read_row_group(split.group)])
        for batch in batches:
            for rec in batch.to_pylist():
                row += 1
                yield rec, row
            counter.bytes = base + size * row // total
    except InputError:
        raise
    except Exception as e:
        raise InputError(f"cannot read row {row + 1}: {e}", file=inp.name) from None
    counter.bytes = base + size * row // total


def _arrow_file(path: str) -> Iterator[Any]:
    """The record batches of an Arrow file (streaming format, or the file format)."""
    import pyarrow as pa
    with pa.memory_map(path) as source:
        try:
            reader: Any = pa.ipc.open_stream(source)
        except pa.ArrowInvalid:
            source.seek(0)
            f = pa.ipc.open_file(source)
            reader = (f.get_batch(i) for i in range(f.num_record_batches))
        yield from reader


def _datasets_rows(split: Split, counter: Counter) -> Iterator[Tuple[Any, int]]:
    """(row, 1-based row number) of an .arrow file, a saved dataset or a Hub dataset."""
    inp = split.input
    try:
        if inp.format == "hub":
            import datasets
        else:
            import pyarrow  # noqa: F401
    except ImportError:
        extra = "hf" if inp.format == "hub" else "parquet"
        raise InputError(f'reading this input needs pip install "zipfit[{extra}]"',
                         file=inp.name) from None
    row = 0
    if inp.format == "hub":
        try:
            ds = datasets.load_dataset(inp.path[len(HUB_PREFIX):], inp.hf_config,
                                       split=inp.hf_split or "train", streaming=True)
        except Exception as e:  # datasets raises many types (network, missing)
            raise InputError(f"cannot load the dataset: {e}", file=inp.name) from None
        for rec in ds:
            row += 1
            yield rec, row
        return
    files = [inp.path]
    if inp.format == "hf":
        with open(os.path.join(inp.path, "state.json"), encoding="utf-8") as f:
            files = [os.path.join(inp.path, d["filename"]) for d in json.load(f)["_data_files"]]
    for path in files:
        try:
            batches = _arrow_file(path)
            for batch in batches:
                for rec in batch.to_pylist():
                    row += 1
                    yield rec, row
        except InputError:
            raise
        except Exception as e:  # pyarrow raises its own error types
            raise InputError(f"not a readable Arrow file ({e})", file=path) from None


def read_split(split: Split, spec: TextSpec, policy: Optional[ErrorPolicy] = None,
               counter: Optional[Counter] = None) -> Iterator[Record]:
    """The records of one split, in order: the one reader of every input.

    Bad records go to ``policy`` (raise, or skip and count).
    """
    policy = policy or ErrorPolicy()
    counter = counter or Counter()
    inp = split.input
    numbers: Any = None
    if inp.format == "parquet":
        items: Iterator[Tuple[Any, int]] = _parquet(split, counter)
    elif inp.format in ("arrow", "hf", "hub"):
        items = _datasets_rows(split, counter)
    elif inp.format == "json":
        items = _json_array(inp, counter)
    else:
        numbers = _LineNumbers(split)
        items = _lines(split, numbers, counter, policy, json_lines=inp.format == "jsonl")
    items = _read_guard(inp, items)
    n = 0
    field = None if spec.template else spec.field
    for data, pos in items:
        line = pos if numbers is None else numbers.known(pos)

        def err(message: str, field: Optional[str] = None, _pos: int = pos) -> InputError:
            if numbers is None and inp.format != "json":
                return InputError(message, file=inp.name, where=f"row {_pos}", field=field)
            return InputError(message, file=inp.name, field=field,
                              line=_pos if numbers is None else numbers(_pos))
        try:
            text = spec.text(data, err)
            b = encode_text(text, err, field)
        except InputError as e:
            policy.bad(e)
            continue
        n += 1
        yield Record(b, data, inp.name, line)
    policy.count(inp.name, n)


def read_records(inputs: List[Input], spec: TextSpec, policy: Optional[ErrorPolicy] = None,
                 counter: Optional[Counter] = None) -> Iterator[Record]:
    """Every record of ``inputs`` in order (each input one split)."""
    policy = policy or ErrorPolicy()
    for split in splits(inputs):
        yield from read_split(split, spec, policy, counter)


def records_from_items(items: Iterable[Any], spec: TextSpec) -> Iterator[Record]:
    """Records of a Python iterable of str, bytes or dicts (``item N``, from 1)."""
    if isinstance(items, (str, bytes, dict)):
        raise TypeError(f"expected an iterable of documents, not a single "
                        f"{type(items).__name__}; wrap it in a list")
    field = spec.field
    for i, it in enumerate(items, 1):
        def err(message: str, field: Optional[str] = None, _i: int = i) -> InputError:
            return InputError(message, where=f"item {_i}", field=field)
        if isinstance(it, (bytes, bytearray, memoryview)):
            b = bytes(it)
        elif isinstance(it, (str, dict)):
            b = encode_text(spec.text(it, err), err, field if isinstance(it, dict) else None)
        else:
            raise err(f"is {_kind(it)}; expected str, bytes or dict")
        yield Record(b, it, None, i)
