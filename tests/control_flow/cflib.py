"""The control-flow pattern catalogue's machinery: how a pattern is declared,
how its path inputs are checked to exercise every line of forward, and how one
strategy's export is judged (exported / refused / unsound) by running the ONNX
model in ONNX Runtime and comparing with eager PyTorch.

A pattern module is written the way a user writes PyTorch (plain Python `if`,
`for`, `while`; no torch.cond). Its `Case` says which inputs take which path,
which dims are dynamic, and what each strategy is expected to do with it.
"""
import copy
import dis
import inspect
import json
import os
import subprocess
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tools", "torch2program"))
sys.path.insert(0, os.path.join(REPO, "tests", "integration"))

from torch2program import write_bundle  # noqa: E402,F401 (run_case uses it from here)
from torch2program_lib.signature import flatten_outputs  # noqa: E402
from torch2program_lib.tensors import read_safetensors, write_safetensors  # noqa: E402,F401
from onnxport_testlib import _fields  # noqa: E402 (the tests' minimal protobuf reader)

STRATEGIES = ("strict", "non-strict", "cond-rewrite", "draft")
# exported: sound by the report and right on every path input; refused: exit 1,
# no model; unsound: the report says not sound (exported only with
# --allow-unsound); wrong: the report says sound (or the export exited 0 under
# config/default.json, which refuses unsound captures) but the model differs
# from eager on some path input: the one outcome nobody may ever get.
EXPORTED, REFUSED, UNSOUND, WRONG = "exported", "refused", "unsound", "wrong"
OUTCOMES = (EXPORTED, REFUSED, UNSOUND, WRONG)
ATOL, RTOL = 1e-4, 1e-3


class Case:
    """One pattern: a module factory, its path inputs, and the expected outcome per strategy.

    paths: a function returning a list of argument tuples (called after
      torch.manual_seed(0)); the first one is the bundle's example. Together they
      must execute every line of forward and give each dynamic dim two sizes.
    dynamic: torch2program's dynamic_shapes ({"x": {0: "batch"}}).
    expect: {strategy: "exported" | "refused" | "unsound" | "wrong"} for the four strategies.
    unreachable: {source text of a line of forward: why no path input can reach it}.
    default: (strategy, outcome) of config/default.json when it is not the
      first strategy declared exported (or wrong: the host cannot tell).
    config: keys laid over the test's config (a config file that `extends` it),
      e.g. {"unroll_limit": {"nodes": 40}}; every export of the pattern uses it.
    onnx_ops: {ONNX op type: True (must appear) or False (must not)} in every
      model a strategy exports soundly and in the default config's model, e.g.
      {"Loop": False} for a loop that must be unrolled.
    """

    def __init__(self, name, factory, paths, expect, dynamic=None, topic="", pattern="", note="",
                 unreachable=None, default=None, config=None, onnx_ops=None):
        self.name, self.factory, self.paths, self.expect = name, factory, paths, expect
        self.config = config or {}
        self.onnx_ops = onnx_ops or {}
        self.dynamic = dynamic or {}
        self.unreachable = unreachable or {}
        self.default = default
        self.topic, self.pattern, self.note = topic, pattern, note


CASES = {}


def case(name, factory, paths, expect, **kwargs):
    if name in CASES:
        raise ValueError("pattern %r declared twice" % name)
    missing = [s for s in STRATEGIES if s not in expect]
    wrong = [o for o in expect.values() if o not in OUTCOMES]
    if missing or wrong or len(expect) != len(STRATEGIES):
        raise ValueError("pattern %r: expect needs one of %s for each of %s" % (name, OUTCOMES, STRATEGIES))
    CASES[name] = Case(name, factory, paths, expect, **kwargs)


def expect(strict, non_strict, cond_rewrite, draft):
    return {"strict": strict, "non-strict": non_strict, "cond-rewrite": cond_rewrite, "draft": draft}


def load_cases():
    """Imports every cases_*.py beside this file (they call case())."""
    import importlib
    for file in sorted(os.listdir(HERE)):
        if file.startswith("cases_") and file.endswith(".py"):
            importlib.import_module(file[:-3])
    return CASES


# ---------------------------------------------------------------------------
# Path coverage: the path inputs must execute every line of forward that has code.

def executable_lines(function):
    """Source lines of `function` that start bytecode, without the `def` line."""
    code = function.__code__
    lines = {line for _, line in dis.findlinestarts(code) if line is not None}
    lines.discard(code.co_firstlineno)
    return lines


def run_eager(module, args):
    """forward on copies of `args` under no_grad, with the module's buffers
    restored afterwards. Returns (flattened outputs, or the exception raised;
    {buffer or input name: value after forward}; the names of those forward
    changed; the lines of forward executed)."""
    names = forward_parameter_names(module)
    inputs_before = flatten_named_args(names, args)
    call_args = copy.deepcopy(args)
    before = {n: b.detach().clone() for n, b in module.named_buffers()}
    code = type(module).forward.__code__
    executed = set()

    def tracer(frame, event, _):
        if frame.f_code is not code:
            return None
        if event == "line":
            executed.add(frame.f_lineno)
        return tracer

    sys.settrace(tracer)
    try:
        with torch.no_grad():
            result = module(*call_args)
        outputs = flatten_outputs(result)
    except Exception as error:  # a pattern that raises on some path input
        outputs = error
    finally:
        sys.settrace(None)
        after = {n: b.detach().clone() for n, b in module.named_buffers()}
        with torch.no_grad():
            for name, buf in module.named_buffers():
                buf.copy_(before[name])
    inputs_after = flatten_named_args(names, call_args)
    changed = {n for n, v in after.items() if not torch.equal(v, before[n])}
    changed |= {n for n, v in inputs_after.items() if not torch.equal(v, inputs_before[n])}
    after.update(inputs_after)
    return outputs, after, changed, executed


def uncovered_lines(module, executed, unreachable):
    """Lines of forward with code that no path input executed, except the
    declared unreachable ones (by source text)."""
    forward = type(module).forward
    source, first = inspect.getsourcelines(forward)
    missing = []
    for line in sorted(executable_lines(forward) - executed):
        text = source[line - first].strip()
        if text not in unreachable:
            missing.append("%d: %s" % (line, text))
    return missing


def dynamic_sizes(case, paths):
    """{"x:0": {sizes seen}} for every declared dynamic dim."""
    seen = {}
    names = forward_parameter_names(case.factory)
    for args in paths:
        values = flatten_named_args(names, args)
        for input_name, dims in case.dynamic.items():
            for dim in dims:
                seen.setdefault("%s:%s" % (input_name, dim), set()).add(values[input_name].shape[dim])
    return seen


# ---------------------------------------------------------------------------
# Inputs as ONNX Runtime sees them.

def forward_parameter_names(factory_or_module):
    module_type = factory_or_module if isinstance(factory_or_module, type) else type(factory_or_module)
    params = list(inspect.signature(module_type.forward).parameters)
    return params[1:]


def flatten_named_args(names, args):
    """forward's arguments by ONNX input name: a list/tuple flattened in place
    (`lx.0`, `lx.1`), Python numbers as 0-d tensors, None left out."""
    out = {}
    for name, value in zip(names, args):
        if isinstance(value, torch.Tensor):
            out[name] = value
        elif isinstance(value, (list, tuple)):
            for i, item in enumerate(value):
                out["%s.%d" % (name, i)] = item
        elif isinstance(value, bool):
            out[name] = torch.tensor(value)
        elif isinstance(value, int):
            out[name] = torch.tensor(value, dtype=torch.int64)
        elif isinstance(value, float):
            out[name] = torch.tensor(value, dtype=torch.float64)
    return out


# ONNX TensorProto element types -> torch dtypes (the ones the patterns use).
ONNX_DTYPES = {1: torch.float32, 6: torch.int32, 7: torch.int64, 9: torch.bool, 10: torch.float16,
               11: torch.float64}


def _value_info(buf):
    """(name, elem_type or None) of a ValueInfoProto."""
    name, elem = "", None
    for field, _, value in _fields(buf):
        if field == 1:
            name = value.decode()
        elif field == 2:  # TypeProto.tensor_type (1) .elem_type (1)
            for tf, _, tv in _fields(value):
                if tf == 1:
                    for ef, _, ev in _fields(tv):
                        if ef == 1:
                            elem = ev
    return name, elem


def onnx_signature(path):
    """([(input name, elem type)], [output names], op types of the main graph and subgraphs) of a model."""
    with open(path, "rb") as f:
        buf = f.read()
    for field, _, value in _fields(buf):
        if field == 7:
            inputs, outputs, initializers = [], [], set()
            for gf, _, gv in _fields(value):
                if gf == 5:
                    initializers.add(next((v.decode() for f2, _, v in _fields(gv) if f2 == 8), ""))
                elif gf == 11:
                    inputs.append(_value_info(gv))
                elif gf == 12:
                    outputs.append(_value_info(gv)[0])
            return [i for i in inputs if i[0] not in initializers], outputs, _op_types(value)
    raise ValueError("%s: no graph in the model" % path)


def _op_types(graph_buf):
    ops = []
    for field, _, value in _fields(graph_buf):
        if field == 1:
            for nf, _, nv in _fields(value):
                if nf == 4:
                    ops.append(nv.decode())
                elif nf == 5:
                    for af, _, av in _fields(nv):
                        if af == 6:
                            ops += _op_types(av)
    return ops


# ---------------------------------------------------------------------------
# Running things.

class Tools:
    def __init__(self, onnxport, config, work):
        self.onnxport, self.config, self.work = onnxport, config, work
        self.runner = os.path.join(REPO, "tools", "ort-runner", "run.js")

    def export(self, bundle, model, report, strategies=None, allow_unsound=False, mutations_as_outputs=False):
        cmd = [self.onnxport, "export", bundle, "-c", self.config, "-o", model, "--report", report, "-q"]
        if strategies:
            cmd += ["--strategies", strategies]
        if allow_unsound:
            cmd += ["--allow-unsound"]
        if mutations_as_outputs:
            cmd += ["--mutations-as-outputs"]
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=120)
        return cmd, proc

    def ort(self, model, inputs, outputs):
        cmd = ["node", self.runner, model, inputs, outputs]
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=120)
        return cmd, proc


UPDATED = ".updated"


def _same(got, want):
    if want.dtype == torch.bool or got.dtype == torch.bool:
        return torch.equal(got.to(torch.bool), want.to(torch.bool))
    if want.is_floating_point():
        return torch.allclose(got.to(torch.float64), want.to(torch.float64), atol=ATOL, rtol=RTOL, equal_nan=True)
    return torch.equal(got.to(torch.int64), want.to(torch.int64))


def _compare_one(got_name, got, name, want):
    if tuple(got.shape) != tuple(want.shape):
        return "%s (%s): shape %s, eager %s" % (got_name, name, list(got.shape), list(want.shape))
    if not _same(got, want):
        diff = (got.to(torch.float64) - want.to(torch.float64)).abs().max().item() if got.numel() else 0.0
        return "%s (%s): values differ, max |diff| %.3g" % (got_name, name, diff)
    return None


def compare(actual, expected, updated, with_updates=True):
    """None when the ONNX outputs match eager's, else what differs.

    actual: [(ONNX output name, tensor)] in the model's order. Forward's own
    outputs (output.0, ...) are compared in order. With `with_updates`
    (--mutations-as-outputs), an output named `<name>.updated` is the value of
    buffer or input <name> after forward (a functionalized in-place update, as
    torch.export's graph signature returns it), compared with `updated[name]`,
    and every name in `updated` must have one; without it the model must have
    exactly forward's outputs.
    """
    if isinstance(expected, Exception):
        # An input on which eager PyTorch raises is not a valid input of the
        # program: there is no output the model could get wrong.
        return None
    own = [(n, t) for n, t in actual if not n.endswith(UPDATED)]
    extra = {n[:-len(UPDATED)]: (n, t) for n, t in actual if n.endswith(UPDATED)}
    if not with_updates:
        if extra:
            return "outputs %s: without --mutations-as-outputs the model has forward's outputs only" % (
                ", ".join(n + UPDATED for n in sorted(extra)))
        updated = {}
    exp = list(expected.items())
    if len(own) != len(exp):
        return "%d outputs (%s), eager has %d (%s)" % (len(own), ", ".join(n for n, _ in own), len(exp),
                                                       ", ".join(k for k, _ in exp))
    for (got_name, got), (name, want) in zip(own, exp):
        problem = _compare_one(got_name, got, name, want)
        if problem:
            return problem
    unknown = sorted(set(extra) - set(updated))
    if unknown:
        return "outputs %s: forward does not update %s in place" % (
            ", ".join(n + UPDATED for n in unknown), ", ".join(unknown))
    missing = sorted(set(updated) - set(extra))
    if missing:
        return "no %s output: forward updates %s in place" % (
            " / ".join(n + UPDATED for n in missing), ", ".join(missing))
    for name, (got_name, got) in extra.items():
        problem = _compare_one(got_name, got, name, updated[name])
        if problem:
            return problem
    return None


def read_report(report_dir):
    path = os.path.join(report_dir, "report.json")
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


def failure_reason(report, proc):
    """Why an export failed: the report's one-line error and the first error
    diagnostic of the last attempt (with its source line), else stderr's last line."""
    if report:
        parts = [report.get("status", {}).get("error", "")]
        attempts = report.get("capture", {}).get("attempts", [])
        for d in (attempts[-1].get("diagnostics", []) if attempts else []):
            if d.get("severity") == "error":
                loc = d.get("loc") or {}
                where = " at %s:%s: %s" % (os.path.basename(loc.get("file", "")), loc.get("line"),
                                           loc.get("text", "").strip()) if loc.get("line") else ""
                parts.append("[%s] %s%s" % (d.get("code", ""), d.get("message", "").splitlines()[0], where))
                break
        text = " / ".join(p for p in parts if p)
        if text:
            return text
    lines = [l for l in (proc.stderr or "").splitlines() if l.strip()]
    return lines[-1] if lines else "exit code %d" % proc.returncode
