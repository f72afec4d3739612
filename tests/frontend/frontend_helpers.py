"""Shared helpers for the torch2program tests (run with /usr/bin/python3 -m unittest)."""
import json
import os
import shutil
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
TOOL_DIR = os.path.join(REPO, "tools", "torch2program")
TOOL = os.path.join(TOOL_DIR, "torch2program.py")
PYTHON = "/usr/bin/python3"
if TOOL_DIR not in sys.path:
    sys.path.insert(0, TOOL_DIR)

import torch  # noqa: E402

from torch2program_lib.tensors import read_safetensors  # noqa: E402


class BundleTestCase(unittest.TestCase):
    """A test case with a scratch directory removed afterwards."""

    def setUp(self):
        torch.manual_seed(0)
        self.tmp = tempfile.mkdtemp(prefix="t2p-test-")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def bundle_dir(self, name="bundle"):
        return os.path.join(self.tmp, name)


def load_bundle(path):
    """(program dict, weights, inputs, expected) of a bundle directory; expected is None
    when the bundle has no expected.safetensors (written only with expected=True)."""
    with open(os.path.join(path, "program.json"), encoding="utf-8") as f:
        program = json.load(f)
    tensors = [read_safetensors(os.path.join(path, f"{part}.safetensors")) for part in ("weights", "inputs")]
    expected_path = os.path.join(path, "expected.safetensors")
    expected = read_safetensors(expected_path) if os.path.exists(expected_path) else None
    return (program, *tensors, expected)


def walk_nodes(nodes):
    """Every node in program order, nested blocks included."""
    for node in nodes:
        yield node
        for block in node.get("blocks", []):
            yield from walk_nodes(block["nodes"])


def node_kinds(program):
    return [n["kind"] for n in walk_nodes(program["graph"]["nodes"])]


def check_value_scoping(test, program):
    """Every value is defined once in the whole graph and used only where the C++
    loader can see it: after its definition, and not after the block defining it."""
    all_names, visible = set(), set()

    def define(name):
        test.assertNotIn(name, all_names, f"value '{name}' defined twice")
        all_names.add(name)
        visible.add(name)

    def block(b, inputs):
        local = list(inputs)
        for name in inputs:
            define(name)
        for node in b["nodes"]:
            for name in node["inputs"]:
                test.assertIn(name, visible, f"{node['kind']} uses '{name}' where it is not visible")
            for sub in node.get("blocks", []):
                visible.difference_update(block(sub, sub["inputs"]))
            for name in node["outputs"]:
                define(name)
                local.append(name)
        for name in b["outputs"]:
            test.assertIn(name, visible, f"block output '{name}' is not visible")
        return local

    for value in program["graph"]["inputs"]:
        define(value["name"])
    block(program["graph"], [])
