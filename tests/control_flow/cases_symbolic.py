"""Symbolic ints: branches on a dynamic dim, min/max, floor division and modulo of sizes (issue 10)."""
from typing import List

import torch
from torch import nn

from cflib import EXPORTED, REFUSED, UNSOUND, case, expect

TOPIC = "symbolic ints and branches on dynamic dims"
BATCH = {"x": {0: "batch"}}


class BranchBatchEqualsThree(nn.Module):
    """The issue's `if x.shape[0] == 3: ... else: ...`: cond-rewrite emits an If on Equal(Shape[0], 3)."""

    def forward(self, x):
        if x.shape[0] == 3:
            y = x * 2
        else:
            y = x - 1
        return y.sum(0)


class BranchBatchLessThanWithShapes(nn.Module):
    """Branches whose outputs differ in size along the dynamic dim."""

    def forward(self, x):
        if x.size(0) < 4:
            return torch.cat([x, x], 0)
        return x[1:] + 1


class BranchBatchRaises(nn.Module):
    """An argument check on a dynamic dim: every size eager accepts takes the other path."""

    def forward(self, x):
        if x.size(0) > 4:
            raise ValueError("batch too large")
        return x * 2


class MinOfSizeAndInt(nn.Module):
    """The issue's `n = min(x.size(0), 3)`: ONNX Min over the size."""

    def forward(self, x):
        n = min(x.size(0), 3)
        return x[:n] * 2, x.sum(0) * n


class MaxOfSizes(nn.Module):
    """max() of two dynamic dims, used as a size."""

    def forward(self, x, y):
        m = max(x.size(0), y.size(0))
        return torch.zeros(m, 2) + x.sum() + y.sum()


class FloorDivModNegative(nn.Module):
    """Floor division and modulo of a size expression that can be negative."""

    def forward(self, x):
        k = (x.size(0) - 5) // 2
        r = (x.size(0) - 5) % 3
        return x.sum(0) * k + r


class SizeArithmeticCancels(nn.Module):
    """`(n + 1) - n` and `2 * n - n` are simplified, so the shapes stay consistent."""

    def forward(self, x):
        n = x.size(0)
        ones = torch.ones((n + 1) - n, 2 * n - n)
        return (ones * x.sum(1)).squeeze(0)


case("branch_batch_eq_three", BranchBatchEqualsThree, topic=TOPIC,
     pattern="`if x.shape[0] == 3: ... else: ...` with a dynamic batch",
     paths=lambda: [(torch.randn(3, 4),), (torch.randn(5, 4),)], dynamic=BATCH,
     expect=expect(REFUSED, REFUSED, EXPORTED, UNSOUND))
case("branch_batch_lt_sizes_differ", BranchBatchLessThanWithShapes, topic=TOPIC,
     pattern="`if x.size(0) < 4`, branches of different sizes along the batch",
     paths=lambda: [(torch.randn(2, 3),), (torch.randn(6, 3),)], dynamic=BATCH,
     expect=expect(REFUSED, REFUSED, EXPORTED, UNSOUND))
case("branch_batch_raises", BranchBatchRaises, topic=TOPIC,
     pattern="`if x.size(0) > 4: raise` (an argument check on a dynamic dim)",
     paths=lambda: [(torch.randn(2, 3),), (torch.randn(3, 3),)], dynamic=BATCH,
     expect=expect(EXPORTED, EXPORTED, EXPORTED, EXPORTED),
     unreachable={'raise ValueError("batch too large")': "a path input that raises has no output to compare"})
case("min_size_and_int", MinOfSizeAndInt, topic=TOPIC, pattern="`n = min(x.size(0), 3)` used to slice and scale",
     paths=lambda: [(torch.randn(2, 3),), (torch.randn(5, 3),)], dynamic=BATCH,
     expect=expect(EXPORTED, EXPORTED, EXPORTED, EXPORTED))
case("max_of_two_dims", MaxOfSizes, topic=TOPIC, pattern="`max(x.size(0), y.size(0))` as a size",
     paths=lambda: [(torch.randn(2, 3), torch.randn(4, 3)), (torch.randn(5, 3), torch.randn(3, 3))],
     dynamic={"x": {0: "a"}, "y": {0: "b"}},
     expect=expect(EXPORTED, EXPORTED, EXPORTED, EXPORTED))
case("floordiv_mod_negative", FloorDivModNegative, topic=TOPIC,
     pattern="`(x.size(0) - 5) // 2` and `% 3` (negative for small batches)",
     paths=lambda: [(torch.randn(3, 2),), (torch.randn(8, 2),)], dynamic=BATCH,
     expect=expect(EXPORTED, EXPORTED, EXPORTED, EXPORTED))
case("size_arithmetic_cancels", SizeArithmeticCancels, topic=TOPIC,
     pattern="`torch.ones((n + 1) - n, 2 * n - n)` with n a dynamic dim",
     paths=lambda: [(torch.randn(3, 2),), (torch.randn(6, 2),)], dynamic=BATCH,
     expect=expect(EXPORTED, EXPORTED, EXPORTED, EXPORTED))
