"""Reading documents for the command line: files, directories, globs, stdin.

Every reader streams: it yields one record at a time and never holds more
than one buffer of its file, so a source pool of any size can be scored in
bounded memory.  Each record remembers the file and line (or row) it came
from, so that every problem is reported as ``file:line: field 'x': what``.

Formats, by file name (``--format`` overrides it for the sources):

=================  ===========================================================
``.jsonl``         one JSON object per line (``.ndjson`` too); blank lines
                   are skipped
``.json``          one JSON array of objects, read incrementally
``.txt``           one document per line (the line without its newline)
``.parquet``       rows of a Parquet file (needs ``pip install "zipfit[parquet]"``)
``*.gz``           any of the above compressed with gzip (except Parquet)
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
import tempfile
import zlib
from typing import Any, BinaryIO, Callable, Iterator, List, Optional, Tuple

__all__ = [
    "FORMATS",
    "InputError",
    "Record",
    "TextSpec",
    "ErrorPolicy",
    "Input",
    "expand_inputs",
    "read_records",
    "AtomicOutput",
]

#: format name -> file name endings that select it
FORMATS = {
    "jsonl": (".jsonl", ".ndjson", ".jsonl.gz", ".ndjson.gz"),
    "json": (".json", ".json.gz"),
    "txt": (".txt", ".txt.gz"),
    "parquet": (".parquet",),
}

_READ_BYTES = 1 << 20


class InputError(ValueError):
    """A problem with the input, located as precisely as it can be.

    ``str(err)`` reads ``file:line: field 'x': message`` (parts that are not
    known are left out).  ``where`` overrides the ``:line`` part for inputs
    that are not line-based (Parquet rows, Python items).
    """

    def __init__(self, message: str, *, file: Optional[str] = None,
                 line: Optional[int] = None, field: Optional[str] = None,
                 where: Optional[str] = None) -> None:
        self.message = message
        self.file = file
        self.line = line
        self.field = field
        self.where = where
        super().__init__(str(self))

    def __str__(self) -> str:
        parts = []
        loc = self.file or ""
        if self.where:
            loc = f"{loc}: {self.where}" if loc else self.where
        elif self.line is not None:
            loc = f"{loc}:{self.line}" if loc else f"line {self.line}"
        if loc:
            parts.append(loc)
        if self.field is not None:
            parts.append(f"field '{self.field}'")
        parts.append(self.message)
        return ": ".join(parts)


class ErrorPolicy:
    """What to do with a bad record: raise (``"fail"``) or count it (``"skip"``)."""

    def __init__(self, mode: str = "fail", keep: int = 5) -> None:
        if mode not in ("fail", "skip"):
            raise ValueError(f"on_error must be 'fail' or 'skip', not {mode!r}")
        self.mode = mode
        self.skipped = 0
        self.first: List[InputError] = []
        self._keep = keep

    def bad(self, err: InputError) -> None:
        """Raise ``err``, or record it and return (then the caller skips the record)."""
        if self.mode == "fail":
            raise err
        self.skipped += 1
        if len(self.first) < self._keep:
            self.first.append(err)


class Record:
    """One document: its text as UTF-8 bytes, the parsed record and its origin."""

    __slots__ = ("text", "data", "file", "line", "cost")

    def __init__(self, text: bytes, data: Any, file: Optional[str], line: int,
                 cost: int = 0) -> None:
        self.text = text
        self.data = data
        self.file = file
        self.line = line
        self.cost = cost

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
    """One input: a path (or ``-`` for stdin), its display name and format."""

    __slots__ = ("path", "name", "format")

    def __init__(self, path: str, fmt: str) -> None:
        self.path = path
        self.name = "<stdin>" if path == "-" else path
        self.format = fmt

    @property
    def size(self) -> Optional[int]:
        if self.path == "-":
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


def expand_inputs(paths: List[str], fmt: Optional[str] = None,
                  what: str = "input") -> List[Input]:
    """Files named by ``paths``: files, directories (recursively), globs, ``-``.

    Directory and glob entries are sorted by path; only files with a known
    extension are taken from directories.  Missing files, empty directories,
    globs matching nothing and unknown formats are ``InputError``.
    """
    if fmt is not None and fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; choose one of: {', '.join(FORMATS)}")
    out: List[Input] = []

    def add(path: str) -> None:
        f = fmt or format_of(path)
        if f is None:
            raise InputError(
                "cannot tell the format from the file name: use a name ending in "
                ".jsonl, .jsonl.gz, .json, .txt or .parquet, or give --format",
                file=path)
        out.append(Input(path, f))

    for p in paths:
        if p == "-":
            out.append(Input("-", fmt or "jsonl"))
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


class _Counter:
    """Bytes of input consumed so far, for progress bars."""

    __slots__ = ("bytes",)

    def __init__(self) -> None:
        self.bytes = 0


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

        return _Tracked(), lambda: count[0], lambda: None  # type: ignore[return-value]
    try:
        raw = open(inp.path, "rb")
    except OSError as e:
        raise InputError(f"cannot open: {e.strerror}", file=inp.name) from None
    if inp.path.lower().endswith(".gz"):
        gz = gzip.GzipFile(fileobj=raw, mode="rb")

        def close() -> None:
            gz.close()
            raw.close()
        return gz, raw.tell, close  # type: ignore[return-value]
    return raw, raw.tell, raw.close


def _gzip_guard(inp: Input, items: Iterator[Any]) -> Iterator[Any]:
    """Turn decompression failures of a .gz input into an InputError."""
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


def doc_cost(text: Any, encoded: bytes, cost: Optional[str]) -> int:
    """A document's size against a budget: whitespace tokens, bytes, or 0."""
    if cost == "tokens":
        return len(text.split())
    if cost == "bytes":
        return len(encoded)
    return 0


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


def _lines(inp: Input, counter: _Counter, policy: ErrorPolicy,
           json_lines: bool) -> Iterator[Tuple[Any, int]]:
    """(value, line) for each line of a .jsonl or .txt input."""
    fh, pos, close = _open_binary(inp)
    base = counter.bytes
    try:
        for lineno, raw in enumerate(fh, 1):
            counter.bytes = base + pos()
            try:
                value = decode_line(raw, lineno == 1, json_lines)
            except LineError as e:
                policy.bad(InputError(str(e), file=inp.name, line=lineno))
                continue
            if value is not BLANK:
                yield value, lineno
        counter.bytes = base + pos()
    finally:
        close()


def _json_array(inp: Input, counter: _Counter) -> Iterator[Tuple[Any, int]]:
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


def _parquet(inp: Input, counter: _Counter, columns: Optional[List[str]] = None
             ) -> Iterator[Tuple[Any, int]]:
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise InputError('reading Parquet needs pyarrow: pip install "zipfit[parquet]"',
                         file=inp.name) from None
    if inp.path == "-":
        raise InputError("Parquet cannot be read from standard input; give a file",
                         file=inp.name)
    try:
        pf = pq.ParquetFile(inp.path)
    except Exception as e:  # pyarrow raises its own error types
        raise InputError(f"not a readable Parquet file ({e})", file=inp.name) from None
    base = counter.bytes
    total = max(1, pf.metadata.num_rows)
    size = inp.size or 0
    row = 0
    try:
        for batch in pf.iter_batches(batch_size=1024, columns=columns):
            for rec in batch.to_pylist():
                row += 1
                yield rec, row
            counter.bytes = base + size * row // total
    except InputError:
        raise
    except Exception as e:
        raise InputError(f"cannot read row {row + 1}: {e}", file=inp.name) from None
    counter.bytes = base + size


def read_records(inputs: List[Input], spec: TextSpec, policy: Optional[ErrorPolicy] = None,
                 counter: Optional[_Counter] = None, cost: Optional[str] = None,
                 empty: Optional[List[str]] = None) -> Iterator[Record]:
    """Every record of ``inputs`` in order, as ``Record`` objects.

    ``cost`` is ``"tokens"`` (whitespace-separated tokens), ``"bytes"``
    (UTF-8 bytes) or None; it fills ``Record.cost`` for budget selection.
    Names of inputs that held no record are appended to ``empty``.
    """
    policy = policy or ErrorPolicy()
    counter = counter or _Counter()
    for inp in inputs:
        if inp.format == "parquet":
            items = _parquet(inp, counter)
            where = "row"
        elif inp.format == "json":
            items = _json_array(inp, counter)
            where = None
        else:
            items = _lines(inp, counter, policy, json_lines=inp.format == "jsonl")
            where = None
        if inp.path.lower().endswith(".gz"):
            items = _gzip_guard(inp, items)
        n = 0
        for data, line in items:
            def err(message: str, field: Optional[str] = None,
                    _line: int = line) -> InputError:
                if where:
                    return InputError(message, file=inp.name, where=f"{where} {_line}",
                                      field=field)
                return InputError(message, file=inp.name, line=_line, field=field)
            try:
                text = spec.text(data, err)
                b = encode_text(text, err, None if spec.template else spec.field)
            except InputError as e:
                policy.bad(e)
                continue
            n += 1
            yield Record(b, data, inp.name, line, doc_cost(text, b, cost))
        if n == 0 and empty is not None:
            empty.append(inp.name)


# ------------------------------------------------------------------ output

def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


class AtomicOutput:
    """A binary file written under a temporary name and renamed into place.

    ``with AtomicOutput(path) as f: ...; f.commit()`` — only ``commit()``
    makes the file appear under ``path`` (``os.replace``, atomic on POSIX);
    leaving the block without it (an error, Ctrl-C) removes the temporary
    file, so a failed run never leaves a partial file under the final name.
    ``path == "-"`` writes to standard output instead.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self.tmp: Optional[str] = None
        self._committed = False
        if path == "-":
            self.file: BinaryIO = sys.stdout.buffer
            return
        d = os.path.dirname(os.path.abspath(path))
        if os.path.isdir(path):
            raise InputError("is a directory, not an output file", file=path)
        if not os.path.isdir(d):
            raise InputError("the output directory does not exist", file=path)
        try:
            fd, self.tmp = tempfile.mkstemp(
                dir=d, prefix=f".{os.path.basename(path)}.", suffix=".zipfit-tmp")
        except OSError as e:
            raise InputError(f"cannot write here: {e.strerror}", file=path) from None
        self.file = os.fdopen(fd, "wb")

    def __enter__(self) -> "AtomicOutput":
        return self

    def commit(self) -> None:
        if self.tmp is None:
            self.file.flush()
            self._committed = True
            return
        self.file.flush()
        os.fsync(self.file.fileno())
        self.file.close()
        try:
            mode = os.stat(self.path).st_mode & 0o777
        except OSError:
            mode = 0o666 & ~_umask()
        os.chmod(self.tmp, mode)
        os.replace(self.tmp, self.path)
        self._committed = True

    def discard(self) -> None:
        if self.tmp is not None and not self._committed:
            try:
                self.file.close()
            finally:
                try:
                    os.unlink(self.tmp)
                except FileNotFoundError:
                    pass
            self._committed = True

    def __exit__(self, *exc: Any) -> None:
        self.discard()
