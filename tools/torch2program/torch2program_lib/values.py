"""JSON forms of TorchScript constants, node attributes and module attributes.

JSON cannot say everything TorchScript can, so a few values get a tagged form
(docs/torch2program.md, "Constants"):
  float inf / -inf / nan     {"float": "inf"} / {"float": "-inf"} / {"float": "nan"}
  Device                     {"device": "cpu"}
  complex                    {"complex": [re, im]}
  small tensor               {"tensor": {"dtype": "float32", "shape": [3], "data": [1.0, 2.0, 3.0]}}
  large tensor               {"tensor_ref": "__constants__.0"}  (stored in weights.safetensors)
  dict (module attributes)   {"dict": [[key, value], ...]}  (str/int/bool keys, insertion order)
Ints stay ints (dtypes, layouts and memory formats are ints in TorchScript),
floats stay floats (2.0 is written 2.0), tuples are JSON lists.
"""
import math

import torch

from .errors import ConversionError
from .tensors import SCALAR_TYPE_CODES, dtype_name

# Tensor constants with at most this many elements are written inline in program.json.
INLINE_TENSOR_MAX_ELEMENTS = 16


class TensorConstantStore:
    """Collects tensor constants too large to inline; they go to weights.safetensors."""

    PREFIX = "__constants__."

    def __init__(self):
        self.tensors = {}

    def add(self, tensor):
        name = f"{self.PREFIX}{len(self.tensors)}"
        self.tensors[name] = tensor.detach().clone()
        return name


def json_float(value):
    """A float as JSON: a number, or the tagged form for inf and nan."""
    value = float(value)
    if math.isnan(value):
        return {"float": "nan"}
    if math.isinf(value):
        return {"float": "inf" if value > 0 else "-inf"}
    return value


def tensor_json(tensor, store):
    """Inline form for small tensors, a reference into weights.safetensors for the others."""
    dtype_name(tensor.dtype, "tensor constant")
    if tensor.numel() > INLINE_TENSOR_MAX_ELEMENTS:
        return {"tensor_ref": store.add(tensor)}
    flat = tensor.detach().cpu().reshape(-1)
    if tensor.dtype == torch.bool:
        data = [bool(v) for v in flat.tolist()]
    elif tensor.is_floating_point():
        data = [json_float(v) for v in flat.float().tolist()] if tensor.dtype == torch.bfloat16 \
            else [json_float(v) for v in flat.tolist()]
    else:
        data = [int(v) for v in flat.tolist()]
    return {"tensor": {"dtype": dtype_name(tensor.dtype), "shape": list(tensor.shape), "data": data}}


def constant_json(value, jit_type, store):
    """JSON for a prim::Constant value, guided by its TorchScript type.

    The type decides (a bool[] constant may come back from TorchScript as ints).
    Raises ConversionError for types a program cannot hold (objects, functions).
    """
    kind = jit_type.kind()
    if value is None or kind == "NoneType":
        return None
    if kind == "BoolType":
        return bool(value)
    if kind == "IntType":
        return int(value)
    if kind == "FloatType":
        return json_float(value)
    if kind == "NumberType":  # Scalar: keep Python's own int/float distinction
        return python_value_json(value, store)
    if kind == "StringType":
        return str(value)
    if kind == "DeviceObjType":
        return {"device": str(value)}
    if kind == "ComplexType":
        return {"complex": [json_float(value.real), json_float(value.imag)]}
    if kind == "TensorType":
        return tensor_json(value, store)
    if kind == "OptionalType":
        return constant_json(value, jit_type.getElementType(), store)
    if kind == "ListType":
        element = jit_type.getElementType()
        return [constant_json(v, element, store) for v in value]
    if kind == "TupleType":
        return [constant_json(v, t, store) for v, t in zip(value, jit_type.elements())]
    raise ConversionError(f"constant of TorchScript type {jit_type.annotation_str} ({kind}) cannot "
                          f"be represented in a program")


NOT_REPRESENTABLE = object()


def python_value_json(value, store=None):
    """JSON for a plain Python value (module attributes, ival attributes), or NOT_REPRESENTABLE.

    torch.dtype becomes its ScalarType code, as TorchScript itself stores dtypes.
    Tensors are only representable when a constant store is given.
    """
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return json_float(value)
    if isinstance(value, complex):
        return {"complex": [json_float(value.real), json_float(value.imag)]}
    if isinstance(value, torch.device):
        return {"device": str(value)}
    if isinstance(value, torch.dtype):
        return SCALAR_TYPE_CODES.get(value, NOT_REPRESENTABLE)
    if isinstance(value, torch.Tensor):
        return tensor_json(value, store) if store is not None else NOT_REPRESENTABLE
    if isinstance(value, (list, tuple)):
        items = [python_value_json(v, store) for v in value]
        return NOT_REPRESENTABLE if any(i is NOT_REPRESENTABLE for i in items) else items
    if isinstance(value, dict):
        return _dict_json(value, store)
    return NOT_REPRESENTABLE


def _dict_json(value, store):
    """{"dict": [[key, value], ...]} in insertion order; keys must be str, int or bool
    (TorchScript's dict key types that JSON can write)."""
    pairs = []
    for key, item in value.items():
        if not isinstance(key, (str, int, bool)):
            return NOT_REPRESENTABLE
        item_json = python_value_json(item, store)
        if item_json is NOT_REPRESENTABLE:
            return NOT_REPRESENTABLE
        pairs.append([key, item_json])
    return {"dict": pairs}


def printed_attribute(node, name):
    """The items of attribute `name` as TorchScript prints the node, e.g. ["list", "tuple"] for
    `%22 : bool = prim::isinstance[types=[list, tuple]](%boxes.1)`; a single value is one item."""
    header = str(node).split("\n", 1)[0]
    kind = node.kind()
    start = header.find(kind + "[")
    if start < 0:
        raise ConversionError(f"{kind}: attribute '{name}' does not appear in the printed node: {header}")
    attrs, _ = _bracketed(header, start + len(kind))
    for item in _split_top_level(attrs):
        key, sep, value = item.partition("=")
        if sep and key.strip() == name:
            value = value.strip()
            if value.startswith("["):
                inner, _ = _bracketed(value, 0)
                return [v.strip() for v in _split_top_level(inner)]
            return [value]
    raise ConversionError(f"{kind}: attribute '{name}' does not appear in the printed node: {header}")


_OPEN, _CLOSE = "[(", "])"


def _bracketed(text, start):
    """(text inside the bracket at `start`, index after its closing bracket); nesting and quotes respected."""
    depth, quote = 0, None
    for i in range(start, len(text)):
        ch = text[i]
        if quote:
            quote = None if ch == quote and text[i - 1] != "\\" else quote
        elif ch in "\"'":
            quote = ch
        elif ch in _OPEN:
            depth += 1
        elif ch in _CLOSE:
            depth -= 1
            if depth == 0:
                return text[start + 1:i], i + 1
    raise ConversionError(f"unbalanced brackets in a printed node: {text}")


def _split_top_level(text):
    """Splits at the commas outside brackets and quotes."""
    items, depth, quote, current = [], 0, None, []
    for i, ch in enumerate(text):
        if quote:
            quote = None if ch == quote and text[i - 1] != "\\" else quote
        elif ch in "\"'":
            quote = ch
        elif ch in _OPEN:
            depth += 1
        elif ch in _CLOSE:
            depth -= 1
        elif ch == "," and depth == 0:
            items.append("".join(current))
            current = []
            continue
        current.append(ch)
    if "".join(current).strip():
        items.append("".join(current))
    return items


def node_attribute_json(node, name, store):
    """JSON for attribute `name` of a non-constant node, by the attribute's kind."""
    kind = node.kindOf(name)
    readers = {
        "i": lambda: int(node.i(name)),
        "f": lambda: json_float(node.f(name)),
        "s": lambda: node.s(name),
        "is": lambda: [int(v) for v in node.is_(name)],
        "fs": lambda: [json_float(v) for v in node.fs(name)],
        "ss": lambda: list(node.ss(name)),
        "t": lambda: tensor_json(node.t(name), store),
        "ts": lambda: [tensor_json(t, store) for t in node.ts(name)],
        "c": lambda: {"complex": [json_float(node.c(name).real), json_float(node.c(name).imag)]},
        # torch 1.13's Node binds no getter for type attributes (only the setters
        # ty_/tys_): they are read from the node's printed form.
        "ty": lambda: printed_attribute(node, name)[0],
        "tys": lambda: printed_attribute(node, name),
        "ival": lambda: python_value_json(node.ival(name), store),
    }
    if kind not in readers:
        raise ConversionError(f"{node.kind()} has attribute '{name}' of kind '{kind}' "
                              f"(e.g. a subgraph), which programs cannot hold")
    value = readers[kind]()
    if value is NOT_REPRESENTABLE:
        raise ConversionError(f"{node.kind()} attribute '{name}' holds a value that cannot be "
                              f"represented in a program")
    return value
