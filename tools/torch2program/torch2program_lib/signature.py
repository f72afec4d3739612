"""Program inputs and outputs: forward's parameters in order, example values, dynamic dims.

Inputs (docs/torch2program.md, "Signature"):
  Tensor                {"name": "x", "type": "Tensor", "dtype": "float32", "shape": ["batch", 3]}
  int / float / bool    {"name": "n", "type": "int"}; example value as a 0-d int64/float64/bool tensor
  list/tuple of tensors {"name": "lx", "type": "List[Tensor]", "elements": [{"name": "lx.0", ...}, ...]}
  None                  {"name": "o", "type": "NoneType"}
Outputs of eager PyTorch are flattened in order (tuples and lists in place, dict
values in insertion order, None dropped) to "output.0", "output.1", ...; Python
ints, floats and bools become 0-d int64 / float64 / bool tensors. Buffers that
forward updates in place follow, keyed by their dotted names (bundle.py).
"""
import torch

from .errors import ConversionError
from .tensors import dtype_name

_SCALAR_TYPES = ((bool, "bool", torch.bool), (int, "int", torch.int64), (float, "float", torch.float64))


def normalize_dynamic_shapes(dynamic_shapes):
    """{"x": {0: "batch"}} with dims as ints (JSON and CLI give strings)."""
    out = {}
    for name, dims in (dynamic_shapes or {}).items():
        if not isinstance(dims, dict):
            raise ConversionError(f"dynamic_shapes['{name}'] must map dims to names, e.g. {{0: 'batch'}}")
        converted = {}
        for dim, symbol in dims.items():
            try:
                converted[int(dim)] = str(symbol)
            except ValueError:
                raise ConversionError(f"dynamic_shapes['{name}']: dim '{dim}' is not an integer") from None
        out[name] = converted
    return out


class InputWriter:
    """Describes forward's inputs for program.json and collects their example tensors."""

    def __init__(self, dynamic_shapes=None):
        self._dynamic = normalize_dynamic_shapes(dynamic_shapes)
        self._used_dynamic = set()
        self.examples = {}

    def describe(self, name, value, declared_type):
        """JSON for one graph input; `declared_type` is the TorchScript type of the parameter."""
        if isinstance(value, torch.Tensor):
            return self._tensor(name, value)
        for python_type, type_name, dtype in _SCALAR_TYPES:
            if isinstance(value, python_type):
                self.examples[name] = torch.tensor(value, dtype=dtype)
                return {"name": name, "type": type_name}
        if value is None:
            return {"name": name, "type": "NoneType"}
        if isinstance(value, (list, tuple)) and all(isinstance(v, torch.Tensor) for v in value):
            elements = [self._tensor(f"{name}.{i}", v) for i, v in enumerate(value)]
            return {"name": name, "type": _sequence_type(value, declared_type), "elements": elements}
        raise ConversionError(f"input '{name}' is a {type(value).__name__}; inputs must be tensors, "
                              f"Python int/float/bool, lists or tuples of tensors, or None")

    def _tensor(self, name, tensor):
        shape = list(tensor.shape)
        for dim, symbol in self._dynamic.get(name, {}).items():
            index = dim + len(shape) if dim < 0 else dim
            if not 0 <= index < len(shape):
                raise ConversionError(f"dynamic_shapes: input '{name}' has {len(shape)} dims, no dim {dim}")
            shape[index] = symbol
        self._used_dynamic.add(name)
        self.examples[name] = tensor.detach().clone()
        return {"name": name, "type": "Tensor", "dtype": dtype_name(tensor.dtype, f"input '{name}'"),
                "shape": shape}

    def check_dynamic_names(self):
        unknown = sorted(set(self._dynamic) - self._used_dynamic)
        if unknown:
            raise ConversionError(f"dynamic_shapes names {', '.join(unknown)}, which are not tensor inputs "
                                  f"(inputs: {', '.join(sorted(self._used_dynamic)) or 'none'})")


def _sequence_type(value, declared_type):
    """"List[Tensor]" / "Tuple[Tensor, Tensor]": the parameter's own type when it is one of those."""
    declared = declared_type.annotation_str if declared_type is not None else ""
    if declared.startswith(("List[", "Tuple[")):
        return declared
    if isinstance(value, tuple):
        return "Tuple[" + ", ".join(["Tensor"] * len(value)) + "]"
    return "List[Tensor]"


def flatten_outputs(value):
    """Eager outputs as {"output.0": tensor, ...} in order."""
    tensors = []
    _flatten(value, tensors, "output")
    return {f"output.{i}": t for i, t in enumerate(tensors)}


def _flatten(value, out, where):
    if isinstance(value, torch.Tensor):
        out.append(value.detach().clone())
        return
    for python_type, _, dtype in _SCALAR_TYPES:
        if isinstance(value, python_type):
            out.append(torch.tensor(value, dtype=dtype))
            return
    if value is None:
        return
    if isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            _flatten(item, out, f"{where}[{i}]")
        return
    if isinstance(value, dict):
        for key, item in value.items():
            _flatten(item, out, f"{where}[{key!r}]")
        return
    raise ConversionError(f"the module returns a {type(value).__name__} at {where}; outputs must be "
                          f"tensors, Python numbers, or lists/tuples/dicts of those")
