"""Names of torch.onnx's symbolic registry that onnxport captures as other ops
(core/src/trace/composite_ops.cpp) or as engine rules (list and dict
mutation): each through torch2program, `onnxport export -c
config/default.json` and ONNX Runtime, against eager PyTorch on two sizes
of a dynamic dim where the op allows one (docs/torch-onnx-registry.md).

The modules call the aten op by name (torch.ops.aten.X) where the Python API
would compile to other ops, so the scripted program holds exactly that node.
"""
import unittest
from typing import Dict, List

import torch

from torch_export_check import TorchExportMixin, flatten_args, flatten_outputs, run_ort

aten = torch.ops.aten
BATCH = {"x": {0: "batch"}}


class Casts(torch.nn.Module):
    def forward(self, x):
        return aten._cast_Long(x * 3), aten._cast_Double(x), aten._cast_Byte(x.abs() * 3), aten._cast_Float(x.double())


class SoftmaxNames(torch.nn.Module):
    def forward(self, x):
        return aten._log_softmax(x, 1, False), aten._softmax(x, 0, False)


class Identities(torch.nn.Module):
    def forward(self, x):
        return aten.lift(x) * 2, x.T


class UnsafeSplits(torch.nn.Module):
    def forward(self, x):
        a = aten.unsafe_split(x, 2, 1)
        b = aten.unsafe_chunk(x, 3, 1)
        c = aten.unsafe_split_with_sizes(x, [1, 5], 1)
        return a[0] + b[2], c[1].sum(1)


class PadCircular(torch.nn.Module):
    def forward(self, x):
        return aten._pad_circular(x, [2, 1])


class IsPinned(torch.nn.Module):
    def forward(self, x):
        if x.is_pinned():
            return x
        return x * 2


class DimArange(torch.nn.Module):
    def forward(self, x):
        return aten._dim_arange(x, 0) * 2


class ShapeAsTensor(torch.nn.Module):
    def forward(self, x):
        return aten._shape_as_tensor(x) * 2


class NativeDropoutEval(torch.nn.Module):
    def forward(self, x):
        out, mask = aten.native_dropout(x, 0.5, False)
        return out + 1, mask


class NativeLayerNorm(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.randn(5, 4))
        self.bias = torch.nn.Parameter(torch.randn(5, 4))

    def forward(self, x):
        return aten.native_layer_norm(x, [5, 4], self.weight, self.bias, 1e-5)


class WeightNorm(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.v = torch.nn.Parameter(torch.randn(6, 4))
        self.g = torch.nn.Parameter(torch.rand(6, 1) + 0.5)
        self.g_all = torch.nn.Parameter(torch.rand(1, 4) + 0.5)

    def forward(self, x):
        w0 = aten._weight_norm(self.v, self.g, 0)
        w1 = aten._weight_norm(self.v, self.g_all, 1)
        return x @ w0.t(), x @ w1.t()


class Cdist(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.centers = torch.nn.Parameter(torch.randn(7, 3))

    def forward(self, x):
        return aten.cdist(x, self.centers, 2.0, None), aten.cdist(x, self.centers, 1.0, None)


class OneHot(torch.nn.Module):
    def forward(self, x):
        return torch.nn.functional.one_hot(x, 6)


class FakeQuantize(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("scale", torch.tensor([0.05, 0.1, 0.2]))
        self.register_buffer("zero_point", torch.tensor([0, 3, -2], dtype=torch.int32))
        self.register_buffer("tensor_scale", torch.tensor([0.07]))
        self.register_buffer("tensor_zero_point", torch.tensor([5], dtype=torch.int32))

    def forward(self, x):
        per_tensor = torch.fake_quantize_per_tensor_affine(x, 0.1, 10, 0, 255)
        tensor_qparams = torch.fake_quantize_per_tensor_affine(x, self.tensor_scale, self.tensor_zero_point, 0, 15)
        per_channel = torch.fake_quantize_per_channel_affine(x, self.scale, self.zero_point, 1, -128, 127)
        return per_tensor, tensor_qparams, per_channel


class HannWindow(torch.nn.Module):
    def forward(self, x):
        return x * torch.hann_window(x.size(1)), x * torch.hann_window(x.size(1), periodic=False)


class ConvTbc(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.randn(3, 4, 5))
        self.bias = torch.nn.Parameter(torch.randn(5))

    def forward(self, x):
        return aten.conv_tbc(x, self.weight, self.bias, 1)


class NonzeroNumpy(torch.nn.Module):
    def forward(self, x):
        rows, cols = aten.nonzero_numpy(x > 0)
        return rows, cols


def interpolate_all(x):
    # A module-level function: inside a class body Python would mangle the
    # name `__interpolate`.
    nearest = torch.ops.aten.__interpolate(x, None, 2.0, "nearest", None, None, False)
    bilinear = torch.ops.aten.__interpolate(x, [5, 7], None, "bilinear", True, None, False)
    area = torch.ops.aten.__interpolate(x, None, [0.5, 0.5], "area", None, None, False)
    return nearest, bilinear, area


class Interpolate(torch.nn.Module):
    def forward(self, x):
        return interpolate_all(x)


class ListMutation(torch.nn.Module):
    def forward(self, x):
        items = [x, x * 2, x * 3]
        items.insert(1, x + 1)
        items.insert(-10, x - 1)  # clamps to the front
        last = items.pop()
        first = items.pop(0)
        del items[1]
        return torch.stack(items) + last - first


class DictMutation(torch.nn.Module):
    def forward(self, x):
        d: Dict[str, torch.Tensor] = {"a": x, "b": x * 2, "c": x * 3}
        b = d.pop("b")
        missing = d.pop("zz", x * 10)
        del d["a"]
        keys: List[str] = list(d.keys())
        return b + missing + d[keys[0]]


class RegistryOps(TorchExportMixin, unittest.TestCase):
    def assertSameAsEager(self, ex, module, names, args, rtol=1e-4, atol=1e-5):
        with torch.no_grad():
            expected = flatten_outputs(module(*args))
        got = run_ort(ex.model, flatten_args(names, args), ex.folder)
        self.assertEqual(len(got), len(expected))
        for i, (g, e) in enumerate(zip(got, expected)):
            self.assertEqual(list(g.shape), list(e.shape), "output %d shape" % i)
            self.assertEqual(g.dtype, e.dtype, "output %d dtype" % i)
            self.assertTrue(torch.allclose(g.double(), e.double(), rtol=rtol, atol=atol),
                            "output %d:\n%s\nvs eager\n%s" % (i, g, e))

    def check(self, module, name, make_input, sizes=(3, 5), dynamic=True, **tol):
        torch.manual_seed(0)
        module = module.eval()
        ex = self.assertExports(module, (make_input(sizes[0]),), name, dynamic_shapes=BATCH if dynamic else None)
        for size in sizes:
            self.assertSameAsEager(ex, module, ["x"], (make_input(size),), **tol)
        return ex

    def test_casts(self):
        self.check(Casts(), "casts", lambda n: torch.randn(n, 4))

    def test_softmax_names(self):
        self.check(SoftmaxNames(), "softmax_names", lambda n: torch.randn(n, 4))

    def test_lift_is_the_identity_and_T_reverses_dims(self):
        self.check(Identities(), "identities", lambda n: torch.randn(n, 4))

    def test_unsafe_splits(self):
        self.check(UnsafeSplits(), "unsafe_splits", lambda n: torch.randn(n, 6))

    def test_pad_circular(self):
        self.check(PadCircular(), "pad_circular", lambda n: torch.randn(n, 2, 5))

    def test_is_pinned_is_false(self):
        self.check(IsPinned(), "is_pinned", lambda n: torch.randn(n, 3))

    def test_dim_arange_follows_the_dynamic_dim(self):
        self.check(DimArange(), "dim_arange", lambda n: torch.randn(n, 2), sizes=(3, 7))

    def test_shape_as_tensor_follows_the_dynamic_dim(self):
        self.check(ShapeAsTensor(), "shape_as_tensor", lambda n: torch.randn(n, 2, 3), sizes=(3, 7))

    def test_native_dropout_in_eval(self):
        self.check(NativeDropoutEval(), "native_dropout", lambda n: torch.randn(n, 4))

    def test_native_dropout_in_training_is_refused(self):
        class Train(torch.nn.Module):
            def forward(self, x):
                return aten.native_dropout(x, 0.5, True)[0]

        from torch_export_check import export
        ex = export(Train(), (torch.randn(2, 3),), "native_dropout_train")
        self.assertFalse(ex.ok)
        self.assertIn("random", ex.text())

    def test_native_layer_norm_gives_mean_and_rstd(self):
        self.check(NativeLayerNorm(), "native_layer_norm", lambda n: torch.randn(n, 3, 5, 4) * 2 + 1)

    def test_weight_norm(self):
        self.check(WeightNorm(), "weight_norm", lambda n: torch.randn(n, 4))

    def test_cdist(self):
        self.check(Cdist(), "cdist", lambda n: torch.randn(n, 3))

    def test_one_hot(self):
        self.check(OneHot(), "one_hot", lambda n: torch.randint(0, 6, (n, 2)))

    def test_one_hot_without_num_classes_is_refused_with_a_hint(self):
        class Open(torch.nn.Module):
            def forward(self, x):
                return torch.nn.functional.one_hot(x)

        from torch_export_check import export
        ex = export(Open(), (torch.randint(0, 4, (3,)),), "one_hot_open")
        self.assertFalse(ex.ok)
        self.assertIn("num_classes", ex.text())

    def test_fake_quantize(self):
        # Values on rounding boundaries (x / scale = k + 0.5) round half to even in both.
        def make(n):
            x = torch.randn(n, 3, 4) * 4
            x[0, 0, :] = torch.tensor([0.05, 0.15, 0.25, -0.35])
            return x
        self.check(FakeQuantize(), "fake_quantize", make, atol=1e-6)

    def test_hann_window(self):
        self.check(HannWindow(), "hann_window", lambda n: torch.randn(n, 8))

    def test_conv_tbc(self):
        self.check(ConvTbc(), "conv_tbc", lambda n: torch.randn(6, n, 4), dynamic=False, sizes=(2,))

    def test_nonzero_numpy(self):
        self.check(NonzeroNumpy(), "nonzero_numpy", lambda n: torch.randn(n, 4))

    def test_interpolate_builtin(self):
        self.check(Interpolate(), "interpolate", lambda n: torch.randn(n, 2, 4, 6))

    def test_list_insert_pop_delete(self):
        self.check(ListMutation(), "list_mutation", lambda n: torch.randn(n, 3))

    def test_dict_pop_delete(self):
        self.check(DictMutation(), "dict_mutation", lambda n: torch.randn(n, 3))


if __name__ == "__main__":
    unittest.main()
