"""torch.jit.script first; torch.jit.trace when scripting fails (or when asked), said in the producer."""
import functools
import unittest
import warnings

import torch

from frontend_helpers import BundleTestCase, check_value_scoping, load_bundle, node_kinds, walk_nodes
from torch2program import ConversionError, write_bundle


class UsesALambda(torch.nn.Module):
    """TorchScript has no lambdas; tracing records the three additions."""

    def __init__(self):
        super().__init__()
        self.lin = torch.nn.Linear(3, 3)

    def forward(self, x):
        return functools.reduce(lambda a, b: a + b, [self.lin(x), x, x])


class LambdaAndCount(torch.nn.Module):
    def forward(self, x, count: int):
        return functools.reduce(lambda a, b: a + b, [x] * count)


class FailsEverywhere(torch.nn.Module):
    def forward(self, x):
        return functools.reduce(lambda a, b: a @ b, [x, x])  # (2, 3) @ (2, 3): shape error at trace time


class TraceFallbackTest(BundleTestCase):
    def test_unscriptable_module_is_traced(self):
        x = torch.randn(2, 3)
        module = UsesALambda()
        summary = write_bundle(module, (x,), self.bundle_dir(), expected=True)
        program, weights, _, expected = load_bundle(self.bundle_dir())
        producer = program["producer"]
        self.assertEqual((summary["capture"], producer["capture"]), ("trace", "trace"))
        self.assertIn("Lambda", producer["script_error"])
        self.assertIn("test_capture.py", producer["script_error"])
        self.assertEqual(node_kinds(program).count("aten::add"), 2)
        linear = next(n for n in walk_nodes(program["graph"]["nodes"]) if n["kind"] == "aten::linear")
        self.assertEqual(linear["scope"], "lin")
        self.assertEqual(linear["source"]["file"], "torch/nn/modules/linear.py")
        self.assertEqual(linear["source"]["text"], "return F.linear(input, self.weight, self.bias)")
        self.assertEqual(set(weights), {"lin.weight", "lin.bias"})
        self.assertEqual(program["graph"]["inputs"][1]["name"], "x")
        self.assertTrue(torch.equal(expected["output.0"], module(x)))
        check_value_scoping(self, program)

    def test_forced_trace_specializes_the_branch(self):
        from test_seed import ModelWithControlFlowTest
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            write_bundle(ModelWithControlFlowTest(), (torch.randn(3),), self.bundle_dir(), force_trace=True, expected=True)
        program, _, _, _ = load_bundle(self.bundle_dir())
        self.assertEqual(program["producer"]["capture"], "trace")
        self.assertNotIn("script_error", program["producer"])
        self.assertNotIn("prim::If", node_kinds(program))
        (two,) = [n for n in walk_nodes(program["graph"]["nodes"]) if n["kind"] == "prim::Constant"]
        self.assertEqual(two["attrs"]["value"], {"tensor": {"dtype": "int64", "shape": [], "data": [2]}})
        self.assertEqual((two["source"]["file"], two["source"]["col"]), ("test_seed.py", 0))
        self.assertEqual(two["source"]["text"], "return x * 2")
        self.assertTrue(any("Converting a tensor to a Python boolean" in w
                            for w in program["producer"]["trace_warnings"]))

    def test_an_already_scripted_module(self):
        from test_seed import ModelWithControlFlowTest
        model, x = ModelWithControlFlowTest(), torch.randn(3)
        write_bundle(model, (x,), self.bundle_dir("eager"), expected=True)
        write_bundle(torch.jit.script(model), (x,), self.bundle_dir("scripted"), expected=True)
        eager, _, _, _ = load_bundle(self.bundle_dir("eager"))
        scripted, weights, _, expected = load_bundle(self.bundle_dir("scripted"))
        self.assertEqual(scripted["graph"], eager["graph"])
        self.assertEqual(scripted["name"], "ModelWithControlFlowTest")
        self.assertEqual(scripted["module"]["children"]["mlp"]["children"]["0"]["type"], "Linear")
        self.assertEqual(set(weights), set(model.state_dict()))
        self.assertTrue(torch.equal(expected["output.0"], model(x)))

    def test_non_tensor_inputs_cannot_be_traced(self):
        with self.assertRaises(ConversionError) as caught:
            write_bundle(LambdaAndCount(), (torch.randn(2), 3), self.bundle_dir(), expected=True)
        message = str(caught.exception)
        self.assertIn("torch.jit.script failed", message)
        self.assertIn("tracing only takes tensors and lists/tuples of tensors, got int", message)

    def test_both_failures_are_reported(self):
        with self.assertRaises(ConversionError) as caught:
            write_bundle(FailsEverywhere(), (torch.randn(2, 3),), self.bundle_dir(), expected=True)
        message = str(caught.exception)
        self.assertIn("cannot capture the module", message)
        self.assertIn("torch.jit.script failed", message)
        self.assertIn("torch.jit.trace failed", message)
        self.assertIn("cannot be multiplied", message)


if __name__ == "__main__":
    unittest.main()
