"""The zoo's torch.nn layers: every class exported by `torch.nn.modules` that
takes tensors, built with typical arguments (several variants where the
arguments change the program: masks and need_weights for attention,
batch_first and bidirectional for recurrent layers, the Upsample modes...).

`NOT_LAYERS` lists the classes of `torch.nn.modules.__all__` that are not in
the zoo and why (abstract bases and containers without a forward of their
own); zoo_entries.py checks that every class is either built here or listed
there, so a new torch.nn class cannot be missed silently.
"""
import torch
import torch.nn as nn

from zoo_spec import EXAMPLE_BATCH, Entry, TensorInput

NOT_LAYERS = {
    "Module": "the base class",
    "Container": "deprecated base class of the containers",
    "RNNBase": "the base class of RNN/LSTM/GRU (built through them)",
    "RNNCellBase": "the base class of RNNCell/LSTMCell/GRUCell (built through them)",
    "ModuleList": "a container without forward",
    "ModuleDict": "a container without forward",
    "ParameterList": "a container of parameters without forward",
    "ParameterDict": "a container of parameters without forward",
}


def x(*shape, name="input", batch_dim=0):
    return TensorInput(name, shape, batch_dim)


def classes(n, name="target"):
    """Class indices in [0, n) with the batch's shape."""
    return TensorInput(name, (), make=lambda b, shape: torch.randint(0, n, shape))


def ints(n, *shape, name="input"):
    return TensorInput(name, shape, make=lambda b, s: torch.randint(0, n, s))


def probabilities(*shape, name="target"):
    return TensorInput(name, shape, make=lambda b, s: torch.rand(*s))


def signs(*shape, name="target"):
    return TensorInput(name, shape, make=lambda b, s: torch.randint(0, 2, s).float() * 2 - 1)


def positive(*shape, name="input"):
    return TensorInput(name, shape, make=lambda b, s: torch.rand(*s) + 0.1)


def pooled_indices(pool, channels_spatial, name="indices"):
    """The indices a MaxPool with return_indices gives for a random input (what MaxUnpool takes)."""
    def make(batch, shape):
        generator_state = torch.get_rng_state()
        _, indices = pool(torch.randn(batch, *channels_spatial))
        torch.set_rng_state(generator_state)
        return indices
    return TensorInput(name, (), make=make)


class SelfAttention(nn.Module):
    """nn.MultiheadAttention as self-attention, optionally with a key padding mask and need_weights."""

    def __init__(self, need_weights=True, batch_first=True, average=True):
        super().__init__()
        self.attn = nn.MultiheadAttention(32, 4, batch_first=batch_first)
        self.need_weights = need_weights
        self.average = average

    def forward(self, x):
        out, weights = self.attn(x, x, x, need_weights=self.need_weights, average_attn_weights=self.average)
        return out, weights


class MaskedAttention(nn.Module):
    """Cross-attention with an additive float attn_mask (L, S) and a boolean key padding mask (N, S)."""

    def __init__(self):
        super().__init__()
        self.attn = nn.MultiheadAttention(32, 4, batch_first=True, kdim=16, vdim=16)

    def forward(self, query, key, key_padding_mask):
        mask = torch.triu(torch.full((query.size(1), key.size(1)), float("-inf")), diagonal=1)
        return self.attn(query, key, key, attn_mask=mask, key_padding_mask=key_padding_mask)


class DecoderWithMask(nn.Module):
    """TransformerDecoderLayer with a causal tgt_mask, as a language model decoder uses it."""

    def __init__(self):
        super().__init__()
        self.layer = nn.TransformerDecoderLayer(32, 4, dim_feedforward=64, dropout=0.0, batch_first=True)

    def forward(self, tgt, memory):
        mask = nn.Transformer.generate_square_subsequent_mask(tgt.size(1))
        return self.layer(tgt, memory, tgt_mask=mask)


def padding_mask(seq):
    """A key padding mask whose last key is masked for every batch item."""
    def make(batch, shape):
        mask = torch.zeros(batch, seq, dtype=torch.bool)
        mask[:, -1] = True
        return mask
    return TensorInput("key_padding_mask", (seq,), make=make)


class WeightedBag(nn.Module):
    """EmbeddingBag(mode="sum") with per-sample weights and no offsets (2-D input)."""

    def __init__(self):
        super().__init__()
        self.bag = nn.EmbeddingBag(20, 8, mode="sum")

    def forward(self, input, per_sample_weights):
        return self.bag(input, None, per_sample_weights)


class OffsetBag(nn.Module):
    """EmbeddingBag over 1-D indices with offsets (bags of different sizes, some empty):
    forward takes [B, 4] indices, flattened to 4B positions, and B offsets."""

    def __init__(self, mode, weighted=False, **options):
        super().__init__()
        self.bag = nn.EmbeddingBag(20, 8, mode=mode, **options)
        self.weighted = weighted
        self.include_last_offset = options.get("include_last_offset", False)

    def forward(self, input, offsets, per_sample_weights):
        weights = per_sample_weights.reshape(-1) if self.weighted else None
        if self.include_last_offset:  # B bags need B + 1 offsets, the last one the end
            end = torch.full((1,), input.numel(), dtype=offsets.dtype)
            offsets = torch.cat([offsets, end])
        return self.bag(input.reshape(-1), offsets, weights)


def bag_offsets(per_row=4, name="offsets"):
    """B sorted offsets into B * per_row positions, the first 0, with repeats (empty bags) and,
    at every batch size, an empty last bag when include_last_offset is off."""
    def make(batch, shape):
        total = batch * per_row
        inner = torch.sort(torch.randint(0, total + 1, (batch - 1,)))[0]
        offsets = torch.cat([torch.zeros(1, dtype=torch.int64), inner])
        if batch >= 3:
            offsets[1] = offsets[2]   # an empty bag in the middle
            offsets[-1] = total       # an empty bag at the end
        return offsets
    return TensorInput(name, (), make=make)


class Lazy(nn.Module):
    """A Lazy* module after its first call (what a user exports): its parameters have their shapes."""

    def __init__(self, lazy, example):
        super().__init__()
        with torch.no_grad():
            lazy(example)
        self.inner = lazy

    def forward(self, input):
        return self.inner(input)


def lazy(cls, *args, shape):
    return lambda: Lazy(cls(*args), torch.randn(EXAMPLE_BATCH, *shape))


class Packed(nn.Module):
    """A recurrent layer over a packed batch, as a variable-length model runs it:
    pack_padded_sequence(x, lengths) -> the layer -> pad_packed_sequence back to
    the input's length. Returns the padded output, the lengths and the final
    state(s)."""

    def __init__(self, recurrent, enforce_sorted=True):
        super().__init__()
        self.rnn = recurrent
        self.batch_first = recurrent.batch_first
        self.enforce_sorted = enforce_sorted

    def forward(self, x, lengths):
        steps = x.size(1) if self.batch_first else x.size(0)
        packed = nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=self.batch_first,
                                                   enforce_sorted=self.enforce_sorted)
        out, state = self.rnn(packed)
        padded, out_lengths = nn.utils.rnn.pad_packed_sequence(
            out, batch_first=self.batch_first, total_length=steps)
        return padded, out_lengths, state


def lengths(steps, descending):
    """Sequence lengths in [1, steps] for the batch (sorted longest first when
    the layer packs with enforce_sorted=True), different for every batch size."""
    def make(batch, shape):
        values = torch.randint(1, steps + 1, shape)
        return values.sort(descending=True).values if descending else values
    return TensorInput("lengths", (), make=make)


def packed(name, recurrent, steps=6, features=8, batch_first=False, enforce_sorted=True):
    return layer(name, lambda: Packed(recurrent(), enforce_sorted),
                 [x(steps, features, batch_dim=0 if batch_first else 1), lengths(steps, enforce_sorted)])


def layer(name, factory, inputs, note=None, atol=None, rtol=None):
    return Entry(name, "layer", factory, inputs, note=note, atol=atol, rtol=rtol)


IMG = (4, 10, 10)      # C, H, W
VOL = (2, 6, 6, 6)     # C, D, H, W
SEQ = (4, 12)          # C, L
FEAT = (10,)           # features


def layer_entries():
    L = layer
    return [
        L("Identity", nn.Identity, [x(*FEAT)]),
        L("Linear", lambda: nn.Linear(10, 6), [x(*FEAT)]),
        L("Linear[3d input]", lambda: nn.Linear(10, 6), [x(5, 10)]),
        L("Bilinear", lambda: nn.Bilinear(10, 8, 6), [x(10, name="input1"), x(8, name="input2")]),
        L("LazyLinear", lazy(nn.LazyLinear, 6, shape=FEAT), [x(*FEAT)]),
        L("Sequential", lambda: nn.Sequential(nn.Linear(10, 8), nn.ReLU(), nn.Linear(8, 4)), [x(*FEAT)]),
        # convolutions
        L("Conv1d", lambda: nn.Conv1d(4, 6, 3, padding=1), [x(*SEQ)]),
        L("Conv2d", lambda: nn.Conv2d(4, 6, 3, stride=2, padding=1), [x(*IMG)]),
        L("Conv2d[groups,dilation,padding=same]", lambda: nn.Conv2d(4, 8, 3, groups=2, dilation=2, padding="same"),
          [x(*IMG)]),
        L("Conv2d[padding_mode=reflect]", lambda: nn.Conv2d(4, 6, 3, padding=1, padding_mode="reflect"), [x(*IMG)]),
        L("Conv3d", lambda: nn.Conv3d(2, 4, 3, padding=1), [x(*VOL)]),
        L("ConvTranspose1d", lambda: nn.ConvTranspose1d(4, 6, 3, stride=2), [x(*SEQ)]),
        L("ConvTranspose2d", lambda: nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1), [x(*IMG)]),
        L("ConvTranspose3d", lambda: nn.ConvTranspose3d(2, 3, 3, stride=2), [x(*VOL)]),
        L("LazyConv1d", lazy(nn.LazyConv1d, 6, 3, shape=SEQ), [x(*SEQ)]),
        L("LazyConv2d", lazy(nn.LazyConv2d, 6, 3, shape=IMG), [x(*IMG)]),
        L("LazyConv3d", lazy(nn.LazyConv3d, 3, 3, shape=VOL), [x(*VOL)]),
        L("LazyConvTranspose1d", lazy(nn.LazyConvTranspose1d, 6, 3, shape=SEQ), [x(*SEQ)]),
        L("LazyConvTranspose2d", lazy(nn.LazyConvTranspose2d, 6, 3, shape=IMG), [x(*IMG)]),
        L("LazyConvTranspose3d", lazy(nn.LazyConvTranspose3d, 3, 3, shape=VOL), [x(*VOL)]),
        # activations
        L("Threshold", lambda: nn.Threshold(0.1, 20.0), [x(*FEAT)]),
        L("ReLU", nn.ReLU, [x(*FEAT)]),
        L("Hardtanh", lambda: nn.Hardtanh(-0.5, 0.5), [x(*FEAT)]),
        L("ReLU6", nn.ReLU6, [x(*FEAT)]),
        L("Sigmoid", nn.Sigmoid, [x(*FEAT)]),
        L("Tanh", nn.Tanh, [x(*FEAT)]),
        L("Softmax", lambda: nn.Softmax(dim=1), [x(*FEAT)]),
        L("Softmax2d", nn.Softmax2d, [x(*IMG)]),
        L("LogSoftmax", lambda: nn.LogSoftmax(dim=1), [x(*FEAT)]),
        L("Softmin", lambda: nn.Softmin(dim=1), [x(*FEAT)]),
        L("ELU", lambda: nn.ELU(alpha=0.7), [x(*FEAT)]),
        L("SELU", nn.SELU, [x(*FEAT)]),
        L("CELU", lambda: nn.CELU(alpha=1.5), [x(*FEAT)]),
        L("GLU", nn.GLU, [x(*FEAT)]),
        L("GELU", nn.GELU, [x(*FEAT)]),
        L("GELU[tanh]", lambda: nn.GELU(approximate="tanh"), [x(*FEAT)]),
        L("Hardshrink", nn.Hardshrink, [x(*FEAT)]),
        L("LeakyReLU", lambda: nn.LeakyReLU(0.2), [x(*FEAT)]),
        L("LogSigmoid", nn.LogSigmoid, [x(*FEAT)]),
        L("Softplus", lambda: nn.Softplus(beta=2.0, threshold=5.0), [x(*FEAT)]),
        L("Softshrink", nn.Softshrink, [x(*FEAT)]),
        L("PReLU", lambda: nn.PReLU(4), [x(*IMG)]),
        L("Softsign", nn.Softsign, [x(*FEAT)]),
        L("Tanhshrink", nn.Tanhshrink, [x(*FEAT)]),
        L("RReLU", nn.RReLU, [x(*FEAT)], note="eval mode: a fixed slope"),
        L("Hardsigmoid", nn.Hardsigmoid, [x(*FEAT)]),
        L("Hardswish", nn.Hardswish, [x(*FEAT)]),
        L("SiLU", nn.SiLU, [x(*FEAT)]),
        L("Mish", nn.Mish, [x(*FEAT)]),
        # attention and transformers
        L("MultiheadAttention", SelfAttention, [x(7, 32, name="x")]),
        L("MultiheadAttention[need_weights=False]", lambda: SelfAttention(need_weights=False), [x(7, 32, name="x")]),
        L("MultiheadAttention[per-head weights,seq-first]", lambda: SelfAttention(batch_first=False, average=False),
          [x(7, 32, name="x", batch_dim=1)]),
        L("MultiheadAttention[attn_mask,key_padding_mask,kdim]", MaskedAttention,
          [x(5, 32, name="query"), x(6, 16, name="key"), padding_mask(6)]),
        L("TransformerEncoderLayer", lambda: nn.TransformerEncoderLayer(32, 4, 64, dropout=0.0, batch_first=True),
          [x(7, 32, name="src")]),
        L("TransformerEncoderLayer[norm_first,gelu]", lambda: nn.TransformerEncoderLayer(
            32, 4, 64, dropout=0.0, activation="gelu", norm_first=True), [x(7, 32, name="src", batch_dim=1)]),
        L("TransformerEncoder", lambda: nn.TransformerEncoder(
            nn.TransformerEncoderLayer(32, 4, 64, dropout=0.0, batch_first=True), 2, enable_nested_tensor=False),
          [x(7, 32, name="src")]),
        L("TransformerDecoderLayer", lambda: nn.TransformerDecoderLayer(32, 4, 64, dropout=0.0, batch_first=True),
          [x(5, 32, name="tgt"), x(7, 32, name="memory")]),
        L("TransformerDecoderLayer[tgt_mask]", DecoderWithMask, [x(5, 32, name="tgt"), x(7, 32, name="memory")]),
        L("TransformerDecoder", lambda: nn.TransformerDecoder(
            nn.TransformerDecoderLayer(32, 4, 64, dropout=0.0, batch_first=True), 2),
          [x(5, 32, name="tgt"), x(7, 32, name="memory")]),
        L("Transformer", lambda: nn.Transformer(32, 4, 2, 2, 64, dropout=0.0, batch_first=True),
          [x(7, 32, name="src"), x(5, 32, name="tgt")]),
        # recurrent
        L("RNN", lambda: nn.RNN(8, 12), [x(6, 8, batch_dim=1)]),
        L("RNN[relu,batch_first,2 layers]", lambda: nn.RNN(8, 12, 2, nonlinearity="relu", batch_first=True),
          [x(6, 8)]),
        L("LSTM", lambda: nn.LSTM(8, 12), [x(6, 8, batch_dim=1)]),
        L("LSTM[batch_first,bidirectional,2 layers]", lambda: nn.LSTM(8, 12, 2, batch_first=True,
                                                                       bidirectional=True), [x(6, 8)]),
        L("LSTM[proj_size]", lambda: nn.LSTM(8, 12, proj_size=5, batch_first=True), [x(6, 8)]),
        L("LSTM[proj_size,bidirectional,2 layers,no bias]", lambda: nn.LSTM(8, 12, 2, bias=False, proj_size=5,
                                                                             bidirectional=True), [x(6, 8, batch_dim=1)]),
        L("GRU", lambda: nn.GRU(8, 12), [x(6, 8, batch_dim=1)]),
        L("GRU[batch_first,bidirectional]", lambda: nn.GRU(8, 12, batch_first=True, bidirectional=True), [x(6, 8)]),
        packed("LSTM[packed]", lambda: nn.LSTM(8, 12)),
        packed("LSTM[packed,bidirectional,2 layers,batch_first]", lambda: nn.LSTM(8, 12, 2, batch_first=True,
                                                                               bidirectional=True), batch_first=True),
        packed("LSTM[packed,unsorted,bidirectional]", lambda: nn.LSTM(8, 12, bidirectional=True),
               enforce_sorted=False),
        packed("GRU[packed,batch_first]", lambda: nn.GRU(8, 12, batch_first=True), batch_first=True),
        packed("GRU[packed,unsorted,bidirectional,2 layers]", lambda: nn.GRU(8, 12, 2, bidirectional=True),
               enforce_sorted=False),
        packed("RNN[packed,relu,bidirectional]", lambda: nn.RNN(8, 12, nonlinearity="relu", bidirectional=True)),
        packed("RNN[packed,unsorted,batch_first,2 layers]", lambda: nn.RNN(8, 12, 2, batch_first=True),
               batch_first=True, enforce_sorted=False),
        L("RNNCell", lambda: nn.RNNCell(8, 12), [x(8)]),
        L("LSTMCell", lambda: nn.LSTMCell(8, 12), [x(8)]),
        L("GRUCell", lambda: nn.GRUCell(8, 12), [x(8)]),
        # normalization
        L("BatchNorm1d", lambda: _stats(nn.BatchNorm1d(10)), [x(*FEAT)]),
        L("BatchNorm2d", lambda: _stats(nn.BatchNorm2d(4)), [x(*IMG)]),
        L("BatchNorm3d", lambda: _stats(nn.BatchNorm3d(2)), [x(*VOL)]),
        L("LazyBatchNorm1d", lazy(nn.LazyBatchNorm1d, shape=FEAT), [x(*FEAT)]),
        L("LazyBatchNorm2d", lazy(nn.LazyBatchNorm2d, shape=IMG), [x(*IMG)]),
        L("LazyBatchNorm3d", lazy(nn.LazyBatchNorm3d, shape=VOL), [x(*VOL)]),
        L("SyncBatchNorm", lambda: _stats(nn.SyncBatchNorm(4)), [x(*IMG)]),
        L("InstanceNorm1d", lambda: nn.InstanceNorm1d(4, affine=True), [x(*SEQ)]),
        L("InstanceNorm2d", lambda: nn.InstanceNorm2d(4), [x(*IMG)]),
        L("InstanceNorm3d", lambda: nn.InstanceNorm3d(2, affine=True), [x(*VOL)]),
        L("LazyInstanceNorm1d", lazy(nn.LazyInstanceNorm1d, shape=SEQ), [x(*SEQ)]),
        L("LazyInstanceNorm2d", lazy(nn.LazyInstanceNorm2d, shape=IMG), [x(*IMG)]),
        L("LazyInstanceNorm3d", lazy(nn.LazyInstanceNorm3d, shape=VOL), [x(*VOL)]),
        L("LayerNorm", lambda: nn.LayerNorm(10), [x(*FEAT)]),
        L("LayerNorm[2 dims,no affine]", lambda: nn.LayerNorm([10, 10], elementwise_affine=False), [x(*IMG)]),
        L("GroupNorm", lambda: nn.GroupNorm(2, 4), [x(*IMG)]),
        L("LocalResponseNorm", lambda: nn.LocalResponseNorm(3), [x(*IMG)]),
        L("CrossMapLRN2d", lambda: nn.CrossMapLRN2d(3), [x(*IMG)]),
        # dropout (identity in eval mode)
        L("Dropout", nn.Dropout, [x(*FEAT)]),
        L("Dropout1d", nn.Dropout1d, [x(*SEQ)]),
        L("Dropout2d", nn.Dropout2d, [x(*IMG)]),
        L("Dropout3d", nn.Dropout3d, [x(*VOL)]),
        L("AlphaDropout", nn.AlphaDropout, [x(*FEAT)]),
        L("FeatureAlphaDropout", nn.FeatureAlphaDropout, [x(*IMG)]),
        # pooling
        L("AvgPool1d", lambda: nn.AvgPool1d(3, stride=2), [x(*SEQ)]),
        L("AvgPool2d", lambda: nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=False), [x(*IMG)]),
        L("AvgPool2d[ceil_mode]", lambda: nn.AvgPool2d(3, stride=2, ceil_mode=True), [x(*IMG)]),
        L("AvgPool2d[ceil_mode,padding]", lambda: nn.AvgPool2d(3, stride=2, padding=1, ceil_mode=True),
          [x(*IMG)]),
        L("AvgPool3d", lambda: nn.AvgPool3d(2), [x(*VOL)]),
        L("MaxPool1d", lambda: nn.MaxPool1d(3, stride=2), [x(*SEQ)]),
        L("MaxPool2d", lambda: nn.MaxPool2d(3, stride=2, padding=1), [x(*IMG)]),
        L("MaxPool2d[return_indices]", lambda: nn.MaxPool2d(2, return_indices=True), [x(*IMG)]),
        L("MaxPool2d[dilation,ceil_mode]", lambda: nn.MaxPool2d(3, stride=2, dilation=2, ceil_mode=True), [x(*IMG)]),
        L("MaxPool3d", lambda: nn.MaxPool3d(2), [x(*VOL)]),
        L("MaxUnpool1d", lambda: nn.MaxUnpool1d(2),
          [x(*SEQ), pooled_indices(nn.MaxPool1d(2, return_indices=True), (4, 24))]),
        L("MaxUnpool2d", lambda: nn.MaxUnpool2d(2),
          [x(4, 5, 5), pooled_indices(nn.MaxPool2d(2, return_indices=True), IMG)]),
        L("MaxUnpool3d", lambda: nn.MaxUnpool3d(2),
          [x(2, 3, 3, 3), pooled_indices(nn.MaxPool3d(2, return_indices=True), VOL)]),
        L("FractionalMaxPool2d", lambda: nn.FractionalMaxPool2d(2, output_size=5), [x(*IMG)],
          note="samples its pooling regions at random on every call"),
        L("FractionalMaxPool3d", lambda: nn.FractionalMaxPool3d(2, output_size=3), [x(*VOL)],
          note="samples its pooling regions at random on every call"),
        L("LPPool1d", lambda: nn.LPPool1d(2, 3, stride=2), [positive(*SEQ)]),
        L("LPPool2d", lambda: nn.LPPool2d(2, 2), [positive(*IMG)]),
        L("AdaptiveMaxPool1d", lambda: nn.AdaptiveMaxPool1d(4), [x(*SEQ)]),
        L("AdaptiveMaxPool2d", lambda: nn.AdaptiveMaxPool2d((5, 2)), [x(*IMG)]),
        L("AdaptiveMaxPool3d", lambda: nn.AdaptiveMaxPool3d(3), [x(*VOL)]),
        L("AdaptiveAvgPool1d", lambda: nn.AdaptiveAvgPool1d(4), [x(*SEQ)]),
        L("AdaptiveAvgPool2d", lambda: nn.AdaptiveAvgPool2d((5, 1)), [x(*IMG)]),
        L("AdaptiveAvgPool2d[non-divisible]", lambda: nn.AdaptiveAvgPool2d(3), [x(*IMG)]),
        L("AdaptiveAvgPool3d", lambda: nn.AdaptiveAvgPool3d(3), [x(*VOL)]),
        # padding
        L("ReflectionPad1d", lambda: nn.ReflectionPad1d(2), [x(*SEQ)]),
        L("ReflectionPad2d", lambda: nn.ReflectionPad2d((1, 2, 0, 3)), [x(*IMG)]),
        L("ReflectionPad3d", lambda: nn.ReflectionPad3d(1), [x(*VOL)]),
        L("ReplicationPad1d", lambda: nn.ReplicationPad1d((3, 1)), [x(*SEQ)]),
        L("ReplicationPad2d", lambda: nn.ReplicationPad2d(2), [x(*IMG)]),
        L("ReplicationPad3d", lambda: nn.ReplicationPad3d(1), [x(*VOL)]),
        L("ZeroPad2d", lambda: nn.ZeroPad2d((1, 1, 2, 0)), [x(*IMG)]),
        L("ConstantPad1d", lambda: nn.ConstantPad1d(2, 3.5), [x(*SEQ)]),
        L("ConstantPad2d", lambda: nn.ConstantPad2d((1, 0, 2, 1), -1.0), [x(*IMG)]),
        L("ConstantPad3d", lambda: nn.ConstantPad3d(1, 0.5), [x(*VOL)]),
        # sparse
        L("Embedding", lambda: nn.Embedding(20, 8), [ints(20, 6)]),
        L("Embedding[padding_idx,max_norm]", lambda: nn.Embedding(20, 8, padding_idx=0, max_norm=1.0),
          [ints(20, 6)]),
        L("EmbeddingBag", lambda: nn.EmbeddingBag(20, 8, mode="mean"), [ints(20, 6)]),
        L("EmbeddingBag[sum,per_sample_weights]", WeightedBag,
          [ints(20, 6), x(6, name="per_sample_weights")], note="offsets=None, 2-D input"),
        L("EmbeddingBag[sum,offsets,per_sample_weights]", lambda: OffsetBag("sum", weighted=True),
          [ints(20, 4), bag_offsets(), x(4, name="per_sample_weights")], note="1-D input with offsets, empty bags"),
        L("EmbeddingBag[mean,offsets,padding_idx]", lambda: OffsetBag("mean", padding_idx=3),
          [TensorInput("input", (4,), make=lambda b, s: torch.randint(0, 20, s) % 5), bag_offsets(),
           x(4, name="per_sample_weights")], note="1-D input with offsets, empty bags, index 3 is padding"),
        L("EmbeddingBag[max,offsets,padding_idx]", lambda: OffsetBag("max", padding_idx=3),
          [TensorInput("input", (4,), make=lambda b, s: torch.randint(0, 20, s) % 5), bag_offsets(),
           x(4, name="per_sample_weights")], note="1-D input with offsets, empty bags, index 3 is padding"),
        L("EmbeddingBag[sum,include_last_offset]", lambda: OffsetBag("sum", include_last_offset=True),
          [ints(20, 4), bag_offsets(), x(4, name="per_sample_weights")],
          note="1-D input, offsets with the end appended as the last offset"),
        # shuffles, resampling, reshaping
        L("PixelShuffle", lambda: nn.PixelShuffle(2), [x(8, 5, 5)]),
        L("PixelUnshuffle", lambda: nn.PixelUnshuffle(2), [x(*IMG)]),
        L("ChannelShuffle", lambda: nn.ChannelShuffle(2), [x(*IMG)]),
        L("Upsample[nearest]", lambda: nn.Upsample(scale_factor=2, mode="nearest"), [x(*IMG)]),
        L("Upsample[linear,align_corners]", lambda: nn.Upsample(size=17, mode="linear", align_corners=True),
          [x(*SEQ)]),
        L("Upsample[bilinear]", lambda: nn.Upsample(scale_factor=1.5, mode="bilinear"), [x(*IMG)]),
        L("Upsample[bicubic,align_corners]", lambda: nn.Upsample(size=(7, 13), mode="bicubic", align_corners=True),
          [x(*IMG)]),
        L("Upsample[trilinear]", lambda: nn.Upsample(scale_factor=2, mode="trilinear"), [x(*VOL)]),
        L("Upsample[nearest,3d]", lambda: nn.Upsample(size=(3, 8, 9), mode="nearest"), [x(*VOL)]),
        L("UpsamplingNearest2d", lambda: nn.UpsamplingNearest2d(scale_factor=2), [x(*IMG)]),
        L("UpsamplingBilinear2d", lambda: nn.UpsamplingBilinear2d(size=(15, 7)), [x(*IMG)]),
        L("Flatten", nn.Flatten, [x(*IMG)]),
        L("Unflatten", lambda: nn.Unflatten(1, (2, 5)), [x(*FEAT)]),
        L("Unfold", lambda: nn.Unfold(3, padding=1, stride=2), [x(*IMG)]),
        L("Fold", lambda: nn.Fold((6, 6), 3, padding=1, stride=2), [x(36, 9)]),
        # distances
        L("PairwiseDistance", nn.PairwiseDistance, [x(*FEAT, name="x1"), x(*FEAT, name="x2")]),
        L("CosineSimilarity", nn.CosineSimilarity, [x(*FEAT, name="x1"), x(*FEAT, name="x2")]),
        L("AdaptiveLogSoftmaxWithLoss", lambda: nn.AdaptiveLogSoftmaxWithLoss(10, 30, [8, 20]),
          [x(*FEAT), classes(30)]),
        # losses (reduction "mean" unless said)
        L("L1Loss", nn.L1Loss, [x(*FEAT), x(*FEAT, name="target")]),
        L("MSELoss", nn.MSELoss, [x(*FEAT), x(*FEAT, name="target")]),
        L("MSELoss[reduction=none]", lambda: nn.MSELoss(reduction="none"), [x(*FEAT), x(*FEAT, name="target")]),
        L("NLLLoss", nn.NLLLoss, [x(*FEAT), classes(10)]),
        L("NLLLoss2d", nn.NLLLoss2d, [x(*IMG), TensorInput("target", (10, 10),
                                                           make=lambda b, s: torch.randint(0, 4, s))]),
        L("CrossEntropyLoss", nn.CrossEntropyLoss, [x(*FEAT), classes(10)]),
        L("CrossEntropyLoss[label_smoothing,probabilities]", lambda: nn.CrossEntropyLoss(label_smoothing=0.1),
          [x(*FEAT), TensorInput("target", FEAT, make=lambda b, s: torch.softmax(torch.randn(*s), 1))]),
        L("KLDivLoss", lambda: nn.KLDivLoss(reduction="batchmean"),
          [TensorInput("input", FEAT, make=lambda b, s: torch.log_softmax(torch.randn(*s), 1)), probabilities(*FEAT)]),
        L("BCELoss", nn.BCELoss, [probabilities(*FEAT, name="input"), probabilities(*FEAT)]),
        L("BCEWithLogitsLoss", lambda: nn.BCEWithLogitsLoss(pos_weight=torch.rand(10) + 0.5),
          [x(*FEAT), probabilities(*FEAT)]),
        L("PoissonNLLLoss", nn.PoissonNLLLoss, [x(*FEAT), positive(*FEAT, name="target")]),
        L("GaussianNLLLoss", nn.GaussianNLLLoss, [x(*FEAT), x(*FEAT, name="target"), positive(*FEAT, name="var")]),
        L("HuberLoss", lambda: nn.HuberLoss(delta=0.5), [x(*FEAT), x(*FEAT, name="target")]),
        L("SmoothL1Loss", lambda: nn.SmoothL1Loss(beta=0.5), [x(*FEAT), x(*FEAT, name="target")]),
        L("SoftMarginLoss", nn.SoftMarginLoss, [x(*FEAT), signs(*FEAT)]),
        L("CosineEmbeddingLoss", nn.CosineEmbeddingLoss,
          [x(*FEAT, name="input1"), x(*FEAT, name="input2"), signs()]),
        L("HingeEmbeddingLoss", nn.HingeEmbeddingLoss, [x(*FEAT), signs(*FEAT)]),
        L("MarginRankingLoss", lambda: nn.MarginRankingLoss(margin=0.1),
          [x(name="input1"), x(name="input2"), signs()]),
        L("MultiLabelMarginLoss", nn.MultiLabelMarginLoss,
          [x(*FEAT), TensorInput("target", FEAT, make=_multilabel_targets)]),
        L("MultiLabelMarginLoss[reduction=none,varied targets]", lambda: nn.MultiLabelMarginLoss(reduction="none"),
          [x(*FEAT), TensorInput("target", FEAT, make=_varied_multilabel_targets)],
          note="0 to 10 targets a row, repeats, labels after the -1 that must be ignored"),
        L("MultiLabelSoftMarginLoss", nn.MultiLabelSoftMarginLoss, [x(*FEAT), TensorInput("target", FEAT, make=lambda b, s: torch.randint(0, 2, s).float())]),
        L("MultiMarginLoss", nn.MultiMarginLoss, [x(*FEAT), classes(10)]),
        L("TripletMarginLoss", nn.TripletMarginLoss,
          [x(*FEAT, name="anchor"), x(*FEAT, name="positive"), x(*FEAT, name="negative")]),
        L("TripletMarginWithDistanceLoss", nn.TripletMarginWithDistanceLoss,
          [x(*FEAT, name="anchor"), x(*FEAT, name="positive"), x(*FEAT, name="negative")]),
        L("CTCLoss", nn.CTCLoss, [TensorInput("log_probs", (12, 6), batch_dim=1,
                                              make=lambda b, s: torch.log_softmax(torch.randn(*s), 2)),
                                  TensorInput("targets", (4,), make=lambda b, s: torch.randint(1, 6, s)),
                                  TensorInput("input_lengths", (), make=lambda b, s: torch.full(s, 12)),
                                  TensorInput("target_lengths", (), make=lambda b, s: torch.randint(2, 5, s))]),
    ]


def _stats(norm):
    """Trained-looking running statistics, so the normalization is really exercised."""
    with torch.no_grad():
        norm.running_mean.uniform_(-1, 1)
        norm.running_var.uniform_(0.5, 2)
        if norm.weight is not None:
            norm.weight.uniform_(0.5, 1.5)
            norm.bias.uniform_(-0.5, 0.5)
    return norm


def _multilabel_targets(batch, shape):
    """Class indices padded with -1, as MultiLabelMarginLoss takes them."""
    target = torch.full(shape, -1, dtype=torch.int64)
    target[:, 0] = torch.randint(0, shape[1], (batch,))
    target[:, 1] = (target[:, 0] + 3) % shape[1]
    return target



def _varied_multilabel_targets(batch, shape):
    """Rows with 0 to C targets (repeats allowed), ended by -1 when shorter, with labels after the -1."""
    classes = shape[1]
    target = torch.randint(0, classes, shape)
    for row in range(batch):
        count = [0, classes, 3][row % 3]
        if count < classes:
            target[row, count] = -1
    return target
