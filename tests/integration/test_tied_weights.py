"""Tied weights (issue 14, docs/program-format.md "tied_weights"): a Linear
whose weight is an Embedding's weight (a language model's lm head tied to its
token embedding) is stored once in weights.safetensors, is one ONNX
initializer read by both the Gather and the head, and the model matches
eager PyTorch in ONNX Runtime. Both the 2-D head (Gemm reads the weight as it
is) and the 3-D one (MatMul of the transposed weight, which constant folding
must not turn into a second, transposed copy) are checked."""
import json
import os
import struct
import subprocess
import unittest

import torch
from torch import nn

from onnxport_testlib import DEFAULT_CONFIG, ONNXPORT, OnnxportTestCase
from torch_export_check import TorchExportMixin  # puts torch2program on sys.path
from test_external_data import initializers

VOCAB, DIM = 1000, 64


class TiedLm(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(VOCAB, DIM)
        self.norm = nn.LayerNorm(DIM)
        self.head = nn.Linear(DIM, VOCAB, bias=False)
        self.head.weight = self.emb.weight  # tied: one Parameter, two names

    def forward(self, tokens):
        return self.head(torch.tanh(self.norm(self.emb(tokens))))


def safetensors_names(path):
    with open(path, "rb") as f:
        (size,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(size))
    return sorted(k for k in header if k != "__metadata__")


class TiedWeights(OnnxportTestCase, TorchExportMixin):
    def check(self, tokens_shape, name):
        torch.manual_seed(0)
        model = TiedLm().eval()
        tokens = torch.randint(0, VOCAB, tokens_shape)
        ex = self.assertExports(model, (tokens,), name)
        bundle = os.path.join(ex.folder, "bundle")
        self.assertEqual(safetensors_names(os.path.join(bundle, "weights.safetensors")),
                         ["emb.weight", "norm.bias", "norm.weight"], "the tied weight is stored once")
        with open(os.path.join(bundle, "program.json")) as f:
            self.assertEqual(json.load(f).get("tied_weights"), {"head.weight": "emb.weight"})
        weight_bytes = VOCAB * DIM * 4
        sizes = {n: len(t["raw"] or b"") for n, t in initializers(ex.model).items()}
        large = {n: s for n, s in sizes.items() if s >= 1024}
        self.assertEqual(list(large.values()), [weight_bytes],
                         "one initializer of the tied weight's bytes, not two: %s" % sizes)
        self.assertLess(sum(sizes.values()), weight_bytes + 4096, sizes)
        self.assertLess(os.path.getsize(ex.model), weight_bytes + 16384)
        other = torch.randint(0, VOCAB, tokens_shape)
        self.assertMatchesEager(ex, model, ["tokens"], [(tokens,), (other,)])
        return ex

    def test_2d_head_reads_the_embedding_weight(self):
        self.check((7,), "tied-2d")

    def test_3d_head_keeps_one_copy(self):
        ex = self.check((2, 9), "tied-3d")
        # --verify: the staged model in ONNX Runtime against eager's outputs
        # that torch2program wrote (expected.safetensors).
        proc = subprocess.run([ONNXPORT, "export", os.path.join(ex.folder, "bundle"), "-c", DEFAULT_CONFIG, "-o",
                               os.path.join(ex.folder, "verified.onnx"), "--verify"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=300)
        self.assertExitCode(proc, 0, "export --verify of the tied bundle")


if __name__ == "__main__":
    unittest.main()
