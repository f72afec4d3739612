"""Each aten node records the overload TorchScript resolved it to
(program.json's optional "overload" key, docs/program-format.md)."""
import unittest

import torch

from frontend_helpers import BundleTestCase, load_bundle, walk_nodes
from torch2program import write_bundle


class Overloads(torch.nn.Module):
    def forward(self, x, y, n: int):
        a = torch.add(x, y)            # aten::add.Tensor
        b = torch.add(x, 2)            # aten::add.Scalar
        c = a.sum(1, keepdim=True)     # aten::sum.dim_IntList
        d = torch.div(b, c, rounding_mode="floor")  # aten::div.Tensor_mode
        return d + c.sum(), n + 1      # aten::sum (the default overload), aten::add.int


class Normalize(torch.nn.Module):
    def forward(self, x):
        # F.normalize's `out is not None` branch calls aten::div.out, which the host's schema table leaves out
        return torch.nn.functional.normalize(x, dim=1)


class OverloadRecordTest(BundleTestCase):
    def test_aten_nodes_record_their_overload(self):
        write_bundle(Overloads(), (torch.randn(2, 3), torch.randn(2, 3), 4), self.bundle_dir())
        program, _, _, _ = load_bundle(self.bundle_dir())
        aten = [n for n in walk_nodes(program["graph"]["nodes"]) if n["kind"].startswith("aten::")]
        recorded = [(n["kind"], n["overload"]) for n in aten]
        for expected in [("aten::add", "Tensor"), ("aten::add", "Scalar"), ("aten::sum", "dim_IntList"),
                         ("aten::div", "Tensor_mode"), ("aten::sum", ""), ("aten::add", "int")]:
            self.assertIn(expected, recorded)

    def test_other_nodes_have_no_overload(self):
        write_bundle(Overloads(), (torch.randn(2, 3), torch.randn(2, 3), 4), self.bundle_dir())
        program, _, _, _ = load_bundle(self.bundle_dir())
        others = [n for n in walk_nodes(program["graph"]["nodes"]) if not n["kind"].startswith("aten::")]
        self.assertTrue(others)  # prim::Constant, prim::ListConstruct ...
        for node in others:
            self.assertNotIn("overload", node, node["kind"])

    def test_out_variants_record_no_overload(self):
        write_bundle(Normalize(), (torch.randn(2, 3),), self.bundle_dir())
        program, _, _, _ = load_bundle(self.bundle_dir())
        divs = [n for n in walk_nodes(program["graph"]["nodes"]) if n["kind"] == "aten::div"]
        self.assertEqual(len(divs), 2, divs)  # the functional call and the out= one in the dead branch
        self.assertEqual(sorted(n.get("overload", "(none)") for n in divs), ["(none)", "Tensor"])
        (out,) = [n for n in divs if "overload" not in n]
        self.assertEqual(out["attrs"], {"out_variant": True})


if __name__ == "__main__":
    unittest.main()
