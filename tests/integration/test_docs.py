"""Docs that match the code, where a script can check them:
- every option of `onnxport --help` and of each subcommand's --help is in
  docs/index.md (the user guide), short and long spellings alike;
- the design the code cites is in the repository: no file cites a DESIGN.md
  (the architecture is docs/architecture.md) and every `docs/architecture.md §N`
  a file cites is a section of it."""
import os
import re
import unittest

from onnxport_testlib import SOURCE, OnnxportTestCase, run

OPTION = re.compile(r"(?<![\w-])(--?[A-Za-z][\w-]*)")


def section(help_text, title):
    """The lines of one CLI11 help section ("Options:", "Subcommands:")."""
    lines, inside = [], False
    for line in help_text.splitlines():
        if not line.startswith(" "):
            inside = line.strip() == title
            continue
        if inside:
            lines.append(line)
    return lines


def options_of(help_text):
    found = []
    for line in section(help_text, "Options:"):
        # "  -c,--config TEXT   description": the names are the first word; lines
        # that do not start with a dash continue a description.
        words = line.split()
        if words and words[0].startswith("-"):
            found += [o for o in OPTION.findall(words[0]) if o not in found]
    return found


def mentioned(option, text):
    return re.search(r"(?<![\w-])" + re.escape(option) + r"(?![\w-])", text) is not None


def source_files():
    skip = {".git", "build", "node_modules", "out", "__pycache__"}
    for root, dirs, files in os.walk(SOURCE):
        dirs[:] = [d for d in dirs if d not in skip and not d.startswith("build")]
        for name in files:
            if name.endswith((".cpp", ".hpp", ".h", ".py", ".md", ".txt", ".cmake", ".sh", ".js", ".json", ".in")):
                yield os.path.join(root, name)


class CliHelpInDocs(OnnxportTestCase):
    @classmethod
    def setUpClass(cls):
        with open(os.path.join(SOURCE, "docs", "index.md")) as f:
            cls.guide = f.read()
        top = run("--help")
        if top.returncode != 0:
            raise AssertionError("onnxport --help exited with %d: %s" % (top.returncode, top.stderr))
        cls.helps = {"onnxport": top.stdout}
        cls.subcommands = [line.split()[0] for line in section(top.stdout, "Subcommands:") if line.strip()]
        for sub in cls.subcommands:
            proc = run(sub, "--help")
            if proc.returncode != 0:
                raise AssertionError("onnxport %s --help exited with %d" % (sub, proc.returncode))
            cls.helps["onnxport " + sub] = proc.stdout

    def test_the_five_subcommands_are_listed(self):
        self.assertEqual(sorted(self.subcommands), ["export", "inspect", "matrix", "plugins", "run"])
        for sub in self.subcommands:
            self.assertTrue(mentioned("onnxport " + sub, self.guide), "docs/index.md has no `onnxport %s`" % sub)

    def test_every_option_is_documented(self):
        missing = []
        for command, text in self.helps.items():
            options = options_of(text)
            self.assertTrue(options, "no option parsed from `%s --help`" % command)
            missing += ["%s %s" % (command, o) for o in options if not mentioned(o, self.guide)]
        self.assertEqual(missing, [], "options in --help but not in docs/index.md")

    def test_export_help_has_the_torch_onnx_options(self):
        options = options_of(self.helps["onnxport export"])
        for o in ("--opset", "--dynamic", "--input-names", "--output-names", "--verify"):
            self.assertIn(o, options)


class DesignIsInTheRepository(unittest.TestCase):
    def test_nothing_cites_design_md(self):
        offenders = []
        for path in source_files():
            with open(path, errors="replace") as f:
                for number, line in enumerate(f, 1):
                    if "DESIGN.md" in line and not path.endswith("test_docs.py"):
                        offenders.append("%s:%d" % (os.path.relpath(path, SOURCE), number))
        self.assertEqual(offenders, [])

    def test_cited_architecture_sections_exist(self):
        with open(os.path.join(SOURCE, "docs", "architecture.md")) as f:
            sections = set(re.findall(r"^## (\d+)\. ", f.read(), re.M))
        self.assertGreaterEqual(len(sections), 8)
        cited = []
        for path in source_files():
            with open(path, errors="replace") as f:
                for number, line in enumerate(f, 1):
                    for n in re.findall(r"architecture\.md\)? ?§(\d+)", line):
                        cited.append((os.path.relpath(path, SOURCE), number, n))
        self.assertGreaterEqual(len(cited), 8, "the code should cite docs/architecture.md")
        self.assertEqual([c for c in cited if c[2] not in sections], [])


if __name__ == "__main__":
    unittest.main()
