#!/usr/bin/env bash
# Peak memory of `zipfit select` over 300,000 source documents x 16 targets, -k 1000.
# Needs GNU time (/usr/bin/time; apt-get install time).  Usage:
#   bash benchmarks/check_cli_memory.sh [N_SOURCES] [LEVEL] [WORKDIR]
set -euo pipefail
N=${1:-300000}
LEVEL=${2:-1}
DIR=${3:-/tmp/zipfit-mem}
cd "$(dirname "$0")/.."
mkdir -p "$DIR"
[ -f "$DIR/sources.jsonl" ] && [ "$(wc -l < "$DIR/sources.jsonl")" -eq "$N" ] || \
    python examples/make_data.py --n-sources "$N" --out-dir "$DIR"
ls -l "$DIR/sources.jsonl"
/usr/bin/time -v zipfit select "$DIR/sources.jsonl" --target "$DIR/targets.jsonl" \
    --target-template "{prompt}{canonical_solution}" -k 1000 --compressor gzip --level "$LEVEL" \
    -o "$DIR/selected.jsonl" 2> "$DIR/time.log"
grep -E "^zipfit:|Maximum resident|Elapsed \(wall" "$DIR/time.log"
wc -l < "$DIR/selected.jsonl"
