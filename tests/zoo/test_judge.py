"""How the zoo judges an export: a model that differs from eager is WRONG and fails the run;
float32 accumulation is told from a bug by eager float64 (tests/zoo/run_zoo.py).

    /usr/bin/python3 -m unittest -v test_judge      (ONNXPORT=build/bin/onnxport for the end-to-end test)
"""
import argparse
import os
import shutil
import sys
import tempfile
import unittest

import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import run_zoo  # noqa: E402
from zoo_spec import Entry, TensorInput  # noqa: E402


class JudgeWithFloat64Test(unittest.TestCase):
    def setUp(self):
        torch.manual_seed(0)
        self.reference = torch.randn(4, 10, dtype=torch.float64) * 3

    def noisy(self, size):
        return (self.reference + size * torch.randn_like(self.reference)).float()

    def test_error_of_the_order_of_eager_float32_is_accumulation(self):
        verdict = run_zoo.judge_with_float64(self.noisy(2e-4), self.noisy(1e-4), self.reference, torch)
        self.assertEqual(verdict["verdict"], "accumulation", verdict)

    def test_one_wrong_element_is_wrong(self):
        ort = self.noisy(1e-6)
        ort[1, 3] += 0.05  # far above eager's float32 error, far below the output's scale
        verdict = run_zoo.judge_with_float64(ort, self.noisy(1e-6), self.reference, torch)
        self.assertEqual(verdict["verdict"], "wrong", verdict)

    def test_nan_where_eager_has_a_number_is_wrong(self):
        ort = self.noisy(1e-6)
        ort[0, 0] = float("nan")
        self.assertEqual(run_zoo.judge_with_float64(ort, self.noisy(1e-6), self.reference, torch)["verdict"], "wrong")

    def test_rounding_that_moves_the_output_by_percents_is_ill_conditioned(self):
        # efficientnet_v2_m at 64x64: eager float32 is 9% of the output away from float64
        verdict = run_zoo.judge_with_float64(self.noisy(0.2), self.noisy(0.3), self.reference, torch)
        self.assertEqual(verdict["verdict"], "ill-conditioned", verdict)


class ExitStatusTest(unittest.TestCase):
    def test_a_wrong_entry_fails_the_run(self):
        self.assertEqual(run_zoo.exit_status({"a": run_zoo.PASS, "b": run_zoo.WRONG}, require_pass=False), 1)

    def test_clean_failures_fail_only_when_every_entry_must_pass(self):
        results = {"a": run_zoo.PASS, "b": run_zoo.REFUSED, "c": run_zoo.WEAK}
        self.assertEqual(run_zoo.exit_status(results, require_pass=False), 0)
        self.assertEqual(run_zoo.exit_status(results, require_pass=True), 1)
        self.assertEqual(run_zoo.exit_status({"a": run_zoo.PASS}, require_pass=True), 0)


class DriftingWorker(run_zoo.Worker):
    """Changes the module's weights after the export: the model then differs from eager, as a
    wrong translation would make it."""

    def __init__(self, opts, drift):
        super().__init__(opts)
        self.drift = drift
        self.module = None

    def _build(self, entry):
        self.module = super()._build(entry)
        return self.module

    def _export(self, work, record):
        super()._export(work, record)
        with torch.no_grad():
            for p in self.module.parameters():
                p.add_(self.drift * torch.randn_like(p))


@unittest.skipUnless(os.environ.get("ONNXPORT"), "set ONNXPORT to the onnxport binary")
class EndToEndTest(unittest.TestCase):
    """A real export of a small module through the zoo's worker, verified in ONNX Runtime."""

    def run_entry(self, drift):
        sys.path.insert(0, os.path.join(run_zoo.REPO, "tests", "control_flow"))
        work = tempfile.mkdtemp(prefix="zoo-judge-")
        self.addCleanup(shutil.rmtree, work, ignore_errors=True)
        opts = argparse.Namespace(onnxport=os.environ["ONNXPORT"], work=work, timeout=300, batches=[1, 3],
                                  config=os.path.join(run_zoo.REPO, "config", "default.json"))
        entry = Entry("judge_probe", "layer", lambda: nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 8)),
                      [TensorInput("x", (16,))])
        return DriftingWorker(opts, drift).run(entry)

    def test_the_exported_model_passes(self):
        record = self.run_entry(drift=0.0)
        self.assertEqual(record["outcome"], run_zoo.PASS, record)

    def test_a_model_that_differs_from_eager_is_wrong(self):
        record = self.run_entry(drift=1e-3)
        self.assertEqual(record["outcome"], run_zoo.WRONG, record)
        self.assertIn("against float64 eager", record["diagnostic"])
        self.assertEqual(run_zoo.exit_status({record["name"]: record["outcome"]}, require_pass=False), 1)


if __name__ == "__main__":
    unittest.main()
