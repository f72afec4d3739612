"""What torch2program cannot convert fails with a message naming the construct and the source line."""
import contextlib
import io
import os
import subprocess
import unittest

import torch

from frontend_helpers import PYTHON, TOOL, BundleTestCase
import torch2program
from torch2program import ConversionError, write_bundle


def line_of(text):
    """1-based line of this file whose stripped text is `text`."""
    with open(__file__, encoding="utf-8") as f:
        return next(i for i, line in enumerate(f, 1) if line.strip() == text)


class Double(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, grad):
        return grad * 2


class CallsPython(torch.nn.Module):
    def forward(self, x):
        return Double.apply(x) + 1


class FloatKeyedDictAttribute(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.table = {0.5: 2}

    def forward(self, x):
        return x * self.table[0.5]


class ReturnsText(torch.nn.Module):
    def forward(self, x):
        return x, "done"


class ErrorTest(BundleTestCase):
    def assert_refused(self, module, args, *fragments):
        with self.assertRaises(ConversionError) as caught:
            write_bundle(module, args, self.bundle_dir(), expected=True)
        for fragment in fragments:
            self.assertIn(fragment, str(caught.exception))
        self.assertFalse(os.path.exists(self.bundle_dir()), "a failed conversion left files behind")
        return caught.exception

    def test_python_op_names_the_call_site(self):
        error = self.assert_refused(CallsPython(), (torch.randn(3),), "prim::PythonOp", "custom autograd Function")
        text = "return Double.apply(x) + 1"
        self.assertEqual(error.where, f"test_errors.py:{line_of(text)}: {text}")

    def test_unrepresentable_attribute_names_where_it_is_read(self):
        error = self.assert_refused(FloatKeyedDictAttribute(), (torch.randn(3),),
                                    "module attribute 'table' holds a dict")
        text = 'return x * self.table[0.5]'
        self.assertEqual(error.where, f"test_errors.py:{line_of(text)}: {text}")

    def test_text_output(self):
        self.assert_refused(ReturnsText(), (torch.randn(3),), "returns a str at output[1]")

    def test_text_input(self):
        self.assert_refused(torch.nn.Identity(), ("hello",), "input 'input' is str, expected Tensor")

    def test_complex_input(self):
        self.assert_refused(torch.nn.Identity(), (torch.randn(2, dtype=torch.complex64),),
                            "input 'input' has dtype torch.complex64")


class CommandLineErrorTest(BundleTestCase):
    def run_tool(self, *args):
        return subprocess.run([PYTHON, TOOL, *args, "-o", self.bundle_dir()], capture_output=True, text=True,
                              cwd=self.tmp, timeout=300)

    def test_refused_module_exits_1_with_location(self):
        path = os.path.join(self.tmp, "custom_op.py")
        with open(path, "w", encoding="utf-8") as f:
            f.write("import torch\n\n\nclass Double(torch.autograd.Function):\n"
                    "    @staticmethod\n    def forward(ctx, x):\n        return x * 2\n\n\n"
                    "class Model(torch.nn.Module):\n    def forward(self, x):\n"
                    "        return Double.apply(x)\n")
        result = self.run_tool(f"{path}:Model", "--input", "x=2x3")
        self.assertEqual(result.returncode, 1, result.stderr)
        self.assertIn("torch2program: error: prim::PythonOp", result.stderr)
        self.assertIn("at custom_op.py:12: return Double.apply(x)", result.stderr)
        self.assertFalse(os.path.exists(self.bundle_dir()))

    def run_in_process(self, *args):
        """main() without a new interpreter: (exit code, stderr)."""
        stderr = io.StringIO()
        with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(io.StringIO()):
            try:
                code = torch2program.main([*args, "-o", self.bundle_dir()])
            except SystemExit as exit_:  # argparse
                code = exit_.code
        return code, stderr.getvalue()

    def test_bad_specs(self):
        cases = [
            (["torch.nn.ReLU"], 1, "must be 'package.module:factory' or 'file.py:ClassName'"),
            (["missing/model.py:Net"], 1, "no such file: missing/model.py"),
            (["torch.nn:NoSuchModule"], 1, "'torch.nn' has no attribute 'NoSuchModule'"),
            (["no_such_package_xyz:Net"], 1, "cannot import 'no_such_package_xyz'"),
            (["torch.nn:ReLU", "--kwargs", "[1]"], 2, "--kwargs must be a JSON object"),
            (["torch.nn:Linear", "--kwargs", '{"in_features": 3}'], 1, "torch.nn:Linear(**{'in_features': 3}) failed"),
            (["torch.nn:ReLU", "--input", "x=2y3"], 1, "shape '2y3' must look like 1x3x224x224"),
            (["torch.nn:ReLU", "--input", "x=3", "--dynamic", "x=batch"], 1, "must be NAME:DIM=SYMBOL"),
            (["builtins:dict", "--input", "x=3"], 1, "builtins:dict returned a dict, not a torch.nn.Module"),
        ]
        for args, code, message in cases:
            with self.subTest(args=args):
                returncode, stderr = self.run_in_process(*args)
                self.assertEqual(returncode, code, stderr)
                self.assertIn(message, stderr)
                self.assertFalse(os.path.exists(self.bundle_dir()))

    def test_missing_output_option_is_a_usage_error(self):
        with contextlib.redirect_stderr(io.StringIO()) as stderr:
            with self.assertRaises(SystemExit) as caught:
                torch2program.main(["torch.nn:ReLU"])
        self.assertEqual(caught.exception.code, 2)
        self.assertIn("-o/--output", stderr.getvalue())


if __name__ == "__main__":
    unittest.main()
