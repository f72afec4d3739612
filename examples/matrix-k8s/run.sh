#!/usr/bin/env bash
# Shards, then merge, on Kubernetes (docs/matrix-scale-out.md): applies the
# Indexed Job of indexed-job.yaml, waits until it has completed or failed
# (the afterany of Slurm: the merge says which shards are missing), then
# applies the merge Job, waits for it and prints its log.
#
#   examples/matrix-k8s/run.sh [TIMEOUT, default 2h]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
timeout=${1:-2h}
shards=job/onnxport-matrix-shards
merge=job/onnxport-matrix-merge

kubectl delete "$shards" "$merge" --ignore-not-found
# The first document of the file is the shards' Job, the second the merge.
kubectl apply -f <(awk '/^---$/ { exit } { print }' "$here/indexed-job.yaml")
kubectl wait --for=condition=complete "$shards" --timeout="$timeout" &
complete=$!
kubectl wait --for=condition=failed "$shards" --timeout="$timeout" &
failed=$!
wait -n "$complete" "$failed" || true
kill "$complete" "$failed" 2>/dev/null || true

kubectl apply -f <(awk 'found { print } /^---$/ { found = 1 }' "$here/indexed-job.yaml")
kubectl wait --for=condition=complete "$merge" --timeout="$timeout" || true
kubectl logs "$merge"
[[ "$(kubectl get "$merge" -o jsonpath='{.status.succeeded}')" == 1 ]]
