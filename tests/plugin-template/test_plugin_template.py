"""The plugin template end to end, as a third party would use it: install the
SDK to a fresh prefix, build examples/plugin-template against that prefix
only, export its bundle with the INSTALLED host, check what the model holds
(the custom-domain node and its ONNX function, the overriding translator's
node) and run it in ONNX Runtime against the bundle's expected outputs. Also
the registry's explanations in `onnxport plugins` (priority, pin, conflict)
and the template strategy's refusal with fallback.

Environment (set by tests/plugin-template/CMakeLists.txt):
  ONNXPORT_BUILD   the onnxport build tree to install
  ONNXPORT_SOURCE  the source tree
  ONNXPORT_WORK    scratch folder (install prefix, template build, outputs)
"""
import json
import os
import shutil
import subprocess
import sys
import unittest

SOURCE = os.environ["ONNXPORT_SOURCE"]
sys.path.insert(0, os.path.join(SOURCE, "tests", "integration"))
from onnxport_testlib import (OnnxportTestCase, _fields, _parse_graph, _parse_node,  # noqa: E402
                              read_json, read_safetensors, write_safetensors)

BUILD = os.environ["ONNXPORT_BUILD"]
WORK = os.environ["ONNXPORT_WORK"]
TEMPLATE = os.path.join(SOURCE, "examples", "plugin-template")
BUNDLE = os.path.join(TEMPLATE, "bundle")
CONFIG = os.path.join(TEMPLATE, "config.json")
PREFIX = os.path.join(WORK, "prefix")
OUT = os.path.join(WORK, "out")
PLUGIN_DIR = os.path.join(OUT, "build")
ONNXPORT = os.path.join(PREFIX, "bin", "onnxport")
ORT_RUNNER = os.path.join(SOURCE, "tools", "ort-runner", "run.js")


def run(cmd, env=None, timeout=900):
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=timeout, env=env)


def onnxport(*args):
    # The installed host only: no plugin path from the build environment.
    env = {k: v for k, v in os.environ.items() if k != "ONNXPORT_PLUGIN_PATH"}
    return run([ONNXPORT, *map(str, args)], env=env, timeout=300)


class OnnxModel:
    """Main graph, opset imports and model-local functions of an .onnx file."""

    def __init__(self, path):
        with open(path, "rb") as f:
            buf = f.read()
        self.graph, self.opsets, self.functions = None, {}, {}
        for field, _, value in _fields(buf):
            if field == 7:
                self.graph = _parse_graph(value)
            elif field == 8:
                self.opsets.update([self._opset(value)])
            elif field == 25:
                domain, name, nodes = self._function(value)
                self.functions[domain + "." + name] = nodes

    @staticmethod
    def _opset(buf):
        domain, version = "", 0
        for field, _, value in _fields(buf):
            if field == 1:
                domain = value.decode()
            elif field == 2:
                version = value
        return domain, version

    @staticmethod
    def _function(buf):
        domain, name, nodes = "", "", []
        for field, _, value in _fields(buf):
            if field == 1:
                name = value.decode()
            elif field == 7:
                nodes.append(_parse_node(value))
            elif field == 10:
                domain = value.decode()
        return domain, name, nodes

    def nodes(self, op_type):
        return [n for n in self.graph.nodes if n.op_type == op_type]


def config_with(name, **changes):
    """A copy of the template's config with keys changed, next to the original's plugin names."""
    config = read_json(CONFIG)
    config.update(changes)
    path = os.path.join(WORK, name + ".json")
    with open(path, "w") as f:
        json.dump(config, f, indent=1)
    return path


def translator_line(plugins_output, op):
    lines = [l for l in plugins_output.splitlines() if l.strip().startswith(op + "  ->")]
    if len(lines) != 1:
        raise AssertionError("expected one translator line for %s in:\n%s" % (op, plugins_output))
    return lines[0]


class PluginTemplate(OnnxportTestCase):
    @classmethod
    def setUpClass(cls):
        shutil.rmtree(WORK, ignore_errors=True)
        os.makedirs(WORK)
        env = dict(os.environ, ONNXPORT_BUILD=BUILD, PREFIX=PREFIX, OUT=OUT)
        env.pop("ONNXPORT_PLUGIN_PATH", None)
        cls.example = run([os.path.join(TEMPLATE, "run_example.sh")], env=env)
        cls.model_path = os.path.join(OUT, "model.onnx")
        cls.report_path = os.path.join(OUT, "report", "report.json")

    def setUp(self):
        self.assertExitCode(self.example, 0, "examples/plugin-template/run_example.sh")

    def export(self, bundle, config, tag):
        model = os.path.join(WORK, tag + ".onnx")
        report = os.path.join(WORK, tag + "-report")
        proc = onnxport("export", bundle, "-c", config, "--plugin-path", PLUGIN_DIR, "-o", model, "--report", report)
        return proc, model, read_json(os.path.join(report, "report.json"))

    def run_in_onnx_runtime(self, model, tag, bundle=BUNDLE):
        """The model on the bundle's inputs in ONNX Runtime, against expected.safetensors."""
        got = os.path.join(WORK, tag + "-ort.safetensors")
        proc = run(["node", ORT_RUNNER, model, os.path.join(bundle, "inputs.safetensors"), got], timeout=300)
        self.assertExitCode(proc, 0, "ONNX Runtime on " + model)
        (_, shape, values), = read_safetensors(got).values()
        (_, expected_shape, expected), = read_safetensors(os.path.join(bundle, "expected.safetensors")).values()
        self.assertEqual(shape, expected_shape)
        self.assertClose(values, expected, tol=1e-5, what="ONNX Runtime vs eager PyTorch (%s)" % tag)

    # -- the example as the README runs it ---------------------------------

    def test_built_against_the_install_prefix_only(self):
        with open(os.path.join(PLUGIN_DIR, "CMakeCache.txt")) as f:
            cache = f.read()
        self.assertIn("onnxport_DIR:PATH=" + PREFIX + "/", cache)
        self.assertTrue(os.path.isfile(os.path.join(PLUGIN_DIR, "libonnxport-plugin-template.so")))

    def test_plugins_lists_the_template_and_why_each_translator_wins(self):
        out = self.example.stdout
        self.assertIn("✅ plugin-template 0.1.0", out)
        self.assertIn("op(s) added to the op library: mylib::swish_clamp, op definition(s) replaced: aten::gelu", out)
        self.assertIn("note: Plugin 'plugin-template' replaces the built-in definition of op 'aten::gelu' "
                      "(priority 0) with its own at priority 10", out)
        self.assertIn("node-budget  (plugin plugin-template)", out)
        gelu = translator_line(out, "aten::gelu")
        self.assertIn("plugin-template (opset 13.., priority 10): highest priority (10)", gelu)
        self.assertRegex(out, r"aten::gelu  ->.*\n      also: translators-aten \(opset 13\.\., priority 0\)")
        self.assertIn("plugin-template (opset 13.., priority 0): only translator at opset 17",
                      translator_line(out, "mylib::swish_clamp"))

    def test_export_used_the_template_strategy_and_translators(self):
        report = read_json(self.report_path)
        self.assertTrue(report["status"]["ok"], report["status"]["error"])
        self.assertEqual(report["capture"]["chosen_strategy"], "node-budget")
        used = {u["op"]: u["translator"] for u in report["analysis"]["translators_used"]}
        self.assertTrue(used["mylib::swish_clamp"].startswith("plugin-template"), used)
        self.assertTrue(used["aten::gelu"].startswith("plugin-template"), used)
        self.assertTrue(used["aten::linear"].startswith("translators-aten"), used)

    def test_model_holds_the_custom_node_its_function_and_the_override(self):
        model = OnnxModel(self.model_path)
        swish = model.nodes("SwishClamp")
        self.assertEqual(len(swish), 1, model.graph.op_types())
        self.assertEqual(swish[0].domain, "mylib")
        self.assertEqual([n.op_type for n in model.functions["mylib.SwishClamp"]], ["Sigmoid", "Mul", "Clip"])
        gelu = model.nodes("Gelu")
        self.assertEqual(len(gelu), 1, model.graph.op_types())
        self.assertEqual(gelu[0].domain, "com.microsoft")
        self.assertNotIn("Erf", model.graph.op_types())  # the built-in gelu was not used
        self.assertEqual(model.opsets, {"": 17, "mylib": 1, "com.microsoft": 1})

    def test_onnx_runtime_matches_eager_pytorch(self):
        self.run_in_onnx_runtime(self.model_path, "template")

    # -- registry semantics: pin and conflict from the config ----------------

    def test_pin_in_the_config_brings_the_builtin_back(self):
        config = config_with("pinned", pin={"aten::gelu": "translators-aten"})
        proc = onnxport("plugins", "-c", config, "--plugin-path", PLUGIN_DIR)
        self.assertExitCode(proc, 0, "plugins (pinned)")
        line = translator_line(proc.stdout, "aten::gelu")
        self.assertIn("translators-aten (opset 13.., priority 0): pinned by config to plugin 'translators-aten'", line)
        proc, model_path, report = self.export(BUNDLE, config, "pinned")
        self.assertExitCode(proc, 0, "export (pinned)")
        model = OnnxModel(model_path)
        self.assertEqual(model.nodes("Gelu"), [])
        self.assertIn("Erf", model.graph.op_types())
        self.assertNotIn("com.microsoft", model.opsets)
        self.run_in_onnx_runtime(model_path, "pinned")

    def test_same_priority_is_a_conflict_naming_both_plugins(self):
        plugins = read_json(CONFIG)["plugins"]
        for p in plugins:
            if p.get("name") == "plugin-template":
                p["priority"] = 0  # down to the built-in's priority and opset: a tie
        config = config_with("conflict", plugins=plugins)
        proc = onnxport("plugins", "-c", config, "--plugin-path", PLUGIN_DIR)
        self.assertExitCode(proc, 0, "plugins (conflict)")
        line = translator_line(proc.stdout, "aten::gelu")
        self.assertIn("conflict: plugins 'translators-aten' and 'plugin-template' both translate 'aten::gelu' "
                      "with priority 0 since opset 13; using 'translators-aten' (loaded first)", line)
        self.assertIn("⚠ conflict", proc.stdout)
        proc, _, report = self.export(BUNDLE, config, "conflict")
        self.assertExitCode(proc, 0, "export (conflict)")
        translate = [s for s in report["stages"] if s["name"] == "translate"][0]
        conflicts = [d for d in translate["diagnostics"] if d["code"] == "translator-conflict"]
        self.assertEqual(len(conflicts), 1, translate["diagnostics"])
        self.assertEqual(conflicts[0]["severity"], "warning")
        self.assertIn("'translators-aten' and 'plugin-template'", conflicts[0]["message"])

    # -- the op-definition override (src/gelu_types.cpp) ----------------------

    def test_op_override_refuses_float64_gelu_and_priority_0_keeps_the_builtin(self):
        bundle = os.path.join(WORK, "gelu64")
        script = ("import sys, torch\n"
                  "sys.path.insert(0, %r)\n"
                  "from torch2program_lib.bundle import write_bundle\n"
                  "class Gelu64(torch.nn.Module):\n"
                  "    def forward(self, x):\n"
                  "        return torch.nn.functional.gelu(x)\n"
                  "torch.manual_seed(0)\n"
                  "write_bundle(Gelu64(), (torch.randn(2, 5, dtype=torch.float64),), %r, expected=True)\n"
                  % (os.path.join(SOURCE, "tools", "torch2program"), bundle))
        proc = run(["/usr/bin/python3", "-c", script], timeout=600)
        self.assertExitCode(proc, 0, "torch2program (float64 gelu)")
        # The template's config: its meta function refuses the dtype at capture, naming it; no model is written.
        proc, model_path, report = self.export(bundle, CONFIG, "gelu64")
        self.assertEqual(proc.returncode, 1, proc.stderr)
        self.assertFalse(os.path.exists(model_path))
        self.assertIn("gelu of a float64 tensor: ONNX Runtime's fused Gelu (com.microsoft)", proc.stderr)
        # Priority 0 for the plugin: its op definition and translator tie with the built-ins, which are kept:
        # gelu in standard ops (Erf), a valid model. Not run in ONNX Runtime: its CPU provider has no float64
        # Erf either ("Could not find an implementation for Erf(13)"), which is why the fused one cannot load.
        plugins = read_json(CONFIG)["plugins"]
        for p in plugins:
            if p.get("name") == "plugin-template":
                p["priority"] = 0
        proc, model_path, report = self.export(bundle, config_with("gelu64-builtin", plugins=plugins), "gelu64-builtin")
        self.assertExitCode(proc, 0, "export (float64 gelu, priority 0)")
        self.assertIn("Erf", OnnxModel(model_path).graph.op_types())
        self.assertNotIn("com.microsoft", OnnxModel(model_path).opsets)

    # -- the strategy's refusal and the fallback ------------------------------

    def test_node_budget_refuses_a_large_program_and_the_next_strategy_runs(self):
        proc, _, report = self.export(os.path.join(SOURCE, "examples", "seed"), CONFIG, "seed")
        self.assertExitCode(proc, 0, "export seed with the template config")
        attempts = report["capture"]["attempts"]
        self.assertEqual(attempts[0]["strategy"], "node-budget")
        self.assertEqual(attempts[0]["status"], "failed")
        (refusal,) = attempts[0]["diagnostics"]
        self.assertEqual(refusal["code"], "over-node-budget")
        self.assertRegex(refusal["message"],
                         r"program `ModelWithControlFlowTest` has \d+ TorchScript nodes, over node-budget's limit of 12")
        self.assertIn("Obtain model graph for `ModelWithControlFlowTest` with `node-budget`", proc.stderr)
        self.assertEqual(report["capture"]["chosen_strategy"], "cond-rewrite")


if __name__ == "__main__":
    unittest.main()
