"""The torch2program command line: module specs, input specs, dynamic dims, seeding."""
import contextlib
import io
import os
import subprocess
import unittest

import torch

import torch2program
from frontend_helpers import PYTHON, TOOL, BundleTestCase, load_bundle, node_kinds
from torch2program_lib.cli_spec import parse_dynamic, parse_input
from torch2program_lib.errors import ConversionError

MODEL_FILE = '''import torch


class Net(torch.nn.Module):
    def __init__(self, width: int = 4):
        super().__init__()
        self.body = torch.nn.Sequential(torch.nn.Linear(3, width), torch.nn.ReLU())
        self.norm = torch.nn.LayerNorm(width, eps=1e-3)

    def forward(self, x, idx):
        y = self.norm(self.body(x))
        if y.shape[0] > 1:
            y = y * 2
        return y.index_select(1, idx)
'''


class FileModuleTest(BundleTestCase):
    def test_file_class_spec_end_to_end(self):
        path = os.path.join(self.tmp, "net.py")
        with open(path, "w", encoding="utf-8") as f:
            f.write(MODEL_FILE)
        result = subprocess.run(
            [PYTHON, TOOL, f"{path}:Net", "--kwargs", '{"width": 5}', "--input", "x=2x3",
             "--input", "idx=4:int64:0..5", "--dynamic", "x:0=batch", "--expected", "-o", self.bundle_dir()],
            capture_output=True, text=True, cwd=self.tmp, timeout=300)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn(f"wrote {self.bundle_dir()}: script,", result.stdout)
        program, weights, inputs, expected = load_bundle(self.bundle_dir())
        self.assertEqual(program["graph"]["inputs"][1:], [
            {"name": "x", "type": "Tensor", "dtype": "float32", "shape": ["batch", 3]},
            {"name": "idx", "type": "Tensor", "dtype": "int64", "shape": [4]}])
        self.assertEqual(program["producer"]["module"], f"{path}:Net")
        self.assertEqual(program["producer"]["kwargs"], {"width": 5})
        norm = program["module"]["children"]["norm"]
        self.assertEqual(norm["attributes"]["eps"], 1e-3)
        self.assertEqual(norm["attributes"]["normalized_shape"], [5])
        self.assertEqual(norm["attributes"]["elementwise_affine"], True)
        self.assertEqual(set(weights), {"body.0.weight", "body.0.bias", "norm.weight", "norm.bias"})
        self.assertTrue(((inputs["idx"] >= 0) & (inputs["idx"] < 5)).all())
        self.assertIn("prim::If", node_kinds(program))
        ifs = [n for n in program["graph"]["nodes"] if n["kind"] == "prim::If"]
        self.assertIn({"file": "net.py", "line": 12, "col": 8, "text": "if y.shape[0] > 1:"},
                      [n["source"] for n in ifs])
        self.assertEqual(expected["output.0"].shape, (2, 4))


class FactoryModuleTest(BundleTestCase):
    def run_main(self, out, *args):
        with contextlib.redirect_stdout(io.StringIO()) as stdout, contextlib.redirect_stderr(io.StringIO()) as stderr:
            code = torch2program.main([*args, "--expected", "-o", out])
        self.assertEqual(code, 0, stderr.getvalue())
        return stdout.getvalue()

    def test_factory_with_kwargs_dynamic_dims_and_seed(self):
        args = ["torch.nn:TransformerEncoderLayer", "--kwargs", '{"d_model": 16, "nhead": 2, "batch_first": true}',
                "--input", "src=2x5x16", "--dynamic", "src:0=batch", "--dynamic", "src:1=seq", "--seed", "3"]
        first, second = self.bundle_dir("a"), self.bundle_dir("b")
        self.run_main(first, *args)
        self.run_main(second, *args)
        program, weights, inputs, expected = load_bundle(first)
        self.assertEqual(program["graph"]["inputs"][1]["shape"], ["batch", "seq", 16])
        self.assertEqual(program["producer"]["seed"], 3)
        self.assertEqual(program["module"]["attributes"]["norm_first"], False)
        self.assertIn("aten::_transformer_encoder_layer_fwd", node_kinds(program))
        for name in ("weights", "inputs", "expected"):
            with open(os.path.join(first, f"{name}.safetensors"), "rb") as a, \
                    open(os.path.join(second, f"{name}.safetensors"), "rb") as b:
                self.assertEqual(a.read(), b.read(), f"{name}.safetensors differs between two seeded runs")
        torch.manual_seed(3)
        layer = torch.nn.TransformerEncoderLayer(d_model=16, nhead=2, batch_first=True).eval()
        for name, tensor in layer.state_dict().items():
            self.assertTrue(torch.equal(weights[name], tensor), name)
        with torch.no_grad():
            self.assertTrue(torch.equal(expected["output.0"], layer(inputs["src"])))


class InputSpecTest(unittest.TestCase):
    def test_tensor_specs(self):
        name, value = parse_input("x=1x3x8x8")
        self.assertEqual((name, value.shape, value.dtype), ("x", (1, 3, 8, 8), torch.float32))
        _, value = parse_input("idx=2,7:int64:0..100")
        self.assertEqual((value.shape, value.dtype), ((2, 7), torch.int64))
        self.assertTrue(((value >= 0) & (value < 100)).all())
        _, value = parse_input("s=scalar:float64")
        self.assertEqual((value.shape, value.dtype), ((), torch.float64))
        _, value = parse_input("m=4:bool")
        self.assertEqual(value.dtype, torch.bool)
        _, value = parse_input("u=3:float32:2..3")
        self.assertTrue(((value >= 2) & (value < 3)).all())

    def test_python_values_and_sequences(self):
        self.assertEqual(parse_input("n=int:3"), ("n", 3))
        self.assertEqual(parse_input("f=float:0.5"), ("f", 0.5))
        self.assertEqual(parse_input("b=bool:true"), ("b", True))
        self.assertEqual(parse_input("o=none"), ("o", None))
        _, lx = parse_input("lx=[2x3,4:int32]")
        self.assertEqual([(t.shape, t.dtype) for t in lx], [((2, 3), torch.float32), ((4,), torch.int32)])
        _, tx = parse_input("tx=(2,3)")
        self.assertIsInstance(tx, tuple)
        self.assertEqual([t.shape for t in tx], [(2,), (3,)])

    def test_bad_specs(self):
        for spec, message in [("x", "must be NAME=VALUE"), ("=3", "has no name"), ("x=3:float99", "unknown dtype"),
                              ("x=3:int64:5", "must look like 0..100"), ("b=bool:maybe", "is not a valid bool"),
                              ("n=int:x", "'x' is not a valid int")]:
            with self.subTest(spec=spec), self.assertRaisesRegex(ConversionError, message):
                parse_input(spec)

    def test_dynamic_specs(self):
        self.assertEqual(parse_dynamic(["x:0=batch", "x:2=w", "lx.1:0=n"]),
                         {"x": {0: "batch", 2: "w"}, "lx.1": {0: "n"}})
        with self.assertRaisesRegex(ConversionError, "dim 'a' is not an integer"):
            parse_dynamic(["x:a=batch"])


if __name__ == "__main__":
    unittest.main()
