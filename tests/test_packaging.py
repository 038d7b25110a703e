"""The package as a user meets it: version, license, metadata, entry points,
and the message an import from the source tree gives.

These run against whichever zipfit is imported: the checkout's (editable
install), or an installed sdist or wheel with this directory copied beside
it (.ci/run, cibuildwheel).
"""
import json
import os
import re
import shutil
import subprocess
import sys
from importlib import metadata

import pytest

import zipfit

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PKG = os.path.dirname(os.path.abspath(zipfit.__file__))
# README.md and setup.py beside tests/: a checkout or an unpacked sdist.
SOURCE_TREE = os.path.exists(os.path.join(ROOT, "setup.py"))

LINK = re.compile(r"!?\[[^\]\n]*\]\(([^)\s]+)\)")


def _read(name):
    with open(os.path.join(ROOT, name), encoding="utf-8") as f:
        return f.read()


def _relative(target):
    return not re.match(r"[A-Za-z][A-Za-z0-9+.-]*:|#", target)


def _env():
    """The subprocess imports the same zipfit as this process."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.path.dirname(PKG) + os.pathsep + env.get("PYTHONPATH", "")
    return env


# ------------------------------------------------------------ version, license

def test_version_has_one_source():
    from zipfit import _version

    assert zipfit.__version__ == _version.__version__
    assert re.fullmatch(r"\d+\.\d+\.\d+((a|b|rc)\d+)?(\.dev\d+)?", zipfit.__version__)
    assert metadata.version("zipfit") == zipfit.__version__
    project = re.search(r"^\[project\]\n(.*?)^\[", _read("pyproject.toml"), re.M | re.S).group(1)
    assert re.search(r'^dynamic = \[[^\]]*"version"', project, re.M)
    assert not re.search(r"^version\s*=", project, re.M)


def test_changelog_describes_this_version():
    text = _read("CHANGELOG.md")
    assert text.startswith("# Changelog")
    assert re.search(r"^## \[%s\]" % re.escape(zipfit.__version__), text, re.M)


def test_license_is_apache_2():
    assert metadata.metadata("zipfit")["License-Expression"] == "Apache-2.0"
    text = _read("LICENSE")
    assert "Apache License" in text and "Version 2.0, January 2004" in text
    assert "END OF TERMS AND CONDITIONS" in text


def test_package_page_has_no_relative_link():
    """The long description is the README with relative links named instead
    of linked: the package page has no files beside it."""
    md = metadata.metadata("zipfit")
    description = md.get_payload() or md["Description"]
    assert description.lstrip().startswith("# zipfit")
    assert "## Python API" in description
    links = LINK.findall(description)
    assert links, "the README's absolute links should be there"
    assert [t for t in links if _relative(t)] == []
    assert "`docs/engine.md`" in description


@pytest.mark.skipif(not SOURCE_TREE, reason="README links into a source tree")
def test_readme_links_exist():
    """Every file the README links is in the tree (in the sdist, too)."""
    missing = [t for t in LINK.findall(_read("README.md"))
               if _relative(t) and not os.path.exists(os.path.join(ROOT, t.split("#")[0]))]
    assert missing == []


# ------------------------------------------------------------ python -m zipfit

def test_python_m_zipfit_is_the_command(tmp_path):
    src = tmp_path / "sources.jsonl"
    src.write_text("".join(json.dumps({"text": t}) + "\n" for t in [
        "def mul(a, b):\n    return a * b\n", "Paris is the capital of France.",
        "def sub(a, b):\n    return a - b\n"]), encoding="utf-8")
    tgt = tmp_path / "targets.txt"
    tgt.write_text("def add(a, b): return a + b\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    p = subprocess.run([sys.executable, "-m", "zipfit", "select", str(src), "-t", str(tgt),
                        "-k", "2", "-o", str(out), "-q"],
                       capture_output=True, text=True, cwd=tmp_path, env=_env(), timeout=120)
    assert p.returncode == 0, p.stderr
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["zipfit_index"] for r in rows] == [0, 2]

    p = subprocess.run([sys.executable, "-m", "zipfit", "--version"], capture_output=True,
                       text=True, cwd=tmp_path, env=_env(), timeout=60)
    assert p.returncode == 0 and p.stdout.startswith(f"zipfit {zipfit.__version__} ")
    p = subprocess.run([sys.executable, "-m", "zipfit", "frobnicate"], capture_output=True,
                       text=True, cwd=tmp_path, env=_env(), timeout=60)
    assert p.returncode == 2 and p.stderr.startswith("usage: zipfit ")


# ------------------------------------------------------------ source-tree import

def _tree(tmp_path, pyx=True, so=False):
    """A copy of the package's Python files, as a checkout without a build has."""
    d = tmp_path / "zipfit"
    d.mkdir()
    for name in os.listdir(PKG):
        if name.endswith(".py"):
            shutil.copy(os.path.join(PKG, name), d / name)
    if pyx:
        (d / "_core.pyx").write_text("# the Cython source\n")
    if so:
        from importlib.machinery import EXTENSION_SUFFIXES

        (d / ("_core" + EXTENSION_SUFFIXES[0])).write_bytes(b"not a library")
    return tmp_path


def _import_in(cwd):
    # -S: no site-packages, so nothing installed (an editable install's finder
    # included) can supply zipfit._core; cwd comes first as in the issue.
    return subprocess.run([sys.executable, "-S", "-c", "import zipfit"], cwd=cwd,
                          capture_output=True, text=True, timeout=60)


def test_import_from_unbuilt_source_tree_says_what_to_do(tmp_path):
    p = _import_in(_tree(tmp_path))
    assert p.returncode == 1
    last = p.stderr.strip().splitlines()[-1]
    assert last.startswith("ImportError: you are importing zipfit from its source tree (")
    assert "zipfit._core is not built" in last
    assert "Run Python from another directory" in last and "pip install -e ." in last
    assert "circular import" not in p.stderr


def test_import_from_source_tree_with_a_broken_build_names_the_error(tmp_path):
    p = _import_in(_tree(tmp_path, so=True))
    assert p.returncode == 1
    last = p.stderr.strip().splitlines()[-1]
    assert "you are importing zipfit from its source tree" in last
    assert "zipfit._core fails to load (" in last and "pip install -e ." in last


def test_installed_package_without_engine_keeps_the_real_error(tmp_path):
    """No .pyx beside __init__.py: not a checkout, so no advice about one."""
    p = _import_in(_tree(tmp_path, pyx=False))
    assert p.returncode == 1
    assert "source tree" not in p.stderr
    assert "_core" in p.stderr.strip().splitlines()[-1]
