#!/bin/sh
# Build the libFuzzer target (clang, ASan/UBSan) and run it for a bounded
# time.  Usage: fuzz/run.sh [seconds=60] [extra libFuzzer flags...]
# Needs clang (Debian: apt-get install clang).  Corpus: fuzz/corpus/.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
secs=${1:-60}
[ $# -gt 0 ] && shift
cc=${CC:-clang}
if ! command -v "$cc" >/dev/null 2>&1; then
    echo "fuzz/run.sh: $cc not found (Debian/Ubuntu: apt-get install clang)" >&2
    exit 2
fi
out=$here/fuzz_deflate_size
$cc -std=c11 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    -o "$out" "$here/fuzz_deflate_size.c" "$root/csrc/engine_deflate.c" \
    "$root/csrc/deflate_size.c" "$root/csrc/zf_zlib.c" "$root/csrc/zf_loop.c" -lz
mkdir -p "$here/corpus"
# Seed the corpus with a few real texts split at different points.
if [ -z "$(ls -A "$here/corpus")" ]; then
    i=0
    for f in "$root"/csrc/*.c "$root"/csrc/*.h; do
        [ -f "$f" ] || continue
        i=$((i + 1))
        { printf "\\$(printf %o $((i % 9)))\\$(printf %o $((i % 7)))\\002\\000"; head -c 3000 "$f"; } \
            >"$here/corpus/seed$i"
    done
fi
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} "$out" -max_total_time="$secs" -max_len=70000 \
    -timeout=30 -print_final_stats=1 "$@" "$here/corpus"
