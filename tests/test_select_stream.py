"""Streaming selection: the heap equals a full sort, budgets are exact, memory
stays at one chunk, and select_iter equals ZipFit.select bit for bit."""
import gzip

import numpy as np
import pytest
from hypothesis import given, strategies as st

import zipfit
from zipfit._checks import check_limits
from zipfit._select import Strategy, chunked


def ranking(scores):
    """Indices best first, ties by lower index."""
    return sorted(range(len(scores)), key=lambda i: (-scores[i], i))


def expected(scores, k=None, costs=None, budget=None):
    """The documented selection: the longest prefix of the ranking within k and budget."""
    out, total = [], 0
    for i in ranking(scores):
        if k is not None and len(out) == k:
            break
        if budget is not None and total + costs[i] > budget:
            break
        out.append(i)
        total += costs[i] if costs is not None else 0
    return out


def selector(k=None, budget=None):
    """A top-k/budget selector whose costs are the texts' byte lengths."""
    return Strategy(k=k, budget=budget, unit="bytes" if budget is not None else None).selector()


def offer(sel, scores, costs, lo, hi):
    texts = [b"x" * (costs[i] if costs is not None else 1) for i in range(lo, hi)]
    sel.offer(texts, np.array(scores[lo:hi], dtype=np.float64), lo, list(range(lo, hi)))


def run_selector(scores, sizes, k=None, costs=None, budget=None):
    sel = selector(k, budget)
    lo = 0
    for n in sizes + [len(scores)]:
        hi = min(len(scores), lo + n)
        offer(sel, scores, costs, lo, hi)
        lo = hi
    return sel.result()


# Few distinct values, so ties are common.
scores_st = st.lists(st.integers(0, 6).map(lambda v: v / 4), max_size=60)
sizes_st = st.lists(st.integers(1, 9), min_size=1, max_size=20)


@given(scores_st, sizes_st, st.integers(0, 70))
def test_heap_topk_equals_full_sort(scores, sizes, k):
    res = run_selector(scores, sizes, k=k)
    assert [r[0] for r in res] == expected(scores, k=k)
    assert [r[1] for r in res] == [scores[i] for i in expected(scores, k=k)]
    assert [r[2] for r in res] == [r[0] for r in res]       # payload follows its document


@given(scores_st, sizes_st, st.data())
def test_budget_is_longest_fitting_prefix(scores, sizes, data):
    costs = data.draw(st.lists(st.integers(0, 30), min_size=len(scores), max_size=len(scores)))
    budget = data.draw(st.integers(0, 200))
    k = data.draw(st.none() | st.integers(0, 70))
    res = run_selector(scores, sizes, k=k, costs=costs, budget=budget)
    assert [r[0] for r in res] == expected(scores, k=k, costs=costs, budget=budget)


@given(scores_st, sizes_st, st.data())
def test_merged_selectors_equal_one_selector(scores, sizes, data):
    """Parts selected apart and merged (in a tree, as on Dask) keep what one
    selector over the whole stream keeps, with budgets and k."""
    costs = data.draw(st.lists(st.integers(0, 30), min_size=len(scores), max_size=len(scores)))
    budget = data.draw(st.none() | st.integers(0, 200))
    k = data.draw(st.none() | st.integers(0, 70)) if budget is not None else \
        data.draw(st.integers(0, 70))
    fan_in = data.draw(st.integers(2, 4))
    parts, lo = [], 0
    for n in sizes + [len(scores)]:
        hi = min(len(scores), lo + n)
        sel = selector(k, budget)
        offer(sel, scores, costs, lo, hi)
        parts.append(sel)
        lo = hi
    while len(parts) > 1:
        merged = []
        for i in range(0, len(parts), fan_in):
            head = parts[i]
            for p in parts[i + 1:i + fan_in]:
                head.merge(p)
            merged.append(head)
        parts = merged
    got = [r[0] for r in parts[0].result()]
    assert got == expected(scores, k=k, costs=costs, budget=budget)


def test_limits_validation():
    with pytest.raises(ValueError, match="k must be >= 0"):
        check_limits(-1, None, None)
    with pytest.raises(TypeError, match="k must be an int"):
        check_limits(2.5, None, None)
    with pytest.raises(ValueError, match="budget_tokens must be >= 0"):
        check_limits(None, -3, None)
    assert check_limits(np.int64(3), None, np.int32(7)) == (3, 7, "bytes")


def test_chunked_bounds():
    assert [len(c) for c in chunked(range(10), 4, size=lambda x: 1)] == [4, 4, 2]
    assert [len(c) for c in chunked(["ab"] * 7, 100, chunk_bytes=5)] == [3, 3, 1]
    assert list(chunked([], 3)) == []
    with pytest.raises(ValueError):
        list(chunked([1], 0))


# ------------------------------------------------------------ select_iter

@pytest.fixture(scope="module")
def zf(small_task):
    return zipfit.ZipFit(small_task[1], level=6, workers=2)


def official_scores(sources, targets, level):
    """The official package's arithmetic: np.mean of a Python list of 1 - NCD."""
    def c(s):
        return len(gzip.compress(s.encode("utf-8"), compresslevel=level))
    ct = [c(t) for t in targets]
    out = []
    for s in sources:
        cs = c(s)
        sims = [1 - (c(s + t) - min(cs, ctj)) / max(cs, ctj) for t, ctj in zip(targets, ct)]
        out.append(np.mean(sims))
    return out


def test_scores_bit_identical_to_official(small_task, zf):
    sources, targets = small_task
    got = zf.score(sources)
    ref = official_scores(sources, targets, 6)
    assert got.tolist() == [float(x) for x in ref]     # ==, not approximately


@pytest.mark.parametrize("chunk", [1, 7, 4096])
def test_select_iter_equals_select(small_task, zf, chunk):
    sources = small_task[0]
    for k in (1, 10, len(sources), len(sources) + 5):
        want = zf.select(sources, k)
        got = zf.select_iter(iter(sources), k, chunk_size=chunk)
        assert got.indices.tolist() == want.indices.tolist()
        assert got.scores.tolist() == want.scores.tolist()
        assert list(got.items) == [sources[i] for i in want.indices]
        assert got.n_seen == len(sources)


def test_select_iter_ties_by_lower_index(zf, corpus):
    docs = [corpus[3], corpus[5], corpus[3], corpus[5], corpus[3]]
    got = zf.select_iter(docs, 5, chunk_size=2)
    s3, s5 = zf.score([corpus[3], corpus[5]])
    order = [0, 2, 4, 1, 3] if s3 > s5 else [1, 3, 0, 2, 4]
    assert got.indices.tolist() == order
    assert got.scores.tolist() == sorted(got.scores.tolist(), reverse=True)


def test_select_iter_mixed_items_and_fields(small_task, zf):
    sources = small_task[0][:30]
    items = []
    for i, s in enumerate(sources):
        if i % 3 == 0:
            items.append(s)
        elif i % 3 == 1:
            items.append(s.encode("utf-8"))
        else:
            items.append({"meta": {"body": s}, "id": i})
    got = zf.select_iter(items, 8, text_field="meta.body", chunk_size=4)
    want = zf.select(sources, 8)
    assert got.indices.tolist() == want.indices.tolist()
    assert got.scores.tolist() == want.scores.tolist()
    assert got.items[0] is items[got.indices[0]]


def test_select_iter_budget(small_task, zf):
    sources = small_task[0][:60]
    scores = zf.score(sources).tolist()
    tokens = [len(s.split()) for s in sources]
    nbytes = [len(s.encode()) for s in sources]
    got = zf.select_iter(sources, budget_tokens=500, chunk_size=9)
    assert got.indices.tolist() == expected(scores, costs=tokens, budget=500)
    assert got.total_cost == sum(tokens[i] for i in got.indices) <= 500
    got = zf.select_iter(sources, 3, budget_bytes=100000, chunk_size=9)
    assert got.indices.tolist() == expected(scores, k=3, costs=nbytes, budget=100000)


def test_select_iter_streams_in_chunks(small_task, zf, monkeypatch):
    """Items are pulled one chunk at a time: scoring starts before the stream ends."""
    log = []
    real = zf.scorer.ncd

    def spy(texts, **kw):
        log.append(("score", len(texts)))
        return real(texts, **kw)

    monkeypatch.setattr(zf.scorer, "ncd", spy)

    def gen():
        for i, s in enumerate(small_task[0][:25]):
            log.append(("pull", i))
            yield s

    zf.select_iter(gen(), 3, chunk_size=10)
    first_score = log.index(("score", 10))
    assert log[first_score - 1] == ("pull", 9)                # the chunk, and no more
    assert [e for e in log if e[0] == "score"] == [("score", 10), ("score", 10), ("score", 5)]


def test_select_iter_progress_and_errors(small_task, zf):
    seen = []
    zf.select_iter(small_task[0][:23], 2, chunk_size=10, progress=seen.append)
    assert seen == [10, 10, 3]
    with pytest.raises(ValueError, match="give k, budget_tokens or budget_bytes"):
        zf.select_iter(["a"])
    with pytest.raises(ValueError, match="not both"):
        zf.select_iter(["a"], budget_tokens=1, budget_bytes=1)
    with pytest.raises(zipfit.InputError, match=r"item 2: field 'text': missing"):
        zf.select_iter([{"text": "a"}, {"body": "b"}], 1)
    with pytest.raises(zipfit.InputError, match=r"item 1: field 'text': is a number"):
        zf.select_iter([{"text": 1}], 1)
    with pytest.raises(zipfit.InputError, match="item 2: is a number .5.; expected str"):
        zf.select_iter(["a", 5], 1)
    with pytest.raises(TypeError, match="not a single str"):
        zf.select_iter("abc", 1)
    with pytest.raises(ValueError, match="lone surrogate"):
        zf.select_iter(["ok", "\ud800"], 1)
    empty = zf.select_iter([], 5)
    assert len(empty) == 0 and empty.n_seen == 0


@given(scores_st, sizes_st, st.data())
def test_near_out_is_the_best_left_out(scores, sizes, data):
    """What a report shows as "left out near the cut": the next documents of
    the ranking after the selection, whether the parts were merged or not."""
    costs = data.draw(st.lists(st.integers(0, 30), min_size=len(scores), max_size=len(scores)))
    budget = data.draw(st.none() | st.integers(0, 200))
    k = data.draw(st.integers(0, 70)) if budget is None else data.draw(st.none() | st.integers(0, 70))
    ranking = sorted(range(len(scores)), key=lambda i: (-scores[i], i))
    chosen = expected(scores, k=k, costs=costs, budget=budget)
    want = ranking[len(chosen):len(chosen) + 4] if k != 0 else []
    plan = Strategy(k=k, budget=budget, unit="bytes" if budget is not None else None)
    parts, lo = [], 0
    for n in sizes + [len(scores)]:
        hi = min(len(scores), lo + n)
        sel = plan.selector(near=4)
        offer(sel, scores, costs, lo, hi)
        parts.append(sel)
        lo = hi
    merged = parts[0]
    for p in parts[1:]:
        merged.merge(p)
    assert [r[0] for r in merged.result()] == chosen
    assert [key for key, _, _ in merged.near()] == want
