"""The seed scenario of issue 2, end to end through `onnxport export`:
status lines, diagnostics, draft report, report contents and model structure."""
import os
import unittest

from onnxport_testlib import (DEFAULT_CONFIG, TORCH_CONFIG, OnnxportTestCase, example, fresh_dir, read_json,
                              read_onnx_graph, run)

MODEL = "ModelWithControlFlowTest"


def status(strategy, mark=""):
    line = "[onnxport] Obtain model graph for `%s` with `%s`..." % (MODEL, strategy)
    return line + (" " + mark if mark else "")


def between(text, start, end):
    """The text between the first `start` and the next `end` after it."""
    i = text.index(start) + len(start)
    return text[i:text.index(end, i)]


def non_constant_ops(graph):
    return [op for op in graph.op_types() if op != "Constant"]


class TorchCompatibleOnSeed(OnnxportTestCase):
    """config/torch-compatible.json (non-strict, strict, draft, allow_unsound) on examples/seed: draft's graph is
    not sound, no strategy is, and the config allows it, so it is exported with a ⚠ (torch's behaviour)."""

    @classmethod
    def setUpClass(cls):
        cls.out = fresh_dir("torch-compatible-seed")
        cls.model = os.path.join(cls.out, "seed.onnx")
        cls.proc = run("export", example("seed"), "-c", TORCH_CONFIG, "-o", cls.model, "--report",
                       os.path.join(cls.out, "report"))
        cls.report = read_json(os.path.join(cls.out, "report", "report.json"))

    def test_succeeds_with_draft(self):
        self.assertExitCode(self.proc, 0, "export")
        self.assertTrue(os.path.isfile(self.model))
        self.assertEqual(self.report["capture"]["chosen_strategy"], "draft")

    def test_status_lines_in_the_seed_order(self):
        self.assertInOrder(self.proc.stderr, [
            status("non-strict"), status("non-strict", "❌"),
            status("strict"), status("strict", "❌"),
            status("draft"), "[onnxport] Draft Export report:", status("draft", "⚠"),
            "[onnxport] No strategy captured a sound graph; `draft`'s is used (allow_unsound)",
            "[onnxport] Run decomposition...", "[onnxport] Run decomposition... ✅",
            "[onnxport] Translate the graph into ONNX...", "[onnxport] Translate the graph into ONNX... ✅",
            "[onnxport] Check the model (onnx checker + shape inference)...",
            "[onnxport] Check the model (onnx checker + shape inference)... ✅",
        ])
        self.assertNotIn(status("non-strict", "✅"), self.proc.stderr)
        self.assertNotIn(status("strict", "✅"), self.proc.stderr)
        self.assertNotIn(status("draft", "✅"), self.proc.stderr)

    def failure_line(self, strategy):
        """The one line a successful export prints for a strategy that failed."""
        prefix = "[onnxport] `%s` failed: " % strategy
        lines = [l for l in self.proc.stderr.splitlines() if l.startswith(prefix)]
        self.assertEqual(len(lines), 1, self.proc.stderr)
        return lines[0]

    def test_non_strict_failure_explains_the_data_dependent_branch(self):
        line = self.failure_line("non-strict")
        self.assertInOrder(self.proc.stderr, [status("non-strict", "❌"), line, status("strict")])
        attempt = self.report["capture"]["attempts"][0]
        self.assertEqual(attempt["strategy"], "non-strict")
        errors = [d for d in attempt["diagnostics"] if d["severity"] == "error"]
        self.assertTrue(errors, attempt)
        # The first error's code, its source line with file and line number.
        self.assertIn("error[%s]" % errors[0]["code"], line)
        self.assertIn("data-dependent", line.lower())
        self.assertIn("if x.sum():", line)
        self.assertIn("plot_exporter_recipes_oe_cond.py:24", line)
        # The graph captured up to the failure is in the report (and on the
        # console only with -v: a successful export is quiet about failures).
        partial = attempt["partial_graph"]
        self.assertTrue(partial, "no partial graph in the report")
        self.assertEqual(partial.count("aten::linear"), 2, partial)
        self.assertIn("aten::sum", partial)
        self.assertNotIn(partial.strip().splitlines()[0], self.proc.stderr)
        self.assertNotIn("  --> ", self.proc.stderr)

    def test_strict_fails_too(self):
        attempt = self.report["capture"]["attempts"][1]
        self.assertEqual((attempt["strategy"], attempt["status"]), ("strict", "failed"))
        self.assertIn("if x.sum():", self.failure_line("strict"))

    def test_draft_report_says_not_sound_and_lists_the_specialized_branch(self):
        draft = between(self.proc.stderr, "[onnxport] Draft Export report:", status("draft", "⚠"))
        self.assertIn("1 issue(s)", draft)
        self.assertIn("not sound", draft)
        self.assertIn("Data dependent", draft)
        self.assertIn("plot_exporter_recipes_oe_cond.py:24", draft)
        self.assertIn("if x.sum():", draft)
        self.assertIn("specialized to a constant", draft)
        self.assertIn("runtime assertion", draft)

    def test_report_soundness_and_issue_location(self):
        self.assertIs(self.report["soundness"]["sound"], False)
        self.assertIn("not sound", self.report["soundness"]["note"])
        assertions = self.report["soundness"]["runtime_assertions"]
        self.assertEqual(len(assertions), 1, assertions)
        self.assertEqual(assertions[0]["loc"].get("line"), 24)
        draft = self.report["capture"]["attempts"][2]
        issues = [d for d in draft["diagnostics"] if d["category"] == "data-dependent"]
        self.assertEqual(len(issues), 1, draft["diagnostics"])
        self.assertEqual(issues[0]["loc"]["line"], 24)
        self.assertEqual(issues[0]["loc"]["text"], "if x.sum():")
        with open(os.path.join(self.out, "report", "report.md")) as f:
            md = f.read()
        self.assertIn("**The graph is not sound**", md)
        self.assertIn("plot_exporter_recipes_oe_cond.py:24", md)

    def test_report_status_block(self):
        status_block = self.report["status"]
        self.assertEqual(status_block["strategies"], {"non-strict": "failed", "strict": "failed", "draft": "unsound"})
        candidate = self.report["capture"]["unsound_candidate"]
        self.assertEqual((candidate["strategy"], candidate["used"]), ("draft", True))
        self.assertIn("Ne(u0, 0)", candidate["reasons"][0])
        for stage in ("capture", "decompose", "translate", "check", "write"):
            self.assertEqual(status_block["stages"][stage], "ok", stage)
        self.assertEqual(status_block["stages"]["runtime"], "not run")

    def test_model_is_the_seed_draft_result(self):
        graph = read_onnx_graph(self.model)
        self.assertEqual(graph.op_types(), ["MatMul", "Add", "MatMul", "Add", "Mul"])
        counts = {c["op"]: c["count"] for c in self.report["analysis"]["op_counts"]}
        self.assertEqual(counts, {"MatMul": 2, "Add": 2, "Mul": 1})

    def test_report_analysis(self):
        params = self.report["analysis"]["parameters"]
        self.assertEqual(params, [{"dtype": "float32", "count": 4, "elements": 11, "bytes": 44}])
        self.assertIn("MatMul", self.report["model"]["text"])
        self.assertIn("aten::linear", self.report["graph"]["text"])



class VerboseOnSeed(OnnxportTestCase):
    """With -v, a failing strategy's partial graph and every error are printed between its status lines, as the
    seed shows them."""

    @classmethod
    def setUpClass(cls):
        cls.out = fresh_dir("torch-compatible-seed-verbose")
        cls.proc = run("export", example("seed"), "-c", TORCH_CONFIG, "-o", os.path.join(cls.out, "seed.onnx"),
                       "--report", os.path.join(cls.out, "report"), "-v")
        cls.report = read_json(os.path.join(cls.out, "report", "report.json"))

    def test_non_strict_failure_block(self):
        self.assertExitCode(self.proc, 0, "export -v")
        block = between(self.proc.stderr, status("non-strict") + "\n", status("non-strict", "❌"))
        attempt = self.report["capture"]["attempts"][0]
        errors = [d for d in attempt["diagnostics"] if d["severity"] == "error"]
        expression = errors[0]["details"].get("expression") or errors[0]["message"]
        self.assertIn("data-dependent", block.lower())
        self.assertIn(expression if len(expression) < 60 else errors[0]["message"], block)
        self.assertIn("if x.sum():", block)
        self.assertIn("plot_exporter_recipes_oe_cond.py:24", block)
        self.assertIn(attempt["partial_graph"].strip().splitlines()[0], block)

    def test_strict_failure_block(self):
        block = between(self.proc.stderr, status("strict") + "\n", status("strict", "❌"))
        self.assertIn("if x.sum():", block)

class DefaultConfigOnSeed(OnnxportTestCase):
    """config/default.json (strict, non-strict, cond-rewrite, draft) on examples/seed."""

    @classmethod
    def setUpClass(cls):
        cls.out = fresh_dir("default-seed")
        cls.model = os.path.join(cls.out, "seed.onnx")
        cls.proc = run("export", example("seed"), "-c", DEFAULT_CONFIG, "-o", cls.model, "--report",
                       os.path.join(cls.out, "report"))
        cls.report = read_json(os.path.join(cls.out, "report", "report.json"))

    def test_cond_rewrite_succeeds_after_strict_and_non_strict(self):
        self.assertExitCode(self.proc, 0, "export")
        self.assertInOrder(self.proc.stderr, [
            status("strict", "❌"), status("non-strict", "❌"), status("cond-rewrite"), status("cond-rewrite", "✅")])
        self.assertNotIn(status("draft"), self.proc.stderr)
        self.assertEqual(self.report["capture"]["chosen_strategy"], "cond-rewrite")
        self.assertEqual(self.report["status"]["strategies"].get("draft"), None)
        self.assertIs(self.report["soundness"]["sound"], True)

    def test_model_has_an_if_with_mul_and_neg_branches(self):
        graph = read_onnx_graph(self.model)
        ifs = [n for n in graph.nodes if n.op_type == "If"]
        self.assertEqual(len(ifs), 1, graph.op_types())
        self.assertEqual(non_constant_ops(ifs[0].subgraphs["then_branch"]), ["Mul"])
        self.assertEqual(non_constant_ops(ifs[0].subgraphs["else_branch"]), ["Neg"])


class DefaultConfigOnSeedCond(OnnxportTestCase):
    """examples/seed-cond (the branch written as torch.cond): strict succeeds first."""

    def test_strict_succeeds_first_with_the_same_if(self):
        out = fresh_dir("default-seed-cond")
        model = os.path.join(out, "seed-cond.onnx")
        proc = run("export", example("seed-cond"), "-c", DEFAULT_CONFIG, "-o", model)
        self.assertExitCode(proc, 0, "export")
        first_status = [l for l in proc.stderr.splitlines() if "Obtain model graph" in l]
        self.assertEqual(first_status, [status("strict"), status("strict", "✅")])
        graph = read_onnx_graph(model)
        ifs = [n for n in graph.nodes if n.op_type == "If"]
        self.assertEqual(len(ifs), 1, graph.op_types())
        self.assertEqual(non_constant_ops(ifs[0].subgraphs["then_branch"]), ["Mul"])
        self.assertEqual(non_constant_ops(ifs[0].subgraphs["else_branch"]), ["Neg"])


if __name__ == "__main__":
    unittest.main()
