"""torch.nn sequence models end to end: LSTM, GRU, MultiheadAttention,
TransformerEncoderLayer, TransformerEncoder and a small torchvision
VisionTransformer (the same code as vit_b_16, scaled down).

Each model is written as a bundle by torch2program into MODELS_WORK_DIR,
exported with config/default.json (`onnxport export --verify`: the onnx
checker, then ONNX Runtime against eager PyTorch within the config's atol 1e-4,
rtol 1e-3), and run in the reference interpreter (`onnxport run`). The report
must show the ops we expect, so a model that silently took another code path
(e.g. MultiheadAttention's slow path instead of the fused one) is noticed.

Environment (set by ctest): ONNXPORT (the CLI), ONNXPORT_CONFIG, MODELS_WORK_DIR.
"""
import json
import os
import shutil
import subprocess
import unittest
import warnings

import torch
from torch import nn

from torch2program import write_bundle

ONNXPORT = os.environ.get("ONNXPORT", "")
CONFIG = os.environ.get("ONNXPORT_CONFIG", "")
WORK = os.environ.get("MODELS_WORK_DIR", "")


class TensorsOnly(nn.Module):
    """Calls the wrapped module with tensors only. A bare nn.LSTM bundle also has
    forward's defaulted `hx=None` as a (NoneType) program input."""

    def __init__(self, module):
        super().__init__()
        self.module = module

    def forward(self, x):
        return self.module(x)


class LstmWithState(nn.Module):
    """nn.LSTM given (h0, c0)."""

    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(16, 32, num_layers=2, bidirectional=True)

    def forward(self, x, h0, c0):
        return self.lstm(x, (h0, c0))


class CrossAttention(nn.Module):
    """Distinct query, key and value, sequence-first: MultiheadAttention's slow path."""

    def __init__(self):
        super().__init__()
        self.attn = nn.MultiheadAttention(64, 4)

    def forward(self, query, key, value):
        return self.attn(query, key, value)


class SelfAttention(nn.Module):
    """nn.MultiheadAttention as self-attention (query is key is value): the fused fast path."""

    def __init__(self, batch_first=True):
        super().__init__()
        self.attn = nn.MultiheadAttention(64, 4, batch_first=batch_first)

    def forward(self, x):
        out, weights = self.attn(x, x, x)
        return out, weights


class SelfAttentionKeyPadding(SelfAttention):
    """The fast path with a key padding mask (mask_type 1)."""

    def forward(self, x, key_padding_mask):
        return self.attn(x, x, x, key_padding_mask=key_padding_mask, need_weights=False)[0]


def small_vit():
    from torchvision.models.vision_transformer import VisionTransformer
    vit = VisionTransformer(image_size=32, patch_size=8, num_layers=2, num_heads=4, hidden_dim=32, mlp_dim=64,
                            num_classes=10)
    # torchvision zero-initializes the classifier head, which would make the
    # output (and the comparison) all zeros.
    nn.init.normal_(vit.heads.head.weight, std=0.5)
    nn.init.normal_(vit.heads.head.bias, std=0.5)
    return vit


def recurrent(cls, batch_first):
    return TensorsOnly(cls(16, 32, num_layers=2, bidirectional=True, batch_first=batch_first))


def encoder_layer(**kwargs):
    return nn.TransformerEncoderLayer(d_model=64, nhead=4, dim_feedforward=128, batch_first=True, **kwargs)


def padding_mask():
    mask = torch.zeros(2, 10, dtype=torch.bool)
    mask[0, 7:] = True
    mask[1, 9:] = True
    return mask


class SequenceModelTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not ONNXPORT or not os.access(ONNXPORT, os.X_OK) or not CONFIG or not WORK:
            raise RuntimeError("ONNXPORT, ONNXPORT_CONFIG and MODELS_WORK_DIR must be set; run through ctest")
        torch.set_num_threads(1)

    def run_onnxport(self, *args):
        return subprocess.run([ONNXPORT, *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              timeout=240)

    def export_and_verify(self, name, module, args, expect_ops=(), forbid_ops=()):
        """Bundle, export with --verify, run the reference interpreter; returns the report."""
        torch.manual_seed(0)
        work = os.path.join(WORK, name)
        shutil.rmtree(work, ignore_errors=True)
        bundle = os.path.join(work, "bundle")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            summary = write_bundle(module.eval(), args, bundle, expected=True)
        self.assertEqual(summary["capture"], "script", f"{name}: {summary.get('script_error')}")
        report_dir = os.path.join(work, "report")
        result = self.run_onnxport("export", bundle, "-c", CONFIG, "-o", os.path.join(work, "model.onnx"),
                                   "--report", report_dir, "--verify")
        self.assertEqual(result.returncode, 0, f"onnxport export {name}:\n{result.stdout}")
        self.assertIn("✅", result.stdout)
        with open(os.path.join(report_dir, "report.json")) as f:
            report = json.load(f)
        graph_ops = json.dumps(report)
        for op in expect_ops:
            self.assertIn(f'"{op}"', graph_ops, f"{name}: expected {op} in the captured graph")
        for op in forbid_ops:
            self.assertNotIn(f'"{op}"', graph_ops, f"{name}: {op} should not be in the captured graph")
        run = self.run_onnxport("run", bundle)
        self.assertEqual(run.returncode, 0, f"onnxport run {name}:\n{run.stdout}")
        self.assertNotIn("❌", run.stdout)
        return report

    # ---- recurrent ---------------------------------------------------------------

    def test_lstm_sequence_first(self):
        self.export_and_verify("lstm", recurrent(nn.LSTM, False), (torch.randn(7, 2, 16),), ["aten::lstm"])

    def test_lstm_batch_first(self):
        self.export_and_verify("lstm_batch_first", recurrent(nn.LSTM, True), (torch.randn(2, 7, 16),),
                               ["aten::lstm"])

    def test_lstm_with_initial_state(self):
        self.export_and_verify("lstm_state", LstmWithState(),
                               (torch.randn(7, 2, 16), torch.randn(4, 2, 32), torch.randn(4, 2, 32)),
                               ["aten::lstm"])

    def test_gru_sequence_first(self):
        self.export_and_verify("gru", recurrent(nn.GRU, False), (torch.randn(7, 2, 16),), ["aten::gru"])

    def test_gru_batch_first(self):
        self.export_and_verify("gru_batch_first", recurrent(nn.GRU, True), (torch.randn(2, 7, 16),), ["aten::gru"])

    # ---- attention ---------------------------------------------------------------

    def test_multihead_self_attention_fast_path(self):
        self.export_and_verify("mha_self", SelfAttention(), (torch.randn(2, 10, 64),),
                               ["aten::_native_multi_head_attention"])

    def test_multihead_attention_key_padding(self):
        self.export_and_verify("mha_key_padding", SelfAttentionKeyPadding(), (torch.randn(2, 10, 64), padding_mask()),
                               ["aten::_native_multi_head_attention"])

    def test_multihead_attention_distinct_inputs_slow_path(self):
        # query, key and value differ and batch_first is off: F.multi_head_attention_forward.
        self.export_and_verify("mha_slow", CrossAttention(), (torch.randn(10, 2, 64), torch.randn(6, 2, 64), torch.randn(6, 2, 64)),
                               forbid_ops=["aten::_native_multi_head_attention"])

    def test_transformer_encoder_layer(self):
        self.export_and_verify("encoder_layer", TensorsOnly(encoder_layer()), (torch.randn(2, 10, 64),),
                               ["aten::_transformer_encoder_layer_fwd"])

    def test_transformer_encoder_layer_norm_first_gelu(self):
        self.export_and_verify("encoder_layer_norm_first", TensorsOnly(encoder_layer(norm_first=True, activation="gelu")),
                               (torch.randn(2, 10, 64),), ["aten::_transformer_encoder_layer_fwd"])

    def test_transformer_encoder_two_layers(self):
        encoder = nn.TransformerEncoder(encoder_layer(), num_layers=2, enable_nested_tensor=False)
        self.export_and_verify("encoder", TensorsOnly(encoder), (torch.randn(2, 10, 64),), ["aten::_transformer_encoder_layer_fwd"])

    def test_small_vision_transformer(self):
        self.export_and_verify("small_vit", small_vit(), (torch.randn(1, 3, 32, 32),),
                               ["aten::_native_multi_head_attention"])


if __name__ == "__main__":
    unittest.main()
