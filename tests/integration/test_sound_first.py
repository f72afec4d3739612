"""Sound first (issue 10, docs/strategies.md "Sound first"), through the CLI
with the real engine: an unsound capture (⚠) does not end the chain, the
first sound one is exported; when none is sound, config/default.json fails
with exit 1, writes nothing and says how to allow it, and --allow-unsound
(or config/torch-compatible.json) exports the unsound graph with a ⚠."""
import os
import unittest

import torch
from torch import nn

from onnxport_testlib import DEFAULT_CONFIG, TORCH_CONFIG, OnnxportTestCase, example, fresh_dir, read_json, run
from torch_export_check import TorchExportMixin, export


def status(program, strategy, mark=""):
    line = "[onnxport] Obtain model graph for `%s` with `%s`..." % (program, strategy)
    return line + (" " + mark if mark else "")


class BranchOnBatch(nn.Module):
    def forward(self, x):
        if x.shape[0] == 3:
            return x * 2
        return x - 1


SEED = "ModelWithControlFlowTest"


class AnUnsoundCaptureDoesNotEndTheChain(OnnxportTestCase, TorchExportMixin):
    """strict, draft, cond-rewrite, draft: draft specializes `x.shape[0] == 3`
    (batch declared dynamic): ⚠, held; cond-rewrite makes it an If: ✅,
    exported, right for every batch size; the last draft never runs."""

    @classmethod
    def setUpClass(cls):
        torch.manual_seed(0)
        cls.ex = export(BranchOnBatch(), (torch.randn(3, 4),), "sound-first-shape-branch",
                        dynamic_shapes={"x": {0: "batch"}}, strategies=["strict", "draft", "cond-rewrite"])

    def test_cond_rewrite_is_chosen_after_the_held_draft_graph(self):
        self.assertTrue(self.ex.ok, self.ex.text())
        self.assertInOrder(self.ex.proc.stderr, [
            status("BranchOnBatch", "strict", "❌"), status("BranchOnBatch", "draft", "⚠"),
            "[onnxport] The graph of `draft` is not sound; it is held, and `cond-rewrite` is tried next",
            status("BranchOnBatch", "cond-rewrite", "✅")])
        report = self.ex.report
        self.assertEqual(report["capture"]["chosen_strategy"], "cond-rewrite")
        self.assertIs(report["soundness"]["sound"], True)
        self.assertEqual(report["status"]["strategies"], {"strict": "failed", "draft": "unsound", "cond-rewrite": "ok"})
        candidate = report["capture"]["unsound_candidate"]
        self.assertEqual((candidate["strategy"], candidate["used"]), ("draft", False))
        self.assertIn("Eq(batch, 3)", candidate["reasons"][0])
        self.assertIn("if x.shape[0] == 3:", candidate["reasons"][0])

    def test_the_model_is_right_on_both_branches(self):
        self.assertMatchesEager(self.ex, BranchOnBatch(), ["x"], [(torch.randn(3, 4),), (torch.randn(5, 4),)])


class NoSoundCaptureWithTheDefaultConfig(OnnxportTestCase):
    """examples/seed with strict, non-strict, draft: only draft captures, unsoundly."""

    @classmethod
    def setUpClass(cls):
        cls.out = fresh_dir("sound-first-refused")
        cls.model = os.path.join(cls.out, "seed.onnx")
        with open(cls.model, "wb") as f:
            f.write(b"an older model")
        cls.proc = run("export", example("seed"), "-c", DEFAULT_CONFIG, "--strategies", "strict,non-strict,draft",
                       "-o", cls.model, "--report", os.path.join(cls.out, "report"))
        cls.report = read_json(os.path.join(cls.out, "report", "report.json"))
        with open(os.path.join(cls.out, "report", "report.md")) as f:
            cls.md = f.read()

    def test_exit_1_and_nothing_written(self):
        self.assertExitCode(self.proc, 1, "export")
        with open(self.model, "rb") as f:
            self.assertEqual(f.read(), b"an older model")
        self.assertEqual([n for n in os.listdir(self.out) if n != "report"], ["seed.onnx"])
        self.assertIs(self.report["status"]["output_written"], False)

    def test_status_lines_and_error_say_why_and_how_to_allow_it(self):
        err = self.proc.stderr
        self.assertInOrder(err, [
            status(SEED, "strict", "❌"), status(SEED, "non-strict", "❌"), "[onnxport] Draft Export report:",
            status(SEED, "draft", "⚠"),
            "error: no strategy captured a sound graph of `%s`; `draft`'s graph is not sound and allow_unsound is "
            "off, so no model was written" % SEED,
            "  strict: ", "  non-strict: ", "  draft: not sound (the candidate):",
            "    - assumes `Ne(u0, 0)`", "plot_exporter_recipes_oe_cond.py:24:8: if x.sum():",
            "  hint: to export the unsound graph anyway", "pass --allow-unsound or set \"allow_unsound\": true"])
        self.assertNotIn("Run decomposition", err)

    def test_report_shows_every_attempt_and_the_candidate(self):
        self.assertEqual(self.report["status"]["strategies"],
                         {"strict": "failed", "non-strict": "failed", "draft": "unsound"})
        self.assertEqual(self.report["status"]["stages"]["capture"], "failed")
        self.assertEqual(self.report["capture"]["chosen_strategy"], "")
        candidate = self.report["capture"]["unsound_candidate"]
        self.assertEqual((candidate["strategy"], candidate["used"]), ("draft", False))
        self.assertEqual([a["expr"] for a in candidate["runtime_assertions"]], ["Ne(u0, 0)"])
        self.assertIn("--allow-unsound", candidate["hint"])
        stage = [s for s in self.report["stages"] if s["name"] == "capture"][0]
        self.assertEqual([d["code"] for d in stage["diagnostics"]], ["unsound-capture-refused"])
        self.assertIn("## Unsound candidate", self.md)
        self.assertIn("`--allow-unsound`", self.md)
        self.assertIn("### ⚠ `draft`", self.md)

    def test_allow_unsound_exports_it_with_a_warning_sign(self):
        out = fresh_dir("sound-first-allowed")
        model = os.path.join(out, "seed.onnx")
        proc = run("export", example("seed"), "-c", DEFAULT_CONFIG, "--strategies", "strict,non-strict,draft",
                   "--allow-unsound", "-o", model, "--report", os.path.join(out, "report"))
        self.assertExitCode(proc, 0, "export --allow-unsound")
        self.assertTrue(os.path.isfile(model))
        self.assertIn(status(SEED, "draft", "⚠"), proc.stderr)
        self.assertNotIn(status(SEED, "draft", "✅"), proc.stderr)
        report = read_json(os.path.join(out, "report", "report.json"))
        self.assertIs(report["request"]["allow_unsound"], True)
        self.assertEqual(report["capture"]["chosen_strategy"], "draft")
        self.assertIs(report["soundness"]["sound"], False)
        self.assertIs(report["capture"]["unsound_candidate"]["used"], True)
        with open(os.path.join(out, "report", "report.md")) as f:
            self.assertIn("**Result: ⚠ exported, not sound**", f.read())

    def test_torch_compatible_config_allows_it(self):
        out = fresh_dir("sound-first-torch")
        proc = run("export", example("seed"), "-c", TORCH_CONFIG, "-o", os.path.join(out, "seed.onnx"))
        self.assertExitCode(proc, 0, "export with torch-compatible.json")
        self.assertIn(status(SEED, "draft", "⚠"), proc.stderr)

    def test_no_allow_unsound_overrides_a_config_that_allows_it(self):
        out = fresh_dir("sound-first-torch-refused")
        model = os.path.join(out, "seed.onnx")
        proc = run("export", example("seed"), "-c", TORCH_CONFIG, "--no-allow-unsound", "-o", model,
                   "--report", os.path.join(out, "report"))
        self.assertExitCode(proc, 1, "export with torch-compatible.json --no-allow-unsound")
        self.assertFalse(os.path.exists(model))
        self.assertIn(status(SEED, "draft", "⚠"), proc.stderr)
        self.assertIn("allow_unsound is off, so no model was written", proc.stderr)
        report = read_json(os.path.join(out, "report", "report.json"))
        self.assertIs(report["request"]["allow_unsound"], False)
        self.assertIs(report["capture"]["unsound_candidate"]["used"], False)

    def test_allow_unsound_and_its_negation_exclude_each_other(self):
        out = fresh_dir("sound-first-both")
        proc = run("export", example("seed"), "-c", TORCH_CONFIG, "--allow-unsound", "--no-allow-unsound",
                   "-o", os.path.join(out, "seed.onnx"))
        self.assertExitCode(proc, 2, "export --allow-unsound --no-allow-unsound")
        self.assertIn("excludes", proc.stderr)


class SignBranch(nn.Module):
    def forward(self, x):
        if x.sum() > 0:  # a branch on data: torch.jit.trace keeps the one the example takes
            return x * 2
        return x - 1


class Doubling(nn.Module):
    def forward(self, x):
        return x * 2 + 1


class CheckedDoubling(nn.Module):
    def forward(self, x):
        assert bool(x.abs().max() < 1e6), "too large"
        if bool(torch.isnan(x).any()):
            raise ValueError("x has a NaN")
        return x * 2


class ATracedProgramThatFixedABranchIsNotSound(OnnxportTestCase, TorchExportMixin):
    """torch2program fell back to torch.jit.trace (forced here) and the trace
    kept the branch of the example input, saying so in a TracerWarning: every
    strategy's graph is unsound, later strategies are not tried, the default
    config refuses with the warning's line, torch-compatible.json exports it
    with ⚠ (that model is wrong on a negative sum, as torch's would be)."""

    @classmethod
    def setUpClass(cls):
        cls.args = (torch.ones(2, 3),)
        cls.refused = export(SignBranch(), cls.args, "sound-first-traced-branch", force_trace=True)
        cls.allowed = export(SignBranch(), cls.args, "sound-first-traced-branch-allowed", force_trace=True,
                             config=TORCH_CONFIG)
        cls.plain = export(Doubling(), cls.args, "sound-first-traced-plain", force_trace=True)
        cls.checked = export(CheckedDoubling(), cls.args, "sound-first-traced-checks", force_trace=True)

    def test_the_default_config_refuses_naming_the_traced_line(self):
        ex = self.refused
        self.assertExitCode(ex.proc, 1, "export of a traced branch")
        self.assertFalse(os.path.exists(os.path.join(ex.folder, "model.onnx")))
        self.assertInOrder(ex.proc.stderr, [
            status("SignBranch", "strict", "⚠"),
            "torch.jit.trace fixed values of the example inputs when the program was captured"])
        self.assertNotIn(status("SignBranch", "non-strict"), ex.proc.stderr)
        reasons = ex.report["capture"]["unsound_candidate"]["reasons"]
        self.assertEqual(len(reasons), 1, reasons)
        self.assertIn("test_sound_first.py:", reasons[0])
        self.assertIn("Converting a tensor to a Python boolean might cause the trace to be incorrect.", reasons[0])
        self.assertIn("make the module scriptable", ex.proc.stderr)

    def test_torch_compatible_config_exports_it_unsound(self):
        ex = self.allowed
        self.assertTrue(ex.ok, ex.text())
        self.assertIn(status("SignBranch", "non-strict", "⚠"), ex.proc.stderr)  # the config's first strategy
        self.assertIs(ex.report["soundness"]["sound"], False)
        self.assertMatchesEager(ex, SignBranch(), ["x"], [self.args])

    def test_a_trace_without_such_warnings_stays_sound(self):
        ex = self.plain
        self.assertTrue(ex.ok, ex.text())
        self.assertIn(status("Doubling", "strict", "✅"), ex.proc.stderr)
        self.assertIs(ex.report["soundness"]["sound"], True)

    def test_argument_checks_in_a_trace_are_not_specializations(self):
        ex = self.checked
        self.assertTrue(ex.ok, ex.text())
        self.assertIn(status("CheckedDoubling", "strict", "✅"), ex.proc.stderr)
        self.assertIs(ex.report["soundness"]["sound"], True)
        producer = read_json(os.path.join(ex.folder, "bundle", "program.json"))["producer"]
        self.assertEqual(len(producer["trace_warnings"]), 2, producer)
        self.assertEqual(producer["trace_checks"], producer["trace_warnings"])
        self.assertMatchesEager(ex, CheckedDoubling(), ["x"], [self.args, (-torch.ones(2, 3),)])


if __name__ == "__main__":
    unittest.main()
