"""The zoo: torchvision's models and torch.nn's layers, end to end.

    /usr/bin/python3 tests/zoo/run_zoo.py --onnxport build/bin/onnxport --config config/default.json \\
        --work build/tests/zoo [--sample | --only NAME;NAME | --group layer | --name-contains TEXT] [--timeout 900]

For each entry (tests/zoo/zoo_entries.py): build the module (weights=None,
seed 0, BatchNorm statistics calibrated), write its bundle with torch2program
(batch EXAMPLE_BATCH, the batch dim of every input declared dynamic), export it
with the config (`onnxport export`), run the model in ONNX Runtime on two other
batch sizes and compare with eager PyTorch. One record per entry in
WORK/records/NAME.json; scripts/gen_corpus_table.py --zoo WORK renders them.

Entries run in worker processes, one after the other in each (torch2program
then converts many modules in one Python process, as users do); a worker that
dies takes down only the entry it was on (recorded as a crash), and the driver
starts a new worker for the rest. Exit status: 1 when an entry's outcome is
"wrong" (an export that exited 0 with a model that differs from eager PyTorch
or does not run on another batch size), or with --require-pass when any
entry does not pass; 0 otherwise.
"""
import argparse
import copy
import json
import os
import signal
import subprocess
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(REPO, "tools", "torch2program"))

# Outcomes, worst first where it matters.
PASS = "pass"          # exported, matches eager on every checked batch size
WRONG = "wrong"        # exit 0 but the model differs from eager (or fails) on some batch size
REFUSED = "refused"    # onnxport export exited 1 with a report: a clean failure
FRONTEND = "frontend"  # torch2program refused the module (ConversionError) or raised
CRASH = "crash"        # a process died (signal) or exited with an unexpected code
TIMEOUT = "timeout"
EAGER = "eager"        # PyTorch itself fails on the inputs: the entry cannot be checked
WEAK = "weak"          # exported and matches, but eager's outputs are too small to show an error
OUTCOMES = (PASS, WEAK, REFUSED, FRONTEND, EAGER, WRONG, CRASH, TIMEOUT)

ATOL, RTOL = 1e-4, 1e-3
SCALE_ATOL = 1e-4  # of the output's largest magnitude (compare_tensor)
MIN_OUTPUT_SCALE_IN_ATOLS = 100  # as the corpus: below this, |diff| <= atol holds for any answer
# An output outside the tolerance is judged against eager PyTorch in float64
# (judge_with_float64, docs/corpus.md "How the zoo judges a difference"): it
# is float32 accumulation, not a bug, when ONNX Runtime's error against
# float64 is at most FLOAT32_NOISE_FACTOR times eager float32's own error
# against float64 (torch.onnx.export's models differ from eager by the same
# amount on the same networks). An entry whose eager float32 error is so large
# that this allowance exceeds ILL_CONDITIONED of the output's scale is weak:
# its check could not tell a bug from rounding.
FLOAT32_NOISE_FACTOR = 4
ILL_CONDITIONED = 1e-2
CHUNK = 12  # entries per worker process

from zoo_spec import EXAMPLE_BATCH  # noqa: E402


# ---------------------------------------------------------------------------
# Worker: runs entries in this process.

class Stage(Exception):
    def __init__(self, outcome, stage, diagnostic):
        super().__init__(diagnostic)
        self.outcome, self.stage, self.diagnostic = outcome, stage, diagnostic


def first_line(text, limit=400):
    lines = [line.strip() for line in str(text).strip().splitlines() if line.strip()]
    line = lines[0] if lines else ""
    return line if len(line) <= limit else line[:limit] + "..."


def report_diagnostic(report, stderr):
    """The first error of the export: the first failed stage's first error diagnostic (for
    capture: the last strategy attempt's) with its source line, else the report's one-line
    error, else stderr's last line."""
    if report:
        missing = (report.get("analysis") or {}).get("missing_translators") or []
        if missing:
            return "no translator for " + ", ".join(sorted({m["op"] for m in missing}))
        failed = next((s for s in report.get("stages") or [] if s.get("status") not in ("ok", "not run", None)), None)
        if failed is None or failed.get("name") == "capture":
            attempts = (report.get("capture") or {}).get("attempts") or []
            for attempt in reversed(attempts):
                for d in attempt.get("diagnostics") or []:
                    if d.get("severity") == "error":
                        return "[%s] %s" % (attempt.get("strategy", "?"), diagnostic_text(d))
        if failed is not None:
            errors = [d for d in failed.get("diagnostics") or [] if d.get("severity") == "error"]
            if errors:
                return "%s: %s" % (failed.get("name"), diagnostic_text(errors[0]))
            return "%s: %s" % (failed.get("name"), first_line(failed.get("summary") or failed.get("status")))
        error = (report.get("status") or {}).get("error")
        if error:
            return first_line(error)
    lines = [line for line in (stderr or "").splitlines() if line.strip()]
    return lines[-1] if lines else "no diagnostic"


def diagnostic_text(d):
    loc = d.get("loc") or {}
    where = " at %s:%s: %s" % (loc.get("file", ""), loc.get("line"), loc.get("text", "").strip()) \
        if loc.get("line") else ""
    code = d.get("code", "")
    return "%s%s%s" % (code + ": " if code else "", first_line(d.get("message", "")), where)


def node_count(report):
    counts = ((report or {}).get("analysis") or {}).get("op_counts") or []
    return sum(c["count"] for c in counts) if counts else None


class Worker:
    def __init__(self, opts):
        self.opts = opts
        self.records = os.path.join(opts.work, "records")
        self.runner = os.path.join(REPO, "tools", "ort-runner", "run.js")
        self._module64 = None  # the entry's module in float64, made only when an output is out of tolerance
        os.makedirs(self.records, exist_ok=True)

    def run(self, entry):
        import torch
        record = {"name": entry.name, "group": entry.group, "note": entry.note, "outcome": None, "stage": None,
                  "diagnostic": None, "capture": None, "nodes": None, "bundle_seconds": None,
                  "export_seconds": None, "verify_seconds": None, "max_abs_diff": None, "output_scale": None,
                  "batches": None}
        started = time.monotonic()
        self._module64 = None
        work = os.path.join(self.opts.work, "entries", safe_name(entry.name))
        os.makedirs(work, exist_ok=True)
        try:
            module = self._build(entry)
            self._bundle(entry, module, work, record)
            self._export(work, record)
            self._verify(entry, module, work, record, torch)
            record["outcome"] = PASS
            scale = record["output_scale"] or 0.0
            if scale < MIN_OUTPUT_SCALE_IN_ATOLS * (entry.atol or ATOL):
                record["outcome"] = WEAK
                record["diagnostic"] = ("eager outputs are at most %.3g in magnitude, below %d x atol: "
                                        "verification cannot see an error" % (scale, MIN_OUTPUT_SCALE_IN_ATOLS))
                if record.get("nonfinite_outputs"):
                    record["diagnostic"] += " (%d eager output values are NaN or infinite)" % record["nonfinite_outputs"]
        except Stage as stage:
            record.update(outcome=stage.outcome, stage=stage.stage, diagnostic=stage.diagnostic)
        record["total_seconds"] = round(time.monotonic() - started, 2)
        self._module64 = None
        write_record(self.records, record)
        return record

    def _build(self, entry):
        try:
            return entry.build()
        except Exception as error:  # a model the given arguments cannot build: not onnxport's fault
            raise Stage(EAGER, "build", "building the module failed: %s: %s" % (type(error).__name__,
                                                                               first_line(error)))

    def _bundle(self, entry, module, work, record):
        from torch2program import ConversionError, write_bundle
        bundle = os.path.join(work, "bundle")
        args = entry.args(EXAMPLE_BATCH, seed=1)
        start = time.monotonic()
        try:
            summary = write_bundle(module, args, bundle, input_names=entry.input_names(),
                                   dynamic_shapes=entry.dynamic_shapes(), name=entry.name, expected=True)
        except ConversionError as error:
            where = (" at " + error.where) if error.where else ""
            outcome = EAGER if "eager PyTorch failed" in error.message else FRONTEND
            message = " ".join(line.strip() for line in error.message.splitlines()[:4] if line.strip())
            raise Stage(outcome, "bundle", "torch2program: " + first_line(message) + where)
        except Exception as error:  # a frontend bug: it must refuse with a ConversionError, never raise
            tb = traceback.extract_tb(error.__traceback__)[-1]
            raise Stage(FRONTEND, "bundle", "torch2program raised %s: %s (%s:%d)" % (
                type(error).__name__, first_line(error), os.path.basename(tb.filename), tb.lineno))
        record["bundle_seconds"] = round(time.monotonic() - start, 2)
        record["capture"] = summary["capture"]

    def _export(self, work, record):
        bundle, model, report_dir = (os.path.join(work, n) for n in ("bundle", "model.onnx", "report"))
        for stale in (model, os.path.join(report_dir, "report.json")):
            if os.path.exists(stale):
                os.remove(stale)
        cmd = [self.opts.onnxport, "export", bundle, "-c", self.opts.config, "-o", model, "--report", report_dir,
               "-q"]
        start = time.monotonic()
        try:
            proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                  timeout=self.opts.timeout)
        except subprocess.TimeoutExpired:
            raise Stage(TIMEOUT, "export", "onnxport export took more than %d s" % self.opts.timeout)
        record["export_seconds"] = round(time.monotonic() - start, 2)
        report = None
        report_path = os.path.join(report_dir, "report.json")
        if os.path.exists(report_path):
            with open(report_path) as f:
                report = json.load(f)
        record["nodes"] = node_count(report)
        if proc.returncode < 0:
            raise Stage(CRASH, "export", "onnxport export died with signal %d" % -proc.returncode)
        if proc.returncode == 1 and report is not None:
            raise Stage(REFUSED, "export", report_diagnostic(report, proc.stderr))
        if proc.returncode != 0:
            raise Stage(CRASH, "export", "onnxport export exited %d: %s" % (
                proc.returncode, report_diagnostic(report, proc.stderr)))
        if not os.path.exists(model):
            raise Stage(WRONG, "export", "onnxport export exited 0 without writing the model")

    def _verify(self, entry, module, work, record, torch):
        from cflib import flatten_named_args, onnx_signature, ONNX_DTYPES
        from torch2program_lib.signature import flatten_outputs
        from torch2program_lib.tensors import read_safetensors, write_safetensors
        model = os.path.join(work, "model.onnx")
        inputs, output_names, _ = onnx_signature(model)
        start = time.monotonic()
        worst, scale = 0.0, 0.0
        for batch in self.opts.batches:
            args = entry.args(batch, seed=10 + batch)
            try:
                with torch.no_grad():
                    expected = list(flatten_outputs(module(*copy.deepcopy(args))).values())
            except Exception as error:
                raise Stage(EAGER, "verify", "eager PyTorch fails at batch %d: %s" % (batch, first_line(error)))
            values = flatten_named_args(entry.input_names(), args)
            feeds = {}
            for name, elem in inputs:
                if name not in values:
                    raise Stage(WRONG, "verify", "the model has an input %r that forward's arguments do not give"
                                % name)
                dtype = ONNX_DTYPES.get(elem)
                feeds[name] = values[name].to(dtype) if dtype is not None else values[name]
            in_path = os.path.join(work, "batch%d-in.safetensors" % batch)
            out_path = os.path.join(work, "batch%d-out.safetensors" % batch)
            write_safetensors(in_path, feeds)
            try:
                proc = subprocess.run(["node", self.runner, model, in_path, out_path], stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, text=True, timeout=self.opts.timeout)
            except subprocess.TimeoutExpired:
                raise Stage(TIMEOUT, "verify", "ONNX Runtime took more than %d s at batch %d"
                            % (self.opts.timeout, batch))
            if proc.returncode != 0:
                raise Stage(WRONG, "verify", "ONNX Runtime fails at batch %d: %s" % (
                    batch, report_diagnostic(None, proc.stderr)))
            got = read_safetensors(out_path)
            if len(output_names) != len(expected):
                raise Stage(WRONG, "verify", "batch %d: %d outputs, eager has %d" % (
                    batch, len(output_names), len(expected)))
            for index, (name, want) in enumerate(zip(output_names, expected)):
                have = got[name]
                if tuple(have.shape) != tuple(want.shape):
                    raise Stage(WRONG, "verify", "batch %d: output %s has shape %s, eager %s" % (
                        batch, name, list(have.shape), list(want.shape)))
                diff, ok = compare_tensor(have, want, entry.atol or ATOL, entry.rtol or RTOL, torch)
                worst = max(worst, diff)
                if want.is_floating_point() and want.numel():
                    # NaN and inf say nothing about scale (max() would skip a NaN
                    # silently); they are counted so a weak verdict can name them.
                    finite = want[torch.isfinite(want)]
                    record["nonfinite_outputs"] = record.get("nonfinite_outputs", 0) + want.numel() - finite.numel()
                    if finite.numel():
                        scale = max(scale, float(finite.abs().max()))
                elif want.numel():
                    scale = float("inf")  # exact integer/bool outputs cannot hide an error
                if not ok:
                    self._judge_difference(module, args, batch, index, name, have, want, diff, record, torch)
        record["verify_seconds"] = round(time.monotonic() - start, 2)
        record["max_abs_diff"] = worst
        record["output_scale"] = scale
        record["batches"] = list(self.opts.batches)
        if record.get("ill_conditioned"):
            raise Stage(WEAK, "verify", record["ill_conditioned"])

    def _judge_difference(self, module, args, batch, index, output, have, eager32, diff, record, torch):
        """An output outside the tolerance: float32 accumulation (returns, noting it in the record),
        an ill-conditioned entry (noted; the entry ends weak) or a wrong model (raises WRONG)."""
        from torch2program_lib.signature import flatten_outputs
        wrong = "batch %d: output %s differs from eager, max |diff| %.3g" % (batch, output, diff)
        reference = None
        try:
            if self._module64 is None:
                self._module64 = copy.deepcopy(module).double()
            with torch.no_grad():
                outputs = list(flatten_outputs(self._module64(*copy.deepcopy(to_float64(args, torch)))).values())
            reference = outputs[index] if index < len(outputs) else None
        except Exception as error:  # a module that cannot run in float64: no evidence, the difference stands
            record["max_abs_diff"] = diff
            raise Stage(WRONG, "verify", wrong + " (no float64 reference: %s: %s)" % (
                type(error).__name__, first_line(error, 120)))
        if reference is None or tuple(reference.shape) != tuple(eager32.shape):
            record["max_abs_diff"] = diff
            raise Stage(WRONG, "verify", wrong + " (no float64 reference for this output)")
        verdict = judge_with_float64(have, eager32, reference, torch)
        record.setdefault("float64", []).append(dict(verdict, batch=batch, output=output))
        if verdict["verdict"] == "wrong":
            record["max_abs_diff"] = diff
            raise Stage(WRONG, "verify", wrong + "; against float64 eager: ONNX Runtime %.3g, eager float32 %.3g"
                        % (verdict["ort_error"], verdict["eager_error"]))
        if verdict["verdict"] == "accumulation" and not record.get("diagnostic"):
            record["diagnostic"] = (
                "outside the fixed tolerance at batch %d (max |diff| %.3g) but float32 accumulation: against "
                "float64 eager, ONNX Runtime %.3g, eager float32 %.3g" % (
                    batch, diff, verdict["ort_error"], verdict["eager_error"]))
        if verdict["verdict"] == "ill-conditioned" and not record.get("ill_conditioned"):
            record["ill_conditioned"] = (
                "ill-conditioned: at batch %d eager float32 itself differs from float64 by %.3g (output scale "
                "%.3g), so the check cannot tell a bug from rounding (ONNX Runtime vs float64: %.3g)" % (
                    batch, verdict["eager_error"], verdict["scale"], verdict["ort_error"]))


def compare_tensor(got, want, atol, rtol, torch):
    """(max |diff|, within tolerance) of one output.

    Elements pass when |ort - torch| <= atol' + rtol * |torch|, with atol' the
    larger of atol and SCALE_ATOL times the output's largest |torch|: float32
    results of deep networks carry rounding noise proportional to the largest
    activations (eager PyTorch itself differs by ~2e-5 of the output scale
    between batch compositions), which a fixed atol would call an error."""
    if not got.numel():
        return 0.0, True
    if want.dtype == torch.bool or not want.is_floating_point():
        equal = torch.equal(got.to(torch.int64), want.to(torch.int64))
        diff = float((got.to(torch.float64) - want.to(torch.float64)).abs().max())
        return diff, equal
    g, w = got.to(torch.float64), want.to(torch.float64)
    finite = w[w.isfinite()]
    atol = max(atol, SCALE_ATOL * float(finite.abs().max())) if finite.numel() else atol
    diff = float((g - w).abs().nan_to_num(nan=float("inf")).max()) if not torch.equal(g.isnan(), w.isnan()) \
        else float((g - w).nan_to_num(nan=0.0).abs().max())
    return diff, bool(torch.allclose(g, w, atol=atol, rtol=rtol, equal_nan=True))


def to_float64(args, torch):
    """forward's arguments with every floating tensor in float64 (indices and masks unchanged)."""
    def convert(v):
        if isinstance(v, torch.Tensor):
            return v.double() if v.is_floating_point() else v
        if isinstance(v, (list, tuple)):
            return type(v)(convert(x) for x in v)
        if isinstance(v, dict):
            return {k: convert(x) for k, x in v.items()}
        return v
    return tuple(convert(a) for a in args)


def judge_with_float64(ort, eager32, reference, torch):
    """Compares ONNX Runtime's and eager float32's errors against eager float64 on one output.

    "accumulation": ONNX Runtime is at most FLOAT32_NOISE_FACTOR times as far from float64 as
    eager float32 is: the model computes what eager computes, in a different float32 order.
    "ill-conditioned": that allowance exceeds ILL_CONDITIONED of the output's scale: rounding
    alone moves the output so much that a bug of that size would pass; the entry is weak.
    "wrong": ONNX Runtime is further from float64 than float32 rounding explains."""
    ref = reference.to(torch.float64)
    finite = ref[ref.isfinite()]
    scale = float(finite.abs().max()) if finite.numel() else 0.0

    def error(x):
        d = (x.to(torch.float64) - ref).abs()
        if not torch.equal(x.isnan(), ref.isnan()):
            return float("inf")
        return float(d.nan_to_num(nan=0.0).max()) if d.numel() else 0.0

    ort_error, eager_error = error(ort), error(eager32)
    allowance = FLOAT32_NOISE_FACTOR * eager_error
    if ort_error > allowance or not (ort_error < float("inf")):
        verdict = "wrong"
    elif allowance > ILL_CONDITIONED * scale:
        verdict = "ill-conditioned"
    else:
        verdict = "accumulation"
    return {"verdict": verdict, "ort_error": ort_error, "eager_error": eager_error, "scale": scale}


def safe_name(name):
    return "".join(c if c.isalnum() or c in "._-" else "_" for c in name)


def write_record(folder, record):
    path = os.path.join(folder, safe_name(record["name"]) + ".json")
    with open(path + ".tmp", "w") as f:
        json.dump(record, f, indent=1)
    os.replace(path + ".tmp", path)


def worker_main(opts):
    import torch
    torch.set_num_threads(1)
    from zoo_entries import all_entries
    by_name = {e.name: e for e in all_entries()}
    worker = Worker(opts)
    with open(opts.worker) as f:
        names = json.load(f)
    current = opts.worker + ".current"
    for name in names:
        with open(current, "w") as f:
            f.write(name)
        record = worker.run(by_name[name])
        print("[zoo] %-45s %-8s %6.1fs %s" % (name, record["outcome"], record["total_seconds"],
                                              record["diagnostic"] or ""), flush=True)
    os.remove(current)
    return 0


# ---------------------------------------------------------------------------
# Driver: hands the entries to worker processes and survives their deaths.

def driver_main(opts):
    from zoo_entries import SAMPLE, all_entries, uncovered_layer_classes
    entries = all_entries()
    uncovered = uncovered_layer_classes(entries)
    if uncovered:
        print("error: torch.nn.modules classes neither in the zoo nor in NOT_LAYERS: " + ", ".join(uncovered))
        return 2
    # Cheap entries first (layers, then models by size): a run cut short still covers the most.
    names = [e.name for e in sorted(entries, key=lambda e: (e.group != "layer", e.cost))]
    if opts.sample:
        names = list(SAMPLE)
    if opts.group:
        names = [e.name for e in entries if e.group == opts.group and e.name in names]
    if opts.only:
        wanted = [n.strip() for n in opts.only.split(";") if n.strip()]
        unknown = [n for n in wanted if n not in names]
        if unknown:
            print("error: not zoo entries: " + ", ".join(unknown))
            return 2
        names = wanted
    if opts.name_contains:
        names = [n for n in names if opts.name_contains in n]
        if not names:
            print("error: no zoo entry's name contains " + repr(opts.name_contains))
            return 2
    records = os.path.join(opts.work, "records")
    os.makedirs(records, exist_ok=True)
    for name in names:
        stale = os.path.join(records, safe_name(name) + ".json")
        if os.path.exists(stale):
            os.remove(stale)
    started = time.monotonic()
    queue = list(names)
    slots = [None] * max(1, opts.jobs)
    while queue or any(slots):
        for i, slot in enumerate(slots):
            if slot is None and queue:
                chunk, queue[:] = queue[:CHUNK], queue[CHUNK:]
                slots[i] = start_worker(opts, i, chunk)
            elif slot is not None:
                done, requeue = poll_worker(opts, slot, records)
                if done:
                    queue[:0] = requeue
                    slots[i] = None
        time.sleep(0.5)
    results = {}
    for name in names:
        path = os.path.join(records, safe_name(name) + ".json")
        with open(path) as f:
            results[name] = json.load(f)["outcome"]
    counts = {o: sum(1 for r in results.values() if r == o) for o in OUTCOMES}
    print("[zoo] %d entries in %.0f s: %s" % (len(names), time.monotonic() - started,
                                              ", ".join("%s %d" % (o, c) for o, c in counts.items() if c)))
    return exit_status(results, opts.require_pass)


def exit_status(results, require_pass):
    """1 when any entry is WRONG (an export that exited 0 with a model differing from eager), or
    with require_pass when any entry does not pass; else 0. results: {name: outcome}."""
    wrong = [n for n, r in results.items() if r == WRONG]
    if wrong:
        print("[zoo] WRONG (exit 0 with a model that differs from eager): " + ", ".join(wrong))
        return 1
    if require_pass:
        bad = [n for n, r in results.items() if r != PASS]
        if bad:
            print("[zoo] not passing: " + ", ".join("%s (%s)" % (n, results[n]) for n in bad))
            return 1
    return 0


class Slot:
    def __init__(self, proc, names, list_path, started):
        self.proc, self.names, self.list_path, self.started = proc, names, list_path, started
        self.current, self.current_since = None, started


def start_worker(opts, index, names):
    list_path = os.path.join(opts.work, "worker%d.json" % index)
    with open(list_path, "w") as f:
        json.dump(names, f)
    current = list_path + ".current"
    if os.path.exists(current):
        os.remove(current)
    cmd = [sys.executable, os.path.abspath(__file__), "--worker", list_path, "--onnxport", opts.onnxport,
           "--config", opts.config, "--work", opts.work, "--timeout", str(opts.timeout),
           "--batches", ",".join(map(str, opts.batches))]
    proc = subprocess.Popen(cmd, start_new_session=True)  # its own group: a timeout kills its children too
    return Slot(proc, names, list_path, time.monotonic())


def poll_worker(opts, slot, records):
    """(finished, names to run again). Kills a worker stuck on one entry past the timeout."""
    current = read_text(slot.list_path + ".current")
    if current != slot.current:
        slot.current, slot.current_since = current, time.monotonic()
    code = slot.proc.poll()
    if code is None:
        # bundle + export + ORT runs, each bounded by the timeout
        if slot.current and time.monotonic() - slot.current_since > 3 * opts.timeout:
            os.killpg(slot.proc.pid, signal.SIGKILL)
            slot.proc.wait()
            record_failure(records, slot.current, TIMEOUT, "the entry took more than %d s" % (3 * opts.timeout))
            return True, remaining(slot, records)
        return False, []
    if code != 0 and slot.current and not has_record(records, slot.current):
        how = "signal %d" % -code if code < 0 else "exit code %d" % code
        record_failure(records, slot.current, CRASH,
                       "the Python process (torch2program or eager PyTorch) died with %s" % how)
    return True, remaining(slot, records)


def remaining(slot, records):
    return [n for n in slot.names if not has_record(records, n)]


def has_record(records, name):
    return os.path.exists(os.path.join(records, safe_name(name) + ".json"))


def record_failure(records, name, outcome, diagnostic):
    from zoo_entries import all_entries
    group = next((e.group for e in all_entries() if e.name == name), "")
    write_record(records, {"name": name, "group": group, "outcome": outcome, "stage": "bundle",
                           "diagnostic": diagnostic})


def read_text(path):
    try:
        with open(path) as f:
            return f.read().strip() or None
    except OSError:
        return None


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--onnxport", required=True)
    parser.add_argument("--config", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("--sample", action="store_true", help="only the fixed sample (zoo_entries.SAMPLE)")
    parser.add_argument("--group", help="only entries of this group (classification, segmentation, video, "
                                        "optical_flow, layer)")
    parser.add_argument("--only", help="entries separated by ';'")
    parser.add_argument("--name-contains", help="only entries whose name contains this text (e.g. 'packed')")
    parser.add_argument("--jobs", "-j", type=int, default=1, help="worker processes at once")
    parser.add_argument("--timeout", type=int, default=900, help="seconds per export / ONNX Runtime run")
    parser.add_argument("--batches", default="1,3", help="batch sizes the model is checked on")
    parser.add_argument("--require-pass", action="store_true", help="exit 1 unless every entry passes")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    opts = parser.parse_args()
    opts.batches = [int(b) for b in opts.batches.split(",")]
    opts.work = os.path.abspath(opts.work)
    opts.onnxport = os.path.abspath(opts.onnxport)
    opts.config = os.path.abspath(opts.config)
    os.makedirs(opts.work, exist_ok=True)
    sys.path.insert(0, os.path.join(REPO, "tests", "control_flow"))
    return worker_main(opts) if opts.worker else driver_main(opts)


if __name__ == "__main__":
    sys.exit(main())
