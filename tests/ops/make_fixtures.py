#!/usr/bin/python3
"""Writes the PyTorch reference results the op-library tests compare against.

Usage: /usr/bin/python3 tests/ops/make_fixtures.py OUT.json

Each case calls one aten overload through torch.ops with fixed-seed inputs.
The case records the arguments exactly as the tracing engine passes them to
the op library (positional, in TorchScript schema order, keyword-only
arguments included), and the overload name only to make the torch call
(keyword-only arguments must be passed by name there).

JSON encoding of an argument:
  tensor   {"tensor": {"dtype": "float32", "shape": [2, 3], "data": [...]}}
  list     {"list": [arg, ...]}             (int lists and tensor lists)
  dtype    {"dtype": "float32"}              (a ScalarType constant)
  device   {"device": "cpu"}
  number   1, 2.5, true; non-finite floats as {"float": "inf" | "-inf" | "nan"}
  str      "tanh";  None: null
Outputs are tensors in the same encoding (a Python bool/int/float result is
a 0-d bool/int64/float64 tensor). Non-finite values in data are strings.
"""
import json
import math
import sys

import torch

DTYPE_NAMES = {
    torch.float32: "float32", torch.float64: "float64", torch.float16: "float16",
    torch.bfloat16: "bfloat16", torch.int8: "int8", torch.int16: "int16",
    torch.int32: "int32", torch.int64: "int64", torch.uint8: "uint8", torch.bool: "bool",
}

CASES = []


def case(op, overload, *args, atol=1e-5, rtol=1e-4, note="", via=None):
    """`via`: a Python function computing the result from the decoded
    arguments, for the few ops torch.ops cannot call (generic list types)."""
    CASES.append({"op": op if "::" in op else "aten::" + op, "overload": overload, "args": list(args),
                  "atol": atol, "rtol": rtol, "note": note, "via": via})


# ---------------------------------------------------------------- inputs

GEN = torch.Generator().manual_seed(20240601)


def randn(*shape, dtype=torch.float32):
    return torch.randn(*shape, generator=GEN, dtype=torch.float64).to(dtype)


def positive(*shape, dtype=torch.float32):
    return (torch.rand(*shape, generator=GEN, dtype=torch.float64) * 3 + 0.1).to(dtype)


def unit(*shape):
    """Values in (-0.9, 0.9), for asin/acos."""
    return (torch.rand(*shape, generator=GEN, dtype=torch.float64) * 1.8 - 0.9).float()


def ints(*shape, low=-5, high=6, dtype=torch.int64):
    return torch.randint(low, high, shape, generator=GEN).to(dtype)


def nonzero_ints(*shape, dtype=torch.int64):
    v = ints(*shape, dtype=torch.int64)
    v[v == 0] = 3
    return v.to(dtype)


def bools(*shape):
    return torch.rand(*shape, generator=GEN) > 0.5


def f(dtype):
    return {"__dtype__": dtype}


def dev():
    return {"__device__": "cpu"}


# ---------------------------------------------------------------- cases

def seed_cases():
    x = randn(3)
    w, b = randn(2, 3), randn(2)
    case("linear", "default", x, w, b, note="seed: mlp.0")
    case("linear", "default", randn(4, 5, 3), w, None)
    case("linear", "default", randn(6, 3), randn(3), None, note="1-D weight")
    case("linear", "default", randn(7, 64), randn(33, 64), randn(33), atol=1e-4)
    case("sum", "default", randn(3), None, note="seed: x.sum() is sum(x, None)")
    case("sum", "default", ints(4, 2), None)
    case("sum", "default", bools(5), None)
    case("sum", "default", randn(2, 3), f(torch.float64))
    case("sum", "dim_IntList", randn(2, 3, 4), [1], False, None)
    case("sum", "dim_IntList", randn(2, 3, 4), [0, -1], True, None)
    case("sum", "dim_IntList", randn(2, 3, 4), [], False, None, note="empty dim list reduces everything")
    case("sum", "dim_IntList", randn(2, 3, 4), None, True, None)
    case("sum", "dim_IntList", ints(2, 3), [1], False, f(torch.float32))
    case("mul", "Scalar", randn(3), 2, note="seed: x * 2")
    case("mul", "Tensor", randn(2, 3), randn(3))
    case("mul", "Scalar", ints(2, 2), 2.5, note="int tensor * float scalar -> float32")
    case("mul", "Tensor", bools(4), bools(4))
    case("mul", "Tensor", ints(3, dtype=torch.int32), torch.tensor(1.5, dtype=torch.float64),
         note="0-d float64 beats dimensioned int32 by category")
    case("mul", "Tensor", randn(3), torch.tensor(2.0, dtype=torch.float64), note="0-d float64 loses to float32")
    case("neg", "default", randn(3))
    case("neg", "default", ints(3))
    case("gt", "Scalar", randn(1), 0)
    case("gt", "Tensor", randn(2, 3), randn(2, 1))
    case("gt", "Scalar", ints(5), 0.5)
    case("ne", "Scalar", ints(5), 1)
    case("ne", "Tensor", randn(3), randn(3))
    case("Bool", "Tensor", torch.tensor(-0.5))
    case("Bool", "Tensor", torch.tensor([0.0]))
    case("is_nonzero", "default", torch.tensor([[3]]))
    case("Int", "Tensor", torch.tensor(-2.7))
    case("Int", "Tensor", torch.tensor([7]))
    case("Float", "Tensor", torch.tensor(3))
    case("item", "default", torch.tensor([[2.5]]))
    case("item", "default", torch.tensor(4))
    case("item", "default", torch.tensor(True))
    case("ScalarImplicit", "default", torch.tensor(1.25))


def elementwise_cases():
    for op in ["exp", "tanh", "sigmoid", "sin", "cos", "erf", "relu", "silu", "hardsigmoid", "hardswish",
               "abs", "neg", "sign", "floor", "ceil", "round", "trunc", "expm1", "atan", "sinh", "cosh",
               "tan", "mish", "relu6", "square"]:
        case(op, "default", randn(3, 4) * 2)
    for op in ["log", "sqrt", "rsqrt", "log2", "log10", "log1p", "reciprocal"]:
        case(op, "default", positive(2, 5))
    for op in ["asin", "acos"]:
        case(op, "default", unit(6))
    case("exp", "default", ints(4), note="int -> float32")
    case("sqrt", "default", ints(4, low=0), note="int -> float32")
    case("abs", "default", ints(6))
    case("relu", "default", ints(6))
    case("sigmoid", "default", randn(5, dtype=torch.float64))
    case("gelu", "default", randn(8), "none")
    case("gelu", "default", randn(8), "tanh")
    case("hardtanh", "default", randn(8) * 2, -1, 1)
    case("hardtanh", "default", randn(8) * 4, 0.0, 6.0)
    case("leaky_relu", "default", randn(8), 0.2)
    case("elu", "default", randn(8), 1.0, 1.0, 1.0)
    case("softplus", "default", randn(8) * 10, 1, 20)
    case("logical_not", "default", bools(5))
    case("logical_not", "default", ints(5, low=-1, high=2))
    case("bitwise_not", "default", ints(5))
    case("bitwise_not", "default", bools(5))

    case("add", "Tensor", randn(2, 3), randn(2, 3), 1)
    case("add", "Tensor", randn(2, 1, 4), randn(3, 1), 2, note="broadcast + alpha")
    case("add", "Scalar", randn(3), 1.5, 1)
    case("add", "Tensor", ints(3), randn(3), 1, note="int + float tensors")
    case("add", "Scalar", bools(3), 2, 1, note="bool + int scalar -> int64")
    case("add", "Tensor", ints(3, dtype=torch.int32), ints(3, dtype=torch.int8), 1)
    case("add", "Tensor", randn(3, dtype=torch.float16), randn(3, dtype=torch.float16), 1, atol=1e-3, rtol=1e-3)
    case("sub", "Tensor", randn(4), randn(4), 1)
    case("sub", "Tensor", randn(4), randn(4), 0.5)
    case("sub", "Scalar", ints(4), 3, 2)
    case("rsub", "Scalar", randn(4), 1.0, 1)
    case("rsub", "Tensor", randn(2, 4), randn(4), 3)
    case("div", "Tensor", randn(3, 4), positive(4))
    case("div", "Tensor", ints(6), nonzero_ints(6), note="int / int -> float32")
    case("div", "Scalar", randn(3), 4)
    case("div", "Tensor_mode", ints(6), nonzero_ints(6), "floor")
    case("div", "Tensor_mode", ints(6), nonzero_ints(6), "trunc")
    case("div", "Tensor_mode", randn(6) * 5, randn(6), "floor")
    case("div", "Scalar_mode", randn(6) * 5, 2, "trunc")
    case("div", "Tensor_mode", randn(6), randn(6), None)
    case("true_divide", "Tensor", ints(4), nonzero_ints(4))
    case("floor_divide", "default", ints(6), nonzero_ints(6))
    case("floor_divide", "Scalar", randn(6) * 4, 1.5)
    case("remainder", "Tensor", ints(8), nonzero_ints(8))
    case("remainder", "Scalar", randn(8) * 4, 1.5)
    case("remainder", "Scalar", ints(8), -3)
    case("fmod", "Tensor", ints(8), nonzero_ints(8))
    case("fmod", "Scalar", randn(8) * 4, 1.5)
    case("pow", "Tensor_Scalar", randn(5), 2)
    case("pow", "Tensor_Scalar", positive(5), 0.5)
    case("pow", "Tensor_Tensor", positive(2, 3), randn(3))
    case("pow", "Tensor_Scalar", ints(5), 3)
    case("pow", "Scalar", 2, randn(4))
    case("atan2", "default", randn(5), randn(5))
    case("maximum", "default", randn(2, 3), randn(3))
    case("minimum", "default", ints(4), randn(4))
    for op in ["eq", "ne", "lt", "le", "gt", "ge"]:
        case(op, "Tensor", ints(2, 4, low=0, high=3), ints(4, low=0, high=3))
        case(op, "Scalar", randn(5), 0.25)
    case("eq", "Scalar", ints(5, low=0, high=3), 1)
    case("lt", "Tensor", randn(3), torch.tensor(0.0, dtype=torch.float64))
    case("logical_and", "default", bools(6), bools(6))
    case("logical_or", "default", bools(2, 3), ints(3, low=0, high=2))
    case("logical_xor", "default", randn(4), bools(4))
    case("__and__", "Tensor", bools(6), bools(6))
    case("__and__", "Scalar", ints(6), 3)
    case("__or__", "Tensor", ints(6), ints(6))
    case("__xor__", "Tensor", bools(6), bools(6))
    case("bitwise_and", "Tensor", ints(4, dtype=torch.int32), ints(4, dtype=torch.int32))
    case("bitwise_or", "Scalar", ints(4), 8)
    case("bitwise_xor", "Tensor", ints(4, dtype=torch.uint8, low=0), ints(4, dtype=torch.uint8, low=0))

    case("where", "self", bools(2, 3), randn(2, 3), randn(3))
    case("where", "ScalarOther", bools(4), randn(4), 0.0)
    case("where", "ScalarSelf", bools(4), 1, ints(4))
    case("where", "Scalar", bools(4), 1.0, 0.0)
    case("where", "self", bools(3, 1), ints(1, 4), randn(4))
    case("masked_fill", "Scalar", randn(2, 4), bools(2, 4), -1.5)
    case("masked_fill", "Scalar", randn(2, 4), bools(4), {"float": "-inf"})
    case("masked_fill", "Tensor", ints(3, 2), bools(3, 1), torch.tensor(7))
    case("masked_fill", "Scalar", ints(5), bools(5), 2)
    case("clamp", "default", randn(8) * 3, -1, 1)
    case("clamp", "default", randn(8) * 3, None, 0.5)
    case("clamp", "default", ints(8), 0, None)
    case("clamp", "default", ints(8), 0.5, None, note="float bound on int tensor -> float32")
    case("clamp", "Tensor", randn(2, 4), randn(4), randn(2, 1) + 1)
    case("clip", "default", randn(5), -0.5, 0.5)
    case("clamp_min", "default", randn(6), 0.1)
    case("clamp_max", "default", randn(6), 0.1)
    case("clamp_min", "Tensor", randn(2, 3), randn(3))


def reduction_cases():
    x = randn(2, 3, 4)
    case("mean", "default", x, None)
    case("mean", "dim", x, [-1], False, None)
    case("mean", "dim", x, [0, 2], True, None)
    case("mean", "dim", ints(3, 4), [1], False, f(torch.float64))
    case("prod", "default", positive(2, 3), None)
    case("prod", "dim_int", ints(3, 4, low=-2, high=3), 1, False, None)
    case("prod", "dim_int", randn(3, 4), -1, True, f(torch.float64))
    case("amax", "default", x, [1], False)
    case("amax", "default", x, [0, 2], True)
    case("amax", "default", ints(3, 4), [], False)
    case("amin", "default", x, [-1], False)
    case("amin", "default", bools(3, 4), [1], False)
    case("max", "default", x)
    case("max", "dim", x, 1, False)
    case("max", "dim", x, -1, True)
    case("max", "other", randn(2, 3), randn(3))
    case("max", "dim", ints(3, 5), 1, False)
    case("min", "default", ints(4, 2))
    case("min", "dim", x, 0, False)
    case("min", "other", randn(3), randn(3))
    case("argmax", "default", x, None, False)
    case("argmax", "default", x, 1, False)
    case("argmax", "default", x, -1, True)
    case("argmax", "default", x, None, True)
    case("argmin", "default", ints(3, 4), 0, False)
    case("all", "default", bools(4))
    case("all", "default", torch.ones(2, 3, dtype=torch.bool))
    case("all", "dim", bools(3, 4), 1, False)
    case("all", "dim", ints(3, 4, low=0, high=3), 0, True)
    case("any", "default", randn(4))
    case("any", "dim", bools(3, 4), -1, False)
    case("any", "default", torch.zeros(3, dtype=torch.bool))
    case("softmax", "int", randn(2, 5), -1, None)
    case("softmax", "int", randn(2, 3, 4), 1, None)
    case("softmax", "int", randn(3, 4) * 30, 0, f(torch.float64))
    case("log_softmax", "int", randn(2, 5), 1, None)
    case("log_softmax", "int", randn(4, 3), 0, None)
    case("logsumexp", "default", randn(3, 4) * 10, [1], False)
    case("logsumexp", "default", randn(2, 3, 4), [0, 2], True)
    case("var", "dim", randn(3, 5), [1], True, False)
    case("var", "default", randn(4, 2), False)
    case("std", "dim", randn(3, 5), [0], False, True)
    case("std", "default", randn(6), True)
    case("cumsum", "default", randn(3, 4), 1, None)
    case("cumsum", "default", ints(5), 0, None)
    case("cumsum", "default", bools(2, 3), -1, None)


def linear_algebra_cases():
    case("matmul", "default", randn(4), randn(4))
    case("matmul", "default", randn(3, 4), randn(4, 5))
    case("matmul", "default", randn(4), randn(4, 5))
    case("matmul", "default", randn(3, 4), randn(4))
    case("matmul", "default", randn(2, 3, 4), randn(4, 5))
    case("matmul", "default", randn(3, 4), randn(2, 4, 5))
    case("matmul", "default", randn(2, 1, 3, 4), randn(5, 4, 2))
    case("matmul", "default", randn(4), randn(2, 4, 3))
    case("matmul", "default", randn(2, 3, 4), randn(4))
    case("matmul", "default", ints(2, 3), ints(3, 2))
    case("matmul", "default", randn(2, 3, dtype=torch.float64), randn(3, 2, dtype=torch.float64))
    case("matmul", "default", randn(37, 70), randn(70, 29), atol=1e-4, note="exercises the edges of the blocked kernel")
    case("mm", "default", randn(5, 3), randn(3, 6))
    case("bmm", "default", randn(2, 5, 3), randn(2, 3, 6))
    case("mv", "default", randn(5, 3), randn(3))
    case("dot", "default", randn(7), randn(7))
    case("addmm", "default", randn(6), randn(4, 5), randn(5, 6), 1, 1)
    case("addmm", "default", randn(4, 6), randn(4, 5), randn(5, 6), 0.5, 2)
    case("baddbmm", "default", randn(2, 3, 4), randn(2, 3, 5), randn(2, 5, 4), 1, 1)
    case("baddbmm", "default", randn(4), randn(2, 3, 5), randn(2, 5, 4), 0.5, 0.125)


def shape_cases():
    x = randn(2, 3, 4)
    case("view", "default", x, [6, 4])
    case("view", "default", x, [-1, 12])
    case("view", "default", x, [2, -1])
    case("reshape", "default", x, [4, -1, 2])
    case("reshape", "default", randn(5), [5, 1])
    case("_reshape_alias", "default", randn(2, 6), [3, 4], [4, 1])
    case("view_as", "default", x, randn(6, 4))
    case("reshape_as", "default", x, randn(24))
    case("flatten", "using_ints", x, 0, -1)
    case("flatten", "using_ints", x, 1, -1)
    case("flatten", "using_ints", randn(2, 3, 4, 5), 1, 2)
    case("flatten", "using_ints", torch.tensor(3.0), 0, -1)
    case("unflatten", "int", randn(2, 12), 1, [3, -1])
    case("squeeze", "default", randn(1, 3, 1, 2))
    case("squeeze", "dim", randn(1, 3, 1, 2), 2)
    case("squeeze", "dim", randn(1, 3, 1, 2), 1)
    case("unsqueeze", "default", x, 0)
    case("unsqueeze", "default", x, -1)
    case("transpose", "int", x, 0, 2)
    case("transpose", "int", x, -1, -2)
    case("swapaxes", "default", x, 0, 1)
    case("t", "default", randn(3, 5))
    case("t", "default", randn(4))
    case("permute", "default", x, [2, 0, 1])
    case("permute", "default", ints(2, 3, 4, 5), [3, 1, 0, 2])
    case("contiguous", "default", x, 0)
    case("clone", "default", x, None)
    case("detach", "default", x)
    case("expand", "default", randn(3, 1), [3, 4], False)
    case("expand", "default", randn(3, 1), [2, -1, 5], False)
    case("expand_as", "default", randn(1, 4), randn(3, 4))
    case("repeat", "default", randn(2, 3), [2, 2])
    case("repeat", "default", randn(3), [2, 1, 2])
    case("cat", "default", [randn(2, 3), randn(1, 3)], 0)
    case("cat", "default", [randn(2, 3), randn(2, 1), randn(2, 2)], -1)
    case("cat", "default", [ints(2), randn(3)], 0, note="dtypes promote")
    case("cat", "default", [randn(2, 3), torch.zeros(0)], 0, note="legacy: empty 1-D tensors are skipped")
    case("stack", "default", [randn(2, 3), randn(2, 3)], 0)
    case("stack", "default", [randn(2, 3), randn(2, 3), randn(2, 3)], -1)
    case("split", "Tensor", randn(5, 2), 2, 0)
    case("split", "sizes", randn(2, 6), [1, 2, 3], 1)
    case("split_with_sizes", "default", randn(7), [3, 4], 0)
    case("chunk", "default", randn(5, 4), 3, 0)
    case("chunk", "default", randn(2, 6), 3, -1)
    case("unbind", "int", randn(3, 2), 0)
    case("unbind", "int", randn(3, 2), 1)
    case("chunk", "default", randn(0, 2), 3, 0)
    case("meshgrid", "default", [randn(3), randn(4)])
    case("tensor_split", "sections", randn(7, 2), 3, 0)
    case("tensor_split", "sections", randn(2, 2), 3, 0)
    case("tensor_split", "indices", randn(3, 6), [1, 4], 1)
    case("tensor_split", "indices", randn(3, 6), [-2, 9], -1)
    case("meshgrid", "indexing", [randn(3), randn(1).reshape(()), randn(2)], "ij")
    case("meshgrid", "indexing", [randn(3), randn(4), randn(2)], "xy")
    case("to", "dtype", x, f(torch.float64), False, False, None)
    case("to", "dtype", randn(5) * 3, f(torch.int32), False, False, None)
    case("to", "dtype", ints(5), f(torch.bool), False, False, None)
    case("to", "device", x, dev(), f(torch.float16), False, False, None, atol=1e-3, rtol=1e-3)
    case("to", "other", ints(4), randn(2), False, False, None)
    case("to", "dtype_layout", x, f(torch.float64), None, None, None, False, False, None)
    case("to", "prim_Device", x, dev(), None, False, False)
    case("to", "prim_dtype", x, f(torch.int64), False, False)
    case("type_as", "default", ints(4), randn(2))
    case("copy", "default", randn(2, 3), ints(3), False)
    case("copy", "default", ints(2, 2), randn(2, 2) * 4, False)
    case("dropout", "default", x, 0.5, False)
    case("alpha_dropout", "default", x, 0.5, False)
    case("feature_alpha_dropout", "default", x, 0.5, False)
    case("alias", "default", x)
    case("lift_fresh", "default", x)
    case("feature_dropout", "default", x, 0.5, False)
    case("pad", "default", x, [1, 2], "constant", None)
    case("pad", "default", x, [1, 1, 0, 2], "constant", 0.5)
    case("pad", "default", randn(1, 2, 5), [2, 1], "reflect", None)
    case("pad", "default", randn(1, 2, 3, 4), [1, 1, 2, 0], "replicate", None)
    case("pad", "default", randn(1, 2, 5), [2, 2], "circular", None)
    case("constant_pad_nd", "default", ints(2, 3), [1, -1, 1, 1], 7)
    case("flip", "default", x, [0, 2])
    case("flip", "default", ints(5), [-1])
    case("roll", "default", x, [1, -2], [0, 2])
    case("roll", "default", x, [5], [])
    case("roll", "default", randn(7), [10], [0])


def indexing_cases():
    x = randn(4, 5, 3)
    case("slice", "Tensor", x, 0, 1, 3, 1)
    case("slice", "Tensor", x, 1, None, None, 2)
    case("slice", "Tensor", x, 1, -3, None, 1)
    case("slice", "Tensor", x, -1, 1, 9223372036854775807, 1, note="x[..., 1:] in TorchScript")
    case("slice", "Tensor", x, 0, -100, -1, 1)
    case("slice", "Tensor", x, 0, 3, 1, 1, note="empty slice")
    case("select", "int", x, 0, 2)
    case("select", "int", x, 1, -1)
    case("narrow", "default", x, 1, 1, 3)
    case("narrow", "Tensor", x, 2, torch.tensor(1), 2)
    case("index_select", "default", x, 1, torch.tensor([4, 0, 0, 2]))
    case("index_select", "default", x, -1, torch.tensor([1], dtype=torch.int32))
    case("gather", "default", randn(3, 4), 1, ints(3, 2, low=0, high=4), False)
    case("gather", "default", randn(3, 4), 0, ints(2, 4, low=0, high=3), False)
    case("index", "Tensor", x, [torch.tensor([0, 2, 3])])
    case("index", "Tensor", x, [None, torch.tensor([[1, 4], [0, -1]])])
    case("index", "Tensor", x, [torch.tensor([0, 1]), None, torch.tensor([2, 0])], note="non-adjacent: result dims first")
    case("index", "Tensor", x, [torch.tensor([1, 3]), torch.tensor([[0], [2]])])
    case("sort", "default", randn(3, 5), -1, False)
    case("sort", "default", randn(4, 3), 0, True)
    case("sort", "stable", ints(6, low=0, high=3), True, 0, False)
    case("argsort", "default", randn(2, 6), 1, True)
    case("topk", "default", randn(3, 6), 2, -1, True, True)
    case("topk", "default", randn(5, 2), 3, 0, False, True)
    case("tril", "default", randn(4, 5), 0)
    case("tril", "default", randn(2, 3, 4), -1)
    case("triu", "default", ints(4, 3), 1)
    case("triu", "default", bools(3, 3), 0)


def creation_cases():
    case("zeros", "default", [2, 3], None, None, None, None)
    case("zeros", "default", [4], f(torch.int64), None, dev(), False)
    case("ones", "default", [2, 2], f(torch.float64), None, None, None)
    case("full", "default", [2, 3], 1.5, None, None, None, None)
    case("full", "default", [3], 7, None, None, None, None, note="int fill -> int64")
    case("full", "default", [3], True, None, None, None, None, note="bool fill -> bool, as eager torch.full",
         via=lambda size, value, *rest: torch.full(size, value))
    case("full", "default", [2], 2, f(torch.float32), None, None, None)
    case("zeros_like", "default", ints(2, 3), None, None, None, None, None)
    case("ones_like", "default", randn(3), f(torch.int32), None, None, None, None)
    case("full_like", "default", randn(2, 2), 3.25, None, None, None, None, None)
    case("new_zeros", "default", ints(2), [3, 1], None, None, None, None)
    case("new_ones", "default", randn(2), [2], None, None, None, None)
    case("new_full", "default", randn(2), [2, 2], 4, None, None, None, None)
    case("arange", "default", 5, None, None, None, None)
    case("arange", "default", 2.5, None, None, None, None)
    case("arange", "start", 2, 9, None, None, None, None)
    case("arange", "start_step", 1, 10, 3, None, None, None, None)
    case("arange", "start_step", 0.0, 1.0, 0.25, None, None, None, None)
    case("arange", "start_step", 10, 1, -3, f(torch.float32), None, None, None)
    case("linspace", "default", 0.0, 1.0, 5, None, None, None, None)
    case("linspace", "default", -2, 3, 7, f(torch.float64), None, None, None)
    # One step is start; integer outputs take start and end as integers first
    # (4.3 -> 4) and truncate each value. Short outputs only: on long int64
    # outputs (linspace(4.3, 1, 50)) torch's vectorized CPU path gives values
    # that depend on the SIMD width, which the op library does not mimic.
    case("linspace", "default", 1, 3, 1, None, None, None, None)
    case("linspace", "default", 4.3, 1, 7, f(torch.int64), None, None, None)
    case("linspace", "default", -2.7, 5, 6, f(torch.int64), None, None, None)
    case("eye", "default", 3, None, None, None, None)
    case("eye", "m", 2, 4, f(torch.int64), None, None, None)
    case("scalar_tensor", "default", 2.5, None, None, None, None)
    case("scalar_tensor", "default", 3, f(torch.int64), None, None, None)
    literal = lambda data, dtype, device, requires_grad: torch.tensor(data, dtype=dtype)
    case("tensor", "default", [[1, 2], [3, 4]], None, None, False, via=literal)
    case("tensor", "default", [1.5, 2, 3], None, None, False, via=literal)
    case("tensor", "default", [True, False], None, None, False, via=literal)
    case("tensor", "float", 2.5, f(torch.float64), None, False)
    case("fill", "Scalar", randn(2, 3), 0.5)
    case("fill", "Tensor", ints(3), torch.tensor(4))
    case("zero", "default", randn(3))
    # empty/empty_like/new_empty: our kernels fill zeros (deterministic); torch's memory is
    # uninitialized, so the reference is zeros of torch's dtype and shape.
    case("empty", "memory_format", [2, 3], None, None, None, None, None,
         via=lambda size, *rest: torch.zeros_like(torch.empty(size)))
    case("empty_like", "default", ints(2, 2), None, None, None, None, None,
         via=lambda t, *rest: torch.zeros_like(torch.empty_like(t)))
    case("new_empty", "default", randn(2), [3], f(torch.int32), None, None, None,
         via=lambda t, size, dtype, *rest: torch.zeros_like(t.new_empty(size, dtype=dtype)))


def nn_cases():
    img = randn(2, 3, 9, 8)
    case("conv2d", "default", img, randn(4, 3, 3, 3), randn(4), [1, 1], [0, 0], [1, 1], 1)
    case("conv2d", "default", img, randn(6, 3, 3, 2), None, [2, 1], [1, 2], [1, 1], 1)
    case("conv2d", "default", img, randn(4, 3, 3, 3), randn(4), [1, 1], [2, 2], [2, 2], 1)
    case("conv2d", "default", randn(1, 4, 7, 7), randn(6, 2, 3, 3), randn(6), [2, 2], [1, 1], [1, 1], 2)
    case("conv2d", "default", randn(1, 4, 6, 6), randn(4, 1, 3, 3), randn(4), [1, 1], [1, 1], [1, 1], 4,
         note="depthwise")
    case("conv2d", "padding", img, randn(4, 3, 3, 3), randn(4), [1, 1], "same", [1, 1], 1)
    case("conv2d", "padding", img, randn(4, 3, 4, 2), None, [1, 1], "same", [2, 1], 1, note="even kernel 'same'")
    case("conv2d", "padding", img, randn(4, 3, 3, 3), None, [1, 1], "valid", [1, 1], 1)
    case("conv2d", "default", randn(1, 64, 14, 14), randn(32, 64, 3, 3), randn(32), [1, 1], [1, 1], [1, 1], 1,
         atol=1e-4, note="large K")
    case("conv1d", "default", randn(2, 3, 10), randn(5, 3, 3), randn(5), [1], [1], [1], 1)
    case("conv1d", "default", randn(2, 4, 11), randn(4, 2, 4), None, [2], [0], [2], 2)
    case("conv1d", "padding", randn(1, 2, 9), randn(3, 2, 4), randn(3), [1], "same", [1], 1)
    case("max_pool2d", "default", img, [2, 2], [2, 2], [0, 0], [1, 1], False)
    case("max_pool2d", "default", img, [3, 3], [2, 2], [1, 1], [1, 1], False)
    case("max_pool2d", "default", img, [3, 2], [2, 2], [0, 1], [1, 1], True)
    case("max_pool2d", "default", img, [2, 2], [], [0, 0], [2, 2], False, note="empty stride = kernel size")
    case("max_pool1d", "default", randn(2, 3, 10), [3], [2], [1], [1], False)
    case("avg_pool2d", "default", img, [2, 2], [2, 2], [0, 0], False, True, None)
    case("avg_pool2d", "default", img, [3, 3], [2, 2], [1, 1], False, True, None)
    case("avg_pool2d", "default", img, [3, 3], [2, 2], [1, 1], True, False, None)
    case("avg_pool2d", "default", img, [2, 3], [1, 2], [1, 0], False, True, 4)
    case("avg_pool1d", "default", randn(2, 3, 10), [3], [2], [1], False, True)
    case("adaptive_avg_pool2d", "default", img, [1, 1])
    case("adaptive_avg_pool2d", "default", img, [3, 5])
    case("adaptive_avg_pool2d", "default", randn(1, 2, 7, 7), [7, 7])
    case("adaptive_avg_pool1d", "default", randn(2, 3, 10), [4])
    case("adaptive_max_pool2d", "default", img, [2, 3])
    case("batch_norm", "default", img, randn(3), randn(3), randn(3), positive(3), False, 0.1, 1e-5, True)
    case("batch_norm", "default", randn(4, 3), None, None, randn(3), positive(3), False, 0.1, 1e-3, True)
    case("batch_norm", "default", randn(2, 3, 5), randn(3), None, randn(3), positive(3), False, 0.1, 1e-5, True)
    case("layer_norm", "default", randn(2, 5, 8), [8], randn(8), randn(8), 1e-5, True)
    case("layer_norm", "default", randn(2, 5, 8), [5, 8], None, None, 1e-5, True)
    case("group_norm", "default", randn(2, 6, 4, 3), 3, randn(6), randn(6), 1e-5, True)
    case("group_norm", "default", randn(2, 4, 5), 1, None, None, 1e-5, True)
    case("instance_norm", "default", randn(2, 3, 4, 5), randn(3), randn(3), None, None, True, 0.1, 1e-5, True)
    case("instance_norm", "default", randn(2, 3, 6), None, None, None, None, True, 0.1, 1e-5, True)
    # nn.InstanceNorm2d(track_running_stats=True) in eval mode: the running statistics
    case("instance_norm", "default", randn(2, 3, 4, 5), randn(3), randn(3), randn(3), positive(3), False, 0.1, 1e-5,
         True, note="use_input_stats=False")
    # bilinear(input1, input2, weight [out, in1, in2], bias?) (nn.Bilinear)
    case("bilinear", "default", randn(3, 4), randn(3, 5), randn(2, 4, 5), randn(2))
    case("bilinear", "default", randn(2, 3, 4), randn(2, 3, 2), randn(3, 4, 2), None, note="3-D, no bias")
    # triplet_margin_loss(anchor, positive, negative, margin, p, eps, swap, reduction)
    case("triplet_margin_loss", "default", randn(4, 5), randn(4, 5), randn(4, 5), 1.0, 2.0, 1e-6, False, 1)
    case("triplet_margin_loss", "default", randn(4, 5), randn(4, 5), randn(4, 5), 0.5, 1.0, 1e-6, True, 0)
    case("triplet_margin_loss", "default", randn(6), randn(6), randn(6), 2.0, 3.0, 1e-6, False, 2, note="1-D, p=3")
    # multi_margin_loss(self, target, p, margin, weight, reduction)
    case("multi_margin_loss", "default", randn(4, 5), torch.tensor([0, 4, 2, 2]), 1, 1.0, None, 1)
    case("multi_margin_loss", "default", randn(3, 4), torch.tensor([3, 0, 1]), 2, 0.5, positive(4), 0,
         note="p=2, weight")
    case("multi_margin_loss", "default", randn(5), torch.tensor(2), 1, 1.0, None, 2, note="unbatched")
    # max_unpool2d/3d(self, indices, output_size[, stride, padding]): indices from max_pool's return_indices
    pooled, where = torch.nn.functional.max_pool2d(randn(2, 3, 6, 4), 2, return_indices=True)
    case("max_unpool2d", "default", pooled, where, [6, 4])
    pooled, where = torch.nn.functional.max_pool2d(randn(3, 5, 5), 2, return_indices=True)
    case("max_unpool2d", "default", pooled, where, [5, 5], note="unbatched, odd size")
    pooled, where = torch.nn.functional.max_pool3d(randn(1, 2, 4, 4, 6), 2, return_indices=True)
    case("max_unpool3d", "default", pooled, where, [4, 4, 6], [2, 2, 2], [0, 0, 0])
    # col2im(self, output_size, kernel_size, dilation, padding, stride) (F.fold)
    case("col2im", "default", randn(2, 12, 12), [4, 5], [2, 2], [1, 1], [0, 0], [1, 1])
    case("col2im", "default", randn(2 * 9, 12), [6, 7], [3, 3], [1, 1], [1, 1], [2, 2], note="unbatched, stride 2")
    case("col2im", "default", randn(1, 4, 9), [5, 5], [2, 2], [2, 2], [0, 0], [1, 1], note="dilation 2")
    # rrelu in eval mode: a leaky relu with slope (lower + upper) / 2
    case("rrelu", "default", randn(3, 4), 0.1, 0.3, False)
    case("rrelu", "default", randn(5), 0.125, 1.0 / 3.0, False)
    case("embedding", "default", randn(10, 4), torch.tensor([[1, 2, 4], [9, 0, 1]]), -1, False, False)
    case("embedding", "default", randn(6, 3), torch.tensor([5, 5, 0]), 0, False, False)
    case("upsample_nearest2d", "vec", randn(1, 2, 3, 4), [6, 8], None)
    case("upsample_nearest2d", "vec", randn(1, 2, 3, 4), None, [2.0, 3.0])
    case("upsample_nearest2d", "vec", randn(1, 2, 5, 4), [3, 7], None)
    case("upsample_nearest2d", "default", randn(1, 2, 3, 4), [5, 5], None, None)
    case("upsample_bilinear2d", "vec", randn(1, 2, 3, 4), [6, 8], False, None)
    case("upsample_bilinear2d", "vec", randn(1, 2, 3, 4), [5, 7], True, None)
    case("upsample_bilinear2d", "vec", randn(2, 1, 4, 4), None, False, [2.0, 2.0])
    case("upsample_bilinear2d", "vec", randn(1, 1, 6, 5), [3, 2], False, None, note="downsampling")
    case("upsample_bilinear2d", "default", randn(1, 2, 3, 4), [6, 6], False, None, None)
    case("convolution", "default", img, randn(4, 3, 3, 3), randn(4), [1, 2], [1, 0], [1, 1], False, [0, 0], 1)
    case("_convolution", "default", img, randn(6, 1, 3, 3), None, [1, 1], [1, 1], [1, 1], False, [0, 0], 3,
         False, False, True, True)
    case("convolution", "default", randn(1, 4, 5, 5), randn(4, 3, 3, 3), randn(3), [2, 2], [1, 1], [1, 1], True, [1, 1], 1,
         note="transposed")
    case("conv_transpose2d", "input", randn(2, 4, 5, 4), randn(4, 3, 3, 3), randn(3), [2, 2], [1, 1], [1, 0], 1, [1, 1])
    case("conv_transpose2d", "input", randn(1, 4, 3, 3), randn(4, 2, 2, 3), None, [1, 2], [0, 1], [0, 1], 2, [2, 1])
    case("conv_transpose1d", "default", randn(2, 3, 6), randn(3, 5, 4), randn(5), [3], [1], [2], 1, [1])
    case("adaptive_max_pool1d", "default", randn(2, 3, 10), [4])
    case("pixel_shuffle", "default", randn(1, 8, 2, 3), 2)
    case("prelu", "default", randn(2, 3, 4), randn(3))
    case("glu", "default", randn(2, 6), -1)
    case("threshold", "default", randn(8), 0.1, 20)


def rnn_params(layers, directions, input_size, hidden, gates, biases=True):
    params = []
    for layer in range(layers):
        size = input_size if layer == 0 else hidden * directions
        for _ in range(directions):
            params += [randn(gates * hidden, size) * 0.5, randn(gates * hidden, hidden) * 0.5]
            if biases:
                params += [randn(gates * hidden) * 0.5, randn(gates * hidden) * 0.5]
    return params


def recurrent_cases():
    # One step: *_cell(input [batch, in], hx, w_ih, w_hh, b_ih?, b_hh?)
    for op, gates in (("rnn_tanh_cell", 1), ("rnn_relu_cell", 1), ("gru_cell", 3)):
        case(op, "default", randn(3, 4), randn(3, 5), randn(gates * 5, 4) * 0.5, randn(gates * 5, 5) * 0.5,
             randn(gates * 5) * 0.5, randn(gates * 5) * 0.5)
        case(op, "default", randn(2, 3), randn(2, 4), randn(gates * 4, 3) * 0.5, randn(gates * 4, 4) * 0.5,
             None, None, note="no biases")
    case("lstm_cell", "default", randn(3, 4), [randn(3, 5), randn(3, 5)], randn(20, 4) * 0.5, randn(20, 5) * 0.5,
         randn(20) * 0.5, randn(20) * 0.5)
    case("lstm_cell", "default", randn(2, 3), [randn(2, 4), randn(2, 4)], randn(16, 3) * 0.5, randn(16, 4) * 0.5,
         None, None, note="no biases")
    # lstm(input, [h0, c0], params, has_biases, num_layers, dropout, train, bidirectional, batch_first)
    case("lstm", "input", randn(5, 2, 4), [randn(4, 2, 3), randn(4, 2, 3)], rnn_params(2, 2, 4, 3, 4),
         True, 2, 0.0, False, True, False)
    case("lstm", "input", randn(2, 6, 3), [randn(1, 2, 5), randn(1, 2, 5)], rnn_params(1, 1, 3, 5, 4, biases=False),
         False, 1, 0.0, False, False, True, note="batch_first, no biases")
    case("gru", "input", randn(5, 2, 4), randn(2, 2, 3), rnn_params(1, 2, 4, 3, 3), True, 1, 0.0, False, True, False)
    case("gru", "input", randn(2, 4, 3), randn(2, 2, 4), rnn_params(2, 1, 3, 4, 3), True, 2, 0.0, False, False, True)
    case("rnn_tanh", "input", randn(3, 2, 4), randn(1, 2, 3), rnn_params(1, 1, 4, 3, 1), True, 1, 0.0, False, False, False)
    case("rnn_relu", "input", randn(3, 2, 4), randn(2, 2, 3), rnn_params(1, 2, 4, 3, 1), True, 1, 0.0, False, True, False)


def attention_params(e):
    """qkv_weight, qkv_bias, proj_weight, proj_bias of an embed_dim e attention."""
    return [randn(3 * e, e) * 0.4, randn(3 * e) * 0.2, randn(e, e) * 0.4, randn(e) * 0.2]


def attention_cases():
    # _native_multi_head_attention(q, k, v, embed_dim, num_head, qkv_w, qkv_b, proj_w, proj_b,
    #                              mask, need_weights, average_attn_weights, mask_type)
    x = randn(2, 5, 8)
    case("_native_multi_head_attention", "default", x, x, x, 8, 2, *attention_params(8), None, True, True, None,
         note="self-attention, averaged weights")
    padding = torch.tensor([[False, False, False, False, True, True], [False, True, False, False, False, False]])
    case("_native_multi_head_attention", "default", randn(2, 6, 8), randn(2, 6, 8), randn(2, 6, 8), 8, 4,
         *attention_params(8), padding, True, False, 1, note="key padding mask, per-head weights")
    # A batch item whose keys are all masked: torch's rows are NaN.
    all_masked = torch.tensor([[False, True, False, True], [True, True, True, True]])
    y = randn(2, 4, 8)
    case("_native_multi_head_attention", "default", y, y, y, 8, 2,
         *attention_params(8), all_masked, True, True, 1, note="a fully masked batch item gives NaN rows")
    # _transformer_encoder_layer_fwd(src, embed_dim, num_heads, qkv_w, qkv_b, proj_w, proj_b, use_gelu,
    #     norm_first, eps, norm_w1, norm_b1, norm_w2, norm_b2, ffn_w1, ffn_b1, ffn_w2, ffn_b2, mask, mask_type)
    def layer(src, e, heads, ffn, use_gelu, norm_first, mask, mask_type, note):
        norms = [1 + 0.2 * randn(e), 0.2 * randn(e), 1 + 0.2 * randn(e), 0.2 * randn(e)]
        mlp = [randn(ffn, e) * 0.4, randn(ffn) * 0.2, randn(e, ffn) * 0.4, randn(e) * 0.2]
        case("_transformer_encoder_layer_fwd", "default", src, e, heads, *attention_params(e), use_gelu, norm_first,
             1e-5, *norms, *mlp, mask, mask_type, atol=1e-4, note=note)
    layer(randn(2, 5, 8), 8, 2, 16, False, False, None, None, "post-norm, relu")
    layer(randn(2, 4, 8), 8, 4, 12, True, True, torch.tensor([[False, False, True, True], [False] * 3 + [True]]), 1,
          "pre-norm, gelu, key padding mask")
    layer(randn(2, 4, 8), 8, 2, 12, False, False, torch.tensor([[False, True, False, False], [True] * 4]), 1,
          "post-norm, a fully masked batch item gives NaN rows")


# ---------------------------------------------------------------- encoding

def number(v):
    if isinstance(v, float) and not math.isfinite(v):
        return {"float": "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf")}
    return v


def encode_tensor(t):
    t = t.detach().contiguous()
    data = t.reshape(-1).tolist()
    data = [(("nan" if math.isnan(v) else ("inf" if v > 0 else "-inf"))
             if isinstance(v, float) and not math.isfinite(v) else v) for v in data]
    return {"dtype": DTYPE_NAMES[t.dtype], "shape": list(t.shape), "data": data}


def encode_arg(a):
    if isinstance(a, torch.Tensor):
        return {"tensor": encode_tensor(a)}
    if isinstance(a, (list, tuple)):
        return {"list": [encode_arg(x) for x in a]}
    if isinstance(a, dict) and "__dtype__" in a:
        return {"dtype": DTYPE_NAMES[a["__dtype__"]]}
    if isinstance(a, dict) and "__device__" in a:
        return {"device": a["__device__"]}
    if isinstance(a, dict):
        return a  # already encoded ({"float": "-inf"})
    return number(a)


def decode_for_torch(a):
    if isinstance(a, dict) and "__dtype__" in a:
        return a["__dtype__"]
    if isinstance(a, dict) and "__device__" in a:
        return torch.device(a["__device__"])
    if isinstance(a, dict) and "float" in a:
        return float(a["float"])
    if isinstance(a, list):
        return [decode_for_torch(x) for x in a]
    return a


def added_op_cases():
    """Losses (reduction 0 none, 1 mean, 2 sum), norms, moments and shape ops
    added for the OpInfo suite."""
    for r in (0, 1, 2):
        case("mse_loss", "default", randn(3, 4), randn(3, 4), r)
        case("l1_loss", "default", randn(3, 4), randn(3, 4), r)
        case("smooth_l1_loss", "default", randn(2, 5), randn(2, 5), r, 0.5)
        case("huber_loss", "default", randn(2, 5), randn(2, 5), r, 0.7)
        case("binary_cross_entropy", "default", torch.rand(3, 4, generator=GEN) * 0.9 + 0.05,
             torch.rand(3, 4, generator=GEN), positive(4), r)
        case("binary_cross_entropy_with_logits", "default", randn(3, 4) * 5, torch.rand(3, 4, generator=GEN),
             positive(3, 4), positive(4), r)
        case("kl_div", "default", randn(2, 3), torch.tensor([[0.0, 0.2, 0.8], [0.5, 0.0, 0.5]]), r, False)
        case("kl_div", "default", randn(2, 3), randn(2, 3), r, True)
        signs = torch.tensor([[1.0, -1.0, 1.0], [-1.0, -1.0, 1.0]])
        case("soft_margin_loss", "default", randn(2, 3) * 3, signs, r)
        case("hinge_embedding_loss", "default", randn(2, 3), torch.tensor([[1.0, -1.0, 0.5], [-1.0, 1.0, 1.0]]), 0.7, r)
        case("margin_ranking_loss", "default", randn(2, 3), randn(2, 3), signs, 0.3, r)
        case("cosine_embedding_loss", "default", randn(3, 4), randn(3, 4), torch.tensor([1.0, -1.0, -1.0]), 0.1, r)
        case("cosine_embedding_loss", "default", randn(5), randn(5), torch.tensor(-1.0), -0.5, r)
        case("poisson_nll_loss", "default", randn(2, 3), positive(2, 3), True, False, 1e-8, r)
        case("poisson_nll_loss", "default", positive(2, 3), torch.tensor([[0.0, 1.0, 2.0], [3.5, 0.5, 7.0]]),
             False, True, 1e-8, r)
        target = torch.tensor([[0, 3, 1], [2, 3, 3]])
        case("nll_loss_nd", "default", randn(2, 4, 3), target, positive(4), r, 3)
        case("nll_loss", "default", randn(3, 4), torch.tensor([3, 0, 1]), None, r, -100)
        case("nll_loss2d", "default", randn(2, 3, 2, 2), torch.tensor([[[0, 1], [2, 1]], [[1, 1], [0, 2]]]), None, r, -100)
        case("cross_entropy_loss", "default", randn(4, 5), torch.tensor([0, 4, 2, 2]), None, r, -100, 0.0)
        case("cross_entropy_loss", "default", randn(3, 4, 2), torch.tensor([[1, 0], [3, 1], [2, 2]]), positive(4), r, 2, 0.2)
        case("cross_entropy_loss", "default", randn(3, 4), torch.tensor([1, 0, 3]), None, r, 0, 0.1)
        case("cross_entropy_loss", "default", randn(3, 4), torch.rand(3, 4, generator=GEN), positive(4), r, -100, 0.3)
    case("nll_loss_nd", "default", randn(5), torch.tensor(2), None, 0, -100, note="unbatched")
    case("broadcast_tensors", "default", [randn(3, 1), randn(4), randn(1).reshape(())])
    case("norm", "Scalar", randn(3, 4), 3)
    case("norm", "ScalarOpt_dim", randn(3, 4), 1, [1], True)
    inf = float("inf")
    for ord in (2.0, 1.0, 3.5, 0.0, inf, -inf):
        case("linalg_vector_norm", "default", randn(3, 4), ord, [1], False, None)
    case("linalg_norm", "default", randn(2, 3, 2), None, None, False, None)
    case("linalg_norm", "default", randn(5), 3.0, None, False, None)
    case("linalg_norm", "ord_str", randn(3, 4), "fro", [0, 1], True, None)
    case("var_mean", "dim", randn(3, 4, 2), [1], True, True)
    case("std_mean", "default", randn(3, 4), False)
    case("as_tensor", "default", randn(2, 3), f(torch.int64), None)
    case("as_tensor", "list", [[1.5, 2.0], [3.0, 4.0]], None, None,
         via=lambda data, dtype, device: torch.as_tensor(data, dtype=dtype))
    case("as_tensor", "int", 3, f(torch.float64), None,
         via=lambda data, dtype, device: torch.as_tensor(data, dtype=dtype))
    for n in ("1d", "2d", "3d"):
        for shape in ((), (4,), (2, 3), (2, 3, 2)):
            case("atleast_" + n, "default", randn(*shape) if shape else randn(1).reshape(()))
    for offset, d1, d2 in ((0, 0, 1), (1, 0, 1), (-1, 0, 1), (2, 2, 0), (-5, 1, 2)):
        case("diagonal", "default", randn(3, 4, 5), offset, d1, d2)
    case("repeat_interleave", "self_int", randn(2, 3), 2, 1, None)
    case("repeat_interleave", "self_int", randn(2, 3), 3, None, None)
    case("repeat_interleave", "self_int", ints(2, 3), 2, 0, None)
    case("einsum", "default", "ij,jk->ik", [randn(2, 3), randn(3, 4)], None)
    case("einsum", "default", "ij,jk", [randn(2, 3), randn(3, 4)], None)
    case("einsum", "default", "bij->jb", [randn(2, 3, 5)], None)
    case("einsum", "default", "ii->i", [randn(3, 3)], None)


def breadth_cases():
    """Ops added to export more of what torch.onnx.export exports: every
    interpolate mode, 3-D convolution and pooling, activations, non-finite
    values, scatters, pixel_unshuffle."""
    # upsample: (.vec) input, output_size, [align_corners,] scale_factors
    for n, shape in ((1, (2, 3, 5)), (2, (1, 2, 3, 4)), (3, (1, 2, 2, 3, 4))):
        x = randn(*shape)
        case("upsample_nearest%dd" % n, "vec", x, [s * 2 for s in shape[2:]], None)
        case("upsample_nearest%dd" % n, "vec", x, [s + 3 for s in shape[2:]], None, note="fractional ratio")
        case("upsample_nearest%dd" % n, "vec", x, None, [1.7] * n, note="fractional scale")
        case("upsample_nearest%dd" % n, "vec", x, [max(1, s - 1) for s in shape[2:]], None, note="downsampling")
        case("_upsample_nearest_exact%dd" % n, "vec", x, [s + 3 for s in shape[2:]], None)
        case("_upsample_nearest_exact%dd" % n, "vec", x, None, [0.6] * n)
    for op, n, shape in (("upsample_linear1d", 1, (2, 3, 5)), ("upsample_bilinear2d", 2, (1, 2, 3, 4)),
                         ("upsample_trilinear3d", 3, (1, 2, 2, 3, 4)), ("upsample_bicubic2d", 2, (1, 2, 4, 5))):
        x = randn(*shape)
        for align in (False, True):
            case(op, "vec", x, [s * 2 + 1 for s in shape[2:]], align, None)
            case(op, "vec", x, None, align, [1.5] * n)
            case(op, "vec", x, [1] * n, align, None, note="output size 1")
            case(op, "vec", x, [max(1, s - 1) for s in shape[2:]], align, None, note="downsampling")
    case("upsample_nearest2d", "default", randn(1, 2, 5, 4), [7, 6], 1.5, None, note="per-dim scale next to output_size")
    case("upsample_bilinear2d", "default", randn(1, 2, 5, 4), [7, 6], False, 1.5, None)
    case("upsample_trilinear3d", "default", randn(1, 1, 2, 3, 4), [3, 5, 6], True, None, None, None)
    img = randn(2, 3, 4, 5)
    grid = torch.rand(2, 3, 6, 2, generator=GEN) * 2.6 - 1.3
    for mode in (0, 1, 2):
        for padding in (0, 1, 2):
            for align in (False, True):
                case("grid_sampler", "default", img, grid, mode, padding, align)
    # 3-D convolution and pooling
    vol = randn(2, 4, 5, 6, 5)
    case("conv3d", "default", vol, randn(6, 4, 3, 3, 2), randn(6), [1], [1], [1], 1)
    case("conv3d", "default", vol, randn(4, 2, 2, 3, 3), None, [2, 1, 2], [0, 1, 1], [1, 2, 1], 2)
    case("conv3d", "padding", randn(1, 2, 4, 5, 5), randn(3, 2, 3, 3, 3), randn(3), [1], "same", [1], 1)
    case("conv3d", "default", randn(3, 4, 4, 4), randn(2, 3, 2, 2, 2), None, [1], [0], [1], 1, note="unbatched")
    case("conv_transpose3d", "input", randn(2, 4, 3, 4, 3), randn(4, 3, 3, 2, 3), randn(3), [2, 1, 2], [1, 0, 1], [1, 0, 0], 1, [1])
    case("conv_transpose3d", "input", randn(1, 4, 3, 3, 3), randn(4, 2, 2, 2, 2), None, [1], [0], [0], 2, [2])
    case("convolution", "default", vol, randn(3, 4, 2, 2, 2), randn(3), [1, 1, 1], [0, 0, 0], [1, 1, 1], False, [0, 0, 0], 1)
    case("max_pool3d", "default", vol, [2, 2, 2], [2, 2, 2], [0, 0, 0], [1, 1, 1], False)
    case("max_pool3d", "default", vol, [3, 3, 2], [2, 2, 1], [1, 1, 1], [1, 1, 1], True)
    case("max_pool3d", "default", vol, [2, 2, 2], [], [0], [2, 1, 1], False, note="dilation, empty stride")
    case("max_pool3d_with_indices", "default", vol, [3, 3, 2], [2, 2, 1], [1, 1, 1], [1, 1, 1], True)
    case("max_pool2d_with_indices", "default", randn(1, 2, 3, 6), [3, 3], [2, 2], [1, 1], [1, 2], True)
    case("max_pool2d_with_indices", "default", randn(2, 3, 5, 5), [2, 2], [], [0, 0], [1, 1], False)
    case("max_pool1d_with_indices", "default", randn(2, 3, 10), [3], [2], [1], [1], False)
    case("adaptive_avg_pool3d", "default", vol, [1, 1, 1])
    case("adaptive_avg_pool3d", "default", vol, [2, 4, 3])
    case("adaptive_max_pool3d", "default", vol, [3, 2, 5])
    case("avg_pool3d", "default", vol, [2, 2, 2], [2, 2, 2], [0, 0, 0], False, True, None)
    case("avg_pool3d", "default", vol, [3, 3, 3], [2, 2, 2], [1, 1, 1], True, True, None)
    case("avg_pool3d", "default", vol, [3, 3, 3], [2, 2, 2], [1, 1, 1], False, False, None)
    case("avg_pool3d", "default", vol, [2, 3, 2], [1, 2, 2], [1, 0, 1], False, True, 5)
    # activations and non-finite values
    special = torch.tensor([float("nan"), float("inf"), float("-inf"), 0.0, -0.3, 0.5, -0.5, 0.7, -2.0, 3.4e38, -1e4])
    case("log_sigmoid", "default", randn(3, 4) * 5)
    case("log_sigmoid", "default", torch.tensor([-200.0, -30.0, 0.0, 30.0, 200.0]), note="no underflow")
    case("hardshrink", "default", special, 0.5)
    case("hardshrink", "default", randn(8), 0.2)
    case("softshrink", "default", special, 0.5)
    case("isnan", "default", special)
    case("isinf", "default", special)
    case("isnan", "default", ints(4))
    case("isinf", "default", bools(4))
    case("isfinite", "default", special)
    # Inverse hyperbolics, exp2, erfc, angle conversion, frac, sinc, logit,
    # sign tests, and the binary ops written as formulas (logaddexp, ...).
    case("acosh", "default", positive(6) + 1)
    case("asinh", "default", randn(6) * 3)
    case("atanh", "default", unit(6) * 0.9)
    case("acosh", "default", ints(4, low=1, high=5), note="int -> float32")
    case("exp2", "default", randn(6) * 3)
    case("erfc", "default", randn(6) * 3)
    case("deg2rad", "default", randn(6) * 180)
    case("rad2deg", "default", ints(6), note="int -> float32")
    case("frac", "default", randn(6) * 5)
    case("sinc", "default", torch.tensor([0.0, 0.5, -1.5, 2.25, 1e-8]))
    case("logit", "default", torch.tensor([0.0, 0.1, 0.5, 0.9, 1.0]), None)
    case("logit", "default", torch.tensor([0.0, 0.1, 0.5, 0.9, 1.0]), 0.2)
    case("sgn", "default", randn(6))
    case("sgn", "default", ints(6))
    case("signbit", "default", torch.tensor([-1.0, -0.0, 0.0, 2.0, float("inf"), float("-inf")]))
    case("signbit", "default", ints(6))
    case("isposinf", "default", special)
    case("isneginf", "default", special)
    case("isneginf", "default", ints(4))
    case("isreal", "default", randn(4))
    case("logaddexp", "default", torch.tensor([1.0, -3.0, float("inf"), float("-inf"), 2.0]),
         torch.tensor([1.0, 50.0, float("inf"), float("-inf"), -100.0]))
    case("logaddexp2", "default", randn(6) * 4, randn(6) * 4)
    case("hypot", "default", randn(2, 3), randn(3))
    case("copysign", "Tensor", randn(6), torch.tensor([1.0, -1.0, 0.0, -0.0, -2.0, 3.0]))
    case("copysign", "Scalar", ints(6), -1, note="int -> float32")
    case("xlogy", "Tensor", torch.tensor([0.0, 0.0, 2.0, 1.5]), torch.tensor([0.0, float("nan"), 3.0, 0.5]))
    case("xlogy", "Scalar_Other", randn(4), 2.0)
    case("fmax", "default", torch.tensor([1.0, float("nan"), 3.0, float("nan")]), torch.tensor([2.0, 1.0, float("nan"), float("nan")]))
    case("fmin", "default", torch.tensor([1.0, float("nan"), 3.0, float("nan")]), torch.tensor([2.0, 1.0, float("nan"), float("nan")]))
    case("fmax", "default", ints(6), ints(6))
    case("isfinite", "default", ints(4))
    case("selu", "default", randn(3, 4) * 3)
    case("selu", "default", randn(5, dtype=torch.float64) * 3)
    case("celu", "default", randn(3, 4) * 3, 1.0)
    case("celu", "default", randn(6, dtype=torch.float64) * 3, 0.5)
    case("resolve_conj", "default", randn(3))
    case("resolve_neg", "default", ints(3))
    case("linalg_cross", "default", randn(2, 4, 3), randn(2, 4, 3), -1)
    case("linalg_cross", "default", randn(3, 2), randn(3, 1), 0)
    case("nan_to_num", "default", special, None, None, None)
    case("nan_to_num", "default", special, 1.5, 100.0, -100.0)
    case("nan_to_num", "default", special.to(torch.float64), None, None, None)
    case("nan_to_num", "default", special.to(torch.float16), None, None, None, atol=1e-3, rtol=1e-3)
    case("nan_to_num", "default", ints(5), None, None, None)
    case("prelu", "default", randn(2, 3, 4, 2), randn(3))
    case("prelu", "default", randn(4, 5), randn(1))
    case("glu", "default", randn(4, 6, 2), 1)
    case("threshold", "default", ints(6), 1, -7)
    # scatters
    base = randn(3, 5)
    idx = torch.tensor([[0, 1, 2, 0, 1], [2, 0, 0, 1, 2]])
    case("scatter", "src", base, 0, idx, randn(2, 5))
    case("scatter", "src", base, 1, torch.tensor([[4, 0], [1, 3], [2, 2]]), randn(3, 4), note="src larger than index")
    case("scatter", "value", base, 0, idx, 2.5)
    case("scatter", "reduce", base, 0, idx, randn(2, 5), "add")
    case("scatter", "reduce", base, 0, idx, randn(2, 5), "multiply")
    case("scatter", "value_reduce", base, -1, torch.tensor([[1, 1], [0, 4], [3, 3]]), 3.0, "add")
    case("scatter", "src", ints(3, 4), 1, torch.tensor([[0], [3], [1]]), ints(3, 2))
    case("scatter_add", "default", base, 0, idx, randn(2, 5))
    case("scatter_add", "default", ints(2, 4), 1, torch.tensor([[0, 0, 3], [1, 1, 1]]), ints(2, 3))
    case("index_add", "default", base, 0, torch.tensor([2, 0, 2, 1]), randn(4, 5), 1)
    case("index_add", "default", base, 1, torch.tensor([4, 4]), randn(3, 2), 2.5)
    case("index_add", "default", ints(3, 4), 1, torch.tensor([0, 3, 0]), ints(3, 3), -2)
    case("aminmax", "default", randn(3, 4), None, False)
    case("aminmax", "default", randn(3, 4), None, True)
    case("aminmax", "default", ints(3, 4), 1, False)
    case("aminmax", "default", randn(2, 3, 4), -1, True)
    case("cosine_similarity", "default", randn(3, 4), randn(3, 4), 1, 1e-8)
    case("cosine_similarity", "default", randn(2, 1, 5), randn(3, 5), -1, 1e-8, note="broadcast")
    case("cosine_similarity", "default", torch.tensor([[1e-9, 0.0], [1.0, 2.0]]), torch.tensor([[1e-9, 0.0], [3.0, -1.0]]), 1, 1e-8,
         note="norms below eps")
    case("cross", "default", randn(4, 3), randn(4, 3), 1)
    case("cross", "default", randn(3, 2, 1), randn(3, 1, 4), None, note="first dim of size 3, broadcast")
    case("cross", "default", ints(2, 3), ints(2, 3), -1)
    case("outer", "default", randn(3), randn(4))
    case("outer", "default", ints(3), randn(2))
    case("pixel_unshuffle", "default", randn(2, 3, 4, 6), 2)
    case("pixel_unshuffle", "default", randn(2, 1, 2, 6, 9), 3)
    case("im2col", "default", randn(2, 3, 7, 6), [3, 3], [1, 1], [1, 1], [1, 1])
    case("channel_shuffle", "default", randn(2, 6, 2, 3), 3)
    case("channel_shuffle", "default", randn(1, 4, 5), 2)
    case("im2col", "default", randn(2, 3, 7, 6), [2, 3], [2, 1], [0, 2], [2, 3])
    case("im2col", "default", randn(3, 5, 5), [2, 2], [1, 1], [1, 0], [1, 2])


def call_torch(c):
    if c["via"]:
        return c["via"](*[decode_for_torch(a) for a in c["args"]])
    op = getattr(getattr(torch.ops.aten, c["op"].split("::")[1]), c["overload"])
    pos, kw = [], {}
    for spec, value in zip(op._schema.arguments, c["args"]):
        value = decode_for_torch(value)
        if spec.kwarg_only:
            kw[spec.name] = value
        else:
            pos.append(value)
    return op(*pos, **kw)


def padded_recurrent(kind):
    """onnxport::padded_<kind> (docs/sequence-models.md, "Packed sequences") as
    torch computes it: pack_padded_sequence (sorting by length), the packed
    kernel torch._VF.<kind> on data + batch_sizes, pad_packed_sequence back to
    the input's length, final states in the input's batch order."""
    def run(input, lengths, hx, params, has_biases, num_layers, dropout, train, bidirectional, batch_first):
        from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence, pad_packed_sequence
        packed = pack_padded_sequence(input, lengths, batch_first=batch_first, enforce_sorted=False)
        order, back = packed.sorted_indices, packed.unsorted_indices
        states = [s.index_select(1, order) for s in (hx if isinstance(hx, (list, tuple)) else [hx])]
        out = getattr(torch._VF, kind)(packed.data, packed.batch_sizes, states if kind == "lstm" else states[0],
                                       params, has_biases, num_layers, dropout, train, bidirectional)
        padded, _ = pad_packed_sequence(PackedSequence(out[0], packed.batch_sizes, order, back),
                                        batch_first=batch_first, total_length=input.shape[1 if batch_first else 0])
        return [padded] + [s.index_select(1, back) for s in out[1:]]
    return run


def padded_recurrent_cases():
    # padded_<kind>(input, lengths, hx, params, has_biases, num_layers, dropout, train, bidirectional, batch_first):
    # lengths unsorted and shorter than the input, so the masking and the reverse direction's start are checked.
    lengths = torch.tensor([3, 5, 1])
    case("onnxport::padded_lstm", "default", randn(5, 3, 4), lengths, [randn(4, 3, 3), randn(4, 3, 3)],
         rnn_params(2, 2, 4, 3, 4), True, 2, 0.0, False, True, False, via=padded_recurrent("lstm"),
         note="2 layers, bidirectional")
    case("onnxport::padded_gru", "default", randn(3, 6, 4), torch.tensor([6, 2, 4]), randn(2, 3, 5),
         rnn_params(1, 2, 4, 5, 3), True, 1, 0.0, False, True, True, via=padded_recurrent("gru"),
         note="batch_first, bidirectional")
    case("onnxport::padded_rnn_tanh", "default", randn(5, 3, 4), lengths, randn(1, 3, 3), rnn_params(1, 1, 4, 3, 1),
         True, 1, 0.0, False, False, False, via=padded_recurrent("rnn_tanh"))
    case("onnxport::padded_rnn_relu", "default", randn(5, 3, 4), lengths, randn(2, 3, 3),
         rnn_params(1, 2, 4, 3, 1, biases=False), False, 1, 0.0, False, True, False, via=padded_recurrent("rnn_relu"),
         note="no biases")


def placement_cases():
    """Ops on which torch.onnx.export passed OpInfo samples and onnxport none
    (docs/op-coverage.md)."""
    case("addcmul", "default", randn(5, 5), randn(5, 5), randn(5, 5), 1)
    case("addcmul", "default", randn(1), randn(5, 5, 1), randn(1, 5), 0.5)
    case("addcmul", "default", ints(5, 5), ints(), ints(), 3)
    case("lerp", "Scalar", randn(5, 5), randn(5, 5), 0.4)
    case("lerp", "Tensor", randn(5, 5), randn(5), torch.rand(5, 5, generator=GEN) * 3 - 1)
    case("lerp", "Tensor", randn(5, 1, dtype=torch.float64), randn(5, 5, dtype=torch.float64),
         torch.rand(5, 1, generator=GEN, dtype=torch.float64))
    case("tensordot", "default", randn(2, 3, 4), randn(3, 4, 5), [1, 2], [0, 1])
    case("tensordot", "default", randn(2, 2, 1), randn(2, 1, 2), [0, 1], [2, 0])
    case("tensordot", "default", ints(2, 3), ints(3, 2), [1], [0])
    case("tensordot", "default", randn(2), randn(3), [], [])
    for p in (2.0, 1.0, 0.0, 5.0, float("inf")):
        case("pairwise_distance", "default", randn(4, 6), randn(4, 6), p, 1e-6, False)
    case("pairwise_distance", "default", randn(3), randn(3), 2.0, 1e-6, False)
    case("pairwise_distance", "default", ints(3), ints(2, 3), 2.0, 1e-6, True)
    case("frobenius_norm", "default", randn(5, 5))
    case("frobenius_norm", "dim", randn(5, 5), [0, 1], False)
    case("frobenius_norm", "dim", randn(2, 3, 4, dtype=torch.float64), [-1], True, atol=1e-9, rtol=1e-9)
    m = randn(2, 3, 4)
    case("linalg_matrix_norm", "str_ord", m, "fro", [-2, -1], False, None)
    case("linalg_matrix_norm", "str_ord", randn(2, 2), "fro", [-2, -1], True, None)
    for o in (1, -1, float("inf"), float("-inf")):
        case("linalg_matrix_norm", "default", m, o, [-2, -1], False, None)
    case("linalg_matrix_norm", "default", m, -1, [2, 0], True, None)
    case("linalg_matrix_norm", "default", randn(2, 3, 2), float("inf"), [-1, 0], True, f(torch.float64))
    case("det", "default", randn(3, 3), atol=1e-4)
    case("linalg_det", "default", randn(2, 4, 4), atol=1e-4)
    case("linalg_det", "default", randn(0, 0))
    case("linalg_det", "default", randn(3, 5, 5, dtype=torch.float64), atol=1e-9, rtol=1e-9)
    case("logdet", "default", torch.tensor([[2.0, 1.0], [1.0, 3.0]]))
    case("logdet", "default", torch.tensor([[0.0, 1.0], [1.0, 0.0]]), note="negative determinant: NaN")
    case("logdet", "default", torch.tensor([[1.0, 2.0], [2.0, 4.0]]), note="singular: -inf")
    case("take", "default", randn(3, 3), torch.tensor([[0, 8], [-1, 4]]))
    case("take", "default", randn(1).reshape(()), torch.tensor([0]))
    case("index_fill", "int_Scalar", randn(3, 3), 1, torch.tensor([0, -1, 0]), -2.5)
    case("index_fill", "int_Scalar", ints(4, 2), 0, torch.tensor(2), 7)
    case("index_fill", "int_Tensor", randn(1).reshape(()), 0, torch.tensor([0]), randn(1).reshape(()))
    case("index_copy", "default", randn(5, 5), 1, torch.tensor([4, 0, 2]), randn(5, 3))
    case("index_copy", "default", ints(4, 2), 0, torch.tensor([3]), ints(1, 2))
    case("index_copy", "default", randn(1).reshape(()), 0, torch.tensor([0]), randn(1).reshape(()))
    case("masked_scatter", "default", randn(5, 5), bools(5, 5), randn(5, 5))
    case("masked_scatter", "default", randn(5, 5), bools(5), randn(6, 5))
    case("masked_scatter", "default", ints(5, 5), torch.tensor(True), ints(5, 5))
    case("masked_scatter", "default", randn(5), bools(5, 5), randn(5, 5), note="self broadcast to the mask")
    case("addcmul", "default", ints(1), ints(5, 5, 1), ints(1, 5), -2.7, note="float value truncated for ints")
    bounds = torch.tensor([-1.0, -0.5, 0.0, 0.5, 1.0])
    case("bucketize", "Tensor", randn(5, 0, 5), bounds, False, False, note="empty self")
    y = torch.tensor([[-2.0, -1.0, -0.2, 0.0], [0.5, 0.7, 1.0, 3.0]])
    case("bucketize", "Tensor", y, bounds, False, False)
    case("bucketize", "Tensor", y, bounds, True, True)
    case("bucketize", "Tensor", ints(), torch.tensor([-1, 0, 2]), False, False)
    case("bucketize", "Tensor", ints(5, 1, 5), bounds, False, True)
    case("unfold", "default", randn(5, 5, 5, 5), 2, 3, 2)
    case("unfold", "default", ints(10), 0, 3, 2)
    case("unfold", "default", randn(1).reshape(()), 0, 1, 1)
    case("unfold", "default", randn(3, 4), 0, 0, 1)
    case("as_strided", "default", randn(3, 3), [2, 2], [1, 2], 0)
    case("as_strided", "default", ints(16), [2, 2, 2, 2], [1, 1, 1, 1], 3)
    case("as_strided", "default", randn(2, 3), [3, 2], [1, 3], None)
    case("movedim", "intlist", randn(4, 3, 2, 1), [0, 1, 2, 3], [3, 2, 1, 0])
    case("movedim", "intlist", randn(4, 3, 2, 1), [0, -1], [-2, 0])
    case("movedim", "int", ints(4, 3, 2), 1, -1)
    case("moveaxis", "intlist", randn(2, 3, 4), [0], [2])
    case("conj_physical", "default", randn(4, 4))
    case("logspace", "default", 0, 2, 5, 10.0, None, None, None, None)
    case("logspace", "default", 1.2, 3, 4, 10.0, f(torch.int64), None, None, None)
    case("logspace", "default", -1.5, 2.5, 7, 2.0, f(torch.float64), None, None, None, atol=1e-12, rtol=1e-12)
    case("logspace", "default", 0.5, 2, 1, 3.0, None, None, None, None)
    case("logspace", "default", 0, -3, 0, 10.0, None, None, None, None)
    # Aliases and named pads the translators handled but the op library could not capture.
    case("positive", "default", randn(3, 2))
    case("concat", "default", [randn(2, 3), randn(1, 3)], 0)
    case("swapdims", "default", randn(2, 3, 4), 0, 2)
    case("reflection_pad1d", "default", randn(1, 2, 5), [2, 1])
    case("reflection_pad2d", "default", randn(1, 2, 3, 4), [1, 2, 0, 2])
    case("reflection_pad3d", "default", randn(1, 1, 3, 3, 4), [1, 1, 2, 0, 1, 2])
    case("replication_pad1d", "default", randn(2, 5), [1, 3])
    case("replication_pad2d", "default", randn(1, 1, 3, 3), [1, 0, 0, 2])
    case("replication_pad3d", "default", randn(1, 2, 2, 3, 2), [0, 2, 1, 1, 1, 0])
    for op in ("tril_indices", "triu_indices"):
        case(op, "default", 4, 3, 0, None, None, None, None)
        case(op, "default", 20, 21, 7, f(torch.int64), None, None, None)
        case(op, "default", 3, 5, -1, f(torch.int32), None, None, None)


def encode_outputs(result):
    if isinstance(result, (list, tuple)):
        return [encode_tensor(r) for r in result]
    if isinstance(result, bool):
        return [encode_tensor(torch.tensor(result))]
    if isinstance(result, int):
        return [encode_tensor(torch.tensor(result, dtype=torch.int64))]
    if isinstance(result, float):
        return [encode_tensor(torch.tensor(result, dtype=torch.float64))]
    return [encode_tensor(result)]


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: make_fixtures.py OUT.json")
    for group in (seed_cases, elementwise_cases, reduction_cases, linear_algebra_cases, shape_cases,
                  indexing_cases, creation_cases, nn_cases, recurrent_cases, attention_cases, added_op_cases, breadth_cases,
                  placement_cases, padded_recurrent_cases):
        group()
    out = []
    for i, c in enumerate(CASES):
        try:
            result = call_torch(c)
        except Exception as e:  # a broken case is a bug in this file: say which
            sys.exit("case %d (%s.%s): torch call failed: %s" % (i, c["op"], c["overload"], e))
        out.append({"name": "%s.%s#%d" % (c["op"], c["overload"], i), "op": c["op"],
                    "args": [encode_arg(a) for a in c["args"]], "outputs": encode_outputs(result),
                    "atol": c["atol"], "rtol": c["rtol"], "note": c["note"]})
    with open(sys.argv[1], "w") as fh:
        json.dump({"torch": torch.__version__, "cases": out}, fh, allow_nan=False)
    print("wrote %d cases to %s" % (len(out), sys.argv[1]))


if __name__ == "__main__":
    main()
