#!/bin/sh
# A/B of the deflate engine at two git revisions (or the work tree): builds
# benchmarks/bench_deflate_engine.c from each, runs the two alternately on one
# level and seed, and prints each one's engine µs per pair and its ratio to the
# plain C zlib loop, run by run and as medians.  Alternating, on the same
# machine, is what makes a difference of a few percent visible through noise.
#
# Usage: benchmarks/ab_deflate_engine.sh REV_A REV_B [level] [runs] [seed] [nsources]
#   REV: a git revision, or WORKTREE for the files as they are now.
# Example: benchmarks/ab_deflate_engine.sh HEAD~1 HEAD 9 7 11
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
[ $# -ge 2 ] || { sed -n '2,11p' "$0" >&2; exit 2; }
level=${3:-9}
runs=${4:-5}
seed=${5:-11}
nsrc=${6:-150}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for side in A B; do
    if [ "$side" = A ]; then rev=$1; else rev=$2; fi
    mkdir -p "$tmp/$side"
    if [ "$rev" = WORKTREE ]; then
        cp -r "$root/csrc" "$root/benchmarks" "$tmp/$side/"
    else
        git -C "$root" archive "$rev" csrc benchmarks | tar -x -C "$tmp/$side"
    fi
    d=$tmp/$side
    ${CC:-cc} -std=c11 -O3 -o "$d/bench" "$d/benchmarks/bench_deflate_engine.c" \
        "$d/csrc/engine_deflate.c" "$d/csrc/deflate_size.c" "$d/csrc/zf_zlib.c" \
        "$d/csrc/zf_loop.c" -lz
done
ZF_PYLIB=${ZF_PYLIB:-$(${PYTHON:-python3} -c 'import sysconfig; print(sysconfig.get_paths()["stdlib"])')}
export ZF_PYLIB
echo "A = $1, B = $2; level $level, seed $seed, $nsrc sources, $runs alternating runs"
i=0
while [ "$i" -lt "$runs" ]; do
    for side in A B; do
        ZF_REPEATS=1 "$tmp/$side/bench" "$seed" "$nsrc" "$level" | tail -1 |
            awk -v s="$side" '{print s, $3, $4}'
    done
    i=$((i + 1))
done | awk '
    function median(v, n,   i, j, t) {
        for (i = 2; i <= n; i++)
            for (j = i; j > 1 && v[j - 1] > v[j]; j--) { t = v[j]; v[j] = v[j - 1]; v[j - 1] = t }
        return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
    }
    { n[$1]++; us[$1, n[$1]] = $2; r = $3; sub(/x$/, "", r); ra[$1, n[$1]] = r
      line[$1] = line[$1] sprintf(" %s/%s", $2, $3) }
    END {
        for (s = 0; s < 2; s++) {
            k = s ? "B" : "A"
            for (i = 1; i <= n[k]; i++) { u[i] = us[k, i]; q[i] = ra[k, i] }
            printf "%s: us/pair / ratio per run:%s\n   median %.2f us/pair, %.2fx\n", k, line[k], median(u, n[k]), median(q, n[k])
        }
    }'
