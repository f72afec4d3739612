"""Packed weights of PyTorch's quantized modules, unpacked into tensors a program can hold.

torch.ao.nn.quantized.Conv2d and Linear keep their weight and bias in a C++ object
(`__torch__.torch.classes.quantized.Conv2dPackedParamsBase`, `LinearPackedParamsBase`)
that quantized::conv2d / quantized::linear read. A program cannot hold such an object,
so the module attribute becomes a dict attribute (docs/program-format.md, "Constants")
with the unpacked parts; the tracing engine reads the dict where the graph passes the
object (docs/architecture.md §4b):

    packed              "conv" or "linear"
    weight              {"tensor_ref": ...}: the integer representation (int8 for qint8)
    weight_dtype        ScalarType code of the quantized dtype (12 qint8, 13 quint8)
    weight_scale        float (per tensor) or {"tensor_ref": ...} float64 [C] (per channel)
    weight_zero_point   int (per tensor) or {"tensor_ref": ...} int64 [C] (per channel)
    weight_axis         None (per tensor) or the channel dim
    bias                {"tensor_ref": ...} float32, or None
    stride, padding, dilation, output_padding, groups, transpose   (convolutions)
"""
import torch

from .errors import ConversionError
from .tensors import SCALAR_TYPE_CODES


def packed_params_kind(value):
    """"conv" / "linear" for a packed-params object of torch.classes.quantized, else None.
    (PyTorch 1.13 gives a ScriptObject no class name; the methods tell them apart.)"""
    if not isinstance(value, torch.ScriptObject):
        return None
    methods = set(value._method_names())
    if not {"unpack", "__getstate__"} <= methods:
        return None
    return "conv" if {"stride", "padding", "dilation", "groups", "transpose"} <= methods else "linear"


def packed_params_json(value, add_tensor):
    """The dict attribute for a packed-params object. `add_tensor(suffix, tensor)` stores a
    tensor in weights.safetensors and returns its {"tensor_ref": ...}."""
    kind = packed_params_kind(value)
    weight, bias = value._get_method("unpack")()
    if weight.dtype not in (torch.qint8, torch.quint8):
        raise ConversionError(f"a quantized {kind} has a {weight.dtype} weight; onnxport exports qint8 and quint8 weights")
    pairs = [["packed", kind], ["weight", add_tensor("weight", weight.int_repr())],
             ["weight_dtype", SCALAR_TYPE_CODES[weight.dtype]]]
    scheme = weight.qscheme()
    if scheme == torch.per_tensor_affine:
        pairs += [["weight_scale", float(weight.q_scale())], ["weight_zero_point", int(weight.q_zero_point())],
                  ["weight_axis", None]]
    elif scheme == torch.per_channel_affine:
        pairs += [["weight_scale", add_tensor("weight_scale", weight.q_per_channel_scales())],
                  ["weight_zero_point", add_tensor("weight_zero_point", weight.q_per_channel_zero_points())],
                  ["weight_axis", int(weight.q_per_channel_axis())]]
    else:
        raise ConversionError(f"a quantized {kind} has a weight quantized with {scheme}, which onnxport does not "
                              "export (ONNX's DequantizeLinear has integer zero points only)")
    pairs.append(["bias", add_tensor("bias", bias.detach()) if bias is not None else None])
    if kind == "conv":
        def ints(method):
            return [int(v) for v in value._get_method(method)()]
        pairs += [["stride", ints("stride")], ["padding", ints("padding")], ["dilation", ints("dilation")],
                  ["output_padding", ints("output_padding")], ["groups", int(value._get_method("groups")())],
                  ["transpose", bool(value._get_method("transpose")())]]
    return {"dict": pairs}
