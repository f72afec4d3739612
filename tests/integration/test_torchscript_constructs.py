"""TorchScript constructs of real programs (issue 10): scripted by PyTorch,
written by torch2program, exported with config/default.json and run in ONNX
Runtime against eager PyTorch on at least two sizes of the dynamic dim.

- `l.copy()` on a list attribute, then an item assignment (torchvision's Swin
  copies its shift sizes): aten::copy on a constant list.
- `(a,) + b.chunk(2)` list/tuple concatenation (torch.nn's encoder-decoder
  attention): aten::add on lists.
- `parts += [...]` and `parts.extend(...)`: aten::add_ / aten::extend on lists.
- `x.size() == y.size()` / `!=` (torch.nn's losses and RNN hidden-state checks):
  aten::eq / aten::ne on lists of sizes.
- `self.cache = value`: prim::SetAttr, module state for the rest of the trace
  (a buffer takes the new tensor; an int attribute is read back).
- `out[:, i] = ...` inside a loop over a static dim: index_put_ on a slice in
  a loop.
- `isinstance(v, int)` on a Union input, torchvision's roi_align boxes check:
  prim::isinstance.
- pad_packed_sequence without total_length (an output length only the
  lengths' values decide) is refused with a diagnostic naming the construct
  and the line (packed sequences themselves export:
  test_packed_sequences.py).
"""
import json
import unittest
from typing import List, Union

import torch
from torch import nn

from onnxport_testlib import OnnxportTestCase
from torch_export_check import TorchExportMixin, export

torch.manual_seed(0)
r = torch.randn
BATCH = {"x": {0: "batch"}}


class ListCopy(nn.Module):
    def __init__(self):
        super().__init__()
        self.shift = [2, 1]

    def forward(self, x):
        shift = self.shift.copy()
        if x.size(2) <= 2:
            shift[0] = 0
        return torch.cat([x[:, shift[0]:], x[:, :shift[0]]], 1) * shift[1] + x


class TupleConcat(nn.Module):
    def forward(self, x):
        parts = (x * 2,) + x.chunk(2, dim=-1)
        return parts[0][..., :2] + parts[1] - parts[2]


class ListExtend(nn.Module):
    def forward(self, x):
        parts = [x]
        parts += [x * 2, x + 1]
        parts.extend([x - 1])
        alias = parts
        alias += [x * 3]
        return torch.cat(parts, 1), len(parts)


class SizeEquality(nn.Module):
    def forward(self, x, y):
        if x.size() == y.size():
            out = x + y
        else:
            out = x - y.sum()
        if list(x.size()) != [x.size(0), 4]:
            out = out * 0
        return out


class CachesOnItself(nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("last_mean", torch.zeros(4))
        self.scale = 1

    def forward(self, x):
        self.last_mean = x.mean(0)
        self.scale = 3
        return x - self.last_mean * self.scale


class IndexPutInLoop(nn.Module):
    def forward(self, x):
        out = torch.zeros_like(x)
        for i in range(x.size(1)):
            out[:, i] = x[:, i] * (i + 1)
        return out


class IsInstance(nn.Module):
    def forward(self, x, scale: Union[List[int], int]):
        if isinstance(scale, int):
            return x * scale
        return x * scale[0]


class PacksInside(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = nn.LSTM(4, 5)

    def forward(self, x, lengths):
        packed = nn.utils.rnn.pack_padded_sequence(x, lengths)
        out, _ = self.rnn(packed)
        padded, _ = nn.utils.rnn.pad_packed_sequence(out)
        return padded


class TorchScriptConstructs(OnnxportTestCase, TorchExportMixin):
    def check(self, module, name, names, example, *others, **kw):
        module.eval()
        ex = self.assertExports(module, example, name, **kw)
        self.assertMatchesEager(ex, module, names, [example, *others])
        return ex

    def test_list_copy_of_a_constant_list(self):
        self.check(ListCopy(), "ts-list-copy", ["x"], (r(2, 4, 5),), (r(3, 4, 5),), (r(1, 4, 5),),
                   dynamic_shapes=BATCH)

    def test_tuple_and_list_concatenation(self):
        self.check(TupleConcat(), "ts-concat", ["x"], (r(2, 4),), (r(5, 4),), dynamic_shapes=BATCH)

    def test_list_plus_equals_and_extend(self):
        self.check(ListExtend(), "ts-extend", ["x"], (r(2, 3),), (r(4, 3),), dynamic_shapes=BATCH)

    def test_list_equality_of_sizes(self):
        self.check(SizeEquality(), "ts-size-eq", ["x", "y"], (r(2, 4), r(2, 4)), (r(5, 4), r(5, 4)),
                   dynamic_shapes={"x": {0: "batch"}, "y": {0: "batch"}})

    def test_set_attr_is_module_state(self):
        self.check(CachesOnItself(), "ts-setattr", ["x"], (r(2, 4),), (r(6, 4),), dynamic_shapes=BATCH)

    def test_index_put_inside_a_loop(self):
        self.check(IndexPutInLoop(), "ts-index-put-loop", ["x"], (r(2, 3),), (r(5, 3),), dynamic_shapes=BATCH)

    def test_isinstance_on_a_union(self):
        self.check(IsInstance(), "ts-isinstance", ["x", "scale"], (r(2, 3), 3), (r(4, 3), 3), dynamic_shapes=BATCH)

    def test_packed_sequence_is_refused_with_the_line(self):
        ex = export(PacksInside(), (r(5, 2, 4), torch.tensor([5, 3])), "ts-packed")
        self.assertFalse(ex.ok)
        self.assertEqual(ex.proc.returncode, 1, ex.text())
        self.assertIn("pad_packed_sequence at line", ex.text())
        self.assertIn("without total_length", ex.text())
        self.assertIn("unsupported-packed-sequence", json.dumps(ex.report))
        self.assertIn("rnn.py", ex.text())


if __name__ == "__main__":
    unittest.main()
