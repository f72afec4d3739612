"""Numbers that torch.jit.trace froze (issue 10; docs/torch2program.md "Frozen
numbers", docs/strategies.md "Sound first"): torch2program guards each Python
number the trace made from an integer tensor with aten::_assert_async, and the
engine decides it with its symbolic shapes. A number made from a size every
valid input shares (a static dim) exports soundly with config/default.json and
is right on other batch sizes; one made from a declared dynamic dim or from
tensor data is refused with exit 1, naming the dim or the data and the line."""
import math
import os
import unittest

import torch
from torch import nn

from onnxport_testlib import OnnxportTestCase, read_json
from torch_export_check import TorchExportMixin, export


class ScaleByRootOfWidth(nn.Module):
    def forward(self, x):
        return x / math.sqrt(x.shape[-1])  # traced: a Python float made from a size


class ScaleByCount(nn.Module):
    def forward(self, x, counts):
        return x * int(counts.sum())  # traced: a Python int read from tensor data


class CrossAttention(nn.Module):
    """nn.MultiheadAttention with kdim/vdim (PyTorch 1.13 cannot script it), an
    additive causal attn_mask and a key padding mask: its trace freezes
    math.sqrt(head_dim) (torch/nn/functional.py)."""

    def __init__(self):
        super().__init__()
        self.attn = nn.MultiheadAttention(16, 4, batch_first=True, kdim=8, vdim=8)

    def forward(self, query, key, key_padding_mask):
        mask = torch.triu(torch.full((query.size(1), key.size(1)), float("-inf")), diagonal=1)
        return self.attn(query, key, key, attn_mask=mask, key_padding_mask=key_padding_mask)


def padding(batch, keys, masked):
    mask = torch.zeros(batch, keys, dtype=torch.bool)
    for row, count in enumerate(masked):
        if count:
            mask[row, keys - count:] = True
    return mask


def program_of(ex):
    return read_json(os.path.join(ex.folder, "bundle", "program.json"))


class ANumberFrozenFromAStaticSizeIsSound(OnnxportTestCase, TorchExportMixin):
    @classmethod
    def setUpClass(cls):
        torch.manual_seed(0)
        cls.ex = export(ScaleByRootOfWidth(), (torch.randn(2, 8),), "frozen-static-size",
                        dynamic_shapes={"x": {0: "batch"}}, force_trace=True)

    def test_exported_sound_and_right_on_another_batch_size(self):
        ex = self.ex
        self.assertTrue(ex.ok, ex.text())
        self.assertIs(ex.report["soundness"]["sound"], True)
        self.assertMatchesEager(ex, ScaleByRootOfWidth(), ["x"], [(torch.randn(2, 8),), (torch.randn(5, 8),)])

    def test_torch2program_guards_the_warning(self):
        producer = program_of(self.ex)["producer"]
        self.assertEqual(len(producer["trace_warnings"]), 1, producer)
        self.assertIn("Converting a tensor to a Python float", producer["trace_warnings"][0])
        self.assertIn("test_frozen_numbers.py:", producer["trace_warnings"][0])
        self.assertEqual(producer["trace_guards"], producer["trace_warnings"])
        kinds = [n["kind"] for n in program_of(self.ex)["graph"]["nodes"]]
        self.assertIn("aten::_assert_async", kinds)


class ANumberFrozenFromADynamicDimIsRefused(OnnxportTestCase):
    @classmethod
    def setUpClass(cls):
        cls.ex = export(ScaleByRootOfWidth(), (torch.randn(2, 8),), "frozen-dynamic-size",
                        dynamic_shapes={"x": {0: "batch", 1: "width"}}, force_trace=True)

    def test_exit_1_naming_the_dim_and_the_line(self):
        ex = self.ex
        self.assertExitCode(ex.proc, 1, "export of a number frozen from a dynamic dim")
        self.assertFalse(os.path.exists(ex.model))
        self.assertIn("dim `width`", ex.proc.stderr)
        self.assertIn("test_frozen_numbers.py:", ex.proc.stderr)
        self.assertIn("math.sqrt(x.shape[-1])", ex.proc.stderr)
        self.assertIn("no strategy can make it follow the dim", ex.proc.stderr)


class ANumberFrozenFromDataIsRefused(OnnxportTestCase):
    @classmethod
    def setUpClass(cls):
        cls.ex = export(ScaleByCount(), (torch.randn(2, 3), torch.tensor([1, 2])), "frozen-data",
                        dynamic_shapes={"x": {0: "batch"}}, force_trace=True)

    def test_exit_1_saying_it_comes_from_data(self):
        ex = self.ex
        self.assertExitCode(ex.proc, 1, "export of a number frozen from tensor data")
        self.assertFalse(os.path.exists(ex.model))
        self.assertIn("is read from tensor data", ex.proc.stderr)
        self.assertIn("int(counts.sum())", ex.proc.stderr)


class MaskedCrossAttentionIsSound(OnnxportTestCase, TorchExportMixin):
    @classmethod
    def setUpClass(cls):
        torch.manual_seed(0)
        cls.module = CrossAttention().eval()
        cls.args = (torch.randn(2, 5, 16), torch.randn(2, 6, 8), padding(2, 6, [1, 0]))
        cls.ex = export(cls.module, cls.args, "frozen-masked-attention",
                        dynamic_shapes={"query": {0: "batch"}, "key": {0: "batch"}, "key_padding_mask": {0: "batch"}})

    def test_traced_and_exported_sound(self):
        ex = self.ex
        self.assertTrue(ex.ok, ex.text())
        self.assertEqual(program_of(ex)["producer"]["capture"], "trace")
        self.assertIs(ex.report["soundness"]["sound"], True)

    def test_right_on_other_batch_sizes_and_masks(self):
        torch.manual_seed(1)
        cases = [self.args,
                 (torch.randn(3, 5, 16), torch.randn(3, 6, 8), padding(3, 6, [0, 2, 5])),
                 (torch.randn(4, 5, 16), torch.randn(4, 6, 8), padding(4, 6, [3, 0, 1, 5]))]
        self.assertMatchesEager(self.ex, self.module, ["query", "key", "key_padding_mask"], cases)


if __name__ == "__main__":
    unittest.main()
