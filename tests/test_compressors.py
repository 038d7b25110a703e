"""Every registered compressor against its real library.

``compressed_size`` and ``cdist`` must give exactly the lengths of the
library call the issue names (lz4.frame, zstandard, brotli, lzma, bz2, gzip,
zlib), through whichever engine zipfit picks; level ``None`` must be the
compressor's own default; bad names and levels are rejected with the valid
choices; a missing optional library names the extra that installs it.
"""
import bz2
import gzip
import lzma
import random
import sys
import zlib

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import zipfit
from zipfit import _compressors
from zipfit.compat import ZIPFIT

lz4frame = pytest.importorskip("lz4.frame")
zstandard = pytest.importorskip("zstandard")
brotli = pytest.importorskip("brotli")

#: the library call each compressor must reproduce, at a given level
LIBRARY = {
    "gzip": lambda x, lv: len(gzip.compress(x, compresslevel=lv, mtime=0)),
    "zlib": lambda x, lv: len(zlib.compress(x, lv)),
    "deflate": lambda x, lv: len(zlib.compress(x, lv, wbits=-15)),
    "lz4": lambda x, lv: len(lz4frame.compress(x, compression_level=lv)),
    "zstd": lambda x, lv: len(zstandard.ZstdCompressor(level=lv).compress(x)),
    "brotli": lambda x, lv: len(brotli.compress(x, quality=lv)),
    "lzma": lambda x, lv: len(lzma.compress(x, preset=lv)),
    "bz2": lambda x, lv: len(bz2.compress(x, lv)),
}

#: the library's own default call (level=None must equal it)
LIBRARY_DEFAULT = {
    "gzip": lambda x: len(gzip.compress(x, mtime=0)),
    "zlib": lambda x: len(zlib.compress(x)),
    "deflate": lambda x: len(zlib.compress(x, wbits=-15)),
    "lz4": lambda x: len(lz4frame.compress(x)),
    "zstd": lambda x: len(zstandard.ZstdCompressor().compress(x)),
    "brotli": lambda x: len(brotli.compress(x)),
    "lzma": lambda x: len(lzma.compress(x)),
    "bz2": lambda x: len(bz2.compress(x)),
}

DEFAULT_LEVELS = {"gzip": 9, "zlib": 6, "deflate": 6, "lz4": 0, "zstd": 3, "brotli": 11,
                  "lzma": 6, "bz2": 9}

#: a few levels per compressor, cheap ones first
LEVELS = {
    "gzip": [1, 9], "zlib": [6], "deflate": [3],
    "lz4": [0, 1, -4, 3, 9], "zstd": [3, 1, -5, 19], "brotli": [11, 0, 5],
    "lzma": [6, 0], "bz2": [9, 1],
}

CASES = [(c, lv) for c in LIBRARY for lv in LEVELS[c]]


def test_registry_names_and_defaults():
    assert set(_compressors.names()) == set(LIBRARY)
    for name, lv in DEFAULT_LEVELS.items():
        assert _compressors.get(name).resolve_level(None) == lv


@pytest.mark.parametrize("name", sorted(LIBRARY))
def test_level_none_is_the_library_default(name, corpus):
    texts = [t.encode() for t in corpus[:8]] + [b"", b"\x00" * 50]
    for x in texts:
        ours = zipfit.compressed_size(x, compressor=name)
        assert ours == LIBRARY_DEFAULT[name](x)
        assert ours == LIBRARY[name](x, DEFAULT_LEVELS[name])


@pytest.mark.parametrize("name,level", CASES)
def test_real_text_and_edge_inputs(name, level, corpus):
    texts = [t.encode() for t in corpus[:20]]
    texts += [b"", b"\x00", b"\x00" * 1000, "héllo wörld ✓ 日本語".encode() * 7,
              bytes(range(256)) * 3]
    assert [zipfit.compressed_size(x, compressor=name, level=level) for x in texts] == \
        [LIBRARY[name](x, level) for x in texts]


@pytest.mark.parametrize("name", sorted(LIBRARY))
def test_large_inputs(name, corpus):
    """Past 64 KiB and 128 KiB (lz4: one block vs linked blocks)."""
    text = "\n\n".join(corpus).encode()
    rng = random.Random(9)
    noise = bytes(rng.getrandbits(8) for _ in range(40_000))
    texts = [text[:70_000], text[:100_000] + noise] if name != "brotli" else [text[:70_000]]
    texts.append(text[:140_000])
    level = DEFAULT_LEVELS[name]
    assert [zipfit.compressed_size(x, compressor=name) for x in texts] == \
        [LIBRARY[name](x, level) for x in texts]


@settings(deadline=None, max_examples=25)
@given(st.sampled_from(CASES), st.binary(max_size=2000))
def test_random_bytes(case, x):
    name, level = case
    assert zipfit.compressed_size(x, compressor=name, level=level) == LIBRARY[name](x, level)


@pytest.mark.parametrize("name,level", [(c, LEVELS[c][0]) for c in LIBRARY])
def test_cdist_every_compressor(name, level, corpus):
    rows = [t.encode() for t in corpus[:7]] + [b"", b"\x00\x00"]
    cols = [t.encode() for t in corpus[100:104]]
    size = lambda x: LIBRARY[name](x, level)  # noqa: E731
    ref = np.array([[(size(a + b) - min(size(a), size(b))) / max(size(a), size(b))
                     for b in cols] for a in rows])
    one = zipfit.cdist(rows, cols, compressor=name, level=level, workers=1)
    two = zipfit.cdist(rows, cols, compressor=name, level=level, workers=2)
    assert np.array_equal(one, ref)
    assert np.array_equal(two, ref)


def test_zstd_compressor_reuse_gives_fresh_sizes(corpus):
    """zipfit keeps one ZstdCompressor per thread and level; sizes must be
    those of a fresh compressor whatever came before (small after large,
    level changes, empty input)."""
    text = "\n\n".join(corpus).encode()
    inputs = [text[:200_000], b"", text[:50], b"\x00" * 5000, text[:3], text[1000:90_000], b"x"]
    for level in (3, 1, 19, 3, -7):
        for x in inputs:
            expected = len(zstandard.ZstdCompressor(level=level).compress(x))
            assert zipfit.compressed_size(x, compressor="zstd", level=level) == expected


# ----------------------------------------------------------------- errors

def test_unknown_compressor_lists_the_choices():
    with pytest.raises(ValueError) as e:
        zipfit.compressed_size("x", compressor="snappy")
    for name in LIBRARY:
        assert name in str(e.value)


@pytest.mark.parametrize("name", sorted(LIBRARY))
def test_invalid_levels_list_the_range(name):
    c = _compressors.get(name)
    for bad in (c.min_level - 1, c.max_level + 1):
        with pytest.raises(ValueError, match=rf"choose {c.min_level}\.\.{c.max_level} or None"):
            zipfit.compressed_size("x", compressor=name, level=bad)
    for bad in ("1", 1.0, True):
        with pytest.raises(TypeError, match="level must be an int or None"):
            zipfit.cdist(["x"], ["y"], compressor=name, level=bad)


@pytest.mark.parametrize("name,module,extra,level", [
    ("zstd", "zstandard", "zstd", None),
    ("brotli", "brotli", "brotli", None),
    ("lz4", "lz4.frame", "lz4", 9),   # HC levels run through the lz4 package
])
def test_missing_library_names_the_extra(monkeypatch, name, module, extra, level):
    monkeypatch.setitem(sys.modules, module, None)  # import now raises ImportError
    with pytest.raises(ImportError, match=rf'pip install "zipfit\[{extra}\]"'):
        zipfit.ZipFit(["target"], compressor=name, level=level)
    with pytest.raises(ImportError, match=rf'pip install "zipfit\[{extra}\]"'):
        zipfit.compressed_size("x", compressor=name, level=level)


def test_lz4_fast_levels_need_no_lz4_package(monkeypatch):
    x = b"the same words, the same words, the same words"
    expected = LIBRARY["lz4"](x, 0)
    monkeypatch.setitem(sys.modules, "lz4.frame", None)
    monkeypatch.setitem(sys.modules, "lz4", None)
    assert zipfit.compressed_size(x, compressor="lz4") == expected


# ------------------------------------------------------------------ compat

@pytest.mark.parametrize("name,level,expected", [
    # the official package passes compress_level to gzip, lz4 and zstd ...
    ("gzip", 1, lambda x: len(gzip.compress(x, compresslevel=1))),
    ("lz4", 0, lambda x: len(lz4frame.compress(x, compression_level=0))),
    ("lz4", 5, lambda x: len(lz4frame.compress(x, compression_level=5))),
    ("zstd", 0, lambda x: len(zstandard.ZstdCompressor(level=0).compress(x))),
    ("zstd", 7, lambda x: len(zstandard.ZstdCompressor(level=7).compress(x))),
    # ... and ignores it for brotli and lzma
    ("brotli", 0, lambda x: len(brotli.compress(x))),
    ("brotli", 3, lambda x: len(brotli.compress(x))),
    ("lzma", 0, lambda x: len(lzma.compress(x))),
    ("lzma", 9, lambda x: len(lzma.compress(x))),
])
def test_compat_passes_the_level_like_the_official_package(name, level, expected, corpus):
    z = ZIPFIT(None, None, k=1, compression_algorithm=name, compress_level=level, workers=1)
    for t in corpus[:5] + [""]:
        assert z.compress(t) == expected(t.encode())


def test_compat_rejects_what_the_official_package_rejects():
    z = ZIPFIT(None, None, k=1, compression_algorithm="bz2")
    with pytest.raises(ValueError, match="Unsupported compression algorithm: bz2"):
        z.compress("x")
