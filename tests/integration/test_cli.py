"""The onnxport commands and options: plugins, inspect, run, -q/-v,
--dump-graph, --optimize/--no-optimize, --opset, --strategies, reports."""
import json
import os
import unittest

from onnxport_testlib import (DEFAULT_CONFIG, TORCH_CONFIG, OnnxportTestCase, example, fresh_dir, read_json,
                              read_onnx_graph, run)

STATUS_PREFIX = "[onnxport] "


class PluginsCommand(OnnxportTestCase):
    def test_lists_plugins_strategies_and_translators(self):
        proc = run("plugins", "-c", DEFAULT_CONFIG)
        self.assertExitCode(proc, 0, "plugins")
        out = proc.stdout
        for plugin in ("strategy-strict", "strategy-non-strict", "strategy-cond-rewrite", "strategy-draft",
                       "translators-aten"):
            self.assertIn("✅ " + plugin, out)
        self.assertInOrder(out, ["Strategies", "strict", "non-strict", "cond-rewrite", "draft"])
        self.assertIn("Translators at opset 17:", out)
        # Every op of the seed has a translator, with its plugin, opset range and priority.
        for op in ("aten::linear", "aten::mul", "aten::neg", "higher_order::cond"):
            line = [l for l in out.splitlines() if l.strip().startswith(op + " ")]
            self.assertTrue(line, "no translator line for %s" % op)
            self.assertIn("translators-aten", line[0])
            self.assertRegex(line[0], r"opset \d+\.\.\d*, priority -?\d+")

    def test_opset_option(self):
        proc = run("plugins", "-c", DEFAULT_CONFIG, "--opset", "13")
        self.assertExitCode(proc, 0, "plugins --opset 13")
        self.assertIn("Translators at opset 13:", proc.stdout)


class InspectCommand(OnnxportTestCase):
    @classmethod
    def setUpClass(cls):
        cls.out = fresh_dir("inspect")
        cls.model = os.path.join(cls.out, "seed.onnx")
        cls.graph = os.path.join(cls.out, "graph.json")
        cls.proc = run("export", example("seed"), "-c", DEFAULT_CONFIG, "-o", cls.model, "--dump-graph", cls.graph)

    def test_export_worked(self):
        self.assertExitCode(self.proc, 0, "export")
        self.assertIn("Captured graph written to", self.proc.stderr)

    def test_bundle_folder(self):
        proc = run("inspect", example("seed"))
        self.assertExitCode(proc, 0, "inspect bundle")
        self.assertIn("program `ModelWithControlFlowTest`", proc.stdout)
        self.assertIn("aten::linear", proc.stdout)
        self.assertIn("prim::If", proc.stdout)
        self.assertIn("if x.sum():", proc.stdout)
        self.assertIn("mlp.0.weight: f32[2, 3]", proc.stdout)

    def test_program_json(self):
        proc = run("inspect", os.path.join(example("seed-cond"), "program.json"))
        self.assertExitCode(proc, 0, "inspect program.json")
        self.assertIn("higher_order::cond", proc.stdout)

    def test_dumped_graph(self):
        with open(self.graph) as f:
            self.assertEqual(json.load(f)["format"], "onnxport.graph")
        proc = run("inspect", self.graph)
        self.assertExitCode(proc, 0, "inspect graph")
        self.assertIn("higher_order::cond", proc.stdout)
        self.assertIn("aten::linear", proc.stdout)

    def test_onnx_model_in_onnx_text_syntax(self):
        proc = run("inspect", self.model)
        self.assertExitCode(proc, 0, "inspect model")
        self.assertIn("ir_version", proc.stdout)
        self.assertIn("opset_import", proc.stdout)
        self.assertRegex(proc.stdout, r"= If\s*<\s*then_branch")
        self.assertIn("else_branch", proc.stdout)

    def test_not_a_known_file(self):
        bad = os.path.join(self.out, "other.json")
        with open(bad, "w") as f:
            f.write('{"format": "something-else"}')
        proc = run("inspect", bad)
        self.assertExitCode(proc, 2, "inspect other json")
        self.assertIn(bad, proc.stderr)
        self.assertIn("/format", proc.stderr)
        proc = run("inspect", os.path.join(self.out, "missing.onnx"))
        self.assertExitCode(proc, 2, "inspect missing file")


class RunCommand(OnnxportTestCase):
    def test_reference_interpreter_on_the_bundle_inputs(self):
        proc = run("run", example("seed-gt"))
        self.assertExitCode(proc, 0, "run")
        self.assertIn("Inputs (the bundle's inputs.safetensors)", proc.stdout)
        self.assertIn("Reference interpreter outputs:", proc.stdout)

    def test_random_inputs_when_the_bundle_has_none(self):
        proc = run("run", example("seed"))
        self.assertExitCode(proc, 0, "run")
        self.assertIn("random inputs (seed 0)", proc.stdout)


class Verbosity(OnnxportTestCase):
    def test_quiet_prints_nothing_on_success(self):
        out = fresh_dir("quiet")
        proc = run("export", example("seed-cond"), "-c", DEFAULT_CONFIG, "-o", os.path.join(out, "m.onnx"), "-q")
        self.assertExitCode(proc, 0, "export -q")
        self.assertEqual(proc.stderr, "")
        self.assertEqual(proc.stdout, "")

    def test_quiet_still_prints_the_error(self):
        out = fresh_dir("quiet-error")
        proc = run("export", example("seed"), "-c", DEFAULT_CONFIG, "--strategies", "strict", "-o",
                   os.path.join(out, "m.onnx"), "-q")
        self.assertExitCode(proc, 1, "export -q, failing")
        self.assertNotIn(STATUS_PREFIX, proc.stderr)
        self.assertIn("error: ", proc.stderr)

    def test_verbose_prints_graphs_and_timings(self):
        out = fresh_dir("verbose")
        proc = run("export", example("seed-cond"), "-c", DEFAULT_CONFIG, "-o", os.path.join(out, "m.onnx"), "-v")
        self.assertExitCode(proc, 0, "export -v")
        self.assertIn("aten::linear", proc.stderr)      # the captured graph
        self.assertIn("ir_version", proc.stderr)        # the ONNX model
        self.assertIn("Timings:", proc.stderr)
        self.assertRegex(proc.stderr, r"translate\s+\d+\.\d+ s")


class Options(OnnxportTestCase):
    def export_ops(self, out, *options):
        model = os.path.join(out, "m.onnx")
        proc = run("export", example("seed"), "-c", TORCH_CONFIG, "-o", model, "--report", out + "/r", *options)
        self.assertExitCode(proc, 0, "export %s" % " ".join(options))
        return read_onnx_graph(model).op_types(), read_json(os.path.join(out, "r", "report.json")), proc

    def test_optimize_vs_no_optimize(self):
        optimized, report_opt, proc_opt = self.export_ops(fresh_dir("optimize"), "--optimize")
        raw, report_raw, proc_raw = self.export_ops(fresh_dir("no-optimize"), "--no-optimize")
        self.assertEqual(optimized, ["MatMul", "Add", "MatMul", "Add", "Mul"])
        # The raw translation keeps what optimize() removes or folds.
        self.assertGreater(len(raw), len(optimized), raw)
        self.assertTrue(set(raw) - set(optimized), raw)
        self.assertIn("[onnxport] Optimize the model... ✅", proc_opt.stderr)
        self.assertNotIn("Optimize the model", proc_raw.stderr)
        stats = report_opt["optimize"]
        self.assertGreater(stats["nodes_before"], stats["nodes_after"])
        self.assertEqual(stats["nodes_after"], 5)
        self.assertIsNone(report_raw["optimize"])
        self.assertEqual(report_raw["status"]["stages"]["optimize"], "not run")

    def test_opset_option(self):
        out = fresh_dir("opset")
        _, report, _ = self.export_ops(out, "--opset", "13")
        self.assertEqual(report["request"]["opset"], 13)
        self.assertIn('"" : 13', report["model"]["text"].replace("\n", " "))

    def test_strategies_override(self):
        out = fresh_dir("strategies")
        _, report, proc = self.export_ops(out, "--strategies", "draft")
        self.assertEqual(report["request"]["strategies"], ["draft"])
        self.assertEqual([a["strategy"] for a in report["capture"]["attempts"]], ["draft"])
        self.assertNotIn("with `non-strict`", proc.stderr)


class TorchOnnxExportOptions(OnnxportTestCase):
    """The options a torch.onnx.export user looks for: --opset (checked),
    --input-names, --output-names."""

    def export(self, out, *options):
        model = os.path.join(out, "m.onnx")
        proc = run("export", example("seed"), "-c", TORCH_CONFIG, "-o", model, "--report", out + "/r", *options)
        return proc, model

    def test_opset_outside_the_translators_range_is_a_usage_error(self):
        for opset in ("12", "19", "20", "1"):
            out = fresh_dir("opset-" + opset)
            proc, model = self.export(out, "--opset", opset)
            self.assertExitCode(proc, 2, "--opset " + opset)
            self.assertIn("error: --opset: opset %s is not supported (supported: 13..18" % opset, proc.stderr)
            self.assertIn("the installed ONNX checker validates up to 17", proc.stderr)
            self.assertNotIn("translator", proc.stderr.replace("translators cover", ""))  # no list of missing translators
            self.assertFalse(os.path.exists(model))
        proc = run("plugins", "-c", DEFAULT_CONFIG, "--opset", "12")
        self.assertExitCode(proc, 2, "plugins --opset 12")
        self.assertIn("not supported (supported: 13..18", proc.stderr)

    def test_opset_above_the_checker_warns_and_never_says_passed(self):
        out = fresh_dir("opset-18")
        proc, model = self.export(out, "--opset", "18")
        self.assertExitCode(proc, 0, "--opset 18")
        self.assertIn("Check the model (onnx checker + shape inference, opset-17 schemas only)... ✅", proc.stderr)
        self.assertIn("the model targets opset 18 but the installed ONNX checker knows opsets up to 17", proc.stderr)
        report = read_json(os.path.join(out, "r", "report.json"))
        check = [s for s in report["stages"] if s["name"] == "check"][0]
        self.assertNotIn("passed", check["summary"])
        self.assertIn("not fully checked", check["summary"])
        self.assertIn("opset-not-checked", [d["code"] for d in check["diagnostics"]])
        with open(os.path.join(out, "r", "report.md")) as f:
            self.assertNotRegex(f.read(), r"\| check \|[^\n]*passed")
        # At 17 the checker covers the model and says so.
        out17 = fresh_dir("opset-17")
        proc, _ = self.export(out17, "--opset", "17")
        self.assertIn("Check the model (onnx checker + shape inference)... ✅", proc.stderr)
        report = read_json(os.path.join(out17, "r", "report.json"))
        self.assertEqual([s for s in report["stages"] if s["name"] == "check"][0]["summary"], "passed")

    def test_input_and_output_names(self):
        out = fresh_dir("names")
        proc, model = self.export(out, "--input-names", "features", "--output-names", "logits", "--verify")
        self.assertExitCode(proc, 0, "--input-names/--output-names")
        graph = read_onnx_graph(model)
        self.assertEqual(graph.inputs, ["features"])
        self.assertEqual(graph.outputs, ["logits"])
        # The model still runs and matches the bundle's expected outputs.
        self.assertIn("Compare the outputs with the", proc.stderr)
        self.assertIn("✅ logits", proc.stderr)

    def test_a_name_that_an_internal_value_has_is_moved_aside(self):
        out = fresh_dir("names-clash")
        # `linear` is an internal value of the seed's model: the output takes it.
        proc, model = self.export(out, "--output-names", "linear", "--verify")
        self.assertExitCode(proc, 0, "--output-names linear")
        graph = read_onnx_graph(model)
        self.assertEqual(graph.outputs, ["linear"])
        produced = [o for n in graph.nodes for o in n.outputs]
        self.assertEqual(produced.count("linear"), 1, produced)

    def test_name_count_mismatch_is_a_usage_error(self):
        out = fresh_dir("names-count")
        proc, model = self.export(out, "--output-names", "a,b")
        self.assertExitCode(proc, 2, "--output-names a,b")
        self.assertIn("error: --output-names: 2 name(s) given, the model has 1 output(s): `", proc.stderr)
        self.assertFalse(os.path.exists(model))
        proc, model = self.export(out, "--input-names", "a,b,c")
        self.assertExitCode(proc, 2, "--input-names a,b,c")
        self.assertIn("error: --input-names: 3 name(s) given, the model has 1 input(s): `x`", proc.stderr)
        proc, _ = self.export(out, "--input-names", "same", "--output-names", "same")
        self.assertExitCode(proc, 2, "same name for an input and an output")
        self.assertIn("`same` is also an input name", proc.stderr)


class ConfigExtends(OnnxportTestCase):
    """A config that adds a plugin: with "extends": "default" the built-in
    plugins stay; without it they are gone, and the host says so up front."""

    def write(self, out, config):
        path = os.path.join(out, "cfg.json")
        with open(path, "w") as f:
            json.dump(config, f)
        return path

    def test_a_plugin_without_extends_is_told_about_extends(self):
        out = fresh_dir("extends-missing")
        config = self.write(out, {"plugins": [{"path": os.environ["ONNXPORT_EXPLODING_PLUGIN"]}]})
        proc = run("export", example("seed-cond"), "-c", config, "-o", os.path.join(out, "m.onnx"))
        self.assertExitCode(proc, 2, "config without the built-in strategies")
        self.assertIn("error: %s: /strategies: no loaded plugin registers any of the strategies `strict`" % config,
                      proc.stderr)
        self.assertIn('add "extends": "default" to keep the built-in plugins', proc.stderr)
        self.assertNotIn("Obtain model graph", proc.stderr)  # said before any work
        self.assertFalse(os.path.exists(os.path.join(out, "m.onnx")))

    def test_extends_default_adds_the_users_plugin(self):
        out = fresh_dir("extends-default")
        config = self.write(out, {"extends": "default",
                                  "plugins": [{"path": os.environ["ONNXPORT_EXPLODING_PLUGIN"]}],
                                  "strategies": ["explodes", "cond-rewrite"]})
        proc = run("export", example("seed-cond"), "-c", config, "-o", os.path.join(out, "m.onnx"),
                   "--report", out + "/r")
        self.assertExitCode(proc, 0, "extends default")
        report = read_json(os.path.join(out, "r", "report.json"))
        self.assertEqual(report["capture"]["chosen_strategy"], "cond-rewrite")
        self.assertEqual(len([p for p in report["plugins"] if p["loaded"]]), 6)


class DefaultConfig(OnnxportTestCase):
    def test_export_without_a_config_uses_config_default_json(self):
        out = fresh_dir("default-config")
        proc = run("export", example("seed"), "-o", os.path.join(out, "m.onnx"), "--report", out + "/r")
        self.assertExitCode(proc, 0, "export without -c")
        report = read_json(os.path.join(out, "r", "report.json"))
        self.assertTrue(report["request"]["config"].endswith(os.path.join("config", "default.json")))
        self.assertEqual(report["capture"]["chosen_strategy"], "cond-rewrite")


class ReportOnFailure(OnnxportTestCase):
    def test_failed_export_still_writes_both_reports(self):
        out = fresh_dir("report-on-failure")
        model = os.path.join(out, "m.onnx")
        proc = run("export", example("seed"), "-c", DEFAULT_CONFIG, "--strategies", "strict,non-strict", "-o", model,
                   "--report", out + "/r")
        self.assertExitCode(proc, 1, "export with strategies that cannot capture the seed")
        self.assertFalse(os.path.exists(model))
        report = read_json(os.path.join(out, "r", "report.json"))
        self.assertEqual(report["status"]["stages"]["capture"], "failed")
        self.assertEqual(report["status"]["stages"]["translate"], "not run")
        self.assertEqual([a["status"] for a in report["capture"]["attempts"]], ["failed", "failed"])
        self.assertTrue(all(a["diagnostics"] for a in report["capture"]["attempts"]))
        with open(os.path.join(out, "r", "report.md")) as f:
            md = f.read()
        self.assertIn("**Result: ❌ failed**", md)
        self.assertIn("if x.sum():", md)
        self.assertIn("Graph captured up to the failure", md)


if __name__ == "__main__":
    unittest.main()
