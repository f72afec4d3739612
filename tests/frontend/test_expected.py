"""Eager PyTorch runs only when asked (expected=True / --expected), and the time split
(script, walk, weights, eager) is reported (docs/torch2program.md, "Expected outputs and timings")."""
import contextlib
import io
import os
import sys
import unittest
from unittest import mock

import torch
import torch.nn.functional as F

from frontend_helpers import BundleTestCase, load_bundle

import torch2program  # noqa: E402
from torch2program import ConversionError, write_bundle  # noqa: E402
from torch2program_lib import bundle as bundle_module  # noqa: E402

PHASES = {"script", "walk", "weights", "eager"}


class Small(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = torch.nn.Linear(3, 4)

    def forward(self, x):
        return torch.relu(self.lin(x)), x.sum()


class RenormsItsWeight(torch.nn.Module):
    """F.embedding(max_norm=...) renormalizes the rows it reads in eager; the scripted graph drops it."""

    def __init__(self):
        super().__init__()
        self.table = torch.nn.Parameter(torch.randn(10, 4) * 5)

    def forward(self, idx):
        return F.embedding(idx, self.table, max_norm=1.0)


class DefaultWritesNoExpected(BundleTestCase):
    def test_forward_is_not_run_and_no_expected_file(self):
        with mock.patch.object(bundle_module, "_run_eager", side_effect=AssertionError("eager ran")):
            summary = write_bundle(Small(), (torch.randn(2, 3),), self.bundle_dir())
        self.assertFalse(os.path.exists(os.path.join(self.bundle_dir(), "expected.safetensors")))
        self.assertIsNone(summary["outputs"])
        self.assertEqual(set(summary["timings"]), PHASES)
        self.assertEqual(summary["timings"]["eager"], 0.0)
        self.assertGreater(summary["timings"]["script"], 0.0)
        self.assertGreater(summary["timings"]["walk"], 0.0)
        self.assertGreater(summary["timings"]["weights"], 0.0)
        program, weights, inputs, expected = load_bundle(self.bundle_dir())
        self.assertIsNone(expected)
        self.assertEqual(set(weights), {"lin.weight", "lin.bias"})

    def test_expected_true_writes_eager_outputs_once(self):
        module, x = Small(), torch.randn(2, 3)
        calls = []
        original = bundle_module._run_eager

        def counting(*args):
            calls.append(1)
            return original(*args)

        with mock.patch.object(bundle_module, "_run_eager", side_effect=counting):
            summary = write_bundle(module, (x,), self.bundle_dir(), expected=True)
        self.assertEqual(len(calls), 1)
        self.assertEqual(summary["outputs"], 2)
        self.assertGreater(summary["timings"]["eager"], 0.0)
        _, _, _, expected = load_bundle(self.bundle_dir())
        with torch.no_grad():
            y, s = module(x)
        self.assertTrue(torch.equal(expected["output.0"], y))
        self.assertTrue(torch.equal(expected["output.1"], s))

    def test_a_stale_expected_file_is_removed(self):
        write_bundle(Small(), (torch.randn(2, 3),), self.bundle_dir(), expected=True)
        self.assertTrue(os.path.exists(os.path.join(self.bundle_dir(), "expected.safetensors")))
        write_bundle(Small(), (torch.randn(2, 3),), self.bundle_dir())
        self.assertFalse(os.path.exists(os.path.join(self.bundle_dir(), "expected.safetensors")))

    def test_same_program_and_weights_with_and_without_expected(self):
        torch.manual_seed(1)
        module, x = Small(), torch.randn(2, 3)
        write_bundle(module, (x,), self.bundle_dir("a"))
        write_bundle(module, (x,), self.bundle_dir("b"), expected=True)
        for name in ("program.json", "weights.safetensors", "inputs.safetensors"):
            with open(os.path.join(self.bundle_dir("a"), name), "rb") as a, \
                    open(os.path.join(self.bundle_dir("b"), name), "rb") as b:
                self.assertEqual(a.read(), b.read(), name)


class ParameterUpdates(BundleTestCase):
    def test_renormalizing_embeddings_are_refused_without_eager(self):
        for module in (torch.nn.Embedding(20, 8, max_norm=1.0), torch.nn.EmbeddingBag(20, 8, max_norm=2.0)):
            with self.subTest(type(module).__name__):
                with mock.patch.object(bundle_module, "_run_eager", side_effect=AssertionError("eager ran")):
                    with self.assertRaises(ConversionError) as caught:
                        write_bundle(torch.nn.Sequential(module), (torch.randint(0, 20, (2, 6)),), self.bundle_dir())
                self.assertIn("changes parameter(s) 0.weight in place", caught.exception.message)
                self.assertFalse(os.path.exists(self.bundle_dir()))

    def test_functional_renormalization_is_refused_by_the_eager_run(self):
        idx = torch.tensor([[0, 3, 3, 9]])
        with self.assertRaises(ConversionError) as caught:
            write_bundle(RenormsItsWeight(), (idx,), self.bundle_dir(), expected=True)
        self.assertIn("changes parameter(s) table in place", caught.exception.message)
        self.assertFalse(os.path.exists(self.bundle_dir()))


class CommandLine(BundleTestCase):
    def run_main(self, *args):
        with contextlib.redirect_stdout(io.StringIO()) as stdout, contextlib.redirect_stderr(io.StringIO()) as stderr:
            code = torch2program.main([*args, "-o", self.bundle_dir()])
        self.assertEqual(code, 0, stderr.getvalue())
        return stdout.getvalue()

    def test_timings_without_expected(self):
        out = self.run_main("torch.nn:Linear", "--kwargs", '{"in_features": 3, "out_features": 2}',
                            "--input", "x=2x3", "--timings")
        line = next(l for l in out.splitlines() if "seconds:" in l)
        for phase in ("startup", "script", "walk", "weights"):
            self.assertRegex(line, rf"{phase} \d+\.\d\d")
        self.assertIn("eager - (no --expected)", line)
        self.assertNotIn("expected outputs", out)
        self.assertFalse(os.path.exists(os.path.join(self.bundle_dir(), "expected.safetensors")))

    def test_expected_and_timings(self):
        out = self.run_main("torch.nn:Linear", "--kwargs", '{"in_features": 3, "out_features": 2}',
                            "--input", "x=2x3", "--expected", "--timings")
        self.assertIn("1 expected outputs", out)
        self.assertRegex(out, r"eager \d+\.\d\d")
        _, _, inputs, expected = load_bundle(self.bundle_dir())
        self.assertEqual(tuple(expected["output.0"].shape), (2, 2))


if __name__ == "__main__":
    sys.exit(unittest.main())
