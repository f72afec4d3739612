"""Source ranges and module scopes as PyTorch 1.13 prints them."""
import os
import unittest

from frontend_helpers import TOOL_DIR  # noqa: F401  (puts torch2program on sys.path)
from torch2program_lib.source import SourceLocator, scope_from_hierarchy, scope_from_trace_scope_name


class FakeNode:
    def __init__(self, source_range):
        self._range = source_range

    def sourceRange(self):
        return self._range


class SourceRangeTest(unittest.TestCase):
    def setUp(self):
        self.locator = SourceLocator(roots=["/usr/lib/python3/dist-packages", "/home/me/project"])

    def locate(self, text):
        return self.locator.locate(FakeNode(text))

    def test_single_line_range(self):
        text = ('  File "/home/me/project/model.py", line 24\n    def forward(self, x):\n        if x.sum():\n'
                '           ~~~~~ <--- HERE\n            return x * 2\n')
        self.assertEqual(self.locate(text), {"file": "model.py", "line": 24, "col": 11, "text": "if x.sum():"})

    def test_multi_line_range_starts_at_its_first_line(self):
        text = ('  File "/usr/lib/python3/dist-packages/torch/nn/functional.py", line 1454\n'
                '    if inplace:\n    ~~~~~~~~~~~\n        result = torch.relu_(input)\n'
                '        ~~~~~~~~~~~~~~~~~~~~~~~~~~~ <--- HERE\n')
        self.assertEqual(self.locate(text), {"file": "torch/nn/functional.py", "line": 1454, "col": 4,
                                             "text": "if inplace:"})

    def test_string_compiled_code_keeps_its_pseudo_file(self):
        text = '  File "<string>", line 13\n    return x.size()\n           ~~~~~~ <--- HERE\n'
        self.assertEqual(self.locate(text)["file"], "<string>")

    def test_traced_python_stack(self):
        here = os.path.abspath(__file__)
        with open(here, encoding="utf-8") as f:
            line = next(i for i, text in enumerate(f, 1) if "def test_traced_python_stack" in text)
        text = f"{here}({line}): forward\n/usr/lib/python3/dist-packages/torch/nn/modules/module.py(1182): _call\n"
        loc = SourceLocator(roots=[os.path.dirname(here)]).locate(FakeNode(text))
        self.assertEqual(loc, {"file": "test_source.py", "line": line, "col": 0,
                               "text": "def test_traced_python_stack(self):"})

    def test_no_range(self):
        self.assertIsNone(self.locate(""))
        self.assertIsNone(self.locate("something else entirely"))

    def test_paths_outside_the_roots_stay_absolute(self):
        self.assertEqual(self.locator.short_path("/opt/other/model.py"), "/opt/other/model.py")


class ScopeTest(unittest.TestCase):
    def test_module_hierarchy(self):
        cases = {
            "mlp(Sequential).2(ForwardWithControlFlowTest)": "mlp.2",
            "SELF(ResNet).layer1(Sequential).0(BasicBlock).bn1(BatchNorm2d).UNKNOWN_INSTANCE(UNKNOWN_TYPE)":
                "layer1.0.bn1",
            "SELF(ResNet).conv1(Conv2d).SELF(Conv2d)": "conv1",
            "SELF(ResNet)": "",
            ".UNKNOWN_INSTANCE(UNKNOWN_TYPE)": "",
            "enc(__torch__.my.pkg.Encoder).layers(ModuleList).3(Layer)": "enc.layers.3",
        }
        for hierarchy, scope in cases.items():
            with self.subTest(hierarchy=hierarchy):
                self.assertEqual(scope_from_hierarchy(hierarchy), scope)

    def test_trace_scope_names(self):
        self.assertEqual(scope_from_trace_scope_name("__module.mlp/__module.mlp.0"), "mlp.0")
        self.assertEqual(scope_from_trace_scope_name(""), "")


if __name__ == "__main__":
    unittest.main()
