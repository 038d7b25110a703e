"""The zipfit command: select/score/matrix, formats, errors, atomic output, Ctrl-C."""
import gzip
import io
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import zipfit
from zipfit import cli

LEVEL = "6"


# ------------------------------------------------------------ helpers

def write_jsonl(path, rows):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                    encoding="utf-8")
    return path


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f]


#: extra arguments for `select` while the Dask executor is under test
SCHEDULER = []


def run(*argv):
    argv = [str(a) for a in argv]
    if SCHEDULER and argv[0] == "select":
        argv += SCHEDULER
    return cli.main(argv)


@pytest.fixture
def executor(request, monkeypatch):
    """`select` runs locally, or on a Dask LocalCluster (--scheduler)."""
    if request.param == "dask":
        monkeypatch.setattr(sys.modules[__name__], "SCHEDULER",
                            ["--scheduler", request.getfixturevalue("dask_scheduler")])
    return request.param


def both_executors(test):
    """Run a test of `select` through the local and the Dask executor."""
    test = pytest.mark.usefixtures("executor")(test)
    return pytest.mark.parametrize("executor", ["local", "dask"], indirect=True)(test)


@pytest.fixture(scope="module")
def task(small_task):
    """Sources (with extra fields) and targets as (texts, records)."""
    sources, targets = small_task
    srcs = [s for s in sources if len(s) < 60000]
    src_rows = [{"id": i, "text": s, "meta": {"n": i, "tags": ["x"]}} for i, s in enumerate(srcs)]
    tgt_rows = [{"prompt": t[: len(t) // 2], "canonical_solution": t[len(t) // 2:]}
                for t in targets]
    return srcs, list(targets), src_rows, tgt_rows


@pytest.fixture
def files(tmp_path, task):
    srcs, targets, src_rows, tgt_rows = task
    src = write_jsonl(tmp_path / "sources.jsonl", src_rows)
    tgt = write_jsonl(tmp_path / "targets.jsonl", tgt_rows)
    return tmp_path, src, tgt


def select_args(src, tgt, out, *extra):
    return ["select", src, "--target", tgt, "--target-template",
            "{prompt}{canonical_solution}", "--level", LEVEL, "-o", out, "--quiet", *extra]


def assert_no_output(directory, *names):
    """Neither the output nor any temporary file is left behind."""
    left = sorted(p.name for p in directory.iterdir())
    for n in names:
        assert n not in left
    assert not [n for n in left if "zipfit-tmp" in n], left


# ------------------------------------------------------------ select

@both_executors
@pytest.mark.parametrize("chunk", ["3", "4096"])
def test_select_equals_api(files, task, chunk):
    d, src, tgt = files
    srcs, targets, src_rows, _ = task
    out = d / "sel.jsonl"
    assert run(*select_args(src, tgt, out, "-k", 15, "--chunk-size", chunk)) == 0
    got = read_jsonl(out)
    want = zipfit.ZipFit(targets, level=6).select(srcs, 15)
    assert [r["zipfit_index"] for r in got] == want.indices.tolist()
    assert [r["zipfit_score"] for r in got] == want.scores.tolist()   # exact, via JSON
    for r in got:   # every field of the record, plus the two new ones
        i = r["zipfit_index"]
        assert {k: v for k, v in r.items() if not k.startswith("zipfit_")} == src_rows[i]
    assert list(got[0])[-2:] == ["zipfit_score", "zipfit_index"]


@both_executors
def test_select_index_counts_across_files_in_order(tmp_path, task):
    srcs, targets, _, tgt_rows = task
    a = write_jsonl(tmp_path / "a.jsonl", [{"text": s} for s in srcs[:10]])
    b = tmp_path / "b.txt"
    b.write_text("\n".join(s.replace("\n", " ") for s in srcs[10:20]) + "\n", encoding="utf-8")
    c = tmp_path / "c.json"
    c.write_text(json.dumps([{"text": s} for s in srcs[20:30]]), encoding="utf-8")
    tgt = write_jsonl(tmp_path / "t.jsonl", tgt_rows)
    out = tmp_path / "o.jsonl"
    assert run(*select_args(c, tgt, out, "-k", 30)[:1], c, a, b,
               *select_args(c, tgt, out, "-k", 30)[2:]) == 0
    stream = ([s for s in srcs[20:30]] + srcs[:10] + [s.replace("\n", " ") for s in srcs[10:20]])
    want = zipfit.ZipFit(targets, level=6).select(stream, 30)
    got = read_jsonl(out)
    assert [r["zipfit_index"] for r in got] == want.indices.tolist()
    assert [r["text"] for r in got] == [stream[i] for i in want.indices]


@both_executors
def test_select_ties_by_lower_index(tmp_path, task):
    srcs, _, _, tgt_rows = task
    rows = [{"text": srcs[i % 3], "n": n} for n, i in enumerate([0, 1, 2, 0, 1, 2, 0])]
    src = write_jsonl(tmp_path / "s.jsonl", rows)
    tgt = write_jsonl(tmp_path / "t.jsonl", tgt_rows)
    out = tmp_path / "o.jsonl"
    assert run(*select_args(src, tgt, out, "-k", 7, "--chunk-size", 2)) == 0
    got = read_jsonl(out)
    scores = [r["zipfit_score"] for r in got]
    assert scores == sorted(scores, reverse=True)
    for s in set(scores):
        idx = [r["zipfit_index"] for r in got if r["zipfit_score"] == s]
        assert idx == sorted(idx) and len(idx) >= 2


@both_executors
def test_select_k_larger_than_pool(files, task, capsys):
    d, src, tgt = files
    out = d / "o.jsonl"
    assert run(*select_args(src, tgt, out, "-k", 10_000)) == 0
    assert len(read_jsonl(out)) == len(task[0])
    err = capsys.readouterr().err
    assert f"warning: -k 10,000 is more than the {len(task[0])} source documents" in err


@both_executors
def test_select_to_stdout_gz_and_json(files, monkeypatch, task):
    d, src, tgt = files
    buf = io.BytesIO()
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(buf))
    assert run(*select_args(src, tgt, "-", "-k", 5)) == 0
    lines = [json.loads(x) for x in buf.getvalue().decode("utf-8").splitlines()]
    monkeypatch.undo()
    assert len(lines) == 5
    assert run(*select_args(src, tgt, d / "o.jsonl.gz", "-k", 5)) == 0
    with gzip.open(d / "o.jsonl.gz", "rt", encoding="utf-8") as f:
        assert [json.loads(x) for x in f] == lines
    assert run(*select_args(src, tgt, d / "o.json", "-k", 5)) == 0
    assert json.loads((d / "o.json").read_text(encoding="utf-8")) == lines


@both_executors
def test_select_budget(files, task):
    d, src, tgt = files
    srcs, targets = task[0], task[1]
    scores = zipfit.ZipFit(targets, level=6).score(srcs)
    order = sorted(range(len(srcs)), key=lambda i: (-scores[i], i))
    for flag, cost in (("--budget-tokens", lambda s: len(s.split())),
                       ("--budget-bytes", lambda s: len(s.encode("utf-8")))):
        budget = 900
        want, total = [], 0
        for i in order:
            if total + cost(srcs[i]) > budget:
                break
            want.append(i)
            total += cost(srcs[i])
        out = d / "b.jsonl"
        assert run(*select_args(src, tgt, out, flag, budget, "--chunk-size", 5)) == 0
        assert [r["zipfit_index"] for r in read_jsonl(out)] == want


@both_executors
def test_scores_out_npy_and_parquet(files, task):
    d, src, tgt = files
    srcs, targets = task[0], task[1]
    full = zipfit.ZipFit(targets, level=6).score(srcs)
    assert run(*select_args(src, tgt, d / "o.jsonl", "-k", 3, "--chunk-size", 7,
                            "--scores-out", d / "s.npy")) == 0
    got = np.load(d / "s.npy")
    assert got.dtype == np.float64 and np.array_equal(got, full)
    pq = pytest.importorskip("pyarrow.parquet")
    assert run(*select_args(src, tgt, d / "o.jsonl", "-k", 3,
                            "--scores-out", d / "s.parquet")) == 0
    t = pq.read_table(d / "s.parquet").to_pydict()
    assert t["zipfit_index"] == list(range(len(srcs)))
    assert t["zipfit_score"] == full.tolist()


@both_executors
def test_text_field_dotted_and_target_field(tmp_path, task):
    srcs, targets = task[0][:12], task[1]
    src = write_jsonl(tmp_path / "s.jsonl", [{"doc": {"body": s}} for s in srcs])
    tgt = write_jsonl(tmp_path / "t.jsonl", [{"code": t} for t in targets])
    out = tmp_path / "o.jsonl"
    assert run("select", src, "--target", tgt, "--text-field", "doc.body",
               "--target-field", "code", "-k", 4, "-l", LEVEL, "-o", out, "-q") == 0
    want = zipfit.ZipFit(targets, level=6).select(srcs, 4)
    assert [r["zipfit_index"] for r in read_jsonl(out)] == want.indices.tolist()


@both_executors
def test_target_template_escapes(tmp_path, task):
    srcs, targets = task[0][:12], task[1][:3]
    src = write_jsonl(tmp_path / "s.jsonl", [{"text": s} for s in srcs])
    tgt = write_jsonl(tmp_path / "t.jsonl", [{"a": t, "b": "x"} for t in targets])
    out = tmp_path / "o.jsonl"
    assert run("select", src, "-t", tgt, "--target-template", r"Problem: {a}\nSolution: {b}",
               "-k", 12, "-l", LEVEL, "-o", out, "-q") == 0
    want = zipfit.ZipFit([f"Problem: {t}\nSolution: x" for t in targets], level=6).score(srcs)
    got = read_jsonl(out)
    assert sorted((r["zipfit_index"], r["zipfit_score"]) for r in got) == \
        list(enumerate(want.tolist()))


@both_executors
def test_two_targets_options_and_directory(tmp_path, task):
    srcs, targets, _, tgt_rows = task
    (tmp_path / "src").mkdir()
    write_jsonl(tmp_path / "src" / "part-0.jsonl", [{"text": s} for s in srcs[:20]])
    write_jsonl(tmp_path / "src" / "part-1.jsonl", [{"text": s} for s in srcs[20:40]])
    t1 = write_jsonl(tmp_path / "t1.jsonl", tgt_rows[:5])
    t2 = write_jsonl(tmp_path / "t2.jsonl", tgt_rows[5:])
    out = tmp_path / "o.jsonl"
    assert run("select", tmp_path / "src", "-t", t1, "-t", t2, "--target-template",
               "{prompt}{canonical_solution}", "-k", 40, "-l", LEVEL, "-o", out, "-q") == 0
    want = zipfit.ZipFit(targets, level=6).select(srcs[:40], 40)
    assert [r["zipfit_index"] for r in read_jsonl(out)] == want.indices.tolist()


# ------------------------------------------------------------ score and matrix

def test_score_command_outputs(files, task):
    d, src, tgt = files
    srcs, targets, src_rows, _ = task
    full = zipfit.ZipFit(targets, level=6).score(srcs)
    base = ["score", src, "-t", tgt, "--target-template", "{prompt}{canonical_solution}",
            "-l", LEVEL, "-q", "--chunk-size", "9", "-o"]
    assert run(*base, d / "s.npy") == 0
    assert np.array_equal(np.load(d / "s.npy"), full)
    assert run(*base, d / "s.jsonl") == 0
    rows = read_jsonl(d / "s.jsonl")
    assert [r["zipfit_index"] for r in rows] == list(range(len(srcs)))
    assert [r["zipfit_score"] for r in rows] == full.tolist()
    assert rows[3]["meta"] == src_rows[3]["meta"]
    pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq
    assert run(*base, d / "s.parquet") == 0
    assert pq.read_table(d / "s.parquet").column("zipfit_score").to_pylist() == full.tolist()


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_matrix_command(files, task, dtype):
    d, src, tgt = files
    srcs, targets = task[0], task[1]
    assert run("matrix", src, "-t", tgt, "--target-template", "{prompt}{canonical_solution}",
               "-l", LEVEL, "-q", "--chunk-size", "11", "--dtype", dtype, "-o", d / "m.npy") == 0
    m = np.load(d / "m.npy")
    want = zipfit.cdist(srcs, targets, level=6)
    assert m.shape == (len(srcs), len(targets)) and m.dtype == np.dtype(dtype)
    assert np.array_equal(m, want.astype(dtype))


@both_executors
def test_parquet_sources(tmp_path, task):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq
    srcs, targets, _, tgt_rows = task
    pq.write_table(pa.Table.from_pylist([{"text": s, "id": i} for i, s in enumerate(srcs)]),
                   tmp_path / "s.parquet", row_group_size=10)
    tgt = write_jsonl(tmp_path / "t.jsonl", tgt_rows)
    out = tmp_path / "o.jsonl"
    assert run(*select_args(tmp_path / "s.parquet", tgt, out, "-k", 5)) == 0
    want = zipfit.ZipFit(targets, level=6).select(srcs, 5)
    assert [(r["id"], r["zipfit_score"]) for r in read_jsonl(out)] == \
        list(zip(want.indices.tolist(), want.scores.tolist()))


# ------------------------------------------------------------ bad input: one message,
# a non-zero exit, no output file

def bad_case(tmp_path, capsys, src_bytes, *, name="s.jsonl", extra=(), tgt=None):
    src = tmp_path / name
    if src_bytes is not None:
        src.write_bytes(src_bytes)
    if tgt is None:
        tgt = write_jsonl(tmp_path / "t.jsonl", [{"text": "def f(x):\n    return x\n"}])
    (tmp_path / "o.jsonl").unlink(missing_ok=True)
    rc = run("select", src, "-t", tgt, "-k", 2, "-o", tmp_path / "o.jsonl",
             "--scores-out", tmp_path / "o.npy", "-q", *extra)
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert rc == 1
    assert len(lines) == 1 and lines[0].startswith("zipfit: error: "), err
    assert_no_output(tmp_path, "o.jsonl", "o.npy")
    return lines[0][len("zipfit: error: "):], src


@both_executors
def test_bad_malformed_json(tmp_path, capsys):
    msg, src = bad_case(tmp_path, capsys, b'{"text": "a"}\n{"text": "b",}\n')
    assert msg.startswith(f"{src}:2: malformed JSON: ")


@both_executors
def test_bad_missing_field(tmp_path, capsys):
    msg, src = bad_case(tmp_path, capsys, b'{"text": "a"}\n{"txt": "b"}\n')
    assert msg == (f"{src}:2: field 'text': missing (the record has: 'txt') "
                   "(choose the field with --text-field or --target-field)")


@both_executors
def test_bad_non_string_field(tmp_path, capsys):
    msg, src = bad_case(tmp_path, capsys, b'{"text": "a"}\n{"text": "b"}\n{"text": 42}\n')
    assert msg == f"{src}:3: field 'text': is a number (42), expected a string"


@both_executors
def test_bad_invalid_utf8(tmp_path, capsys):
    msg, src = bad_case(tmp_path, capsys, b'{"text": "caf\xe9"}\n')
    assert msg == f"{src}:1: invalid UTF-8 (byte 0xe9 at column 14)"


@both_executors
def test_bad_empty_input(tmp_path, capsys):
    msg, src = bad_case(tmp_path, capsys, b"")
    assert msg == f"{src}: no source documents (empty input)"
    msg, src = bad_case(tmp_path, capsys, b"\n  \n")
    assert msg == f"{src}: no source documents (empty input)"


@both_executors
def test_bad_missing_file(tmp_path, capsys):
    msg, src = bad_case(tmp_path, capsys, None, name="nope.jsonl")
    assert msg == f"{src}: no such file or directory"


@both_executors
def test_bad_target(tmp_path, capsys):
    tgt = tmp_path / "t.jsonl"
    tgt.write_text('{"prompt": "x"}\n')
    msg, _ = bad_case(tmp_path, capsys, b'{"text": "a"}\n', tgt=tgt,
                      extra=("--target-template", "{prompt}{canonical_solution}"))
    assert msg.startswith(f"{tgt}:1: field 'canonical_solution': missing (used by the template)")
    tgt.write_text("")
    msg, _ = bad_case(tmp_path, capsys, b'{"text": "a"}\n', tgt=tgt)
    assert msg == f"{tgt}: no target documents (empty input)"


@both_executors
def test_failed_run_keeps_previous_output(tmp_path, capsys):
    (tmp_path / "o.jsonl").write_text("old\n")
    src = tmp_path / "s.jsonl"
    src.write_text('{"text": "a"}\n{"text": 1}\n')
    tgt = write_jsonl(tmp_path / "t.jsonl", [{"text": "b"}])
    assert run("select", src, "-t", tgt, "-k", 1, "-o", tmp_path / "o.jsonl", "-q") == 1
    assert (tmp_path / "o.jsonl").read_text() == "old\n"
    assert not [p for p in tmp_path.iterdir() if "zipfit-tmp" in p.name]


@both_executors
def test_on_error_skip(tmp_path, capsys, task):
    srcs = task[0][:6]
    lines = [json.dumps({"text": s}).encode() for s in srcs]
    bad = [b'{"text": ', b'{"text": null}', b'{"text": "\xff"}', b'{"other": "x"}']
    mixed = [lines[0], bad[0], lines[1], lines[2], bad[1], bad[2], lines[3], bad[3],
             lines[4], lines[5]]
    src = tmp_path / "s.jsonl"
    src.write_bytes(b"\n".join(mixed) + b"\n")
    tgt = write_jsonl(tmp_path / "t.jsonl", [{"text": t} for t in task[1]])
    out = tmp_path / "o.jsonl"
    rc = run("select", src, "-t", tgt, "-k", 100, "-l", LEVEL, "-o", out, "-q",
             "--on-error", "skip")
    err = capsys.readouterr().err
    assert rc == 0
    assert "skipped 4 bad source record(s)" in err
    assert f"{src}:2: malformed JSON" in err and f"{src}:5: field 'text': is null" in err
    got = read_jsonl(out)
    want = zipfit.ZipFit(task[1], level=6).select(srcs, 100)
    assert [r["zipfit_index"] for r in got] == want.indices.tolist()
    assert [r["text"] for r in got] == [srcs[i] for i in want.indices]
    # all records bad: an error, no output
    src.write_bytes(b"\n".join(bad) + b"\n")
    out.unlink()
    assert run("select", src, "-t", tgt, "-k", 1, "-o", out, "-q", "--on-error", "skip") == 1
    assert "no valid source documents: all 4 records were bad" in capsys.readouterr().err
    assert not out.exists()


# ------------------------------------------------------------ usage, version, messages

@both_executors
@pytest.mark.parametrize("argv, msg", [
    (["select", "{src}", "-t", "{tgt}", "-o", "{out}"], "say how many documents"),
    (["select", "{src}", "-t", "{tgt}", "-k", "1", "-c", "nope", "-o", "{out}"],
     "unknown compressor 'nope'"),
    (["select", "{src}", "-t", "{tgt}", "-k", "1", "-l", "42", "-o", "{out}"],
     "level 42 is not valid"),
    (["select", "{src}", "-t", "{tgt}", "-k", "1", "-o", "{dir}/o.npy"],
     "selected records are written as .jsonl"),
    (["select", "{src}", "-t", "{tgt}", "-k", "1", "-o", "{out}", "--scores-out", "{dir}/s.csv"],
     "use a .npy or .parquet file name"),
    (["matrix", "{src}", "-t", "{tgt}", "-o", "{out}"], "the matrix is written as .npy"),
])
def test_usage_errors(files, capsys, argv, msg):
    d, src, tgt = files
    argv = [a.format(src=src, tgt=tgt, out=d / "o.jsonl", dir=d) for a in argv]
    assert run(*argv) == 2
    assert msg in capsys.readouterr().err
    assert_no_output(d, "o.jsonl", "o.npy", "s.csv")


def test_argparse_errors_exit_2(capsys):
    with pytest.raises(SystemExit) as e:
        run("select", "x.jsonl", "-k", "-1", "-t", "t.jsonl")
    assert e.value.code == 2
    with pytest.raises(SystemExit) as e:
        run("select", "x.jsonl", "-k", "3")          # no --target
    assert e.value.code == 2


def test_version(capsys):
    with pytest.raises(SystemExit) as e:
        run("--version")
    assert e.value.code == 0
    assert capsys.readouterr().out.startswith(f"zipfit {zipfit.__version__} (zlib ")


def test_quiet_summary_and_progress(files, capsys, monkeypatch):
    d, src, tgt = files
    args = select_args(src, tgt, d / "o.jsonl", "-k", 2, "--chunk-size", 10)
    assert run(*args) == 0
    assert capsys.readouterr().err == ""                    # --quiet: nothing at all
    args.remove("--quiet")
    assert run(*args) == 0
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1                                    # not a terminal: no bar
    assert err[0].startswith("zipfit: 83 documents x 12 targets = 996 pairs in ")
    assert "docs/s" in err[0] and "selected 2 (1 empty text) -> " in err[0]
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    assert run(*args) == 0
    err = capsys.readouterr().err
    assert "docs/s" in err and "pairs/s" in err and "%|" in err       # the tqdm bar
    assert err.rstrip().splitlines()[-1].startswith("zipfit: 83 documents")


# ------------------------------------------------------------ processes: console
# script, Ctrl-C

def _env():
    env = dict(os.environ)
    root = os.path.dirname(os.path.dirname(os.path.abspath(zipfit.__file__)))
    env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
    return env


def test_module_entry_point(files):
    d, src, tgt = files
    p = subprocess.run([sys.executable, "-m", "zipfit.cli", *map(str, select_args(
        src, tgt, d / "o.jsonl", "-k", 3))], capture_output=True, env=_env(), timeout=120)
    assert p.returncode == 0, p.stderr
    assert len(read_jsonl(d / "o.jsonl")) == 3


def _wait_for_tmp(d, proc, timeout=60):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if [p for p in d.iterdir() if "zipfit-tmp" in p.name]:
            return
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.05)
    raise AssertionError("the command never created its temporary output")


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_ctrl_c_while_reading_stdin(tmp_path, task):
    tgt = write_jsonl(tmp_path / "t.jsonl", [{"text": t} for t in task[1]])
    out = tmp_path / "o.jsonl"
    proc = subprocess.Popen(
        [sys.executable, "-m", "zipfit.cli", "select", "-", "-t", str(tgt), "-k", "5",
         "-o", str(out), "--scores-out", str(tmp_path / "s.npy"), "--chunk-size", "4"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_env())
    for s in task[0][:20]:
        proc.stdin.write((json.dumps({"text": s}) + "\n").encode())
    proc.stdin.flush()                         # stdin stays open: the run cannot finish
    _wait_for_tmp(tmp_path, proc)
    time.sleep(0.3)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert b"interrupted" in err and b"Traceback" not in err
    assert_no_output(tmp_path, "o.jsonl", "s.npy")


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_ctrl_c_while_scoring(tmp_path, corpus):
    # Big documents at the slowest level: one chunk takes many seconds.
    big = ["\n".join(corpus[i:i + 400]) for i in range(0, 600, 10)]    # 60 x ~200 KB
    src = write_jsonl(tmp_path / "s.jsonl", [{"text": b} for b in big])
    tgt = write_jsonl(tmp_path / "t.jsonl", [{"text": t} for t in corpus[:30]])
    out = tmp_path / "o.jsonl"
    proc = subprocess.Popen(
        [sys.executable, "-m", "zipfit.cli", "select", str(src), "-t", str(tgt), "-k", "5",
         "-l", "9", "-j", "1", "-o", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_env())
    _wait_for_tmp(tmp_path, proc)
    time.sleep(1.0)
    assert proc.poll() is None, "the run finished before it could be interrupted"
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert b"Traceback" not in err
    assert_no_output(tmp_path, "o.jsonl")
