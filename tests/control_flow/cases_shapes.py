"""Dynamic shapes: shape arithmetic kept symbolic, and branches on shapes (guards)."""
import torch
from torch import nn

from cflib import EXPORTED, REFUSED, UNSOUND, case, expect

TOPIC = "dynamic shapes"
GUARDS = "shape guards"
BATCH = {"x": {0: "batch"}}
ALL_EXPORT = expect(EXPORTED, EXPORTED, EXPORTED, EXPORTED)


class ViewBatch(nn.Module):
    def forward(self, x):
        return x.view(x.size(0), -1) * 2


class ReshapeBatch(nn.Module):
    def forward(self, x):
        return x.reshape(x.shape[0], 2, -1).sum(2)


class ZerosDoubleBatch(nn.Module):
    def forward(self, x):
        z = torch.zeros(x.shape[0] * 2)
        return z + x.sum()


class SliceToOtherDim(nn.Module):
    """`x[:, :y.shape[1]]` with y's dim 1 dynamic."""

    def forward(self, x, y):
        return x[:, :y.shape[1]] + y


class FlattenBatch(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(12, 2)

    def forward(self, x):
        return self.lin(torch.flatten(x, 1))


class ExpandBatch(nn.Module):
    def __init__(self):
        super().__init__()
        self.bias = nn.Parameter(torch.arange(3.0))

    def forward(self, x):
        return x + self.bias.unsqueeze(0).expand(x.size(0), -1)


class MeanOverDynamicDim(nn.Module):
    """A size used as a number in tensor arithmetic."""

    def forward(self, x):
        return x.sum(0) / x.size(0)


class NewOnesLikeShape(nn.Module):
    """`x.new_ones(x.shape[0], 1)` concatenated as a bias column."""

    def forward(self, x):
        return torch.cat([x, x.new_ones(x.shape[0], 1)], dim=1)


class SliceFirstFour(nn.Module):
    """`x[:4]` on a dynamic dim: min(4, batch) rows, fewer than 4 when the batch is smaller."""

    def forward(self, x):
        return x[:4] * 2 + x[-2:].sum(0)


class GuardBatchGtFour(nn.Module):
    """A branch on a dynamic dim: a guard pins the batch (cond-rewrite: an If on Shape[0] > 4)."""

    def forward(self, x):
        if x.shape[0] > 4:
            return x[:4]
        return x * 2


class GuardStaticDim(nn.Module):
    """A branch on a static dim: no guard on a dynamic one."""

    def forward(self, x):
        if x.dim() == 2 and x.size(1) == 3:
            return x.t()
        return x


class GuardBatchIsOne(nn.Module):
    """`x.size(0) == 1` needs no guard: dynamic dims are assumed >= 2."""

    def forward(self, x):
        if x.size(0) == 1:
            return x.squeeze(0)
        return x.sum(0)


class BroadcastBatchAgainstStatic(nn.Module):
    """`x[batch, 3] + y[4, 1]`: only right when batch is 4 (or 1), a guard on the dynamic dim."""

    def forward(self, x, y):
        return x + y


class BranchKnowsBatch(nn.Module):
    """Inside `if x.shape[0] == 3:` the batch is 3: `x.reshape(12)` needs no guard and a nested
    test of the same condition is decided; in the else-branch it is known false."""

    def forward(self, x):
        if x.shape[0] == 3:
            flat = x.reshape(12)
            if x.shape[0] != 3:
                flat = flat * 0
            return flat * 2
        y = x.reshape(-1) - 1
        if x.shape[0] == 3:
            y = y * 0
        return y


class BranchBoundsSlice(nn.Module):
    """Inside `if x.shape[0] > 4:` the batch is at least 5, so `x[:4]` has exactly 4 rows and
    adds to a [4, 3] weight without a guard."""

    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.randn(4, 3))

    def forward(self, x):
        if x.shape[0] > 4:
            return (x[:4] + self.w).sum(0)
        return x.sum(0)


case("view_batch", ViewBatch, topic=TOPIC, pattern="`x.view(x.size(0), -1)`",
     paths=lambda: [(torch.randn(2, 3, 4),), (torch.randn(5, 3, 4),)], dynamic=BATCH, expect=ALL_EXPORT)
case("reshape_batch", ReshapeBatch, topic=TOPIC, pattern="`x.reshape(x.shape[0], 2, -1)`",
     paths=lambda: [(torch.randn(3, 6),), (torch.randn(7, 6),)], dynamic=BATCH, expect=ALL_EXPORT)
case("zeros_double_batch", ZerosDoubleBatch, topic=TOPIC, pattern="`torch.zeros(x.shape[0] * 2)`",
     paths=lambda: [(torch.randn(3, 2),), (torch.randn(5, 2),)], dynamic=BATCH, expect=ALL_EXPORT)
case("slice_to_other_dim", SliceToOtherDim, topic=TOPIC, pattern="`x[:, :y.shape[1]]`, y's dim 1 dynamic",
     paths=lambda: [(torch.randn(2, 8), torch.randn(2, 3)), (torch.randn(2, 8), torch.randn(2, 6))],
     dynamic={"y": {1: "width"}}, expect=ALL_EXPORT)
case("flatten_batch", FlattenBatch, topic=TOPIC, pattern="`torch.flatten(x, 1)` into a Linear",
     paths=lambda: [(torch.randn(2, 3, 4),), (torch.randn(6, 3, 4),)], dynamic=BATCH, expect=ALL_EXPORT)
case("expand_batch", ExpandBatch, topic=TOPIC, pattern="`bias.expand(x.size(0), -1)`",
     paths=lambda: [(torch.randn(2, 3),), (torch.randn(5, 3),)], dynamic=BATCH, expect=ALL_EXPORT)
case("mean_over_dynamic_dim", MeanOverDynamicDim, topic=TOPIC, pattern="`x.sum(0) / x.size(0)`",
     paths=lambda: [(torch.randn(3, 4),), (torch.randn(8, 4),)], dynamic=BATCH, expect=ALL_EXPORT)
case("new_ones_batch", NewOnesLikeShape, topic=TOPIC, pattern="`x.new_ones(x.shape[0], 1)` concatenated",
     paths=lambda: [(torch.randn(3, 2),), (torch.randn(6, 2),)], dynamic=BATCH, expect=ALL_EXPORT)
case("slice_first_four", SliceFirstFour, topic=TOPIC, pattern="`x[:4]` and `x[-2:]` on a dynamic batch (Min(4, batch) rows)",
     paths=lambda: [(torch.randn(6, 3),), (torch.randn(3, 3),), (torch.randn(2, 3),), (torch.randn(4, 3),)],
     dynamic=BATCH, expect=ALL_EXPORT)
case("guard_batch_gt_four", GuardBatchGtFour, topic=GUARDS, pattern="`if x.shape[0] > 4` with a dynamic batch",
     paths=lambda: [(torch.randn(6, 3),), (torch.randn(3, 3),)], dynamic=BATCH,
     expect=expect(REFUSED, REFUSED, EXPORTED, UNSOUND))
case("guard_static_dim", GuardStaticDim, topic=GUARDS, pattern="`if x.dim() == 2 and x.size(1) == 3` (static)",
     paths=lambda: [(torch.randn(2, 3),), (torch.randn(5, 3),)], dynamic=BATCH, expect=ALL_EXPORT,
     unreachable={"return x": "the rank and dim 1 are static in the exported signature"})
case("guard_batch_is_one", GuardBatchIsOne, topic=GUARDS, pattern="`if x.size(0) == 1` (dynamic dims are >= 2)",
     paths=lambda: [(torch.randn(2, 3),), (torch.randn(4, 3),)], dynamic=BATCH, expect=ALL_EXPORT,
     unreachable={"return x.squeeze(0)": "a dynamic dim is assumed >= 2, as torch.export does"})
case("broadcast_batch_vs_static", BroadcastBatchAgainstStatic, topic=GUARDS,
     pattern="`x[batch, 3] + y[4, 1]` (broadcasting pins the batch to 4)",
     paths=lambda: [(torch.randn(4, 3), torch.randn(4, 1)), (torch.randn(1, 3), torch.randn(4, 1))], dynamic=BATCH,
     expect=expect(REFUSED, REFUSED, UNSOUND, UNSOUND))
case("branch_knows_batch", BranchKnowsBatch, topic=GUARDS,
     pattern="`if x.shape[0] == 3: x.reshape(12)`, the same test nested in both branches",
     paths=lambda: [(torch.randn(3, 4),), (torch.randn(5, 4),), (torch.randn(2, 4),)], dynamic=BATCH,
     unreachable={"flat = flat * 0": "the batch is 3 inside the branch", "y = y * 0": "the batch is not 3 there"},
     expect=expect(REFUSED, REFUSED, EXPORTED, UNSOUND))
case("branch_bounds_slice", BranchBoundsSlice, topic=GUARDS,
     pattern="`if x.shape[0] > 4: x[:4] + w` with w of 4 rows (batch >= 5 inside)",
     paths=lambda: [(torch.randn(6, 3),), (torch.randn(3, 3),), (torch.randn(9, 3),)], dynamic=BATCH,
     expect=expect(REFUSED, REFUSED, EXPORTED, UNSOUND))
