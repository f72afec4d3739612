#!/usr/bin/env bash
# Runs every benchmark of bench/ and assembles docs/performance.md from
# bench/results/*.md (bench/README.md). Options are passed to nothing: each
# benchmark runs with its defaults; set ONNXPORT to use another binary.
#   bash bench/run.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PY=/usr/bin/python3   # the interpreter with torch 1.13 (vs_torch, vit_b_16's bundle)
ONNXPORT=${ONNXPORT:-build/bin/onnxport}
WORK=${BENCH_WORK:-/tmp/onnxport-bench}
mkdir -p "$WORK"
status=0
run() {  # a failing benchmark is reported, the others still run
  echo "== $*"
  "$@" || { echo "bench/run.sh: '$*' failed" >&2; status=1; }
}
run $PY bench/scaling.py --onnxport "$ONNXPORT" --work "$WORK/scaling"
run $PY bench/weights.py --onnxport "$ONNXPORT" --work "$WORK/weights"
if [ -f bench/vs_torch.py ]; then
  run $PY bench/vs_torch.py --onnxport "$ONNXPORT"
fi
$PY bench/assemble_performance.py
exit $status
