"""compressed_size and cdist are bit-exact with the real compressors."""
import gzip
import os
import random
import zlib

import numpy as np
import pytest
from hypothesis import given, strategies as st

import zipfit
from zipfit import _core, reference

DEFLATE_FAMILY = ["gzip", "zlib", "deflate"]
LEVELS = list(range(10))
# size-only model (little-endian hosts), system zlib
ENGINES = [e for e in ("deflate", "zlib") if e in _core.ENGINES]


def expected(data: bytes, compressor: str, level: int) -> int:
    """The real library, called exactly as the compressor is defined."""
    if compressor == "gzip":
        return len(gzip.compress(data, compresslevel=level, mtime=0))
    if compressor == "zlib":
        return len(zlib.compress(data, level))
    return len(zlib.compress(data, level, wbits=-15))


@pytest.mark.filterwarnings("ignore::zipfit.ZipFitWarning")
@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("compressor", DEFLATE_FAMILY)
@pytest.mark.parametrize("level", LEVELS)
@given(data=st.binary(max_size=3000))
def test_random_bytes(engine, compressor, level, data):
    assert zipfit.compressed_size(data, compressor=compressor, level=level,
                                  engine=engine) == expected(data, compressor, level)


@pytest.mark.filterwarnings("ignore::zipfit.ZipFitWarning")
@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("level", LEVELS)
@given(data=st.lists(st.sampled_from([b"ab", b"abc", b"xyz ", b"\x00", b"def f(x):\n"]),
                     max_size=400).map(b"".join))
def test_repetitive_bytes(engine, level, data):
    """Low-entropy input: long matches, lazy evaluation, chain limits."""
    assert zipfit.compressed_size(data, level=level, engine=engine) == \
        expected(data, "gzip", level)


@pytest.mark.filterwarnings("ignore::zipfit.ZipFitWarning")
@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("level", [0, 1, 6, 9])
@given(text=st.text(max_size=2000))
def test_unicode_text_is_utf8(engine, level, text):
    assert zipfit.compressed_size(text, level=level, engine=engine) == \
        expected(text.encode("utf-8"), "gzip", level)


@pytest.mark.filterwarnings("ignore::zipfit.ZipFitWarning")
@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("compressor", DEFLATE_FAMILY)
@pytest.mark.parametrize("level", LEVELS)
def test_real_text_every_level(corpus, engine, compressor, level):
    texts = corpus[:40]
    got = [zipfit.compressed_size(t, compressor=compressor, level=level, engine=engine)
           for t in texts]
    assert got == [expected(t.encode(), compressor, level) for t in texts]


@pytest.mark.filterwarnings("ignore::zipfit.ZipFitWarning")
@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("n", [0, 1, 65531, 65536, 98305, 163840, 300_001])
def test_long_inputs(engine, level, n):
    """Several blocks, window slides, and level 0's buffer-dependent splits."""
    rng = random.Random(n + level)
    words = [b"alpha", b"beta", b"gamma", b"\x00", b"\xff\xfe", b"delta epsilon"]
    data = b" ".join(rng.choice(words) for _ in range(n // 6 + 1))[:n]
    if level == 0:
        data = os.urandom(n)
    for comp in DEFLATE_FAMILY:
        assert zipfit.compressed_size(data, compressor=comp, level=level,
                                      engine=engine) == expected(data, comp, level)


def test_bytes_and_str_mix(corpus):
    a = [corpus[0], corpus[1].encode(), bytearray(corpus[2].encode())]
    b = [corpus[3].encode(), corpus[4]]
    got = zipfit.cdist(a, b, level=6)
    ref = reference.cdist([bytes(x) if isinstance(x, bytearray) else x for x in a], b, level=6)
    assert np.array_equal(got, ref)


@pytest.mark.filterwarnings("ignore::zipfit.ZipFitWarning")
@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("compressor", DEFLATE_FAMILY)
@pytest.mark.parametrize("level", [0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
def test_cdist_equals_reference(small_task, engine, compressor, level):
    sources, targets = small_task
    sources = sources[:20] + sources[-4:]
    got = zipfit.cdist(sources, targets[:5], compressor=compressor, level=level, workers=2,
                       engine=engine)
    ref = reference.cdist(sources, targets[:5], compressor=compressor, level=level)
    assert got.shape == (24, 5)
    assert np.array_equal(got, ref)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("level", [1, 4, 6, 9])
@given(a=st.lists(st.binary(max_size=300), max_size=6),
       b=st.lists(st.text(max_size=300), min_size=1, max_size=4))
def test_cdist_random_sets(engine, level, a, b):
    got = zipfit.cdist(a, b, level=level, workers=2, engine=engine)
    assert got.shape == (len(a), len(b))
    assert np.array_equal(got, reference.cdist(a, b, level=level))


@pytest.mark.parametrize("level", [1, 3, 4, 6, 9])
@given(src=st.binary(min_size=0, max_size=2000), tgt=st.binary(max_size=2000),
       seed=st.binary(min_size=1, max_size=40))
def test_pairs_with_matches_across_the_boundary(level, src, tgt, seed):
    """Source and target share material, so matches cross the seam."""
    a = [src + seed * 5, seed * 3]
    b = [seed * 4 + tgt, tgt + seed]
    for engine in ENGINES:
        got = zipfit.cdist(a, b, level=level, engine=engine)
        assert np.array_equal(got, reference.cdist(a, b, level=level)), engine


@pytest.mark.parametrize("level", [1, 6, 9])
def test_target_batches_equal_single_pairs(corpus, level):
    """The engine takes a row's targets four at a time (trees built side by
    side): every batch size and remainder, mixed target kinds (empty, tiny,
    binary, NUL, over 16 KiB without a target state), equals each pair
    computed alone and the real compressor."""
    rng = random.Random(level)
    pool = [corpus[5].encode(), b"", bytes(rng.randrange(256) for _ in range(700)),
            corpus[6].encode(), b"x", (corpus[4] * 60).encode()[:20000], b"\0" * 300,
            corpus[7].encode(), corpus[3][:50].encode()]
    sources = [corpus[0], corpus[1][:200], "", corpus[5][:300] + corpus[6][:100]]
    for n in range(1, len(pool) + 1):
        targets = pool[:n]
        got = zipfit.cdist(sources, targets, level=level, workers=1)
        for j, t in enumerate(targets):
            alone = zipfit.cdist(sources, [t], level=level, workers=1)[:, 0]
            assert np.array_equal(got[:, j], alone), (n, j)
        assert np.array_equal(got, reference.cdist(sources, targets, level=level)), n


@pytest.mark.parametrize("level", [4, 6, 9])
def test_long_targets_follow_their_plan_exactly(corpus, level):
    """Targets of 16-64 KiB have a target state: a pair follows the
    target's own parse past the 32,506-byte reach of the source, through
    block ends that move with the source, and past the window's slide
    (pairs over 65,274 bytes); copies of the source sit in the target,
    some right at the reach."""
    rng = random.Random(level)
    text = "\n\n".join(corpus).encode()
    sources = [corpus[0].encode(), text[:3000], bytes(rng.randrange(256) for _ in range(900)),
               text[5000:25000]]
    targets = []
    for n in (16_384, 40_000, 65_536):
        start = rng.randrange(len(text) - n)
        t = bytearray(text[start:start + n])
        for src in sources[:3]:
            for at in (rng.randrange(n - 600), 32_506 - len(src) + 100, 32_506 - len(src) + 101):
                t[at:at + 400] = src[100:500]
        targets.append(bytes(t[:n]))
    targets.append(bytes(rng.randrange(256) for _ in range(30_000)) + text[:20_000])
    got = zipfit.cdist(sources, targets, level=level, workers=2)
    assert np.array_equal(got, reference.cdist(sources, targets, level=level))


def test_cdist_float32(small_task):
    sources, targets = small_task
    d64 = zipfit.cdist(sources[:10], targets[:3])
    d32 = zipfit.cdist(sources[:10], targets[:3], dtype=np.float32)
    assert d32.dtype == np.float32
    assert np.array_equal(d32, d64.astype(np.float32))


def test_ncd_matches_definition():
    x, y = "abcdefgh" * 3 + "xyz", "xyz" * 2 + "q"
    cx = expected(x.encode(), "gzip", 9)
    cy = expected(y.encode(), "gzip", 9)
    cxy = expected((x + y).encode(), "gzip", 9)
    assert zipfit.ncd(x, y) == (cxy - min(cx, cy)) / max(cx, cy)
    # x ⊕ y, not y ⊕ x
    cyx = expected((y + x).encode(), "gzip", 9)
    assert cxy != cyx
    assert zipfit.ncd(y, x) == (cyx - min(cx, cy)) / max(cx, cy)


# ------------------------------------------- past an engine's size limit
# The engines take texts and pairs up to a limit (deflate 2 GiB: more would
# overflow its 32-bit positions); longer ones go through the system zlib.
# MAX_INPUT is lowered here so that the path is reached with kilobytes.

def _limit_case(corpus):
    """Texts and pairs on both sides of a 3000-byte limit: str and bytes,
    empty, exactly at it, one byte over, and over alone."""
    text = "\n\n".join(corpus)
    rows = [text[:1000], text[1000:3000].encode(), "", text[:2999], text[5:3001],
            text[7:4000].encode(), "é" * 1600, text[3:1200]]
    cols = [text[20:1000], b"", text[30:31], text[50:2001].encode(), text[90:3100],
            "ü" * 30]
    return rows, cols


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("compressor", DEFLATE_FAMILY)
@pytest.mark.parametrize("level", [0, 1, 4, 6, 9])
@pytest.mark.parametrize("workers", [1, 2])
def test_past_the_size_limit_sizes_come_from_zlib(monkeypatch, corpus, engine, compressor,
                                                  level, workers):
    rows, cols = _limit_case(corpus)
    wrapper = _core.WRAPPERS[compressor]
    as_bytes = [t.encode() if isinstance(t, str) else t for t in rows]
    # reference: the real compressor, and the engine with its own limit
    want = [expected(t, compressor, level) for t in as_bytes]
    targets = _core.Targets(cols, engine=engine, level=level, wrapper=wrapper)
    rs = _core.sizes(rows, engine=engine, level=level, wrapper=wrapper, workers=workers)
    cs = _core.sizes(cols, engine=engine, level=level, wrapper=wrapper, workers=workers)
    full, full_ps = _core.ncd_matrix(rows, targets, workers=workers, row_sizes=rs,
                                     col_sizes=cs, pair_sizes=True)
    monkeypatch.setitem(_core.MAX_INPUT, engine, 3000)
    seen = []
    got = _core.sizes(rows, engine=engine, level=level, wrapper=wrapper, workers=workers,
                      progress=seen.append)
    assert got.tolist() == want == rs.tolist()
    assert seen[-1] == len(rows)
    for dtype in (np.float64, np.float32):
        seen = []
        d, ps = _core.ncd_matrix(rows, targets, workers=workers, row_sizes=rs,
                                 col_sizes=cs, pair_sizes=True, dtype=dtype,
                                 progress=seen.append)
        assert np.array_equal(ps, full_ps)
        assert np.array_equal(d, full.astype(dtype))
        assert seen[-1] == len(rows) * len(cols)
    cols_b = [t.encode() if isinstance(t, str) else t for t in cols]
    assert ps.tolist() == [[expected(x + y, compressor, level) for y in cols_b]
                           for x in as_bytes]
    assert (np.add.outer([len(x) for x in as_bytes], [len(y) for y in cols_b]) > 3000).sum() >= 8


@pytest.mark.skipif("deflate" not in _core.ENGINES, reason="no deflate engine here")
def test_size_limit_must_be_a_length(monkeypatch):
    for bad in (0, -5):
        monkeypatch.setitem(_core.MAX_INPUT, "deflate", bad)
        with pytest.raises(ValueError, match="MAX_INPUT"):
            _core.sizes([b"x"], engine="deflate", level=6, wrapper=2, workers=1)
    assert set(_core.MAX_INPUT) >= set(_core.ENGINES)


# ------------------------------------------------- memory budget per set

@pytest.mark.skipif("deflate" not in _core.ENGINES, reason="no deflate engine here")
@pytest.mark.parametrize("level", [4, 6, 9])
def test_memory_budget_caps_the_states_and_keeps_sizes_exact(corpus, level):
    """Targets past the budget get no state (deflate has nothing to trim) and
    take the general path: the same pair sizes."""
    import pickle
    cols = corpus[:25] + ["y" * 20_000, ""]
    rows = corpus[25:40]
    w = _core.WRAPPERS["gzip"]
    rs = _core.sizes(rows, engine="deflate", level=level, wrapper=w, workers=1)
    cs = _core.sizes(cols, engine="deflate", level=level, wrapper=w, workers=1)
    full = _core.Targets(cols, engine="deflate", level=level, wrapper=w)
    total = full.state_bytes
    assert full.prepared >= 25 and full.trimmed == 0 and total > 0
    _, want = _core.ncd_matrix(rows, full, workers=1, row_sizes=rs, col_sizes=cs,
                               pair_sizes=True)
    assert want.tolist() == [[expected((x + y).encode(), "gzip", level) for y in cols]
                             for x in rows]
    for budget in (0, 1, total // 4, total - 1, total, 2 * total):
        t = _core.Targets(cols, engine="deflate", level=level, wrapper=w,
                          memory_budget=budget)
        assert t.state_bytes <= budget and t.trimmed == 0
        assert (t.prepared == full.prepared) == (budget >= total)
        if budget <= 1:
            assert t.prepared == 0
        for workers in (1, 2):
            _, ps = _core.ncd_matrix(rows, t, workers=workers, row_sizes=rs, col_sizes=cs,
                                     pair_sizes=True)
            assert np.array_equal(ps, want), (budget, workers)
        assert pickle.loads(pickle.dumps(t)).memory_budget == budget
