"""Branches on data that cond-rewrite cannot turn into an ONNX If: the failure
must say why and where; draft specializes them."""
import warnings
from typing import List

import torch
from torch import nn

from cflib import EXPORTED, REFUSED, UNSOUND, case, expect

TOPIC = "branches that cannot be rewritten"


class PrintInBranch(nn.Module):
    def forward(self, x):
        if x.sum() > 0:
            print("positive input")
            return x * 2
        return x


class RaiseOnData(nn.Module):
    def forward(self, x):
        if bool(x.min() < 0):
            raise ValueError("negative values are not allowed")
        return x.sqrt()


class WarnInBranch(nn.Module):
    def forward(self, x):
        if x.max() > 10:
            warnings.warn("large input")
            x = x / 10
        return x


class BufferUpdateInBranch(nn.Module):
    """A counter buffer updated only on one branch."""

    def __init__(self):
        super().__init__()
        self.register_buffer("hits", torch.zeros(1))

    def forward(self, x):
        if x.sum() > 0:
            self.hits.add_(1)
        return x + self.hits


class OuterListAppendInBranch(nn.Module):
    def forward(self, x):
        parts: List[torch.Tensor] = [x]
        if x.sum() > 0:
            parts.append(x * 2)
        return torch.cat(parts)


case("print_in_branch", PrintInBranch, topic=TOPIC, pattern="`print` inside a branch on data",
     paths=lambda: [(torch.tensor([1.0, 2.0]),), (torch.tensor([-1.0, -2.0]),)],
     expect=expect(REFUSED, REFUSED, EXPORTED, UNSOUND))
case("raise_on_data", RaiseOnData, topic=TOPIC, pattern="`raise` when a data condition holds",
     paths=lambda: [(torch.tensor([1.0, 4.0]),), (torch.tensor([-1.0, 4.0]),)],
     expect=expect(EXPORTED, EXPORTED, EXPORTED, EXPORTED),
     note="an argument check: every input eager accepts takes the other path, so no strategy needs a branch")
case("warn_in_branch", WarnInBranch, topic=TOPIC, pattern="`warnings.warn` inside a branch on data",
     paths=lambda: [(torch.tensor([1.0, 20.0]),), (torch.tensor([1.0, 2.0]),)],
     expect=expect(REFUSED, REFUSED, EXPORTED, UNSOUND))
case("buffer_update_in_branch", BufferUpdateInBranch, topic=TOPIC, pattern="buffer `add_` inside a branch on data",
     paths=lambda: [(torch.tensor([1.0, 2.0]),), (torch.tensor([-1.0, -2.0]),)],
     expect=expect(REFUSED, REFUSED, REFUSED, UNSOUND))
case("outer_list_append_in_branch", OuterListAppendInBranch, topic=TOPIC,
     pattern="appending to an outer list inside a branch on data",
     paths=lambda: [(torch.tensor([1.0, 2.0]),), (torch.tensor([-1.0, -2.0]),)],
     expect=expect(REFUSED, REFUSED, REFUSED, UNSOUND))
