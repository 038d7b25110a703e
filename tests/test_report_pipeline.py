"""Reports of real runs: --report on select and score (local and Dask),
Selection.report from Python, the install hint before any work, and the
report of a pool with a hostile document rendered in a real browser."""
import json
import re
import sys

import numpy as np
import pytest

import zipfit
from zipfit import cli
from zipfit._collect import LENGTH_EDGES, SCORE_EDGES, Collector

XSS = "</script><script>alert(1)</script>"


@pytest.fixture(scope="module")
def files(tmp_path_factory, corpus):
    d = tmp_path_factory.mktemp("report")
    pool = corpus[:300] + [XSS * 3, ""]
    (d / "s.jsonl").write_text("".join(json.dumps({"text": t}) + "\n" for t in pool))
    (d / "t.jsonl").write_text("".join(json.dumps({"text": t}) + "\n"
                                       for t in corpus[400:410]))
    return d, pool, corpus[400:410]


def _sections(html):
    return set(re.findall(r'<section id="([a-z-]+)"', html))


SECTIONS = {"run", "score-spread", "length-bias", "target-coverage", "documents", "strategy"}


def test_collector_is_exact_and_merges():
    rng = np.random.default_rng(3)
    texts = [b"x" * int(n) for n in rng.integers(0, 5000, 400)]
    scores = rng.uniform(-0.1, 0.9, 400)
    whole, a, b = Collector(), Collector(), Collector()
    whole.add(texts, scores)
    a.add(texts[:150], scores[:150])
    b.add(texts[150:], scores[150:])
    a.merge(b)
    assert np.array_equal(a.score_counts, whole.score_counts)
    assert np.array_equal(a.length_score_counts, whole.length_score_counts)
    assert whole.score_counts.sum() == 400 == whole.length_score_counts.sum()
    assert np.array_equal(whole.score_counts, np.histogram(scores, SCORE_EDGES)[0])
    x = np.log2(1 + np.array([len(t) for t in texts]))
    assert abs(a.correlation() - np.corrcoef(x, scores)[0, 1]) < 1e-9
    assert len(LENGTH_EDGES) - 1 == whole.length_score_counts.shape[0]


@pytest.mark.parametrize("executor", ["local", "dask"])
def test_select_report(files, tmp_path, executor, request):
    pytest.importorskip("matplotlib", reason="needs zipfit[report]")
    d, pool, targets = files
    out, rep = tmp_path / "o.jsonl", tmp_path / "r.html"
    argv = ["select", str(d / "s.jsonl"), "-t", str(d / "t.jsonl"), "-k", "25", "--dedup",
            "-l", "6", "-q", "-o", str(out), "--report", str(rep)]
    if executor == "dask":
        argv += ["--scheduler", request.getfixturevalue("dask_scheduler"), "--blocksize",
                 "20000"]
    assert cli.main(argv) == 0
    html = rep.read_text(encoding="utf-8")
    assert _sections(html) >= SECTIONS
    rows = [json.loads(x) for x in out.read_text().splitlines()]
    cut = min(r["zipfit_score"] for r in rows)
    assert f"{cut:.4f}" in html                                   # the cut is marked
    assert "dedup" in html and "top-k" in html                   # the strategy
    assert "<script>alert" not in html
    assert "https://" not in html and "http://" not in html


def test_score_report_and_python_reports(files, tmp_path):
    pytest.importorskip("matplotlib", reason="needs zipfit[report]")
    d, pool, targets = files
    rep = tmp_path / "score.html"
    assert cli.main(["score", str(d / "s.jsonl"), "-t", str(d / "t.jsonl"), "-q",
                     "-o", str(tmp_path / "s.npy"), "--report", str(rep)]) == 0
    assert _sections(rep.read_text(encoding="utf-8")) >= SECTIONS
    zf = zipfit.ZipFit(targets, level=6)
    for sel in (zf.select(pool, 12), zf.select_iter(pool, budget_bytes=5000, dedup=True),
                zf.select_iter(pool, per_target=2)):
        path = tmp_path / "py.html"
        sel.report(str(path))
        assert _sections(path.read_text(encoding="utf-8")) >= SECTIONS
    # what the report holds is bounded: 10 documents per list, fixed bins
    ctx = zf.select(pool, 40).context
    assert len(ctx.chosen) == 40 and len(ctx.near) <= 10
    assert ctx.collector.score_counts.sum() == len(pool)
    near = {i for i, _, _ in ctx.near}
    assert near and not near & set(zf.select(pool, 40).indices.tolist())


def test_report_without_matplotlib_stops_before_any_work(files, tmp_path, monkeypatch, capsys):
    d, _, _ = files
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    out = tmp_path / "o.jsonl"
    rc = cli.main(["select", str(d / "s.jsonl"), "-t", str(d / "t.jsonl"), "-k", "3",
                   "-o", str(out), "--report", str(tmp_path / "r.html")])
    err = capsys.readouterr().err
    assert rc == 2
    assert 'pip install "zipfit[report]"' in err and "documents x" not in err
    assert list(tmp_path.iterdir()) == []
    assert cli.main(["select", str(d / "s.jsonl"), "-t", str(d / "t.jsonl"), "-k", "3",
                     "-o", str(out), "--report", str(tmp_path / "r.txt")]) == 2


@pytest.mark.skipif(not __import__("shutil").which("chromium"),
                    reason="no chromium on PATH (Debian: apt-get install chromium)")
def test_a_real_report_in_the_browser(files, tmp_path):
    """Loads, every section there, the images decode, the hostile document is text."""
    pytest.importorskip("matplotlib", reason="needs zipfit[report]")
    from test_report import chromium, decoded_images
    d, pool, targets = files
    rep = tmp_path / "r.html"
    # the hostile document scores best against itself: make it a target
    (tmp_path / "t.jsonl").write_text(json.dumps({"text": XSS * 3}) + "\n")
    assert cli.main(["select", str(d / "s.jsonl"), "-t", str(tmp_path / "t.jsonl"), "-k", "5",
                     "-q", "-o", str(tmp_path / "o.jsonl"), "--report", str(rep)]) == 0
    dom = chromium(tmp_path, "--dump-dom", rep.as_uri())
    assert _sections(dom) >= SECTIONS
    assert dom.count("<script") == 0
    assert "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in dom
    html = rep.read_text(encoding="utf-8")
    n = html.count("<img ")
    assert n >= 3 and decoded_images(tmp_path, html)[0] == f"decoded {n} of {n}"
