#!/usr/bin/env bash
# The full OpInfo op suite (tests/opinfo/README.md): every OpInfo of PyTorch's
# op database, float32/int64/bool, up to K samples each, through onnxport
# (opset 17, and 13 for each op's first float32 sample) and torch.onnx.export
# (opset 17), checked in ONNX Runtime against eager PyTorch. Regenerates
# docs/op-coverage.md and tests/opinfo/baseline.txt (the samples the ctest
# label `opinfo` holds onnxport to).
#
#   bash scripts/opinfo.sh [K]        # default K=3; about an hour on 2 cores
#
# Environment: JOBS (parallel shards, default 2), BUILD (default build),
# OUT (results folder, default build/opinfo), RESUME (results files of an
# earlier run: their samples are kept, only what they lack is run).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
K="${1:-3}"
JOBS="${JOBS:-2}"
BUILD="${BUILD:-build}"
OUT="${OUT:-$BUILD/opinfo}"
ONNXPORT="$BUILD/bin/onnxport"
[ -x "$ONNXPORT" ] || { echo "error: $ONNXPORT not built (cmake --build $BUILD)" >&2; exit 2; }
mkdir -p "$OUT"

# One shard. A sample that kills the Python process (PyTorch has died with
# SIGFPE inside a few samples) is left in RESULTS.inflight; the shard then
# resumes from what it wrote so far, which counts that sample as skipped.
run_shard() {
  local i=$1 round previous=($RESUME) out
  for ((round = 1; round <= 50; round++)); do
    out="$OUT/results-$i.round$round.jsonl"
    if nice -n 10 /usr/bin/python3 tests/opinfo/opinfo_run.py --onnxport "$ONNXPORT" -k "$K" --opset13 \
         --shard "$i/$JOBS" --work "$OUT/work-$i" --out "$out" ${previous[0]:+--resume "${previous[@]}"} \
         >> "$OUT/log-$i.txt" 2>&1; then
      mv "$out" "$OUT/results-$i.jsonl"
      rm -f "$OUT/results-$i".round*.jsonl "$OUT/results-$i".round*.jsonl.inflight
      return 0
    fi
    [ -f "$out.inflight" ] || return 1  # failed for another reason than a killed sample
    previous+=("$out")
  done
  return 1
}

rm -f "$OUT/log-"*.txt
pids=()
for ((i = 0; i < JOBS; i++)); do
  run_shard "$i" &
  pids+=($!)
done
status=0
for pid in "${pids[@]}"; do wait "$pid" || status=1; done
tail -n 4 "$OUT"/log-*.txt
[ "$status" -eq 0 ] || { echo "error: a shard failed (see $OUT/log-*.txt)" >&2; exit 1; }

/usr/bin/python3 tests/opinfo/coverage_doc.py "$OUT"/results-*.jsonl -o docs/op-coverage.md \
  --command "bash scripts/opinfo.sh $K" --baseline tests/opinfo/baseline.txt
