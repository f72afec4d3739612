#!/usr/bin/python3
"""The OpInfo op suite: every sample through both exporters, checked in ONNX Runtime.

For each OpInfo of PyTorch's op database, for float32 and (where the op takes
them) int64 and bool, up to K samples: the sample becomes a scripted module
(opinfo_samples.py), which is
  - written as a bundle (tools/torch2program) and exported with
    `onnxport export -c config/default.json --opset N`, and
  - exported with torch.onnx.export (opset 17) from the same scripted module;
each model runs in ONNX Runtime (one long-lived tools/ort-runner/serve.js) on
the sample's inputs and is compared with eager PyTorch: same number of
outputs, same shapes and dtypes, values within atol/rtol by dtype, NaN in the
same places. Ops whose eager result changes from one run to the next (random
ops) and ops that return uninitialized memory (empty, new_empty, ...) are
compared by shape and dtype only.

One JSON line per sample goes to --out. `coverage_doc.py` turns it into
docs/op-coverage.md; --baseline checks that every sample listed there still
passes with onnxport (the ctest label `opinfo`).

    /usr/bin/python3 tests/opinfo/opinfo_run.py --onnxport build/bin/onnxport --out /tmp/opinfo.jsonl
"""
import argparse
import contextlib
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(SOURCE, "tools", "torch2program"))

import torch  # noqa: E402

from opinfo_samples import (DTYPE_NAMES, Skip, load_module, load_op_db, op_id, sample_module,  # noqa: E402
                            samples_for, supported_dtypes)
from ort_server import OrtServer, OrtUnavailable  # noqa: E402
from torch2program import ConversionError, write_bundle  # noqa: E402
from torch2program_lib.tensors import read_safetensors, write_safetensors  # noqa: E402

SKIP_RETURN_CODE = 77
EXPORT_TIMEOUT = 120

# Eager output dtypes a comparison is made for (complex and quantized are not).
# Ops whose result is uninitialized memory: eager may return the same garbage
# twice (so the two-call check below does not catch them), and ONNX Runtime
# other garbage or zeros. Compared by shape and dtype only, like random ops.
UNINITIALIZED_OPS = {"empty", "new_empty", "empty_like", "empty_strided", "new_empty_strided"}

TESTED_OUTPUT_DTYPES = {torch.float16, torch.bfloat16, torch.float32, torch.float64, torch.int8, torch.int16,
                        torch.int32, torch.int64, torch.uint8, torch.bool}

# (atol, rtol) by the eager output's dtype; exact for the rest.
TOLERANCES = {torch.float16: (1e-2, 1e-2), torch.bfloat16: (1e-1, 1e-2), torch.float32: (1e-4, 1e-3),
              torch.float64: (1e-7, 1e-6)}


def first_line(text, limit=300):
    for line in text.strip().splitlines():
        line = line.strip()
        if line:
            return line[:limit]
    return ""


# ---------------------------------------------------------------- comparison

def flatten(value):
    """Eager outputs in the order exporters write them: tensors in place, numbers as 0-d tensors."""
    if isinstance(value, torch.Tensor):
        return [value]
    if isinstance(value, (list, tuple)):
        return [t for v in value for t in flatten(v)]
    if isinstance(value, bool):
        return [torch.tensor(value)]
    if isinstance(value, int):
        return [torch.tensor(value, dtype=torch.int64)]
    if isinstance(value, float):
        return [torch.tensor(value, dtype=torch.float64)]
    return []


def mismatch(got, expected, shapes_only=False):
    """Why `got` (ONNX Runtime) differs from `expected` (eager), or None."""
    if len(got) != len(expected):
        return "%d outputs, eager has %d" % (len(got), len(expected))
    for i, (g, e) in enumerate(zip(got, expected)):
        if g.dtype != e.dtype:
            return "output %d: dtype %s, eager %s" % (i, str(g.dtype)[6:], str(e.dtype)[6:])
        if tuple(g.shape) != tuple(e.shape):
            return "output %d: shape %s, eager %s" % (i, list(g.shape), list(e.shape))
        if shapes_only or e.numel() == 0:
            continue
        if e.is_floating_point():
            atol, rtol = TOLERANCES.get(e.dtype, (1e-5, 1e-5))
            g64, e64 = g.double(), e.double()
            if not torch.equal(torch.isnan(g64), torch.isnan(e64)):
                return "output %d: NaN in other places than eager" % i
            if not torch.allclose(g64, e64, atol=atol, rtol=rtol, equal_nan=True):
                worst = (g64 - e64).abs().nan_to_num(nan=0.0, posinf=float("inf")).max().item()
                return "output %d: values differ (max abs diff %.3g)" % (i, worst)
        elif not torch.equal(g, e):
            return "output %d: values differ" % i
    return None


# ---------------------------------------------------------------- exporters

def onnxport_reason(proc, report_dir):
    """The first error the export reports (report.json), else its output's first error line."""
    report = os.path.join(report_dir, "report.json")
    if os.path.exists(report):
        try:
            with open(report) as f:
                data = json.load(f)
            for d in _diagnostics(data):
                if d.get("severity") == "error" and d.get("message"):
                    return first_line(d["message"])
        except (OSError, ValueError):
            pass
    text = proc.stderr + "\n" + proc.stdout
    for line in text.splitlines():
        if "error" in line.lower():
            return line.strip()[:300]
    return first_line(text) or "exit %d" % proc.returncode


def _diagnostics(node):
    """Every object with a "severity" key anywhere in the report, in document order."""
    if isinstance(node, dict):
        if "severity" in node:
            yield node
        for v in node.values():
            yield from _diagnostics(v)
    elif isinstance(node, list):
        for v in node:
            yield from _diagnostics(v)


def export_onnxport(onnxport, bundle, model, opset, folder):
    report = os.path.join(folder, "report-%d" % opset)
    cmd = [onnxport, "export", bundle, "-c", os.path.join(SOURCE, "config", "default.json"), "-o", model,
           "--opset", str(opset), "--report", report, "-q"]
    try:
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=EXPORT_TIMEOUT)
    except subprocess.TimeoutExpired:
        return "export took longer than %d s" % EXPORT_TIMEOUT
    if proc.returncode != 0 or not os.path.exists(model):
        return "exit %d: %s" % (proc.returncode, onnxport_reason(proc, report).replace(folder + os.sep, ""))
    return None


class _Timeout(Exception):
    pass


@contextlib.contextmanager
def time_limit(seconds):
    def expire(signum, frame):
        raise _Timeout()
    old = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def export_torch(scripted, args, names, model, opset):
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()), time_limit(EXPORT_TIMEOUT):
            warnings.simplefilter("ignore")
            torch.onnx.export(scripted, args, model, opset_version=opset, input_names=names)
    except _Timeout:
        return "export took longer than %d s" % EXPORT_TIMEOUT
    except Exception as error:  # the exporter raises many types
        return "%s: %s" % (type(error).__name__, first_line(str(error)))
    return None


# ---------------------------------------------------------------- one sample

class Runner:
    def __init__(self, options, ort):
        self.options, self.ort = options, ort

    def run_sample(self, opinfo, dtype, index, sample, folder, wanted):
        """The row of one sample; `wanted` names the results to produce: onnxport, onnxport13, torch."""
        row = {"op": op_id(opinfo), "aten": opinfo.aten_name, "dtype": DTYPE_NAMES[dtype], "sample": index}
        try:
            built = sample_module(opinfo, sample)
            module = load_module(built.source, folder, "sample")
        except Skip as why:
            row["skip"] = str(why)
            return row
        except SyntaxError as error:
            row["skip"] = "the call cannot be written as Python source: %s" % error.msg
            return row
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                scripted = torch.jit.script(module)
        except Exception as error:  # TorchScript raises many types
            row["skip"] = "torch.jit.script fails: " + first_line(str(error), 200)
            return row
        try:
            with torch.no_grad():
                expected = flatten(module(*[a.clone() if isinstance(a, torch.Tensor) else a for a in built.args]))
                again = flatten(module(*[a.clone() if isinstance(a, torch.Tensor) else a for a in built.args]))
        except Exception as error:
            row["skip"] = "eager fails: " + first_line(str(error), 200)
            return row
        unsupported = [str(t.dtype) for t in expected if t.dtype not in TESTED_OUTPUT_DTYPES]
        if unsupported:
            row["skip"] = "an output of dtype %s (ONNX Runtime outputs are compared for real and bool dtypes)" % unsupported[0]
            return row
        random_op = opinfo.aten_name in UNINITIALIZED_OPS or mismatch(again, expected) is not None
        if random_op:
            row["random"] = True
        inputs = os.path.join(folder, "inputs.safetensors")
        flat = flat_inputs(built.names, built.args)
        try:
            write_safetensors(inputs, flat)
        except ConversionError as error:
            row["skip"] = str(error)
            return row
        check = lambda model: self.check(model, inputs, expected, folder, random_op)  # noqa: E731
        if "onnxport" in wanted:
            row["onnxport"] = self.onnxport(module, built, folder, 17, check)
        if "onnxport13" in wanted:
            row["onnxport13"] = self.onnxport(module, built, folder, 13, check)
        if "torch" in wanted:
            model = os.path.join(folder, "torch.onnx")
            error = export_torch(scripted, built.args, list(flat), model, 17)
            row["torch"] = {"ok": False, "stage": "export", "reason": error} if error else check(model)
        return row

    def onnxport(self, module, built, folder, opset, check):
        bundle = os.path.join(folder, "bundle")
        if not os.path.exists(os.path.join(bundle, "program.json")):
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    write_bundle(module, built.args, bundle, input_names=built.names, expected=True)
            except ConversionError as error:
                return {"ok": False, "stage": "torch2program", "reason": first_line(error.message)}
            except Exception as error:
                return {"ok": False, "stage": "torch2program", "reason": "%s: %s" % (type(error).__name__,
                                                                                  first_line(str(error)))}
        model = os.path.join(folder, "onnxport-%d.onnx" % opset)
        error = export_onnxport(self.options.onnxport, bundle, model, opset, folder)
        if error:
            return {"ok": False, "stage": "export", "reason": error}
        return check(model)

    def check(self, model, inputs, expected, folder, shapes_only):
        out = os.path.join(folder, "out.safetensors")
        if os.path.exists(out):
            os.remove(out)
        error = self.ort.run(os.path.abspath(model), os.path.abspath(inputs), os.path.abspath(out))
        if error:
            # Paths of the scratch folder vary from run to run; the doc shows file names.
            return {"ok": False, "stage": "onnxruntime",
                    "reason": first_line(error.replace(os.path.abspath(folder) + os.sep, ""))}
        got = list(read_safetensors(out).values())
        why = mismatch(got, expected, shapes_only)
        if why:
            return {"ok": False, "stage": "compare", "reason": why}
        return {"ok": True}


def flat_inputs(names, args):
    """{input name: tensor}, lists of tensors as name.0, name.1 (as torch2program names them)."""
    out = {}
    for name, value in zip(names, args):
        if isinstance(value, torch.Tensor):
            out[name] = value
        else:
            for i, t in enumerate(value):
                out["%s.%d" % (name, i)] = t
    return out


# ---------------------------------------------------------------- the run

def selected_ops(op_db, options):
    ops = [o for o in op_db if not options.ops or re.search(options.ops, op_id(o))]
    if options.shard:
        index, count = (int(x) for x in options.shard.split("/"))
        ops = [o for i, o in enumerate(ops) if i % count == index]
    return ops


def inflight_path(results_path):
    """Names the sample being run next to the results: a sample that kills the
    Python process (PyTorch once died with SIGFPE inside a sample) is left
    there, and --resume counts it as skipped instead of running it again."""
    return results_path + ".inflight"


def load_previous(paths, rerun=()):
    """{(op, dtype, sample): row} from earlier runs (--resume), merged by sample.
    The exporters named in `rerun` are dropped from those rows, so they run
    again while the others' results (torch.onnx.export's, which do not depend
    on onnxport) are kept."""
    rows = {}
    for path in paths or []:
        if os.path.exists(inflight_path(path)):
            with open(inflight_path(path)) as f:
                text = f.read().strip()
            if text:
                dead = json.loads(text)
                key = (dead["op"], dead["dtype"], dead["sample"])
                rows.setdefault(key, {}).update(dict(dead, skip="killed the Python process in an earlier run"))
        with open(path) as f:
            for line in f:
                if line.strip():
                    row = json.loads(line)
                    key = (row["op"], row["dtype"], row["sample"])
                    rows.setdefault(key, {}).update({k: v for k, v in row.items() if k not in rows.get(key, {})})
    for row in rows.values():
        for exporter in rerun:
            row.pop(exporter, None)
    return rows


def run(options):
    op_db = load_op_db()
    rerun = options.rerun.split(",") if options.rerun else []
    previous = load_previous(options.resume, rerun)
    exporters = options.exporters.split(",")
    ort = OrtServer(SOURCE)
    runner = Runner(options, ort)
    work = options.work
    os.makedirs(work, exist_ok=True)
    dtypes = [d for d in supported_dtypes_filter(options.dtypes)]
    rows = []
    started = time.time()
    try:
        with open(options.out, "w") as out:
            for opinfo in selected_ops(op_db, options):
                for dtype in dtypes:
                    if dtype not in supported_dtypes(opinfo):
                        continue
                    try:
                        with warnings.catch_warnings():
                            warnings.simplefilter("ignore")
                            samples = samples_for(opinfo, dtype, options.k)
                    except Exception as error:
                        row = {"op": op_id(opinfo), "aten": opinfo.aten_name, "dtype": DTYPE_NAMES[dtype],
                               "sample": -1, "skip": "sample generation fails: " + first_line(str(error), 200)}
                        rows.append(row)
                        out.write(json.dumps(row) + "\n")
                        continue
                    for position, (index, sample) in enumerate(samples):
                        folder = os.path.join(work, "sample")
                        shutil.rmtree(folder, ignore_errors=True)
                        os.makedirs(folder)
                        wanted = [e for e in exporters if e in ("onnxport", "torch")]
                        if "onnxport" in exporters and options.opset13 and dtype == torch.float32 and position == 0:
                            wanted.append("onnxport13")
                        old = previous.get((op_id(opinfo), DTYPE_NAMES[dtype], index), {})
                        if "skip" in old:
                            wanted = []
                        else:
                            wanted = [e for e in wanted if e not in old]
                        if not wanted and old:
                            rows.append(old)
                            out.write(json.dumps(old) + "\n")
                            continue
                        with open(inflight_path(options.out), "w") as mark:
                            json.dump({"op": op_id(opinfo), "aten": opinfo.aten_name, "dtype": DTYPE_NAMES[dtype],
                                       "sample": index}, mark)
                        try:
                            row = runner.run_sample(opinfo, dtype, index, sample, folder, wanted)
                        except OrtUnavailable:
                            raise
                        except Exception as error:  # a sample the harness cannot handle must not end the run
                            row = {"op": op_id(opinfo), "aten": opinfo.aten_name, "dtype": DTYPE_NAMES[dtype],
                                   "sample": index, "skip": "runner error: %s: %s" % (type(error).__name__,
                                                                                   first_line(str(error), 200))}
                        row.update({k: v for k, v in old.items() if k not in row})
                        rows.append(row)
                        out.write(json.dumps(row) + "\n")
                        out.flush()
                        if options.verbose:
                            print(summary_line(row), flush=True)
        if os.path.exists(inflight_path(options.out)):  # the run ended normally: no sample is in flight
            os.remove(inflight_path(options.out))
    except OrtUnavailable as error:
        print("ONNX Runtime is not available, the suite is skipped: %s" % error)
        return SKIP_RETURN_CODE
    finally:
        ort.close()
    elapsed = time.time() - started
    print(totals_text(rows, elapsed))
    if options.baseline:
        return check_baseline(rows, options.baseline)
    return 0


def supported_dtypes_filter(names):
    by_name = {v: k for k, v in DTYPE_NAMES.items()}
    return [by_name[n] for n in names.split(",")]


def summary_line(row):
    if "skip" in row:
        return "%s %s #%d: skip (%s)" % (row["op"], row["dtype"], row["sample"], row["skip"])
    parts = []
    for key in ("onnxport", "onnxport13", "torch"):
        if key in row:
            r = row[key]
            parts.append("%s %s" % (key, "ok" if r["ok"] else "FAIL [%s] %s" % (r["stage"], r["reason"])))
    return "%s %s #%d: %s" % (row["op"], row["dtype"], row["sample"], "; ".join(parts))


def totals_text(rows, elapsed):
    run = [r for r in rows if "skip" not in r]
    lines = ["%d samples (%d skipped) in %.0f s" % (len(rows), len(rows) - len(run), elapsed)]
    for key in ("onnxport", "onnxport13", "torch"):
        tried = [r[key] for r in run if key in r]
        if tried:
            lines.append("%s: %d of %d samples pass" % (key, sum(1 for r in tried if r["ok"]), len(tried)))
    return "\n".join(lines)


def sample_key(row, exporter):
    return "%s|%s|%d|%s" % (row["op"], row["dtype"], row["sample"], exporter)


def check_baseline(rows, baseline_path):
    """Fails when a sample the baseline lists as passing does not pass now."""
    with open(baseline_path) as f:
        expected = {line.strip() for line in f if line.strip() and not line.startswith("#")}
    passing = {sample_key(r, k) for r in rows for k in ("onnxport", "onnxport13") if k in r and r[k]["ok"]}
    seen = {sample_key(r, k) for r in rows for k in ("onnxport", "onnxport13") if k in r}
    # A subset run (fewer samples than the full run that wrote the baseline)
    # is held only to the baseline samples it ran.
    regressed = sorted(k for k in expected if k in seen and k not in passing)
    checked = sum(1 for k in expected if k in seen)
    new = sorted(passing - expected)
    by_key = {sample_key(r, k): r[k] for r in rows for k in ("onnxport", "onnxport13") if k in r}
    for key in regressed:
        r = by_key[key]
        print("REGRESSED %s: [%s] %s" % (key, r["stage"], r["reason"]))
    if new:
        print("%d samples pass that the baseline does not list (regenerate it with --write-baseline):" % len(new))
        for key in new[:20]:
            print("  " + key)
    print("baseline: %d listed, %d of them run, %d regressed, %d new passes" % (len(expected), checked,
                                                                                 len(regressed), len(new)))
    if expected and not checked:
        print("error: the run covers no sample of the baseline")
        return 1
    return 1 if regressed else 0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--onnxport", default=os.path.join(SOURCE, "build", "bin", "onnxport"))
    parser.add_argument("--out", required=True, help="results, one JSON line per sample")
    parser.add_argument("--work", default="/tmp/onnxport-opinfo", help="scratch folder")
    parser.add_argument("-k", type=int, default=3, help="samples per op and dtype")
    parser.add_argument("--dtypes", default="float32,int64,bool")
    parser.add_argument("--ops", help="regex over op names (name.variant)")
    parser.add_argument("--shard", help="I/N: every N-th op starting at I")
    parser.add_argument("--exporters", default="onnxport,torch")
    parser.add_argument("--opset13", action="store_true", help="also export each op's first float32 sample at opset 13")
    parser.add_argument("--baseline", help="fail when a sample listed in this file does not pass with onnxport")
    parser.add_argument("--resume", nargs="*", metavar="RESULTS",
                        help="results of earlier runs: their samples are copied, only missing exporters are run")
    parser.add_argument("--rerun", metavar="EXPORTERS",
                        help="with --resume: run these exporters again (e.g. onnxport,onnxport13) and keep the "
                             "resumed results of the others")
    parser.add_argument("-v", "--verbose", action="store_true")
    options = parser.parse_args(argv)
    return run(options)


if __name__ == "__main__":
    sys.exit(main())
