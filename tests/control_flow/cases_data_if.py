"""`if` on tensor data: what torch.export cannot capture without torch.cond."""
import torch
from torch import nn

from cflib import EXPORTED, REFUSED, UNSOUND, case, expect

TOPIC = "if on tensor data"
# What strict / non-strict / cond-rewrite / draft do with a branch on data
# that cond-rewrite can turn into an ONNX If.
REWRITTEN = expect(REFUSED, REFUSED, EXPORTED, UNSOUND)


def rows(*values):
    """A (len(values), 3) tensor whose row i is values[i] repeated."""
    return torch.tensor([[float(v)] * 3 for v in values])


class SeedIfSumNonzero(nn.Module):
    """The seed's `if x.sum():` (a truth test, not > 0): a zero sum takes the other branch."""

    def forward(self, x):
        if x.sum():
            return x * 2
        return -x


class IfSumGtZero(nn.Module):
    def forward(self, x):
        if x.sum() > 0:
            return x * 2
        return x - 1


class IfMaxItemGtThreshold(nn.Module):
    def __init__(self):
        super().__init__()
        self.threshold = 0.5

    def forward(self, x):
        if x.max().item() > self.threshold:
            return x / x.max()
        return x


class IfNested(nn.Module):
    def forward(self, x):
        if x.mean() > 0:
            if x.max() > 2:
                return x - 2
            return x + 1
        return x * -1


class IfElifElse(nn.Module):
    def forward(self, x):
        m = x.mean()
        if m > 1:
            y = x * 3
        elif m > 0:
            y = x * 2
        else:
            y = torch.zeros_like(x)
        return y + 1


class IfSeveralOutputs(nn.Module):
    def forward(self, x):
        if x.sum() > 0:
            a, b = x.relu(), x.sum(0)
        else:
            a, b = x.abs(), x.mean(0)
        return a, b


class IfDifferentShapes(nn.Module):
    """The branches return tensors of different sizes (same rank)."""

    def forward(self, x):
        if x.sum() > 0:
            return x[:, :2]
        return torch.cat([x, x], dim=1)


class IfAllPositive(nn.Module):
    def forward(self, x):
        if bool((x > 0).all()):
            return x.log()
        return x.exp()


class IfAnyBelow(nn.Module):
    def forward(self, x):
        if torch.any(x < -1):
            return x.clamp(min=-1)
        return x


class IfOnFlagInput(nn.Module):
    """A bool tensor input selects the branch."""

    def forward(self, x, flag):
        if flag:
            return x + 10
        return x - 10


class IfWithoutElse(nn.Module):
    def forward(self, x):
        y = x + 1
        if y.mean() > 0:
            y = y * 2
        return y


class IfChoosesLayer(nn.Module):
    """The branches call different submodules (parameters captured by both)."""

    def __init__(self):
        super().__init__()
        self.up = nn.Linear(3, 4)
        self.down = nn.Linear(3, 4)

    def forward(self, x):
        if x.sum() > 0:
            return self.up(x)
        return torch.tanh(self.down(x))


class IfOnItemIntCompare(nn.Module):
    """`int(t)` of a one-element int tensor compared with a Python int."""

    def forward(self, x, n):
        if int(n) > 2:
            return x * 2
        return x


BATCH = {"x": {0: "batch"}}

case("seed_if_sum", SeedIfSumNonzero, topic=TOPIC, pattern="the seed's `if x.sum():` (a zero sum takes the else)",
     paths=lambda: [(rows(1, 2),), (rows(1, -1),)], expect=REWRITTEN)
case("if_sum_gt_zero", IfSumGtZero, topic=TOPIC, pattern="`if x.sum() > 0`, dynamic batch",
     paths=lambda: [(rows(1, 2),), (rows(-1, -2, -3),), (rows(4, 1, 2, 0),)], dynamic=BATCH, expect=REWRITTEN)
case("if_max_item_gt_threshold", IfMaxItemGtThreshold, topic=TOPIC, pattern="`if x.max().item() > t`",
     paths=lambda: [(rows(1, 2),), (rows(0.1, 0.2, -3),)], dynamic=BATCH, expect=REWRITTEN)
case("if_nested", IfNested, topic=TOPIC, pattern="nested ifs on data (three paths)",
     paths=lambda: [(rows(1, 5),), (rows(1, 0.5, 1),), (rows(-1, -2),)], dynamic=BATCH, expect=REWRITTEN)
case("if_elif_else", IfElifElse, topic=TOPIC, pattern="`if`/`elif`/`else` on a mean",
     paths=lambda: [(rows(2, 3),), (rows(0.5, 0.2, 0.1),), (rows(-1, -1),)], dynamic=BATCH, expect=REWRITTEN)
case("if_several_outputs", IfSeveralOutputs, topic=TOPIC, pattern="branches returning two tensors",
     paths=lambda: [(rows(1, -0.5),), (rows(-1, -2, 0.5),)], dynamic=BATCH, expect=REWRITTEN)
case("if_different_shapes", IfDifferentShapes, topic=TOPIC, pattern="branches returning different shapes",
     paths=lambda: [(rows(1, 2),), (rows(-1, -2, -3),)], dynamic=BATCH, expect=REWRITTEN)
case("if_all_positive", IfAllPositive, topic=TOPIC, pattern="`if bool((x > 0).all())`",
     paths=lambda: [(rows(1, 2),), (rows(1, -2, 3),)], dynamic=BATCH, expect=REWRITTEN)
case("if_any_below", IfAnyBelow, topic=TOPIC, pattern="`if torch.any(x < -1)`",
     paths=lambda: [(rows(1, -2),), (rows(1, 0, 0.5),)], dynamic=BATCH, expect=REWRITTEN)
case("if_on_flag_input", IfOnFlagInput, topic=TOPIC, pattern="`if flag:` on a bool tensor input",
     paths=lambda: [(rows(1, 2), torch.tensor(True)), (rows(1, 2, 3), torch.tensor(False))], dynamic=BATCH,
     expect=REWRITTEN)
case("if_without_else", IfWithoutElse, topic=TOPIC, pattern="`if` without `else` reassigning a value",
     paths=lambda: [(rows(1, 2),), (rows(-3, -3, -3),)], dynamic=BATCH, expect=REWRITTEN)
case("if_chooses_layer", IfChoosesLayer, topic=TOPIC, pattern="branches calling different Linear layers",
     paths=lambda: [(rows(1, 2),), (rows(-1, -2, -3),)], dynamic=BATCH, expect=REWRITTEN)
case("if_int_of_tensor", IfOnItemIntCompare, topic=TOPIC, pattern="`if int(n) > 2` on an int64 tensor input",
     paths=lambda: [(rows(1, 2), torch.tensor(5)), (rows(1, 2, 3), torch.tensor(1))], dynamic=BATCH,
     expect=REWRITTEN)
