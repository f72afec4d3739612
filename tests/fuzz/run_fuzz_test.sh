#!/usr/bin/env bash
# One fuzz ctest (tests/fuzz/CMakeLists.txt, label fuzz): runs a libFuzzer
# target for a fixed time on a copy of its seed corpus and fails on any
# finding: a crash, a sanitizer report, an exception that is not an
# InputError, a hang (-timeout), a leak, or an allocation beyond the limits.
# The failing input is printed (base64 and a hexdump) and kept in the
# artifacts folder. The repository's corpus is read, never written.
#
#   run_fuzz_test.sh TARGET_BINARY CORPUS_DIR DICT SECONDS ARTIFACT_DIR
set -uo pipefail

if (($# != 5)); then
  echo "usage: $0 TARGET_BINARY CORPUS_DIR DICT SECONDS ARTIFACT_DIR" >&2
  exit 2
fi
binary=$1 corpus=$2 dict=$3 seconds=$4 artifacts=$5
target=$(basename "$binary")

if [[ ! -x "$binary" ]]; then
  echo "skipped: $binary was not built"
  exit 77
fi

# Extra libFuzzer flags of this target, if any: tests/fuzz/<target>.options
# beside its dictionary (one flag per line, # comments), shared with
# scripts/fuzz.sh.
options=()
options_file="${dict%.dict}.options"
if [[ -f "$options_file" ]]; then
  while read -r flag _; do
    [[ -z "$flag" || "$flag" == \#* ]] || options+=("$flag")
  done <"$options_file"
fi

rm -rf "$artifacts"
mkdir -p "$artifacts"
work=$(mktemp -d "${TMPDIR:-/tmp}/onnxport-fuzz-corpus.XXXXXX")
trap 'rm -rf "$work"' EXIT
log="$artifacts/fuzz.log"

# New inputs go to $work (the first folder); the seeds are only read.
# -timeout: one input taking longer is a hang. -rss_limit_mb/-malloc_limit_mb:
# a small input must not make the host allocate gigabytes.
UBSAN_OPTIONS="${UBSAN_OPTIONS:-}:print_stacktrace=1" \
"$binary" "$work" "$corpus" \
  -dict="$dict" \
  -max_total_time="$seconds" \
  -timeout=10 \
  -rss_limit_mb=2048 \
  -malloc_limit_mb=2048 \
  -artifact_prefix="$artifacts/" \
  -print_final_stats=1 "${options[@]}" >"$log" 2>&1
status=$?

executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
seeds=$(find "$corpus" -type f 2>/dev/null | wc -l)
findings=()
while IFS= read -r -d '' file; do
  findings+=("$file")
done < <(find "$artifacts" -maxdepth 1 -type f \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' \
                                                 -o -name 'oom-*' -o -name 'deadly-*' \) -print0)

if ((status == 0 && ${#findings[@]} == 0)); then
  echo "$target: ${executions:-?} executions in ${seconds} s from ${seeds} seeds, no finding"
  grep -E '^(stat::|Done)' "$log" || true
  exit 0
fi

echo "$target: FINDING after ${executions:-?} executions (libFuzzer exit status $status)"
echo "---- the last 80 lines of $log"
tail -n 80 "$log"
for file in "${findings[@]}"; do
  size=$(stat -c %s "$file")
  echo "---- failing input: $file ($size bytes)"
  echo "base64:"
  head -c 65536 "$file" | base64 -w 76
  echo "hexdump (first 1024 bytes):"
  head -c 1024 "$file" | od -A x -t x1z -v
  echo "reproduce: $binary $file"
done
exit 1
