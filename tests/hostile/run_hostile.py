"""Runs the hostile-input reproducers (tests/hostile/inputs/, issue 15) through
the onnxport CLI and checks how each one ends.

  run_hostile.py CASE     runs every command of one case (a folder of inputs/
                          or a generated special-file case); exit 0 = all good
  run_hostile.py --list   the case names (CMake registers one ctest per case)

Every run must end within a CPU-time budget (5 s), without a signal, without
growing past a memory budget, and with nothing at the output path. An
"error" run must also exit with one of its allowed codes (2 for bad input, 1
for a failed export) and print an `error:` (or `error[code]:`) line that names
the input file and the place in it. A "bounded" run (huge declared sizes, deep
nesting, nested loops) may export or refuse, but within the same budgets; a
"clean" run must succeed.

Environment (set by tests/hostile/CMakeLists.txt):
  ONNXPORT            build/bin/onnxport
  ONNXPORT_SOURCE     the source tree (config/, examples/)
  ONNXPORT_WORK       a scratch folder
  HOSTILE_TIME_SCALE  multiplies the time budgets (sanitizer builds are slower)
  HOSTILE_MAX_RSS_MB  peak resident memory allowed for one run (default 600)
"""
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
INPUTS = os.path.join(HERE, "inputs")
ONNXPORT = os.environ.get("ONNXPORT", "build/bin/onnxport")
SOURCE = os.environ.get("ONNXPORT_SOURCE", os.path.abspath(os.path.join(HERE, "..", "..")))
WORK = os.environ.get("ONNXPORT_WORK", os.path.join(tempfile.gettempdir(), "onnxport-hostile"))
CONFIG = os.path.join(SOURCE, "config", "default.json")
SEED = os.path.join(SOURCE, "examples", "seed")

TIME_SCALE = float(os.environ.get("HOSTILE_TIME_SCALE", "1"))
CPU_BUDGET_S = 5.0 * TIME_SCALE          # the goal: done within 5 seconds
WALL_LIMIT_S = 60.0 * TIME_SCALE         # a hang (a FIFO that blocks) is killed here
MAX_RSS_MB = int(os.environ.get("HOSTILE_MAX_RSS_MB", "600"))
# A run that tries to allocate terabytes fails fast instead of swapping the
# machine: writable memory is capped (PROT_NONE reservations, as sanitizers
# and V8 make, do not count against RLIMIT_DATA).
DATA_LIMIT_BYTES = 8 << 30

# The file an error must name, and the place after it: a JSON pointer, a
# line/column, a byte offset, a place in the safetensors header or in the
# ONNX graph.
PLACE = r"(/[^\s:]*|line \d+, column \d+|byte \d+|header[^:]*|graph\.[^:]+|functions\[[^:]+)"


class Run:
    """One CLI invocation: `args` may use {IN} (the case folder), {OUT} (the
    output model path), {REPORT} (a report folder) and {CONFIG}."""

    def __init__(self, expect, args, names=None, codes=(2,), place=True):
        assert expect in ("error", "bounded", "clean")
        self.expect, self.args, self.names, self.codes = expect, args, names, codes
        # False for special files and paths, where the file itself is the problem.
        self.place = place


def export(expect="error", codes=(1, 2), names="program.json"):
    return Run(expect, ["export", "{IN}", "-c", "{CONFIG}", "-o", "{OUT}", "--report", "{REPORT}"], names, codes)


def run_cmd(expect="error", codes=(1, 2), names="program.json"):
    return Run(expect, ["run", "{IN}"], names, codes)


def inspect(path="", expect="error", names=None, codes=(2,), place=True):
    target = os.path.join("{IN}", path) if path else "{IN}"
    return Run(expect, ["inspect", target], names or (path or "program.json"), codes, place)


def plugins(config, names=None, place=True):
    return Run("error", ["plugins", "-c", os.path.join("{IN}", config)], names or config, (2,), place)


def special(run):
    """A run on a special file or path: the error names it; there is no place inside."""
    run.place = False
    return run


# Case name -> the runs of that case. Stored cases are the folders of inputs/;
# the special-file cases are set up by make_special() in the scratch folder.
CASES = {
    "F1-safetensors-numel-wrap": [inspect("h2-st-numel-wrap.safetensors"),
                                  inspect("h2-st-numel-wrap-pageend.safetensors")],
    "F2-input-shape-bytes-wrap": [export(), run_cmd()],
    "F2-zeros-bytes-wrap": [export(), run_cmd()],
    "F3-onnx-rawdata-mismatch": [inspect("rawdata-1001bytes.onnx"), inspect("rawdata-3bytes.onnx"),
                                 inspect("rawdata-5bytes.onnx")],
    "F4-conv-stride-0": [export()],
    "F4-maxpool-stride-0": [export()],
    "F5-split-0d": [export()],
    "F6-deep-if": [inspect(expect="bounded"), export(expect="bounded")],
    "F6-deep-const-list": [inspect(expect="bounded"), export(expect="bounded")],
    "F6-deep-attrs": [inspect(expect="bounded"), export(expect="bounded")],
    "F7-deep-children-quadratic": [inspect("deepch-2500.json", expect="bounded"),
                                   inspect("deepch-5000.json", expect="bounded"),
                                   inspect("deepch-10000.json", expect="bounded")],
    "F8-nested-loops": [export(expect="bounded")],
    "F9-input-16GB": [export(expect="bounded"), run_cmd(expect="bounded")],
    "F9-input-terabytes": [export(expect="bounded"), run_cmd(expect="bounded")],
    "F10-list-empty-type": [inspect()],
    "F11-graph-tensor-overflow": [inspect("h3-graph-tensor-overflow.json")],
    "F11-onnx-dims-overflow": [inspect("70.onnx")],
    # Unpadded header (misaligned tensors); the program then fails on its
    # int32 bias, with an error naming the node.
    "F12-unaligned-safetensors": [export()],
    "F13-config-1e999": [plugins("203.json")],
    "F13-dumped-graph-type": [inspect("1.json")],
    "F13-numbers-and-types": [plugins("cfg-number-overflow.json"), plugins("cfg-priority-wrap.json"),
                              inspect("format-number.json"), inspect("number-overflow.json"),
                              inspect("st-number-overflow.safetensors")],
    # Special files (made here, not stored).
    "S1-dev-zero": [special(inspect("zero.json")), special(plugins("zero.json")), special(export())],
    "S2-fifo-program": [special(export()), special(inspect())],
    "S3-fifo-weights": [special(export(names="weights.safetensors")), special(inspect("weights.safetensors"))],
    "S4-output-parent-is-a-file": [special(
        Run("error", ["export", "{IN}", "-c", "{CONFIG}", "-o", os.path.join("{IN}", "program.json", "out.onnx"),
                      "--report", "{REPORT}"], names=os.path.join("program.json", "out.onnx"), codes=(2,)))],
    "S5-weights-symlink-outside": [special(export(names="weights.safetensors", codes=(2,)))],
    "S6-weights-symlink-absolute": [special(export(names="weights.safetensors", codes=(2,)))],
}


def make_special(name, folder):
    """Sets up a generated case in `folder` (fresh)."""
    seed_copy = lambda: shutil.copytree(SEED, folder, dirs_exist_ok=True)  # noqa: E731
    if name == "S1-dev-zero":
        # /dev/zero as a JSON file (inspect, -c) and as a bundle's program.json.
        os.symlink("/dev/zero", os.path.join(folder, "zero.json"))
        os.symlink("/dev/zero", os.path.join(folder, "program.json"))
    elif name == "S2-fifo-program":
        os.mkfifo(os.path.join(folder, "program.json"))
    elif name == "S3-fifo-weights":
        seed_copy()
        os.remove(os.path.join(folder, "weights.safetensors"))
        os.mkfifo(os.path.join(folder, "weights.safetensors"))
    elif name == "S4-output-parent-is-a-file":
        seed_copy()
    elif name in ("S5-weights-symlink-outside", "S6-weights-symlink-absolute"):
        seed_copy()
        weights = os.path.join(folder, "weights.safetensors")
        outside = os.path.join(os.path.dirname(folder), name + "-outside.safetensors")
        shutil.move(weights, outside)
        os.symlink(os.path.relpath(outside, folder) if name.startswith("S5") else outside, weights)
    else:
        raise KeyError(name)


def limit_memory():
    resource.setrlimit(resource.RLIMIT_DATA, (DATA_LIMIT_BYTES, DATA_LIMIT_BYTES))
    os.setsid()  # its own process group, so a hang can be killed with its children


def run_once(argv):
    """Runs argv; returns (returncode, stdout, stderr, cpu seconds, wall seconds, peak RSS MB, hung)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.monotonic()
        proc = subprocess.Popen(argv, stdout=out, stderr=err, stdin=subprocess.DEVNULL, preexec_fn=limit_memory)
        hung = False
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid != 0:
                break
            if time.monotonic() - start > WALL_LIMIT_S:
                hung = True
                os.killpg(proc.pid, signal.SIGKILL)
            time.sleep(0.01)
        proc.returncode = os.waitstatus_to_exitcode(status)
        # wait4's usage covers the CLI and the children it waited for (the
        # ONNX Runtime runner).
        wall = time.monotonic() - start
        out.seek(0)
        err.seek(0)
        cpu = usage.ru_utime + usage.ru_stime
        return (proc.returncode, out.read().decode(errors="replace"), err.read().decode(errors="replace"), cpu, wall,
                max(usage.ru_maxrss, 0) / 1024.0, hung)


def error_lines(stderr):
    return [line for line in stderr.splitlines() if re.match(r"error(\[[\w.-]+\])?: ", line)]


def names_file_and_place(stderr, name, place=True):
    """An error line naming `name` (a path ending) followed by ': ' and a place."""
    after = (r": " + PLACE + r"(: |$)") if place else r"(: |$)"
    pattern = re.compile(r"error(\[[\w.-]+\])?: (.*?" + re.escape(name) + r")" + after)
    return any(pattern.search(line) for line in error_lines(stderr))


def check_run(case, run, folder, scratch):
    """Runs one command of a case; returns a list of problems (empty = good)."""
    out = os.path.join(scratch, "out", "model.onnx")
    report = os.path.join(scratch, "report")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    subst = {"{IN}": folder, "{OUT}": out, "{REPORT}": report, "{CONFIG}": CONFIG}
    args = []
    for a in run.args:
        for k, v in subst.items():
            a = a.replace(k, v)
        args.append(a)
    code, stdout, stderr, cpu, wall, rss, hung = run_once([ONNXPORT, *args])
    label = "onnxport " + " ".join(os.path.relpath(a, folder) if a.startswith(folder) else a for a in args)
    print("%s: exit %d, cpu %.2f s, wall %.2f s, peak RSS %.0f MB" % (label, code, cpu, wall, rss))
    problems = []
    if hung:
        problems.append("hung: killed after %.0f s" % WALL_LIMIT_S)
    if code < 0:
        problems.append("killed by signal %d" % -code)
    if cpu > CPU_BUDGET_S:
        problems.append("took %.2f s of CPU, the budget is %.1f s" % (cpu, CPU_BUDGET_S))
    if rss > MAX_RSS_MB:
        problems.append("peak RSS %.0f MB, the budget is %d MB" % (rss, MAX_RSS_MB))
    for marker in ("terminate called", "Segmentation fault", "AddressSanitizer", "runtime error:", "Traceback"):
        if marker in stderr:
            problems.append("stderr has '%s'" % marker)
    wrote = os.path.exists(out)
    leftovers = [f for f in os.listdir(os.path.dirname(out)) if f != "model.onnx"]
    if leftovers:
        problems.append("temp files left next to the output: %s" % leftovers)
    succeeded = code == 0 and not hung
    if run.expect == "clean" and not succeeded:
        problems.append("expected success, got exit %d" % code)
    if run.expect == "error" or (run.expect == "bounded" and not succeeded):
        if code not in run.codes and not (run.expect == "bounded" and code in (1, 2)):
            problems.append("exit %d, expected %s" % (code, " or ".join(map(str, run.codes))))
        if not error_lines(stderr):
            problems.append("no 'error:' line")
        elif not names_file_and_place(stderr, run.names, run.place):
            problems.append("no error line names '%s'%s" % (run.names, " and a place in it" if run.place else ""))
        if wrote:
            problems.append("the output path exists after a failed run")
    lines = stderr.strip().splitlines()
    shown = error_lines(stderr) + ["..."] + lines[-6:] if problems else error_lines(stderr)
    if shown:
        print("  stderr:\n    " + "\n    ".join(shown))
        for p in problems:
            print("  PROBLEM: " + p)
    return problems


def run_case(name):
    scratch = os.path.join(WORK, name)
    shutil.rmtree(scratch, ignore_errors=True)
    os.makedirs(scratch)
    stored = os.path.join(INPUTS, name)
    if os.path.isdir(stored):
        folder = stored
    else:
        folder = os.path.join(scratch, "case")
        os.makedirs(folder)
        make_special(name, folder)
    problems = []
    for i, run in enumerate(CASES[name]):
        problems += check_run(name, run, folder, os.path.join(scratch, "run%d" % i))
    print("%s: %s" % (name, "ok" if not problems else "%d problem(s)" % len(problems)))
    return 0 if not problems else 1


def main(argv):
    if argv[1:] == ["--list"]:
        print(";".join(CASES))
        return 0
    if argv[1:] == ["--check-coverage"]:
        missing = sorted(set(os.listdir(INPUTS)) - set(CASES))
        if missing:
            print("folders of tests/hostile/inputs without a case in run_hostile.py: %s" % missing)
        return 1 if missing else 0
    return max(run_case(name) for name in argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv))
