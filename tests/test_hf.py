"""Hugging Face datasets, Arrow arrays and real tokenizers: the same numbers and
the same selections as the list path and the command line."""
import json

import numpy as np
import pytest
from hypothesis import given, strategies as st

pa = pytest.importorskip("pyarrow", reason="needs zipfit[parquet] or zipfit[hf]")

import zipfit  # noqa: E402
from zipfit import cli  # noqa: E402


@pytest.fixture(scope="module")
def pool(corpus):
    return corpus[:240] + ["", "héllo wörld ✓ 日本語", "\x00 nul \x00"] + corpus[:20]  # ties


@pytest.fixture(scope="module")
def targets(corpus):
    return corpus[400:408]


# ------------------------------------------------------------ Arrow arrays

ARROW_TYPES = ["string", "large_string", "binary", "large_binary"]


def _arrow(texts, kind):
    if "binary" in kind:
        return pa.array([t.encode("utf-8") for t in texts], getattr(pa, kind)())
    return pa.array(texts, getattr(pa, kind)())


@pytest.mark.parametrize("kind", ARROW_TYPES)
def test_arrow_arrays_score_bit_identically(pool, targets, kind):
    want = zipfit.alignment(pool, targets, level=6)
    arr = _arrow(pool, kind)
    assert np.array_equal(zipfit.alignment(arr, targets, level=6), want)
    chunked = pa.chunked_array([arr.slice(0, 7), arr.slice(7, 0), arr.slice(7)])
    assert np.array_equal(zipfit.alignment(chunked, targets, level=6), want)
    sliced = _arrow(["skip me"] + pool, kind).slice(1)           # a non-zero offset
    assert np.array_equal(zipfit.alignment(sliced, targets, level=6), want)
    assert np.array_equal(zipfit.cdist(arr, targets, level=6), zipfit.cdist(pool, targets, level=6))
    zf = zipfit.ZipFit(_arrow(targets, kind), level=6)            # Arrow targets too
    assert np.array_equal(zf.score(arr), want)
    assert zf.select(arr, 9).indices.tolist() == zipfit.ZipFit(targets, level=6).select(
        pool, 9).indices.tolist()


@given(st.lists(st.text(max_size=200), max_size=12), st.sampled_from(ARROW_TYPES),
       st.sampled_from(["gzip", "lz4", "bz2"]))
def test_arrow_equals_lists_on_random_texts(texts, kind, compressor):
    t = ["def f(x): return x", "ünïcode ✓"]
    assert np.array_equal(zipfit.cdist(_arrow(texts, kind), t, compressor=compressor),
                          zipfit.cdist(texts, t, compressor=compressor))


def test_arrow_null_and_wrong_type_errors(targets):
    with pytest.raises(zipfit.InputError, match="sources: row 3 is null"):
        zipfit.alignment(pa.chunked_array([pa.array(["a", "b"]), pa.array([None, "d"])]),
                         targets)
    with pytest.raises(TypeError, match="string, large_string, binary or large_binary"):
        zipfit.alignment(pa.array([1, 2]), targets)


# ------------------------------------------------------------ zipfit.hf

datasets = pytest.importorskip("datasets", reason="needs zipfit[hf]")
import zipfit.hf as zh  # noqa: E402


@pytest.fixture(scope="module")
def ds(pool):
    return datasets.Dataset.from_dict({"text": pool, "id": list(range(len(pool))),
                                       "meta": [{"n": i} for i in range(len(pool))]})


def test_hf_score_every_kind_of_dataset(ds, pool, targets):
    want = zipfit.alignment(pool, targets, level=6)
    got = zh.score(ds, targets, level=6, chunk_size=50)
    assert isinstance(got, datasets.Dataset) and got.features["zipfit_score"].dtype == "float64"
    assert np.array_equal(np.array(got["zipfit_score"]), want)
    it = zh.score(ds.to_iterable_dataset(num_shards=4), targets, level=6, chunk_size=33)
    assert isinstance(it, datasets.IterableDataset)
    assert np.array_equal(np.array([r["zipfit_score"] for r in it]), want)
    dd = zh.score(datasets.DatasetDict({"a": ds, "b": ds.select(range(5))}), targets, level=6,
                  column="s")
    assert isinstance(dd, datasets.DatasetDict) and dd["b"]["s"] == want[:5].tolist()


@pytest.mark.parametrize("limits", [{"k": 17}, {"k": 0}, {"k": 10**6},
                                    {"budget_bytes": 5000}, {"k": 4, "budget_tokens": 10**6}])
def test_hf_select_equals_the_cli(ds, pool, targets, tmp_path, limits):
    """Dataset, streamed IterableDataset, and `zipfit select` on the saved directory
    and on its .arrow file: the same rows in the same order."""
    ds.save_to_disk(str(tmp_path / "pool"))
    tgt = tmp_path / "t.jsonl"
    tgt.write_text("".join(json.dumps({"text": t}) + "\n" for t in targets))
    flags = {"k": "-k", "budget_bytes": "--budget-bytes", "budget_tokens": "--budget-tokens"}
    argv = [a for key, v in limits.items() for a in (flags[key], str(v))]
    arrow = next((tmp_path / "pool").glob("*.arrow"))
    outs = []
    for src in (tmp_path / "pool", arrow):
        out = tmp_path / f"{src.name}.jsonl"
        assert cli.main(["select", str(src), "-t", str(tgt), "-l", "6", "-q", "-o", str(out),
                         *argv]) == 0
        outs.append([json.loads(line) for line in out.read_text().splitlines()])
    assert outs[0] == outs[1]
    a = zh.select(ds, targets, level=6, chunk_size=40, **limits)
    b = zh.select(ds.to_iterable_dataset(num_shards=3), targets, level=6, chunk_size=40,
                  **limits)
    for got in (a, b):
        assert got.column_names == ["text", "id", "meta", "zipfit_score", "zipfit_index"]
        assert got.to_list() == outs[0]
    sel = zipfit.ZipFit(targets, level=6).select_iter(pool, **limits)
    assert a["zipfit_index"] == sel.indices.tolist()


def test_hf_targets_from_a_dataset_and_templates(ds, pool, targets):
    tds = datasets.Dataset.from_dict({"p": [t[:20] for t in targets], "q": [t[20:] for t in targets]})
    got = zh.select(ds, tds, k=6, target_template="{p}{q}")
    assert got["zipfit_index"] == zipfit.ZipFit(targets).select(pool, 6).indices.tolist()
    two = datasets.Dataset.from_dict({"a": pool[:30], "b": ["!"] * 30})
    got = zh.score(two, targets, template="{a}{b}")
    assert np.array_equal(np.array(got["zipfit_score"]),
                          zipfit.alignment([p + "!" for p in pool[:30]], targets))


def test_hf_errors_name_column_row_and_what_was_found(targets):
    good = datasets.Dataset.from_dict({"text": ["a", "b"]})
    with pytest.raises(zipfit.InputError, match=r"field 'body': missing \(the dataset has "
                                                r"columns: text\)"):
        zh.select(good, targets, k=1, text_column="body")
    with pytest.raises(zipfit.InputError, match="row 3: field 'text': is null"):
        zh.score(datasets.Dataset.from_dict({"text": ["a", "b", None]}), targets)
    with pytest.raises(zipfit.InputError, match="field 'text': is int64, expected a string"):
        zh.select(datasets.Dataset.from_dict({"text": [1, 2]}), targets, k=1)
    with pytest.raises(zipfit.InputError, match="row 2: field 'b': is null"):
        zh.score(datasets.Dataset.from_list([{"a": "x", "b": "y"}, {"a": "z"}]), targets,
                 template="{a}{b}")
    with pytest.raises(TypeError, match="expected a datasets Dataset"):
        zh.select(["a list"], targets, k=1)
    with pytest.raises(TypeError, match="select takes one split.*dataset\\['a'\\]"):
        zh.select(datasets.DatasetDict({"a": good}), targets, k=1)


# ------------------------------------------------------------ command line

def test_cli_writes_parquet_and_saved_datasets(ds, pool, targets, tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    tgt = tmp_path / "t.jsonl"
    tgt.write_text("".join(json.dumps({"text": t}) + "\n" for t in targets))
    src = tmp_path / "s.jsonl"
    src.write_text("".join(json.dumps({"text": t, "id": i}) + "\n" for i, t in enumerate(pool)))
    base = ["select", str(src), "-t", str(tgt), "-k", "7", "-q"]
    assert cli.main(base + ["-o", str(tmp_path / "o.jsonl")]) == 0
    want = [json.loads(line) for line in (tmp_path / "o.jsonl").read_text().splitlines()]
    assert cli.main(base + ["-o", str(tmp_path / "o.parquet")]) == 0
    assert pq.read_table(tmp_path / "o.parquet").to_pylist() == want
    assert cli.main(base + ["-o", str(tmp_path / "o_ds"), "--output-format", "hf"]) == 0
    assert datasets.load_from_disk(str(tmp_path / "o_ds")).to_list() == want
    assert cli.main(base + ["-o", str(tmp_path / "o_ds"), "--output-format", "hf"]) == 1
    assert not [p for p in tmp_path.iterdir() if "zipfit-tmp" in p.name]


def test_cli_reads_a_saved_datasetdict_split(ds, targets, tmp_path, capsys):
    datasets.DatasetDict({"train": ds, "test": ds.select(range(9))}).save_to_disk(
        str(tmp_path / "dd"))
    tgt = tmp_path / "t.jsonl"
    tgt.write_text("".join(json.dumps({"text": t}) + "\n" for t in targets))
    out = tmp_path / "o.jsonl"
    base = ["select", str(tmp_path / "dd"), "-t", str(tgt), "-k", "100", "-q", "-o", str(out)]
    assert cli.main(base) == 1
    assert "choose a split with --split (one of: train, test)" in capsys.readouterr().err
    assert cli.main(base + ["--split", "test"]) == 0
    assert len(out.read_text().splitlines()) == 9


def test_cli_hub_inputs_go_through_load_dataset(ds, pool, targets, tmp_path, monkeypatch):
    """No network here: the Hub path is the same code with a name, so the test
    stands a local streamed dataset in for load_dataset and checks what it was asked."""
    asked = []

    def fake_load_dataset(name, config=None, *, split, streaming):
        asked.append((name, config, split, streaming))
        return ds.to_iterable_dataset(num_shards=2)

    monkeypatch.setattr(datasets, "load_dataset", fake_load_dataset)
    tgt = tmp_path / "t.jsonl"
    tgt.write_text("".join(json.dumps({"text": t}) + "\n" for t in targets))
    out = tmp_path / "o.jsonl"
    assert cli.main(["select", "hf://datasets/someone/pool", "-t", str(tgt), "-k", "5", "-q",
                     "--split", "validation", "--config", "en", "-o", str(out)]) == 0
    assert asked == [("someone/pool", "en", "validation", True)]
    got = [json.loads(line)["zipfit_index"] for line in out.read_text().splitlines()]
    assert got == zipfit.ZipFit(targets).select(pool, 5).indices.tolist()


# ------------------------------------------------------------ real tokenizers

@pytest.fixture(scope="module")
def bpe(tmp_path_factory, corpus):
    """A small BPE tokenizer trained here, saved as tokenizer.json."""
    tokenizers = pytest.importorskip("tokenizers", reason="needs zipfit[hf]")
    from tokenizers import models, pre_tokenizers, trainers
    tok = tokenizers.Tokenizer(models.BPE(unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.train_from_iterator(corpus[:300], trainers.BpeTrainer(vocab_size=500,
                                                              special_tokens=["[UNK]"]))
    path = tmp_path_factory.mktemp("tok") / "tokenizer.json"
    tok.save(str(path))
    return str(path), tok


def _expected_budget(scores, costs, budget):
    order = sorted(range(len(scores)), key=lambda i: (-scores[i], i))
    out, total = [], 0
    for i in order:
        if total + costs[i] > budget:
            return out, total, i
        out.append(i)
        total += costs[i]
    return out, total, None


def test_token_budget_with_a_real_tokenizer(bpe, ds, pool, targets, tmp_path):
    path, tok = bpe
    costs = [len(e.ids) for e in tok.encode_batch(pool, add_special_tokens=False)]
    assert costs != [len(t.split()) for t in pool]               # really another count
    scores = zipfit.alignment(pool, targets).tolist()
    budget = 3000
    want, total, stopper = _expected_budget(scores, costs, budget)
    assert stopper is not None and total <= budget < total + costs[stopper]
    sel = zipfit.ZipFit(targets).select_iter(pool, budget_tokens=budget, tokenizer=path,
                                             chunk_size=37)
    assert sel.indices.tolist() == want and sel.total_cost == total
    assert zh.select(ds, targets, budget_tokens=budget, tokenizer=path)["zipfit_index"] == want
    tgt = tmp_path / "t.jsonl"
    tgt.write_text("".join(json.dumps({"text": t}) + "\n" for t in targets))
    src = tmp_path / "s.jsonl"
    src.write_text("".join(json.dumps({"text": t}) + "\n" for t in pool))
    out = tmp_path / "o.jsonl"
    assert cli.main(["select", str(src), "-t", str(tgt), "--budget-tokens", str(budget),
                     "--tokenizer", path, "-q", "-o", str(out)]) == 0
    assert [json.loads(x)["zipfit_index"] for x in out.read_text().splitlines()] == want


def test_tokenizer_option_errors(tmp_path, capsys, bpe):
    src = tmp_path / "s.jsonl"
    src.write_text('{"text": "a b"}\n')
    base = ["select", str(src), "-t", str(src), "-o", str(tmp_path / "o.jsonl")]
    assert cli.main(base + ["-k", "1", "--tokenizer", bpe[0]]) == 2
    assert "--tokenizer counts the tokens of --budget-tokens" in capsys.readouterr().err
    assert cli.main(base + ["--budget-tokens", "5", "--tokenizer",
                            str(tmp_path / "missing.json")]) == 2
    assert "cannot load the tokenizer" in capsys.readouterr().err
