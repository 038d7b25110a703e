"""The HTML report: one self-contained, escaped file, checked in headless Chromium."""
import base64
import importlib.util
import io
import os
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest

from zipfit.errors import OutputError
from zipfit.report import Doc, ReportData, require_matplotlib, write_report

SECTIONS = ["run", "score-spread", "length-bias", "target-coverage", "documents", "strategy"]
XSS = "</script><script>alert(1)</script>"
XSS_SHOWN = "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;"
ODD = "héllo\x00wörld ✓ 日本語\x01 tab\tend\x7f \ud800 \x85"
needs_mpl = pytest.mark.skipif(importlib.util.find_spec("matplotlib") is None,
                               reason='the report needs zipfit[report] (matplotlib)')
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="no chromium on PATH (Debian: apt-get install chromium)")
# A resource from elsewhere: src/href (or srcset, action, ...) with a scheme or //host.
REMOTE = re.compile(r"""\b(?:src|href|srcset|action|poster|data)\s*=\s*["']?\s*(?:[a-z][a-z0-9+.-]*:)?//""",
                    re.I)
DATA_PNG = re.compile(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)"')


def make_data(n=4000, n_targets=20, per_list=10, seed=7, **changes):
    """A realistic ReportData: binned fake scores and lengths, 20 targets, 3 x 10 documents."""
    rng = np.random.default_rng(seed)
    nbytes = np.maximum(1, rng.lognormal(6.0, 1.2, n)).astype(int)
    logn = np.log2(1 + nbytes)
    scores = np.clip(0.35 - 0.012 * logn + rng.normal(0, 0.04, n), 0, 1)
    edges = np.linspace(0.0, 0.4, 81)
    counts, _ = np.histogram(scores, edges)
    ledges = np.geomspace(1, 2 ** 20, 41)
    lcounts, _, _ = np.histogram2d(nbytes, scores, [ledges, edges])
    order = np.lexsort((np.arange(n), -scores))
    k = 100
    best = np.sort(rng.uniform(0.45, 0.9, n_targets))[rng.permutation(n_targets)]
    mean = best + rng.uniform(0.02, 0.08, n_targets)
    texts = [f"def f{i}(x):\n    return x + {i}  # <b>not bold</b> & more\n" * 3 for i in range(n)]
    texts[order[1]] = XSS
    texts[order[2]] = ODD

    def doc(i):
        return Doc(int(i), float(scores[i]), int(nbytes[i]), texts[i])

    fields = dict(
        title="zipfit select data.jsonl -k 100 <i>&amp;</i>",
        run={"sources": "data.jsonl (4,000 documents)", "targets": "targets.jsonl (20)",
             "compressor": "gzip, level 9", "engine": "C, 2 workers", "time": "1.23 s",
             "pairs/s": "65,040", "versions": "zipfit 0.1.0, zlib 1.2.13",
             "note <script>": "<img src=x onerror=alert(2)>"},
        score_edges=edges, score_counts=counts, cut=float(scores[order[k - 1]]),
        length_edges=ledges, length_score_counts=lcounts,
        length_correlation=float(np.corrcoef(scores, logn)[0, 1]),
        target_mean_ncd=mean, target_best_ncd=best,
        target_snippets=[f"def target_{j}(a, b):\n    \"\"\"<target {j}>\"\"\"\n    return a < b\n"
                         for j in range(n_targets)],
        top=[doc(i) for i in order[:per_list]],
        last_in=[doc(i) for i in order[k - per_list:k]],
        near_out=[doc(i) for i in order[k:k + per_list]],
        strategy={"strategy": "top-k", "k": "100", "selected": "100",
                  "dedup <u>": "</td></tr></table><script>alert(3)</script>"},
    )
    fields.update(changes)
    return ReportData(**fields)


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    """The written report of make_data(): (path, html text)."""
    pytest.importorskip("matplotlib", reason='the report needs zipfit[report] (matplotlib)')
    d = tmp_path_factory.mktemp("report")
    path = d / "report.html"
    write_report(str(path), make_data())
    return path, path.read_text(encoding="utf-8")


def pngs(html):
    return [base64.b64decode(b) for b in DATA_PNG.findall(html)]


# ----------------------------------------------------------------- the file


def test_one_self_contained_file(report):
    path, html = report
    assert sorted(os.listdir(path.parent)) == ["report.html"]  # no temporary file left
    assert html.startswith("<!DOCTYPE html>")
    assert '<meta charset="utf-8">' in html
    assert not REMOTE.search(html)
    low = html.lower()
    for thing in ("<script", "<link", "<iframe", "<object", "<embed", "@import", "url("):
        assert thing not in low
    for sid in SECTIONS:
        assert f'id="{sid}"' in html
    for sid in ("documents-top", "documents-last-in", "documents-near-out"):
        assert f'id="{sid}"' in html
    # every <img> is an inline PNG
    assert html.count("<img ") == len(pngs(html)) == 3


def test_remote_pattern_finds_remote_references():
    for bad in ['<img src="https://x.org/a.png">', "<a href='//cdn.x/y'>", '<img src=http://a/b>',
                '<link href="HTTP://x/y.css">']:
        assert REMOTE.search(bad), bad
    for ok in ['<img src="data:image/png;base64,AAAA">', '<a href="#run">']:
        assert not REMOTE.search(ok), ok


def test_every_text_is_escaped(report):
    _, html = report
    assert XSS_SHOWN in html
    assert "<script" not in html and "alert(1)</script>" not in html
    assert "&lt;img src=x onerror=alert(2)&gt;" in html and "<img src=x" not in html
    assert "&lt;/td&gt;&lt;/tr&gt;&lt;/table&gt;&lt;script&gt;alert(3)" in html
    assert "&lt;b&gt;not bold&lt;/b&gt; &amp; more" in html
    assert re.search(r"&lt;target \d+&gt;", html)
    assert "<title>zipfit select data.jsonl -k 100 &lt;i&gt;&amp;amp;&lt;/i&gt;</title>" in html
    assert "note &lt;script&gt;" in html and "dedup &lt;u&gt;" in html


def test_control_characters_and_non_ascii(report):
    path, html = report
    raw = path.read_bytes()
    raw.decode("utf-8")  # strict: lone surrogates did not leak into the file
    assert b"\x00" not in raw and b"\x01" not in raw and b"\x7f" not in raw
    assert "héllo\u2400wörld ✓ 日本語\u2401 tab\tend\u2421 \ufffd \ufffd" in html


@needs_mpl
def test_documents_show_index_score_bytes_and_a_short_snippet(tmp_path):
    long = Doc(12345, 0.123456, 70000, "x" * 400 + "TAIL")
    many_lines = Doc(7, 0.5, 100, "line\n" * 100)
    path = tmp_path / "r.html"
    write_report(str(path), make_data(top=[long, many_lines]))
    html = path.read_text(encoding="utf-8")
    assert "#<b>12345</b> &middot; score <b>0.1235</b> &middot; 70,000 bytes" in html
    assert "x" * 300 in html and "x" * 301 not in html and "TAIL" not in html
    assert "line\n" * 14 + "\u2026" not in html  # at most 14 lines, then the ellipsis
    assert html.count("line\n") < 20


def test_images_are_pngs_that_matplotlib_drew(report):
    import matplotlib.image

    _, html = report
    images = pngs(html)
    assert len(images) == 3
    for png in images:
        assert png.startswith(b"\x89PNG\r\n\x1a\n")
        a = matplotlib.image.imread(io.BytesIO(png), format="png")
        h, w = a.shape[:2]
        assert 700 <= w <= 900 and 250 <= h <= 400  # ~ 8 x 3 inches at 100 dpi
        assert a[..., :3].std() > 0.05  # something was drawn on it


@needs_mpl
def test_nothing_selected(tmp_path):
    """A score-only run: no cut, no coverage, no documents, no strategy."""
    empty = np.zeros(0)
    path = tmp_path / "r.html"
    write_report(str(path), make_data(cut=None, target_mean_ncd=empty, target_best_ncd=empty,
                                      top=[], last_in=[], near_out=[], strategy={}))
    html = path.read_text(encoding="utf-8")
    for sid in SECTIONS:
        assert f'id="{sid}"' in html
    assert "Nothing was selected, so no target is served." in html
    assert "no cut (nothing was selected)" in html
    assert "No selection: the sources were only scored." in html
    assert len(pngs(html)) == 2


@needs_mpl
def test_no_sources(tmp_path):
    d = make_data()
    zero = dict(score_counts=np.zeros_like(d.score_counts),
                length_score_counts=np.zeros_like(d.length_score_counts),
                length_correlation=float("nan"), cut=None,
                target_mean_ncd=np.zeros(0), target_best_ncd=np.zeros(0),
                top=[], last_in=[], near_out=[])
    path = tmp_path / "r.html"
    write_report(str(path), make_data(**zero))
    html = path.read_text(encoding="utf-8")
    assert "No scores were recorded." in html and "No lengths were recorded." in html
    assert "<b>n/a</b>" in html and not pngs(html)


@needs_mpl
def test_many_targets_and_zero_length_edge(tmp_path):
    """Thousands of targets draw as curves; a first length edge of 0 still draws on a log axis."""
    n = 3000
    rng = np.random.default_rng(1)
    best = rng.uniform(0.3, 0.9, n)
    best[5] = np.nan
    d = make_data(target_mean_ncd=best + 0.05, target_best_ncd=best,
                  target_snippets=[f"t{j}" for j in range(n)])
    edges = d.length_edges.copy()
    edges[0] = 0
    path = tmp_path / "r.html"
    write_report(str(path), make_data(target_mean_ncd=d.target_mean_ncd, target_best_ncd=best,
                                      target_snippets=d.target_snippets, length_edges=edges))
    html = path.read_text(encoding="utf-8")
    assert len(pngs(html)) == 3
    worst = np.argsort(-np.nan_to_num(best, nan=-1))[:5]
    rows = re.findall(r'<tr><td class="num">(\d+)</td>', html)
    assert [int(r) for r in rows] == list(worst)


@needs_mpl
@pytest.mark.parametrize("change", [
    dict(score_counts=np.zeros(5)),
    dict(length_score_counts=np.zeros((3, 3))),
    dict(target_best_ncd=np.zeros(3)),
    dict(target_snippets=["only one"]),
    dict(score_edges=np.linspace(1, 0, 81)),
])
def test_inconsistent_data_is_refused_and_nothing_written(tmp_path, change):
    path = tmp_path / "r.html"
    with pytest.raises(ValueError):
        write_report(str(path), make_data(**change))
    assert os.listdir(tmp_path) == []


@needs_mpl
def test_written_atomically(tmp_path):
    path = tmp_path / "r.html"
    path.write_text("old")
    with pytest.raises(ValueError):
        write_report(str(path), make_data(score_counts=np.zeros(5)))
    assert path.read_text() == "old"
    write_report(str(path), make_data())
    assert path.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert os.listdir(tmp_path) == ["r.html"]
    with pytest.raises(OutputError):
        write_report(str(tmp_path / "missing" / "r.html"), make_data())


def test_require_matplotlib_gives_the_install_hint(monkeypatch, tmp_path):
    if importlib.util.find_spec("matplotlib") is not None:
        require_matplotlib()  # importable here: no error
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match=re.escape('pip install "zipfit[report]"')):
        require_matplotlib()
    with pytest.raises(ImportError, match=re.escape('pip install "zipfit[report]"')):
        write_report(str(tmp_path / "r.html"), make_data())
    assert os.listdir(tmp_path) == []


# ------------------------------------------------------------ in a browser


def chromium(tmp_path, *args):
    """Run headless Chromium with its own profile; return its standard output."""
    profile = tmp_path / "chromium-profile"
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
           "--no-first-run", "--disable-extensions", f"--user-data-dir={profile}",
           "--virtual-time-budget=5000", *args]
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=180)
    assert r.returncode == 0, r.stderr.decode(errors="replace")[-2000:]
    return r.stdout.decode("utf-8")


@needs_chromium
def test_browser_renders_every_section_and_shows_the_script_as_text(report, tmp_path):
    path, _ = report
    dom = chromium(tmp_path, "--dump-dom", path.as_uri())
    for sid in SECTIONS:
        assert re.search(rf'<section id="{sid}">', dom), sid
    assert dom.count("<script") == 0  # no element was created from the document's text
    assert XSS_SHOWN in dom  # ... which is there as text
    assert "&lt;img src=x onerror=alert(2)&gt;" in dom
    assert "héllo\u2400wörld ✓ 日本語" in dom
    assert dom.count("<img ") == 3


def decoded_images(tmp_path, html, extra=""):
    """Open a copy of the report with a probe script (allowed by a nonce) that counts the
    images decoded after onload; returns (the page title it sets, the dumped DOM)."""
    csp = "default-src 'none'"
    assert csp in html
    probe = ('<script nonce="zipfit-test">window.addEventListener("load", function () {'
             'var imgs = Array.prototype.slice.call(document.images);'
             'document.title = "decoded " + imgs.filter(function (i) {'
             'return i.complete && i.naturalWidth > 0 && i.naturalHeight > 0; }).length'
             ' + " of " + imgs.length; });</script>' + extra)
    copy = tmp_path / "probe.html"
    copy.write_text(html.replace(csp, csp + "; script-src 'nonce-zipfit-test'")
                    .replace("</body>", probe + "</body>"), encoding="utf-8")
    dom = chromium(tmp_path, "--dump-dom", copy.as_uri())
    return re.search(r"<title>(.*?)</title>", dom).group(1), dom


@needs_chromium
def test_browser_decodes_the_images_and_blocks_scripts(report, tmp_path):
    """The probe counts the decoded images; a script without the nonce is blocked by
    the report's Content-Security-Policy."""
    _, html = report
    title, dom = decoded_images(tmp_path, html, '<script>document.documentElement'
                                '.setAttribute("data-csp", "broken");</script>')
    assert title == "decoded 3 of 3"
    assert 'data-csp="broken"' not in dom


@needs_chromium
def test_browser_screenshot(report, tmp_path):
    import matplotlib.image

    path, _ = report
    shot = tmp_path / "shot.png"
    chromium(tmp_path, "--hide-scrollbars", "--window-size=1200,3000",
             f"--screenshot={shot}", path.as_uri())
    a = matplotlib.image.imread(str(shot))
    assert a.shape[:2] == (3000, 1200)
    assert a[..., :3].std() > 0.05
