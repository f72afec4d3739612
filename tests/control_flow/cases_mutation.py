"""In-place updates of inputs and buffers: functionalized; mutated buffers are
extra outputs named after the buffer."""
import torch
from torch import nn

from cflib import EXPORTED, case, expect

TOPIC = "mutation"
BATCH = {"x": {0: "batch"}}
ALL_EXPORT = expect(EXPORTED, EXPORTED, EXPORTED, EXPORTED)


class InputAddInPlace(nn.Module):
    def forward(self, x, b):
        x.add_(b)
        return x * 2


class SliceAssign(nn.Module):
    def forward(self, x):
        x[:2, :3] = 1
        return x + 1


class MaskAssign(nn.Module):
    def forward(self, x):
        x[x > 0] = 2
        return x


class BufferCopy(nn.Module):
    """`buf.copy_(y)`: the buffer's new value is an extra output."""

    def __init__(self):
        super().__init__()
        self.register_buffer("last", torch.zeros(3))

    def forward(self, y):
        self.last.copy_(y)
        return y * 2


class BufferCounter(nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("calls", torch.zeros((), dtype=torch.int64))

    def forward(self, x):
        self.calls.add_(1)
        return x + self.calls


class RunningMean(nn.Module):
    """A BatchNorm-like running statistic updated from the batch mean."""

    def __init__(self):
        super().__init__()
        self.register_buffer("running", torch.zeros(3))

    def forward(self, x):
        self.running.mul_(0.9).add_(x.mean(0) * 0.1)
        return x - self.running


class ReluInPlaceChain(nn.Module):
    def forward(self, x):
        y = x * 2
        y.relu_()
        y.mul_(3)
        return y


case("input_add_inplace", InputAddInPlace, topic=TOPIC, pattern="`x.add_(b)` on an input",
     paths=lambda: [(torch.randn(2, 3), torch.randn(2, 3)), (torch.randn(4, 3), torch.randn(4, 3))],
     dynamic={"x": {0: "batch"}, "b": {0: "batch"}}, expect=ALL_EXPORT)
case("slice_assign", SliceAssign, topic=TOPIC, pattern="`x[:2, :3] = 1`",
     paths=lambda: [(torch.randn(3, 4),), (torch.randn(5, 4),)], dynamic=BATCH, expect=ALL_EXPORT)
case("mask_assign", MaskAssign, topic=TOPIC, pattern="`x[x > 0] = 2`",
     paths=lambda: [(torch.randn(3, 4),), (torch.randn(5, 4),)], dynamic=BATCH, expect=ALL_EXPORT)
case("buffer_copy", BufferCopy, topic=TOPIC, pattern="`self.last.copy_(y)` (buffer as extra output)",
     paths=lambda: [(torch.randn(3),), (torch.randn(3),)], expect=ALL_EXPORT)
case("buffer_counter", BufferCounter, topic=TOPIC, pattern="`self.calls.add_(1)` int64 counter buffer",
     paths=lambda: [(torch.randn(2, 3),), (torch.randn(4, 3),)], dynamic=BATCH, expect=ALL_EXPORT)
case("running_mean_buffer", RunningMean, topic=TOPIC, pattern="`running.mul_(0.9).add_(...)` chained on a buffer",
     paths=lambda: [(torch.randn(2, 3),), (torch.randn(5, 3),)], dynamic=BATCH, expect=ALL_EXPORT)
case("relu_inplace_chain", ReluInPlaceChain, topic=TOPIC, pattern="`y.relu_(); y.mul_(3)` on an intermediate",
     paths=lambda: [(torch.randn(2, 3),), (torch.randn(5, 3),)], dynamic=BATCH, expect=ALL_EXPORT)
