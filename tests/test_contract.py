"""One contract for every entry point: arguments, errors, defaults, messages.

Each test is named after the rule it holds (see CHANGELOG/closing notes):
the Python API, the command line, zipfit.dask and zipfit.compat follow the
same rule, written once.
"""
import argparse
import ast
import gzip
import inspect
import json
import os
import pathlib
import subprocess
import sys
import warnings

import numpy as np
import pytest

import zipfit
import zipfit.tokens
from zipfit import cli, reference
from zipfit.pipeline import Summary, format_rate

ROOT = pathlib.Path(zipfit.__file__).resolve().parent.parent
PKG = ROOT / "zipfit"
T = ["def add(a, b):\n    return a + b\n", "def is_even(n):\n    return n % 2 == 0\n"]
S = ["def mul(a, b):\n    return a * b\n", "Paris is the capital of France.", "x = 1"]


def _env():
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


@pytest.fixture
def files(tmp_path):
    src = tmp_path / "s.jsonl"
    src.write_text("".join(json.dumps({"text": s, "n": i}) + "\n" for i, s in enumerate(S * 4)))
    tgt = tmp_path / "t.jsonl"
    tgt.write_text("".join(json.dumps({"code": t, "doc": "d"}) + "\n" for t in T))
    return tmp_path, src, tgt


def _cli(argv, capsys):
    rc = cli.main([str(a) for a in argv])
    return rc, capsys.readouterr().err


# ---------------------------------------------------------- wrong results, crashes

def test_dataframe_dict_and_set_sources_are_refused():
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"text": S})
    for bad, what in ((frame, "DataFrame"), (dict.fromkeys(S), "dict"), (set(S), "set")):
        for call in (lambda: zipfit.alignment(bad, T), lambda: zipfit.cdist(bad, T),
                     lambda: zipfit.ZipFit(T).score(bad), lambda: zipfit.ZipFit(bad)):
            with pytest.raises(TypeError, match=f"ordered sequence of texts, not a {what}"):
                call()
    want = zipfit.alignment(S, T)
    for good in (frame["text"], np.array(S, dtype=object), (s for s in S), list(S)):
        assert np.array_equal(zipfit.alignment(good, T), want)


@pytest.mark.parametrize("template", ["{code", "{}", "{code!r}", "x}"])
def test_bad_target_template_is_a_usage_error(files, capsys, template):
    d, src, tgt = files
    rc, err = _cli(["select", src, "-t", tgt, "--target-template", template, "-k", 1,
                    "-o", d / "o.jsonl"], capsys)
    assert rc == 2
    assert err.startswith("zipfit: error: ") and "template" in err and "Traceback" not in err
    assert not (d / "o.jsonl").exists()


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX pipes")
def test_broken_pipe_exits_quietly_with_sigpipe_status(files):
    d, src, tgt = files
    big = d / "big.jsonl"
    big.write_text("".join(json.dumps({"text": f"doc {i} " * 20}) + "\n" for i in range(3000)))
    p = subprocess.Popen([sys.executable, "-m", "zipfit.cli", "score", str(big), "-t", str(tgt),
                          "--target-field", "code", "-q"], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, env=_env())
    p.stdout.readline()
    p.stdout.close()                       # what `| head -1` does
    err = p.stderr.read()
    assert p.wait(timeout=120) == 141
    assert err == b""


def test_token_count_has_one_definition(files, capsys):
    text = "a\u3000b\u00a0c d"
    assert zipfit.tokens.count_tokens(text) == zipfit.tokens.count_tokens(text.encode()) == 4
    zf = zipfit.ZipFit(T, workers=1)
    for doc in (text, text.encode()):
        assert zf.select_iter([doc], budget_tokens=4).total_cost == 4
        assert len(zf.select_iter([doc], budget_tokens=3)) == 0
    d, _, tgt = files
    src = d / "u.jsonl"
    src.write_text(json.dumps({"text": text}) + "\n")
    rc, err = _cli(["select", src, "-t", tgt, "--target-field", "code", "--budget-tokens", 3,
                    "-o", d / "o.jsonl"], capsys)
    assert rc == 0 and "nothing fits the budget of 3 tokens" in err


def test_python_engine_follows_the_engine_contract():
    zf = zipfit.ZipFit(T, compressor="bz2", workers=2)
    seen = []
    got = zf.scorer.ncd([s.encode() for s in S * 3], progress=seen.append)
    assert seen and seen[-1] == len(S) * 3 * len(T) and seen == sorted(seen)
    assert got.dtype == np.float64
    assert zipfit.cdist(S, T, compressor="bz2", dtype=np.float32).dtype == np.float32
    for compressor in ("bz2", "gzip"):
        with pytest.raises(ValueError, match="dtype must be float64 or float32"):
            zipfit.cdist(S, T, compressor=compressor, dtype=np.float16)


# ---------------------------------------------------------- one rule per question

def test_numpy_integers_are_accepted_everywhere():
    want = zipfit.alignment(S, T, level=6, workers=1)
    assert np.array_equal(zipfit.alignment(S, T, level=np.int64(6), workers=np.int32(1)), want)
    zf = zipfit.ZipFit(T, level=np.int8(6), workers=np.int64(1))
    assert zf.level == 6 and type(zf.level) is int
    assert zf.select(S, np.int64(2)).indices.tolist() == zf.select(S, 2).indices.tolist()
    assert len(zf.select_iter(S, np.uint8(2), budget_bytes=np.int64(10**6))) == 2
    assert zipfit.compressed_size("abc", level=np.int16(1)) == \
        zipfit.compressed_size("abc", level=1)


def test_workers_beyond_the_usable_cores_warn():
    cores = zipfit._checks.usable_cores()
    with pytest.warns(zipfit.ZipFitWarning, match=f"more than the {cores} usable cores"):
        assert zipfit.resolve_workers(cores + 1000) == cores + 1000
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        zipfit.resolve_workers(-1)
        zipfit.resolve_workers(cores)


def test_bad_record_is_an_input_error_numbered_from_1():
    zf = zipfit.ZipFit(T, workers=1)
    with pytest.raises(zipfit.InputError, match="item 3: field 'text': missing"):
        zf.select_iter([{"text": "a"}, {"text": "b"}, {"body": "c"}], 1)
    dd = pytest.importorskip("dask.dataframe")
    pd = pytest.importorskip("pandas")
    import dask
    import zipfit.dask as zd
    frame = dd.from_pandas(pd.DataFrame({"text": ["a", None, "c"]}), npartitions=1)
    with dask.config.set(scheduler="sync"):
        with pytest.raises(zipfit.InputError, match=r"row 2 of partition 1"):
            zd.select(frame, T, 1)
        with pytest.raises(zipfit.InputError, match=r"row 2 of partition 1"):
            zd.score(frame, T).compute()
        with pytest.raises(zipfit.InputError, match="'body' not found"):
            zd.select(frame, T, 1, text_column="body")


def test_output_problems_are_output_errors(files, capsys):
    d, src, tgt = files
    with pytest.raises(zipfit.OutputError, match="the output directory does not exist"):
        zipfit.outputs.AtomicOutput(str(d / "nope" / "o.jsonl"))
    assert not issubclass(zipfit.OutputError, zipfit.InputError)
    rc, err = _cli(["select", src, "-t", tgt, "--target-field", "code", "-k", 1, "-o",
                    d / "nope" / "o.jsonl"], capsys)
    assert rc == 1 and err == f"zipfit: error: {d / 'nope' / 'o.jsonl'}: " \
                              "the output directory does not exist\n"


def test_default_workers_is_all_usable_cores_everywhere():
    import zipfit.compat
    for fn in (zipfit.alignment, zipfit.cdist, zipfit.ZipFit, zipfit.compat.ZIPFIT):
        assert inspect.signature(fn).parameters["workers"].default == -1, fn
    assert cli.build_parser().parse_args(["score", "s", "-t", "t"]).workers is None  # = -1


def test_k_zero_selects_nothing_in_the_cli_too(files, capsys):
    d, src, tgt = files
    rc, _ = _cli(["select", src, "-t", tgt, "--target-field", "code", "-k", 0, "-q",
                  "-o", d / "o.jsonl"], capsys)
    assert rc == 0 and (d / "o.jsonl").read_text() == ""


def test_conflicting_options_are_refused(files, capsys):
    d, src, tgt = files
    rc, err = _cli(["select", src, "-t", tgt, "--target-field", "code", "--target-template",
                    "{code}", "-k", 1, "-o", d / "o.jsonl"], capsys)
    assert rc == 2 and "give it or --target-field, not both" in err
    for cmd in (["select", "-k", 1], ["score"]):
        rc, err = _cli([*cmd, src, "-t", tgt, "--target-field", "code", "-o", d / "out.txt"],
                       capsys)
        assert rc == 2 and "cannot tell the output format from the file name" in err
    assert not (d / "out.txt").exists()


def test_gzip_on_standard_input(files, monkeypatch, capsys):
    d, src, tgt = files
    data = gzip.compress(src.read_bytes())
    want = zipfit.ZipFit(T, level=6).score(S * 4)
    for extra in ([], ["--format", "jsonl.gz"]):
        monkeypatch.setattr(sys, "stdin", _Stdin(data))
        rc, err = _cli(["score", "-", "-t", tgt, "--target-field", "code", "-l", 6, "-q",
                        "-o", d / "s.npy", *extra], capsys)
        assert rc == 0, err
        assert np.array_equal(np.load(d / "s.npy"), want)


class _Stdin:
    def __init__(self, data):
        import io
        self.buffer = io.BufferedReader(io.BytesIO(data))


def test_target_format_is_named_for_targets(files, capsys):
    d, src, tgt = files
    odd = d / "targets.data"
    odd.write_bytes(tgt.read_bytes())
    rc, err = _cli(["select", src, "-t", odd, "--target-field", "code", "-k", 1, "-o",
                    d / "o.jsonl"], capsys)
    assert rc == 1 and "give --target-format" in err and "give --format" not in err
    rc, err = _cli(["select", src, "-t", odd, "--target-field", "code", "-k", 1, "-q",
                    "--target-format", "jsonl", "-o", d / "o.jsonl"], capsys)
    assert rc == 0, err


def test_modules_use_each_others_public_names_only():
    """No module reaches into another's private (underscore) names."""
    modules = {p.stem for p in PKG.glob("*.py")} | {"_core"}
    for p in PKG.glob("*.py"):
        tree = ast.parse(p.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level:
                for a in node.names:
                    private = a.name.startswith("_") and not a.name.startswith("__")
                    assert not (private and a.name not in modules), \
                        f"{p.name} imports {node.module}.{a.name}"
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
                if node.value.id in modules and node.value.id != p.stem:
                    assert not node.attr.startswith("_"), f"{p.name}: {node.value.id}.{node.attr}"


def test_reference_agrees_with_the_api():
    assert np.array_equal(reference.alignment(S, T, level=6),
                          zipfit.alignment(S, T, level=6))        # bit for bit
    with pytest.raises(ValueError, match="at least one target"):
        reference.alignment(S, [])


# ---------------------------------------------------------- Python ergonomics

def test_selection_unpacks_into_indices_and_scores():
    zf = zipfit.ZipFit(T, workers=1)
    indices, scores = zf.select(S, 2)
    assert indices.tolist() == zf.select(S, 2).indices.tolist()
    indices, scores = zf.select_iter(S, 2)
    assert len(indices) == len(scores) == 2


def test_compressors_tell_what_is_usable(monkeypatch):
    status = zipfit.compressors()
    assert set(status) == {"gzip", "zlib", "deflate", "lz4", "zstd", "brotli", "lzma", "bz2"}
    assert status["gzip"] == "ready" and status["lzma"] == "ready"
    monkeypatch.setitem(sys.modules, "zstandard", None)       # as if not installed
    monkeypatch.setitem(sys.modules, "lz4.frame", None)
    status = zipfit.compressors()
    assert status["zstd"] == 'needs: pip install "zipfit[zstd]"'
    assert status["lz4"] == 'ready; levels 3-16 need: pip install "zipfit[lz4]"'
    with pytest.raises(ImportError, match="compressor 'zstd' needs the 'zstandard' module"):
        zipfit.ZipFit(T, compressor="zstd")


def test_zipfit_docstring_covers_every_parameter():
    doc = zipfit.ZipFit.__doc__
    for name in inspect.signature(zipfit.ZipFit).parameters:
        assert f"\n    {name}:" in doc, name
    assert ">>> " in doc and ".iloc" in zipfit.Selection.__doc__


# ---------------------------------------------------------- CLI messages and help

def test_every_cli_option_has_help():
    parser = cli.build_parser()
    for sub in parser.commands.values():
        for action in sub._actions:
            if not isinstance(action, argparse._HelpAction):
                assert action.help, (sub.prog, action.dest)


def test_level_error_names_the_command_line_form(files, capsys):
    d, src, tgt = files
    rc, err = _cli(["select", src, "-t", tgt, "-k", 1, "-l", 42, "-o", d / "o.jsonl"], capsys)
    assert rc == 2
    assert "--level 42 is not valid for 'gzip': choose 0..9, or leave --level out for its " \
           "default (9)" in err and "None" not in err


def test_subcommand_usage_error_prints_that_subcommands_usage(capsys):
    with pytest.raises(SystemExit) as e:
        cli.main(["score", "s.jsonl", "-t", "t.jsonl", "-k", "3"])
    err = capsys.readouterr().err
    assert e.value.code == 2
    assert err.startswith("usage: zipfit score ") and "unrecognized arguments: -k 3" in err


def test_summary_of_a_slow_run_shows_real_rates():
    assert [format_rate(x) for x in (123456.7, 12.34, 0.5, 0.0123)] == \
        ["123,457", "12.3", "0.5", "0.012"]
    line = Summary(docs=3, n_targets=2, seconds=20.0, what="x").line()
    assert "(0.15 docs/s, 0.3 pairs/s)" in line


def test_unterminated_json_string_reads_as_such(files, capsys):
    d, _, tgt = files
    src = d / "bad.jsonl"
    src.write_text('{"text": "fine"}\n{"text": "never closed\n')
    rc, err = _cli(["select", src, "-t", tgt, "--target-field", "code", "-k", 1,
                    "-o", d / "o.jsonl"], capsys)
    assert rc == 1
    assert f"{src}:2: malformed JSON: Unterminated string (column 10)" in err


# ---------------------------------------------------------- docs

def test_docs_speak_of_the_project_only():
    for p in (ROOT / "docs").glob("*.md"):
        text = p.read_text(encoding="utf-8")
        assert "shared/docs" not in text and "exact-sizes.md" not in text, p.name
        assert "the issue" not in text.lower(), p.name


def test_gitignore_covers_the_readme_outputs():
    ignored = subprocess.run(
        ["git", "check-ignore", "selected.jsonl", "budget.jsonl.gz", "scores.npy", "ncd.npy"],
        cwd=ROOT, capture_output=True, text=True)
    if ignored.returncode == 128:
        pytest.skip("not a git checkout")
    assert ignored.stdout.split() == ["selected.jsonl", "budget.jsonl.gz", "scores.npy",
                                      "ncd.npy"]
