"""Issue 4, data-dependent values through torch2program, onnxport (default
config: cond-rewrite takes over where strict/non-strict refuse) and ONNX
Runtime, fed inputs that take every branch / run loops different counts."""
import json
import unittest

import torch
from torch import nn

from onnxport_testlib import OnnxportTestCase
from torch_export_check import TorchExportMixin, export, onnx_io

torch.manual_seed(0)
r = torch.randn
POS, NEG = (r(3, 4).abs() + 0.1,), (-r(3, 4).abs() - 0.1,)


class ItemThreshold(nn.Module):
    def forward(self, x):
        if x.max().item() > 0.5:
            return x * 2
        return x - 1


class SeveralOutputs(nn.Module):
    def forward(self, x):
        if x.sum() > 0:
            a, b = x * 2, x + 1
        else:
            a, b = x - 1, x * 3
        return a, b


class DifferentShapes(nn.Module):
    def forward(self, x):
        if x.sum() > 0:
            return x[:1]
        return x


class Nested(nn.Module):
    def forward(self, x):
        if x.sum() > 0:
            if x.max() > 2:
                return x * 3
            return x * 2
        return -x


class ForOverDynamicDim(nn.Module):
    def forward(self, x):
        acc = torch.zeros_like(x[0])
        for i in range(x.size(0)):
            acc = acc + x[i] * (i + 1)
        return acc


class WhileOnData(nn.Module):
    def forward(self, x):
        while x.sum() < 100:
            x = x * 2
        return x


class LoopSeveralCarried(nn.Module):
    def forward(self, x):
        h = torch.zeros_like(x[0])
        c = torch.ones_like(x[0])
        while h.sum() < 10:
            h = h + c
            c = c * 2
        return h, c


class StackPerIteration(nn.Module):
    def forward(self, x):
        outs = []
        h = torch.zeros_like(x[0])
        for i in range(x.size(0)):
            h = torch.tanh(h + x[i])
            outs.append(h)
        return torch.stack(outs), h


class NonzeroRows(nn.Module):
    def forward(self, x):
        idx = torch.nonzero(x > 0)
        return idx, idx.shape[0] * 2 + x.sum()


class MaskSelect(nn.Module):
    def forward(self, x):
        picked = x[x > 0]
        return picked * 2, picked.sum()


class MaskRows(nn.Module):
    def forward(self, x):
        keep = x.sum(1) > 0
        return x[keep].relu()


class ItemAsSize(nn.Module):
    def forward(self, x):
        n = int((x > 0).sum().item())
        return torch.ones(n) * 3


class RaiseOnData(nn.Module):
    def forward(self, x):
        if x.sum() > 0:
            raise ValueError("positive")
        return x


class DataDependent(OnnxportTestCase, TorchExportMixin):
    def check(self, m, name, example, *others, **kw):
        ex = self.assertExports(m, example, name, **kw)
        self.assertMatchesEager(ex, m, ["x"], [example, *others])
        return ex

    def strategy(self, ex):
        return ex.report["capture"]["strategy"] if "capture" in ex.report else json.dumps(ex.report)

    def test_item_threshold_becomes_if(self):
        ex = self.check(ItemThreshold(), "dd-item", POS, NEG)
        self.assertIn("cond-rewrite", json.dumps(ex.report))

    def test_branches_returning_several_tensors(self):
        self.check(SeveralOutputs(), "dd-several", POS, NEG)

    def test_branches_returning_different_shapes(self):
        self.check(DifferentShapes(), "dd-shapes", POS, NEG)

    def test_nested_ifs(self):
        self.check(Nested(), "dd-nested", POS, (POS[0] + 3,), NEG)

    def test_for_over_a_dynamic_dim(self):
        self.check(ForOverDynamicDim(), "dd-for", (r(3, 4),), (r(6, 4),), dynamic_shapes={"x": {0: "batch"}})

    def test_while_on_tensor_data(self):
        self.check(WhileOnData(), "dd-while", (r(3, 4).abs(),), (r(3, 4).abs() * 40,), (r(3, 4).abs() * 0.01,))

    def test_loop_carrying_several_values(self):
        self.check(LoopSeveralCarried(), "dd-carried", (r(3, 4),), (r(3, 4) * 0 + 3,))

    def test_stacked_outputs_over_a_dynamic_dim(self):
        self.check(StackPerIteration(), "dd-stack", (r(3, 4),), (r(5, 4),), dynamic_shapes={"x": {0: "batch"}})

    def test_nonzero_has_an_unbacked_count(self):
        ex = self.check(NonzeroRows(), "dd-nonzero", (r(3, 4),), (r(3, 4),), (-r(3, 4).abs(),))
        self.assertRegex(str(onnx_io(ex.model)[1][0][1][0]), r"^u\d+$")

    def test_boolean_mask_index(self):
        self.check(MaskSelect(), "dd-mask", (r(3, 4),), (r(3, 4),), NEG)

    def test_boolean_mask_over_rows(self):
        self.check(MaskRows(), "dd-mask-rows", (r(5, 3),), (r(5, 3),))

    def test_item_as_a_size(self):
        self.check(ItemAsSize(), "dd-item-size", (r(3, 4),), (r(3, 4),), NEG)

    def test_an_argument_check_on_data_exports_the_path_that_does_not_raise(self):
        # Every input eager accepts takes the other branch: sound in every
        # strategy, and the report notes the assumption with its line.
        for strategy in ("strict", "cond-rewrite"):
            ex = export(RaiseOnData(), NEG, "dd-raise-" + strategy, strategies=[strategy])
            self.assertTrue(ex.ok, ex.text())
            self.assertIs(ex.report["status"]["sound"], True)
            self.assertMatchesEager(ex, RaiseOnData(), ["x"], [NEG, (-NEG[0].abs() - 1,)])
            notes = [d for attempt in ex.report["capture"]["attempts"] for d in attempt["diagnostics"]
                     if d.get("code") == "raise-branch-skipped"]
            self.assertEqual(len(notes), 1, ex.report["capture"])
            self.assertIn("test_data_dependent.py", str(notes[0]))


if __name__ == "__main__":
    unittest.main()
