#!/usr/bin/env python3
"""Make a small ZIP-FIT task from files every Python installation has.

Writes two JSON Lines files (default: examples/data/):

- ``sources.jsonl``: a mixed pool of code and prose.  Code documents are
  runs of consecutive lines of the standard library's ``.py`` files; prose
  documents are runs of paragraphs from its docstrings and from the
  reference text that ships with pydoc (``pydoc_data.topics``).  Fields:
  ``id``, ``text``, ``kind`` (``code`` or ``prose``), ``origin``.
- ``targets.jsonl``: 16 HumanEval-style problems written for this project,
  with ``task_id``, ``prompt``, ``canonical_solution``, ``test`` and
  ``entry_point`` (build the target text with
  ``--target-template "{prompt}{canonical_solution}"``).

The output depends only on ``--seed``, ``--n-sources`` and the Python
version's standard library.  No two source documents are identical.

    python examples/make_data.py                       # 10,000 sources
    python examples/make_data.py --n-sources 300000 --out-dir /tmp/big
"""
from __future__ import annotations

import argparse
import hashlib
import inspect
import json
import os
import pathlib
import random
import re
import sys
import sysconfig
from typing import Dict, List, Tuple

HERE = pathlib.Path(__file__).resolve().parent

# --------------------------------------------------------------- targets

TARGETS: List[Dict[str, str]] = []


def _target(name: str, prompt: str, solution: str, test: str) -> None:
    TARGETS.append({
        "task_id": f"ZipFitEval/{len(TARGETS)}",
        "prompt": prompt,
        "canonical_solution": solution,
        "test": test,
        "entry_point": name,
    })


_target("sum_of_squares", '''def sum_of_squares(nums: list) -> int:
    """Return the sum of the squares of the integers in nums.
    >>> sum_of_squares([1, 2, 3])
    14
    >>> sum_of_squares([])
    0
    """
''', '''    return sum(n * n for n in nums)
''', '''def check(candidate):
    assert candidate([1, 2, 3]) == 14
    assert candidate([]) == 0
    assert candidate([-4]) == 16
''')

_target("is_palindrome", '''def is_palindrome(text: str) -> bool:
    """Check whether text reads the same backwards, ignoring case and
    every character that is not a letter or a digit.
    >>> is_palindrome("A man, a plan, a canal: Panama")
    True
    >>> is_palindrome("zipfit")
    False
    """
''', '''    kept = [c.lower() for c in text if c.isalnum()]
    return kept == kept[::-1]
''', '''def check(candidate):
    assert candidate("A man, a plan, a canal: Panama") is True
    assert candidate("zipfit") is False
    assert candidate("") is True
''')

_target("count_vowels", '''def count_vowels(word: str) -> int:
    """Count the vowels (a, e, i, o, u, either case) in word.
    >>> count_vowels("Compression")
    4
    """
''', '''    return sum(1 for c in word.lower() if c in "aeiou")
''', '''def check(candidate):
    assert candidate("Compression") == 4
    assert candidate("rhythm") == 0
    assert candidate("AEIOU") == 5
''')

_target("running_max", '''from typing import List


def running_max(values: List[int]) -> List[int]:
    """For each position, the largest value seen so far.
    >>> running_max([3, 1, 4, 1, 5, 9, 2, 6])
    [3, 3, 4, 4, 5, 9, 9, 9]
    """
''', '''    out = []
    best = None
    for v in values:
        best = v if best is None or v > best else best
        out.append(best)
    return out
''', '''def check(candidate):
    assert candidate([3, 1, 4, 1, 5, 9, 2, 6]) == [3, 3, 4, 4, 5, 9, 9, 9]
    assert candidate([]) == []
    assert candidate([-2, -5]) == [-2, -2]
''')

_target("flatten", '''def flatten(nested: list) -> list:
    """Flatten arbitrarily nested lists into one flat list, keeping order.
    >>> flatten([1, [2, [3, 4]], [], 5])
    [1, 2, 3, 4, 5]
    """
''', '''    flat = []
    for item in nested:
        if isinstance(item, list):
            flat.extend(flatten(item))
        else:
            flat.append(item)
    return flat
''', '''def check(candidate):
    assert candidate([1, [2, [3, 4]], [], 5]) == [1, 2, 3, 4, 5]
    assert candidate([]) == []
    assert candidate([[["a"]]]) == ["a"]
''')

_target("word_frequencies", '''from typing import Dict


def word_frequencies(text: str) -> Dict[str, int]:
    """Count how often each lower-cased, whitespace-separated word occurs.
    >>> word_frequencies("the cat and The hat")
    {'the': 2, 'cat': 1, 'and': 1, 'hat': 1}
    """
''', '''    counts: Dict[str, int] = {}
    for word in text.lower().split():
        counts[word] = counts.get(word, 0) + 1
    return counts
''', '''def check(candidate):
    assert candidate("the cat and The hat") == {"the": 2, "cat": 1, "and": 1, "hat": 1}
    assert candidate("") == {}
''')

_target("rotate_left", '''def rotate_left(items: list, k: int) -> list:
    """Rotate items k places to the left; k may exceed the length.
    >>> rotate_left([1, 2, 3, 4, 5], 2)
    [3, 4, 5, 1, 2]
    >>> rotate_left([1, 2, 3], 4)
    [2, 3, 1]
    """
''', '''    if not items:
        return []
    k %= len(items)
    return items[k:] + items[:k]
''', '''def check(candidate):
    assert candidate([1, 2, 3, 4, 5], 2) == [3, 4, 5, 1, 2]
    assert candidate([1, 2, 3], 4) == [2, 3, 1]
    assert candidate([], 3) == []
''')

_target("greatest_common_divisor", '''def greatest_common_divisor(a: int, b: int) -> int:
    """Return the greatest common divisor of two non-negative integers.
    >>> greatest_common_divisor(12, 18)
    6
    >>> greatest_common_divisor(7, 0)
    7
    """
''', '''    while b:
        a, b = b, a % b
    return a
''', '''def check(candidate):
    assert candidate(12, 18) == 6
    assert candidate(7, 0) == 7
    assert candidate(17, 5) == 1
''')

_target("is_prime", '''def is_prime(n: int) -> bool:
    """Return True if n is a prime number.
    >>> is_prime(13)
    True
    >>> is_prime(1)
    False
    """
''', '''    if n < 2:
        return False
    i = 2
    while i * i <= n:
        if n % i == 0:
            return False
        i += 1
    return True
''', '''def check(candidate):
    assert candidate(13) is True
    assert candidate(1) is False
    assert candidate(91) is False
    assert candidate(2) is True
''')

_target("chunk_list", '''from typing import List


def chunk_list(items: list, size: int) -> List[list]:
    """Split items into consecutive pieces of length size (the last may be shorter).
    >>> chunk_list([1, 2, 3, 4, 5], 2)
    [[1, 2], [3, 4], [5]]
    """
''', '''    return [items[i:i + size] for i in range(0, len(items), size)]
''', '''def check(candidate):
    assert candidate([1, 2, 3, 4, 5], 2) == [[1, 2], [3, 4], [5]]
    assert candidate([], 3) == []
''')

_target("merge_sorted", '''from typing import List


def merge_sorted(a: List[int], b: List[int]) -> List[int]:
    """Merge two ascending lists into one ascending list.
    >>> merge_sorted([1, 4, 9], [2, 3, 10])
    [1, 2, 3, 4, 9, 10]
    """
''', '''    out = []
    i = j = 0
    while i < len(a) and j < len(b):
        if a[i] <= b[j]:
            out.append(a[i])
            i += 1
        else:
            out.append(b[j])
            j += 1
    return out + a[i:] + b[j:]
''', '''def check(candidate):
    assert candidate([1, 4, 9], [2, 3, 10]) == [1, 2, 3, 4, 9, 10]
    assert candidate([], [1]) == [1]
''')

_target("caesar_shift", '''def caesar_shift(text: str, shift: int) -> str:
    """Shift every ASCII letter by shift places, wrapping around the alphabet
    and keeping case; other characters are unchanged.
    >>> caesar_shift("Hello, World!", 3)
    'Khoor, Zruog!'
    """
''', '''    out = []
    for c in text:
        if "a" <= c <= "z":
            out.append(chr((ord(c) - 97 + shift) % 26 + 97))
        elif "A" <= c <= "Z":
            out.append(chr((ord(c) - 65 + shift) % 26 + 65))
        else:
            out.append(c)
    return "".join(out)
''', '''def check(candidate):
    assert candidate("Hello, World!", 3) == "Khoor, Zruog!"
    assert candidate("abc", -1) == "zab"
''')

_target("second_largest", '''from typing import List, Optional


def second_largest(nums: List[int]) -> Optional[int]:
    """Return the second largest distinct value, or None if there is none.
    >>> second_largest([4, 1, 4, 3])
    3
    >>> second_largest([5, 5])
    """
''', '''    distinct = sorted(set(nums), reverse=True)
    return distinct[1] if len(distinct) > 1 else None
''', '''def check(candidate):
    assert candidate([4, 1, 4, 3]) == 3
    assert candidate([5, 5]) is None
    assert candidate([]) is None
''')

_target("dedupe_keep_order", '''def dedupe_keep_order(items: list) -> list:
    """Remove repeated items, keeping the first occurrence of each.
    >>> dedupe_keep_order(["b", "a", "b", "c", "a"])
    ['b', 'a', 'c']
    """
''', '''    seen = set()
    out = []
    for item in items:
        if item not in seen:
            seen.add(item)
            out.append(item)
    return out
''', '''def check(candidate):
    assert candidate(["b", "a", "b", "c", "a"]) == ["b", "a", "c"]
    assert candidate([]) == []
''')

_target("transpose", '''from typing import List


def transpose(matrix: List[List[int]]) -> List[List[int]]:
    """Return the transpose of a rectangular matrix given as a list of rows.
    >>> transpose([[1, 2, 3], [4, 5, 6]])
    [[1, 4], [2, 5], [3, 6]]
    """
''', '''    if not matrix:
        return []
    return [[row[j] for row in matrix] for j in range(len(matrix[0]))]
''', '''def check(candidate):
    assert candidate([[1, 2, 3], [4, 5, 6]]) == [[1, 4], [2, 5], [3, 6]]
    assert candidate([]) == []
''')

_target("longest_common_prefix", '''from typing import List


def longest_common_prefix(words: List[str]) -> str:
    """Return the longest string that every word starts with.
    >>> longest_common_prefix(["compress", "compute", "company"])
    'comp'
    >>> longest_common_prefix([])
    ''
    """
''', '''    if not words:
        return ""
    prefix = words[0]
    for w in words[1:]:
        while not w.startswith(prefix):
            prefix = prefix[:-1]
    return prefix
''', '''def check(candidate):
    assert candidate(["compress", "compute", "company"]) == "comp"
    assert candidate([]) == ""
    assert candidate(["same", "same"]) == "same"
''')

# --------------------------------------------------------------- sources

_DOCSTRING = re.compile(r'"""(.*?)"""', re.S)


def _stdlib_files() -> Tuple[pathlib.Path, List[pathlib.Path]]:
    root = pathlib.Path(sysconfig.get_paths()["stdlib"])
    skip = {"site-packages", "dist-packages", "test", "tests", "idle_test", "__pycache__"}
    files = sorted(
        f for f in root.rglob("*.py")
        if not skip.intersection(f.relative_to(root).parts))
    return root, files


def _paragraphs(text: str) -> List[str]:
    return [p.strip() for p in re.split(r"\n\s*\n", text) if len(p.strip()) >= 40]


def load_pools() -> Tuple[List[Tuple[str, List[str]]], List[Tuple[str, List[str]]]]:
    """(code, prose): lists of (origin, lines or paragraphs)."""
    root, files = _stdlib_files()
    code: List[Tuple[str, List[str]]] = []
    prose: List[Tuple[str, List[str]]] = []
    for f in files:
        try:
            src = f.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        rel = f.relative_to(root).as_posix()
        lines = src.splitlines()
        if len(lines) >= 8:
            code.append((rel, lines))
        paras: List[str] = []
        for m in _DOCSTRING.finditer(src):
            paras += _paragraphs(inspect.cleandoc(m.group(1)))
        if paras:
            prose.append((f"docstrings of {rel}", paras))
    try:
        from pydoc_data.topics import topics
        for name in sorted(topics):
            paras = _paragraphs(topics[name])
            if paras:
                prose.append((f"pydoc topic {name!r}", paras))
    except ImportError:  # pragma: no cover - some distributions drop pydoc_data
        pass
    return code, prose


def _code_doc(rng: random.Random, code) -> Tuple[str, str]:
    rel, lines = code[rng.randrange(len(code))]
    n = rng.randint(4, 40)
    start = rng.randrange(max(1, len(lines) - n))
    text = "\n".join(lines[start:start + n]).strip("\n") + "\n"
    return text, f"{rel}:{start + 1}-{start + n}"


def _prose_doc(rng: random.Random, prose) -> Tuple[str, str]:
    origin, paras = prose[rng.randrange(len(prose))]
    n = rng.randint(1, 4)
    start = rng.randrange(max(1, len(paras) - n + 1))
    text = "\n\n".join(paras[start:start + n])
    return text, f"{origin}, paragraphs {start + 1}-{start + min(n, len(paras) - start)}"


def generate_sources(n: int, seed: int, prose_share: float = 0.4):
    """Yield n distinct source records (deterministic for a given seed)."""
    code, prose = load_pools()
    rng = random.Random(seed)
    seen = set()
    made = tries = 0
    while made < n:
        tries += 1
        if tries > 20 * n + 1000:
            raise SystemExit(f"could only make {made} distinct documents from this "
                             "Python's standard library")
        if prose and rng.random() < prose_share:
            kind, (text, origin) = "prose", _prose_doc(rng, prose)
        else:
            kind, (text, origin) = "code", _code_doc(rng, code)
        if len(text.strip()) < 40:
            continue
        h = hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest()
        if h in seen:
            continue
        seen.add(h)
        yield {"id": f"src-{made:07d}", "text": text, "kind": kind, "origin": origin}
        made += 1


def _write_jsonl(path: pathlib.Path, records) -> int:
    tmp = path.with_name(path.name + ".tmp")
    n = 0
    with open(tmp, "w", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
            n += 1
    os.replace(tmp, path)
    return n


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n-sources", type=int, default=10000, help="default: 10000")
    p.add_argument("--n-targets", type=int, default=len(TARGETS),
                   help=f"1..{len(TARGETS)} (default: all {len(TARGETS)})")
    p.add_argument("--seed", type=int, default=0, help="default: 0")
    p.add_argument("--out-dir", default=str(HERE / "data"),
                   help="default: examples/data next to this script")
    p.add_argument("--target-text", action="store_true",
                   help="also give each target a 'text' field (prompt + canonical "
                        "solution), for tools that read only 'text'")
    args = p.parse_args(argv)
    if args.n_sources < 0 or not 1 <= args.n_targets <= len(TARGETS):
        p.error("--n-sources must be >= 0 and --n-targets 1..%d" % len(TARGETS))
    out = pathlib.Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    targets = [dict(t) for t in TARGETS[:args.n_targets]]
    if args.target_text:
        for t in targets:
            t["text"] = t["prompt"] + t["canonical_solution"]
    ns = _write_jsonl(out / "sources.jsonl", generate_sources(args.n_sources, args.seed))
    nt = _write_jsonl(out / "targets.jsonl", targets)
    print(f"wrote {ns} sources to {out / 'sources.jsonl'} and {nt} targets to "
          f"{out / 'targets.jsonl'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
