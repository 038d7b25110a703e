#!/bin/sh
# Build the differential test of zf_engine_deflate against the system zlib
# with ASan/UBSan and run it.  Usage: csrc/tests/run.sh [seed] [scale]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
csrc=$(dirname "$here")
cc=${CC:-cc}
out=${OUT:-$here/test_deflate_size}
$cc -std=c11 -O2 -g -Wall -Wextra -fsanitize=address,undefined -fno-sanitize-recover=undefined \
    -o "$out" "$here/test_deflate_size.c" "$csrc/engine_deflate.c" "$csrc/deflate_size.c" \
    "$csrc/zf_zlib.c" "$csrc/zf_loop.c" -lz -lpthread
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0} "$out" "${1:-1}" "${2:-1}"
