#!/bin/sh
# Build the libFuzzer targets (clang, ASan/UBSan) and run each for a share of
# a bounded time:
#   fuzz_deflate_size  zf_engine_deflate against the system zlib
#   fuzz_lz4_size      zf_engine_lz4 against the system liblz4
# Usage: fuzz/run.sh [seconds=60] [extra libFuzzer flags...]
# The seconds are split evenly between the targets.  Needs clang and the
# zlib and liblz4 headers (Debian: apt-get install clang libclang-rt-14-dev
# zlib1g-dev liblz4-dev).  Corpora: fuzz/corpus/<target>/.  Prints each
# target's final statistics; on a failure, the end of its log, and exits 1.
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
targets="deflate_size lz4_size"
share=$((secs / 2))
[ "$share" -ge 1 ] || share=1
cflags="-std=c11 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined"
# shellcheck disable=SC2086
$cc $cflags -o "$here/fuzz_deflate_size" "$here/fuzz_deflate_size.c" \
    "$root/csrc/engine_deflate.c" "$root/csrc/deflate_size.c" "$root/csrc/zf_zlib.c" \
    "$root/csrc/zf_loop.c" -lz
# shellcheck disable=SC2086
$cc $cflags -o "$here/fuzz_lz4_size" "$here/fuzz_lz4_size.c" "$root/csrc/engine_lz4.c" \
    "$root/csrc/lz4_size.c" "$root/csrc/zf_loop.c" -llz4

# Corpora from before the lz4 target lived directly in fuzz/corpus/.
mkdir -p "$here/corpus/deflate_size" "$here/corpus/lz4_size"
for f in "$here"/corpus/*; do
    if [ -f "$f" ]; then mv "$f" "$here/corpus/deflate_size/"; fi
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
status=0
for t in $targets; do
    corpus=$here/corpus/$t
    # Seeds: a few real texts split at different points, each also in the
    # targets' long mode (byte 1 >= 0xc0) and the lz4 target's medium mode
    # (0x80-0xbf), which mutations alone rarely reach.  Written when
    # missing, so older corpora get them too.
    i=0
    for f in "$root"/csrc/*.c "$root"/csrc/*.h; do
        [ -f "$f" ] || continue
        i=$((i + 1))
        for mode in seed long med; do
            [ -f "$corpus/$mode$i" ] && continue
            case $mode in
            long) b1=$((192 + (i * 13) % 64)) ;;
            med) b1=$((128 + (i * 13) % 64)) ;;
            *) b1=$((i % 7)) ;;
            esac
            { printf "\\$(printf %o $((i % 9)))\\$(printf %o $b1)\\002\\000"; head -c 3000 "$f"; } \
                >"$corpus/$mode$i"
        done
    done
    log=$tmp/$t.log
    if ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} "$here/fuzz_$t" -max_total_time="$share" \
        -max_len=70000 -timeout=30 -print_final_stats=1 "$@" "$corpus" >"$log" 2>&1; then
        grep -E '^(Done |stat::)' "$log" | sed "s/^/fuzz_$t: /"
    else
        tail -n 60 "$log"
        echo "fuzz_$t: FAILED (log above; crash input in the working directory)" >&2
        status=1
    fi
done
exit $status
