"""zipfit.dask on a real process-based LocalCluster: exact equality with local."""
import random

import numpy as np
import pytest

dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")
pd = pytest.importorskip("pandas")

import dask  # noqa: E402

import zipfit  # noqa: E402
import zipfit.dask as zd  # noqa: E402


@pytest.fixture(scope="module")
def client(dask_scheduler):
    with distributed.Client(dask_scheduler) as c:
        yield c


@pytest.fixture(scope="module")
def pool(corpus):
    """~200 documents with many exact duplicates (score ties across partitions),
    empty, NUL and non-ASCII texts, split into partitions some of which are empty."""
    rng = random.Random(99)
    base = corpus[:120] + ["", "\x00 nul \x00\x00", "héllo wörld ✓ 日本語 🚀", "x" * 5000]
    texts = base + [rng.choice(base[:40]) for _ in range(80)]
    rng.shuffle(texts)
    pdf = pd.DataFrame({"text": texts, "id": np.arange(len(texts)),
                        "meta": [f"m{i}" for i in range(len(texts))]})
    pdf.index = pdf.index * 10  # a non-default index that must survive
    # rows 60-119 removed -> partitions 3-5 are empty
    ddf = dd.from_pandas(pdf, npartitions=10, sort=False)
    ddf = ddf[(ddf.id < 60) | (ddf.id >= 120)]
    kept = pdf[(pdf.id < 60) | (pdf.id >= 120)]
    assert 0 in ddf.map_partitions(len).compute().tolist()
    return ddf, kept


@pytest.fixture(scope="module")
def targets(corpus):
    return corpus[300:310] + ["def f(x):\n    return x  # ✓"]


def _local_select(texts, targets, k=None, budget=None, unit="tokens", **opts):
    scores = zipfit.alignment(texts, targets, **opts)
    sel = zipfit.ZipFit(targets, workers=1, **opts).select(texts, len(texts))
    idx, sc = sel.indices, sel.scores
    if k is not None:
        idx, sc = idx[:k], sc[:k]
    if budget is not None:
        costs = [len(texts[i].split()) if unit == "tokens" else len(texts[i].encode())
                 for i in idx]
        total, m = 0, 0
        for c in costs:
            if total + c > budget:
                break
            total += c
            m += 1
        idx, sc = idx[:m], sc[:m]
    return scores, idx, sc


def test_score_equals_local_alignment(client, pool, targets):
    ddf, kept = pool
    lazy = zd.score(ddf, targets)
    assert isinstance(lazy, dd.Series)
    assert lazy.name == "zipfit_score"
    got = lazy.compute()
    expect = zipfit.alignment(kept.text.tolist(), targets)
    assert np.array_equal(got.to_numpy(), expect)
    assert got.index.equals(kept.index)
    assert got.dtype == np.float64


def test_score_series_other_compressor_and_threads(client, pool, targets):
    ddf, kept = pool
    got = zd.score(ddf["text"], targets, compressor="zlib", level=9,
                   workers_per_task=2).compute()
    expect = zipfit.alignment(kept.text.tolist(), targets, compressor="zlib", level=9)
    assert np.array_equal(got.to_numpy(), expect)


def test_score_python_engine_compressor(client, pool, targets):
    ddf, kept = pool
    got = zd.score(ddf, targets, compressor="bz2").compute()
    assert np.array_equal(got.to_numpy(),
                          zipfit.alignment(kept.text.tolist(), targets, compressor="bz2"))


def test_score_bytes_and_other_column(client, targets):
    texts = [t.encode("utf-8") for t in ["abc abc", "", "def f(): pass", "\x00\xff"]] * 3
    pdf = pd.DataFrame({"body": texts})
    ddf = dd.from_pandas(pdf, npartitions=3)
    got = zd.score(ddf, targets, text_column="body").compute().to_numpy()
    assert np.array_equal(got, zipfit.alignment(texts, targets))


@pytest.mark.parametrize("k", [0, 1, 7, 25, 139, 140, 500])
def test_select_top_k_equals_local(client, pool, targets, k):
    ddf, kept = pool
    texts = kept.text.tolist()
    _, idx, sc = _local_select(texts, targets, k=k)
    sel = zd.select(ddf, targets, k)
    assert isinstance(sel, pd.DataFrame)
    assert list(sel.columns) == ["text", "id", "meta", "zipfit_score", "zipfit_index"]
    assert np.array_equal(sel.zipfit_index.to_numpy(), idx)
    assert np.array_equal(sel.zipfit_score.to_numpy(), sc)
    # whole rows, with their index, come along
    assert sel["text"].tolist() == [texts[i] for i in idx]
    assert sel["id"].tolist() == kept.id.to_numpy()[idx].tolist()
    assert sel.index.tolist() == kept.index.to_numpy()[idx].tolist()


def test_select_ties_are_by_global_position(client, targets):
    # identical documents in every partition: all scores tie
    texts = ["same text, same score"] * 12 + ["def f(x):\n    return x"] * 12
    ddf = dd.from_pandas(pd.DataFrame({"text": texts}), npartitions=6, sort=False)
    sel = zd.select(ddf, targets, 15)
    _, idx, _ = _local_select(texts, targets, k=15)
    assert np.array_equal(sel.zipfit_index.to_numpy(), idx)
    assert sel.zipfit_index.tolist() == list(range(12, 24)) + [0, 1, 2]


@pytest.mark.parametrize("unit,budget", [("tokens", 0), ("tokens", 700), ("tokens", 10**9),
                                         ("bytes", 5000), ("bytes", 1)])
def test_select_budget_equals_local(client, pool, targets, unit, budget):
    ddf, kept = pool
    texts = kept.text.tolist()
    _, idx, sc = _local_select(texts, targets, budget=budget, unit=unit)
    kw = {"budget_tokens": budget} if unit == "tokens" else {"budget_bytes": budget}
    sel = zd.select(ddf, targets, **kw)
    assert np.array_equal(sel.zipfit_index.to_numpy(), idx)
    assert np.array_equal(sel.zipfit_score.to_numpy(), sc)
    if budget < 10**9:
        assert 0 < len(idx) < len(texts) or budget <= 1


def test_select_budget_and_k(client, pool, targets):
    ddf, kept = pool
    texts = kept.text.tolist()
    _, idx, _ = _local_select(texts, targets, k=5, budget=10**6)
    assert len(idx) == 5
    assert np.array_equal(zd.select(ddf, targets, 5, budget_tokens=10**6)
                          .zipfit_index.to_numpy(), idx)
    _, idx, _ = _local_select(texts, targets, k=100, budget=300)
    assert 0 < len(idx) < 100
    assert np.array_equal(zd.select(ddf, targets, 100, budget_tokens=300)
                          .zipfit_index.to_numpy(), idx)


def test_targets_built_once_per_worker_process(client, pool, targets):
    ddf, kept = pool
    assert ddf.npartitions == 10  # many more tasks than the 2 worker processes
    before = client.run(zd._build_counts)
    zd.score(ddf, targets, level=5).compute()
    after = client.run(zd._build_counts)
    new = {}
    for w, counts in after.items():
        for token, n in counts.items():
            if token not in before.get(w, {}):
                new.setdefault(token, []).append(n)
    assert len(new) == 1, new  # one shipped target set...
    (builds,) = new.values()
    assert builds and all(n == 1 for n in builds)  # ...built once per process
    assert sum(builds) <= 2


def test_local_scheduler_without_client(monkeypatch, pool, targets):
    import distributed as dist

    def no_client():
        raise ValueError("No clients found")

    monkeypatch.setattr(dist, "get_client", no_client)
    ddf, kept = pool
    with dask.config.set(scheduler="sync"):
        got = zd.score(ddf, targets).compute()
        sel = zd.select(ddf, targets, 9)
    assert np.array_equal(got.to_numpy(), zipfit.alignment(kept.text.tolist(), targets))
    _, idx, _ = _local_select(kept.text.tolist(), targets, k=9)
    assert np.array_equal(sel.zipfit_index.to_numpy(), idx)


def test_errors(client, pool, targets):
    ddf, _ = pool
    with pytest.raises(zipfit.InputError, match="'body' not found.*text, id, meta"):
        zd.score(ddf, targets, text_column="body")
    with pytest.raises(TypeError, match="from_pandas"):
        zd.score(pd.DataFrame({"text": ["a"]}), targets)
    with pytest.raises(TypeError, match="workers_per_task"):
        zd.score(ddf, targets, workers=2)
    with pytest.raises(TypeError, match="unexpected option.*colour"):
        zd.score(ddf, targets, colour="red")
    with pytest.raises(ValueError, match="at least one target"):
        zd.score(ddf, [])
    with pytest.raises(ValueError, match="unknown compressor"):
        zd.score(ddf, targets, compressor="nope")
    with pytest.raises(ValueError, match="level 12"):
        zd.select(ddf, targets, 3, level=12)
    with pytest.raises(ValueError, match="k must be >= 0"):
        zd.select(ddf, targets, -1)
    with pytest.raises(TypeError, match="k must be an int"):
        zd.select(ddf, targets, 2.5)
    with pytest.raises(ValueError, match="give k, budget_tokens or budget_bytes"):
        zd.select(ddf, targets)
    with pytest.raises(ValueError, match="not both"):
        zd.select(ddf, targets, budget_tokens=3, budget_bytes=3)


def test_non_string_row_is_named(client, targets):
    pdf = pd.DataFrame({"text": ["ok", "fine", None, "also ok"]}, index=[5, 6, 7, 8])
    ddf = dd.from_pandas(pdf, npartitions=2)
    msg = (r"row 1 of partition 2 \(index label 7\): field 'text': "
           "is missing, expected str or bytes")
    with pytest.raises(zipfit.InputError, match=msg):
        zd.score(ddf, targets).compute()
    with pytest.raises(zipfit.InputError, match=msg):
        zd.select(ddf, targets, 1)


def test_budget_stops_at_first_row_that_does_not_fit(client, corpus, targets):
    # Three rows ranked r1 > r2 > r3 where r2 alone exceeds the budget but r3
    # would fit after r1: greedy best-first stops at r2, even though r2 sits
    # alone in another partition (where nothing fits) and r3 shares r1's.
    ranked = zipfit.ZipFit(targets, workers=1).select(corpus[:200], 200)
    costs = [len(corpus[i].split()) for i in ranked.indices]
    sc = ranked.scores
    i = next(i for i in range(len(costs) - 2)
             if costs[i + 1] > costs[i] + costs[i + 2] and sc[i] > sc[i + 1] > sc[i + 2])
    r1, r2, r3 = (corpus[j] for j in ranked.indices[i:i + 3])
    budget = costs[i] + costs[i + 2]
    texts = [r1, r3, r2]
    ddf = dd.from_pandas(pd.DataFrame({"text": texts}), npartitions=2, sort=False)
    assert ddf.map_partitions(len).compute().tolist() == [2, 1]
    _, idx, _ = _local_select(texts, targets, budget=budget)
    assert idx.tolist() == [0]
    assert zd.select(ddf, targets, budget_tokens=budget).zipfit_index.tolist() == [0]


# ------------------------------------------------------------ command line

@pytest.fixture(scope="module")
def cli_files(tmp_path_factory, corpus):
    """Sources in every format the cluster reads, plus a targets file."""
    import gzip
    import json

    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    d = tmp_path_factory.mktemp("dask_cli")
    docs = [t for t in corpus[:400] if "\n\n" not in t]
    with open(d / "a.jsonl", "wb") as f:
        f.write(b"\xef\xbb\xbf")  # a BOM on the first line
        for i, t in enumerate(docs[:150]):
            f.write(json.dumps({"text": t, "id": i, "meta": {"n": [i, None]}},
                               ensure_ascii=i % 2 == 0).encode() + b"\n")
            if i % 31 == 0:
                f.write(b"   \n")  # blank lines are skipped but counted
    with gzip.open(d / "b.jsonl.gz", "wt", encoding="utf-8") as f:
        for t in docs[150:200] + docs[:10]:  # duplicates -> ties across files
            f.write(json.dumps({"text": t, "src": "b"}) + "\n")
    with open(d / "c.txt", "w", encoding="utf-8") as f:
        for t in docs[200:260]:
            f.write(t.replace("\n", " ") + "\n")
    pq.write_table(pa.table({"text": docs[260:330], "id": list(range(70))}),
                   d / "d.parquet", row_group_size=16)
    with open(d / "json_array.json", "w", encoding="utf-8") as f:
        json.dump([{"text": t} for t in docs[330:350]], f)
    with open(d / "t.jsonl", "w", encoding="utf-8") as f:
        for t in corpus[500:508]:
            f.write(json.dumps({"text": t}) + "\n")
    return d


def _both(tmp, d, address, extra, blocksize=1500):
    """Run `zipfit select` locally and on the cluster; return both outputs."""
    from zipfit import cli
    srcs = [str(d / n) for n in ("a.jsonl", "b.jsonl.gz", "c.txt", "d.parquet",
                                 "json_array.json")]
    base = ["select", *srcs, "-t", str(d / "t.jsonl"), "--level", "6", "-q", *extra]
    local, remote = tmp / "local.jsonl", tmp / "dask.jsonl"
    assert cli.main(base + ["-o", str(local), "--scores-out", str(tmp / "local.npy")]) == 0
    assert cli.main(base + ["-o", str(remote), "--scores-out", str(tmp / "dask.npy"),
                            "--scheduler", address, "--blocksize", str(blocksize)]) == 0
    return local.read_bytes(), remote.read_bytes(), \
        np.load(tmp / "local.npy"), np.load(tmp / "dask.npy")


@pytest.mark.parametrize("extra", [["-k", "25"], ["-k", "100000"],
                                   ["--budget-tokens", "900"], ["--budget-bytes", "7000"],
                                   ["-k", "5", "--budget-bytes", "100000"]])
def test_cli_scheduler_writes_what_the_local_cli_writes(client, cli_files, tmp_path, extra):
    local, remote, ls, rs = _both(tmp_path, cli_files, client.scheduler.address, extra)
    assert remote == local
    assert len(local.splitlines()) > 0
    assert np.array_equal(ls, rs)


def test_cli_scheduler_error_names_file_and_line(client, cli_files, tmp_path, capsys):
    import json

    from zipfit import cli
    bad = tmp_path / "bad.jsonl"
    lines = [json.dumps({"text": f"document number {i} " * 20}) for i in range(200)]
    lines[137] = '{"text": "unterminated'
    bad.write_text("\n".join(lines) + "\n")
    out = tmp_path / "out.jsonl"
    argv = ["select", str(bad), "-t", str(cli_files / "t.jsonl"), "-k", "3", "-o", str(out),
            "--scheduler", client.scheduler.address, "--blocksize", "2000", "-q"]
    assert cli.main(argv) == 1
    err = capsys.readouterr().err
    assert f"{bad}:138: malformed JSON" in err
    assert not out.exists() and list(tmp_path.iterdir()) == [bad]
    lines[180] = json.dumps({"body": "no text field"})
    bad.write_text("\n".join(lines) + "\n")
    # --on-error skip: both bad records skipped, counted, reported; positions
    # count only good records, as in the local command
    assert cli.main(argv + ["--on-error", "skip"]) == 0
    err = capsys.readouterr().err
    assert "skipped 2 bad source record(s)" in err
    assert f"{bad}:181: field 'text': missing" in err
    local = tmp_path / "local.jsonl"
    assert cli.main(["select", str(bad), "-t", str(cli_files / "t.jsonl"), "-k", "3",
                     "-o", str(local), "-q", "--on-error", "skip"]) == 0
    assert out.read_bytes() == local.read_bytes()


def test_cli_scheduler_usage_errors(client, cli_files, tmp_path, capsys):
    from zipfit import cli
    base = ["select", str(cli_files / "a.jsonl"), "-t", str(cli_files / "t.jsonl"),
            "--scheduler", client.scheduler.address, "-q"]
    out = tmp_path / "o.jsonl"
    assert cli.main(base + ["-k", "2", "-o", str(out), "--level", "42"]) == 2
    assert "level 42" in capsys.readouterr().err
    assert cli.main(base + ["-o", str(out)]) == 2
    assert "-k N" in capsys.readouterr().err
    assert cli.main(["select", "-"] + base[1:] + ["-k", "2", "-o", str(out)]) == 1
    assert "standard input cannot be read by Dask workers" in capsys.readouterr().err
    assert cli.main(base[:1] + [str(tmp_path / "nope.jsonl")] + base[2:]
                    + ["-k", "2", "-o", str(out)]) == 1
    assert "nope.jsonl: no such file" in capsys.readouterr().err
    assert cli.main(["select", str(cli_files / "a.jsonl"), "-t", str(cli_files / "t.jsonl"),
                     "-k", "2", "--scheduler", "bogus://x", "-o", str(out)]) == 1
    assert "cannot connect to the Dask scheduler at 'bogus://x'" in capsys.readouterr().err
    assert not out.exists()


def test_read_documents_keeps_records(client, cli_files, targets):
    ddf = zd.read_documents([str(cli_files / "a.jsonl"), str(cli_files / "d.parquet")],
                            blocksize=1000)
    assert ddf.npartitions > 5
    rows = ddf.compute()
    assert isinstance(rows.record.iloc[0], dict) and rows.record.iloc[0]["meta"]["n"][0] == 0
    assert rows.zipfit_error.isna().all()
    sel = zd.select(ddf, targets, 7)
    _, idx, sc = _local_select(rows.text.tolist(), targets, k=7)
    assert np.array_equal(sel.zipfit_index.to_numpy(), idx)
    assert np.array_equal(sel.zipfit_score.to_numpy(), sc)


def test_score_and_select_treat_flagged_rows_alike(client, tmp_path, targets):
    """Rows read_documents flagged (on_error="skip") score NaN and are not selected."""
    import json
    src = tmp_path / "s.jsonl"
    good = [f"document {i} " * (i + 3) for i in range(12)]
    lines = [json.dumps({"text": t}) for t in good]
    lines.insert(4, '{"text": ')
    lines.insert(9, '{"body": "x"}')
    src.write_text("\n".join(lines) + "\n")
    ddf = zd.read_documents([str(src)], blocksize=200, on_error="skip")
    rows = ddf.compute()
    flagged = rows.zipfit_error.notna().to_numpy()
    assert flagged.sum() == 2
    scores = zd.score(ddf, targets).compute().to_numpy()
    assert np.isnan(scores[flagged]).all()
    assert np.array_equal(scores[~flagged], zipfit.alignment(good, targets))
    sel = zd.select(ddf, targets, 20)
    _, idx, sc = _local_select(good, targets, k=20)
    assert np.array_equal(sel.zipfit_index.to_numpy(), idx)
    assert np.array_equal(sel.zipfit_score.to_numpy(), sc)


def test_select_budget_with_a_tokenizer_equals_local(client, pool, targets, tmp_path):
    """The tokenizer travels by its path and is loaded on the workers."""
    tokenizers = pytest.importorskip("tokenizers", reason="needs zipfit[hf]")
    from tokenizers import models, pre_tokenizers, trainers
    ddf, kept = pool
    texts = kept.text.tolist()
    tok = tokenizers.Tokenizer(models.BPE(unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.train_from_iterator(texts, trainers.BpeTrainer(vocab_size=300, special_tokens=["[UNK]"]))
    path = str(tmp_path / "tokenizer.json")
    tok.save(path)
    want = zipfit.ZipFit(targets, workers=1).select_iter(texts, budget_tokens=2000,
                                                         tokenizer=path)
    got = zd.select(ddf, targets, budget_tokens=2000, tokenizer=path)
    assert 0 < len(want) < len(texts)
    assert got.zipfit_index.tolist() == want.indices.tolist()
