"""The C LZ4 fast-mode engine against python-lz4 itself.

Every size here is compared with ``len(lz4.frame.compress(x,
compression_level=level))``; every NCD with the same formula over those
lengths.  Inputs cover both frame modes (one 64 KB block, linked blocks),
the switch between them at 65,536 bytes, stored (incompressible) blocks and
matches that cross the source/target seam.
"""
import os
import random

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import zipfit
from zipfit import _core

lz4frame = pytest.importorskip("lz4.frame")

pytestmark = pytest.mark.skipif("lz4" not in _core.ENGINES,
                                reason="no lz4 C engine on this platform")

FAST_LEVELS = [0, 1, 2, -1, -5, -65536]


def ref_size(x: bytes, level: int = 0) -> int:
    return len(lz4frame.compress(x, compression_level=level))


def ref_ncd(x: bytes, y: bytes, level: int = 0) -> float:
    cx, cy, cxy = ref_size(x, level), ref_size(y, level), ref_size(x + y, level)
    return (cxy - min(cx, cy)) / max(cx, cy)


def c_sizes(texts, level=0, workers=1):
    return _core.sizes(texts, engine="lz4", level=level, wrapper=0, workers=workers,
                       what="texts").tolist()


def c_pair_sizes(rows, cols, level=0, workers=1):
    """C(rows[i] ⊕ cols[j]) from the engine's pair path (row prefix reuse)."""
    t = _core.Targets(cols, engine="lz4", level=level, wrapper=0, what="cols")
    rs = _core.sizes(rows, engine="lz4", level=level, wrapper=0, workers=1, what="rows")
    cs = _core.sizes(cols, engine="lz4", level=level, wrapper=0, workers=1, what="cols")
    _, ps = _core.ncd_matrix(rows, t, workers=workers, row_sizes=rs, col_sizes=cs,
                             pair_sizes=True)
    return ps


def _rand(rng, n):
    return bytes(rng.getrandbits(8) for _ in range(n))


def _low_entropy(rng, n, alphabet=b"ab \n"):
    return bytes(rng.choice(alphabet) for _ in range(n))


# ------------------------------------------------------------ single texts

def test_default_engine_is_c_for_fast_levels_and_python_for_hc():
    for level in (None, 0, 1, 2, -3):
        assert zipfit.ZipFit(["t"], compressor="lz4", level=level).engine == "lz4"
    for level in (3, 9, 12, 16):
        assert zipfit.ZipFit(["t"], compressor="lz4", level=level).engine is None
    with pytest.raises(ValueError, match="none"):
        zipfit.ZipFit(["t"], compressor="lz4", level=9, engine="lz4")


def test_engine_rejects_hc_levels_itself():
    with pytest.raises(ValueError):
        _core.sizes([b"abc"], engine="lz4", level=3, wrapper=0, workers=1, what="t")


@pytest.mark.parametrize("n", [0, 1, 4, 12, 13, 14, 15, 16, 20, 31, 64, 255, 256, 270])
def test_edge_lengths(n):
    rng = random.Random(n)
    texts = [b"a" * n, b"\x00" * n, _rand(rng, n), _low_entropy(rng, n), (b"abcdefgh" * 40)[:n]]
    assert c_sizes(texts) == [ref_size(t) for t in texts]


def test_empty_is_header_and_end_mark():
    assert c_sizes([b""]) == [ref_size(b"")] == [11]


@settings(deadline=None)
@given(st.binary(max_size=3000), st.sampled_from(FAST_LEVELS))
def test_random_bytes(x, level):
    assert c_sizes([x], level) == [ref_size(x, level)]


@settings(deadline=None)
@given(st.lists(st.sampled_from([b"ab", b"abc", b"\x00", b"xyz1", b"def ", b"(self)"]),
                max_size=600), st.sampled_from(FAST_LEVELS[:4]))
def test_repetitive_tokens(parts, level):
    x = b"".join(parts)
    assert c_sizes([x], level) == [ref_size(x, level)]


def test_real_text_all_fast_levels(corpus):
    texts = [t.encode() for t in corpus[:150]]
    for level in FAST_LEVELS:
        assert c_sizes(texts, level) == [ref_size(t, level) for t in texts], level


def test_large_inputs_single_and_linked_blocks(corpus):
    """Sizes around and beyond 64 KiB and 128 KiB (linked multi-block frames)."""
    rng = random.Random(7)
    text = "\n\n".join(corpus).encode()
    noise = _rand(rng, 200_000)
    texts = []
    for n in (65_535, 65_536, 65_537, 65_547, 70_000, 131_072, 131_073, 140_000, 200_000):
        texts.append(text[:n])
        texts.append(noise[:n])                        # stored (raw) blocks
        texts.append(noise[:n // 2] + text[:n - n // 2])  # raw, then compressible
        texts.append(text[:n // 3] + noise[:n - n // 3])  # compressible, then raw
    texts.append(b"\x00" * 150_000)
    texts.append((b"0123456789" * 30_000)[:300_000])
    for level in (0, -2):
        assert c_sizes(texts, level) == [ref_size(t, level) for t in texts]


def test_budget_failure_mid_block_in_linked_mode():
    """A linked block that gives up part-way leaves a partial table for the next."""
    rng = random.Random(3)
    for _ in range(6):
        # compressible start, then noise that makes the block exceed n_b - 1
        head = _low_entropy(rng, rng.randrange(100, 30_000))
        x = head + _rand(rng, 65_536 - len(head)) + head[: rng.randrange(1, 60_000)] \
            + _rand(rng, rng.randrange(0, 5_000))
        assert c_sizes([x]) == [ref_size(x)]


def test_linked_match_distance_limit_is_65535():
    """Data with period 65,534 / 65,535 / 65,536: only the first two repeat
    inside LZ4's 65,535-byte window."""
    rng = random.Random(1)
    texts = []
    for period in (65_534, 65_535, 65_536):
        block = _rand(rng, period)
        texts.append((block * 3)[:140_000])
    assert c_sizes(texts) == [ref_size(t) for t in texts]


def test_linked_block_that_just_fits_its_budget():
    """A first block whose last match ends at matchlimit and whose size lands
    on n_b - 1 exactly: LZ4's mid-block budget checks decide stored vs
    compressed, and with it the table the second block starts from."""
    rng = random.Random(2)
    noise = _rand(rng, 65_536 + 20_000)
    texts = [noise[:65_536 - t] + noise[100:100 + t] + noise[65_536:75_536]
             for t in range(240, 300)]
    texts += [noise[:65_536 - t] + noise[100:100 + t] for t in range(240, 300)]
    assert c_sizes(texts) == [ref_size(t) for t in texts]


# ------------------------------------------------------------------- pairs

@settings(deadline=None, max_examples=40)
@given(st.lists(st.binary(max_size=700), min_size=1, max_size=4),
       st.lists(st.binary(max_size=700), min_size=1, max_size=4),
       st.sampled_from(FAST_LEVELS[:5]))
def test_random_pairs(rows, cols, level):
    ps = c_pair_sizes(rows, cols, level)
    ref = [[ref_size(a + b, level) for b in cols] for a in rows]
    assert ps.tolist() == ref


def test_pairs_sharing_text_across_the_seam(corpus):
    """Targets that continue or repeat the source: matches cross the seam."""
    rng = random.Random(11)
    rows, cols = [], []
    for t in corpus[:25]:
        x = t.encode()
        rows.append(x)
        cut = rng.randrange(len(x) + 1)
        cols.append(x[cut:] + x[:cut])
    cols += [rows[0][-20:], rows[1][-3:], b"", b"\x00" * 30, rows[2][:5]]
    ps = c_pair_sizes(rows, cols)
    ref = [[ref_size(a + b) for b in cols] for a in rows]
    assert ps.tolist() == ref


def test_pairs_where_the_target_alone_would_stop_catching_up_at_its_start():
    """y = P + ... + P: alone, the second P's match extends backwards only to
    y's first byte; after a source ending in the same bytes it extends further.
    Replaying y's own parse must not carry the shorter match over."""
    rng = random.Random(21)
    rows, cols = [], []
    for _ in range(40):
        p = _rand(rng, rng.randrange(6, 30))
        tail = _rand(rng, rng.randrange(1, 4))
        mid = _low_entropy(rng, rng.randrange(0, 40), b"0123") + b"11111111" * rng.randrange(0, 3)
        cols.append(p + mid + _rand(rng, rng.randrange(0, 30)) + tail + p + tail + p)
        rows.append(_low_entropy(rng, rng.randrange(0, 300)) + tail)
    # found by search: here the source's last byte equals the one before the
    # repeat, so the pair's match starts one or more bytes earlier
    found = [
        ("6afffe187c0026c051965a151481860cae024278e50248d5f5ee10506c9f0dd2c90e404b29"
         "05b80f24897ac7191a0521977c9412a0085ffa750c",
         "2292fe0b944017fad6c231313131313131315b853e805fe13df19f0c2292fe0b944017fad6"
         "c20bfb82f086581e1544603d2152"),
        ("2f91db574d043f0667a31ca9974a39741195",
         "b9dd54300744af9981bc3e433a136731313131313131317f16b72af5352420c37b2714a1e6"
         "95b9dd54300744af9981bc3e433a13673c9658e7ab2c588c0197b17a"),
        ("e6dbe3f50eb07b803aab4166becce30b4644e827d9fbb4f0ababb2164ef17e9f26f481e163"
         "15487e2a508a449257e577",
         "ff99aa56b972ff465f6f961add3131313131313131cfdf0c7746699d72ce829bfc77ff99aa"
         "56b972ff465f6f961add2f60adae6e7a"),
    ]
    rows += [bytes.fromhex(x) for x, _ in found]
    cols += [bytes.fromhex(y) for _, y in found]
    ps = c_pair_sizes(rows, cols)
    ref = [[ref_size(a + b) for b in cols] for a in rows]
    assert ps.tolist() == ref


def test_pairs_over_several_column_blocks(corpus):
    """Targets whose states add up to more than one column block (640 KiB:
    each 6 KB target's trace takes at least 36 KB), so short rows are paired
    block by block and long ones (over 2 KB) with all columns at once; every
    pair must be right whatever the path and the thread count."""
    text = "\n\n".join(corpus).encode()
    cols = [text[i * 6_000:(i + 1) * 6_000] for i in range(24)]
    cols[5] = b""
    rows = [t.encode() for t in corpus[200:216]] + [b"", cols[3][:700]]
    rows[3:3] = [text[200_000:203_000], cols[7][:2_049], cols[8][:2_048]]
    ref = [[ref_size(a + b) for b in cols] for a in rows]
    assert c_pair_sizes(rows, cols).tolist() == ref
    assert c_pair_sizes(rows, cols, workers=2).tolist() == ref


def test_pairs_switching_mode_at_64k(corpus):
    """x ⊕ y around 65,536 bytes: the frame mode depends on the total length."""
    text = "\n\n".join(corpus).encode()
    rng = random.Random(5)
    rows = [text[:60_000], text[5_000:65_530], text[:65_536], text[1_000:71_000],
            text[:131_072 + 17], _rand(rng, 66_000), b"", text[:12]]
    cols = [b"", b"x", text[70_000:70_006], text[60_000:65_536], text[100:6_000],
            text[2_000:12_000], _rand(rng, 5_536), text[:70_000]]
    ps = c_pair_sizes(rows, cols)
    ref = [[ref_size(a + b) for b in cols] for a in rows]
    assert ps.tolist() == ref


@pytest.mark.parametrize("level", [0, -5])
def test_pairs_with_long_targets(corpus, level):
    """Targets of 4-64 KiB (states that read their hashes in place; from
    56 KiB also y's parse by the linked rules, replayed in the first block of
    a pair over 64 KiB): text, text with random and repeated stretches,
    sources sharing text with them, pairs that fit one block and pairs over
    it with the seam in the first block."""
    text = "\n\n".join(corpus).encode()
    rng = random.Random(7 + level)
    cols = [text[30_000:34_096], text[40_000:56_384], text[60_000:109_152],
            text[10_000:67_344], text[:65_536], text[1_000:66_000],
            text[120_000:150_000] + _rand(rng, 2_000) + text[150_000:180_000],
            (text[200_000:200_300] * 220)[:65_536]]
    rows = [t.encode() for t in corpus[500:506]] + [
        b"", text[40_500:40_900], _rand(rng, 3_000), text[100:9_000], text[70_000:86_000],
        cols[4][-500:]]
    ref = [[ref_size(a + b, level) for b in cols] for a in rows]
    assert c_pair_sizes(rows, cols, level).tolist() == ref
    assert c_pair_sizes(rows, cols, level, workers=2).tolist() == ref


def test_cdist_equals_reference_ncd_threads_agnostic(corpus):
    rows = [t.encode() for t in corpus[:60]] + [b"", b"\x00\x00nul", "héllo ✓".encode()]
    cols = [t.encode() for t in corpus[300:312]] + [b"", b"a" * 70_000]
    ref = np.array([[ref_ncd(a, b) for b in cols] for a in rows])
    one = zipfit.cdist(rows, cols, compressor="lz4", workers=1)
    two = zipfit.cdist(rows, cols, compressor="lz4", workers=2)
    assert np.array_equal(one, ref)
    assert np.array_equal(two, ref)


def test_alignment_non_ascii_and_str_bytes_agree(corpus):
    targets = corpus[400:410]
    sources = corpus[:30] + ["Ünïcödé “quotes” 日本語 ✓" * 3, "\x00"]
    a = zipfit.alignment(sources, targets, compressor="lz4", workers=2)
    b = zipfit.alignment([s.encode() for s in sources], [t.encode() for t in targets],
                         compressor="lz4", workers=1)
    ref = np.array([1 - np.mean([ref_ncd(s.encode(), t.encode()) for t in targets])
                    for s in sources])
    assert np.array_equal(a, b)
    assert np.allclose(a, ref, rtol=0, atol=1e-15)


def test_hc_levels_match_python_lz4(corpus):
    rows = [t.encode() for t in corpus[:6]]
    cols = [t.encode() for t in corpus[50:53]]
    for level in (3, 9):
        d = zipfit.cdist(rows, cols, compressor="lz4", level=level)
        ref = np.array([[ref_ncd(a, b, level) for b in cols] for a in rows])
        assert np.array_equal(d, ref)


def test_acceleration_is_capped_like_lz4():
    x = (b"the quick brown fox " * 500) + os.urandom(3000)
    assert ref_size(x, -65536) == ref_size(x, -10**6)  # LZ4's own cap
    assert c_sizes([x], -65536) == [ref_size(x, -65536)]
    with pytest.raises(ValueError, match="-65536..16"):
        zipfit.compressed_size(x, compressor="lz4", level=-65537)


# ------------------------------------------- past the engine's size limit
# The engine takes texts and pairs up to 1 GiB (LZ4 renormalises its
# indexes past 2 GB); longer ones go through the lz4 package.  MAX_INPUT is
# lowered here so that the path is reached with kilobytes.

@pytest.mark.parametrize("level", [0, -3])
@pytest.mark.parametrize("workers", [1, 2])
def test_past_the_size_limit_sizes_come_from_python_lz4(monkeypatch, corpus, level, workers):
    text = "\n\n".join(corpus)
    lim = 70_000  # over one block, so both frame modes meet the limit
    rows = [text[:1000], text[1000:71000].encode(), "", text[:69_999], text[5:70_001],
            text[7:90_000].encode(), "é" * 40_000]
    cols = [text[20:1000], b"", text[30:31], text[50:2001].encode(), text[90:68_100]]
    t = _core.Targets(cols, engine="lz4", level=level, wrapper=0)
    rs = c_sizes(rows, level)
    cs = c_sizes(cols, level)
    _, full = _core.ncd_matrix(rows, t, workers=workers, row_sizes=rs, col_sizes=cs,
                               pair_sizes=True)
    monkeypatch.setitem(_core.MAX_INPUT, "lz4", lim)
    as_bytes = [x.encode() if isinstance(x, str) else x for x in rows]
    cols_b = [y.encode() if isinstance(y, str) else y for y in cols]
    assert c_sizes(rows, level, workers) == [ref_size(x, level) for x in as_bytes] == rs
    for dtype in (np.float64, np.float32):
        d, ps = _core.ncd_matrix(rows, t, workers=workers, row_sizes=rs, col_sizes=cs,
                                 pair_sizes=True, dtype=dtype)
        assert np.array_equal(ps, full)
        assert ps.tolist() == [[ref_size(x + y, level) for y in cols_b] for x in as_bytes]
        want = [[ref_ncd(x, y, level) for y in cols_b] for x in as_bytes]
        assert np.array_equal(d, np.array(want, dtype=dtype))
    over = np.add.outer([len(x) for x in as_bytes], [len(y) for y in cols_b]) > lim
    assert over.sum() >= 10 and (~over).sum() >= 10


# ------------------------------------------------- memory budget per set

def test_memory_budget_caps_the_states_and_keeps_sizes_exact(corpus):
    """Past its budget a target keeps its hashes only (trimmed) or no state;
    pairs are the same either way."""
    import pickle
    cols = corpus[:30] + ["x" * 70_000, "", "abc"]
    rows = corpus[30:45] + [corpus[0][:5] + corpus[1]]
    rs, cs = c_sizes(rows), c_sizes(cols)
    full = _core.Targets(cols, engine="lz4", level=0, wrapper=0)
    assert full.memory_budget == _core.DEFAULT_MEMORY_BUDGET == 1 << 30
    assert full.prepared == 30 and full.trimmed == 0  # not 70 KB (2 blocks), nor under 4 B
    total = full.state_bytes
    _, want = _core.ncd_matrix(rows, full, workers=1, row_sizes=rs, col_sizes=cs,
                               pair_sizes=True)
    rows_b = [r.encode() for r in rows]
    assert want.tolist() == [[ref_size(x + y.encode()) for y in cols] for x in rows_b]
    trimmed = 0
    for budget in (0, 1, 5000, total // 3, total // 2, total - 1, total, 10 * total):
        t = _core.Targets(cols, engine="lz4", level=0, wrapper=0, memory_budget=budget)
        assert t.memory_budget == budget
        assert t.state_bytes <= budget
        if budget >= total:
            assert (t.prepared, t.trimmed, t.state_bytes) == (full.prepared, 0, total)
        else:
            assert t.prepared < full.prepared
        trimmed += t.trimmed
        for workers in (1, 2):
            _, ps = _core.ncd_matrix(rows, t, workers=workers, row_sizes=rs, col_sizes=cs,
                                     pair_sizes=True)
            assert np.array_equal(ps, want), (budget, workers)
        u = pickle.loads(pickle.dumps(t))
        assert (u.memory_budget, u.state_bytes, u.prepared) == \
            (budget, t.state_bytes, t.prepared)
    assert trimmed > 0


def test_memory_budget_is_a_byte_count():
    for bad, err in ((-1, ValueError), ("1000", TypeError), (1.5, TypeError),
                     (True, TypeError)):
        with pytest.raises(err, match="memory_budget|integer"):
            _core.Targets(["abc"], engine="lz4", level=0, wrapper=0, memory_budget=bad)
    t = _core.Targets(["abcd" * 10], engine="lz4", level=0, wrapper=0,
                      memory_budget=np.int64(10 ** 6))
    assert t.memory_budget == 10 ** 6 and t.prepared == 1
