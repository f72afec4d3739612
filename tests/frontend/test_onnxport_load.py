"""Bundles written by torch2program load in the C++ loader (`onnxport inspect`) and run in the
reference interpreter (`onnxport run`). ONNXPORT is the built CLI (set by ctest)."""
import os
import subprocess
import unittest
import warnings

import torch

from frontend_helpers import BundleTestCase
from test_constants import ScalarConstants, TensorConstants
from test_control_flow import AppendInLoop
from test_seed import ModelWithControlFlowTest
from test_signature import EveryInputKind
from torch2program import write_bundle

ONNXPORT = os.environ.get("ONNXPORT", "")


def small_conv_net():
    """The layers of the torchvision corpus, small."""
    return torch.nn.Sequential(
        torch.nn.Conv2d(3, 8, 3, padding=1), torch.nn.BatchNorm2d(8), torch.nn.ReLU(inplace=True),
        torch.nn.MaxPool2d(2), torch.nn.Conv2d(8, 8, 3, stride=2), torch.nn.ReLU(),
        torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(), torch.nn.Dropout(0.2), torch.nn.Linear(8, 5)).eval()


class OnnxportLoadTest(BundleTestCase):
    @classmethod
    def setUpClass(cls):
        if not ONNXPORT or not os.access(ONNXPORT, os.X_OK):
            raise RuntimeError(f"ONNXPORT must name the built onnxport CLI (got '{ONNXPORT}'); run through ctest")

    def onnxport(self, *args):
        return subprocess.run([ONNXPORT, *args], capture_output=True, text=True, timeout=300)

    def convert(self, name, module, args, **options):
        path = self.bundle_dir(name)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            write_bundle(module, args, path, **options, expected=True)
        return path

    def assert_loads(self, path, *expected_text):
        result = self.onnxport("inspect", path)
        self.assertEqual(result.returncode, 0, f"onnxport inspect {path}:\n{result.stderr}")
        for text in expected_text:
            self.assertIn(text, result.stdout)
        return result.stdout

    def test_seed_model_loads_and_runs(self):
        path = self.convert("seed", ModelWithControlFlowTest(), (torch.randn(3),))
        self.assert_loads(path, "aten::linear", "prim::If", "mlp.0.weight")
        self.assert_runs(path)

    def assert_runs(self, path):
        result = self.onnxport("run", path)
        self.assertEqual(result.returncode, 0, f"onnxport run {path}:\n{result.stdout}\n{result.stderr}")
        self.assertIn("Reference interpreter vs expected.safetensors", result.stdout)
        self.assertNotIn("❌", result.stdout)

    def test_small_conv_net_loads_and_runs(self):
        path = self.convert("conv", small_conv_net(), (torch.randn(2, 3, 16, 16),), dynamic_shapes={"input": {0: "n"}})
        self.assert_loads(path, "aten::conv2d", "aten::batch_norm", "1.running_mean")
        self.assert_runs(path)

    def test_loop_with_appends(self):
        path = self.convert("loop", AppendInLoop(), (torch.randn(4, 3),), dynamic_shapes={"x": {0: "n"}})
        self.assert_loads(path, "prim::Loop", "aten::append")

    def test_scalar_constants_with_infinity(self):
        x = torch.randn(3, 4)
        self.assert_loads(self.convert("scalars", ScalarConstants(), (x, x > 0)), "aten::masked_fill")

    def test_tensor_constants_inline_and_in_weights(self):
        self.assert_loads(self.convert("tensors", TensorConstants(), (torch.randn(2, 3),), force_trace=True))

    def test_lstm_with_weight_list_attribute(self):
        lstm = torch.nn.LSTM(input_size=4, hidden_size=3, num_layers=2, bidirectional=True)
        self.assert_loads(self.convert("lstm", lstm, (torch.randn(5, 2, 4),)), "aten::lstm")

    def test_every_input_kind(self):
        x = torch.randn(2, 3)
        args = (x, 4, 0.5, True, [torch.randn(2, 3), torch.randn(1, 3)], (torch.randn(2, 3), torch.randn(3)), None)
        self.assert_loads(self.convert("signature", EveryInputKind(), args))


if __name__ == "__main__":
    unittest.main()
