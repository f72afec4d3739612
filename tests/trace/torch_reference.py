#!/usr/bin/python3
"""Prints eager PyTorch's outputs for the seed models, the numbers that
tests/trace/test_seed_capture.cpp compares the reference interpreter with.

Run with the Debian PyTorch (the `python3` on PATH may not import torch):

    /usr/bin/python3 tests/trace/torch_reference.py
"""
import torch
import torch.nn.functional as F

# The seed's weights (examples/make_seed_bundles.py).
W0 = torch.tensor([[0.284533, 0.0663717, -0.510749], [0.244287, 0.37044, -0.546452]])
B0 = torch.tensor([-0.403322, -0.409063])
W1 = torch.tensor([[0.363914, -0.449402]])
B1 = torch.tensor([0.19677])

for value in (-3.0, 5.0):
    x = torch.full((3,), value)
    h = F.linear(F.linear(x, W0, B0), W1, B1)
    seed = h * 2 if h.sum() else -h          # examples/seed:    if x.sum():
    seed_gt = h * 2 if h.sum() > 0 else -h   # examples/seed-gt: if x.sum() > 0:
    print(f"x = {value}: mlp(x) = {h.item()!r}, seed -> {seed.item()!r}, seed-gt -> {seed_gt.item()!r}")
