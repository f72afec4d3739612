"""torch.jit.script first; torch.jit.trace when scripting fails (or when asked), said in the producer."""
import contextlib
import functools
import unittest
from unittest import mock
import warnings

import torch

from frontend_helpers import BundleTestCase, check_value_scoping, load_bundle, node_kinds, walk_nodes
from torch2program import ConversionError, write_bundle
from torch2program_lib import capture as capture_lib


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


def _fresh_model_classes():
    """A model built from classes made anew on each call, so that TorchScript compiles
    them anew (its compiled types are cached per class for the whole process): repeated
    instances of one class, two classes whose forward has the same name, a property
    read in forward, a forward assigned from another function, and nn.LSTM
    (overloaded forward)."""

    class Scale(torch.nn.Module):
        def __init__(self, factor):
            super().__init__()
            self.factor = factor

        @property
        def doubled(self) -> float:
            return self.factor * 2.0

        def forward(self, x):
            return x * self.doubled

    class Shift(torch.nn.Module):
        def _shift(self, x):
            return x + 1.0

        forward = _shift

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.blocks = torch.nn.ModuleList([Scale(float(i)) for i in range(4)] + [Shift(), Shift()])
            self.rnn = torch.nn.LSTM(3, 3, batch_first=True)

        def forward(self, x):
            for block in self.blocks:
                x = block(x)
            return self.rnn(x)[0]

    return Net


class PerClassStubsTest(BundleTestCase):
    """capture._per_class_stubs reuses torch's per-function parsing during torch.jit.script
    (bench/README.md, "torch2program"): the program must be the one torch's own code gives."""

    def _program(self, name, reuse):
        torch.manual_seed(0)
        model = _fresh_model_classes()().eval()
        if reuse:
            write_bundle(model, (torch.randn(1, 2, 3),), self.bundle_dir(name))
        else:
            with mock.patch.object(capture_lib, "_per_class_stubs", contextlib.nullcontext):
                write_bundle(model, (torch.randn(1, 2, 3),), self.bundle_dir(name))
        program, weights, _, _ = load_bundle(self.bundle_dir(name))
        return program, weights

    def test_same_program_as_without_reuse(self):
        reused, reused_weights = self._program("reused", reuse=True)
        plain, plain_weights = self._program("plain", reuse=False)
        self.assertEqual(reused["graph"], plain["graph"])
        self.assertEqual(reused["module"], plain["module"])
        self.assertEqual(set(reused_weights), set(plain_weights))
        kinds = node_kinds(reused)
        self.assertIn("aten::lstm", kinds)
        self.assertIn("aten::mul", kinds)
        self.assertIn("aten::add", kinds)

    def test_torch_functions_restored(self):
        recursive = torch.jit._recursive
        before = (recursive.get_jit_def, recursive.get_class_properties, recursive.get_overload_annotations)
        self._program("ok", reuse=True)
        with self.assertRaises(ConversionError):  # scripting fails, the trace fails too
            write_bundle(FailsEverywhere(), (torch.randn(2, 3),), self.bundle_dir("fails"))
        after = (recursive.get_jit_def, recursive.get_class_properties, recursive.get_overload_annotations)
        self.assertEqual(before, after)


if __name__ == "__main__":
    unittest.main()
