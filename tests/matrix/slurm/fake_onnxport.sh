#!/usr/bin/env bash
# A stand-in for `onnxport matrix` in the test of scripts/matrix-slurm.sh's
# job wiring (slurm/script_test.sh): each call appends its arguments to
# $FAKE_ONNXPORT_LOG; a shard writes OUT/matrix.json naming its shard; the
# merge fails unless every part it is given has its matrix.json (so it fails
# when it runs before the shards have ended), then writes OUT/matrix.json
# listing the parts, and exits with $FAKE_MERGE_EXIT (default 0).
set -euo pipefail
echo "$*" >>"${FAKE_ONNXPORT_LOG:?}"
[[ "${1:-}" == matrix ]] || { echo "fake onnxport: only 'matrix' is faked" >&2; exit 2; }
shift
out=""
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  [[ "${args[$i]}" == -o ]] && out=${args[$((i + 1))]}
done
[[ -n "$out" ]] || { echo "fake onnxport: no -o" >&2; exit 2; }
if [[ "${1:-}" == merge ]]; then
  shift
  parts=()
  while (($# > 0)) && [[ "$1" != -o ]]; do parts+=("$1"); shift; done
  for part in "${parts[@]}"; do
    [[ -f "$part/matrix.json" ]] || { echo "fake onnxport: $part/matrix.json missing" >&2; exit 1; }
  done
  mkdir -p "$out"
  printf '{"merged": %d}\n' "${#parts[@]}" >"$out/matrix.json"
  exit "${FAKE_MERGE_EXIT:-0}"
fi
shard=""
for ((i = 0; i < ${#args[@]}; i++)); do
  [[ "${args[$i]}" == --shard ]] && shard=${args[$((i + 1))]}
done
sleep 1  # a merge that did not wait for the shards would find no matrix.json
mkdir -p "$out"
printf '{"shard": "%s"}\n' "$shard" >"$out/matrix.json"
