"""The compressor registry.

A compressor is a name, a level range and two ways of computing an exact
compressed length: the real library called from Python (``size``), which is
the ground truth, and optionally C engines that give the same numbers much
faster.  Adding a compressor means adding one ``Compressor`` entry.
"""
from __future__ import annotations

import bz2
import gzip
import importlib
import importlib.util
import lzma
import threading
import zlib
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Optional, Tuple

from ._checks import check_level

__all__ = ["Compressor", "register", "get", "names"]


@dataclass(frozen=True)
class Compressor:
    """How one compressor is named, configured and measured."""

    name: str
    default_level: int
    min_level: int
    max_level: int
    #: exact size through the real library: size(data, level) -> int
    size: Callable[[bytes, int], int]
    #: C engines that reproduce ``size`` exactly, fastest first
    engines: Tuple[str, ...] = ()
    #: container code passed to the C engines (deflate family)
    wrapper: int = 0
    #: pip extra that installs the library, for the error message
    extra: Optional[str] = None
    #: levels for which a C engine is not exact and ``size`` must be used
    python_only_levels: Tuple[int, ...] = field(default=())
    #: module ``size`` imports (installed by ``extra``), checked up front
    module: Optional[str] = None

    def require(self) -> None:
        """Raise ImportError naming the compressor and its extra if its library is missing."""
        if self.module is not None:
            _require(self.module, self.extra or self.name, self.name)

    def status(self) -> str:
        """"ready", or what to install before it (or some of its levels) can be used."""
        if self.module is None:
            return "ready"
        try:
            self.require()
        except ImportError:
            hint = f'pip install "zipfit[{self.extra or self.name}]"'
            if self.engines:   # the C engine covers the other levels
                levels = self.python_only_levels
                return f"ready; levels {levels[0]}-{levels[-1]} need: {hint}"
            return f"needs: {hint}"
        return "ready"

    def engines_for(self, level: int) -> Tuple[str, ...]:
        """The C engines that are exact at ``level`` (none: use ``size``)."""
        return () if level in self.python_only_levels else self.engines

    def resolve_level(self, level: Optional[int]) -> int:
        """The level to use; ``None`` means the compressor's own default."""
        level = check_level(level)
        if level is None:
            return self.default_level
        if not self.min_level <= level <= self.max_level:
            raise ValueError(
                f"level {level} is not valid for {self.name!r}: "
                f"choose {self.min_level}..{self.max_level} or None "
                f"(default {self.default_level})")
        return level


_REGISTRY: Dict[str, Compressor] = {}


def register(c: Compressor) -> Compressor:
    """Add a compressor to the registry (replacing one of the same name)."""
    _REGISTRY[c.name] = c
    return c


def names() -> Tuple[str, ...]:
    """Names of every registered compressor."""
    return tuple(_REGISTRY)


def get(name: str) -> Compressor:
    """The compressor called ``name``; ValueError lists the valid names."""
    if not isinstance(name, str):
        raise TypeError(f"compressor must be a str, not {type(name).__name__}")
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ValueError(
            f"unknown compressor {name!r}; choose one of: {', '.join(names())}") from None


def _gzip_size(data: bytes, level: int) -> int:
    return len(gzip.compress(data, compresslevel=level, mtime=0))


def _zlib_size(data: bytes, level: int) -> int:
    return len(zlib.compress(data, level))


def _deflate_size(data: bytes, level: int) -> int:
    return len(zlib.compress(data, level, wbits=-15))


# Wrapper codes shared with csrc/zf.h (ZF_WRAP_*).
WRAP_RAW, WRAP_ZLIB, WRAP_GZIP = 0, 1, 2

# "deflate": the size-only model of stock zlib; "zlib": the system zlib itself.
_DEFLATE_ENGINES = ("deflate", "zlib")
register(Compressor("gzip", 9, 0, 9, _gzip_size, _DEFLATE_ENGINES, WRAP_GZIP))
register(Compressor("zlib", 6, 0, 9, _zlib_size, _DEFLATE_ENGINES, WRAP_ZLIB))
register(Compressor("deflate", 6, 0, 9, _deflate_size, _DEFLATE_ENGINES, WRAP_RAW))


def _require(module: str, extra: str, name: Optional[str] = None) -> Any:
    """Import an optional library or say which extra installs it."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise ImportError(
            f"compressor {name or extra!r} needs the {module!r} module: "
            f'pip install "zipfit[{extra}]"') from None


def _lz4_size(data: bytes, level: int) -> int:
    frame = _require("lz4.frame", "lz4")
    return len(frame.compress(data, compression_level=level))


_local = threading.local()


def _zstd_size(data: bytes, level: int) -> int:
    # A ZstdCompressor is 10x dearer to make than to use; compress() starts
    # a fresh frame each time, so a reused one gives the same bytes.  They
    # are not thread-safe: one per thread and level.
    cache = getattr(_local, "zstd", None)
    if cache is None:
        cache = _local.zstd = {}
    c = cache.get(level)
    if c is None:
        zstd = _require("zstandard", "zstd")
        c = cache[level] = zstd.ZstdCompressor(level=level)
    return len(c.compress(data))


def _brotli_size(data: bytes, level: int) -> int:
    brotli = _require("brotli", "brotli")
    return len(brotli.compress(data, quality=level))


def _lzma_size(data: bytes, level: int) -> int:
    return len(lzma.compress(data, preset=level))


def _bz2_size(data: bytes, level: int) -> int:
    return len(bz2.compress(data, level))


# LZ4 frame levels: below 3 the fast compressor (C engine "lz4"; a negative
# level is acceleration 1 - level, capped by LZ4 at 65537), 3-16 HC through
# the lz4 package (LZ4 clamps levels above 12 to 12).
register(Compressor("lz4", 0, -65536, 16, _lz4_size, ("lz4",), extra="lz4",
                    python_only_levels=tuple(range(3, 17)), module="lz4.frame"))
register(Compressor("zstd", 3, -131072, 22, _zstd_size, extra="zstd", module="zstandard"))
register(Compressor("brotli", 11, 0, 11, _brotli_size, extra="brotli", module="brotli"))
register(Compressor("lzma", 6, 0, 9, _lzma_size))
register(Compressor("bz2", 9, 1, 9, _bz2_size))
