"""Issue 4, dynamic shapes: dims made dynamic by the program, the config or
`--dynamic` stay dynamic in the ONNX model (dim_params), shape arithmetic is
computed at run time, and every model runs in ONNX Runtime on two sizes and
matches eager PyTorch on both. Guards on dynamic dims: strict refuses, the
others specialize and say so in the report."""
import json
import os
import unittest

import torch
from torch import nn

from onnxport_testlib import DEFAULT_CONFIG, OnnxportTestCase, fresh_dir, run
from torch_export_check import TorchExportMixin, export, onnx_io, write_safetensors

torch.manual_seed(0)
r = torch.randn


class ViewBatch(nn.Module):
    def forward(self, x):
        return x.view(x.size(0), -1) * 2


class ZerosDouble(nn.Module):
    def forward(self, x):
        return torch.zeros(x.shape[0] * 2) + x.sum()


class SliceToOther(nn.Module):
    def forward(self, x, y):
        return x[:, : y.shape[1]] * y.sum()


class Flatten(nn.Module):
    def forward(self, x):
        return torch.flatten(x, 1)


class ExpandTo(nn.Module):
    def forward(self, x, y):
        return x.expand(y.size(0), -1) + y


class ReshapeProduct(nn.Module):
    def forward(self, x):
        b = x.size(0)
        return x.reshape(b * x.size(1), -1)


class ShapeBranch(nn.Module):
    def forward(self, x):
        if x.size(0) > 4:
            return x * 2
        return x - 1


class DynamicShapes(OnnxportTestCase, TorchExportMixin):
    def check(self, module, names, example, other, name, **kw):
        ex = self.assertExports(module, example, name, **kw)
        self.assertMatchesEager(ex, module, names, [example, other])
        return ex

    def test_view_with_size_from_program_dims(self):
        ex = self.check(ViewBatch(), ["x"], (r(3, 4, 5),), (r(5, 4, 5),), "dyn-view", dynamic_shapes={"x": {0: "batch"}})
        inputs, outputs = onnx_io(ex.model)
        self.assertEqual(inputs, [("x", ["batch", 4, 5])])
        self.assertEqual(outputs[0][1], ["batch", 20])

    def test_zeros_of_twice_a_dim(self):
        ex = self.check(ZerosDouble(), ["x"], (r(3, 4),), (r(6, 4),), "dyn-zeros", dynamic_shapes={"x": {0: "batch"}})
        self.assertEqual(onnx_io(ex.model)[1][0][1], ["(batch*2)"])

    def test_slice_to_another_inputs_dim(self):
        self.check(SliceToOther(), ["x", "y"], (r(3, 8), r(2, 5)), (r(3, 8), r(2, 3)), "dyn-slice",
                   dynamic_shapes={"y": {1: "n"}})

    def test_flatten_two_dynamic_dims(self):
        ex = self.check(Flatten(), ["x"], (r(3, 4, 5),), (r(2, 4, 7),), "dyn-flatten",
                        dynamic_shapes={"x": {0: "batch", 2: "w"}})
        self.assertEqual(onnx_io(ex.model)[1][0][1][0], "batch")

    def test_expand_to_a_dynamic_dim(self):
        self.check(ExpandTo(), ["x", "y"], (r(1, 4), r(3, 4)), (r(1, 4), r(6, 4)), "dyn-expand",
                   dynamic_shapes={"y": {0: "batch"}})

    def test_reshape_with_a_product_of_sizes(self):
        self.check(ReshapeProduct(), ["x"], (r(3, 4, 5),), (r(2, 4, 5),), "dyn-reshape",
                   dynamic_shapes={"x": {0: "batch"}})

    def test_cli_dynamic_flag_makes_a_static_program_dynamic(self):
        ex = self.check(ViewBatch(), ["x"], (r(3, 4, 5),), (r(7, 4, 5),), "dyn-cli", cli_dynamic=["x:0=batch"])
        self.assertEqual(onnx_io(ex.model)[0], [("x", ["batch", 4, 5])])

    def test_cli_dynamic_is_repeatable_and_renames_a_program_dim(self):
        ex = self.check(Flatten(), ["x"], (r(3, 4, 5),), (r(2, 4, 6),), "dyn-cli-two",
                        dynamic_shapes={"x": {0: "batch"}}, cli_dynamic=["x:0=b", "x:2=w"])
        self.assertEqual(onnx_io(ex.model)[0], [("x", ["b", 4, "w"])])

    def test_run_on_a_static_bundle_says_how_to_feed_another_batch(self):
        # Exported with `export --dynamic`: the model is dynamic, the bundle is
        # not, and `onnxport run` interprets the bundle (issue 13).
        ex = self.check(ViewBatch(), ["x"], (r(3, 4, 5),), (r(7, 4, 5),), "dyn-run-static", cli_dynamic=["x:0=batch"])
        bundle = os.path.join(ex.folder, "bundle")
        other = os.path.join(ex.folder, "batch7.safetensors")
        write_safetensors(other, {"x": r(7, 4, 5)})
        proc = run("run", bundle, "--inputs", other, "--onnx", ex.model)
        self.assertExitCode(proc, 2, "run on batch 7")
        self.assertIn(other + ": input `x`: size 7 at dim 0, where the bundle declares 3", proc.stderr)
        self.assertIn("feed inputs of the bundle's sizes (x: [3, 4, 5])", proc.stderr)
        self.assertIn("--dynamic x:0=batch", proc.stderr)
        self.assertNotIn("Reference interpreter outputs", proc.stdout)
        # The hint's first way out: the bundle's sizes run.
        same = os.path.join(ex.folder, "batch3.safetensors")
        write_safetensors(same, {"x": r(3, 4, 5)})
        self.assertExitCode(run("run", bundle, "--inputs", same, "--onnx", ex.model), 0, "run on batch 3")
        # The second: a bundle written with the batch dynamic runs batch 7
        # against the same dynamic model.
        dynamic = export(ViewBatch(), (r(3, 4, 5),), "dyn-run-dynamic", dynamic_shapes={"x": {0: "batch"}})
        self.assertTrue(dynamic.ok, dynamic.text())
        proc = run("run", os.path.join(dynamic.folder, "bundle"), "--inputs", other, "--onnx", ex.model)
        self.assertExitCode(proc, 0, "dynamic bundle on batch 7")
        self.assertIn("ONNX Runtime vs reference interpreter:", proc.stdout)

    def test_config_dynamic_shapes(self):
        folder = fresh_dir("dyn-config-file")
        config = os.path.join(folder, "config.json")
        with open(DEFAULT_CONFIG) as f:
            cfg = json.load(f)
        cfg["dynamic_shapes"] = {"x": {"0": "batch"}}
        with open(config, "w") as f:
            json.dump(cfg, f)
        ex = self.check(ViewBatch(), ["x"], (r(3, 4, 5),), (r(6, 4, 5),), "dyn-config", config=config)
        self.assertEqual(onnx_io(ex.model)[0], [("x", ["batch", 4, 5])])

    def test_bad_cli_dynamic_is_a_usage_error(self):
        for spec, words in (("x0=batch", "NAME:DIM=SYMBOL"), ("x:a=batch", "not an axis"), ("x:0=1b", "symbol")):
            ex = export(ViewBatch(), (r(3, 4, 5),), "dyn-bad", cli_dynamic=[spec])
            self.assertNotEqual(ex.proc.returncode, 0, spec)
            self.assertIn(words, ex.text(), spec)

    def test_dynamic_dim_of_an_unknown_input_is_an_error(self):
        ex = export(ViewBatch(), (r(3, 4, 5),), "dyn-unknown", cli_dynamic=["y:0=batch"])
        self.assertNotEqual(ex.proc.returncode, 0)
        self.assertIn("`y`", ex.text())

    def test_strict_refuses_a_guard_on_a_dynamic_dim(self):
        ex = export(ShapeBranch(), (r(3, 4),), "dyn-guard-strict", dynamic_shapes={"x": {0: "batch"}},
                    strategies=["strict"])
        self.assertFalse(ex.ok)
        text = ex.text()
        for piece in ("`batch`", "batch=3", "test_dynamic_shapes.py:", "x.size(0) > 4"):
            self.assertIn(piece, text)

    def test_non_strict_refuses_a_guard_on_a_dynamic_dim_too(self):
        # As torch.export's non-strict mode: a constraint violation, never a silent specialization.
        ex = export(ShapeBranch(), (r(3, 4),), "dyn-guard-nonstrict", dynamic_shapes={"x": {0: "batch"}},
                    strategies=["non-strict"])
        self.assertEqual(ex.proc.returncode, 1, ex.text())
        text = ex.text()
        for piece in ("`batch`", "batch=3", "x.size(0) > 4", "would pin the dim to `Le(batch, 4)`",
                      "`cond-rewrite`", "`draft`", "dynamic_shapes"):
            self.assertIn(piece, text)
        error = [d for d in ex.report["capture"]["attempts"][0]["diagnostics"] if d["severity"] == "error"][0]
        self.assertEqual(error["code"], "dynamic-dim-guard")
        self.assertEqual(error["details"]["would_pin_to"], "Le(batch, 4)")
        self.assertEqual(error["loc"]["text"].strip(), "if x.size(0) > 4:")

    def test_draft_specializes_a_guard_with_a_warning(self):
        # The graph is not sound, so the default config writes it only with --allow-unsound
        # (test_sound_first.py covers the refusal).
        ex = export(ShapeBranch(), (r(3, 4),), "dyn-guard-draft", dynamic_shapes={"x": {0: "batch"}},
                    strategies=["draft"], extra=["--allow-unsound"])
        self.assertTrue(ex.ok, ex.text())
        self.assertIn("with `draft`... ⚠", ex.text())
        self.assertIn("Le(batch, 4)", ex.report["soundness"]["draft_report"])
        report = json.dumps(ex.report)
        self.assertIn("guard-added", report)
        # Only right while batch <= 4: the report says the graph is not sound.
        self.assertIs(ex.report["soundness"]["sound"], False)
        self.assertIn("Le(batch, 4)", [a["expr"] for a in ex.report["soundness"]["runtime_assertions"]])
        self.assertIn("Le(batch, 4)", report)
        with open(os.path.join(ex.folder, "report", "report.md")) as f:
            self.assertIn("Le(batch, 4)", f.read())
        self.assertMatchesEager(ex, ShapeBranch(), ["x"], [(r(3, 4),), (r(2, 4),)])


if __name__ == "__main__":
    unittest.main()
