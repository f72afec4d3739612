"""Export a PyTorch module through torch2program and onnxport, then run the
ONNX model in ONNX Runtime on several inputs and compare with eager PyTorch.

Needs torch: run with /usr/bin/python3. Used by test_dynamic_shapes.py and
test_data_dependent.py (issue 4: every dynamic-shape test runs the model on at
least two sizes; every branch test feeds inputs taking each branch).
"""
import json
import os
import subprocess
import sys

import torch

from onnxport_testlib import DEFAULT_CONFIG, ONNXPORT, SOURCE, _fields, fresh_dir, read_json

sys.path.insert(0, os.path.join(SOURCE, "tools", "torch2program"))
from torch2program import write_bundle  # noqa: E402
from torch2program_lib.tensors import read_safetensors, write_safetensors  # noqa: E402

ORT_RUNNER = os.path.join(SOURCE, "tools", "ort-runner", "run.js")


def flatten_args(names, args):
    """{onnx input name: tensor} as onnxport flattens forward's parameters:
    lists/tuples in place (lx.0, lx.1), ints/floats/bools as 0-d tensors, None dropped."""
    out = {}
    for name, value in zip(names, args):
        if isinstance(value, (list, tuple)):
            out.update(flatten_args(["%s.%d" % (name, i) for i in range(len(value))], value))
        elif isinstance(value, torch.Tensor):
            out[name] = value
        elif isinstance(value, bool):
            out[name] = torch.tensor(value)
        elif isinstance(value, int):
            out[name] = torch.tensor(value, dtype=torch.int64)
        elif isinstance(value, float):
            out[name] = torch.tensor(value, dtype=torch.float64)
    return out


def flatten_outputs(value):
    """Eager outputs in onnxport's order: tuples/lists/dict values flattened, scalars as 0-d tensors."""
    if isinstance(value, torch.Tensor):
        return [value]
    if isinstance(value, (list, tuple)):
        return [t for v in value for t in flatten_outputs(v)]
    if isinstance(value, dict):
        return [t for v in value.values() for t in flatten_outputs(v)]
    if isinstance(value, bool):
        return [torch.tensor(value)]
    if isinstance(value, (int, float)):
        return [torch.tensor(value)]
    return []


class Exported:
    """One export: the model path, the report, and the process."""

    def __init__(self, folder, proc):
        self.folder, self.proc = folder, proc
        self.model = os.path.join(folder, "model.onnx")
        report = os.path.join(folder, "report", "report.json")
        self.report = read_json(report) if os.path.exists(report) else None

    @property
    def ok(self):
        return self.proc.returncode == 0

    def text(self):
        return self.proc.stdout + self.proc.stderr


def export(module, example_args, name, dynamic_shapes=None, cli_dynamic=(), strategies=None,
           config=DEFAULT_CONFIG, input_names=None, extra=(), force_trace=False):
    """torch2program (torch.jit.trace instead of script with force_trace) + onnxport export; returns an
    Exported (check .ok)."""
    folder = fresh_dir(name)
    bundle = os.path.join(folder, "bundle")
    write_bundle(module, example_args, bundle, input_names=input_names, dynamic_shapes=dynamic_shapes, expected=True,
                 force_trace=force_trace)
    cmd = [ONNXPORT, "export", bundle, "-c", config, "-o", os.path.join(folder, "model.onnx"),
           "--report", os.path.join(folder, "report")]
    for spec in cli_dynamic:
        cmd += ["--dynamic", spec]
    if strategies:
        cmd += ["--strategies", ",".join(strategies)]
    cmd += list(extra)
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=300)
    return Exported(folder, proc)


def run_ort(model, inputs, folder):
    """Runs `model` in ONNX Runtime on {name: tensor}; returns the outputs in order."""
    src = os.path.join(folder, "ort-in.safetensors")
    dst = os.path.join(folder, "ort-out.safetensors")
    if os.path.exists(dst):
        os.remove(dst)
    write_safetensors(src, {k: v.contiguous() for k, v in inputs.items()})
    proc = subprocess.run(["node", ORT_RUNNER, model, src, dst], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, timeout=300)
    if proc.returncode != 0:
        raise AssertionError("ONNX Runtime failed on %s: %s" % (model, proc.stderr))
    return list(read_safetensors(dst).values())


def _sub(message, field):
    for f, wire, value in _fields(message):
        if f == field and wire == 2:
            return value
    return b""


def _value_info(message):
    """(name, [dim value or dim_param]) of a ValueInfoProto (type.tensor_type.shape.dim)."""
    shape = _sub(_sub(_sub(message, 2), 1), 2)
    dims = []
    for f, _, dim in _fields(shape):
        if f != 1:
            continue
        value, param = 0, None
        for df, _, dv in _fields(dim):
            if df == 1:
                value = dv
            elif df == 2:
                param = dv.decode()
        dims.append(param if param is not None else value)
    return _sub(message, 1).decode(), dims


def onnx_io(model):
    """(inputs, outputs) of the model's main graph: [(name, [dim value or dim_param])]."""
    with open(model, "rb") as f:
        graph = _sub(f.read(), 7)
    inputs = [_value_info(v) for f, w, v in _fields(graph) if f == 11]
    outputs = [_value_info(v) for f, w, v in _fields(graph) if f == 12]
    return inputs, outputs


class TorchExportMixin:
    """unittest assertions: export must pass and match eager on every input set."""

    def assertExports(self, module, example_args, name, **kw):
        ex = export(module, example_args, name, **kw)
        self.assertTrue(ex.ok, "export of %s failed:\n%s" % (name, ex.text()))
        return ex

    def assertMatchesEager(self, ex, module, names, arg_sets, atol=1e-4):
        for i, args in enumerate(arg_sets):
            with torch.no_grad():
                expected = flatten_outputs(module(*[a.clone() if isinstance(a, torch.Tensor) else a for a in args]))
            got = run_ort(ex.model, flatten_args(names, args), ex.folder)
            self.assertGreaterEqual(len(got), len(expected), "input set %d: outputs %d vs %d" % (i, len(got), len(expected)))
            for j, (g, e) in enumerate(zip(got, expected)):
                self.assertEqual(list(g.shape), list(e.shape), "input set %d output %d shape" % (i, j))
                self.assertTrue(torch.allclose(g.double(), e.double(), atol=atol, rtol=1e-3),
                                "input set %d output %d:\n%s\nvs eager\n%s" % (i, j, g, e))
