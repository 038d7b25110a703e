#!/usr/bin/env python3
"""Check: every bad-input case of `zipfit select` gives one clear message, a
non-zero exit status and no output file (and k > pool warns and exits 0).

Runs the installed ``zipfit`` command (or ``python -m zipfit.cli``) in a
temporary directory and prints, for each case, the exit status, the message
and whether any output (or temporary) file was left.

    python benchmarks/check_cli_bad_input.py

Exit status 0 when every case behaves, 1 otherwise.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile

GOOD = b'{"text": "def add(a, b):\\n    return a + b\\n"}\n'
CASES = [
    # name, source file name, source bytes (None: no file), extra args, expected exit
    ("malformed JSON", "src.jsonl", GOOD + b'{"text": "unclosed\n', [], 1),
    ("missing field", "src.jsonl", GOOD + b'{"body": "no text field"}\n', [], 1),
    ("non-string field", "src.jsonl", GOOD + GOOD + b'{"text": 42}\n', [], 1),
    ("null field", "src.jsonl", GOOD + b'{"text": null}\n', [], 1),
    ("invalid UTF-8", "src.jsonl", GOOD + b'{"text": "caf\xe9"}\n', [], 1),
    ("invalid UTF-8 (.txt)", "src.txt", b"fine\n\xff\xfe\n", [], 1),
    ("empty input", "src.jsonl", b"", [], 1),
    ("missing file", "nope.jsonl", None, [], 1),
    ("bad gzip", "src.jsonl.gz", b"not gzip", [], 1),
    ("bad target", "src.jsonl", GOOD, ["--target-template", "{prompt}{solution}"], 1),
    ("k larger than the pool", "src.jsonl", GOOD * 3, [], 0),
    ("--on-error skip", "src.jsonl", GOOD + b'{"text": 1}\nnot json\n' + GOOD, ["--on-error", "skip"], 0),
]


def main() -> int:
    exe = shutil.which("zipfit")
    base = [exe] if exe else [sys.executable, "-m", "zipfit.cli"]
    failures = 0
    for name, fname, data, extra, want in CASES:
        d = tempfile.mkdtemp(prefix="zipfit-bad-")
        try:
            src = os.path.join(d, fname)
            if data is not None:
                with open(src, "wb") as f:
                    f.write(data)
            tgt = os.path.join(d, "targets.jsonl")
            with open(tgt, "w") as f:
                f.write(json.dumps({"prompt": "def f(x):\n", "text": "def f(x): return x"}) + "\n")
            out = os.path.join(d, "out.jsonl")
            p = subprocess.run(base + ["select", src, "--target", tgt, "-k", "10", "-o", out,
                                       "--scores-out", os.path.join(d, "scores.npy"), "-q",
                                       *extra], capture_output=True, text=True)
            left = sorted(f for f in os.listdir(d) if f not in (fname, "targets.jsonl"))
            msgs = [m.replace(d + os.sep, "") for m in p.stderr.strip().splitlines()]
            ok = p.returncode == want and "Traceback" not in p.stderr
            if want != 0:
                ok = ok and not left and len(msgs) == 1 and msgs[0].startswith("zipfit: error: ")
            else:
                ok = ok and "out.jsonl" in left and msgs and all(
                    m.startswith("zipfit: warning: ") for m in msgs)
            failures += not ok
            print(f"{'ok  ' if ok else 'FAIL'} {name}: exit {p.returncode}, "
                  f"files left: {left or 'none'}")
            for m in msgs:
                print(f"       {m}")
        finally:
            shutil.rmtree(d, ignore_errors=True)
    print("all cases behave" if not failures else f"{failures} case(s) misbehave")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
