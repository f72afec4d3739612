"""torchvision resnet18 (random weights): every node, weight and output makes it into the bundle (label: corpus)."""
import collections
import shutil
import tempfile
import unittest

import torch
import torchvision

from frontend_helpers import check_value_scoping, load_bundle, walk_nodes
from torch2program import write_bundle

# Kinds the torchscript census lists that resnet18 uses: its layers, and the
# argument checks (`if x.dim() != 4: raise ...`) and residual loops around them.
EXPECTED_KINDS = {
    "aten::conv2d", "aten::batch_norm", "aten::relu_", "aten::max_pool2d", "aten::add_",
    "aten::adaptive_avg_pool2d", "aten::flatten", "aten::linear", "aten::add", "aten::sub", "aten::mul",
    "aten::eq", "aten::gt", "aten::size", "aten::len", "aten::__getitem__", "aten::format",
    "prim::Constant", "prim::GetAttr", "prim::If", "prim::Loop", "prim::ListConstruct", "prim::RaiseException",
}


def torchscript_kinds(graph):
    """Kinds of the scripted graph counted independently of torch2program."""
    counts = collections.Counter()

    def walk(nodes):
        for node in nodes:
            if node.kind() == "prim::Constant" and node.output().type().kind() == "FunctionType" \
                    and not node.output().uses():
                continue  # left behind by inlining, unused
            counts[node.kind()] += 1
            for block in node.blocks():
                walk(block.nodes())

    walk(graph.nodes())
    return counts


class ResNet18Test(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        """One conversion for all the checks (scripting resnet18 takes seconds)."""
        torch.manual_seed(0)
        cls.model = torchvision.models.resnet18().eval()
        cls.x = torch.randn(1, 3, 224, 224)
        cls.tmp = tempfile.mkdtemp(prefix="t2p-resnet18-")
        cls.summary = write_bundle(cls.model, (cls.x,), cls.tmp, dynamic_shapes={"x": {0: "batch"}}, expected=True)
        cls.program, cls.weights, cls.inputs, cls.expected = load_bundle(cls.tmp)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_every_node_kind_is_written(self):
        written = collections.Counter(n["kind"] for n in walk_nodes(self.program["graph"]["nodes"]))
        self.assertEqual(written, torchscript_kinds(torch.jit.script(self.model).inlined_graph))
        self.assertEqual(set(written), EXPECTED_KINDS)
        self.assertEqual(self.summary["capture"], "script")

    def test_weights_match_the_state_dict(self):
        state = self.model.state_dict()
        self.assertEqual(set(self.weights), set(state))
        self.assertEqual(len(self.weights), 122)
        for name, tensor in state.items():
            self.assertEqual(self.weights[name].dtype, tensor.dtype, name)
            self.assertTrue(torch.equal(self.weights[name], tensor), name)

    def test_module_tree_declares_every_weight_with_its_shape(self):
        declared = {}

        def collect(node, prefix):
            for kind in ("parameters", "buffers"):
                for name in node.get(kind, []):
                    declared[prefix + name] = node["parameter_shapes"][name]
            for name, child in node.get("children", {}).items():
                collect(child, f"{prefix}{name}.")

        collect(self.program["module"], "")
        self.assertEqual(declared, {k: list(v.shape) for k, v in self.model.state_dict().items()})
        bn1 = self.program["module"]["children"]["bn1"]["attributes"]
        self.assertEqual((bn1["eps"], bn1["momentum"], bn1["track_running_stats"]), (1e-05, 0.1, True))

    def test_expected_output_is_eager_pytorch(self):
        self.assertEqual(self.program["graph"]["inputs"][1]["shape"], ["batch", 3, 224, 224])
        self.assertTrue(torch.equal(self.inputs["x"], self.x))
        with torch.no_grad():
            eager = self.model(self.inputs["x"])
        self.assertEqual(list(self.expected), ["output.0"])
        self.assertTrue(torch.allclose(self.expected["output.0"], eager, rtol=0, atol=1e-6))

    def test_scoping_and_scopes(self):
        check_value_scoping(self, self.program)
        convs = [n for n in walk_nodes(self.program["graph"]["nodes"]) if n["kind"] == "aten::conv2d"]
        self.assertEqual(convs[0]["scope"], "conv1")
        self.assertIn("layer1.0.conv1", {n["scope"] for n in convs})
        self.assertIn("layer2.0.downsample.0", {n["scope"] for n in convs})


if __name__ == "__main__":
    unittest.main()
