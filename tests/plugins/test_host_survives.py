"""A host that survives bad plugins (issue 5), end to end through the CLI.

Each test lists a misbehaving strategy (tests/plugins/zoo/bad_strategies_plugin.cpp)
first and the built-in `cond-rewrite` after it, or loads misbehaving
translators (zoo/bad_translators_plugin.cpp) above the built-in ones, and
checks the exact diagnostic, the seed's status lines and that the export
still succeeds with what is left.

Environment (tests/plugins/CMakeLists.txt): ONNXPORT, ONNXPORT_SOURCE,
ONNXPORT_WORK, ONNXPORT_ZOO (the folder of the zoo plugins).
"""
import json
import os
import resource
import signal
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
from onnxport_testlib import (ONNXPORT, OnnxportTestCase, example, fresh_dir, read_json,  # noqa: E402
                              read_onnx_graph, run)

ZOO = os.environ.get("ONNXPORT_ZOO", "")
BAD_STRATEGIES = os.path.join(ZOO, "libonnxport-plugintest-bad-strategies.so")
BAD_TRANSLATORS = os.path.join(ZOO, "libonnxport-plugintest-bad-translators.so")
BUILTIN_PLUGINS = [{"name": n} for n in ("strategy-strict", "strategy-cond-rewrite", "translators-aten")]
PROGRAM = "ModelWithControlFlowTest"
PLUGIN = "plugintest-bad-strategies"


def status(strategy, ok):
    return "[onnxport] Obtain model graph for `%s` with `%s`... %s" % (PROGRAM, strategy, "✅" if ok else "❌")


class HostSurvives(OnnxportTestCase):
    def setUp(self):
        self.dir = fresh_dir("survive-" + self._testMethodName)
        self.model = os.path.join(self.dir, "out.onnx")
        self.report = os.path.join(self.dir, "report")

    def config(self, strategies, extra_plugins=(BAD_STRATEGIES,), **options):
        doc = {"plugins": BUILTIN_PLUGINS + [{"path": p} for p in extra_plugins], "strategies": strategies}
        doc.update(options)
        path = os.path.join(self.dir, "config.json")
        with open(path, "w") as f:
            json.dump(doc, f, indent=1)
        return path

    def export(self, config, *extra):
        # -v: a failing strategy's full diagnostics between its status lines
        # (without it, a successful export prints one line per failure).
        return run("export", example("seed"), "-c", config, "-o", self.model, "--report", self.report, "-v", *extra,
                   timeout=120)

    def assertFallsBackFrom(self, bad, proc, *diagnostic_lines):
        """The bad strategy's attempt fails with `diagnostic_lines` printed
        between its status lines, then cond-rewrite exports the model."""
        self.assertExitCode(proc, 0, "export after `%s`" % bad)
        self.assertInOrder(proc.stderr, ["[onnxport] Obtain model graph for `%s` with `%s`...\n" % (PROGRAM, bad),
                                         *diagnostic_lines, status(bad, False), status("cond-rewrite", True)])
        self.assertTrue(os.path.isfile(self.model))
        report = read_json(os.path.join(self.report, "report.json"))
        attempt = report["capture"]["attempts"][0]
        self.assertEqual((attempt["strategy"], attempt["plugin"], attempt["status"]), (bad, PLUGIN, "failed"))
        return attempt

    # -- strategies, in process ---------------------------------------------

    def test_a_strategy_that_throws(self):
        proc = self.export(self.config(["zoo-throws", "cond-rewrite"]))
        attempt = self.assertFallsBackFrom("zoo-throws", proc, "error[strategy-threw]: strategy 'zoo-throws' (plugin "
                                           "plugintest-bad-strategies) threw: zoo-throws gave up on purpose")
        self.assertEqual(attempt["diagnostics"][0]["code"], "strategy-threw")

    def test_a_dangling_value_is_rejected_before_translation(self):
        proc = self.export(self.config(["zoo-dangling", "cond-rewrite"]))
        attempt = self.assertFallsBackFrom(
            "zoo-dangling", proc,
            "error[strategy-malformed-graph]: strategy 'zoo-dangling' (plugin plugintest-bad-strategies) returned a "
            "malformed graph (1 problem):\n"
            "  - body/nodes/0 (aten::relu) input 0: dangling value id 42 (graph has 2 values)")
        self.assertEqual(attempt["diagnostics"][0]["code"], "strategy-malformed-graph")

    def test_a_known_op_with_the_wrong_arity_is_rejected(self):
        proc = self.export(self.config(["zoo-wrong-arity", "cond-rewrite"]))
        self.assertFallsBackFrom(
            "zoo-wrong-arity", proc,
            "returned a malformed graph (1 problem):\n"
            "  - body/nodes/0 (aten::linear): wrong arity: 1 argument(s) given; aten::linear: the call does not fit "
            "the schema aten::linear(Tensor input, Tensor weight, Tensor? bias=None) -> Tensor: argument 'weight' "
            "(position 1, Tensor) is missing and has no default")

    # -- what the console shows of failed strategies ---------------------------

    def quiet_export(self, config):
        return run("export", example("seed"), "-c", config, "-o", self.model, "--report", self.report, timeout=120)

    def test_a_successful_export_prints_one_line_per_failed_strategy(self):
        proc = self.quiet_export(self.config(["zoo-throws", "strict", "cond-rewrite"]))
        self.assertExitCode(proc, 0, "export after two failed strategies")
        self.assertInOrder(proc.stderr, [
            status("zoo-throws", False),
            "[onnxport] `zoo-throws` failed: error[strategy-threw]: strategy 'zoo-throws' (plugin "
            "plugintest-bad-strategies) threw: zoo-throws gave up on purpose\n",
            status("strict", False),
            "[onnxport] `strict` failed: error[data-dependent-branch] at ", "`if x.sum():`",
            status("cond-rewrite", True)])
        # The full diagnostics (location arrows, hints, partial graphs) are in the report only.
        self.assertNotIn("  --> ", proc.stderr)
        self.assertNotIn("= hint:", proc.stderr)
        report = read_json(os.path.join(self.report, "report.json"))
        self.assertTrue(report["capture"]["attempts"][1]["partial_graph"])

    def test_a_failed_export_prints_every_strategy_in_full(self):
        proc = self.quiet_export(self.config(["zoo-throws", "strict"]))
        self.assertExitCode(proc, 1, "export where every strategy fails")
        report = read_json(os.path.join(self.report, "report.json"))
        partial = report["capture"]["attempts"][1]["partial_graph"]
        self.assertInOrder(proc.stderr, [
            status("zoo-throws", False), status("strict", False),
            "[onnxport] Why `zoo-throws` failed:", "error[strategy-threw]",
            "[onnxport] Why `strict` failed:", partial.strip().splitlines()[0], "error[data-dependent-branch]",
            "  --> ", "if x.sum():"])

    # -- strategies, isolated -----------------------------------------------

    def test_a_segfault_with_isolate_flag(self):
        proc = self.export(self.config(["zoo-segfault", "cond-rewrite"]), "--isolate")
        attempt = self.assertFallsBackFrom(
            "zoo-segfault", proc,
            "error[strategy-crashed]: strategy 'zoo-segfault' (plugin plugintest-bad-strategies) crashed with SIGSEGV "
            "(Segmentation fault) in its isolated process")
        self.assertEqual(attempt["diagnostics"][0]["code"], "strategy-crashed")

    def test_an_abort_with_isolate_in_the_config(self):
        proc = self.export(self.config(["zoo-abort", "cond-rewrite"], isolate=True))
        self.assertFallsBackFrom(
            "zoo-abort", proc,
            "error[strategy-crashed]: strategy 'zoo-abort' (plugin plugintest-bad-strategies) crashed with SIGABRT "
            "(Aborted) in its isolated process")

    def test_a_hang_is_killed_at_the_config_timeout(self):
        start = time.monotonic()
        proc = self.export(self.config(["zoo-hang", "cond-rewrite"], isolate=True, timeout_s=1))
        self.assertLess(time.monotonic() - start, 60)
        attempt = self.assertFallsBackFrom(
            "zoo-hang", proc,
            "error[strategy-timeout]: strategy 'zoo-hang' (plugin plugintest-bad-strategies) did not finish within "
            "1 s (timeout_s) and was killed")
        self.assertGreaterEqual(attempt["seconds"], 1.0)

    def test_the_timeout_flag_overrides_the_config(self):
        proc = self.export(self.config(["zoo-hang", "cond-rewrite"], timeout_s=600), "--isolate", "--timeout", "1.5")
        self.assertFallsBackFrom("zoo-hang", proc, "did not finish within 1.5 s (timeout_s) and was killed")

    def test_isolation_changes_nothing_for_good_strategies(self):
        config = self.config(["strict", "cond-rewrite"])
        plain = self.export(config)
        self.assertExitCode(plain, 0, "plain export")
        with open(self.model, "rb") as f:
            plain_model = f.read()
        isolated = self.export(config, "--isolate")
        self.assertExitCode(isolated, 0, "isolated export")
        with open(self.model, "rb") as f:
            self.assertEqual(f.read(), plain_model, "the graph must cross the process boundary unchanged")
        self.assertInOrder(isolated.stderr, ["aten::Bool(sum_1)", "error[data-dependent-branch]", status("strict", False),
                                          status("cond-rewrite", True)])

    def test_without_isolation_a_crash_is_fatal(self):
        # Documented behaviour (docs/isolation.md): only --isolate survives
        # crashes. No core file (core_pattern may be a plain "core" in the cwd).
        config = self.config(["zoo-segfault", "cond-rewrite"])
        proc = subprocess.run([ONNXPORT, "export", example("seed"), "-c", config, "-o", self.model],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=120, cwd=self.dir,
                              preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_CORE, (0, 0)))
        self.assertEqual(proc.returncode, -signal.SIGSEGV, proc.stderr)
        self.assertFalse(os.path.exists(self.model))

    def test_timeout_without_isolation_warns(self):
        proc = self.export(self.config(["cond-rewrite"], timeout_s=5))
        self.assertExitCode(proc, 0)
        self.assertIn("[onnxport] warning: timeout_s (5 s) has no effect without isolation", proc.stderr)

    # -- translators ----------------------------------------------------------

    def test_failing_translators_fall_back_to_the_built_in_ones(self):
        proc = self.export(self.config(["cond-rewrite"], extra_plugins=(BAD_TRANSLATORS,)))
        self.assertExitCode(proc, 0, "export with failing translators")
        who = "translator for '%s' (plugin 'plugintest-bad-translators')"
        for message in (
                "warning[translator-failed]: " + who % "aten::neg" + " failed on `neg = aten::neg(linear_1)`: "
                "unexpected exception: the zoo translator refuses this node",
                "warning[translator-invalid-node]: " + who % "aten::linear" + " emitted node_NoSuchOnnxOp_0 "
                "(NoSuchOnnxOp): 'NoSuchOnnxOp' is not an ONNX operator at opset 17",
                "warning[translator-invalid-node]: " + who % "aten::mul" + " emitted node_Mul_10 (Mul): input "
                "'zoo_tensor_nobody_defined' is not defined",
                "= hint: fell back to the translator of plugin 'translators-aten' (opset 13.., priority 0)"):
            self.assertIn(message, proc.stderr)
        graph = read_onnx_graph(self.model)
        self.assertNotIn("NoSuchOnnxOp", graph.all_op_types())
        report = read_json(os.path.join(self.report, "report.json"))
        translate = [s for s in report["stages"] if s["name"] == "translate"][0]
        codes = sorted(d["code"] for d in translate["diagnostics"] if d["severity"] == "warning")
        self.assertEqual(codes[:3], ["translator-failed", "translator-invalid-node", "translator-invalid-node"])

    def test_an_op_whose_only_translator_fails_is_untranslatable(self):
        proc = self.export(self.config(["zoo-custom-op"], extra_plugins=(BAD_STRATEGIES, BAD_TRANSLATORS)))
        self.assertExitCode(proc, 1, "export of a custom op whose only translator fails")
        self.assertInOrder(proc.stderr, [
            status("zoo-custom-op", True),
            "error[translator-failed]: translator for 'zoo::scale' (plugin 'plugintest-bad-translators') failed on "
            "`y = zoo::scale(x)`: unexpected exception: the zoo translator refuses this node",
            "[onnxport] Translate the graph into ONNX... ❌",
            "error: translation failed"])
        self.assertFalse(os.path.exists(self.model))


if __name__ == "__main__":
    unittest.main()
