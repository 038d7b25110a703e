#!/bin/sh
# Build and run the deflate engine benchmark (single thread, vs a zlib loop).
# -O3, as setup.py builds the extension.
# Usage: benchmarks/bench_deflate_engine.sh [seed] [nsources] [levels]
# Each level alternates the zlib loop and the engine ZF_REPEATS times (default 3)
# and reports medians.
# Targets are stdlib function definitions unless ZF_TARGETS names a file of
# length-prefixed texts (python benchmarks/dump_targets.py FILE writes HumanEval's).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
cc=${CC:-cc}
out=$root/benchmarks/bench_deflate_engine
$cc -std=c11 -O3 -o "$out" "$root/benchmarks/bench_deflate_engine.c" "$root/csrc/engine_deflate.c" \
    "$root/csrc/deflate_size.c" "$root/csrc/zf_zlib.c" "$root/csrc/zf_loop.c" -lz
ZF_PYLIB=${ZF_PYLIB:-$(${PYTHON:-python3} -c 'import sysconfig; print(sysconfig.get_paths()["stdlib"])')}
export ZF_PYLIB
uname -m; grep -m1 'model name' /proc/cpuinfo || true
"$out" "${1:-1}" "${2:-150}" "${3:-169}"
