"""Shared helpers of the benchmarks: running an export and measuring it.

Peak memory of a child process is measured two ways:
- `ru_maxrss` from wait4(2): the kernel's exact peak resident set (all kinds);
- sampling /proc/PID/status every 10 ms while the child runs: the peaks of
  RssAnon (heap, anonymous mappings: what the process allocated) and
  RssFile (pages of mapped files: the weights' mapping, shared with the
  page cache, not a copy). Sampling can miss a peak shorter than 10 ms; for
  exports that take seconds the error is small, and RssAnon's peak is never
  above ru_maxrss.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
RESULTS = os.path.join(HERE, "results")

STAGES = ["load program", "capture", "decompose", "translate", "optimize", "check", "write"]


class Run:
    """What one child process took: wall seconds, exit code, peaks in bytes."""

    def __init__(self):
        self.wall = 0.0
        self.returncode = 0
        self.max_rss = 0
        self.peak_anon = 0
        self.peak_file = 0
        self.stderr = ""


def _status_kb(pid, keys):
    out = {}
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                key = line.split(":", 1)[0]
                if key in keys:
                    out[key] = int(line.split()[1]) * 1024
    except OSError:
        pass
    return out


def run_measured(cmd, sample=True):
    """Runs `cmd`, returns a Run (wall time, exit code, ru_maxrss, sampled
    RssAnon/RssFile peaks)."""
    run = Run()
    errfile = tempfile.TemporaryFile(mode="w+")
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=errfile)
    stop = threading.Event()

    def sampler():
        while not stop.is_set():
            v = _status_kb(proc.pid, ("RssAnon", "RssFile"))
            run.peak_anon = max(run.peak_anon, v.get("RssAnon", 0))
            run.peak_file = max(run.peak_file, v.get("RssFile", 0))
            stop.wait(0.01)

    thread = threading.Thread(target=sampler, daemon=True)
    if sample:
        thread.start()
    _, status, usage = os.wait4(proc.pid, 0)
    run.wall = time.perf_counter() - start
    stop.set()
    if sample:
        thread.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    run.returncode = proc.returncode
    run.max_rss = usage.ru_maxrss * 1024
    errfile.seek(0)
    run.stderr = errfile.read()
    return run


def export(onnxport, bundle, output, extra=(), config=None):
    """One `onnxport export`; returns (Run, stage seconds from report.json)."""
    report = output + ".report"
    cmd = [onnxport, "export", bundle, "-o", output, "-q", "--report", report] + list(extra)
    if config:
        cmd += ["-c", config]
    run = run_measured(cmd)
    if run.returncode != 0:
        sys.stderr.write(run.stderr)
        raise SystemExit("export of %s failed with exit code %d" % (bundle, run.returncode))
    with open(os.path.join(report, "report.json")) as f:
        doc = json.load(f)
    stages = dict(doc.get("timings", {}))
    for s in doc.get("stages", []):
        stages[s["name"]] = s.get("seconds", 0.0)
    return run, stages


def median(values):
    v = sorted(values)
    n = len(v)
    return v[n // 2] if n % 2 else 0.5 * (v[n // 2 - 1] + v[n // 2])


def mb(nbytes):
    return nbytes / 1e6


def write_result(name, text):
    os.makedirs(RESULTS, exist_ok=True)
    path = os.path.join(RESULTS, name + ".md")
    with open(path + ".tmp", "w") as f:
        f.write(text)
    os.replace(path + ".tmp", path)
    print("wrote %s" % os.path.relpath(path, ROOT))


def default_onnxport():
    return os.path.join(ROOT, "build", "bin", "onnxport")


def drop_tree(path):
    shutil.rmtree(path, ignore_errors=True)
