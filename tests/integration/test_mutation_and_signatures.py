"""Issue 4, program signatures and mutation, through torch2program, onnxport
(default config) and ONNX Runtime against eager PyTorch.

Signatures: int/float inputs stay 0-d inputs, lists flatten to lx.0, lx.1,
None inputs vanish, int/float outputs are 0-d tensors.
Mutation: in-place updates of inputs and buffers (x.add_(b), x[:2, :3] = 1,
x[mask] = 2, buf.copy_(y)) are functionalized. By default the model's outputs
are exactly forward's (a warning names each input whose new value is dropped);
with --mutations-as-outputs the final values of mutated buffers and inputs are
extra outputs named `<name>.updated`. The report lists them either way."""
import json
import unittest
from typing import List, Optional

import torch
from torch import nn

from onnxport_testlib import OnnxportTestCase
from torch_export_check import TorchExportMixin, export, flatten_args, onnx_io, run_ort

AS_OUTPUTS = ["--mutations-as-outputs"]

torch.manual_seed(0)
r = torch.randn


class IntFloatInputs(nn.Module):
    def forward(self, x, n: int, f: float):
        return x * n + f, torch.ones(n) * f


class ListInput(nn.Module):
    def forward(self, lx: List[torch.Tensor]):
        return lx[0] + lx[1] * 2


class OptionalInput(nn.Module):
    def forward(self, x, y: Optional[torch.Tensor] = None):
        if y is None:
            return x * 2
        return x + y


class IntOutput(nn.Module):
    def forward(self, x):
        return x * 2, x.shape[1] + 1


class AddInPlace(nn.Module):
    def forward(self, x, b):
        x.add_(b)
        return x * 2


class SliceAssign(nn.Module):
    def forward(self, x):
        x[:2, :3] = 1
        return x + 0


class SelectAssign(nn.Module):
    def forward(self, x):
        x[1] = x[0] * 3
        x[-1] = 0
        return x.sum(0)


class MaskAssign(nn.Module):
    def forward(self, x):
        x[x > 0] = 2
        return x * 1


class MutateInDataBranch(nn.Module):
    def forward(self, x):
        if x.sum() > 0:
            x[0] = 0
        return x * 2


class ViewAssignOnTemporary(nn.Module):
    def forward(self, x):
        y = x * 1
        y.view(-1)[:3] = 5.0
        return y


class BufferCopy(nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("buf", torch.zeros(2, 3))

    def forward(self, y):
        self.buf.copy_(y)
        return y * 2


class RunningCount(nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("count", torch.zeros(3))

    def forward(self, x):
        self.count[0] += 1
        return x + self.count


class Signatures(OnnxportTestCase, TorchExportMixin):
    def test_int_and_float_inputs_stay_inputs(self):
        m = IntFloatInputs()
        ex = self.assertExports(m, (r(3, 4), 3, 0.5), "sig-int-float")
        inputs, outputs = onnx_io(ex.model)
        self.assertEqual([n for n, _ in inputs], ["x", "n", "f"])
        self.assertEqual(inputs[1][1], [])  # 0-d
        self.assertEqual(outputs[1][1], ["n"])
        self.assertMatchesEager(ex, m, ["x", "n", "f"], [(r(3, 4), 3, 0.5), (r(3, 4), 5, -1.25)])

    def test_list_input_is_flattened(self):
        m = ListInput()
        ex = self.assertExports(m, ([r(3, 4), r(3, 4)],), "sig-list")
        self.assertEqual([n for n, _ in onnx_io(ex.model)[0]], ["lx.0", "lx.1"])
        self.assertMatchesEager(ex, m, ["lx"], [([r(3, 4), r(3, 4)],)])

    def test_none_input_is_not_an_onnx_input(self):
        m = OptionalInput()
        ex = self.assertExports(m, (r(3, 4), None), "sig-none")
        self.assertEqual([n for n, _ in onnx_io(ex.model)[0]], ["x"])
        self.assertMatchesEager(ex, m, ["x", "y"], [(r(3, 4), None)])

    def test_int_output_is_a_0d_tensor_computed_from_the_shape(self):
        m = IntOutput()
        ex = self.assertExports(m, (r(3, 4),), "sig-int-out", dynamic_shapes={"x": {1: "n"}})
        self.assertEqual(onnx_io(ex.model)[1][1][1], [])
        self.assertMatchesEager(ex, m, ["x"], [(r(3, 4),), (r(3, 7),)])


class Mutation(OnnxportTestCase, TorchExportMixin):
    def check_updates_input(self, m, args, name, names=("x",)):
        ex = self.assertExports(m, args, name, extra=AS_OUTPUTS)
        self.assertEqual([(mu["kind"], mu["name"], mu["output"]) for mu in ex.report["mutations"]],
                         [("input", "x", "x.updated")])
        outputs = [n for n, _ in onnx_io(ex.model)[1]]
        self.assertEqual(outputs[-1], "x.updated", outputs)
        for trial in (args, tuple(a.clone() if isinstance(a, torch.Tensor) else a for a in args)):
            eager_args = [a.clone() for a in trial]
            with torch.no_grad():
                expected = m(*eager_args)
            got = run_ort(ex.model, flatten_args(list(names), list(trial)), ex.folder)
            self.assertTrue(torch.allclose(got[0], expected, atol=1e-5), "%s: output\n%s\nvs\n%s" % (name, got[0], expected))
            self.assertTrue(torch.allclose(got[-1], eager_args[0], atol=1e-5),
                            "%s: x.updated\n%s\nvs eager x after forward\n%s" % (name, got[-1], eager_args[0]))
        return ex

    def test_add_in_place_on_an_input(self):
        self.check_updates_input(AddInPlace(), (r(3, 4), r(3, 4)), "mut-add", names=("x", "b"))

    def test_slice_assignment_writes_through_the_view(self):
        self.check_updates_input(SliceAssign(), (r(3, 4),), "mut-slice")

    def test_select_assignment_with_negative_index(self):
        self.check_updates_input(SelectAssign(), (r(4, 3),), "mut-select")

    def test_boolean_mask_assignment(self):
        self.check_updates_input(MaskAssign(), (r(3, 4),), "mut-mask")

    def test_input_mutated_in_a_rewritten_branch(self):
        m = MutateInDataBranch()
        ex = self.check_updates_input(m, (r(3, 4).abs(),), "mut-branch")
        self.assertIn("cond-rewrite", json.dumps(ex.report))
        neg = -r(3, 4).abs()
        expected_x = neg.clone()
        with torch.no_grad():
            expected = m(expected_x)
        got = run_ort(ex.model, {"x": neg}, ex.folder)
        self.assertTrue(torch.allclose(got[0], expected) and torch.allclose(got[-1], expected_x))

    def test_assignment_through_a_view_of_a_temporary(self):
        m = ViewAssignOnTemporary()
        ex = self.assertExports(m, (r(2, 3),), "mut-view-temp")
        self.assertMatchesEager(ex, m, ["x"], [(r(2, 3),)])

    def test_buffer_copy_is_an_output_named_after_the_buffer(self):
        m = BufferCopy()
        y = r(2, 3)
        ex = self.assertExports(m, (y,), "mut-buffer-copy", extra=AS_OUTPUTS)
        outputs = [n for n, _ in onnx_io(ex.model)[1]]
        self.assertEqual(outputs[-1], "buf.updated")
        got = run_ort(ex.model, {"y": y}, ex.folder)
        self.assertTrue(torch.allclose(got[-1], y))

    def test_buffer_element_update(self):
        m = RunningCount()
        x = r(2, 3)
        ex = self.assertExports(m, (x,), "mut-buffer-element", extra=AS_OUTPUTS)
        self.assertEqual([n for n, _ in onnx_io(ex.model)[1]][-1], "count.updated")
        got = run_ort(ex.model, {"x": x}, ex.folder)
        self.assertTrue(torch.allclose(got[0], x + torch.tensor([1.0, 0, 0])))
        self.assertTrue(torch.allclose(got[-1], torch.tensor([1.0, 0, 0])))

    def test_by_default_the_outputs_are_forwards_and_a_warning_names_the_dropped_input(self):
        m = AddInPlace()
        x, b = r(3, 4), r(3, 4)
        ex = self.assertExports(m, (x, b), "mut-default-drops")
        self.assertEqual(len(onnx_io(ex.model)[1]), 1, onnx_io(ex.model)[1])
        self.assertNotIn("updated", " ".join(n for n, _ in onnx_io(ex.model)[1]))
        text = ex.text()
        self.assertIn("warning: forward updates its input `x` in place (at ", text)
        self.assertIn("x.add_(b)", text)
        self.assertIn("--mutations-as-outputs", text)
        mutations = ex.report["mutations"]
        self.assertEqual([(mu["kind"], mu["name"], mu["output"]) for mu in mutations], [("input", "x", None)])
        self.assertIn("x.add_(b)", mutations[0]["loc"].get("text", ""))
        self.assertEqual([d["code"] for d in ex.report["diagnostics"]], ["mutated-input-dropped"])
        self.assertIs(ex.report["request"]["mutations_as_outputs"], False)
        self.assertMatchesEager(ex, m, ["x", "b"], [(x, b), (r(3, 4), r(3, 4))])

    def test_by_default_a_buffer_update_is_listed_not_output(self):
        m = BufferCopy()
        y = r(2, 3)
        ex = self.assertExports(m, (y,), "mut-default-buffer")
        self.assertNotIn("buf.updated", [n for n, _ in onnx_io(ex.model)[1]])
        self.assertEqual([(mu["kind"], mu["name"], mu["output"]) for mu in ex.report["mutations"]],
                         [("buffer", "buf", None)])
        self.assertNotIn("warning:", ex.text())

    def test_output_names_may_name_forwards_outputs_only(self):
        ex = self.assertExports(AddInPlace(), (r(3, 4), r(3, 4)), "mut-output-names",
                                extra=AS_OUTPUTS + ["--output-names", "y"])
        self.assertEqual([n for n, _ in onnx_io(ex.model)[1]], ["y", "x.updated"])


if __name__ == "__main__":
    unittest.main()
