"""The public surface, argument checking and warnings."""
import warnings

import numpy as np
import pytest

import zipfit
from zipfit import _core, reference


def test_public_surface_is_pinned():
    assert sorted(zipfit.__all__) == sorted([
        "Selection", "Text", "ZipFit", "ZipFitWarning", "ZipFitError", "InputError",
            "OutputError", "UsageError", "alignment", "cdist",
        "compressed_size", "compressors", "ncd", "resolve_workers", "zlib_version",
        "__version__",
    ])
    for name in zipfit.__all__:
        assert hasattr(zipfit, name)


def test_zlib_version_is_reported_and_stock():
    import zlib
    v = zipfit.zlib_version()
    assert v == zlib.ZLIB_RUNTIME_VERSION
    assert "ng" not in v


def test_workers_resolution(monkeypatch):
    monkeypatch.setattr(zipfit._checks, "usable_cores", lambda: 8)
    assert zipfit.resolve_workers(1) == 1
    assert zipfit.resolve_workers(3) == 3
    assert zipfit.resolve_workers(-1) == 8
    assert zipfit.resolve_workers(-2) == 7
    assert zipfit.resolve_workers(-100) == 1
    with pytest.raises(ValueError, match="workers=0"):
        zipfit.resolve_workers(0)
    with pytest.raises(TypeError, match="workers must be an int"):
        zipfit.resolve_workers(1.5)
    with pytest.raises(TypeError):
        zipfit.resolve_workers(True)


def test_bad_arguments():
    with pytest.raises(ValueError, match="unknown compressor 'gzp'.*gzip"):
        zipfit.compressed_size("x", compressor="gzp")
    with pytest.raises(ValueError, match=r"level 10 is not valid for 'gzip'.*0\.\.9"):
        zipfit.compressed_size("x", level=10)
    with pytest.raises(TypeError, match="level must be an int"):
        zipfit.compressed_size("x", level="9")
    with pytest.raises(TypeError, match="text must be str or bytes"):
        zipfit.compressed_size(5)
    with pytest.raises(TypeError, match="single str"):
        zipfit.alignment("a source", ["t"])
    with pytest.raises(TypeError, match=r"a\[1\] must be str or bytes, not int"):
        zipfit.cdist(["ok", 3], ["t"])
    with pytest.raises(TypeError, match=r"targets\[0\] must be str or bytes, not NoneType"):
        zipfit.ZipFit([None])
    with pytest.raises(ValueError, match=r"a\[0\] cannot be encoded as UTF-8"):
        zipfit.cdist(["bad \udcff surrogate"], ["t"])
    with pytest.raises(ValueError, match="dtype must be float64 or float32"):
        zipfit.cdist(["a"], ["b"], dtype=np.float16)
    with pytest.raises(ValueError, match="workers=0"):
        zipfit.cdist(["a"], ["b"], workers=0)
    with pytest.raises(TypeError, match="must be an iterable"):
        zipfit.alignment(5, ["t"])
    with pytest.raises(ValueError, match="k must be >= 0"):
        zipfit.ZipFit(["t"]).select(["a"], k=-1)
    with pytest.raises(ValueError, match="engine 'lz4' cannot compute 'gzip'"):
        zipfit.ZipFit(["t"], engine="lz4")


def test_engine_errors_become_python_exceptions():
    with pytest.raises(ValueError, match="invalid compressor parameters while creating"):
        _core.sizes([b"x", b"y"], engine="zlib", level=12, wrapper=2, workers=1)
    with pytest.raises(ValueError, match="unknown engine"):
        _core.sizes([b"x"], engine="nope", level=1, wrapper=2, workers=1)


def test_level0_warning_follows_the_filters_and_points_at_the_caller():
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        zipfit.compressed_size("abc", level=0)
        zipfit.compressed_size("abc", level=0)
        zipfit.alignment(["a"], ["b"], level=0, workers=1)
    msgs = [x for x in w if issubclass(x.category, zipfit.ZipFitWarning)]
    assert len(msgs) == 3                                  # "always" shows every one
    assert "level 0 stores the data uncompressed" in str(msgs[0].message)
    assert {m.filename for m in msgs} == {__file__}        # the user's line
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("default")                   # once per location
        for _ in range(3):
            zipfit.compressed_size("abc", level=0)
    assert len([x for x in w if issubclass(x.category, zipfit.ZipFitWarning)]) == 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        zipfit.compressed_size("abc", level=1)


def test_default_levels():
    import gzip, zlib
    assert zipfit.compressed_size("abc " * 50) == len(gzip.compress(b"abc " * 50, 9, mtime=0))
    assert zipfit.compressed_size("abc " * 50, compressor="zlib") == \
        len(zlib.compress(b"abc " * 50))


def test_zipfit_object():
    zf = zipfit.ZipFit(["def f(): pass"], level=6, workers=2)
    assert (zf.compressor, zf.level, zf.workers, zf.n_targets) == ("gzip", 6, 2, 1)
    assert "ZipFit(n_targets=1" in repr(zf)
    sel = zf.select(["def g(): pass", "hello"], k=1)
    assert isinstance(sel, zipfit.Selection)
    assert sel.indices.dtype == np.int64 and sel.scores.dtype == np.float64
    indices, scores = sel                                  # unpacks into its fields
    assert indices is sel.indices and scores is sel.scores
    d = zf.cdist(["a", "b"])
    assert d.shape == (2, 1)


def test_targets_pickle_roundtrip():
    import pickle
    t = _core.Targets(["a", b"b"], engine="zlib", level=6, wrapper=2)
    t2 = pickle.loads(pickle.dumps(t))
    assert (t2.engine, t2.level, t2.wrapper, len(t2)) == ("zlib", 6, 2, 2)
    assert t2.texts == ("a", b"b")


def test_non_stock_zlib_warns_and_measures_with_the_system_zlib(monkeypatch):
    """zlib-ng compresses differently: warn, and let engine='zlib' measure."""
    monkeypatch.setattr(zipfit._api, "zlib_version", lambda: "1.3.0.zlib-ng")
    monkeypatch.setattr(zipfit._api, "_stock_zlib", None)
    with pytest.warns(zipfit.ZipFitWarning, match="not stock zlib"):
        zf = zipfit.ZipFit(["def f(): pass"], level=6, workers=1)
    assert zf.engine == "zlib"
    monkeypatch.setattr(zipfit._api, "_stock_zlib", None)
    monkeypatch.setattr(zipfit._api, "zlib_version", lambda: "1.2.13")
    assert zipfit.ZipFit(["def f(): pass"], level=6, workers=1).engine == "deflate"


def test_hosts_without_the_deflate_model_measure_with_the_system_zlib(monkeypatch):
    """The size-only model is little-endian only: elsewhere ENGINES lacks it,
    gzip sizes come from the system zlib, and asking for it names what is."""
    monkeypatch.setattr(_core, "ENGINES", ("zlib",))
    zf = zipfit.ZipFit(["def f(x): return x"], workers=1)
    assert zf.engine == "zlib"
    src = ["def g(y): return y", "import os"]
    assert zf.score(src).tolist() == reference.alignment(src, ["def f(x): return x"]).tolist()
    with pytest.raises(ValueError, match="unknown engine 'deflate'; available: zlib"):
        _core.sizes([b"x"], engine="deflate", level=1, wrapper=2, workers=1)


@pytest.mark.parametrize("compressor", ["gzip", "lz4"])
def test_memory_budget_is_settable_and_exact(corpus, compressor):
    targets, sources = corpus[:40], corpus[100:140]
    want = zipfit.alignment(sources, targets, compressor=compressor)
    full = zipfit.ZipFit(targets, compressor=compressor).scorer.prepared.state_bytes
    for budget in (0, full // 3, full, 10**12):
        zf = zipfit.ZipFit(targets, compressor=compressor, memory_budget=budget)
        assert zf.scorer.prepared.state_bytes <= budget
        assert np.array_equal(zf.score(sources), want)
    with pytest.raises(ValueError, match="memory_budget must be >= 0"):
        zipfit.ZipFit(targets, memory_budget=-1)
