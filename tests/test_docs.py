"""The README's Python examples run as written."""
import pathlib
import re

import pytest

README = pathlib.Path(__file__).resolve().parent.parent / "README.md"


def python_blocks():
    text = README.read_text(encoding="utf-8")
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


def test_readme_has_examples():
    assert len(python_blocks()) >= 2


@pytest.mark.parametrize("i", range(len(python_blocks())))
def test_readme_python_example_runs(i, tmp_path, monkeypatch):
    code = python_blocks()[i]
    for module in re.findall(r"^import (datasets|dask|pyarrow)\b", code, flags=re.M):
        pytest.importorskip(module, reason=f"this README example needs {module}")
    monkeypatch.chdir(tmp_path)
    env = {}
    if "iter_records" in code:  # the streaming example uses the user's own reader
        env["iter_records"] = lambda: iter([{"text": "def f(x):\n    return x\n"},
                                            {"text": "Paris is in France."}])
        env["targets"] = ["def g(y):\n    return y\n"]
        env["zipfit"] = __import__("zipfit")
    exec(compile(code, f"README.md python block {i}", "exec"), env)
