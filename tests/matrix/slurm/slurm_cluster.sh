#!/usr/bin/env bash
# A real one-node Slurm cluster on localhost for the length of one command
# (issue 12, docs/matrix.md "Shards on Slurm"):
#
#   tests/matrix/slurm_cluster.sh COMMAND [ARGS...]
#
# starts munged, slurmctld and slurmd (Debian's munge and slurm-wlm, installed
# by scripts/setup.sh) with every file they use in a fresh temporary folder
# (key, sockets, pid files, logs, state, spool) and ports picked free, waits
# until the node is idle, runs COMMAND with SLURM_CONF pointing at the
# cluster (sbatch, squeue, scontrol then talk to it, not to any other), and
# stops everything it started, whatever happens. It never touches the
# machine's own munge or Slurm, and it kills only the processes it started.
#
# Exit status: COMMAND's; 77 (ctest's skip code here) when the cluster cannot
# be started on this machine (not root, a package missing, munge not working,
# a daemon that exits at start), with the reason on stderr; 1 when the daemons
# run but the node never becomes idle (a broken configuration, not a missing
# component: that must fail, not skip).
#
# SLURM_CLUSTER_KEEP=1 keeps the temporary folder (logs) for a look afterwards.
set -uo pipefail

SKIP=77
log() { echo "[slurm-cluster] $*" >&2; }
skip() { log "SKIPPED: $*"; exit "$SKIP"; }

if (($# == 0)); then
  echo "usage: $0 COMMAND [ARGS...]" >&2
  exit 2
fi

# --- can this machine run it at all? --------------------------------------------
[[ "$(id -u)" -eq 0 ]] || skip "needs root (slurmd runs jobs as their user and SlurmUser=root here)"
for tool in munged mungekey munge unmunge slurmctld slurmd sbatch sinfo squeue scontrol scancel; do
  command -v "$tool" >/dev/null 2>&1 ||
    skip "$tool not found (Debian packages slurm-wlm and munge, scripts/setup.sh)"
done

NODE="$(hostname -s)"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/onnxport-slurm.XXXXXX")" || skip "cannot create a temporary folder"
chmod 700 "$WORK"
mkdir -p "$WORK/munge" "$WORK/log" "$WORK/state" "$WORK/spool"
chmod 700 "$WORK/munge"

STARTED_PIDS=()
stop_cluster() {
  local status=$?
  trap - EXIT INT TERM
  if [[ -n "${SLURM_CONF:-}" ]] && ((${#STARTED_PIDS[@]} > 1)); then
    # Jobs still queued or running end first, so that no slurmstepd outlives
    # the daemons. scancel talks only to this cluster (SLURM_CONF).
    scancel --quiet --full --user="$(id -un)" 2>/dev/null
    local i
    for ((i = 0; i < 50; i++)); do
      [[ -z "$(squeue -h -o %i 2>/dev/null)" ]] && break
      sleep 0.2
    done
  fi
  # Stop in the reverse order of starting: slurmd, slurmctld, munged.
  local pid k
  for ((k = ${#STARTED_PIDS[@]} - 1; k >= 0; k--)); do
    pid=${STARTED_PIDS[$k]}
    kill -TERM "$pid" 2>/dev/null || continue
    for ((i = 0; i < 50; i++)); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  done
  if [[ "${SLURM_CLUSTER_KEEP:-0}" == 1 ]]; then
    log "kept $WORK"
  else
    rm -rf "$WORK"
  fi
  exit "$status"
}
trap stop_cluster EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# A daemon that died: its log's last lines say why.
show_log() {
  local file=$1
  [[ -f "$file" ]] && { log "--- last lines of $file:"; tail -n 15 "$file" >&2; }
}
alive() { kill -0 "$1" 2>/dev/null; }

# Two free TCP ports for slurmctld and slurmd (the defaults 6817/6818 may be
# taken by the machine's own Slurm or by another run of this test).
read -r CTLD_PORT SLURMD_PORT < <(/usr/bin/python3 - <<'EOF'
import socket
sockets = [socket.socket() for _ in range(2)]
for s in sockets:
    s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in sockets])
EOF
) || skip "cannot find free ports"

# --- munge -------------------------------------------------------------------------------
MUNGE_SOCKET="$WORK/munge/munge.socket"
mungekey --create --keyfile="$WORK/munge/munge.key" >/dev/null 2>&1 ||
  dd if=/dev/urandom of="$WORK/munge/munge.key" bs=1024 count=1 status=none ||
  skip "cannot create a munge key"
chmod 600 "$WORK/munge/munge.key"
# --force: the temporary folder's parent (/tmp) is world-writable, which
# munged would otherwise refuse for its socket's folder.
munged --foreground --force --socket="$MUNGE_SOCKET" --key-file="$WORK/munge/munge.key" \
  --pid-file="$WORK/munge/munged.pid" --log-file="$WORK/log/munged.log" \
  --seed-file="$WORK/munge/munged.seed" 2>>"$WORK/log/munged.stderr" &
STARTED_PIDS+=($!)
for ((i = 0; i < 50; i++)); do
  [[ -S "$MUNGE_SOCKET" ]] && break
  alive "${STARTED_PIDS[0]}" || break
  sleep 0.1
done
if ! munge --socket="$MUNGE_SOCKET" -n 2>/dev/null | unmunge --socket="$MUNGE_SOCKET" >/dev/null 2>&1; then
  show_log "$WORK/log/munged.log"
  show_log "$WORK/log/munged.stderr"
  skip "munged did not start or cannot encode/decode a credential"
fi

# --- slurm.conf ------------------------------------------------------------------------------
# No cgroups (proctrack/linuxproc, task/none), no accounting: what runs in a
# container or a CI runner without a systemd-managed cgroup tree.
MEMORY_MB=$(awk '/^MemTotal:/ { m = int($2 / 1024 / 2); print (m > 4096 ? 4096 : m) }' /proc/meminfo)
CPUS=$(nproc)
export SLURM_CONF="$WORK/slurm.conf"
: >"$WORK/plugstack.conf"
cat >"$SLURM_CONF" <<EOF
ClusterName=onnxport-test
SlurmctldHost=$NODE(127.0.0.1)
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$MUNGE_SOCKET
StateSaveLocation=$WORK/state
SlurmdSpoolDir=$WORK/spool
SlurmctldPidFile=$WORK/slurmctld.pid
SlurmdPidFile=$WORK/slurmd.pid
SlurmctldLogFile=$WORK/log/slurmctld.log
SlurmdLogFile=$WORK/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
PlugStackConfig=$WORK/plugstack.conf
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/builtin
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SwitchType=switch/none
ReturnToService=2
MinJobAge=600
MailProg=/bin/true
NodeName=$NODE NodeAddr=127.0.0.1 CPUs=$CPUS RealMemory=$MEMORY_MB State=UNKNOWN
PartitionName=debug Nodes=$NODE Default=YES MaxTime=INFINITE State=UP
EOF

# --- the daemons ---------------------------------------------------------------------------------
slurmctld -D -c -f "$SLURM_CONF" >"$WORK/log/slurmctld.stdout" 2>&1 &
STARTED_PIDS+=($!)
slurmd -D -f "$SLURM_CONF" -N "$NODE" >"$WORK/log/slurmd.stdout" 2>&1 &
STARTED_PIDS+=($!)

state=""
for ((i = 0; i < 300; i++)); do  # up to 30 s
  for pid in "${STARTED_PIDS[@]}"; do
    if ! alive "$pid"; then
      for f in munged.log slurmctld.log slurmctld.stdout slurmd.log slurmd.stdout; do show_log "$WORK/log/$f"; done
      skip "a daemon (pid $pid) exited while the cluster started"
    fi
  done
  state="$(sinfo -h -N -n "$NODE" -o %T 2>/dev/null)"
  [[ "$state" == idle ]] && break
  sleep 0.1
done
if [[ "$state" != idle ]]; then
  for f in slurmctld.log slurmd.log; do show_log "$WORK/log/$f"; done
  log "FAILED: the daemons run but node $NODE is '${state:-not reported}' after 30 s, not idle"
  exit 1
fi
log "cluster up in $WORK: node $NODE idle ($CPUS CPUs), slurmctld :$CTLD_PORT, slurmd :$SLURMD_PORT"

"$@"
