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
    cmd = ["/usr/bin/python3", TORCH2PROGRAM, module, "--kwargs", kwargs, "-o", out]
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


if __name__ == "__main__":
    unittest.main()
