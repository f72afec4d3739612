"""A relocatable installation (issue 13): `cmake --install` to a prefix, moved
elsewhere, runs `onnxport export --verify` with ONNX Runtime found under its
own prefix or through ONNXPORT_NODE_MODULES, and never through the source or
build tree (whose node_modules it must not see: without either setting,
--verify says ONNX Runtime is not found). No installed file holds a path of
the source or build tree outside its debug sections.

Environment (tests/integration/CMakeLists.txt): ONNXPORT_BUILD_DIR, the build
tree to install; ONNXPORT_SOURCE, the source tree (its node_modules is the
ONNX Runtime the test lends the installation)."""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

from onnxport_testlib import SOURCE, OnnxportTestCase, example, read_json

BUILD = os.environ.get("ONNXPORT_BUILD_DIR", os.path.join(SOURCE, "build"))
NODE_MODULES = os.path.join(SOURCE, "node_modules")
SKIP = 77  # ctest SKIP_RETURN_CODE

# The installation must not depend on the settings of the developer's shell.
SCRUBBED = ("ONNXPORT_NODE_MODULES", "ONNXPORT_ORT_RUNNER", "ONNXPORT_PLUGIN_PATH", "LD_LIBRARY_PATH", "NODE_PATH")


def clean_env(**extra):
    env = {k: v for k, v in os.environ.items() if k not in SCRUBBED}
    env.update(extra)
    return env


def is_elf(path):
    with open(path, "rb") as f:
        return f.read(4) == b"\x7fELF"


class RelocatableInstall(OnnxportTestCase):
    @classmethod
    def setUpClass(cls):
        if not os.path.isfile(os.path.join(NODE_MODULES, "onnxruntime-node", "package.json")):
            print("SKIP: npm onnxruntime-node is not installed in %s (run scripts/setup.sh)" % SOURCE)
            sys.exit(SKIP)
        # Outside the source and build trees: nothing above the prefix may
        # hold a node_modules the installation could stumble on.
        cls.tmp = tempfile.mkdtemp(prefix="onnxport-install-")
        staging = os.path.join(cls.tmp, "staging")
        proc = subprocess.run(["cmake", "--install", BUILD, "--prefix", staging], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, timeout=600)
        if proc.returncode != 0:
            raise AssertionError("cmake --install failed:\n" + proc.stdout[-3000:])
        # Moved after installing: nothing may depend on the prefix it was installed to.
        cls.prefix = os.path.join(cls.tmp, "moved", "onnxport")
        os.makedirs(os.path.dirname(cls.prefix))
        shutil.move(staging, cls.prefix)
        cls.exe = os.path.join(cls.prefix, "bin", "onnxport")
        cls.work = os.path.join(cls.tmp, "work")
        os.makedirs(cls.work)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def export_verify(self, name, env, *extra):
        out = os.path.join(self.work, name)
        model = os.path.join(out, "seed.onnx")
        proc = subprocess.run([self.exe, "export", example("seed"), "-o", model, "--report", out, "--verify", *extra],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=300, env=env,
                              cwd=self.work)
        return proc, model, out

    def test_installs_the_cli_plugins_configs_runner_and_sdk(self):
        for rel in ("bin/onnxport", "share/onnxport/config/default.json", "share/onnxport/config/schema.json",
                    "share/onnxport/ort-runner/run.js", "include/onnxport/plugin.h",
                    "lib/cmake/onnxport/onnxportConfig.cmake"):
            self.assertTrue(os.path.isfile(os.path.join(self.prefix, rel)), rel)
        plugins = os.listdir(os.path.join(self.prefix, "lib", "onnxport", "plugins"))
        self.assertEqual(len([p for p in plugins if p.startswith("libonnxport-")]), 5, plugins)

    def test_no_installed_file_names_the_source_or_build_tree(self):
        trees = [os.path.realpath(SOURCE).encode(), os.path.realpath(BUILD).encode(),
                 os.path.abspath(SOURCE).encode(), os.path.abspath(BUILD).encode()]
        offenders = []
        for root, _, files in os.walk(self.prefix):
            for name in files:
                path = os.path.join(root, name)
                if os.path.islink(path):
                    continue
                if is_elf(path):
                    # Debug sections record where each file was compiled (any -g
                    # build does; `cmake --install --strip` drops them): look at
                    # everything else.
                    stripped = os.path.join(self.tmp, "stripped")
                    subprocess.run(["objcopy", "--strip-debug", path, stripped], check=True)
                    path_to_read = stripped
                else:
                    path_to_read = path
                with open(path_to_read, "rb") as f:
                    data = f.read()
                offenders += [os.path.relpath(path, self.prefix) for t in trees if t in data]
        self.assertEqual(sorted(set(offenders)), [])

    def test_verify_does_not_find_onnx_runtime_in_the_build_tree(self):
        proc, model, out = self.export_verify("hidden", clean_env())
        self.assertEqual(proc.returncode, 1, proc.stderr)
        self.assertIn("ONNX Runtime not found", proc.stderr)
        self.assertIn("ONNXPORT_NODE_MODULES", proc.stderr)  # says what to do
        self.assertFalse(os.path.exists(model))
        self.assertEqual(read_json(os.path.join(out, "report.json"))["status"]["stages"]["runtime"], "failed")

    def test_verify_with_onnxport_node_modules(self):
        # A node_modules of the user's choice, anywhere (a link to the test's copy).
        lent = os.path.join(self.tmp, "elsewhere", "node_modules")
        os.makedirs(os.path.dirname(lent), exist_ok=True)
        if not os.path.exists(lent):
            os.symlink(NODE_MODULES, lent)
        proc, model, out = self.export_verify("env", clean_env(ONNXPORT_NODE_MODULES=lent))
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertTrue(os.path.isfile(model))
        report = read_json(os.path.join(out, "report.json"))
        self.assertEqual(report["status"]["stages"]["accuracy"], "ok")
        # No -c: the installation's own default config.
        self.assertEqual(os.path.realpath(report["request"]["config"]),
                         os.path.realpath(os.path.join(self.prefix, "share", "onnxport", "config", "default.json")))

    def test_verify_with_node_modules_under_the_prefix(self):
        under = os.path.join(self.prefix, "share", "onnxport", "node_modules")
        os.symlink(NODE_MODULES, under)
        try:
            proc, model, out = self.export_verify("prefix", clean_env())
        finally:
            os.unlink(under)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(read_json(os.path.join(out, "report.json"))["status"]["stages"]["accuracy"], "ok")

    def test_a_wrong_onnxport_node_modules_is_reported_not_ignored(self):
        proc, model, _ = self.export_verify("wrong", clean_env(ONNXPORT_NODE_MODULES=self.work))
        self.assertEqual(proc.returncode, 1)
        self.assertIn("holds no onnxruntime-node", proc.stderr)
        self.assertFalse(os.path.exists(model))


if __name__ == "__main__":
    unittest.main()
