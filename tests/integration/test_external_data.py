"""External data (issue 14, docs/large-models.md): a small model forced to
external data is checked, runs in ONNX Runtime against eager, and reads back
with `inspect` and `run`; a missing or short data file is a clear error; a
write that fails (a file size limit, as a full disk would) leaves neither a
partial model nor a partial data file, and the previous files are intact."""
import glob
import os
import re
import resource
import shutil
import struct
import subprocess
import unittest

from onnxport_testlib import DEFAULT_CONFIG, ONNXPORT, OnnxportTestCase, _fields, fresh_dir, run

ROOT = os.environ.get("ONNXPORT_SOURCE", os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
TORCH2PROGRAM = os.path.join(ROOT, "tools", "torch2program", "torch2program.py")

MLP_SOURCE = """import torch
from torch import nn


class Mlp(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(64, 128)   # weight 32768 bytes, bias 512
        self.fc2 = nn.Linear(128, 16)   # weight 8192 bytes, bias 64

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x)))


class Deep(nn.Module):
    # One 32 KB weight, and 80 KB of 4 KB weights that stay in the model
    # under a 16 KB threshold: a model file larger than its data file.
    def __init__(self):
        super().__init__()
        self.fc_in = nn.Linear(64, 128)
        self.pairs = nn.Sequential(*[nn.Sequential(nn.Linear(128, 8), nn.Linear(8, 128)) for _ in range(10)])

    def forward(self, x):
        return self.pairs(self.fc_in(x))
"""


def make_bundle(cls):
    src = os.path.join(fresh_dir("extdata-src-" + cls), "mlp.py")
    with open(src, "w") as f:
        f.write(MLP_SOURCE)
    out = fresh_dir("extdata-bundle-" + cls)
    proc = subprocess.run(["/usr/bin/python3", TORCH2PROGRAM, src + ":" + cls, "--input", "x=3x64", "--expected", "-o", out],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if proc.returncode != 0:
        raise AssertionError("torch2program failed:\n" + proc.stdout)
    return out


def initializers(model_file):
    """name -> {"raw": bytes or None, "location", "offset", "length", "external": bool} of the main graph."""
    with open(model_file, "rb") as f:
        buf = f.read()
    graph = next(value for field, _, value in _fields(buf) if field == 7)
    out = {}
    for field, _, value in _fields(graph):
        if field != 5:  # GraphProto.initializer
            continue
        t = {"raw": None, "external": False, "entries": {}}
        name = None
        for tf, _, tv in _fields(value):
            if tf == 8:
                name = tv.decode()
            elif tf == 9:
                t["raw"] = tv
            elif tf == 13:  # external_data: StringStringEntryProto
                kv = {kf: kvv.decode() for kf, _, kvv in _fields(tv)}
                t["entries"][kv.get(1)] = kv.get(2)
            elif tf == 14:
                t["external"] = tv == 1
        out[name] = t
    return out


def leftovers(folder, expected):
    return sorted(set(os.listdir(folder)) - set(expected))


class ExternalData(OnnxportTestCase):
    @classmethod
    def setUpClass(cls):
        cls.bundle = make_bundle("Mlp")
        cls.deep_bundle = make_bundle("Deep")

    def export(self, out, *extra, **kwargs):
        return run("export", self.bundle, "-c", DEFAULT_CONFIG, "-o", out, *extra, **kwargs)

    def test_forced_external_data_checks_runs_and_reads_back(self):
        folder = fresh_dir("extdata-forced")
        out = os.path.join(folder, "model.onnx")
        proc = self.export(out, "--external-data", "--verify")
        self.assertExitCode(proc, 0, "export --external-data --verify")
        # The checker ran on the written files, ONNX Runtime loaded and ran the staged model.
        self.assertIn("Compare the outputs with the expected.safetensors... ✅", proc.stderr)
        self.assertIn("External data: `%s.data` (2 initializer(s)" % out, proc.stderr)
        self.assertEqual(leftovers(folder, ["model.onnx", "model.onnx.data"]), [], "staging files left behind")

        data_size = os.path.getsize(out + ".data")
        with open(out + ".data", "rb") as f:
            data = f.read()
        inits = initializers(out)
        external = {n: t for n, t in inits.items() if t["external"]}
        # The two weights (32768 and 8192 bytes) go out; the biases (512, 64) are under 1024 and stay.
        self.assertEqual(sorted(int(t["entries"]["length"]) for t in external.values()), [8192, 32768], inits.keys())
        for name, t in inits.items():
            if not t["external"]:
                self.assertLess(len(t["raw"] or b""), 1024, name)
        for name, t in external.items():
            self.assertIsNone(t["raw"], name)
            self.assertEqual(t["entries"]["location"], "model.onnx.data")
            offset, length = int(t["entries"]["offset"]), int(t["entries"]["length"])
            self.assertEqual(offset % 64, 0, "%s: offset %d is not 64-byte aligned" % (name, offset))
            self.assertLessEqual(offset + length, data_size, name)
            self.assertNotEqual(data[offset:offset + length], bytes(length), "%s: zeros in the data file" % name)

        # The same export without external data has the same bytes inline.
        inline_out = os.path.join(fresh_dir("extdata-inline"), "model.onnx")
        self.assertExitCode(self.export(inline_out), 0, "export without external data")
        inline = initializers(inline_out)
        self.assertEqual(sorted(inline), sorted(inits))
        for name, t in external.items():
            offset, length = int(t["entries"]["offset"]), int(t["entries"]["length"])
            self.assertEqual(data[offset:offset + length], inline[name]["raw"], name)
        self.assertFalse(os.path.exists(inline_out + ".data"))

        # inspect and run resolve the data file relative to the model, from any folder.
        proc = subprocess.run([ONNXPORT, "inspect", out], cwd="/", stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True)
        self.assertExitCode(proc, 0, "inspect")
        self.assertIn("in model.onnx.data at 0}", proc.stdout)
        proc = subprocess.run([ONNXPORT, "run", self.bundle, "--onnx", out], cwd="/", stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
        self.assertExitCode(proc, 0, "run --onnx")
        self.assertIn("ONNX Runtime vs reference interpreter:\n  ✅", proc.stdout)

    def test_threshold_chooses_the_tensors(self):
        out = os.path.join(fresh_dir("extdata-threshold"), "model.onnx")
        self.assertExitCode(self.export(out, "--external-data", "--external-data-threshold", "10000"), 0, "export")
        external = [int(t["entries"]["length"]) for t in initializers(out).values() if t["external"]]
        self.assertEqual(external, [32768])
        self.assertEqual(os.path.getsize(out + ".data"), 32768)
        out0 = os.path.join(fresh_dir("extdata-threshold0"), "model.onnx")
        self.assertExitCode(self.export(out0, "--external-data", "--external-data-threshold", "0"), 0, "export")
        self.assertTrue(all(t["external"] for t in initializers(out0).values() if t["raw"] is None or t["raw"]))

    def test_config_key_forces_external_data(self):
        folder = fresh_dir("extdata-config")
        config = os.path.join(folder, "config.json")
        with open(config, "w") as f:
            f.write('{"extends": "default", "external_data": {"always": true, "threshold": 4096}}')
        out = os.path.join(folder, "model.onnx")
        proc = run("export", self.bundle, "-c", config, "-o", out)
        self.assertExitCode(proc, 0, "export with the config key")
        self.assertEqual(sorted(int(t["entries"]["length"]) for t in initializers(out).values() if t["external"]),
                         [8192, 32768])
        with open(config, "w") as f:
            f.write('{"extends": "default", "external_data": {"threshold": -1}}')
        proc = run("export", self.bundle, "-c", config, "-o", out)
        self.assertExitCode(proc, 2, "negative threshold")
        self.assertIn("/external_data/threshold", proc.stderr)

    def test_durable_fsyncs_both_files_and_the_folder_and_default_does_not(self):
        # fsync(2) calls counted by a preloaded shim around libc's: the
        # default export writes like cp (no fsync), --durable and the config's
        # "durable" fsync the data file, the model and the output folder.
        folder = fresh_dir("extdata-durable")
        shim = os.path.join(folder, "count_fsync.so")
        source = os.path.join(folder, "count_fsync.c")
        with open(source, "w") as f:
            f.write('#define _GNU_SOURCE\n#include <dlfcn.h>\n#include <stdio.h>\n#include <stdlib.h>\n'
                    'int fsync(int fd) {\n'
                    '  FILE* log = fopen(getenv("FSYNC_LOG"), "a");\n'
                    '  if (log) { fputs("fsync\\n", log); fclose(log); }\n'
                    '  int (*real)(int) = (int (*)(int))dlsym(RTLD_NEXT, "fsync");\n'
                    '  return real(fd);\n}\n')
        compiler = shutil.which("cc") or shutil.which("gcc")
        if compiler is None:
            self.skipTest("no C compiler (cc) to build the fsync-counting shim")
        subprocess.run([compiler, "-shared", "-fPIC", "-o", shim, source, "-ldl"], check=True)
        config = os.path.join(folder, "durable.json")
        with open(config, "w") as f:
            f.write('{"extends": "default", "durable": true}')

        def fsyncs(tag, *args):
            log = os.path.join(folder, tag + ".log")
            out = os.path.join(folder, tag, "model.onnx")
            env = dict(os.environ, LD_PRELOAD=shim, FSYNC_LOG=log)
            proc = subprocess.run([ONNXPORT, "export", self.bundle, "-o", out, "--external-data", *args], env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            self.assertExitCode(proc, 0, tag)
            self.assertTrue(os.path.exists(out + ".data"), tag)
            if not os.path.exists(log):
                return 0
            with open(log) as f:
                return len(f.read().split())

        self.assertEqual(fsyncs("default", "-c", DEFAULT_CONFIG), 0, "the default export fsyncs nothing")
        self.assertGreaterEqual(fsyncs("flag", "-c", DEFAULT_CONFIG, "--durable"), 3, "--durable")
        self.assertGreaterEqual(fsyncs("config", "-c", config), 3, '"durable": true')
        with open(os.path.join(folder, "default", "model.onnx"), "rb") as a, \
                open(os.path.join(folder, "flag", "model.onnx"), "rb") as b:
            self.assertEqual(a.read(), b.read(), "the same model either way")

    def test_missing_or_short_data_file_is_a_clear_error(self):
        source = os.path.join(fresh_dir("extdata-source"), "model.onnx")
        self.assertExitCode(self.export(source, "--external-data"), 0, "export")
        ext = [n for n, t in initializers(source).items() if t["external"]]

        missing = os.path.join(fresh_dir("extdata-missing"), "model.onnx")
        shutil.copy(source, missing)
        for args in (["inspect", missing], ["run", self.bundle, "--onnx", missing]):
            proc = run(*args)
            self.assertExitCode(proc, 2, " ".join(args[:1]) + " without the data file")
            self.assertIn(missing + ".data", proc.stderr)
            self.assertIn("missing", proc.stderr)
            self.assertTrue(any("'%s'" % n in proc.stderr for n in ext), proc.stderr)

        short_folder = fresh_dir("extdata-short")
        short = os.path.join(short_folder, "model.onnx")
        shutil.copy(source, short)
        shutil.copy(source + ".data", short + ".data")
        os.truncate(short + ".data", os.path.getsize(short + ".data") - 100)
        proc = run("inspect", short)
        self.assertExitCode(proc, 2, "inspect with a short data file")
        self.assertIn(short + ".data", proc.stderr)
        self.assertIn("shorter than the model says", proc.stderr)
        self.assertTrue(any("'%s'" % n in proc.stderr for n in ext), proc.stderr)

    def failing_export(self, bundle, out, limit, *extra):
        """Exports with a file size limit of `limit` bytes (RLIMIT_FSIZE)."""
        def limit_size():
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
        return subprocess.run([ONNXPORT, "export", bundle, "-c", DEFAULT_CONFIG, "-o", out, *extra],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=300,
                              preexec_fn=limit_size)

    def test_write_failure_leaves_no_partial_output(self):
        folder = fresh_dir("extdata-fail")
        out = os.path.join(folder, "model.onnx")
        previous = {"model.onnx": b"the previous model", "model.onnx.data": b"the previous data"}

        def reset():
            for name, content in previous.items():
                with open(os.path.join(folder, name), "wb") as f:
                    f.write(content)

        def assert_untouched(proc, what):
            self.assertExitCode(proc, 1, what)
            self.assertIn("File too large", proc.stderr, what)
            self.assertEqual(leftovers(folder, previous), [], what + ": partial files left behind")
            for name, content in previous.items():
                with open(os.path.join(folder, name), "rb") as f:
                    self.assertEqual(f.read(), content, what + ": " + name + " changed")

        # The data file (about 41 KB) fails halfway.
        reset()
        proc = self.failing_export(self.bundle, out, 20000, "--external-data")
        assert_untouched(proc, "data file over the limit")
        self.assertIn(out + ".data: write failed: initializer 'fc1.weight': File too large", proc.stderr)
        # The data file (Deep's 32 KB weight) is written, the model (80 KB of weights under the threshold) fails.
        reset()
        proc = self.failing_export(self.deep_bundle, out, 50000, "--external-data", "--external-data-threshold",
                                   "16384", "--verify")
        assert_untouched(proc, "model file over the limit")
        # The error names the initializer being written when the limit is hit.
        self.assertRegex(proc.stderr, re.escape(out) + r": write failed: initializer '[^']+': File too large")
        # Within the limit, the same export writes both files.
        reset()
        proc = self.failing_export(self.deep_bundle, out, 200000, "--external-data", "--external-data-threshold",
                                   "16384", "--verify")
        self.assertExitCode(proc, 0, "Deep within the file size limit")
        self.assertEqual(os.path.getsize(out + ".data"), 32768)
        self.assertGreater(os.path.getsize(out), 80000)
        # Without the limit the same export replaces both files.
        reset()
        self.assertExitCode(self.export(out, "--external-data"), 0, "export")
        self.assertEqual(leftovers(folder, previous), [])
        self.assertGreater(os.path.getsize(out + ".data"), 40000)


class PythonApi(OnnxportTestCase):
    """onnxport.export(..., external_data=True), from the build tree's package."""

    def test_external_data_argument(self):
        build = os.path.dirname(os.path.dirname(os.path.abspath(ONNXPORT)))
        sites = glob.glob(os.path.join(build, "lib", "python3.*", "dist-packages"))
        if not sites:
            self.skipTest("no Python package in " + build)
        folder = fresh_dir("extdata-python")
        src = os.path.join(folder, "mlp.py")
        with open(src, "w") as f:
            f.write(MLP_SOURCE)
        script = (
            "import io, sys, torch\n"
            "sys.path.insert(0, %r)\n"
            "import onnxport, mlp\n"
            "m = mlp.Mlp().eval()\n"
            "onnxport.export(m, (torch.randn(2, 64),), %r, external_data=True, verify=True)\n"
            "for bad in (dict(f=io.BytesIO(), external_data=True), dict(f=%r, external_data='yes')):\n"
            "    try:\n"
            "        onnxport.export(m, (torch.randn(2, 64),), **bad)\n"
            "        print('accepted', bad)\n"
            "    except onnxport.OnnxportError as e:\n"
            "        print('refused:', e)\n"
        ) % (folder, os.path.join(folder, "model.onnx"), os.path.join(folder, "other.onnx"))
        env = dict(os.environ, PYTHONPATH=sites[0], ONNXPORT_EXE=os.path.abspath(ONNXPORT),
                   ONNXPORT_NODE_MODULES=os.path.join(ROOT, "node_modules"))
        proc = subprocess.run(["/usr/bin/python3", "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, env=env, timeout=300, cwd=folder)
        self.assertExitCode(proc, 0, "the Python script")
        self.assertEqual(sorted(int(t["entries"]["length"]) for t in
                                initializers(os.path.join(folder, "model.onnx")).values() if t["external"]),
                         [8192, 32768])
        self.assertIn("refused: external_data: the data file is written beside the model", proc.stdout)
        self.assertIn("refused: external_data: expected True or False, got 'yes'", proc.stdout)
        self.assertNotIn("accepted", proc.stdout)


if __name__ == "__main__":
    unittest.main()
