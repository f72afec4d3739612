"""Program signatures: Python int and float inputs, lists and tuples of tensors,
optional (None) inputs, Python int outputs."""
from typing import List, Optional, Tuple

import torch
from torch import nn

from cflib import EXPORTED, case, expect

TOPIC = "signatures"
ALL_EXPORT = expect(EXPORTED, EXPORTED, EXPORTED, EXPORTED)


class IntInput(nn.Module):
    def forward(self, x, n: int):
        return x * n + n


class FloatInput(nn.Module):
    def forward(self, x, scale: float):
        return x * scale - scale / 2


class ListInput(nn.Module):
    def forward(self, xs: List[torch.Tensor]):
        return xs[0] + xs[1] * 2


class TupleInput(nn.Module):
    def forward(self, pair: Tuple[torch.Tensor, torch.Tensor]):
        a, b = pair
        return torch.matmul(a, b)


class OptionalNone(nn.Module):
    def forward(self, x, bias: Optional[torch.Tensor] = None):
        if bias is None:
            return x * 2
        return x * 2 + bias


class OptionalGiven(nn.Module):
    def forward(self, x, bias: Optional[torch.Tensor] = None):
        if bias is not None:
            x = x + bias
        return x.relu()


class IntOutput(nn.Module):
    def forward(self, x):
        return x * 2, x.shape[1] + 1


class FloatOutputFromItem(nn.Module):
    def forward(self, x):
        return x.mean().item() * 2.0


class ListInputAndInt(nn.Module):
    """A list of tensors stacked, scaled by an int input, plus an int output."""

    def forward(self, xs: List[torch.Tensor], k: int):
        y = torch.stack(xs) * k
        return y, len(xs) * k


case("int_input", IntInput, topic=TOPIC, pattern="Python `int` input used in arithmetic",
     paths=lambda: [(torch.randn(2, 3), 3), (torch.randn(2, 3), -2)], expect=ALL_EXPORT)
case("float_input", FloatInput, topic=TOPIC, pattern="Python `float` input used in arithmetic",
     paths=lambda: [(torch.randn(2, 3), 0.5), (torch.randn(2, 3), 4.0)], expect=ALL_EXPORT)
case("list_input", ListInput, topic=TOPIC, pattern="`List[Tensor]` input (`xs.0`, `xs.1`), dynamic dims",
     paths=lambda: [([torch.randn(2, 3), torch.randn(2, 3)],), ([torch.randn(4, 3), torch.randn(4, 3)],)],
     dynamic={"xs.0": {0: "n"}, "xs.1": {0: "n"}}, expect=ALL_EXPORT)
case("tuple_input", TupleInput, topic=TOPIC, pattern="`Tuple[Tensor, Tensor]` input into matmul",
     paths=lambda: [((torch.randn(2, 3), torch.randn(3, 4)),), ((torch.randn(5, 3), torch.randn(3, 4)),)],
     dynamic={"pair.0": {0: "rows"}}, expect=ALL_EXPORT)
case("optional_none", OptionalNone, topic=TOPIC, pattern="`Optional[Tensor]` input passed as None",
     paths=lambda: [(torch.randn(2, 3), None)], expect=ALL_EXPORT,
     unreachable={"return x * 2 + bias": "the bundle's signature fixes bias to None (see optional_given)"})
case("optional_given", OptionalGiven, topic=TOPIC, pattern="`Optional[Tensor]` input given a tensor",
     paths=lambda: [(torch.randn(2, 3), torch.randn(3))], expect=ALL_EXPORT)
case("int_output", IntOutput, topic=TOPIC, pattern="`return x * 2, x.shape[1] + 1` (int output, dynamic)",
     paths=lambda: [(torch.randn(2, 3),), (torch.randn(2, 5),)], dynamic={"x": {1: "width"}}, expect=ALL_EXPORT)
case("float_output_from_item", FloatOutputFromItem, topic=TOPIC, pattern="`return x.mean().item() * 2.0`",
     paths=lambda: [(torch.randn(2, 3),), (torch.randn(4, 3),)], dynamic={"x": {0: "batch"}},
     expect=expect(EXPORTED, EXPORTED, EXPORTED, EXPORTED))
case("list_input_and_int", ListInputAndInt, topic=TOPIC, pattern="list input stacked times an int, int output",
     paths=lambda: [([torch.randn(3), torch.randn(3)], 2), ([torch.randn(3), torch.randn(3)], 5)],
     expect=ALL_EXPORT)
