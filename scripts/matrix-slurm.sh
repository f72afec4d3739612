#!/usr/bin/env bash
# Runs an `onnxport matrix` as N shards on Slurm and merges them
# (docs/matrix.md, "Shards on Slurm"):
#
#   scripts/matrix-slurm.sh [OPTIONS] MATRIX.json N [MATRIX ARGS...]
#
# submits one job array of N tasks (sbatch --array=0-(N-1)), task I running
#   onnxport matrix MATRIX.json --shard I/N -o OUT/shard-I -j CPUS [MATRIX ARGS...]
# and one merge job that starts when every task has ended, whatever their
# result (--dependency=afterany:ARRAY), running
#   onnxport matrix merge OUT/shard-0 ... OUT/shard-(N-1) -o OUT [MERGE ARGS...]
# The merge refuses missing or foreign shards, so a failed task shows up there.
# Prints "array-job ID" and "merge-job ID" on stdout.
#
# Options:
#   -o, --out DIR        results: OUT/shard-I per task, the merged matrix.json,
#                        matrix.md and matrix.html in OUT, job scripts and logs
#                        in OUT/slurm (default: ./matrix-out)
#   --onnxport PATH      the onnxport executable, on a file system the nodes
#                        share (default: $ONNXPORT, else onnxport on PATH, else
#                        build/bin/onnxport of this checkout)
#   --cpus-per-task N    CPUs of each task, its cells' parallelism (default 1)
#   --sbatch-arg ARG     passed to both sbatch calls (repeatable), e.g.
#                        --sbatch-arg=--partition=cpu --sbatch-arg=--time=60
#   --merge-arg ARG      passed to the merge (repeatable), e.g.
#                        --merge-arg=--baseline --merge-arg=tests/matrix/baseline.json
#   --wait               wait for the merge job; exit with its exit code (0 when
#                        the merged matrix has no regression, see docs/matrix.md)
#
# Exit status: 0 submitted (with --wait: the merge's exit code), 2 bad usage,
# 3 sbatch refused a submission, 4 --wait lost track of the merge job.
set -euo pipefail

usage() {
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '/^set -euo/d' -e 's/^# \{0,1\}//' >&2
  exit 2
}
die() { echo "matrix-slurm: error: $*" >&2; exit "${2:-2}"; }

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="matrix-out"
onnxport="${ONNXPORT:-}"
cpus=1
wait_for_merge=0
sbatch_args=()
merge_args=()

while (($# > 0)); do
  case "$1" in
    -o|--out) (($# >= 2)) || die "$1 needs a folder"; out=$2; shift 2 ;;
    --out=*) out=${1#*=}; shift ;;
    --onnxport) (($# >= 2)) || die "$1 needs a path"; onnxport=$2; shift 2 ;;
    --onnxport=*) onnxport=${1#*=}; shift ;;
    --cpus-per-task) (($# >= 2)) || die "$1 needs a number"; cpus=$2; shift 2 ;;
    --cpus-per-task=*) cpus=${1#*=}; shift ;;
    --sbatch-arg) (($# >= 2)) || die "$1 needs an argument"; sbatch_args+=("$2"); shift 2 ;;
    --sbatch-arg=*) sbatch_args+=("${1#*=}"); shift ;;
    --merge-arg) (($# >= 2)) || die "$1 needs an argument"; merge_args+=("$2"); shift 2 ;;
    --merge-arg=*) merge_args+=("${1#*=}"); shift ;;
    --wait) wait_for_merge=1; shift ;;
    -h|--help) usage ;;
    --) shift; break ;;
    -*) die "unknown option $1 (options come before MATRIX.json; see --help)" ;;
    *) break ;;
  esac
done
(($# >= 2)) || usage
matrix=$1
shards=$2
shift 2
matrix_args=("$@")

[[ -f "$matrix" ]] || die "$matrix: no such file"
[[ "$shards" =~ ^[1-9][0-9]*$ ]] || die "N must be a whole number of shards, at least 1 (got '$shards')"
[[ "$cpus" =~ ^[1-9][0-9]*$ ]] || die "--cpus-per-task must be at least 1 (got '$cpus')"
if [[ -z "$onnxport" ]]; then
  onnxport="$(command -v onnxport || true)"
  [[ -n "$onnxport" ]] || onnxport="$ROOT/build/bin/onnxport"
fi
[[ -x "$onnxport" ]] || die "$onnxport is not an executable onnxport (--onnxport PATH)"
command -v sbatch >/dev/null 2>&1 || die "sbatch not found: this needs a Slurm client (Debian: slurm-client)"

# The jobs run elsewhere, later: every path they see is absolute.
matrix="$(realpath "$matrix")"
onnxport="$(realpath "$onnxport")"
mkdir -p "$out/slurm/logs"
out="$(realpath "$out")"

# Shell-quoted words, joined by spaces (no trailing space).
quote() {
  local first=1 word
  for word in "$@"; do
    ((first)) || printf ' '
    printf '%q' "$word"
    first=0
  done
}

# The task's command is written to a script in OUT/slurm (kept: it is what ran).
{
  echo '#!/usr/bin/env bash'
  echo '# One shard of the matrix: written by scripts/matrix-slurm.sh, run by a Slurm array task.'
  echo 'set -euo pipefail'
  echo 'shard="${SLURM_ARRAY_TASK_ID:?this script runs as a Slurm array task}"'
  echo "exec $(quote "$onnxport" matrix "$matrix") --shard \"\$shard/$shards\" -o $(quote "$out")/shard-\"\$shard\" -j $cpus $(quote "${matrix_args[@]+"${matrix_args[@]}"}")"
} >"$out/slurm/shard.sh"
parts=()
for ((i = 0; i < shards; i++)); do parts+=("$out/shard-$i"); done
{
  echo '#!/usr/bin/env bash'
  echo "# The merge of the $shards shards: written by scripts/matrix-slurm.sh, run after the array."
  echo 'set -euo pipefail'
  echo "exec $(quote "$onnxport" matrix merge "${parts[@]}" -o "$out" "${merge_args[@]+"${merge_args[@]}"}")"
} >"$out/slurm/merge.sh"
chmod +x "$out/slurm/shard.sh" "$out/slurm/merge.sh"

submit() {
  local id
  if ! id="$(sbatch --parsable --chdir="$PWD" "${sbatch_args[@]+"${sbatch_args[@]}"}" "$@")"; then
    die "sbatch refused: sbatch $*" 3
  fi
  echo "${id%%;*}"  # --parsable prints "id" or "id;cluster"
}

array_id="$(submit --job-name=onnxport-matrix --array="0-$((shards - 1))" --cpus-per-task="$cpus" \
  --output="$out/slurm/logs/shard-%a.log" "$out/slurm/shard.sh")"
merge_id="$(submit --job-name=onnxport-matrix-merge --dependency="afterany:$array_id" --kill-on-invalid-dep=no \
  --output="$out/slurm/logs/merge.log" "$out/slurm/merge.sh")"
echo "array-job $array_id"
echo "merge-job $merge_id"
echo "matrix-slurm: $shards shard(s) in job array $array_id, merge in job $merge_id (after the array); results in $out" >&2

((wait_for_merge)) || exit 0

# scontrol's one-line record of a job: "JobState=... ExitCode=rc:signal ...".
job_field() { grep -o "$2=[^ ]*" <<<"$1" | head -n 1 | cut -d= -f2; }
delay=0.5
while :; do
  if ! record="$(scontrol show job -o "$merge_id" 2>/dev/null)" || [[ -z "$record" ]]; then
    die "merge job $merge_id is no longer known to slurmctld (MinJobAge passed?): see $out/slurm/logs/merge.log" 4
  fi
  state="$(job_field "$record" JobState)"
  case "$state" in
    PENDING|RUNNING|CONFIGURING|COMPLETING|SUSPENDED|REQUEUED|RESIZING|SIGNALING|STAGE_OUT) ;;
    *) break ;;
  esac
  sleep "$delay"
  [[ "$delay" == 0.5 ]] && delay=1
done
# Each shard's end, for the log (the merge says what it made of them).
while read -r task; do
  [[ -n "$task" ]] || continue
  echo "matrix-slurm: shard $(job_field "$task" ArrayTaskId): $(job_field "$task" JobState), exit $(job_field "$task" ExitCode)" >&2
done < <(scontrol show job -o "$array_id" 2>/dev/null || true)
exit_code="$(job_field "$record" ExitCode)"
echo "matrix-slurm: merge job $merge_id: $state, exit $exit_code (log: $out/slurm/logs/merge.log)" >&2
rc=${exit_code%%:*}
signal=${exit_code##*:}
if [[ "$state" != COMPLETED && "$rc" == 0 ]]; then rc=1; fi
if [[ "$signal" != 0 && "$rc" == 0 ]]; then rc=1; fi
exit "$rc"
