"""`onnxport matrix` end to end on the committed examples (docs/matrix.md):
bad input is refused (exit 2) before any cell runs; crashing and hanging
cells are recorded and the run goes on; shards merged equal one run cell for
cell; baselines name regressions and improvements; a terminal gets a
progress bar.

Environment: ONNXPORT (the CLI), ONNXPORT_SOURCE, ONNXPORT_WORK (scratch),
ONNXPORT_BAD_STRATEGIES (tests/plugins' plugin with zoo-segfault and zoo-hang).
"""
import json
import os
import pty
import re
import shutil
import subprocess
import time
import unittest

ONNXPORT = os.environ["ONNXPORT"]
SOURCE = os.environ["ONNXPORT_SOURCE"]
WORK = os.environ["ONNXPORT_WORK"]
BAD_STRATEGIES = os.environ["ONNXPORT_BAD_STRATEGIES"]
EXAMPLES = os.path.join(SOURCE, "examples")


def matrix(*args, cwd=None, timeout=600):
    return subprocess.run([ONNXPORT, "matrix", *args], cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, timeout=timeout)


def write_json(path, doc):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(doc, f, indent=1)
    return path


def read_json(path):
    with open(path) as f:
        return json.load(f)


def without_times(doc):
    doc = json.loads(json.dumps(doc))
    doc.pop("timing", None)
    for cell in doc["cells"]:
        cell.pop("seconds", None)
        for stage in cell["stages"]:
            stage.pop("seconds", None)
    return doc


def scratch(name):
    path = os.path.join(WORK, name)
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    return path


def good_spec():
    """Two committed bundles x two shipped configs x two opsets: 8 cells."""
    return {"models": [os.path.join(EXAMPLES, "seed"), os.path.join(EXAMPLES, "seed-cond")],
            "combinations": [{"name": "default", "config": "default"},
                             {"name": "strict", "base": "default", "overlay": {"strategies": ["strict"]}}],
            "opsets": [13, 17]}


class BadInput(unittest.TestCase):
    """Each refusal names the file, the place and the reason, and no cell runs."""

    def refused(self, spec, *args, place=None, reason=""):
        work = scratch("bad")
        path = write_json(os.path.join(work, "MATRIX.json"), spec)
        out = os.path.join(work, "out")
        proc = matrix(path, "-o", out, *args)
        self.assertEqual(proc.returncode, 2, proc.stdout + proc.stderr)
        if place is not None:
            self.assertIn("error: %s: %s: " % (path, place), proc.stderr)
        self.assertIn(reason, proc.stderr)
        self.assertFalse(os.path.exists(os.path.join(out, "cells")), "a cell ran despite bad input")
        self.assertFalse(os.path.exists(os.path.join(out, "matrix.json")))
        return proc.stderr

    def test_unknown_key(self):
        spec = good_spec()
        spec["opset"] = 17
        self.refused(spec, place="/opset", reason="unknown key")

    def test_missing_model_folder(self):
        spec = good_spec()
        spec["models"].append(os.path.join(EXAMPLES, "no-such-model"))
        self.refused(spec, place="/models/2", reason="no such folder")

    def test_combination_config_that_does_not_load(self):
        spec = good_spec()
        spec["combinations"][1]["overlay"] = {"strategies": ["strict"], "optimise": False}
        self.refused(spec, place="/combinations/1/overlay/optimise", reason="does not load: unknown key")

    def test_combination_whose_plugin_does_not_load(self):
        spec = good_spec()
        spec["combinations"][1]["overlay"] = {"plugins": [{"name": "no-such-plugin"}]}
        self.refused(spec, place="/combinations/1", reason="plugins do not load")

    def test_duplicate_names(self):
        spec = good_spec()
        spec["models"].append({"name": "seed", "path": os.path.join(EXAMPLES, "seed-gt")})
        self.refused(spec, place="/models/2", reason="model name 'seed' is already used by /models/0")
        spec = good_spec()
        spec["combinations"][1]["name"] = "default"
        self.refused(spec, place="/combinations/1/name", reason="already used by /combinations/0")

    def test_bad_shard_and_jobs(self):
        self.assertIn("shard indices run from 0 to N-1", self.refused(good_spec(), "--shard", "5/4"))
        self.assertIn("at least 1", self.refused(good_spec(), "--shard", "0/0"))
        self.assertIn("must be I/N", self.refused(good_spec(), "--shard", "two"))
        self.refused(good_spec(), "-j", "0", reason="-j")
        self.refused(good_spec(), "--times", os.path.join(WORK, "x.json"), reason="--times: balances shards")
        self.refused(good_spec(), "--shard", "0/2", "--baseline", "b.json", "--update-baseline",
                     reason="a baseline holds the whole matrix")

    def test_baseline_of_another_matrix(self):
        other = write_json(os.path.join(WORK, "other-baseline.json"), {
            "format": "onnxport-matrix", "version": 1, "matrix": {"file": "x", "digest": "0" * 64},
            "shard": None, "axes": {"models": [], "combinations": [], "opsets": []}, "cells": [], "summary": {}})
        stderr = self.refused(good_spec(), "--baseline", other)
        self.assertIn("%s: /matrix/digest: the baseline is of another matrix" % other, stderr)


class Cells(unittest.TestCase):
    """Statuses from the cells' reports; a crash and a hang are results, not the end of the run."""

    @classmethod
    def setUpClass(cls):
        cls.work = scratch("cells")
        spec = good_spec()
        spec["opsets"] = [17]
        spec["combinations"] += [
            {"name": "crash", "base": "default",
             "overlay": {"plugins": [{"path": BAD_STRATEGIES}], "strategies": ["zoo-segfault"]}},
            {"name": "hang", "base": "default",
             "overlay": {"plugins": [{"path": BAD_STRATEGIES}], "strategies": ["zoo-hang"]}}]
        spec["timeout_s"] = 4
        path = write_json(os.path.join(cls.work, "MATRIX.json"), spec)
        cls.out = os.path.join(cls.work, "out")
        # stderr on a terminal: the progress bar.
        master, slave = pty.openpty()
        start = time.monotonic()
        proc = subprocess.Popen([ONNXPORT, "matrix", path, "-o", cls.out, "-j", "2"], stdout=subprocess.PIPE,
                                stderr=slave, text=True)
        os.close(slave)
        chunks = []
        while True:
            try:
                data = os.read(master, 4096)
            except OSError:
                break
            if not data:
                break
            chunks.append(data)
        cls.stdout = proc.stdout.read()
        cls.returncode = proc.wait()
        os.close(master)
        cls.seconds = time.monotonic() - start
        cls.terminal = b"".join(chunks).decode("utf-8", "replace")
        cls.doc = read_json(os.path.join(cls.out, "matrix.json"))
        cls.cells = {c["id"]: c for c in cls.doc["cells"]}

    def stage(self, cell, name):
        return next(s for s in self.cells[cell]["stages"] if s["name"] == name)

    def test_the_run_ends_well_and_writes_its_outputs(self):
        self.assertEqual(self.returncode, 0, self.terminal)
        self.assertEqual(sorted(self.cells), sorted(self.cells))
        self.assertEqual([c["id"] for c in self.doc["cells"]], sorted(self.cells))
        self.assertEqual(len(self.cells), 8)
        # seed's data-dependent `if` needs cond-rewrite; strict alone captures seed-cond.
        self.assertEqual(self.doc["summary"], {"total": 8, "pass": 3, "fail": 1, "unsound": 0, "timeout": 2,
                                               "crash": 2})
        self.assertIn("8 cells: 3 pass, 1 fail, 0 unsound, 2 timeout, 2 crash", self.stdout)
        with open(os.path.join(self.out, "matrix.md")) as f:
            md = f.read()
        self.assertIn("| seed | ✅ cond-rewrite | ❌ | ❌ crash | ❌ timeout |", md)
        self.assertFalse([n for n in os.listdir(self.out) if ".tmp." in n], "a temp file was left behind")
        with open(os.path.join(self.out, "matrix.html")) as f:
            self.assertIn("seed/hang/opset17", f.read())

    def test_pass_and_fail_come_from_report_json(self):
        ok = self.cells["seed/default/opset17"]
        self.assertEqual((ok["status"], ok["strategy"], ok["sound"]), ("pass", "cond-rewrite", True))
        self.assertEqual([s["status"] for s in ok["stages"]], ["ok", "ok", "ok"])
        self.assertEqual(ok["nodes_by_op"].get("If"), 1)
        self.assertEqual(ok["node_count"], sum(ok["nodes_by_op"].values()))
        self.assertLess(ok["max_abs_diff"], 1e-4)
        self.assertTrue(os.path.exists(os.path.join(self.out, ok["dir"], "report", "report.json")))
        self.assertFalse(os.path.exists(os.path.join(self.out, ok["dir"], "model.onnx")), "--keep-models not given")
        bad = self.cells["seed/strict/opset17"]
        self.assertEqual(bad["status"], "fail")
        self.assertEqual(self.stage("seed/strict/opset17", "export")["status"], "failed")
        self.assertEqual(self.stage("seed/strict/opset17", "verify")["status"], "skipped")
        self.assertIn("data-dependent-branch", [d["code"] for d in bad["diagnostics"]])
        # Messages do not carry this run's folders.
        self.assertNotIn(self.work, json.dumps(self.doc["cells"]))

    def test_a_crashing_cell_is_a_crash(self):
        for model in ("seed", "seed-cond"):
            cell = self.cells[model + "/crash/opset17"]
            self.assertEqual(cell["status"], "crash")
            self.assertEqual(self.stage(model + "/crash/opset17", "export")["status"], "crashed")
            self.assertIn("SIGSEGV", cell["diagnostics"][0]["message"])

    def test_a_hanging_cell_is_killed_at_its_timeout(self):
        for model in ("seed", "seed-cond"):
            cell = self.cells[model + "/hang/opset17"]
            self.assertEqual(cell["status"], "timeout")
            self.assertIn("within 4 s", cell["diagnostics"][0]["message"])
            self.assertGreaterEqual(cell["seconds"], 4)
        self.assertLess(self.seconds, 120)
        # Nothing of the killed cells is left running.
        leftovers = []
        for pid in os.listdir("/proc"):
            try:
                with open("/proc/%s/cmdline" % pid, "rb") as f:
                    if self.out.encode() in f.read():
                        leftovers.append(pid)
            except OSError:
                pass
        self.assertEqual(leftovers, [])

    def test_progress_bar_on_a_terminal(self):
        self.assertIn("\r\x1b[K[matrix] ", self.terminal)
        self.assertRegex(self.terminal, r"\[matrix\] \d+/8 ")
        self.assertIn("running", self.terminal)
        # A failing cell keeps a line of its own.
        self.assertRegex(self.terminal, r"\[matrix\] ❌ crash seed/crash/opset17 \(export crashed")


class ShardsAndBaselines(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.work = scratch("shards")
        spec = good_spec()
        spec["models"].append(os.path.join(EXAMPLES, "seed-gt"))
        spec["combinations"][1] = {"name": "torch-compatible", "config": "torch-compatible"}
        cls.spec = write_json(os.path.join(cls.work, "MATRIX.json"), spec)
        cls.single = os.path.join(cls.work, "single")
        proc = matrix(cls.spec, "-o", cls.single, "-j", "2")
        assert proc.returncode == 0, proc.stderr
        cls.parts = []
        for i in range(3):
            part = os.path.join(cls.work, "shard%d" % i)
            proc = matrix(cls.spec, "-o", part, "-j", "2", "--shard", "%d/3" % i)
            assert proc.returncode == 0, proc.stderr
            cls.parts.append(part)

    def test_three_shards_merged_equal_one_run(self):
        merged = os.path.join(self.work, "merged")
        proc = matrix("merge", *self.parts, "-o", merged)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        one = without_times(read_json(os.path.join(self.single, "matrix.json")))
        joined = without_times(read_json(os.path.join(merged, "matrix.json")))
        self.assertEqual(len(one["cells"]), 12)
        for a, b in zip(one["cells"], joined["cells"]):
            self.assertEqual(a, b)
        self.assertEqual(one, joined)
        for part in self.parts:
            self.assertLess(len(read_json(os.path.join(part, "matrix.json"))["cells"]), 12)
        # The merged output carries the cells' reports.
        cell = joined["cells"][0]
        self.assertTrue(os.path.exists(os.path.join(merged, cell["dir"], "report", "report.json")))
        with open(os.path.join(merged, "matrix.md")) as f, open(os.path.join(self.single, "matrix.md")) as g:
            self.assertEqual(f.read().split("**", 1)[1], g.read().split("**", 1)[1])

    def test_merge_refuses_missing_overlapping_and_foreign_parts(self):
        out = os.path.join(self.work, "refused")
        proc = matrix("merge", *self.parts[:2], "-o", out)
        self.assertEqual(proc.returncode, 2)
        self.assertIn("missing shard(s): 2 of 3", proc.stderr)
        proc = matrix("merge", self.single, self.parts[0], "-o", out)
        self.assertEqual(proc.returncode, 2)
        self.assertIn("(overlapping parts)", proc.stderr)
        foreign = read_json(os.path.join(self.parts[2], "matrix.json"))
        foreign["matrix"]["digest"] = "1" * 64
        path = write_json(os.path.join(self.work, "foreign", "matrix.json"), foreign)
        proc = matrix("merge", self.parts[0], self.parts[1], path, "-o", out)
        self.assertEqual(proc.returncode, 2)
        self.assertIn(path + ": /matrix/digest: this part comes from another matrix", proc.stderr)
        self.assertFalse(os.path.exists(os.path.join(out, "matrix.json")))

    def test_baseline_update_compare_regressions_and_improvements(self):
        base = os.path.join(self.work, "baseline.json")
        out = os.path.join(self.work, "compared")
        proc = matrix("merge", self.single, "-o", out, "--baseline", base, "--update-baseline")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        written = read_json(base)
        self.assertNotIn("seconds", json.dumps(written))
        proc = matrix("merge", self.single, "-o", out, "--baseline", base)
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        self.assertIn("12 cell(s) compared, 0 regression(s), 0 improvement(s)", proc.stdout)
        # A baseline where a cell that does not pass passed, and a passing one failed.
        cells = {c["id"]: c for c in written["cells"]}
        failing = next(i for i, c in cells.items() if c["status"] != "pass")
        now = cells[failing]["status"]
        passing = next(i for i, c in cells.items() if c["status"] == "pass")
        cells[failing]["status"] = "pass"
        cells[passing]["status"] = "fail"
        write_json(base, written)
        proc = matrix("merge", self.single, "-o", out, "--baseline", base)
        self.assertEqual(proc.returncode, 1, proc.stdout + proc.stderr)
        self.assertIn("1 regression(s), 1 improvement(s)", proc.stdout)
        self.assertRegex(proc.stdout, r"REGRESSION %s: pass → %s" % (re.escape(failing), now))
        self.assertIn("IMPROVED   %s: fail → pass" % passing, proc.stdout)


if __name__ == "__main__":
    unittest.main()
