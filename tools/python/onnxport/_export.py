"""onnxport.export: torch.onnx.export's call, through a program bundle and
the onnxport host.

Every argument is checked before any work (nothing is written when one is
wrong); then the module is written as a bundle in a temporary folder
(torch2program), `onnxport export` runs on it, and the model lands in `f`
only when every stage passed."""
import inspect
import json
import os
import shutil
import tempfile
import time

from ._errors import OnnxportError
from ._host import run_onnxport


# The opsets the built-in translators cover (kMinSupportedOpset and
# kMaxSupportedOpset in core/include/onnxport_core/config.hpp; the host checks
# again): checked here so a wrong one fails before any work.
MIN_OPSET, MAX_OPSET = 13, 18


class ExportResult:
    """What an export produced: `path` (the model file), `strategy` (the one
    that captured the graph), `sound` (False when the graph is only right while
    its runtime assertions hold), `report` (report.json as a dict),
    `verification` (the verification figures, None without verify=True),
    `output` (the host's console output) and `timings` (seconds: "script",
    "walk", "weights" and "eager" of writing the bundle, as torch2program
    --timings prints them, and "export", the host's wall time)."""

    def __init__(self, path, report, output, timings=None):
        self.path = path
        self.report = report
        self.output = output
        self.timings = timings or {}
        self.strategy = report.get("capture", {}).get("chosen_strategy")
        self.sound = report.get("soundness", {}).get("sound")
        self.verification = report.get("verification")

    def __repr__(self):
        return f"ExportResult(path={self.path!r}, strategy={self.strategy!r}, sound={self.sound!r})"


def export(model, args, f, *, kwargs=None, input_names=None, output_names=None, dynamic_shapes=None,
           dynamic_axes=None, opset=None, config=None, strategies=None, verify=False, report=None,
           external_data=None, mutations_as_outputs=False, allow_unsound=None, durable=False):
    """Exports `model` called on `args` (and `kwargs`) to the ONNX file `f`.

    The names and meanings are torch.onnx.export's and torch.export's:
    - args: a tuple of forward's positional arguments (a lone tensor is (tensor,));
      kwargs: forward's keyword arguments;
    - input_names / output_names: names of the model's inputs and outputs, in order;
    - dynamic_shapes (torch.export's form): {input: {dim: name}} or a tuple with
      one entry per argument ({dim: name} or None); a name may also be any object
      with a `__name__` or `name` (as torch.export.Dim has);
    - dynamic_axes (torch.onnx's form): {input or output name: [dims] or {dim: name}};
      axes of outputs follow from the inputs' and are only checked;
    - opset: the target opset (13..18); config: a config file (default: the
      installation's default.json); strategies: the strategies to try, in order;
    - verify: run the model in ONNX Runtime and compare with eager PyTorch (the
      only case besides output_names in which eager PyTorch runs: once);
    - allow_unsound: when no strategy captures a sound graph, True exports the
      first unsound one instead of failing, False fails even when the config
      allows it (config/torch-compatible.json), None (the default) follows the
      config's allow_unsound;
    - report: a folder for report.json and report.md;
    - mutations_as_outputs: add the new values of the buffers and inputs forward
      updates in place as extra outputs `<name>.updated`, after forward's (by
      default the model's outputs are exactly forward's); output_names then
      names forward's outputs, or all of them;
    - external_data: True writes the large initializers to "<f>.data" beside
      the model at any size (a model over 2 GB gets it anyway); f must then be a
      path (docs/large-models.md);
    - durable: True fsyncs the model (and its data file) before returning, so
      it survives a power loss (docs/large-models.md, "Durable or not"); by
      default the files are complete when export returns but may still be in
      the page cache, as torch.onnx.export's are.

    Returns an ExportResult; raises OnnxportError (message: the first problem).
    """
    import torch

    _check_model(model, torch)
    args = _as_tuple(args)
    kwargs = dict(kwargs or {})
    params = _forward_parameters(model)
    positional = _bind(model, params, args, kwargs)
    names = [p for p in params][: len(positional)]
    if external_data is not None and not isinstance(external_data, bool):
        raise OnnxportError(f"external_data: expected True or False, got {external_data!r}")
    if external_data and not isinstance(f, (str, os.PathLike)):
        raise OnnxportError("external_data: the data file is written beside the model, so f must be a file path, "
                            "not a file object")
    if allow_unsound is not None and not isinstance(allow_unsound, bool):
        raise OnnxportError(f"allow_unsound: expected True, False or None, got {allow_unsound!r}")
    if not isinstance(durable, bool):
        raise OnnxportError(f"durable: expected True or False, got {durable!r}")
    if not isinstance(mutations_as_outputs, bool):
        raise OnnxportError(f"mutations_as_outputs: expected True or False, got {mutations_as_outputs!r}")
    if f is None or (not isinstance(f, (str, os.PathLike)) and not hasattr(f, "write")):
        raise OnnxportError(f"f: expected a file path or a writable binary file, got {type(f).__name__}")
    tensor_inputs = _tensor_inputs(names, positional, torch)
    input_names = _check_input_names(input_names, tensor_inputs)
    # Counting the outputs runs forward: only done when there are names to check.
    if output_names is not None:
        output_names = _check_output_names(output_names, _count_outputs(model, positional, torch),
                                           mutations_as_outputs)
    dims = _dynamic_dims(dynamic_shapes, dynamic_axes, names, positional, tensor_inputs, input_names, output_names,
                         torch)
    if opset is not None and (not isinstance(opset, int) or isinstance(opset, bool)
                              or not MIN_OPSET <= opset <= MAX_OPSET):
        raise OnnxportError(f"opset: opset {opset!r} is not supported (supported: {MIN_OPSET}..{MAX_OPSET}, the "
                            "opsets the built-in translators cover)")
    if strategies is not None:
        if isinstance(strategies, str):
            strategies = [s for s in strategies.split(",") if s]
        if not strategies or not all(isinstance(s, str) and s for s in strategies):
            raise OnnxportError(f"strategies: expected a list of strategy names, got {strategies!r}")
    if config is not None and not os.path.isfile(config):
        raise OnnxportError(f"config: {config}: no such file")

    from .torch2program_lib.bundle import write_bundle
    from .torch2program_lib.errors import ConversionError

    with tempfile.TemporaryDirectory(prefix="onnxport-export-") as tmp:
        bundle = os.path.join(tmp, "bundle")
        try:
            summary = write_bundle(model, positional, bundle, input_names=names, dynamic_shapes=dims,
                                   expected=bool(verify))
        except ConversionError as error:
            where = f" (at {error.where})" if getattr(error, "where", None) else ""
            raise OnnxportError(f"the module cannot be written as a program: {error.message}{where}") from None
        model_file = os.path.join(tmp, "model.onnx") if not isinstance(f, (str, os.PathLike)) else os.fspath(f)
        report_dir = os.fspath(report) if report is not None else os.path.join(tmp, "report")
        command = ["export", bundle, "-o", model_file, "--report", report_dir]
        if config is not None:
            command += ["-c", os.fspath(config)]
        if opset is not None:
            command += ["--opset", str(opset)]
        if strategies is not None:
            command += ["--strategies", ",".join(strategies)]
        if verify:
            command.append("--verify")
        if allow_unsound is True:
            command.append("--allow-unsound")
        elif allow_unsound is False:
            command.append("--no-allow-unsound")
        if mutations_as_outputs:
            command.append("--mutations-as-outputs")
        if external_data:
            command.append("--external-data")
        if durable:
            command.append("--durable")
        if input_names:
            command += ["--input-names", ",".join(input_names)]
        if output_names:
            command += ["--output-names", ",".join(output_names)]
        started = time.perf_counter()
        proc = run_onnxport(command)
        timings = dict(summary["timings"], export=time.perf_counter() - started)
        output = proc.stderr + proc.stdout
        report_data = _read_report(report_dir)
        if proc.returncode != 0:
            raise OnnxportError(_first_error(output, report_data), report=report_data, output=output)
        if not isinstance(f, (str, os.PathLike)):
            if os.path.exists(model_file + ".data"):
                raise OnnxportError("the model is larger than 2 GB, so it was written with external data (a data "
                                    "file beside the model): give f as a file path, not a file object",
                                    report=report_data, output=output)
            with open(model_file, "rb") as model_bytes:
                shutil.copyfileobj(model_bytes, f)
            path = getattr(f, "name", None)
        else:
            path = model_file
        return ExportResult(path, report_data or {}, output, timings)


def _check_model(model, torch):
    if not isinstance(model, torch.nn.Module):
        raise OnnxportError(f"model: expected a torch.nn.Module, got {type(model).__name__}")


def _as_tuple(args):
    if isinstance(args, tuple):
        return args
    if isinstance(args, list):
        return tuple(args)
    return (args,)


def _forward_parameters(model):
    try:
        signature = inspect.signature(model.forward)
    except (TypeError, ValueError) as error:
        raise OnnxportError(f"model: cannot read the signature of forward: {error}") from None
    params = {}
    for name, p in signature.parameters.items():
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            raise OnnxportError(f"model: forward takes *{name}: onnxport needs named parameters")
        params[name] = p
    return params


def _bind(model, params, args, kwargs):
    """forward's arguments in order, keyword ones placed, defaults filled up to the last given."""
    signature = inspect.Signature(list(params.values()))
    try:
        bound = signature.bind(*args, **kwargs)
    except TypeError as error:
        expected = ", ".join(params)
        raise OnnxportError(f"args/kwargs: do not match {type(model).__name__}.forward({expected}): {error}") from None
    given = set(bound.arguments)
    bound.apply_defaults()
    names = list(params)
    last = max((names.index(n) for n in given), default=-1)
    return tuple(bound.arguments[n] for n in names[: last + 1])


def _tensor_inputs(names, values, torch):
    """(name, tensor) of the arguments that become ONNX inputs: tensors (lists
    of tensors become one input per element, named name.0, name.1, ...)."""
    out = []
    for name, value in zip(names, values):
        if isinstance(value, torch.Tensor):
            out.append((name, value))
        elif isinstance(value, (list, tuple)) and value and all(isinstance(v, torch.Tensor) for v in value):
            out += [(f"{name}.{i}", v) for i, v in enumerate(value)]
    return out


def _check_input_names(input_names, tensor_inputs):
    if input_names is None:
        return None
    input_names = list(input_names)
    if len(input_names) != len(tensor_inputs):
        raise OnnxportError(f"input_names: {len(input_names)} name(s) given, the model has {len(tensor_inputs)} "
                            f"tensor input(s): {', '.join(n for n, _ in tensor_inputs) or 'none'}")
    _check_unique("input_names", input_names)
    return input_names


def _count_outputs(model, args, torch):
    from .torch2program_lib.signature import flatten_outputs

    # forward may update buffers in place: this run must leave no trace.
    buffers = {name: b.detach().clone() for name, b in model.named_buffers()}
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            return len(flatten_outputs(model(*args)))
    except Exception as error:  # the user's forward: any exception means the args do not fit it
        raise OnnxportError(f"args: forward fails on them: {type(error).__name__}: {error}") from None
    finally:
        with torch.no_grad():
            for name, b in model.named_buffers():
                if name in buffers:
                    b.copy_(buffers[name])
        model.train(was_training)


def _check_output_names(output_names, count, mutations_as_outputs=False):
    if output_names is None:
        return None
    output_names = list(output_names)
    # With mutations_as_outputs the `.updated` outputs may be named too (the
    # host checks the exact count once it knows them).
    if len(output_names) != count and not (mutations_as_outputs and len(output_names) > count):
        raise OnnxportError(f"output_names: {len(output_names)} name(s) given, the model has {count} output(s)")
    _check_unique("output_names", output_names)
    return output_names


def _check_unique(what, names):
    seen = set()
    for name in names:
        if not isinstance(name, str) or not name or "," in name:
            raise OnnxportError(f"{what}: {name!r} is not a name (a non-empty string without commas)")
        if name in seen:
            raise OnnxportError(f"{what}: {name!r} is given twice")
        seen.add(name)


def _dim_name(value, where):
    if isinstance(value, str) and value:
        return value
    for attr in ("__name__", "name"):
        name = getattr(value, attr, None)
        if isinstance(name, str) and name:
            return name
    raise OnnxportError(f"{where}: expected a dim name (a string, or a torch.export.Dim), got {value!r}")


def _dynamic_dims(dynamic_shapes, dynamic_axes, names, values, tensor_inputs, input_names, output_names, torch):
    """{forward parameter (or list element) name: {dim: symbol}} from either form."""
    tensors = dict(tensor_inputs)
    onnx_to_param = dict(zip(input_names or [], (n for n, _ in tensor_inputs)))
    out = {}

    def add(where, target, dim, symbol):
        if target not in tensors:
            known = ", ".join(tensors) or "none"
            raise OnnxportError(f"{where}: no tensor input named {target!r} (tensor inputs: {known})")
        rank = tensors[target].dim()
        if not isinstance(dim, int) or isinstance(dim, bool) or not -rank <= dim < rank:
            raise OnnxportError(f"{where}: dim {dim!r} of {target!r} does not exist (rank {rank})")
        out.setdefault(target, {})[dim % rank] = _dim_name(symbol, where)

    def add_spec(where, target, spec):
        if spec is None:
            return
        if isinstance(spec, dict):
            for dim, symbol in spec.items():
                if symbol is not None:
                    add(f"{where}[{dim!r}]", target, dim, symbol)
        elif isinstance(spec, (list, tuple)) and all(isinstance(d, int) for d in spec):
            for dim in spec:
                add(where, target, dim, f"{target.replace('.', '_')}_dim{dim}")
        else:
            raise OnnxportError(f"{where}: expected {{dim: name}} or a list of dims, got {spec!r}")

    if dynamic_shapes is not None:
        if isinstance(dynamic_shapes, dict):
            for key, spec in dynamic_shapes.items():
                add_spec(f"dynamic_shapes[{key!r}]", key, spec)
        elif isinstance(dynamic_shapes, (list, tuple)):
            if len(dynamic_shapes) != len(values):
                raise OnnxportError(f"dynamic_shapes: {len(dynamic_shapes)} entries for {len(values)} arguments")
            for name, value, spec in zip(names, values, dynamic_shapes):
                if isinstance(value, (list, tuple)) and isinstance(spec, (list, tuple)) and not all(
                        isinstance(d, int) for d in spec):
                    for i, element_spec in enumerate(spec):
                        add_spec(f"dynamic_shapes[{name!r}][{i}]", f"{name}.{i}", element_spec)
                else:
                    add_spec(f"dynamic_shapes[{name!r}]", name, spec)
        else:
            raise OnnxportError(f"dynamic_shapes: expected a dict or a tuple, got {type(dynamic_shapes).__name__}")
    if dynamic_axes is not None:
        if not isinstance(dynamic_axes, dict):
            raise OnnxportError(f"dynamic_axes: expected a dict, got {type(dynamic_axes).__name__}")
        for key, spec in dynamic_axes.items():
            if output_names and key in output_names:
                continue  # an output's dims follow from the inputs'
            target = onnx_to_param.get(key, key)
            add_spec(f"dynamic_axes[{key!r}]", target, spec)
    return out or None


def _read_report(report_dir):
    path = os.path.join(report_dir, "report.json")
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def _first_error(output, report):
    for line in output.splitlines():
        if line.startswith("error:"):
            return line[len("error:"):].strip()
    if report and report.get("status", {}).get("error"):
        return report["status"]["error"]
    return output.strip().splitlines()[-1] if output.strip() else "onnxport export failed"
