"""zipfit.compat behaves like the official zip-fit API, computed by zipfit."""
import gzip
import json
import lzma

import numpy as np
import pytest

import zipfit
from zipfit.compat import ZIPFIT, compute_zipfit_alignment


def official_top_k(sources, targets, k, level):
    """The official ZIPFIT ranking written out in plain Python."""
    def c(s):
        return len(gzip.compress(s.encode("utf-8"), compresslevel=level))

    cs = [c(s) for s in sources]
    ct = [c(t) for t in targets]
    avg = []
    for i, s in enumerate(sources):
        sims = [1 - (c(s + t) - min(cs[i], ct[j])) / max(cs[i], ct[j])
                for j, t in enumerate(targets)]
        avg.append((s, np.mean(sims)))
    return sorted(avg, key=lambda x: x[1], reverse=True)[:k]


def write_jsonl(path, texts):
    with open(path, "w") as f:
        for t in texts:
            f.write(json.dumps({"text": t, "id": len(t)}) + "\n")


@pytest.mark.parametrize("level", [1, 6, 9])
def test_run_writes_the_official_top_k(tmp_path, small_task, level, capsys):
    sources, targets = small_task
    src, tgt, out = tmp_path / "s.jsonl", tmp_path / "t.jsonl", tmp_path / "o.jsonl"
    write_jsonl(src, sources)
    write_jsonl(tgt, targets)
    ZIPFIT(str(src), str(tgt), k=10, output_file=str(out),
           compress_level=level).run()
    got = [json.loads(line) for line in out.read_text().splitlines()]
    want = official_top_k(sources, targets, 10, level)
    assert got == [{"text": t} for t, _ in want]
    assert "Writing top 10 sequences" in capsys.readouterr().out


def test_rank_scores_equal_official(small_task):
    sources, targets = small_task
    z = ZIPFIT(None, None, k=5, compress_level=6)
    got = z.rank_sequences_by_alignment(sources, targets)
    want = official_top_k(sources, targets, 5, 6)
    assert [t for t, _ in got] == [t for t, _ in want]
    np.testing.assert_allclose([s for _, s in got], [s for _, s in want], rtol=0, atol=1e-12)


def test_load_and_parse_functions(small_task):
    sources, targets = small_task
    z = ZIPFIT("src-id", "tgt-id", k=3, compress_level=9,
               source_load_fn=lambda name: [{"body": s} for s in sources[:20]],
               source_parse_fn=lambda ex: ex["body"],
               target_load_fn=lambda name: [{"body": t} for t in targets],
               target_parse_fn=lambda ex: ex["body"])
    data = z.load_and_process_datasets(z.source_dataset, z.source_load_fn, z.source_parse_fn)
    assert data == sources[:20]
    with pytest.raises(ValueError, match="Provide a JSONL file path"):
        z.load_and_process_datasets("x.csv", None, None)


def test_defaults_match_1_0_9(tmp_path):
    z = ZIPFIT(None, None, k=1)
    assert (z.compression_algorithm, z.compress_level, z.output_file, z.cache_size) == \
        ("gzip", 0, "top_k_sequences.jsonl", 100000)
    with pytest.warns(zipfit.ZipFitWarning, match="level 0"):
        assert z.compress("abc") == len(gzip.compress(b"abc", compresslevel=0))
    assert ZIPFIT(None, None, k=1).load_jsonl(str(tmp_path / "missing.jsonl")) == []


def test_compute_zipfit_alignment(small_task):
    sources, targets = small_task
    a, b = sources[:15], targets[:6]

    def c(s):
        return len(gzip.compress(s.encode(), compresslevel=9))
    total = 0.0
    for x in a:
        for y in b:
            total += 1 - (c(x + y) - min(c(x), c(y))) / max(c(x), c(y))
    want = total / (len(a) * len(b))
    assert compute_zipfit_alignment(a, b, "gzip", 9) == want
    assert compute_zipfit_alignment([], b) == 0.0


def test_level_ignored_for_lzma_as_official():
    a, b = ["some text here " * 4], ["other text " * 3]
    lv = compute_zipfit_alignment(a, b, "lzma", 0)
    c = lambda s: len(lzma.compress(s.encode()))  # noqa: E731
    x, y = a[0], b[0]
    assert lv == 1 - (c(x + y) - min(c(x), c(y))) / max(c(x), c(y))


def test_unsupported_algorithm():
    with pytest.raises(ValueError, match="Unsupported compression algorithm: bz3"):
        ZIPFIT(None, None, k=1, compression_algorithm="bz3").compress("x")
