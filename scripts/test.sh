#!/usr/bin/env bash
# What CI runs (.ci/run): set-up (packages, npm, build/), the whole test suite
# of build/ (every label), then the sanitizer tree (docs/fuzzing.md): build
# build-fuzz/ (ASan+UBSan, libFuzzer with clang 16), run each fuzz target for
# 60 s on its committed corpus (two at a time), and the readers' unit tests
# under the sanitizers. Every phase runs even when an earlier test phase
# failed (one CI run reports everything); the exit status is 1 when any did.
# The time of each phase is printed at the end.
#
#   scripts/test.sh [--no-sanitizers]
#
#   --no-sanitizers   stop after the test suite of build/ (no build-fuzz/)
set -uo pipefail

sanitizers=1
case "${1:-}" in
  "") ;;
  --no-sanitizers) sanitizers=0 ;;
  *) echo "usage: $0 [--no-sanitizers]" >&2; exit 2 ;;
esac

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
FUZZ_BUILD_DIR="${ONNXPORT_FUZZ_BUILD_DIR:-$ROOT/build-fuzz}"
JOBS=2  # the CI machine has 2 cores; each fuzz target uses one

phase_names=() phase_seconds=() phase_results=()
failed=0
# phase NAME COMMAND...: runs the command, records its time and result.
phase() {
  local name=$1 start=$SECONDS status=0
  shift
  echo "[test] ==== $name: $*" >&2
  "$@" || status=$?
  phase_names+=("$name")
  phase_seconds+=($((SECONDS - start)))
  if ((status == 0)); then phase_results+=(ok); else phase_results+=("FAILED ($status)"); failed=1; fi
  return "$status"
}

summary() {
  echo >&2
  echo "[test] phase                      seconds  result" >&2
  local i total=0
  for i in "${!phase_names[@]}"; do
    printf '[test] %-26s %7s  %s\n' "${phase_names[$i]}" "${phase_seconds[$i]}" "${phase_results[$i]}" >&2
    total=$((total + phase_seconds[i]))
  done
  printf '[test] %-26s %7s\n' total "$total" >&2
}
trap summary EXIT

# Without packages or a build nothing else can run.
phase setup bash scripts/setup.sh || exit 1
phase "tests (build/)" ctest --test-dir build --output-on-failure -j"$JOBS"
if ((sanitizers)); then
  if phase "sanitizer build" bash scripts/build_fuzz.sh "$FUZZ_BUILD_DIR"; then
    # A finding fails its test, which prints the input (tests/fuzz/run_fuzz_test.sh).
    phase "fuzz (60 s per target)" ctest --test-dir "$FUZZ_BUILD_DIR" -L '^fuzz$' --output-on-failure -j"$JOBS"
    phase "sanitized reader tests" ctest --test-dir "$FUZZ_BUILD_DIR" -L '^sanitized$' --output-on-failure -j"$JOBS"
  fi
fi
exit "$failed"
