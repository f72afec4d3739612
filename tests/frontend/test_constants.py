"""Constants of every TorchScript type are written in the documented JSON forms."""
import json
import math
import os
import unittest
import warnings

import torch

from frontend_helpers import BundleTestCase, load_bundle, walk_nodes
from torch2program import ConversionError, write_bundle
from torch2program_lib.graph_walk import GraphWriter
from torch2program_lib.values import INLINE_TENSOR_MAX_ELEMENTS, TensorConstantStore


class ScalarConstants(torch.nn.Module):
    def forward(self, x, mask):
        y = x.to(torch.float64)                       # dtype: ScalarType int 7
        y = y.to(device=torch.device("cpu"))          # Device
        y = y.masked_fill(mask, float("-inf"))        # float -inf
        y = torch.nan_to_num(y, nan=0.5, posinf=2.0, neginf=-1.0)  # floats stay floats
        y = torch.nn.functional.gelu(y, approximate="tanh")  # str
        y = y.sum(dim=[0], keepdim=True) * 2.0
        return y.to(torch.float32), y.dim() > 1       # bool output


def constants_of(program):
    """[(type, value)] of every prim::Constant, nested blocks included."""
    return [(n["output_types"][0], n["attrs"]["value"])
            for n in walk_nodes(program["graph"]["nodes"]) if n["kind"] == "prim::Constant"]


def write_graph(graph, input_names):
    store = TensorConstantStore()
    return GraphWriter(graph, input_names, set(), store).write(), store


class ScriptedConstantsTest(BundleTestCase):
    def setUp(self):
        super().setUp()
        x = torch.randn(3, 4)
        write_bundle(ScalarConstants(), (x, x > 0), self.bundle_dir(), expected=True)
        self.program, _, _, self.expected = load_bundle(self.bundle_dir())
        with open(os.path.join(self.bundle_dir(), "program.json"), encoding="utf-8") as f:
            self.text = f.read()
        self.constants = constants_of(self.program)

    def test_each_scalar_type(self):
        self.assertIn(("int", 7), self.constants)                    # torch.float64 stays a ScalarType int
        self.assertIn(("Device", {"device": "cpu"}), self.constants)
        self.assertIn(("float", {"float": "-inf"}), self.constants)
        self.assertIn(("str", "tanh"), self.constants)
        self.assertIn(("NoneType", None), self.constants)
        self.assertIn(("bool", True), self.constants)
        self.assertIn(("float", 0.5), self.constants)

    def test_floats_stay_floats(self):
        floats = [v for t, v in self.constants if t == "float" and not isinstance(v, dict)]
        self.assertIn(2.0, floats)
        self.assertTrue(all(isinstance(v, float) for v in floats), floats)
        self.assertIn('"value": 2.0', self.text)
        ints = [v for t, v in self.constants if t == "int"]
        self.assertTrue(all(isinstance(v, int) and not isinstance(v, bool) for v in ints), ints)

    def test_program_json_is_strict_json(self):
        self.assertNotIn("Infinity", self.text)
        self.assertNotIn("NaN", self.text)
        json.loads(self.text, parse_constant=lambda name: self.fail(f"non-standard JSON constant {name}"))

    def test_bool_output_is_a_0d_bool_tensor(self):
        self.assertEqual(self.expected["output.1"].dtype, torch.bool)
        self.assertEqual(self.expected["output.1"].shape, ())
        self.assertTrue(bool(self.expected["output.1"]))


class ListAndTupleConstantsTest(unittest.TestCase):
    def test_list_constants_from_the_ir(self):
        graph = torch._C.parse_ir("""
            graph(%x : Tensor):
              %a : int[] = prim::Constant[value=[1, 2]]()
              %b : float[] = prim::Constant[value=[1., 2.5]]()
              %c : bool[] = prim::Constant[value=[1, 0]]()
              %d : str = prim::Constant[value="hi"]()
              %e : Device = prim::Constant[value="cpu"]()
              %f : Tensor = aten::view(%x, %a)
              return (%f)""")
        written, _ = write_graph(graph, ["x"])
        values = [n["attrs"]["value"] for n in written["nodes"] if n["kind"] == "prim::Constant"]
        self.assertEqual(values, [[1, 2], [1.0, 2.5], [True, False], "hi", {"device": "cpu"}])
        self.assertIsInstance(values[1][0], float)

    def test_tuple_nan_and_complex_constants(self):
        @torch.jit.script
        def make(x):
            return x, (1, 2.5, "a"), float("nan"), float("inf"), 1 + 2j

        graph = make.graph.copy()
        torch._C._jit_pass_constant_propagation(graph)
        written, _ = write_graph(graph, ["x"])
        values = {n["output_types"][0]: n["attrs"]["value"] for n in written["nodes"] if n["kind"] == "prim::Constant"}
        self.assertEqual(values["Tuple[int, float, str]"], [1, 2.5, "a"])
        self.assertEqual(values["complex"], {"complex": [1.0, 2.0]})
        floats = [n["attrs"]["value"] for n in written["nodes"] if n["output_types"] == ["float"]]
        self.assertCountEqual(floats, [{"float": "nan"}, {"float": "inf"}])

    def test_function_constant_is_refused(self):
        def helper(x):
            return x + 1

        @torch.jit.script
        def calls_helper(x):
            return helper(x)

        with self.assertRaises(ConversionError) as caught:
            write_graph(calls_helper.graph, ["x"])  # not inlined: a Function constant feeds prim::CallFunction
        self.assertIn("FunctionType", str(caught.exception))


BIG_VALUES = [[float(5 * row + col) for col in range(5)] for row in range(8)]


class TensorConstants(torch.nn.Module):
    def forward(self, x):
        small = torch.tensor([1.5, -2.0, 3.0])
        flags = torch.tensor([True, False, True])
        big = torch.tensor(BIG_VALUES)
        return x + small * flags + big[:1, :3]


class TensorConstantsTest(BundleTestCase):
    """Traced graphs hold tensor constants (scripted ones build tensors with ops)."""

    def setUp(self):
        super().setUp()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            write_bundle(TensorConstants(), (torch.randn(2, 3),), self.bundle_dir(), force_trace=True, expected=True)
        self.program, self.weights, _, _ = load_bundle(self.bundle_dir())
        self.tensors = [v for t, v in constants_of(self.program) if t == "Tensor"]

    def test_small_tensors_are_inline(self):
        inline = [v["tensor"] for v in self.tensors if "tensor" in v]
        self.assertIn({"dtype": "float32", "shape": [3], "data": [1.5, -2.0, 3.0]}, inline)
        self.assertIn({"dtype": "bool", "shape": [3], "data": [True, False, True]}, inline)

    def test_large_tensors_go_to_weights(self):
        refs = [v["tensor_ref"] for v in self.tensors if "tensor_ref" in v]
        self.assertEqual(len(refs), 1)
        self.assertTrue(refs[0].startswith("__constants__."))
        stored = self.weights[refs[0]]
        self.assertGreater(stored.numel(), INLINE_TENSOR_MAX_ELEMENTS)
        self.assertTrue(torch.equal(stored, torch.tensor(BIG_VALUES)))

    def test_producer_says_traced(self):
        self.assertEqual(self.program["producer"]["capture"], "trace")
        self.assertTrue(any("torch.tensor" in w for w in self.program["producer"]["trace_warnings"]))


class FloatFormattingTest(unittest.TestCase):
    def test_non_finite_floats(self):
        from torch2program_lib.values import json_float
        self.assertEqual(json_float(math.inf), {"float": "inf"})
        self.assertEqual(json_float(-math.inf), {"float": "-inf"})
        self.assertEqual(json_float(math.nan), {"float": "nan"})
        self.assertEqual(json.dumps(json_float(2)), "2.0")


if __name__ == "__main__":
    unittest.main()
