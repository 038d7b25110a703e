"""The pipeline's shape and contracts: no import cycles, the CLI without Dask,
outputs that never replace inputs, write errors that name the output, and the
options that only one executor understands."""
import ast
import json
import os
import pathlib
import resource
import signal
import subprocess
import sys

import numpy as np
import pytest

import zipfit
from zipfit import cli

PKG = pathlib.Path(zipfit.__file__).parent


def _imports(path):
    """zipfit modules a module imports anywhere in it (lazy imports included)."""
    name = "zipfit." + path.stem if path.stem != "__init__" else "zipfit"
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.startswith("zipfit")}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = "zipfit" if node.module is None else "zipfit." + node.module
            elif node.module and node.module.startswith("zipfit"):
                base = node.module
            else:
                continue
            if node.module is None:   # from . import x, y
                out |= {f"zipfit.{a.name}" for a in node.names}
            else:
                out.add(base)
    modules = {"zipfit." + p.stem for p in PKG.glob("*.py")} | {"zipfit", "zipfit._core"}
    return name, {m for m in out if m in modules and m != name}


def test_no_import_cycles():
    graph = dict(_imports(p) for p in PKG.glob("*.py"))
    assert "zipfit.io" in graph["zipfit.dask"] and "zipfit._select" in graph["zipfit._api"]
    state, stack, cycles = {}, [], []

    def visit(m):
        state[m] = 1
        stack.append(m)
        for n in sorted(graph.get(m, ())):
            if state.get(n) == 1:
                cycles.append(stack[stack.index(n):] + [n])
            elif n not in state:
                visit(n)
        stack.pop()
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m)
    assert not cycles, cycles


def test_no_module_imports_the_cli():
    for p in PKG.glob("*.py"):
        name, deps = _imports(p)
        if name not in ("zipfit.cli", "zipfit.__main__"):
            assert "zipfit.cli" not in deps, name


def test_cli_does_not_load_dask(tmp_path):
    src = tmp_path / "s.jsonl"
    src.write_text('{"text": "def f(x): return x"}\n{"text": "Paris"}\n')
    code = ("import sys, zipfit.cli; assert 'dask' not in sys.modules; "
            f"rc = zipfit.cli.main(['select', {str(src)!r}, '-t', {str(src)!r}, '-k', '1', "
            f"'-o', {str(tmp_path / 'o.jsonl')!r}, '-q']); "
            "assert rc == 0; assert 'dask' not in sys.modules, 'dask loaded'")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       cwd=tmp_path, env=_env())
    assert p.returncode == 0, p.stderr


def _env():
    env = dict(os.environ)
    env["PYTHONPATH"] = str(PKG.parent) + os.pathsep + env.get("PYTHONPATH", "")
    return env


@pytest.fixture
def pool(tmp_path, corpus):
    src = tmp_path / "pool.jsonl"
    src.write_text("".join(json.dumps({"text": t}) + "\n" for t in corpus[:30]))
    tgt = tmp_path / "t.jsonl"
    tgt.write_text("".join(json.dumps({"text": t}) + "\n" for t in corpus[100:104]))
    return src, tgt


@pytest.mark.parametrize("how", ["same", "symlink", "directory", "glob", "target"])
def test_output_that_is_an_input_is_refused(pool, tmp_path, capsys, how):
    src, tgt = pool
    before = src.read_bytes(), tgt.read_bytes()
    inp, out = str(src), str(src)
    if how == "symlink":
        (tmp_path / "link.jsonl").symlink_to(src)
        out = str(tmp_path / "link.jsonl")
    elif how == "directory":
        sub = tmp_path / "d"
        sub.mkdir()
        src = src.rename(sub / "pool.jsonl")
        inp, out = str(sub), str(src)
        before = src.read_bytes(), before[1]
    elif how == "glob":
        inp = str(tmp_path / "po*.jsonl")
    elif how == "target":
        out = str(tgt)
    rc = cli.main(["select", inp, "-t", str(tgt), "-k", "5", "-o", out, "-q"])
    assert rc == 2
    assert "the output is also an input" in capsys.readouterr().err
    assert (src.read_bytes(), tgt.read_bytes()) == before
    assert not [p for p in tmp_path.rglob("*") if "zipfit-tmp" in p.name]


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX resource limits")
def test_write_error_names_the_output_and_keeps_the_old_file(pool, tmp_path):
    """A write that fails (here: the file size limit, as a full disk would)
    names the output; the old file stays and no temporary file is left."""
    src, tgt = pool
    out = tmp_path / "scores.jsonl"
    out.write_text("previous\n")

    def limit():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))

    p = subprocess.run([sys.executable, "-m", "zipfit.cli", "score", str(src), "-t", str(tgt),
                        "-o", str(out), "-q"], capture_output=True, text=True,
                       preexec_fn=limit, env=_env(), cwd=tmp_path)
    assert p.returncode == 1, p.stderr
    assert p.stderr.strip() == f"zipfit: error: {out}: File too large"
    assert out.read_text() == "previous\n"
    assert not [q for q in tmp_path.iterdir() if "zipfit-tmp" in q.name]


def test_options_of_one_executor_are_refused_in_the_other(pool, tmp_path, capsys):
    src, tgt = pool
    base = ["select", str(src), "-t", str(tgt), "-k", "2", "-o", str(tmp_path / "o.jsonl")]
    assert cli.main(base + ["--blocksize", "1000"]) == 2
    assert "--blocksize cuts inputs into Dask partitions: it needs --scheduler" in \
        capsys.readouterr().err
    assert cli.main(base + ["--scheduler", "tcp://127.0.0.1:9", "-j", "2"]) == 2
    assert "-j/--workers sets this machine's threads" in capsys.readouterr().err
    assert not (tmp_path / "o.jsonl").exists()


def test_jobs_run_from_python(pool, tmp_path, corpus):
    from zipfit import pipeline
    src, tgt = pool
    job = pipeline.Job(sources=[str(src)], targets=[str(tgt)], level=6, chunk_size=7)
    out = tmp_path / "o.jsonl"
    summary = pipeline.select(job, str(out), k=3)
    got = [json.loads(line) for line in out.read_text().splitlines()]
    want = zipfit.ZipFit(corpus[100:104], level=6).select(corpus[:30], 3)
    assert [r["zipfit_index"] for r in got] == want.indices.tolist()
    assert (summary.docs, summary.n_targets, summary.selected) == (30, 4, 3)
    pipeline.score(job, str(tmp_path / "s.npy"))
    assert np.array_equal(np.load(tmp_path / "s.npy"),
                          zipfit.alignment(corpus[:30], corpus[100:104], level=6))
