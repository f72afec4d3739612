"""The output path of `onnxport export` (issue 15): two exports to the same
output at the same time leave one complete model, never a mix, and a failed
export leaves the model that was there before untouched.

Environment: ONNXPORT, ONNXPORT_SOURCE, ONNXPORT_WORK (tests/hostile/CMakeLists.txt).
"""
import os
import shutil
import subprocess
import tempfile
import threading
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ONNXPORT = os.environ.get("ONNXPORT", "build/bin/onnxport")
SOURCE = os.environ.get("ONNXPORT_SOURCE", os.path.abspath(os.path.join(HERE, "..", "..")))
WORK = os.environ.get("ONNXPORT_WORK", os.path.join(tempfile.gettempdir(), "onnxport-hostile"))
CONFIG = os.path.join(SOURCE, "config", "default.json")


def export(bundle, output, *extra):
    return subprocess.run([ONNXPORT, "export", bundle, "-c", CONFIG, "-o", output, "-q", *extra],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=300)


def read_bytes(path):
    with open(path, "rb") as f:
        return f.read()


class AtomicOutput(unittest.TestCase):
    def setUp(self):
        self.dir = os.path.join(WORK, "atomic-" + self._testMethodName)
        shutil.rmtree(self.dir, ignore_errors=True)
        os.makedirs(self.dir)

    def reference(self, example):
        """The model `example` exports to when it is alone."""
        path = os.path.join(self.dir, "alone-" + example + ".onnx")
        proc = export(os.path.join(SOURCE, "examples", example), path)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        return read_bytes(path)

    def assertOnlyTheModel(self, folder, name):
        self.assertEqual(sorted(os.listdir(folder)), [name], "temp or staging files were left behind")

    def test_concurrent_exports_leave_one_complete_model(self):
        models = {name: self.reference(name) for name in ("seed", "seed-gt")}
        # Export twice alone: a model is byte-identical from run to run, so the
        # result of a race can be compared with the two references.
        self.assertEqual(self.reference("seed"), models["seed"])
        self.assertNotEqual(models["seed"], models["seed-gt"])
        shared = os.path.join(self.dir, "shared")
        os.makedirs(shared)
        output = os.path.join(shared, "model.onnx")
        for round in range(4):
            results = {}

            def run(name):
                results[name] = export(os.path.join(SOURCE, "examples", name), output)

            threads = [threading.Thread(target=run, args=(name,)) for name in ("seed", "seed-gt")]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            for name, proc in results.items():
                self.assertEqual(proc.returncode, 0, "%s: %s" % (name, proc.stderr))
            got = read_bytes(output)
            self.assertIn(got, list(models.values()), "round %d: the output is neither model (a mix?)" % round)
            self.assertOnlyTheModel(shared, "model.onnx")

    def test_failed_export_keeps_the_previous_model(self):
        output = os.path.join(self.dir, "model.onnx")
        proc = export(os.path.join(SOURCE, "examples", "seed"), output)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        before = read_bytes(output)
        # A program that fails in capture (stride 0), one that fails to load,
        # and a config that fails: none may touch the model already there.
        bad_bundles = [os.path.join(HERE, "inputs", "F4-conv-stride-0"),
                       os.path.join(HERE, "inputs", "F10-list-empty-type")]
        for bundle in bad_bundles:
            proc = export(bundle, output)
            self.assertIn(proc.returncode, (1, 2), proc.stderr)
            self.assertEqual(read_bytes(output), before, "a failed export of %s changed the model" % bundle)
            self.assertOnlyTheModel(self.dir, "model.onnx")
        bad_config = os.path.join(HERE, "inputs", "F13-numbers-and-types", "cfg-number-overflow.json")
        proc = subprocess.run([ONNXPORT, "export", os.path.join(SOURCE, "examples", "seed"), "-c", bad_config,
                               "-o", output, "-q"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              timeout=300)
        self.assertEqual(proc.returncode, 2, proc.stderr)
        self.assertEqual(read_bytes(output), before)
        self.assertOnlyTheModel(self.dir, "model.onnx")


if __name__ == "__main__":
    unittest.main()
