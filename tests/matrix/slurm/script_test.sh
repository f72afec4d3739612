#!/usr/bin/env bash
# scripts/matrix-slurm.sh's job wiring on a real Slurm cluster, with a fake
# onnxport (fake_onnxport.sh) so that it does not depend on a matrix run:
# run by slurm_cluster.sh (ctest matrix.slurm_script).
#   - N=4: four array tasks, each with its --shard I/4 and -o OUT/shard-I and
#     the extra matrix arguments; one merge of the four parts into OUT, which
#     ran only after every shard had written its matrix.json; --wait exits 0;
#   - a merge that fails: --wait exits with the merge's exit code.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/matrix-slurm-script.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
failures=0
check() {  # check DESCRIPTION COMMAND...
  local what=$1
  shift
  if "$@"; then echo "ok   $what"; else echo "FAIL $what"; failures=$((failures + 1)); fi
}

echo '{"fake": true}' >"$WORK/m.json"
export FAKE_ONNXPORT_LOG="$WORK/calls.log"
"$ROOT/scripts/matrix-slurm.sh" --wait -o "$WORK/out put" --onnxport "$ROOT/tests/matrix/slurm/fake_onnxport.sh" \
  "$WORK/m.json" 4 --timeout 30 >"$WORK/ids.txt"
rc=$?
check "--wait exits 0 when the merge passed (got $rc)" test "$rc" -eq 0
check "prints the array and merge job ids" grep -Eq '^array-job [0-9]+$' "$WORK/ids.txt"
check "prints the merge job id" grep -Eq '^merge-job [0-9]+$' "$WORK/ids.txt"
for i in 0 1 2 3; do
  check "shard $i ran with --shard $i/4 -o OUT/shard-$i and the extra arguments" \
    grep -Fxq "matrix $WORK/m.json --shard $i/4 -o $WORK/out put/shard-$i -j 1 --timeout 30" "$FAKE_ONNXPORT_LOG"
done
check "the merge got the four parts and -o OUT" \
  grep -Fxq "matrix merge $WORK/out put/shard-0 $WORK/out put/shard-1 $WORK/out put/shard-2 $WORK/out put/shard-3 -o $WORK/out put" "$FAKE_ONNXPORT_LOG"
check "the merge ran last, after the four shards" test "$(tail -n 1 "$FAKE_ONNXPORT_LOG" | cut -d' ' -f2)" = merge
check "the merged matrix.json is there" grep -Fq '"merged": 4' "$WORK/out put/matrix.json"
check "exactly five calls" test "$(wc -l <"$FAKE_ONNXPORT_LOG")" -eq 5

FAKE_MERGE_EXIT=3 "$ROOT/scripts/matrix-slurm.sh" --wait -o "$WORK/failing" \
  --onnxport "$ROOT/tests/matrix/slurm/fake_onnxport.sh" "$WORK/m.json" 2 >/dev/null
rc=$?
check "--wait exits with the merge's exit code 3 when the merge fails (got $rc)" test "$rc" -eq 3

((failures == 0)) && echo "passed" || echo "$failures check(s) failed"
((failures == 0))
