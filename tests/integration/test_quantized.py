"""Quantized tensors (docs/architecture.md §4b): torch.quantize_per_tensor /
quantize_per_channel, dequantize, int_repr, and modules converted by eager-mode
static quantization (torch.ao.quantization: QuantStub, quantized Conv2d /
Linear with packed weights, FloatFunctional add, DeQuantStub), each through
torch2program, `onnxport export -c config/default.json` and ONNX Runtime,
against eager PyTorch on two batch sizes.

Tolerance. Quantizing rounds x / scale to the nearest integer; ONNX Runtime
and PyTorch compute that quotient differently (PyTorch multiplies by the
float32 reciprocal of the scale, ORT divides), so a value within one float
ulp of a rounding boundary may land one step apart. Integer outputs
(int_repr) are therefore compared within 1 step, and at most a few elements
may differ at all. The quantized layers are stricter in spirit but looser in
numbers: PyTorch's integer kernels (QNNPACK) requantize with a fixed-point
multiplier and an int32 bias, the exported QDQ graph computes the layer in
float32 and rounds once, so an output may be one step of the output scale
apart; the end-to-end float output is compared within 1 output step. (Measured
at the commit that added this test, 20 batches of 16: QNNPACK 45 of 1,600
outputs one step apart, none more; oneDNN and the quantize/dequantize modules
none.)
"""
import os
import subprocess
import unittest

import torch
import torch.ao.quantization as tq

from onnxport_testlib import DEFAULT_CONFIG, ONNXPORT, fresh_dir
from torch_export_check import TorchExportMixin, export, flatten_args, flatten_outputs, run_ort
from torch2program import ConversionError, write_bundle

BATCH = {"x": {0: "batch"}}


class PerTensor(torch.nn.Module):
    def forward(self, x):
        q = torch.quantize_per_tensor(x, 0.05, 3, torch.quint8)
        s = torch.quantize_per_tensor(x, 0.02, -4, torch.qint8)
        return q.dequantize() * 2, q.int_repr(), s.dequantize(), s.int_repr()


class TensorQParams(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("scale", torch.tensor(0.04))
        self.register_buffer("zero_point", torch.tensor(10))

    def forward(self, x):
        q = torch.quantize_per_tensor(x, self.scale, self.zero_point, torch.quint8)
        return q.dequantize(), q.int_repr()


class PerChannel(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("scales", torch.tensor([0.02, 0.05, 0.1], dtype=torch.float64))
        self.register_buffer("zero_points", torch.tensor([0, -3, 5]))

    def forward(self, x):
        q = torch.quantize_per_channel(x, self.scales, self.zero_points, 1, torch.qint8)
        return q.dequantize(), q.int_repr()


class SameQParams(torch.nn.Module):
    """Ops whose quantized form keeps the input's scale and zero point."""

    def forward(self, x):
        q = torch.quantize_per_tensor(x, 0.05, 128, torch.quint8)
        r = torch.relu(q)
        p = torch.nn.functional.max_pool2d(r, 2)
        return torch.flatten(p, 1).dequantize()


class FixedQParams(torch.nn.Module):
    """Ops whose quantized kernels use fixed output parameters."""

    def forward(self, x):
        q = torch.quantize_per_tensor(x, 0.05, 128, torch.quint8)
        s = torch.quantize_per_tensor(x, 0.05, 0, torch.qint8)
        return [t.int_repr() for t in (torch.sigmoid(q), torch.tanh(q), torch.nn.functional.hardsigmoid(q),
                                       torch.sigmoid(s), torch.tanh(s))]


class QuantizedOperators(torch.nn.Module):
    """torch.onnx's quantized:: registry names that take an output scale and zero point."""

    def __init__(self):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.rand(4) + 0.5)
        self.bias = torch.nn.Parameter(torch.randn(4) * 0.1)

    def forward(self, x):
        q = torch.quantize_per_tensor(x, 0.05, 128, torch.quint8)
        ops = torch.ops.quantized
        a = ops.sigmoid(q, 1.0 / 256, 0)
        b = ops.hardswish(q, 0.04, 64)
        c = ops.leaky_relu(q, 0.1, False, 0.05, 100)
        d = ops.layer_norm(q, [3, 2], None, None, 1e-5, 0.03, 128)
        e = ops.group_norm(q, 2, self.weight, self.bias, 1e-5, 0.03, 128)
        f = ops.instance_norm(q, self.weight, self.bias, 1e-5, 0.03, 128)
        g = ops.cat([a, b], 1, 0.02, 10)
        return [t.int_repr() for t in (a, b, c, d, e, f, g)]


class Net(torch.nn.Module):
    """A float model prepared and converted by eager-mode static quantization."""

    def __init__(self):
        super().__init__()
        self.quant = tq.QuantStub()
        self.conv = torch.nn.Conv2d(3, 4, 3, padding=1)
        self.relu = torch.nn.ReLU()
        self.conv2 = torch.nn.Conv2d(4, 4, 1)
        self.add = torch.nn.quantized.FloatFunctional()
        self.fc = torch.nn.Linear(4 * 6 * 6, 5)
        self.dequant = tq.DeQuantStub()

    def forward(self, x):
        x = self.quant(x)
        x = self.relu(self.conv(x))
        x = self.add.add(x, self.conv2(x))
        x = torch.flatten(x, 1)
        return self.dequant(self.fc(x))


class Net1d(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.quant = tq.QuantStub()
        self.conv = torch.nn.Conv1d(3, 4, 3, stride=2, padding=1)
        self.dequant = tq.DeQuantStub()

    def forward(self, x):
        return self.dequant(self.conv(self.quant(x)))


def quantized_net(engine, net=Net, calibration=(4, 3, 6, 6)):
    """Net converted with `engine`'s default qconfig (qnnpack: per-tensor weights,
    onednn: per-channel weights), calibrated on random inputs."""
    torch.backends.quantized.engine = engine
    torch.manual_seed(0)
    model = net().eval()
    if hasattr(model, "relu"):
        tq.fuse_modules(model, [["conv", "relu"]], inplace=True)
    model.qconfig = tq.get_default_qconfig(engine)
    tq.prepare(model, inplace=True)
    with torch.no_grad():
        for _ in range(8):
            model(torch.randn(*calibration))
    tq.convert(model, inplace=True)
    return model


class Quantized(TorchExportMixin, unittest.TestCase):
    def compare(self, ex, module, x, float_atol, max_step_differences=0):
        with torch.no_grad():
            expected = flatten_outputs(module(x))
        got = run_ort(ex.model, flatten_args(["x"], (x,)), ex.folder)
        self.assertEqual(len(got), len(expected))
        for i, (g, e) in enumerate(zip(got, expected)):
            self.assertEqual(list(g.shape), list(e.shape), "output %d shape" % i)
            self.assertEqual(g.dtype, e.dtype, "output %d dtype" % i)
            diff = (g.double() - e.double()).abs()
            if e.dtype.is_floating_point:
                self.assertLessEqual(diff.max().item(), float_atol, "output %d:\n%s\nvs eager\n%s" % (i, g, e))
            else:  # integers: within one step, and only a few elements off at all
                self.assertLessEqual(diff.max().item(), 1, "output %d:\n%s\nvs eager\n%s" % (i, g, e))
                self.assertLessEqual(int((diff > 0).sum()), max_step_differences, "output %d" % i)

    def check(self, module, name, make_input, float_atol=1e-6, max_step_differences=0, sizes=(3, 5), extra=()):
        torch.manual_seed(0)
        ex = self.assertExports(module, (make_input(sizes[0]),), name, dynamic_shapes=BATCH, extra=extra)
        with open(ex.model, "rb") as f:
            model = f.read()
        self.assertIn(b"QuantizeLinear", model)
        self.assertIn(b"DequantizeLinear", model)
        for size in sizes:
            self.compare(ex, module, make_input(size), float_atol, max_step_differences)
        return ex

    def test_quantize_per_tensor_quint8_and_qint8(self):
        # dequantized values agree up to float32 rounding of the scale (PyTorch
        # keeps it in double); a one-step rounding difference is one scale
        self.check(PerTensor(), "per_tensor", lambda n: torch.randn(n, 4, 5) * 3, float_atol=0.1 + 1e-6,
                   max_step_differences=2)

    def test_quantize_per_tensor_with_tensor_parameters(self):
        self.check(TensorQParams(), "tensor_qparams", lambda n: torch.randn(n, 6) * 2, float_atol=0.04 + 1e-6,
                   max_step_differences=1)

    def test_quantize_per_channel(self):
        ex = self.check(PerChannel(), "per_channel", lambda n: torch.randn(n, 3, 4), float_atol=0.1 + 1e-6,
                        max_step_differences=1)
        with open(ex.model, "rb") as f:
            self.assertIn(b"axis", f.read())

    def test_per_channel_at_opset_13(self):
        # per-axis QuantizeLinear / DequantizeLinear exist from opset 13, the lowest target
        self.check(PerChannel(), "per_channel_13", lambda n: torch.randn(n, 3, 4), float_atol=0.1 + 1e-6,
                   max_step_differences=1, extra=("--opset", "13"))

    def test_ops_that_keep_the_quantization(self):
        self.check(SameQParams(), "same_qparams", lambda n: torch.randn(n, 2, 4, 4) * 3, float_atol=0.05 + 1e-6)

    def test_ops_with_fixed_output_parameters(self):
        self.check(FixedQParams(), "fixed_qparams", lambda n: torch.randn(n, 4, 6) * 3, max_step_differences=4)

    def test_quantized_operators_with_output_parameters(self):
        # PyTorch's quantized kernels compute these in float or fixed point and
        # round once: a few outputs one step apart
        self.check(QuantizedOperators(), "quantized_operators", lambda n: torch.randn(n, 4, 3, 2) * 2,
                   max_step_differences=8)

    def check_converted(self, engine, name):
        if engine not in torch.backends.quantized.supported_engines:
            self.skipTest("this PyTorch has no %s engine" % engine)
        model = quantized_net(engine)
        step = model.fc.scale
        self.check(model, name, lambda n: torch.randn(n, 3, 6, 6), float_atol=step * (1 + 1e-4))

    def test_static_quantized_model_per_tensor_weights(self):
        self.check_converted("qnnpack", "static_qnnpack")

    def test_static_quantized_conv1d(self):
        # PyTorch packs a Conv1d as a conv2d with a unit dim; the capture does the same
        model = quantized_net("qnnpack", Net1d, (4, 3, 9))
        step = model.conv.scale
        self.check(model, "static_conv1d", lambda n: torch.randn(n, 3, 9), float_atol=step * (1 + 1e-4))

    def test_static_quantized_model_per_channel_weights(self):
        self.check_converted("onednn", "static_onednn")


class Refusals(unittest.TestCase):
    """A quantized tensor reaching an op that would compute on its integers is refused
    with the op and the source line, never exported."""

    def refused(self, module, name):
        ex = export(module, (torch.randn(2, 3),), name)
        self.assertEqual(ex.proc.returncode, 1, ex.text())
        self.assertFalse(os.path.exists(ex.model))
        return ex.text()

    def test_an_op_without_a_quantized_rule(self):
        class Mean(torch.nn.Module):
            def forward(self, x):
                q = torch.quantize_per_tensor(x, 0.1, 0, torch.qint8)
                return torch.mean(q, 1).dequantize()  # eager has a quantized mean; onnxport no rule

        text = self.refused(Mean(), "refuse_mean")
        self.assertIn("aten::mean on a quantized tensor", text)
        self.assertIn("test_quantized.py", text)

    def test_returning_a_quantized_tensor(self):
        class ReturnsQuantized(torch.nn.Module):
            def forward(self, x):
                return torch.quantize_per_tensor(x, 0.1, 0, torch.qint8)

        # with expected outputs, torch2program cannot store the eager one
        with self.assertRaisesRegex(ConversionError, "qint8"):
            export(ReturnsQuantized(), (torch.randn(2, 3),), "refuse_output")
        # without, the engine refuses it as a graph output
        folder = fresh_dir("refuse_output_engine")
        write_bundle(ReturnsQuantized(), (torch.randn(2, 3),), os.path.join(folder, "bundle"))
        proc = subprocess.run([ONNXPORT, "export", os.path.join(folder, "bundle"), "-c", DEFAULT_CONFIG, "-o",
                               os.path.join(folder, "model.onnx")], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, timeout=300)
        self.assertEqual(proc.returncode, 1, proc.stdout + proc.stderr)
        self.assertIn("returns a quantized tensor", proc.stdout + proc.stderr)
        self.assertFalse(os.path.exists(os.path.join(folder, "model.onnx")))

    def test_quantized_op_overload_without_output_parameters(self):
        class MulScalar(torch.nn.Module):
            def forward(self, x):
                q = torch.quantize_per_tensor(x, 0.1, 0, torch.qint8)
                return torch.ops.quantized.mul(q, 2.0).dequantize()  # quantized::mul.Scalar

        text = self.refused(MulScalar(), "refuse_mul_scalar")
        self.assertIn("quantized::mul: expected 4 arguments, got 2", text)

    def test_qint32(self):
        class QInt32(torch.nn.Module):
            def forward(self, x):
                return torch.quantize_per_tensor(x, 0.1, 0, torch.qint32).dequantize()

        text = self.refused(QInt32(), "refuse_qint32")
        self.assertIn("qint32", text)


if __name__ == "__main__":
    unittest.main()
