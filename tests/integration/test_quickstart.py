"""scripts/quickstart.sh builds only what a first export needs: a fresh
build tree's `onnxport_cli` target compiles libonnxport, the CLI and the five
built-in plugins, and nothing under tests/ or bench/ (issue 13: the whole test
suite before the first export took 26 minutes on a loaded 2-core machine).

The check configures a scratch build tree with Ninja and lists, without
building anything, every source the target that scripts/setup.sh --tool-only
builds depends on (`ninja -t inputs onnxport_cli`, transitive)."""
import os
import re
import shutil
import subprocess
import unittest

from onnxport_testlib import SOURCE, WORK

PLUGINS = ("strategy-strict", "strategy-non-strict", "strategy-cond-rewrite", "strategy-draft", "translators-aten")


def read(path):
    with open(path) as f:
        return f.read()


class QuickstartBuildsNoTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.build = os.path.join(WORK, "fresh-build")
        shutil.rmtree(cls.build, ignore_errors=True)
        configure = subprocess.run(["cmake", "-S", SOURCE, "-B", cls.build, "-G", "Ninja",
                                    "-DCMAKE_BUILD_TYPE=RelWithDebInfo"],
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=300)
        if configure.returncode != 0:
            raise AssertionError("cmake configure failed:\n" + configure.stdout[-3000:])
        inputs = subprocess.run(["ninja", "-C", cls.build, "-t", "inputs", "onnxport_cli"], stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, timeout=300)
        if inputs.returncode != 0:
            raise AssertionError("ninja -t inputs onnxport_cli failed:\n" + inputs.stdout[-3000:])
        # The sources the target compiles, relative to the source tree.
        cls.compiled = sorted(set(os.path.relpath(os.path.join(cls.build, p), SOURCE)
                                  for p in inputs.stdout.split() if re.search(r"\.(cpp|cc|c)$", p)))

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.build, ignore_errors=True)

    def test_compiles_no_test_or_bench_source(self):
        self.assertTrue(self.compiled, "onnxport_cli depends on no source")
        offending = [p for p in self.compiled if p.startswith(("tests/", "bench/", "examples/"))]
        self.assertEqual(offending, [], "onnxport_cli would compile test sources")

    def test_compiles_the_cli_core_and_every_builtin_plugin(self):
        self.assertIn("tools/onnxport/main.cpp", self.compiled)
        self.assertIn("core/src/pipeline/run_export.cpp", self.compiled)
        for plugin in PLUGINS:
            self.assertTrue(any(p.startswith("plugins/%s/" % plugin) for p in self.compiled),
                            "plugin %s is not built with the CLI" % plugin)

    def test_scripts_use_the_tool_only_build(self):
        self.assertIn("scripts/setup.sh --tool-only", read(os.path.join(SOURCE, "scripts", "quickstart.sh")))
        self.assertIn("--target onnxport_cli", read(os.path.join(SOURCE, "scripts", "setup.sh")))
        # test.sh builds everything: no target restriction.
        test_sh = read(os.path.join(SOURCE, "scripts", "test.sh"))
        setup_calls = re.findall(r"bash scripts/setup\.sh[^\n]*", test_sh)
        self.assertTrue(setup_calls, "scripts/test.sh does not run scripts/setup.sh")
        for call in setup_calls:
            self.assertNotIn("--tool-only", call)


if __name__ == "__main__":
    unittest.main()
