"""Selection beyond plain top-k: sampling, exact dedup, per-target nearest and
length filters — the same result from Python, the command line (local and
Dask), zipfit.dask and zipfit.hf, whatever the chunking or thread count."""
import json
import math
import random

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import zipfit
from zipfit import cli
from zipfit._select import Strategy, gumbel


@pytest.fixture(scope="module")
def pool(corpus):
    """Real texts with planted exact duplicates (and an empty text)."""
    rng = random.Random(5)
    base = corpus[:150]
    texts = base + [rng.choice(base[:30]) for _ in range(40)] + ["", "x"]
    rng.shuffle(texts)
    return texts


@pytest.fixture(scope="module")
def targets(corpus):
    return corpus[400:406]


def _py(pool, targets, chunk=4096, workers=1, **options):
    sel = zipfit.ZipFit(targets, level=6, workers=workers).select_iter(pool, chunk_size=chunk,
                                                                       **options)
    return sel.indices.tolist(), sel.scores.tolist()


CASES = {
    "sample": dict(k=15, strategy="sample", temperature=0.05, seed=11),
    "sample-budget": dict(budget_bytes=6000, strategy="sample", temperature=0.1, seed=3),
    "dedup": dict(k=25, dedup=True),
    "dedup-sample": dict(k=12, dedup=True, strategy="sample", temperature=0.05, seed=8),
    "per-target": dict(per_target=3),
    "filtered": dict(k=20, min_bytes=200, max_bytes=900),
}
FLAGS = {"k": "-k", "budget_bytes": "--budget-bytes", "temperature": "--temperature",
         "seed": "--seed", "per_target": "--per-target", "min_bytes": "--min-bytes",
         "max_bytes": "--max-bytes"}


def _argv(options):
    argv = []
    for key, value in options.items():
        if key == "strategy":
            argv.append("--sample")
        elif key == "dedup":
            argv.append("--dedup")
        else:
            argv += [FLAGS[key], str(value)]
    return argv


@pytest.mark.filterwarnings("ignore:workers=.*usable cores")
@pytest.mark.parametrize("case", sorted(CASES))
def test_python_selections_ignore_chunking_and_threads(pool, targets, case):
    options = CASES[case]
    want = _py(pool, targets, **options)
    assert want[0], "an empty selection proves nothing"
    for chunk, workers in ((1, 1), (7, 2), (64, 3)):
        assert _py(pool, targets, chunk=chunk, workers=workers, **options) == want
    assert zipfit.ZipFit(targets, level=6).select(pool, **options).indices.tolist() == want[0]


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("executor", ["local", "dask"])
def test_cli_gives_the_python_selection(pool, targets, tmp_path, case, executor, request):
    options = CASES[case]
    src = tmp_path / "s.jsonl"
    src.write_text("".join(json.dumps({"text": t, "n": i}) + "\n" for i, t in enumerate(pool)))
    tgt = tmp_path / "t.jsonl"
    tgt.write_text("".join(json.dumps({"text": t}) + "\n" for t in targets))
    out = tmp_path / "o.jsonl"
    argv = ["select", str(src), "-t", str(tgt), "-l", "6", "-q", "--chunk-size", "13",
            "-o", str(out), *_argv(options)]
    if executor == "dask":
        argv += ["--scheduler", request.getfixturevalue("dask_scheduler"), "--blocksize",
                 "4000"]
    assert cli.main(argv) == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    want = zipfit.ZipFit(targets, level=6).select_iter(pool, **options)
    assert [r["zipfit_index"] for r in rows] == want.indices.tolist()
    assert [r["zipfit_score"] for r in rows] == want.scores.tolist()
    assert all(r["n"] == r["zipfit_index"] for r in rows)
    if "per_target" in options:
        assert [tuple(r["zipfit_targets"]) for r in rows] == list(want.targets)


@pytest.mark.parametrize("case", sorted(CASES))
def test_dask_and_hf_give_the_python_selection(pool, targets, case, request):
    options = CASES[case]
    want = zipfit.ZipFit(targets, level=6).select_iter(pool, **options)
    dd = pytest.importorskip("dask.dataframe")
    pd = pytest.importorskip("pandas")
    import zipfit.dask as zd
    request.getfixturevalue("dask_scheduler")
    frame = dd.from_pandas(pd.DataFrame({"text": pool}), npartitions=7, sort=False)
    got = zd.select(frame, targets, level=6, **options)
    assert got.zipfit_index.tolist() == want.indices.tolist()
    assert got.zipfit_score.tolist() == want.scores.tolist()
    datasets = pytest.importorskip("datasets")
    import zipfit.hf as zh
    ds = datasets.Dataset.from_dict({"text": pool})
    for data in (ds, ds.to_iterable_dataset(num_shards=3)):
        got = zh.select(data, targets, level=6, chunk_size=29, **options)
        assert got["zipfit_index"] == want.indices.tolist()
        if "per_target" in options:
            assert [tuple(t) for t in got["zipfit_targets"]] == list(want.targets)


# ------------------------------------------------------------ sampling

def test_gumbel_noise_is_a_function_of_seed_and_position():
    a = gumbel(7, np.arange(1000, dtype=np.uint64))
    assert np.array_equal(a[300:400], gumbel(7, np.arange(300, 400, dtype=np.uint64)))
    assert not np.array_equal(a, gumbel(8, np.arange(1000, dtype=np.uint64)))
    big = gumbel(1, np.arange(200_000, dtype=np.uint64))
    assert abs(big.mean() - 0.5772) < 0.01 and abs(big.var() - math.pi ** 2 / 6) < 0.03


def test_sampling_follows_softmax_of_score_over_temperature(targets, corpus):
    """k=1 over many seeds: selection frequencies match softmax(score / T)
    (chi-square goodness of fit at the 0.1% level)."""
    pool = corpus[:12]
    zf = zipfit.ZipFit(targets, level=6, workers=1)
    scores = zf.score(pool)
    temperature = 0.02
    p = np.exp((scores - scores.max()) / temperature)
    p /= p.sum()
    trials = 4000
    counts = np.zeros(len(pool))
    for seed in range(trials):
        counts[zf.select_iter(pool, 1, strategy="sample", temperature=temperature,
                              seed=seed).indices[0]] += 1
    expected = p * trials
    keep = expected >= 5                      # pool the rare ones into one cell
    obs = np.append(counts[keep], counts[~keep].sum())
    exp = np.append(expected[keep], expected[~keep].sum())
    if exp[-1] == 0:
        obs, exp = obs[:-1], exp[:-1]
    assert keep.sum() >= 3, "the test needs several likely documents"
    stat = float(((obs - exp) ** 2 / exp).sum())
    pvalue = _chi2_sf(stat, len(obs) - 1)
    assert pvalue > 1e-3, (stat, pvalue, obs, exp)
    # and the test can fail: top-k's counts (all on the best) are far off
    top = np.zeros_like(obs)
    top[np.argmax(exp)] = trials
    assert _chi2_sf(float(((top - exp) ** 2 / exp).sum()), len(obs) - 1) < 1e-6


def _chi2_sf(x, df):
    """P(X >= x) for a chi-square variable with df degrees of freedom
    (the regularized upper incomplete gamma Q(df/2, x/2), by its series)."""
    a, z = df / 2.0, x / 2.0
    if z <= 0:
        return 1.0
    term = total = 1.0 / a
    n = 1
    while term > total * 1e-15:
        term *= z / (a + n)
        total += term
        n += 1
    lower = math.exp(-z + a * math.log(z) - math.lgamma(a)) * total
    return max(0.0, 1.0 - lower)


def test_sampling_at_a_low_temperature_is_the_top_k(pool, targets):
    top = _py(pool, targets, k=10)
    assert _py(pool, targets, k=10, strategy="sample", temperature=1e-9, seed=4) == top


# ------------------------------------------------------------ dedup

def test_dedup_keeps_the_first_copy_and_counts_the_dropped(pool, targets):
    zf = zipfit.ZipFit(targets, level=6)
    sel = zf.select_iter(pool, 60, dedup=True, chunk_size=9)
    texts = [pool[i] for i in sel.indices]
    assert len(set(texts)) == len(texts)
    for i in sel.indices:
        assert pool.index(pool[i]) == i                       # the lowest-index copy
    # brute force: the top 60 of the first copies
    first = {}
    for i, t in enumerate(pool):
        first.setdefault(t, i)
    scores = zf.score(pool)
    uniq = sorted(first.values(), key=lambda i: (-scores[i], i))[:60]
    assert sel.indices.tolist() == uniq
    assert sel.counts["duplicates"] > 0
    without = zf.select_iter(pool, 60)
    assert len({pool[i] for i in without.indices}) < 60       # copies were there to drop


@settings(max_examples=40)
@given(st.lists(st.sampled_from(["aa bb", "cc dd ee", "ff", "gg hh", "ii"]), max_size=30),
       st.integers(0, 8), st.integers(1, 6))
def test_dedup_merges_exactly(texts, k, parts):
    """Dedup over parts selected apart and merged equals dedup over the whole."""
    plan = Strategy.make(k, dedup=True)
    scores = np.array([len(t) / 10 for t in texts])
    whole = plan.selector()
    whole.offer(texts, scores, 0, list(range(len(texts))))
    cut = np.array_split(np.arange(len(texts)), parts)
    merged = None
    for idx in cut:
        sel = plan.selector()
        if len(idx):
            sel.offer([texts[i] for i in idx], scores[idx], int(idx[0]), idx.tolist())
        merged = sel if merged is None else merged.merge(sel)
    assert [r[0] for r in merged.result()] == [r[0] for r in whole.result()]


# ------------------------------------------------------------ per target

def test_per_target_equals_brute_force_from_cdist(pool, targets):
    m = 4
    sel = zipfit.ZipFit(targets, level=6).select_iter(pool, per_target=m, chunk_size=11)
    d = zipfit.cdist(pool, targets, level=6)
    scores = zipfit.alignment(pool, targets, level=6)
    want_lists = [sorted(range(len(pool)), key=lambda i: (d[i, j], i))[:m]
                  for j in range(len(targets))]
    assert [[i for i, _ in lst] for lst in sel.per_target] == want_lists
    assert [[x for _, x in lst] for lst in sel.per_target] == \
        [[d[i, j] for i in lst] for j, lst in enumerate(want_lists)]
    union = sorted({i for lst in want_lists for i in lst}, key=lambda i: (-scores[i], i))
    assert sel.indices.tolist() == union
    for i, tj in zip(sel.indices, sel.targets):
        assert list(tj) == [j for j, lst in enumerate(want_lists) if i in lst]


def test_per_target_report_file(pool, targets, tmp_path):
    src = tmp_path / "s.jsonl"
    src.write_text("".join(json.dumps({"text": t}) + "\n" for t in pool))
    tgt = tmp_path / "t.jsonl"
    tgt.write_text("".join(json.dumps({"text": t}) + "\n" for t in targets))
    sel = zipfit.ZipFit(targets, level=6).select_iter(pool, per_target=2)
    for name in ("r.csv", "r.jsonl"):
        assert cli.main(["select", str(src), "-t", str(tgt), "-l", "6", "-q", "--per-target",
                         "2", "--per-target-report", str(tmp_path / name),
                         "-o", str(tmp_path / "o.jsonl")]) == 0
    lines = (tmp_path / "r.csv").read_text().splitlines()
    assert lines[0] == "target,rank,zipfit_index,ncd" and len(lines) == 1 + 2 * len(targets)
    rows = [json.loads(x) for x in (tmp_path / "r.jsonl").read_text().splitlines()]
    assert [(r["target"], r["zipfit_index"], r["ncd"]) for r in rows] == \
        [(j, i, d) for j, lst in enumerate(sel.per_target) for i, d in lst]


# ------------------------------------------------------------ length filters and errors

def test_length_filters_and_counts(pool, targets, tmp_path, capsys):
    sel = zipfit.ZipFit(targets, level=6).select_iter(pool, 500, min_bytes=100, max_bytes=800)
    lens = [len(t.encode()) for t in pool]
    assert all(100 <= lens[i] <= 800 for i in sel.indices)
    outside = sum(not 100 <= n <= 800 for n in lens)
    assert len(sel) == len(pool) - outside
    assert sel.counts == {"duplicates": 0, "filtered": outside, "empty": 1}
    noise = bytes(random.Random(1).getrandbits(8) for _ in range(300))
    empty_wins = zipfit.ZipFit(targets).select(["", noise], 1)
    assert empty_wins.indices.tolist() == [0]         # an empty text outscores a real one
    assert zipfit.ZipFit(targets).select_iter(["", noise], 1,
                                              min_bytes=1).indices.tolist() == [1]
    src = tmp_path / "s.jsonl"
    src.write_text("".join(json.dumps({"text": t}) + "\n" for t in pool))
    assert cli.main(["select", str(src), "-t", str(src), "-k", "3", "--min-bytes", "100",
                     "--max-bytes", "800", "-o", str(tmp_path / "o.jsonl")]) == 0
    assert f"{outside:,} outside the length range, 1 empty text)" in capsys.readouterr().err


@pytest.mark.parametrize("options, message", [
    (dict(k=3, strategy="best"), "strategy must be one of"),
    (dict(k=3, strategy="sample", temperature=0), "temperature must be > 0"),
    (dict(k=3, strategy="sample", temperature=float("nan")), "temperature must be > 0"),
    (dict(k=3, seed=-1), "seed must be >= 0"),
    (dict(k=3, per_target=2), "without k or a budget"),
    (dict(per_target=2, dedup=True), "no sampling and no dedup"),
    (dict(per_target=0), "per_target must be >= 1"),
    (dict(k=3, min_bytes=10, max_bytes=5), "min_bytes (10) is more than max_bytes (5)"),
])
def test_bad_strategies_are_refused_alike(targets, options, message, tmp_path, capsys):
    zf = zipfit.ZipFit(targets)
    with pytest.raises(ValueError) as e:
        zf.select_iter(["a"], **options)
    assert message in str(e.value)
    assert cli.main(["select", "x", "-t", "y", "-k", "1", "--seed", "3"]) == 2
    assert "--temperature and --seed shape a sample: give --sample" in capsys.readouterr().err
