"""Loops: over a dynamic dim, on tensor data, carrying several values, stacking outputs."""
from typing import List

import torch
from torch import nn

from cflib import EXPORTED, REFUSED, UNSOUND, case, expect

TOPIC = "loops"
BATCH = {"x": {0: "batch"}}
# A loop whose trip count or condition reads tensor data: only cond-rewrite
# can emit an ONNX Loop; draft unrolls the observed count.
DATA_LOOP = expect(REFUSED, REFUSED, EXPORTED, UNSOUND)


class ForConstRange(nn.Module):
    def forward(self, x):
        for i in range(3):
            x = x * 2 + i
        return x


class ForRangeDynamicSum(nn.Module):
    def forward(self, x):
        acc = torch.zeros_like(x[0])
        for i in range(x.size(0)):
            acc = acc + x[i] * i
        return acc


class ForRangeStack(nn.Module):
    """Per-iteration outputs collected in a list and stacked."""

    def forward(self, x):
        outs: List[torch.Tensor] = []
        for i in range(x.size(0)):
            outs.append(x[i].cumsum(0) + i)
        return torch.stack(outs)


class ForIfInBody(nn.Module):
    """A branch on each row's data inside a loop over the rows."""

    def forward(self, x):
        parts: List[torch.Tensor] = []
        for i in range(x.size(0)):
            row = x[i]
            if bool(row.sum() > 0):
                parts.append(row * 2)
            else:
                parts.append(-row)
        return torch.stack(parts)


class RnnCellLoop(nn.Module):
    """A hand-written RNN: hidden state carried over a dynamic time dim, outputs stacked."""

    def __init__(self):
        super().__init__()
        self.inp = nn.Linear(3, 4)
        self.rec = nn.Linear(4, 4)

    def forward(self, x):
        h = torch.zeros(4)
        outs: List[torch.Tensor] = []
        for t in range(x.size(0)):
            h = torch.tanh(self.inp(x[t]) + self.rec(h))
            outs.append(h)
        return torch.stack(outs), h


class WhileOnData(nn.Module):
    def forward(self, x):
        while x.abs().max() > 1.0:
            x = x / 2
        return x


class WhileSeveralCarried(nn.Module):
    """A while loop on data carrying a tensor, a running sum and a Python int."""

    def forward(self, x):
        steps = 0
        total = torch.zeros_like(x)
        while bool((x * x).sum() > 1.0):
            total = total + x
            x = x * 0.5
            steps += 1
        return x, total, steps


class ForDataTripCount(nn.Module):
    """`range(int(n))` with n a tensor input: the trip count is data."""

    def forward(self, x, n):
        for _ in range(int(n)):
            x = torch.sin(x) + 1
        return x


class ForWithBreakOnData(nn.Module):
    def forward(self, x):
        for _ in range(6):
            if bool(x.sum() > 20):
                break
            x = x * 2
        return x


class ForOverIntInput(nn.Module):
    """`range(n)` with n a Python int input."""

    def forward(self, x, n: int):
        y = x
        for _ in range(n):
            y = y + x
        return y


class ForStackDynamicCumulative(nn.Module):
    """Two carried values (running sum and max) and two stacked outputs."""

    def forward(self, x):
        run_sum = torch.zeros_like(x[0])
        run_max = x[0]
        sums: List[torch.Tensor] = []
        maxes: List[torch.Tensor] = []
        for i in range(x.size(0)):
            run_sum = run_sum + x[i]
            run_max = torch.maximum(run_max, x[i])
            sums.append(run_sum)
            maxes.append(run_max)
        return torch.stack(sums), torch.stack(maxes)


def rows(*values):
    return torch.tensor([[float(v)] * 3 for v in values])


case("for_const_range", ForConstRange, topic=TOPIC, pattern="`for i in range(3)` (a constant trip count)",
     paths=lambda: [(torch.randn(2, 3),), (torch.randn(5, 3),)], dynamic=BATCH,
     expect=expect(EXPORTED, EXPORTED, EXPORTED, EXPORTED))
case("for_range_dynamic_sum", ForRangeDynamicSum, topic=TOPIC,
     pattern="`for i in range(x.size(0))`, dynamic dim, one carried tensor",
     paths=lambda: [(torch.randn(3, 4),), (torch.randn(5, 4),)], dynamic=BATCH,
     expect=DATA_LOOP)
case("for_range_stack", ForRangeStack, topic=TOPIC, pattern="loop over a dynamic dim, outputs stacked",
     paths=lambda: [(torch.randn(3, 4),), (torch.randn(6, 4),)], dynamic=BATCH,
     expect=DATA_LOOP)
case("for_if_in_body", ForIfInBody, topic=TOPIC, pattern="`if` on each row's data inside the loop",
     paths=lambda: [(rows(1, -1, 2),), (rows(-2, 3),)], dynamic=BATCH,
     expect=expect(REFUSED, REFUSED, REFUSED, UNSOUND))
case("rnn_cell_loop", RnnCellLoop, topic=TOPIC, pattern="hand-written RNN over a dynamic time dim",
     paths=lambda: [(torch.randn(4, 3),), (torch.randn(7, 3),)], dynamic=BATCH,
     expect=DATA_LOOP)
case("while_on_data", WhileOnData, topic=TOPIC, pattern="`while x.abs().max() > 1`",
     paths=lambda: [(torch.tensor([3.0, -9.0, 0.5]),), (torch.tensor([0.5, 0.1, 0.2]),),
                    (torch.tensor([100.0, 1.0, 1.0]),)],
     expect=DATA_LOOP)
case("while_several_carried", WhileSeveralCarried, topic=TOPIC,
     pattern="`while` on data carrying two tensors and an int counter",
     paths=lambda: [(torch.tensor([3.0, 4.0]),), (torch.tensor([0.1, 0.2]),), (torch.tensor([30.0, 40.0]),)],
     expect=DATA_LOOP)
case("for_data_trip_count", ForDataTripCount, topic=TOPIC, pattern="`for _ in range(int(n))`, n a tensor",
     paths=lambda: [(torch.randn(3), torch.tensor(2)), (torch.randn(3), torch.tensor(5)),
                    (torch.randn(3), torch.tensor(0))],
     expect=DATA_LOOP)
case("for_break_on_data", ForWithBreakOnData, topic=TOPIC, pattern="`break` on tensor data in a `for`",
     paths=lambda: [(torch.tensor([1.0, 2.0]),), (torch.tensor([30.0, 2.0]),), (torch.tensor([-1.0, -2.0]),)],
     expect=DATA_LOOP)
case("for_over_int_input", ForOverIntInput, topic=TOPIC, pattern="`for _ in range(n)`, n a Python int input",
     paths=lambda: [(torch.randn(3), 2), (torch.randn(3), 4)],
     expect=DATA_LOOP)
case("for_two_carried_two_stacked", ForStackDynamicCumulative, topic=TOPIC,
     pattern="two carried values and two stacked outputs over a dynamic dim",
     paths=lambda: [(torch.randn(3, 2),), (torch.randn(5, 2),)], dynamic=BATCH,
     expect=DATA_LOOP)


class ForRangeAppendRows(nn.Module):
    """The issue's pattern: rows of x appended by index, then stacked."""

    def forward(self, x):
        rows = []
        for i in range(x.shape[0]):
            rows.append(x[i] * 2)
        return torch.stack(rows)


class ForRangeSliceCat(nn.Module):
    """`x[i:i + 1]` has (i+1)-i rows: the algebra must see that is 1 to squeeze it."""

    def forward(self, x):
        parts: List[torch.Tensor] = []
        for i in range(x.size(0)):
            parts.append(x[i:i + 1].squeeze(0) * (i + 1))
        return torch.cat(parts, 0)


class ForIntInputStack(nn.Module):
    """`range(n)`, n an int input, collecting one tensor per iteration."""

    def forward(self, x, n: int):
        outs: List[torch.Tensor] = []
        for i in range(n):
            outs.append(x * i)
        return torch.stack(outs, 1)


class NestedStaticLoops(nn.Module):
    """2 x 512 iterations: unrolled, about 13,000 nodes; it stays an ONNX Loop."""

    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.linspace(-0.5, 0.5, 512))

    def forward(self, x):
        for _ in range(2):
            for j in range(512):
                h = torch.tanh(x * 0.5 + self.w[j])
                g = torch.sigmoid(x - self.w[j])
                x = x * 0.9 + h * g * 0.1
        return x


class StaticLoopOfFour(nn.Module):
    """A constant trip count of 4, three nodes a step: about 12 nodes unrolled."""

    def forward(self, x):
        for j in range(4):
            x = torch.tanh(x * 0.5 + j)
        return x


class StaticLoopOfSixteen(nn.Module):
    """The same body 16 times: about 48 nodes unrolled."""

    def forward(self, x):
        for j in range(16):
            x = torch.tanh(x * 0.5 + j)
        return x


# "unroll_limit": {"nodes": 40} (docs/config.md): a static loop at or under the
# budget is unrolled, one over it stays an ONNX Loop, in every strategy.
UNROLL_LIMIT = {"unroll_limit": {"nodes": 40}}


case("for_range_append_rows", ForRangeAppendRows, topic=TOPIC,
     pattern="`rows.append(x[i] * 2)` over `range(x.shape[0])`, then `torch.stack(rows)`",
     paths=lambda: [(torch.randn(3, 4),), (torch.randn(6, 4),)], dynamic=BATCH,
     expect=DATA_LOOP)
case("for_range_slice_cat", ForRangeSliceCat, topic=TOPIC,
     pattern="`parts.append(x[i:i + 1].squeeze(0) * (i + 1))` over a dynamic dim, then `torch.cat`",
     paths=lambda: [(torch.randn(3, 2),), (torch.randn(5, 2),)], dynamic=BATCH,
     expect=DATA_LOOP)
case("for_int_input_stack", ForIntInputStack, topic=TOPIC,
     pattern="`outs.append(x * i)` over `range(n)`, n an int input, stacked on dim 1",
     paths=lambda: [(torch.randn(3), 2), (torch.randn(3), 5)],
     expect=DATA_LOOP)
case("nested_static_loops_2x512", NestedStaticLoops, topic=TOPIC,
     pattern="`for _ in range(2): for j in range(512):` (too large to unroll)",
     paths=lambda: [(torch.randn(4),), (torch.randn(4) * 3,)],
     expect=expect(EXPORTED, EXPORTED, EXPORTED, EXPORTED))
case("static_loop_under_unroll_limit", StaticLoopOfFour, topic=TOPIC,
     pattern="`for j in range(4):` under `\"unroll_limit\": {\"nodes\": 40}` (unrolled, no Loop)",
     paths=lambda: [(torch.randn(2, 3),), (torch.randn(5, 3),)], dynamic=BATCH,
     config=UNROLL_LIMIT, onnx_ops={"Loop": False},
     expect=expect(EXPORTED, EXPORTED, EXPORTED, EXPORTED))
case("static_loop_over_unroll_limit", StaticLoopOfSixteen, topic=TOPIC,
     pattern="`for j in range(16):` over `\"unroll_limit\": {\"nodes\": 40}` (stays an ONNX Loop)",
     paths=lambda: [(torch.randn(2, 3),), (torch.randn(5, 3),)], dynamic=BATCH,
     config=UNROLL_LIMIT, onnx_ops={"Loop": True},
     expect=expect(EXPORTED, EXPORTED, EXPORTED, EXPORTED))
