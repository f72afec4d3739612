"""`--verify` feeds the exported model by input name. Modules whose forward
takes None defaults (nn.GRU's hx, nn.TransformerEncoderLayer's masks) have
program inputs with no ONNX input; verification must still run, bare, with
no wrapper that hides those parameters."""
import os
import subprocess
import sys
import unittest

from onnxport_testlib import DEFAULT_CONFIG, OnnxportTestCase, fresh_dir, run

ROOT = os.environ.get("ONNXPORT_SOURCE", os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
TORCH2PROGRAM = os.path.join(ROOT, "tools", "torch2program", "torch2program.py")


def make_bundle(name, module, kwargs, inputs):
    out = fresh_dir(name)
    cmd = ["/usr/bin/python3", TORCH2PROGRAM, module, "--kwargs", kwargs, "--expected", "-o", out]
    for spec in inputs:
        cmd += ["--input", spec]
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if proc.returncode != 0:
        raise AssertionError("torch2program failed:\n" + proc.stdout)
    return out


class VerifyFeedsByName(OnnxportTestCase):
    def export_verified(self, bundle, name):
        out = os.path.join(fresh_dir(name + "-out"), "model.onnx")
        proc = run("export", bundle, "-c", DEFAULT_CONFIG, "-o", out, "--verify")
        self.assertExitCode(proc, 0, proc.stderr)
        self.assertIn("Compare the outputs with the expected.safetensors... ✅", proc.stderr)
        self.assertTrue(os.path.exists(out))

    def test_bare_gru_with_none_hidden_state(self):
        bundle = make_bundle("gru-bare", "torch.nn:GRU",
                             '{"input_size": 8, "hidden_size": 6, "num_layers": 2, "bidirectional": true}',
                             ["input=7x2x8"])
        self.export_verified(bundle, "gru-bare")

    def test_bare_transformer_encoder_layer_with_none_masks(self):
        bundle = make_bundle("tel-bare", "torch.nn:TransformerEncoderLayer",
                             '{"d_model": 16, "nhead": 2, "dim_feedforward": 32, "batch_first": true}',
                             ["src=2x5x16"])
        self.export_verified(bundle, "tel-bare")


    def test_attention_without_weights_returns_none_for_them(self):
        # nn.MultiheadAttention(need_weights=False) returns (out, None): the
        # fused op's weights are undefined, so the model has one output, as
        # the eager reference has.
        source = os.path.join(fresh_dir("mha-none-src"), "mha_none.py")
        with open(source, "w") as f:
            f.write("from torch import nn\n\n\n"
                    "class M(nn.Module):\n"
                    "    def __init__(self):\n"
                    "        super().__init__()\n"
                    "        self.attn = nn.MultiheadAttention(16, 2, batch_first=True)\n\n"
                    "    def forward(self, x):\n"
                    "        return self.attn(x, x, x, need_weights=False)\n")
        bundle = make_bundle("mha-none", source + ":M", "{}", ["x=2x5x16"])
        self.export_verified(bundle, "mha-none")
        model = os.path.join(fresh_dir("mha-none-out"), "model.onnx")
        proc = run("export", bundle, "-c", DEFAULT_CONFIG, "-o", model, "-q")
        self.assertExitCode(proc, 0, proc.stderr)
        text = run("inspect", model).stdout
        signature = [line for line in text.splitlines() if "=>" in line][0]
        self.assertEqual(signature.split("=>")[1].count("float"), 1, signature)


if __name__ == "__main__":
    unittest.main()
