"""The seed's model (plot_exporter_recipes_oe_cond.rst) converts to the graph of examples/seed."""
import json
import os
import unittest

import torch

from frontend_helpers import REPO, BundleTestCase, check_value_scoping, load_bundle, node_kinds, walk_nodes
from torch2program import write_bundle


# --- the seed's model, as the seed document defines it -----------------------------------
class ForwardWithControlFlowTest(torch.nn.Module):
    def forward(self, x):
        if x.sum():
            return x * 2
        return -x


class ModelWithControlFlowTest(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.mlp = torch.nn.Sequential(
            torch.nn.Linear(3, 2),
            torch.nn.Linear(2, 1),
            ForwardWithControlFlowTest(),
        )

    def forward(self, x):
        out = self.mlp(x)
        return out
# -------------------------------------------------------------------------------------------


def seed_program():
    with open(os.path.join(REPO, "examples", "seed", "program.json"), encoding="utf-8") as f:
        return json.load(f)


class SeedModelTest(BundleTestCase):
    def setUp(self):
        super().setUp()
        self.model = ModelWithControlFlowTest()
        self.x = torch.randn(3)
        self.summary = write_bundle(self.model, (self.x,), self.bundle_dir(), expected=True)
        self.program, self.weights, self.inputs, self.expected = load_bundle(self.bundle_dir())

    def test_node_kinds_are_the_seed_bundle_kinds(self):
        kinds = node_kinds(self.program)
        self.assertEqual(kinds, node_kinds(seed_program()))
        self.assertEqual(kinds[-6:], ["aten::linear", "aten::sum", "aten::Bool", "prim::If", "aten::mul", "aten::neg"])
        self.assertEqual(self.summary["capture"], "script")

    def test_graph_equals_the_seed_bundle_modulo_value_names(self):
        ours, seed = self.program["graph"], seed_program()["graph"]
        self.assertEqual([(v["name"], v["type"]) for v in ours["inputs"]],
                         [(v["name"], v["type"]) for v in seed["inputs"]])
        renaming = {v["name"]: v["name"] for v in seed["inputs"]}
        self._match_nodes(ours["nodes"], seed["nodes"], renaming)
        self.assertEqual(ours["outputs"], [renaming[n] for n in seed["outputs"]])

    def _match_nodes(self, ours, seed, renaming):
        self.assertEqual(len(ours), len(seed))
        for mine, theirs in zip(ours, seed):
            self.assertEqual(mine["kind"], theirs["kind"])
            self.assertEqual(mine["inputs"], [renaming[n] for n in theirs["inputs"]], mine["kind"])
            attrs = {k: v for k, v in mine.get("attrs", {}).items() if k != "path"}
            self.assertEqual(attrs, theirs.get("attrs", {}), mine["kind"])
            self.assertEqual(mine["output_types"], theirs["output_types"], mine["kind"])
            if theirs.get("scope"):
                self.assertEqual(mine.get("scope"), theirs["scope"], mine["kind"])
            if "source" in theirs:
                self.assertEqual((mine["source"]["text"], mine["source"]["col"]),
                                 (theirs["source"]["text"], theirs["source"]["col"]), mine["kind"])
            self.assertEqual(len(mine.get("blocks", [])), len(theirs.get("blocks", [])))
            for my_block, their_block in zip(mine.get("blocks", []), theirs.get("blocks", [])):
                renaming.update(zip(their_block["inputs"], my_block["inputs"]))
                self._match_nodes(my_block["nodes"], their_block["nodes"], renaming)
                self.assertEqual(my_block["outputs"], [renaming[n] for n in their_block["outputs"]])
            renaming.update(zip(theirs["outputs"], mine["outputs"]))

    def test_source_of_the_branch_condition(self):
        total = next(n for n in walk_nodes(self.program["graph"]["nodes"]) if n["kind"] == "aten::sum")
        self.assertEqual(total["source"]["text"], "if x.sum():")
        self.assertEqual(total["source"]["file"], "test_seed.py")
        self.assertEqual(total["source"]["col"], 11)
        with open(__file__, encoding="utf-8") as f:
            line = f.read().split("\n")[total["source"]["line"] - 1]
        self.assertEqual(line.strip(), "if x.sum():")
        self.assertEqual(total["scope"], "mlp.2")

    def test_linear_source_is_relative_to_the_torch_install(self):
        linear = next(n for n in walk_nodes(self.program["graph"]["nodes"]) if n["kind"] == "aten::linear")
        self.assertEqual(linear["source"]["file"], "torch/nn/modules/linear.py")
        self.assertEqual(linear["source"]["text"], "return F.linear(input, self.weight, self.bias)")

    def test_getattr_paths_are_dotted(self):
        paths = [n["attrs"]["path"] for n in walk_nodes(self.program["graph"]["nodes"]) if n["kind"] == "prim::GetAttr"]
        self.assertEqual(paths, ["mlp", "mlp.0", "mlp.1", "mlp.2", "mlp.0.weight", "mlp.0.bias",
                                 "mlp.1.weight", "mlp.1.bias"])

    def test_module_tree(self):
        tree = self.program["module"]
        self.assertEqual(tree["type"], "ModelWithControlFlowTest")
        self.assertEqual(tree["attributes"], {"training": False})
        linear = tree["children"]["mlp"]["children"]["0"]
        self.assertEqual(linear["type"], "Linear")
        self.assertEqual(linear["attributes"], {"training": False, "in_features": 3, "out_features": 2})
        self.assertEqual(linear["parameters"], ["weight", "bias"])
        self.assertEqual(linear["parameter_shapes"], {"weight": [2, 3], "bias": [2]})
        self.assertEqual(list(tree["children"]["mlp"]["children"]), ["0", "1", "2"])

    def test_weights_inputs_and_expected_outputs(self):
        self.assertEqual(set(self.weights), {"mlp.0.weight", "mlp.0.bias", "mlp.1.weight", "mlp.1.bias"})
        for name, tensor in self.model.state_dict().items():
            self.assertTrue(torch.equal(self.weights[name], tensor), name)
        self.assertEqual(list(self.inputs), ["x"])
        self.assertTrue(torch.equal(self.inputs["x"], self.x))
        self.assertEqual(list(self.expected), ["output.0"])
        self.assertTrue(torch.equal(self.expected["output.0"], self.model(self.x).detach()))

    def test_values_are_defined_before_use(self):
        check_value_scoping(self, self.program)

    def test_producer(self):
        producer = self.program["producer"]
        self.assertEqual(producer["name"], "torch2program")
        self.assertEqual(producer["capture"], "script")
        self.assertEqual(producer["torch"], torch.__version__)
        self.assertEqual(self.program["format"], "onnxport.program")
        self.assertEqual(self.program["version"], 1)
        self.assertEqual(self.program["name"], "ModelWithControlFlowTest")


if __name__ == "__main__":
    unittest.main()
