"""How a zoo entry is declared: a module factory and its inputs as functions of the batch size.

An entry's tensors are made for any batch size, so one declaration gives the
bundle's example (batch EXAMPLE_BATCH) and the other batch sizes the exported
model is checked on (VERIFY_BATCHES): the batch dim of every input that has one
is declared dynamic ("batch").
"""
import torch
import torch.nn as nn

EXAMPLE_BATCH = 2
VERIFY_BATCHES = (1, 3)
# BatchNorm statistics from one random batch of this size: at 64x64 the last
# stages have 2x2 maps, and statistics over 2 images of those are poor enough
# that eval-mode activations grow to hundreds.
CALIBRATION_BATCH = 8


class TensorInput:
    """One tensor argument of forward.

    shape: the shape without the batch dim; batch_dim: where the batch goes
    (None: the input has no batch dim, e.g. an attention mask); make: a
    function (batch, shape with batch) -> tensor, default standard normal.
    """

    def __init__(self, name, shape, batch_dim=0, make=None):
        self.name, self.shape, self.batch_dim, self.make = name, tuple(shape), batch_dim, make

    def full_shape(self, batch):
        if self.batch_dim is None:
            return self.shape
        shape = list(self.shape)
        shape.insert(self.batch_dim, batch)
        return tuple(shape)

    def value(self, batch):
        shape = self.full_shape(batch)
        return self.make(batch, shape) if self.make is not None else torch.randn(*shape)


class Entry:
    """One model or layer of the zoo.

    factory: () -> nn.Module (weights random, seeded by the runner).
    inputs: [TensorInput], forward's tensor arguments in order (their names are
      the program's input names).
    prepare: module -> None, run once after building (BatchNorm calibration).
    note: why the entry is built the way it is (shown in docs/corpus.md).
    """

    def __init__(self, name, group, factory, inputs, prepare=None, note=None, atol=None, rtol=None, cost=0):
        self.name, self.group, self.factory, self.inputs = name, group, factory, list(inputs)
        self.prepare, self.note = prepare, note
        self.atol, self.rtol = atol, rtol
        self.cost = cost  # relative run time, to run cheap entries first

    def build(self):
        torch.manual_seed(0)
        module = self.factory()
        if self.prepare is not None:
            self.prepare(module)
        module.eval()
        return module

    def args(self, batch, seed):
        """forward's arguments for `batch`, the same for the same seed."""
        torch.manual_seed(seed)
        return tuple(i.value(batch) for i in self.inputs)

    def input_names(self):
        return [i.name for i in self.inputs]

    def dynamic_shapes(self):
        return {i.name: {i.batch_dim: "batch"} for i in self.inputs if i.batch_dim is not None}


def calibrate_batch_norm(module, inputs, batch=CALIBRATION_BATCH):
    """Sets every BatchNorm's running statistics to those of one random batch
    (not an example input), so eval-mode activations have unit scale as in a
    trained network instead of vanishing through depth (tests/corpus/models.py
    explains why random torchvision models need it)."""
    norms = [m for m in module.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    if not norms:
        return
    for m in norms:
        m.reset_running_stats()
        m.momentum = None  # cumulative average: after one batch, exactly its statistics
    module.train()
    with torch.no_grad():
        module(*(i.value(batch) for i in inputs))
    for m in norms:
        m.momentum = 0.1
    module.eval()


def randomize_zero_heads(module):
    """Gives zero-initialized Linear layers (vision transformers' heads) random weights."""
    for m in module.modules():
        if isinstance(m, nn.Linear) and not m.weight.detach().any():
            nn.init.normal_(m.weight, std=0.02)
            if m.bias is not None:
                nn.init.normal_(m.bias, std=0.02)
