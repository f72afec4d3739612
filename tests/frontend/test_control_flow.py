"""Nested blocks: loops that append to lists, while loops on data, ifs inside loops."""
import unittest

import torch

from frontend_helpers import BundleTestCase, check_value_scoping, load_bundle, walk_nodes
from torch2program import write_bundle


class AppendInLoop(torch.nn.Module):
    def forward(self, x):
        parts = []
        for i in range(x.size(0)):
            row = x[i]
            if bool(row.sum() > 0):
                parts.append(row * 2)
            else:
                parts.append(-row)
        return torch.stack(parts)


class WhileOnData(torch.nn.Module):
    def forward(self, x):
        steps = 0
        while bool(x.abs().max() > 1.0):
            x = x / 2
            steps += 1
        return x, steps


def find(program, kind):
    return [n for n in walk_nodes(program["graph"]["nodes"]) if n["kind"] == kind]


class AppendInLoopTest(BundleTestCase):
    def setUp(self):
        super().setUp()
        self.x = torch.randn(5, 3)
        write_bundle(AppendInLoop(), (self.x,), self.bundle_dir(), dynamic_shapes={"x": {0: "n"}}, expected=True)
        self.program, _, _, self.expected = load_bundle(self.bundle_dir())

    def test_loop_holds_the_append_inside_an_if(self):
        (loop,) = find(self.program, "prim::Loop")
        self.assertEqual(len(loop["blocks"]), 1)
        body = loop["blocks"][0]
        carried = len(loop["inputs"]) - 2
        self.assertEqual(len(body["inputs"]), carried + 1)
        self.assertEqual(len(body["outputs"]), carried + 1)
        self.assertEqual(len(loop["outputs"]), carried)
        branch = next(n for n in body["nodes"] if n["kind"] == "prim::If")
        appends = [n for b in branch["blocks"] for n in b["nodes"] if n["kind"] == "aten::append"]
        self.assertEqual(len(appends), 2)
        (parts,) = [n for n in find(self.program, "prim::ListConstruct") if n["output_types"] == ["List[Tensor]"]]
        self.assertTrue(all(a["inputs"][0] == parts["outputs"][0] for a in appends))
        self.assertEqual(appends[0]["source"]["text"], "parts.append(row * 2)")

    def test_scoping_and_expected_output(self):
        check_value_scoping(self, self.program)
        self.assertTrue(torch.equal(self.expected["output.0"], AppendInLoop()(self.x)))
        self.assertEqual(self.program["graph"]["inputs"][1]["shape"], ["n", 3])


class WhileOnDataTest(BundleTestCase):
    def test_while_loop_condition_is_carried(self):
        x = torch.randn(4) * 10
        write_bundle(WhileOnData(), (x,), self.bundle_dir(), expected=True)
        program, _, _, expected = load_bundle(self.bundle_dir())
        (loop,) = find(program, "prim::Loop")
        body = loop["blocks"][0]
        self.assertIn("aten::div", [n["kind"] for n in body["nodes"]])
        check_value_scoping(self, program)
        out, steps = WhileOnData()(x.clone())
        self.assertTrue(torch.equal(expected["output.0"], out))
        self.assertEqual(int(expected["output.1"]), steps)


if __name__ == "__main__":
    unittest.main()
