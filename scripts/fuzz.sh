#!/usr/bin/env bash
# Runs the libFuzzer targets (tests/fuzz, docs/fuzzing.md) for longer than CI
# does, merges the inputs that add coverage into the repository's corpus
# (tests/fuzz/corpus/<target>, -merge=1), and prints how many inputs each
# target executed. Configures and builds build-fuzz/ with clang if needed.
#
#   scripts/fuzz.sh [--time SECONDS | --runs N] [--jobs J] [--no-merge] [TARGET...]
#
#   --time SECONDS  how long each target runs (default 600)
#   --runs N        stop each target after N inputs instead (e.g. 1000000)
#   --jobs J        targets fuzzed at the same time (default 1; each uses one core)
#   --no-merge      leave the repository's corpus as it is
#   TARGET          program_json safetensors config onnx_model whole_program (default: all)
#
# Runs niced. Exit status 1 when a target found something: the input is in
# build-fuzz/fuzz-work/<target>/artifacts and printed like in CI.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${ONNXPORT_FUZZ_BUILD_DIR:-$ROOT/build-fuzz}"
ALL_TARGETS=(program_json safetensors config onnx_model whole_program)

seconds=600 runs="" jobs=1 merge=1 targets=()
while (($#)); do
  case "$1" in
    --time) seconds=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    --no-merge) merge=0; shift ;;
    -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "fuzz.sh: unknown option $1" >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done
((${#targets[@]})) || targets=("${ALL_TARGETS[@]}")
for t in "${targets[@]}"; do
  [[ " ${ALL_TARGETS[*]} " == *" $t "* ]] || { echo "fuzz.sh: unknown target $t (${ALL_TARGETS[*]})" >&2; exit 2; }
done

bash "$ROOT/scripts/build_fuzz.sh" "$BUILD_DIR"

# One target: fuzz into its work folder (kept between runs), then merge.
fuzz_one() {
  local t=$1
  local binary="$BUILD_DIR/bin/fuzz_$t" corpus="$ROOT/tests/fuzz/corpus/$t"
  local work="$BUILD_DIR/fuzz-work/$t"
  mkdir -p "$work/new" "$work/artifacts"
  local limit=(-max_total_time="$seconds")
  [[ -n "$runs" ]] && limit=(-runs="$runs")
  local options=() flag
  if [[ -f "$ROOT/tests/fuzz/$t.options" ]]; then  # extra flags, as in CI (run_fuzz_test.sh)
    while read -r flag _; do
      [[ -z "$flag" || "$flag" == \#* ]] || options+=("$flag")
    done <"$ROOT/tests/fuzz/$t.options"
  fi
  local start=$SECONDS status=0
  nice -n 19 "$binary" "$work/new" "$corpus" \
    -dict="$ROOT/tests/fuzz/$t.dict" "${limit[@]}" \
    -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=2048 \
    -artifact_prefix="$work/artifacts/" -print_final_stats=1 "${options[@]}" >"$work/fuzz.log" 2>&1 || status=$?
  local elapsed=$((SECONDS - start))
  local executions
  executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/fuzz.log" | tail -1)
  local added=0
  if ((merge)) && ((status == 0)); then
    local before after
    before=$(find "$corpus" -type f | wc -l)
    nice -n 19 "$binary" -merge=1 "$corpus" "$work/new" >"$work/merge.log" 2>&1
    after=$(find "$corpus" -type f | wc -l)
    added=$((after - before))
  fi
  printf '%s %s %s %s %s\n' "$t" "${executions:-0}" "$elapsed" "$added" "$status" >"$work/summary"
  if ((status != 0)); then
    echo "fuzz.sh: $t: FINDING (exit status $status); the last lines of $work/fuzz.log:" >&2
    tail -n 60 "$work/fuzz.log" >&2
    for file in "$work"/artifacts/{crash,leak,timeout,oom,deadly}-*; do
      [[ -f "$file" ]] || continue
      echo "failing input $file (base64):" >&2
      head -c 65536 "$file" | base64 -w 76 >&2
    done
  fi
}

running=0
for t in "${targets[@]}"; do
  rm -f "$BUILD_DIR/fuzz-work/$t/summary"
  fuzz_one "$t" &
  running=$((running + 1))
  if ((running >= jobs)); then
    wait -n || true
    running=$((running - 1))
  fi
done
wait || true

echo
printf '%-14s %12s %8s %10s %12s  %s\n' target executions seconds exec/s "corpus +" result
failed=0
for t in "${targets[@]}"; do
  read -r name executions elapsed added status <"$BUILD_DIR/fuzz-work/$t/summary"
  rate=$((elapsed > 0 ? executions / elapsed : executions))
  result="no finding"
  if ((status != 0)); then result="FINDING (see $BUILD_DIR/fuzz-work/$t/artifacts)"; failed=1; fi
  printf '%-14s %12s %8s %10s %12s  %s\n' "$name" "$executions" "$elapsed" "$rate" "$added" "$result"
done
exit "$failed"
