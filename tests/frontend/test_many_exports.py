"""torch2program converts many modules in one Python process without crashing,
reads what torch 1.13's bindings offer (type attributes of prim::isinstance,
as in torchvision's roi_align), and refuses what it cannot write with a
ConversionError naming the module, the value and the line, never another
exception.

The long run happens in a child process, so a crash (SIGSEGV) fails the test
with the signal instead of killing the test runner.
"""
import json
import os
import subprocess
import sys
import unittest
from typing import List, Union
from unittest import mock

import torch
import torchvision
from torch.nn.utils.rnn import PackedSequence

from frontend_helpers import PYTHON, REPO, BundleTestCase, load_bundle, walk_nodes
from torch2program import ConversionError, write_bundle
from torch2program_lib import graph_walk
from torch2program_lib.values import printed_attribute

# The child: every control-flow pattern and every other zoo torch.nn layer
# (about 150 conversions; the crash this guards against came after ~27), with
# garbage collections in between, in one process.
CHILD = r"""
import gc, json, os, sys, tempfile, traceback, warnings
warnings.simplefilter("ignore")
repo = sys.argv[1]
sys.path[:0] = [os.path.join(repo, "tools", "torch2program"), os.path.join(repo, "tests", "control_flow"),
                os.path.join(repo, "tests", "zoo"), os.path.join(repo, "tests", "frontend")]
import torch
torch.set_num_threads(1)
from torch2program import ConversionError, write_bundle
from cflib import load_cases
from zoo_layers import layer_entries
from test_many_exports import RoiAlign, roi_align_args

out = tempfile.mkdtemp(prefix="t2p-many-")
results = {"written": 0, "refused": [], "raised": []}

def convert(name, module, args, **kwargs):
    try:
        write_bundle(module, args, os.path.join(out, str(results["written"] + len(results["refused"]))), **kwargs, expected=True)
        results["written"] += 1
    except ConversionError as error:
        results["refused"].append([name, str(error)])
    except Exception as error:
        results["raised"].append([name, "".join(traceback.format_exception_only(type(error), error)).strip()])

for name, case in sorted(load_cases().items()):
    torch.manual_seed(0)
    module = case.factory()
    module.eval()
    convert(name, module, case.paths()[0], dynamic_shapes=case.dynamic)
gc.collect()
layers = layer_entries()
for i, entry in enumerate(e for j, e in enumerate(layers) if j % 2 == 0 or e.name == "CrossMapLRN2d"):
    try:
        module = entry.build()
    except Exception:
        continue  # a layer PyTorch cannot build here is not the frontend's business
    convert(entry.name, module, entry.args(2, seed=1), input_names=entry.input_names(),
            dynamic_shapes=entry.dynamic_shapes())
    if i % 25 == 0:
        gc.collect()
convert("roi_align", RoiAlign(), roi_align_args())
print("RESULTS " + json.dumps(results))
"""


class RoiAlign(torch.nn.Module):
    """torchvision.ops.roi_align takes boxes as Union[Tensor, List[Tensor]]: its scripted
    graph keeps prim::isinstance nodes, whose `types` attribute torch 1.13 has no getter for."""

    def forward(self, x, boxes):
        return torchvision.ops.roi_align(x, boxes, [2, 2], 0.5, 2, True)


def roi_align_args():
    return torch.randn(2, 3, 8, 8), torch.tensor([[0, 1.0, 1, 5, 5], [1, 0, 2, 6, 7]])


class TakesPacked(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = torch.nn.LSTM(4, 5)

    def forward(self, packed: PackedSequence):
        out, _ = self.rnn(packed)
        return out.data


class Unions(torch.nn.Module):
    def forward(self, x, items: Union[List[int], int]):
        if isinstance(items, int):
            return x * items
        return x


class FakeNode:
    """Just what printed_attribute reads: the node's kind and printed form."""

    def __init__(self, kind, text):
        self._kind, self._text = kind, text

    def kind(self):
        return self._kind

    def __str__(self):
        return self._text


class ManyExportsInOneProcess(unittest.TestCase):
    def test_hundreds_of_conversions_in_one_process(self):
        proc = subprocess.run([PYTHON, "-c", CHILD, REPO], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, timeout=1800, cwd=os.path.dirname(os.path.abspath(__file__)),
                              env={**os.environ, "OMP_NUM_THREADS": "1"})
        self.assertEqual(proc.returncode, 0, "the converting process died (%s):\n%s" % (
            f"signal {-proc.returncode}" if proc.returncode < 0 else f"exit {proc.returncode}", proc.stderr[-3000:]))
        line = next(l for l in proc.stdout.splitlines() if l.startswith("RESULTS "))
        results = json.loads(line[len("RESULTS "):])
        self.assertEqual(results["raised"], [], "write_bundle raised something other than ConversionError")
        self.assertGreater(results["written"], 120)
        refused = {name: message for name, message in results["refused"]}
        self.assertNotIn("roi_align", refused)
        # The refusals are the documented ones, each naming where.
        self.assertIn("prim::PythonOp", refused.get("CrossMapLRN2d", ""))
        self.assertIn("normalization.py", refused.get("CrossMapLRN2d", ""))


class TypeAttributes(BundleTestCase):
    def test_roi_align_isinstance_types_are_written(self):
        write_bundle(RoiAlign(), roi_align_args(), self.bundle_dir(), expected=True)
        program = load_bundle(self.bundle_dir())[0]
        types = [n["attrs"]["types"] for n in walk_nodes(program["graph"]["nodes"]) if n["kind"] == "prim::isinstance"]
        self.assertEqual(types, [["list", "tuple"], ["Tensor"]])
        self.assertIn("torchvision::roi_align", [n["kind"] for n in walk_nodes(program["graph"]["nodes"])])

    def test_isinstance_on_a_union_input(self):
        write_bundle(Unions(), (torch.randn(3), 2), self.bundle_dir(), expected=True)
        program = load_bundle(self.bundle_dir())[0]
        types = [n["attrs"]["types"] for n in walk_nodes(program["graph"]["nodes"]) if n["kind"] == "prim::isinstance"]
        self.assertEqual(types, [["int"]])

    def test_printed_attribute_respects_nesting_and_quotes(self):
        node = FakeNode("prim::isinstance", '%5 : bool = prim::isinstance[types=[Dict(str, List[int]), '
                                            'Tuple[int, int]]](%x)\n  more lines [ignored]')
        self.assertEqual(printed_attribute(node, "types"), ["Dict(str, List[int])", "Tuple[int, int]"])
        node = FakeNode("prim::Foo", '%1 : int = prim::Foo[name="a, ]b", ty=Tensor](%x)')
        self.assertEqual(printed_attribute(node, "ty"), ["Tensor"])
        with self.assertRaises(ConversionError):
            printed_attribute(node, "missing")


class RefusalsNameTheirPlace(BundleTestCase):
    def test_packed_sequence_parameter(self):
        packed = torch.nn.utils.rnn.pack_padded_sequence(torch.randn(5, 2, 4), torch.tensor([5, 3]))
        with self.assertRaises(ConversionError) as caught:
            write_bundle(TakesPacked(), (packed,), self.bundle_dir(), expected=True)
        error = caught.exception
        self.assertIn("input 'packed' is annotated PackedSequence", error.message)
        self.assertIn("test_many_exports.py", error.where)
        self.assertIn("def forward(self, packed: PackedSequence):", error.where)
        self.assertFalse(os.path.exists(self.bundle_dir()))

    def test_unreadable_node_is_refused_with_module_value_and_line(self):
        model = torch.nn.Sequential(torch.nn.Linear(3, 3), torch.nn.ReLU())
        original = graph_walk.GraphWriter._attributes

        def flaky(writer, node):
            if node.kind() == "aten::linear":
                raise AttributeError("'torch._C.Node' object has no attribute 'tys'")
            return original(writer, node)

        with mock.patch.object(graph_walk.GraphWriter, "_attributes", flaky):
            with self.assertRaises(ConversionError) as caught:
                write_bundle(model, (torch.randn(2, 3),), self.bundle_dir(), expected=True)
        error = caught.exception
        self.assertIn("cannot read aten::linear (output %", error.message)
        self.assertIn("in module '0'", error.message)
        self.assertIn("AttributeError", error.message)
        self.assertIn("linear.py", error.where)
        self.assertFalse(os.path.exists(self.bundle_dir()))

    def test_eager_update_of_a_parameter_is_refused(self):
        # nn.Embedding(max_norm=...) renormalizes its weight rows in eager; the scripted graph drops it.
        with self.assertRaises(ConversionError) as caught:
            write_bundle(torch.nn.Embedding(20, 8, max_norm=1.0), (torch.randint(0, 20, (2, 6)),), self.bundle_dir(), expected=True)
        self.assertIn("changes parameter(s) weight in place", caught.exception.message)
        self.assertFalse(os.path.exists(self.bundle_dir()))

    def test_unexpected_exception_becomes_a_conversion_error(self):
        with mock.patch.object(graph_walk.GraphWriter, "write", side_effect=KeyError("boom")):
            with self.assertRaises(ConversionError) as caught:
                write_bundle(torch.nn.ReLU(), (torch.randn(2),), self.bundle_dir(), expected=True)
        self.assertIn("ReLU: torch2program failed: KeyError", caught.exception.message)


if __name__ == "__main__":
    sys.exit(unittest.main())
