"""write_bundle: an nn.Module and example inputs in, a program bundle directory out.

Everything is computed first (capture, graph, module tree, and eager outputs
when asked for) and written last, so a failure never leaves a half-written
bundle behind.

Eager PyTorch runs only with expected=True (`--expected`): on big models the
eager forward was most of a bundle's time (bench/README.md, "torch2program"),
and `onnxport export --verify` / `onnxport run` compare with the C++ reference
interpreter when a bundle has no expected outputs (docs/torch2program.md).
"""
import copy
import json
import os
import sys
import time

import torch

from .capture import capture
from .errors import ConversionError
from .graph_walk import GraphWriter
from .module_tree import ModuleTree
from .signature import InputWriter, flatten_outputs
from .tensors import write_safetensors
from .values import TensorConstantStore

FORMAT = "onnxport.program"
VERSION = 1


def write_bundle(module, args, out_dir, input_names=None, dynamic_shapes=None, *,
                 force_trace=False, name=None, producer=None, expected=False):
    """Writes `module` called on `args` as a program bundle in `out_dir`.

    args: the tuple forward takes (tensors, Python ints/floats/bools, lists or
    tuples of tensors, None); a single tensor is accepted as (tensor,).
    input_names: names for forward's parameters, default the Python names.
    dynamic_shapes: {"x": {0: "batch"}}; list elements are named "lx.0", ...
    expected: also run eager PyTorch on (copies of) the inputs and write its
    outputs as expected.safetensors; without it the module is never called
    (unless scripting fails and it is traced).
    Returns a summary dict (capture kind, method, node and weight counts,
    "outputs": the number of expected outputs or None, and "timings": seconds
    spent in "script", "walk", "weights" and "eager").
    Raises ConversionError for what a bundle cannot hold, and for anything
    else that goes wrong while converting (naming the module): never another
    exception.
    """
    try:
        return _write_bundle(module, args, out_dir, input_names, dynamic_shapes, force_trace, name, producer,
                             expected)
    except ConversionError:
        raise
    except RecursionError:
        raise ConversionError(f"{_type_name(module)}: the module or its graph nests too deeply for "
                              f"torch2program (Python's recursion limit {sys.getrecursionlimit()})") from None
    except Exception as error:  # a bug or a TorchScript object torch2program cannot read
        raise ConversionError(f"{_type_name(module)}: torch2program failed: {type(error).__name__}: {error}") from None


def _type_name(module):
    return getattr(module, "original_name", type(module).__name__)


class _Timer:
    """Seconds per phase of a conversion: script (capture), walk (graph, module
    tree and program.json), weights (the safetensors files), eager (the eager
    forward for expected outputs; 0 when it does not run)."""

    PHASES = ("script", "walk", "weights", "eager")

    def __init__(self):
        self.seconds = {phase: 0.0 for phase in self.PHASES}
        self._phase = None
        self._start = 0.0

    def start(self, phase):
        self.stop()
        self._phase, self._start = phase, time.perf_counter()

    def stop(self):
        if self._phase is not None:
            self.seconds[self._phase] += time.perf_counter() - self._start
            self._phase = None


def _write_bundle(module, args, out_dir, input_names, dynamic_shapes, force_trace, name, producer, want_expected):
    timer = _Timer()
    args = _as_tuple(args)
    module.eval()
    timer.start("script")
    buffers = _snapshot_buffers(module)
    captured = capture(module, args, force_trace=force_trace)
    if captured.kind == "trace":
        _restore_buffers(module, buffers)  # tracing ran forward once

    timer.start("walk")
    names = _input_names(captured, args, input_names)
    full_args = list(args) + [captured.param_defaults[n] for n in names[len(args):]]
    constants = TensorConstantStore()
    writer = GraphWriter(captured.graph, ["self"] + names, captured.module_type_names(), constants,
                         owner=captured.script_module)
    graph = writer.write()
    graph_inputs = _graph_inputs(captured.graph, names, full_args, dynamic_shapes)

    tree = ModuleTree(module)
    for use in writer.getattr_uses:
        tree.require(use, captured.script_module)
    _refuse_renormalizing_embeddings(module)
    weights = {k: (buffers[k] if k in buffers else v) for k, v in tree.weights.items()}

    expected = None
    if want_expected:
        timer.start("eager")
        versions = _parameter_versions(module)
        expected = flatten_outputs(_run_eager(module, args))
        _refuse_parameter_updates(module, versions)
        expected.update(_mutated_buffers(module, buffers))
        _restore_buffers(module, buffers)

    timer.start("walk")
    program = {
        "format": FORMAT,
        "version": VERSION,
        "name": name or tree.tree["type"],
        "producer": _producer(captured, producer),
        "module": tree.tree,
        "graph": {"inputs": [{"name": "self", "type": "Module"}] + graph_inputs.json,
                  "nodes": graph["nodes"], "outputs": graph["outputs"]},
    }
    if tree.tied:
        program["tied_weights"] = tree.tied
    _write(out_dir, program, writer.node_count, {**weights, **constants.tensors}, graph_inputs.examples, expected,
           timer)
    timer.stop()
    return {"dir": out_dir, "capture": captured.kind, "method": captured.method_name,
            "nodes": writer.node_count, "weights": len(weights), "constants": len(constants.tensors),
            "outputs": None if expected is None else len(expected), "script_error": captured.script_error,
            "timings": dict(timer.seconds)}


def _as_tuple(args):
    if isinstance(args, tuple):
        return args
    if isinstance(args, list):
        return tuple(args)
    return (args,)


def _input_names(captured, args, input_names):
    """forward's parameter names (all of them for a scripted graph, the given ones for a trace)."""
    names = list(captured.param_names)
    if input_names is not None:
        input_names = list(input_names)
        if len(input_names) > len(names):
            raise ConversionError(f"{len(input_names)} input names given for {len(names)} inputs of "
                                  f"{captured.method_name}")
        names[:len(input_names)] = input_names
    missing = [n for n in names[len(args):] if n not in captured.param_defaults]
    if missing:
        raise ConversionError(f"no example value for input(s) {', '.join(missing)} of {captured.method_name}")
    return names


class _GraphInputs:
    def __init__(self, json_inputs, examples):
        self.json = json_inputs
        self.examples = examples


def _graph_inputs(graph, names, values, dynamic_shapes):
    declared = [v.type() for v in list(graph.inputs())[1:]]
    if len(declared) != len(values):
        raise ConversionError(f"the captured graph has {len(declared)} inputs besides self, "
                              f"but {len(values)} values were given")
    writer = InputWriter(dynamic_shapes)
    described = [writer.describe(n, v, t) for n, v, t in zip(names, values, declared)]
    writer.check_dynamic_names()
    return _GraphInputs(described, writer.examples)


def _snapshot_buffers(module):
    return {name: buf.detach().clone() for name, buf in module.named_buffers()}


def _restore_buffers(module, snapshot):
    with torch.no_grad():
        for name, buf in module.named_buffers():
            if name in snapshot:
                buf.copy_(snapshot[name])


def _mutated_buffers(module, before):
    """Buffers forward changed, by dotted name: the extra outputs of a functionalized program."""
    return {name: buf.detach().clone() for name, buf in module.named_buffers()
            if name in before and not _same_values(buf, before[name])}


def _parameter_versions(module):
    """Each parameter's version counter: every in-place write bumps it (also through
    .detach(), which shares it), so comparing them costs nothing, whatever the model's size."""
    return {name: p._version for name, p in module.named_parameters()}


def _refuse_parameter_updates(module, before):
    """Eager forward that changes a parameter in place (nn.Embedding(max_norm=...) renormalizes
    the rows it reads) does what no program can: TorchScript itself drops that update from the
    scripted graph, so the model would differ from eager. Refused instead of written."""
    changed = [name for name, p in module.named_parameters() if name in before and p._version != before[name]]
    if changed:
        raise ConversionError(f"eager forward changes parameter(s) {', '.join(changed)} in place (e.g. "
                              f"nn.Embedding(max_norm=...) renormalizes the rows it reads); the scripted graph "
                              f"does not, so a program of it would differ from eager PyTorch")


def _refuse_renormalizing_embeddings(module):
    """The same refusal without running forward, for the modules known to do it: nn.Embedding
    and nn.EmbeddingBag with max_norm renormalize their weight in place in eager, and their
    scripted graph drops that. (Other in-place updates of parameters are only seen by the
    eager run of expected=True; docs/torch2program.md, "Known limits".)"""
    kinds = (torch.nn.Embedding, torch.nn.EmbeddingBag)
    changed = [_dotted(path, "weight") for path, m in module.named_modules()
               if isinstance(m, kinds) and getattr(m, "max_norm", None) is not None]
    if changed:
        raise ConversionError(f"eager forward changes parameter(s) {', '.join(changed)} in place (nn.Embedding"
                              f"(max_norm=...) renormalizes the rows it reads); the scripted graph does not, so a "
                              f"program of it would differ from eager PyTorch")


def _dotted(path, name):
    return f"{path}.{name}" if path else name


def _same_values(a, b):
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    if a.is_floating_point():
        return torch.allclose(a, b, rtol=0, atol=0, equal_nan=True)
    return torch.equal(a, b)


def _run_eager(module, args):
    """Eager outputs on copies of the inputs (forward may update its inputs in place)."""
    with torch.no_grad():
        try:
            return module(*copy.deepcopy(args))
        except Exception as error:
            raise ConversionError(f"eager PyTorch failed on the example inputs: {error}") from None


def _producer(captured, extra):
    info = {"name": "torch2program", "torch": torch.__version__, "capture": captured.kind,
            "method": captured.method_name}
    torchvision = sys.modules.get("torchvision")  # only when the model used it
    if torchvision is not None:
        info["torchvision"] = torchvision.__version__
    if captured.script_error:
        info["script_error"] = captured.script_error
    if captured.trace_warnings:
        info["trace_warnings"] = captured.trace_warnings
    if captured.trace_checks:
        info["trace_checks"] = captured.trace_checks
    if captured.trace_guards:
        info["trace_guards"] = captured.trace_guards
    info.update(extra or {})
    return info


# Above this many nodes program.json is written compact: Python's indenting JSON
# encoder is pure Python and takes seconds on a vit_b_16 (8000 nodes); nobody
# reads those by eye (`onnxport inspect` prints them readably).
INDENTED_MAX_NODES = 2000


def _write(out_dir, program, node_count, weights, inputs, expected, timer):
    """Writes the files; expected=None removes an expected.safetensors an earlier
    conversion left in out_dir (it would not belong to this program)."""
    timer.start("weights")
    os.makedirs(out_dir, exist_ok=True)
    write_safetensors(os.path.join(out_dir, "weights.safetensors"), weights)
    write_safetensors(os.path.join(out_dir, "inputs.safetensors"), inputs)
    expected_path = os.path.join(out_dir, "expected.safetensors")
    if expected is not None:
        write_safetensors(expected_path, expected)
    elif os.path.exists(expected_path):
        os.remove(expected_path)
    timer.start("walk")
    path = os.path.join(out_dir, "program.json")
    tmp = f"{path}.tmp{os.getpid()}"
    indented = node_count <= INDENTED_MAX_NODES
    text = json.dumps(program, indent=1 if indented else None, separators=None if indented else (",", ":"),
                      allow_nan=False)
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text + "\n")
    os.replace(tmp, path)
