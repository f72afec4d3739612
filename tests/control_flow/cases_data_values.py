"""Values read from tensor data (item, int, nonzero, boolean masks) that flow
into tensor ops: data-dependent sizes are unbacked symbols, not errors."""
import torch
from torch import nn

from cflib import EXPORTED, case, expect

TOPIC = "data-dependent values"
BATCH = {"x": {0: "batch"}}
# Data-dependent values that only flow into tensor ops need no branch: every
# strategy exports them, with unbacked symbolic sizes where sizes depend on data.
ALL_EXPORT = expect(EXPORTED, EXPORTED, EXPORTED, EXPORTED)


class ItemScale(nn.Module):
    """A float read with item() scales a tensor."""

    def forward(self, x):
        s = x.abs().max().item()
        return x / (s + 1.0)


class IntSlice(nn.Module):
    """`x[:int(n)]`: an output size read from data."""

    def forward(self, x, n):
        k = int(n.item())
        return x[:k] * 2


class NonzeroIndices(nn.Module):
    def forward(self, x):
        return torch.nonzero(x > 0)


class MaskSelect(nn.Module):
    """Boolean-mask indexing: as many elements as the mask holds."""

    def forward(self, x):
        return x[x > 0] * 3


class MaskSelectReduce(nn.Module):
    """A data-dependent size that only flows into a reduction."""

    def forward(self, x):
        picked = x[x > 0.5]
        return picked.sum() + picked.numel()


class ArangeFromItem(nn.Module):
    """`torch.arange(int(n))` then arithmetic with another input."""

    def forward(self, n, scale):
        return torch.arange(int(n)).to(torch.float32) * scale


class WhereNoBranch(nn.Module):
    """The branch-free way (torch.where): every strategy can take it."""

    def forward(self, x):
        return torch.where(x > 0, x * 2, x - 1)


class IndexSelectNonzero(nn.Module):
    """Row indices from nonzero() gather rows of another tensor."""

    def forward(self, x, mask):
        idx = torch.nonzero(mask).squeeze(1)
        return x.index_select(0, idx)


case("item_scale", ItemScale, topic=TOPIC, pattern="`s = x.abs().max().item()` scales x",
     paths=lambda: [(torch.randn(3, 4),), (torch.randn(5, 4),)], dynamic=BATCH,
     expect=ALL_EXPORT)
case("int_slice", IntSlice, topic=TOPIC, pattern="`x[:int(n.item())]` (size from data)",
     paths=lambda: [(torch.randn(5, 2), torch.tensor(3)), (torch.randn(6, 2), torch.tensor(1))],
     dynamic=BATCH, expect=ALL_EXPORT)
case("nonzero_indices", NonzeroIndices, topic=TOPIC, pattern="`torch.nonzero(x > 0)`",
     paths=lambda: [(torch.tensor([[1.0, -1.0], [2.0, 3.0]]),),
                    (torch.tensor([[-1.0, -1.0], [0.5, -3.0], [1.0, 1.0]]),)],
     dynamic=BATCH, expect=ALL_EXPORT)
case("mask_select", MaskSelect, topic=TOPIC, pattern="`x[x > 0]` boolean-mask indexing",
     paths=lambda: [(torch.tensor([[1.0, -1.0], [2.0, 3.0]]),),
                    (torch.tensor([[-1.0, -1.0], [0.5, -3.0], [1.0, 1.0]]),)],
     dynamic=BATCH, expect=ALL_EXPORT)
case("mask_select_reduce", MaskSelectReduce, topic=TOPIC, pattern="`x[x > 0.5].sum() + numel()`",
     paths=lambda: [(torch.tensor([[1.0, -1.0], [2.0, 3.0]]),), (torch.tensor([[0.0, 0.7], [0.5, -3.0], [1.0, 1.0]]),)],
     dynamic=BATCH, expect=ALL_EXPORT)
case("arange_from_item", ArangeFromItem, topic=TOPIC, pattern="`torch.arange(int(n))` (length from data)",
     paths=lambda: [(torch.tensor(4), torch.tensor(0.5)), (torch.tensor(7), torch.tensor(2.0))],
     expect=ALL_EXPORT)
case("where_no_branch", WhereNoBranch, topic=TOPIC, pattern="`torch.where(x > 0, ...)` (no Python branch)",
     paths=lambda: [(torch.randn(3, 4),), (torch.randn(6, 4),)], dynamic=BATCH,
     expect=ALL_EXPORT)
case("index_select_nonzero", IndexSelectNonzero, topic=TOPIC, pattern="rows picked by `nonzero(mask)`",
     paths=lambda: [(torch.randn(4, 3), torch.tensor([True, False, True, True])),
                    (torch.randn(4, 3), torch.tensor([False, True, False, False]))],
     expect=ALL_EXPORT)
