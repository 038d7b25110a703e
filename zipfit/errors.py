"""zipfit's exceptions and warning, shared by every entry point.

``InputError`` and ``UsageError`` are also ``ValueError`` and ``OutputError``
is also ``OSError``, so code that caught the built-in types keeps working.
"""
from __future__ import annotations

import os
import sys
import warnings
from typing import Optional

__all__ = ["ZipFitError", "InputError", "OutputError", "UsageError", "ZipFitWarning", "warn"]


class ZipFitError(Exception):
    """Base class of zipfit's own errors."""


class InputError(ZipFitError, ValueError):
    """A problem with the input, located as precisely as it can be.

    ``str(err)`` reads ``file:line: field 'x': message`` (parts that are not
    known are left out).  ``where`` overrides the ``:line`` part for inputs
    that are not line-based (``row 3`` of a Parquet file, ``item 3`` of a
    Python iterable); rows, lines and items are numbered from 1.
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

    def __reduce__(self):  # keep the location when pickled (Dask workers)
        return (_input_error, (self.message, self.file, self.line, self.field, self.where))


def _input_error(message: str, file: Optional[str], line: Optional[int],
                 field: Optional[str], where: Optional[str]) -> InputError:
    return InputError(message, file=file, line=line, field=field, where=where)


class OutputError(ZipFitError, OSError):
    """An output that cannot be written; ``str(err)`` reads ``PATH: reason``."""

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}")

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"

    def __reduce__(self):
        return (OutputError, (self.path, self.reason))


class UsageError(ZipFitError, ValueError):
    """A bad option or combination of options (the command line exits with 2)."""


class ZipFitWarning(UserWarning):
    """Something that makes scores differ from what the user likely expects."""


_PACKAGE = os.path.dirname(os.path.abspath(__file__)) + os.sep


def warn(message: str) -> None:
    """Issue a ``ZipFitWarning`` attributed to the user's line of code.

    The warning points at the first caller outside the zipfit package, so
    Python's warning filters (``-W always``, ``-W error``, once per location)
    apply to the user's call, whichever zipfit entry point it went through.
    """
    level, frame = 2, sys._getframe(1)   # level 2 is the frame of warn()'s caller
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(_PACKAGE):
        level += 1
        frame = frame.f_back
    warnings.warn(message, ZipFitWarning, stacklevel=level)
