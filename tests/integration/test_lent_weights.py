"""Weights never copied (issue 14, docs/large-models.md "Weights never
copied"): an export that lends the weights from the mapped safetensors file
writes exactly the bytes of one that copies them (ONNXPORT_COPY_WEIGHTS=1),
with the weights in the model and in an external data file, for a module
whose weights are also folded (a transposed weight, a reshaped weight); the
model runs in ONNX Runtime (--verify); a write that fails in the middle
of a streamed weight leaves no partial output; and a weights file truncated
while the export runs (by a test strategy plugin that truncates it, then
declines) is an error naming the file, exit 2, with the report written and
nothing left at the output path."""
import json
import os
import resource
import shutil
import subprocess
import unittest

from onnxport_testlib import DEFAULT_CONFIG, ONNXPORT, OnnxportTestCase, fresh_dir

ROOT = os.environ.get("ONNXPORT_SOURCE", os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
TORCH2PROGRAM = os.path.join(ROOT, "tools", "torch2program", "torch2program.py")

SOURCE = """import torch
from torch import nn


class Folded(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(64, 128)                      # Gemm: the weight is lent as is
        self.w = nn.Parameter(torch.randn(32, 128))       # x @ w.t(): Transpose(w) is folded
        self.v = nn.Parameter(torch.randn(4, 8, 32))      # v.reshape(32, 32): a Reshape of a weight
        self.conv = nn.Conv1d(1, 8, 5)
        self.small = nn.Parameter(torch.randn(8))         # under 1 KB: copied

    def forward(self, x):
        h = torch.relu(self.fc(x)) @ self.w.t()
        h = h @ self.v.reshape(32, 32)
        c = self.conv(h.unsqueeze(1)).sum(dim=2)
        return c * self.small
"""


def export(bundle, out, *extra, copy=False, preexec_fn=None):
    env = dict(os.environ)
    env.pop("ONNXPORT_COPY_WEIGHTS", None)
    if copy:
        env["ONNXPORT_COPY_WEIGHTS"] = "1"
    return subprocess.run([ONNXPORT, "export", bundle, "-c", DEFAULT_CONFIG, "-o", out, *extra],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=300, env=env,
                          preexec_fn=preexec_fn)


def read(path):
    with open(path, "rb") as f:
        return f.read()


class LentWeights(OnnxportTestCase):
    @classmethod
    def setUpClass(cls):
        src = os.path.join(fresh_dir("lent-src"), "folded.py")
        with open(src, "w") as f:
            f.write(SOURCE)
        cls.bundle = fresh_dir("lent-bundle")
        proc = subprocess.run(["/usr/bin/python3", TORCH2PROGRAM, src + ":Folded", "--input", "x=3x64",
                               "-o", cls.bundle], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if proc.returncode != 0:
            raise AssertionError("torch2program failed:\n" + proc.stdout)

    def test_same_bytes_as_a_copying_export(self):
        folder = fresh_dir("lent-same")
        for extra in ([], ["--external-data"]):
            what = " ".join(extra) or "weights in the model"
            # Same file names: an external entry names the data file.
            os.makedirs(os.path.join(folder, "lent"), exist_ok=True)
            os.makedirs(os.path.join(folder, "copied"), exist_ok=True)
            lent, copied = os.path.join(folder, "lent", "model.onnx"), os.path.join(folder, "copied", "model.onnx")
            proc = export(self.bundle, lent, "--verify", *extra)
            self.assertExitCode(proc, 0, what + ": lent export")
            self.assertExitCode(export(self.bundle, copied, *extra, copy=True), 0, what + ": copying export")
            self.assertEqual(read(lent), read(copied), what + ": the model files differ")
            if extra:
                self.assertEqual(read(lent + ".data"), read(copied + ".data"), "the data files differ")
            else:
                self.assertFalse(os.path.exists(lent + ".data"))
                self.assertGreater(os.path.getsize(lent), 40000, "the weights are in the model")
            # The same bytes from the same input in a second run (nothing depends on addresses).
            self.assertExitCode(export(self.bundle, copied, *extra), 0, what + ": second lent export")
            self.assertEqual(read(lent), read(copied), what + ": two lent exports differ")

    def test_full_disk_while_streaming_a_weight(self):
        folder = fresh_dir("lent-full")
        out = os.path.join(folder, "model.onnx")
        with open(out, "wb") as f:
            f.write(b"the previous model")

        def limit_size():
            resource.setrlimit(resource.RLIMIT_FSIZE, (20000, 20000))  # inside fc.weight (32 KB)

        proc = export(self.bundle, out, preexec_fn=limit_size)
        self.assertExitCode(proc, 1, "export over the file size limit")
        self.assertIn(out + ": write failed: initializer 'fc.weight': File too large", proc.stderr)
        self.assertEqual(read(out), b"the previous model")
        self.assertEqual(sorted(os.listdir(folder)), ["model.onnx"], "partial files left behind")

    def test_weights_file_truncated_while_the_export_runs(self):
        plugin = os.environ.get("ONNXPORT_TRUNCATING_PLUGIN")
        if not plugin:
            self.skipTest("ONNXPORT_TRUNCATING_PLUGIN is not set (run through ctest)")
        plugins = [{"name": n} for n in ("strategy-strict", "strategy-non-strict", "strategy-cond-rewrite",
                                         "strategy-draft", "translators-aten")]
        # Lent weights: the folded Transpose(w) reads a vanished page (SIGBUS)
        # and the write of fc.weight fails with EFAULT. Copied weights
        # (ONNXPORT_COPY_WEIGHTS=1): translation reads every weight, the
        # vanished pages read as zeros after the SIGBUS, and nothing else
        # fails: only the check for a shrunk file stands between those zeros
        # and a wrong model.
        # --isolate: the children see the shrunk file (and refuse to send a
        # graph); the parent frees the program, and with it the mapping,
        # before the export ends, and must still report the file.
        for copy, extra, isolate in ((False, [], False), (False, ["--external-data"], False), (True, [], False),
                                     (True, [], True)):
            what = ("copied weights" if copy else "lent weights") + (" " + " ".join(extra) if extra else "") + \
                (" isolated" if isolate else "")
            folder = fresh_dir("lent-truncated")
            bundle = os.path.join(folder, "bundle")
            shutil.copytree(self.bundle, bundle)
            weights = os.path.join(bundle, "weights.safetensors")
            config = os.path.join(folder, "config.json")
            with open(config, "w") as f:
                json.dump({"plugins": plugins + [{"path": plugin}], "isolate": isolate,
                           "strategies": ["truncates", "strict", "non-strict", "cond-rewrite", "draft"]}, f)
            out = os.path.join(folder, "out", "model.onnx")
            os.makedirs(os.path.dirname(out))
            for path, text in ((out, b"the previous model"), (out + ".data", b"the previous data")):
                with open(path, "wb") as f:
                    f.write(text)
            report_dir = os.path.join(folder, "report")
            env = dict(os.environ, ONNXPORT_TEST_TRUNCATE=weights, ONNXPORT_TEST_TRUNCATE_TO="4096")
            env.pop("ONNXPORT_COPY_WEIGHTS", None)
            if copy:
                env["ONNXPORT_COPY_WEIGHTS"] = "1"
            proc = subprocess.run([ONNXPORT, "export", bundle, "-c", config, "-o", out, "--report", report_dir,
                                   *extra], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=300,
                                  env=env)
            self.assertExitCode(proc, 2, what)
            self.assertEqual(os.path.getsize(weights), 4096, what + ": the plugin truncated the weights")
            message = weights + ": the file shrank while the export was reading it"
            self.assertIn("error: " + message, proc.stderr, what)
            with open(os.path.join(report_dir, "report.json")) as f:
                status = json.load(f)["status"]
            self.assertEqual((status["ok"], status["exit_code"], status["output_written"]), (False, 2, False), what)
            self.assertIn(message, status["error"], what)
            self.assertEqual(read(out), b"the previous model", what)
            self.assertEqual(read(out + ".data"), b"the previous data", what)
            self.assertEqual(sorted(os.listdir(os.path.dirname(out))), ["model.onnx", "model.onnx.data"],
                             what + ": staged files left behind")


if __name__ == "__main__":
    unittest.main()
