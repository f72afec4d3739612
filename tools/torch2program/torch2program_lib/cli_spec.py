"""Command-line specs: which module to build, which inputs to feed, which dims are dynamic.

MODULE   package.module:factory        e.g. torchvision.models:resnet18, torch.nn:LSTM
         path/to/file.py:ClassName     the file is imported as a module named after it
--input  NAME=SHAPE[:DTYPE[:LOW..HIGH]]  x=1x3x224x224, idx=2x7:int64:0..100, s=scalar:float64
         NAME=int:3 | float:0.5 | bool:true | none
         NAME=[SPEC,SPEC,...] (list of tensors) | NAME=(SPEC,SPEC,...) (tuple of tensors)
--dynamic NAME:DIM=SYMBOL              x:0=batch, lx.1:0=n
"""
import importlib
import importlib.util
import os
import sys

import torch

from .errors import ConversionError
from .tensors import dtype_from_name

DEFAULT_INT_RANGE = (0, 10)


def load_factory(spec):
    """The callable named by MODULE (a class or a function returning an nn.Module)."""
    if ":" not in spec:
        raise ConversionError(f"module spec '{spec}' must be 'package.module:factory' or 'file.py:ClassName'")
    where, attr = spec.rsplit(":", 1)
    module = _import_file(where) if where.endswith(".py") or os.sep in where else _import_package(where)
    factory = module
    for part in attr.split("."):
        factory = getattr(factory, part, None)
        if factory is None:
            raise ConversionError(f"'{where}' has no attribute '{attr}'")
    if not callable(factory):
        raise ConversionError(f"'{spec}' is not callable")
    return factory


def _import_package(name):
    try:
        return importlib.import_module(name)
    except ImportError as error:
        raise ConversionError(f"cannot import '{name}': {error}") from None


def _import_file(path):
    if not os.path.isfile(path):
        raise ConversionError(f"no such file: {path}")
    name = os.path.splitext(os.path.basename(path))[0]
    # TorchScript reads class sources through sys.modules, and the file may import its neighbours.
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as error:
        raise ConversionError(f"importing {path} failed: {type(error).__name__}: {error}") from None
    return module


def build_module(spec, kwargs):
    factory = load_factory(spec)
    try:
        module = factory(**kwargs)
    except Exception as error:
        raise ConversionError(f"{spec}(**{kwargs}) failed: {type(error).__name__}: {error}") from None
    if not isinstance(module, torch.nn.Module):
        raise ConversionError(f"{spec} returned a {type(module).__name__}, not a torch.nn.Module")
    return module


def parse_input(spec):
    """"x=1x3:float32" -> ("x", tensor). Random values come from torch's seeded generator."""
    if "=" not in spec:
        raise ConversionError(f"--input '{spec}' must be NAME=VALUE")
    name, value = spec.split("=", 1)
    if not name:
        raise ConversionError(f"--input '{spec}' has no name")
    return name, _parse_value(value, spec)


def _parse_value(text, spec):
    lowered = text.lower()
    if lowered == "none":
        return None
    kind, _, literal = text.partition(":")
    if kind in ("int", "float", "bool") and literal:
        return _parse_scalar(kind, literal, spec)
    if text.startswith("[") and text.endswith("]"):
        return [_parse_tensor(item, spec) for item in _split_items(text[1:-1])]
    if text.startswith("(") and text.endswith(")"):
        return tuple(_parse_tensor(item, spec) for item in _split_items(text[1:-1]))
    return _parse_tensor(text, spec)


def _split_items(text):
    return [item.strip() for item in text.split(",") if item.strip()]


def _parse_scalar(kind, literal, spec):
    try:
        if kind == "int":
            return int(literal)
        if kind == "float":
            return float(literal)
    except ValueError:
        raise ConversionError(f"--input '{spec}': '{literal}' is not a valid {kind}") from None
    if literal.lower() in ("true", "1"):
        return True
    if literal.lower() in ("false", "0"):
        return False
    raise ConversionError(f"--input '{spec}': '{literal}' is not a valid bool (true/false)")


def _parse_tensor(text, spec):
    parts = text.split(":")
    if len(parts) > 3:
        raise ConversionError(f"--input '{spec}': expected SHAPE[:DTYPE[:LOW..HIGH]]")
    shape = _parse_shape(parts[0], spec)
    dtype = dtype_from_name(parts[1]) if len(parts) > 1 and parts[1] else torch.float32
    value_range = _parse_range(parts[2], spec) if len(parts) > 2 else None
    return _random_tensor(shape, dtype, value_range)


def _parse_shape(text, spec):
    if text in ("", "scalar", "()"):
        return []
    try:
        dims = [int(d) for d in text.replace(",", "x").split("x")]
    except ValueError:
        raise ConversionError(f"--input '{spec}': shape '{text}' must look like 1x3x224x224") from None
    if any(d < 0 for d in dims):
        raise ConversionError(f"--input '{spec}': negative dim in shape '{text}'")
    return dims


def _parse_range(text, spec):
    low, sep, high = text.partition("..")
    try:
        if not sep:
            raise ValueError
        return float(low), float(high)
    except ValueError:
        raise ConversionError(f"--input '{spec}': range '{text}' must look like 0..100") from None


def _random_tensor(shape, dtype, value_range):
    if dtype == torch.bool:
        return torch.randint(0, 2, shape).bool()
    if dtype.is_floating_point:
        if value_range is None:
            return torch.randn(shape, dtype=torch.float32).to(dtype)
        low, high = value_range
        return (torch.rand(shape, dtype=torch.float32) * (high - low) + low).to(dtype)
    low, high = value_range or DEFAULT_INT_RANGE
    return torch.randint(int(low), int(high), shape, dtype=dtype)


def parse_dynamic(specs):
    """["x:0=batch"] -> {"x": {0: "batch"}}."""
    out = {}
    for spec in specs:
        target, sep, symbol = spec.partition("=")
        name, colon, dim = target.rpartition(":")
        if not (sep and colon and name and symbol):
            raise ConversionError(f"--dynamic '{spec}' must be NAME:DIM=SYMBOL, e.g. x:0=batch")
        try:
            out.setdefault(name, {})[int(dim)] = symbol
        except ValueError:
            raise ConversionError(f"--dynamic '{spec}': dim '{dim}' is not an integer") from None
    return out
