"""scripts/gen_plugin_docs.py on scratch docs: a stale block fails --check
with a diff, a bad reference or a code block that no source feeds is an
error naming the doc line, and a regenerated doc passes."""
import os
import subprocess
import sys
import tempfile
import unittest

SOURCE = os.environ.get("ONNXPORT_SOURCE", os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
SCRIPT = os.path.join(SOURCE, "scripts", "gen_plugin_docs.py")

HEADER = "# Doc\n\nText.\n\n"
STALE = HEADER + "<!-- snippet: examples/plugin-template/src/fused_gelu.cpp#register-override -->\n```cpp\nold code\n```\n"


class GenPluginDocs(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.doc = os.path.join(self.dir.name, "doc.md")

    def tearDown(self):
        self.dir.cleanup()

    def write(self, text):
        with open(self.doc, "w") as f:
            f.write(text)

    def gen(self, *args):
        return subprocess.run([sys.executable, SCRIPT, "--doc", self.doc, *args], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, timeout=60)

    def test_stale_block_fails_check_with_a_diff_then_regenerates(self):
        self.write(STALE)
        proc = self.gen("--check")
        self.assertEqual(proc.returncode, 1, proc.stderr)
        self.assertIn("-old code", proc.stderr)
        self.assertIn("+  r.add_translator({.op = \"aten::gelu\"", proc.stderr)
        self.assertIn("is stale; run scripts/gen_plugin_docs.py", proc.stderr)
        self.assertEqual(self.gen().returncode, 0)
        with open(self.doc) as f:
            text = f.read()
        self.assertNotIn("old code", text)
        self.assertNotIn("[doc:", text)  # markers never leak into the doc
        self.assertEqual(self.gen("--check").returncode, 0)

    def test_unknown_region_names_the_doc_line(self):
        self.write(HEADER + "<!-- snippet: examples/plugin-template/src/fused_gelu.cpp#nope -->\n```cpp\n```\n")
        proc = self.gen("--check")
        self.assertEqual(proc.returncode, 2)
        self.assertIn(":5: examples/plugin-template/src/fused_gelu.cpp has 0 '[doc:nope]' markers, expected 1",
                      proc.stderr)

    def test_missing_source_file(self):
        self.write(HEADER + "<!-- snippet: examples/plugin-template/src/gone.cpp#x -->\n```cpp\n```\n")
        proc = self.gen()
        self.assertEqual(proc.returncode, 2)
        self.assertIn("snippet source examples/plugin-template/src/gone.cpp does not exist", proc.stderr)

    def test_code_block_without_a_source_is_an_error(self):
        self.write(STALE + "\n```sh\necho typed by hand\n```\n")
        proc = self.gen("--check")
        self.assertEqual(proc.returncode, 2)
        self.assertIn("code blocks at lines 10 do not come from a source file", proc.stderr)


if __name__ == "__main__":
    unittest.main()
