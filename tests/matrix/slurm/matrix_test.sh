#!/usr/bin/env bash
# A real matrix in 4 shards on a real Slurm cluster equals the same matrix run
# in one process, cell for cell (ctest matrix.slurm_matrix, run by
# slurm_cluster.sh):
#
#   matrix_test.sh ONNXPORT MATRIX.json SINGLE_DIR
#
# SINGLE_DIR holds the single-process run's matrix.json (ctest fixture
# matrix.tiny_run). scripts/matrix-slurm.sh --wait runs the shards and the
# merge; the merged matrix.json must equal the single one apart from times
# ("seconds" at any depth), cells in the same order, and the merge must have
# written matrix.md and matrix.html too.
set -uo pipefail
(($# == 3)) || { echo "usage: $0 ONNXPORT MATRIX.json SINGLE_DIR" >&2; exit 2; }
onnxport=$1 matrix=$2 single=$3
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/matrix-slurm-real.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

[[ -f "$single/matrix.json" ]] || { echo "FAIL no single-process run in $single (fixture matrix.tiny_run)"; exit 1; }
start=$SECONDS
"$ROOT/scripts/matrix-slurm.sh" --wait -o "$WORK/out" --onnxport "$onnxport" "$matrix" 4
rc=$?
echo "shards and merge on Slurm: $((SECONDS - start)) s, exit $rc"
if ((rc != 0)); then
  for log in "$WORK"/out/slurm/logs/*.log; do echo "--- $log"; tail -n 20 "$log"; done
  echo "FAIL scripts/matrix-slurm.sh --wait exited $rc"
  exit 1
fi
for f in matrix.md matrix.html; do
  [[ -s "$WORK/out/$f" ]] || { echo "FAIL the merge wrote no $f"; exit 1; }
done
/usr/bin/python3 - "$single/matrix.json" "$WORK/out/matrix.json" <<'PY'
import json, sys

def without_times(value):
    if isinstance(value, dict):
        return {k: without_times(v) for k, v in value.items() if k != "seconds"}
    if isinstance(value, list):
        return [without_times(v) for v in value]
    return value

single, merged = (without_times(json.load(open(p))) for p in sys.argv[1:3])
problems = []
ids = [c["id"] for c in single["cells"]]
merged_ids = [c["id"] for c in merged["cells"]]
if ids != merged_ids:
    problems.append("cells differ: single %s, merged %s" % (ids, merged_ids))
else:
    for a, b in zip(single["cells"], merged["cells"]):
        if a != b:
            keys = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
            problems.append("cell %s differs in %s: single %s, merged %s"
                            % (a["id"], keys, {k: a.get(k) for k in keys}, {k: b.get(k) for k in keys}))
for key in sorted(set(single) | set(merged)):
    if key not in ("cells", "timing") and single.get(key) != merged.get(key):
        problems.append("%s differs: single %s, merged %s" % (key, single.get(key), merged.get(key)))
if len(ids) < 4:
    problems.append("only %d cells: the test needs at least one per shard" % len(ids))
statuses = sorted({c["status"] for c in single["cells"]})
for p in problems:
    print("FAIL " + p)
if not problems:
    print("ok   the merged matrix of 4 shards equals the single-process run: %d cells (%s), times aside"
          % (len(ids), ", ".join(statuses)))
sys.exit(1 if problems else 0)
PY
