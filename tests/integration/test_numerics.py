"""Exported models in ONNX Runtime against the reference interpreter (and both
against the seed's model computed in plain Python), issue 2's numerics."""
import os
import shutil
import unittest

from onnxport_testlib import (DEFAULT_CONFIG, TORCH_CONFIG, OnnxportTestCase, example, fresh_dir, read_json,
                              read_safetensors, run, seed_forward, seed_mlp, write_safetensors)

POSITIVE = [-3.0, -3.0, -3.0]  # MLP output > 0
NEGATIVE = [5.0, 5.0, 5.0]     # MLP output < 0


class ExportedModelsInOnnxRuntime(OnnxportTestCase):
    @classmethod
    def setUpClass(cls):
        cls.out = fresh_dir("numerics")
        cls.inputs = {}
        for name, x in (("positive", POSITIVE), ("negative", NEGATIVE)):
            path = os.path.join(cls.out, "x-%s.safetensors" % name)
            write_safetensors(path, {"x": ([3], x)})
            cls.inputs[name] = (path, x)

    def export(self, bundle, config, tag):
        model = os.path.join(self.out, "%s-%s.onnx" % (bundle, tag))
        report = os.path.join(self.out, "%s-%s-report" % (bundle, tag))
        proc = run("export", example(bundle), "-c", config, "-o", model, "--report", report)
        self.assertExitCode(proc, 0, "export %s with %s" % (bundle, tag))
        return model, read_json(os.path.join(report, "report.json"))

    def run_both(self, bundle, model, which):
        """`onnxport run` on one input: (exit code, reference outputs, ONNX Runtime outputs)."""
        path, _ = self.inputs[which]
        ref = os.path.join(self.out, "ref.safetensors")
        got = os.path.join(self.out, "ort.safetensors")
        for f in (ref, got):
            if os.path.exists(f):
                os.remove(f)
        proc = run("run", example(bundle), "--inputs", path, "--onnx", model, "--save", ref, "--save-onnx", got)
        self.assertIn(proc.returncode, (0, 1), proc.stderr)
        ref_values = list(read_safetensors(ref).values())[0][2]
        ort_values = list(read_safetensors(got).values())[0][2]
        return proc, ref_values, ort_values

    def assert_model_matches_reference(self, bundle, variant, model):
        for which in ("positive", "negative"):
            proc, ref, ort = self.run_both(bundle, model, which)
            expected = seed_forward(self.inputs[which][1], variant)
            self.assertClose(ref, expected, what="reference interpreter, %s, x %s" % (bundle, which))
            self.assertClose(ort, ref, what="ONNX Runtime vs reference, %s, x %s" % (bundle, which))
            self.assertExitCode(proc, 0, "onnxport run %s --onnx (x %s)" % (bundle, which))

    def test_seed_default_config(self):
        model, report = self.export("seed", DEFAULT_CONFIG, "default")
        self.assertEqual(report["capture"]["chosen_strategy"], "cond-rewrite")
        self.assert_model_matches_reference("seed", "seed", model)

    def test_seed_torch_compatible_config(self):
        # `if x.sum():` tests for non-zero: both inputs take `x * 2`, so the
        # specialized draft model is right on both.
        model, report = self.export("seed", TORCH_CONFIG, "torch")
        self.assertEqual(report["capture"]["chosen_strategy"], "draft")
        self.assert_model_matches_reference("seed", "seed", model)

    def test_seed_cond_default_config(self):
        model, report = self.export("seed-cond", DEFAULT_CONFIG, "default")
        self.assertEqual(report["capture"]["chosen_strategy"], "strict")
        self.assert_model_matches_reference("seed-cond", "cond", model)

    def test_seed_gt_default_config_is_right_on_both(self):
        model, report = self.export("seed-gt", DEFAULT_CONFIG, "default")
        self.assertEqual(report["capture"]["chosen_strategy"], "cond-rewrite")
        self.assertIs(report["soundness"]["sound"], True)
        self.assert_model_matches_reference("seed-gt", "gt", model)

    def test_seed_gt_torch_compatible_draft_is_wrong_where_the_report_warned(self):
        model, report = self.export("seed-gt", TORCH_CONFIG, "torch")
        # The report said the branch was specialized...
        self.assertEqual(report["capture"]["chosen_strategy"], "draft")
        self.assertIs(report["soundness"]["sound"], False)
        self.assertIn("specialized", report["soundness"]["draft_report"])
        self.assertTrue(report["soundness"]["runtime_assertions"])
        # ...right on the example input (x = [-3, -3, -3]) it was specialized on...
        proc, ref, ort = self.run_both("seed-gt", model, "positive")
        self.assertExitCode(proc, 0, "draft model on x = -3")
        self.assertClose(ort, ref)
        # ...and wrong on x = [5, 5, 5], whose branch goes the other way.
        proc, ref, ort = self.run_both("seed-gt", model, "negative")
        self.assertClose(ref, seed_forward(NEGATIVE, "gt"), what="reference interpreter")
        self.assertClose(ort, [2 * v for v in seed_mlp(NEGATIVE)],
                         what="the draft model computes x * 2 where the program computes -x")
        self.assertExitCode(proc, 1, "onnxport run must report the mismatch")
        self.assertIn("❌", proc.stdout)


class VerifyOption(OnnxportTestCase):
    """`onnxport export --verify`: ONNX Runtime against expected.safetensors or the reference interpreter."""

    def test_verify_against_the_reference_interpreter(self):
        out = fresh_dir("verify-reference")
        model = os.path.join(out, "gt.onnx")
        proc = run("export", example("seed-gt"), "-c", DEFAULT_CONFIG, "-o", model, "--verify", "--report", out + "/r")
        self.assertExitCode(proc, 0, "export --verify")
        self.assertIn("[onnxport] Run the model in ONNX Runtime... ✅", proc.stderr)
        self.assertIn("[onnxport] Compare the outputs with the reference interpreter (run_program)... ✅", proc.stderr)
        verification = read_json(os.path.join(out, "r", "report.json"))["verification"]
        self.assertEqual(verification["inputs"], "inputs.safetensors")
        self.assertTrue(verification["reference"].startswith("reference interpreter"))
        self.assertTrue(all(o["ok"] for o in verification["outputs"]))
        self.assertTrue(os.path.isfile(model))

    def bundle_with_expected(self, out, values):
        bundle = os.path.join(out, "bundle")
        shutil.copytree(example("seed-gt"), bundle)
        write_safetensors(os.path.join(bundle, "expected.safetensors"), {"output.0": ([1], values)})
        return bundle

    def test_verify_against_expected_outputs(self):
        out = fresh_dir("verify-expected")
        bundle = self.bundle_with_expected(out, seed_forward(POSITIVE, "gt"))
        model = os.path.join(out, "gt.onnx")
        proc = run("export", bundle, "-c", DEFAULT_CONFIG, "-o", model, "--verify")
        self.assertExitCode(proc, 0, "export --verify")
        self.assertIn("Compare the outputs with the expected.safetensors... ✅", proc.stderr)

    def test_failed_verification_leaves_no_model(self):
        out = fresh_dir("verify-wrong")
        bundle = self.bundle_with_expected(out, [42.0])
        model = os.path.join(out, "gt.onnx")
        proc = run("export", bundle, "-c", DEFAULT_CONFIG, "-o", model, "--verify", "--report", out + "/r")
        self.assertExitCode(proc, 1, "export --verify with wrong expected outputs")
        self.assertIn("Compare the outputs with the expected.safetensors... ❌", proc.stderr)
        self.assertFalse(os.path.exists(model))
        self.assertEqual([f for f in os.listdir(out) if f.endswith(".onnx")], [])
        report = read_json(os.path.join(out, "r", "report.json"))
        self.assertEqual(report["status"]["stages"]["accuracy"], "failed")
        self.assertFalse(report["status"]["output_written"])


if __name__ == "__main__":
    unittest.main()
