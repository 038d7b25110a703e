#!/bin/sh
# Build the differential test of zf_engine_deflate against the system zlib
# with ASan/UBSan and run it.  Usage: csrc/tests/run.sh [seed] [scale]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
csrc=$(dirname "$here")
cc=${CC:-cc}
out=${OUT:-$here/test_deflate_size}
# Twice: as built here, and with -DDS_PORTABLE (the plain-C paths other CPUs
# take instead of the x86-64 asm/SSE2 ones).
for flags in "" -DDS_PORTABLE; do
    echo "build: ${flags:-native}"
    $cc -std=c11 -O2 -g -Wall -Wextra -fsanitize=address,undefined -fno-sanitize-recover=undefined \
        $flags -o "$out" "$here/test_deflate_size.c" "$csrc/engine_deflate.c" \
        "$csrc/deflate_size.c" "$csrc/zf_zlib.c" "$csrc/zf_loop.c" -lz -lpthread
    ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0} "$out" "${1:-1}" "${2:-1}"
done
