"""alignment/ZipFit equal the official computation; threads change nothing."""
import gzip
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import zipfit
from zipfit import _api


def official_alignment(sources, targets, level):
    """The official zip-fit scoring, written out in plain Python.

    similarity = 1 - NCD per pair (Python ints and floats), then np.mean of
    the similarities of each source.
    """
    def c(s):
        return len(gzip.compress(s.encode("utf-8"), compresslevel=level))

    cs = [c(s) for s in sources]
    ct = [c(t) for t in targets]
    out = []
    for i, s in enumerate(sources):
        sims = []
        for j, t in enumerate(targets):
            c12 = c(s + t)
            sims.append(1 - (c12 - min(cs[i], ct[j])) / max(cs[i], ct[j]))
        out.append(np.mean(sims))
    return np.array(out)


@pytest.mark.parametrize("level", [1, 6, 9])
def test_alignment_equals_official(small_task, level):
    sources, targets = small_task
    got = zipfit.alignment(sources, targets, level=level, workers=2)
    ref = official_alignment(sources, targets, level)
    assert got.shape == (len(sources),)
    np.testing.assert_allclose(got, ref, rtol=0, atol=1e-12)


@pytest.mark.parametrize("level", [1, 9])
@pytest.mark.filterwarnings("ignore:workers=.*usable cores")
def test_thread_count_agnostic(small_task, level):
    sources, targets = small_task
    one = zipfit.alignment(sources, targets, level=level, workers=1)
    two = zipfit.alignment(sources, targets, level=level, workers=2)
    many = zipfit.alignment(sources, targets, level=level, workers=7)
    every = zipfit.alignment(sources, targets, level=level, workers=-1)
    assert np.array_equal(one, two)
    assert np.array_equal(one, many)
    assert np.array_equal(one, every)
    d1 = zipfit.cdist(sources, targets, level=level, workers=1)
    d3 = zipfit.cdist(sources, targets, level=level, workers=3)
    assert np.array_equal(d1, d3)


def test_chunk_size_agnostic(small_task, monkeypatch):
    sources, targets = small_task
    full = zipfit.alignment(sources, targets, workers=2)
    monkeypatch.setattr(_api, "CHUNK_DOCS", 7)  # 84 sources: last chunk partial
    assert np.array_equal(zipfit.alignment(sources, targets, workers=2), full)


def test_one_source_many_targets_splits_columns(corpus):
    """A single row is split by columns across threads; results unchanged."""
    big = corpus[0] * 200
    targets = corpus[1:60]
    one = zipfit.cdist([big], targets, workers=1)
    two = zipfit.cdist([big], targets, workers=2)
    assert np.array_equal(one, two)


def test_empty_inputs_one_rule(corpus):
    """Sources may be empty (empty results of the right shape); targets may not."""
    t = corpus[:3]
    zf = zipfit.ZipFit(t, workers=1)
    assert zipfit.alignment([], t).shape == (0,)
    assert zipfit.cdist([], t).shape == (0, 3)
    assert zf.cdist([]).shape == (0, 3) and zf.score([]).shape == (0,)
    for sel in (zf.select([], k=5), zf.select(t, k=0), zf.select_iter([], 5),
                zf.select_iter(t, 0)):
        assert sel.indices.shape == (0,) and sel.scores.shape == (0,)
    for call in (lambda: zipfit.alignment(t, []), lambda: zipfit.cdist(t, []),
                 lambda: zipfit.cdist([], []), lambda: zipfit.ZipFit([]),
                 lambda: zipfit.reference.alignment(t, [])):
        with pytest.raises(ValueError, match="at least one target"):
            call()


def test_empty_strings_and_nul():
    got = zipfit.alignment(["", "\x00", "a\x00b"], ["", "\x00\x00"], level=6)
    ref = official_alignment(["", "\x00", "a\x00b"], ["", "\x00\x00"], 6)
    np.testing.assert_allclose(got, ref, rtol=0, atol=1e-12)


def test_select_best_first_ties_by_index(corpus):
    targets = corpus[:5]
    dup = corpus[10]
    sources = [corpus[11], dup, corpus[12], dup, targets[0], dup]
    zf = zipfit.ZipFit(targets, workers=2)
    scores = zf.score(sources)
    sel = zf.select(sources, k=4)
    assert list(sel.scores) == sorted(sel.scores, reverse=True)
    assert sel.indices[0] == 4  # a target itself aligns best
    dups = [i for i in sel.indices if sources[i] is dup]
    assert dups == sorted(dups)
    assert np.array_equal(sel.scores, scores[sel.indices])
    # k larger than the pool returns everything, ordered
    everything = zf.select(sources, k=100)
    assert sorted(everything.indices.tolist()) == list(range(len(sources)))
    expect = sorted(range(len(sources)), key=lambda i: (-scores[i], i))
    assert everything.indices.tolist() == expect
    assert len(zf.select(sources, k=0)) == 0


def test_progress_callback_and_cancel(corpus):
    """An exception in the waiting thread cancels the workers cleanly."""
    # About 2 s of work on two cores (1.2M pairs), so that the first
    # progress poll (every 0.2 s) comes long before the end: with 40 targets
    # the job once finished within one poll and nothing was left to cancel.
    sources = [corpus[i % 50] * 4 for i in range(3000)]
    targets = corpus[100:500]
    zf = zipfit.ZipFit(targets, level=9, workers=2)
    seen = []

    def progress(n):
        seen.append(n)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        zf.scorer.ncd(sources, progress=progress)
    assert seen and seen[0] < len(sources) * len(targets)
    # the scorer is still usable afterwards
    assert zf.score(sources[:3]).shape == (3,)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize("compressor", ["gzip", "bz2"])  # C engine, library threads
def test_ctrl_c_interrupts_a_long_call(tmp_path, compressor):
    """Hours of work; SIGINT must end it (communicate's timeout would fail)."""
    script = textwrap.dedent("""
        import sys, zipfit
        src = [("def f%%d(x):\\n    return x * %%d\\n" %% (i, i)) * 20 for i in range(200000)]
        print("ready", flush=True)
        zipfit.alignment(src, ["def g(y): return y"] * 50, compressor=%r, workers=2)
        print("finished", flush=True)
    """ % compressor)
    p = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "ready"
    import time
    time.sleep(1.5)
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=60)
    assert "finished" not in out
    assert "KeyboardInterrupt" in err
    assert p.returncode != 0
