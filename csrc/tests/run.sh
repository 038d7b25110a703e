#!/bin/sh
# Build the engines' differential tests with ASan/UBSan and run them:
#   test_deflate_size  zf_engine_deflate against the system zlib
#   test_lz4_size      zf_engine_lz4 against the system liblz4 (LZ4F frames
#                      with python-lz4's default preferences)
# Usage: csrc/tests/run.sh [seed] [scale]
# Needs the zlib and liblz4 headers (Debian: zlib1g-dev liblz4-dev).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
csrc=$(dirname "$here")
cc=${CC:-cc}
out=${OUT:-$here}
cflags="-std=c11 -O2 -g -Wall -Wextra -fsanitize=address,undefined -fno-sanitize-recover=undefined"
# Real text for the generators: a Python standard library's .py files.
if [ -z "${ZF_TEST_CORPUS_DIR:-}" ] && command -v python3 >/dev/null 2>&1; then
    ZF_TEST_CORPUS_DIR=$(python3 -c 'import os; print(os.path.dirname(os.__file__))' || true)
    export ZF_TEST_CORPUS_DIR
fi
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0}
# deflate twice: as built here, and with -DDS_PORTABLE (the plain-C paths
# other CPUs take instead of the x86-64 asm/SSE2 ones).
for flags in "" -DDS_PORTABLE; do
    echo "build: test_deflate_size ${flags:-native}"
    # shellcheck disable=SC2086
    $cc $cflags $flags -o "$out/test_deflate_size" "$here/test_deflate_size.c" \
        "$csrc/engine_deflate.c" "$csrc/deflate_size.c" "$csrc/zf_zlib.c" "$csrc/zf_loop.c" \
        -lz -lpthread
    "$out/test_deflate_size" "${1:-1}" "${2:-1}"
done
# lz4 once: lz4_size.c has no platform-specific paths (no DS_PORTABLE).
echo "build: test_lz4_size"
# shellcheck disable=SC2086
$cc $cflags -o "$out/test_lz4_size" "$here/test_lz4_size.c" "$csrc/engine_lz4.c" \
    "$csrc/lz4_size.c" "$csrc/zf_loop.c" -llz4 -lpthread
"$out/test_lz4_size" "${1:-1}" "${2:-1}"
