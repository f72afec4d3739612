"""Program signatures: every kind of forward parameter, outputs, dynamic dims, names."""
import unittest
from typing import List, Optional, Tuple

import torch

from frontend_helpers import BundleTestCase, check_value_scoping, load_bundle, walk_nodes
from torch2program import ConversionError, write_bundle


class EveryInputKind(torch.nn.Module):
    def forward(self, x, n: int, f: float, flag: bool, lx: List[torch.Tensor], tx: Tuple[torch.Tensor, torch.Tensor],
                o: Optional[torch.Tensor]):
        y = x * f + n
        for t in lx:
            y = y + t
        y = y + tx[0] * tx[1]
        if flag and o is not None:
            y = y + o
        return y, x.shape[1] + 1, f * 2.0, None


class EveryInputKindTest(BundleTestCase):
    def setUp(self):
        super().setUp()
        self.x = torch.randn(2, 3)
        self.lx = [torch.randn(2, 3), torch.randn(1, 3)]
        self.tx = (torch.randn(2, 3), torch.randn(3))
        self.args = (self.x, 4, 0.5, True, self.lx, self.tx, None)
        write_bundle(EveryInputKind(), self.args, self.bundle_dir(),
                     dynamic_shapes={"x": {0: "batch"}, "lx.1": {"0": "rows"}}, expected=True)
        self.program, _, self.inputs, self.expected = load_bundle(self.bundle_dir())

    def test_graph_inputs_in_forward_order(self):
        def tensor(name, shape):
            return {"name": name, "type": "Tensor", "dtype": "float32", "shape": shape}

        self.assertEqual(self.program["graph"]["inputs"], [
            {"name": "self", "type": "Module"},
            tensor("x", ["batch", 3]),
            {"name": "n", "type": "int"},
            {"name": "f", "type": "float"},
            {"name": "flag", "type": "bool"},
            {"name": "lx", "type": "List[Tensor]", "elements": [tensor("lx.0", [2, 3]), tensor("lx.1", ["rows", 3])]},
            {"name": "tx", "type": "Tuple[Tensor, Tensor]", "elements": [tensor("tx.0", [2, 3]), tensor("tx.1", [3])]},
            {"name": "o", "type": "NoneType"},
        ])

    def test_example_inputs_are_flattened(self):
        self.assertEqual(set(self.inputs), {"x", "n", "f", "flag", "lx.0", "lx.1", "tx.0", "tx.1"})
        self.assertTrue(torch.equal(self.inputs["lx.1"], self.lx[1]))
        self.assertTrue(torch.equal(self.inputs["tx.1"], self.tx[1]))
        self.assertEqual((self.inputs["n"].dtype, self.inputs["n"].shape, int(self.inputs["n"])), (torch.int64, (), 4))
        self.assertEqual((self.inputs["f"].dtype, float(self.inputs["f"])), (torch.float64, 0.5))
        self.assertEqual((self.inputs["flag"].dtype, bool(self.inputs["flag"])), (torch.bool, True))

    def test_outputs_flattened_with_python_numbers_as_0d_tensors(self):
        eager = EveryInputKind()(*self.args)
        self.assertEqual(list(self.expected), ["output.0", "output.1", "output.2"])  # None dropped
        self.assertTrue(torch.equal(self.expected["output.0"], eager[0]))
        self.assertEqual((self.expected["output.1"].dtype, self.expected["output.1"].shape), (torch.int64, ()))
        self.assertEqual(int(self.expected["output.1"]), 4)
        self.assertEqual((self.expected["output.2"].dtype, float(self.expected["output.2"])), (torch.float64, 1.0))

    def test_values_are_defined_before_use(self):
        check_value_scoping(self, self.program)


class DynamicShapeErrorsTest(BundleTestCase):
    def test_unknown_input_name(self):
        with self.assertRaisesRegex(ConversionError, "dynamic_shapes names y, which are not tensor inputs"):
            write_bundle(torch.nn.ReLU(), (torch.randn(2),), self.bundle_dir(), dynamic_shapes={"y": {0: "b"}}, expected=True)

    def test_dim_out_of_range(self):
        with self.assertRaisesRegex(ConversionError, "input 'input' has 1 dims, no dim 3"):
            write_bundle(torch.nn.ReLU(), (torch.randn(2),), self.bundle_dir(), dynamic_shapes={"input": {3: "b"}}, expected=True)

    def test_negative_dims_count_from_the_end(self):
        write_bundle(torch.nn.ReLU(), (torch.randn(2, 5),), self.bundle_dir(), dynamic_shapes={"input": {-1: "n"}}, expected=True)
        program, _, _, _ = load_bundle(self.bundle_dir())
        self.assertEqual(program["graph"]["inputs"][1]["shape"], [2, "n"])


class WithDefaults(torch.nn.Module):
    def forward(self, x, scale: float = 2.0, bias: Optional[torch.Tensor] = None):
        if bias is not None:
            x = x + bias
        return x * scale


class DefaultsAndNamesTest(BundleTestCase):
    def test_missing_inputs_take_their_defaults(self):
        write_bundle(WithDefaults(), (torch.randn(3),), self.bundle_dir(), expected=True)
        program, _, inputs, _ = load_bundle(self.bundle_dir())
        self.assertEqual([(v["name"], v["type"]) for v in program["graph"]["inputs"]],
                         [("self", "Module"), ("x", "Tensor"), ("scale", "float"), ("bias", "NoneType")])
        self.assertEqual(float(inputs["scale"]), 2.0)

    def test_input_names_override_python_names(self):
        write_bundle(WithDefaults(), (torch.randn(3), 3.0), self.bundle_dir(), input_names=["images", "factor"], expected=True)
        program, _, inputs, _ = load_bundle(self.bundle_dir())
        self.assertEqual([v["name"] for v in program["graph"]["inputs"]], ["self", "images", "factor", "bias"])
        self.assertEqual(set(inputs), {"images", "factor"})

    def test_too_many_inputs(self):
        with self.assertRaisesRegex(ConversionError, "4 inputs given, it takes 3"):
            write_bundle(WithDefaults(), (torch.randn(3), 1.0, None, 5), self.bundle_dir(), expected=True)

    def test_wrong_input_type(self):
        with self.assertRaisesRegex(ConversionError, "input 'scale' is str, expected float"):
            write_bundle(WithDefaults(), (torch.randn(3), "big"), self.bundle_dir(), expected=True)


class Reassigns(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = torch.nn.Linear(3, 3)

    def forward(self, x):
        x = self.lin(x)
        x = torch.relu(x)
        return x


class NameCollisionTest(BundleTestCase):
    def test_a_value_named_like_an_input_is_renamed(self):
        write_bundle(Reassigns(), (torch.randn(2, 3),), self.bundle_dir(), expected=True)
        program, _, _, _ = load_bundle(self.bundle_dir())
        self.assertEqual(program["graph"]["inputs"][1]["name"], "x")
        linear = next(n for n in walk_nodes(program["graph"]["nodes"]) if n["kind"] == "aten::linear")
        self.assertEqual(linear["inputs"][0], "x")
        relu = next(n for n in walk_nodes(program["graph"]["nodes"]) if n["kind"] == "aten::relu")
        self.assertNotEqual(relu["outputs"][0], "x")
        self.assertEqual(program["graph"]["outputs"], relu["outputs"])
        check_value_scoping(self, program)


class MutatesInputAndBuffer(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("calls", torch.zeros(1))

    def forward(self, x):
        self.calls.add_(1)
        x.add_(self.calls)
        return x * 2


class MutationTest(BundleTestCase):
    def test_inputs_and_weights_are_the_values_before_forward(self):
        module, x = MutatesInputAndBuffer(), torch.ones(3)
        write_bundle(module, (x,), self.bundle_dir(), expected=True)
        _, weights, inputs, expected = load_bundle(self.bundle_dir())
        self.assertTrue(torch.equal(inputs["x"], torch.ones(3)))
        self.assertTrue(torch.equal(weights["calls"], torch.zeros(1)))
        self.assertTrue(torch.equal(expected["output.0"], torch.full((3,), 4.0)))
        self.assertEqual(list(expected), ["output.0", "calls"])  # the mutated buffer, after forward
        self.assertTrue(torch.equal(expected["calls"], torch.ones(1)))
        self.assertTrue(torch.equal(x, torch.ones(3)), "the caller's input was modified")
        self.assertTrue(torch.equal(module.calls, torch.zeros(1)), "the module's buffer was left modified")


if __name__ == "__main__":
    unittest.main()
