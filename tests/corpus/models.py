"""The corpus: real models (torchvision, torch.nn) and small blocks built from
torch.nn layers, each with the example inputs it is converted and verified on.

Every entry says how PyTorch 1.13 captures it ("script" or, where scripting
fails, "trace"); run_corpus_model.py checks that torch2program agrees, so a
model that silently falls back to tracing fails its test instead of being
mislabelled. tests/corpus/CMakeLists.txt lists the same names and capture
kinds (the test name carries the capture kind: corpus.vit_b_16.traced).

Tolerances: the default is the config's (atol 1e-4, rtol 1e-3). An entry may
set a looser one only with a `tolerance_reason` (see docs/corpus.md).

Meaningful outputs: torchvision's initializers give several untrained
networks vanishing activations (mobilenet_v2's outputs are ~1e-9,
efficientnet_b0's ~1e-14: kaiming fan-out init of depthwise convolutions
shrinks every block, and eval-mode BatchNorm with running stats (0, 1) does
not undo it), and vit_b_16's zero-initialized head makes its output exactly
0. Compared with atol 1e-4, any error would pass. So the torchvision models'
BatchNorm statistics are calibrated on one random batch (as if trained: every
normalized activation is O(1)) and zero-initialized heads get random weights;
the weights stay random. run_corpus_model.py refuses an output whose largest
magnitude is below 100 x atol.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision

IMAGE = (1, 3, 224, 224)


class CorpusModel:
    """One corpus entry: how to build the module and its example inputs."""

    def __init__(self, name, factory, inputs, capture="script", atol=None, rtol=None, tolerance_reason=None,
                 dynamic_shapes=None, prepare=None):
        if (atol is not None or rtol is not None) and not tolerance_reason:
            raise ValueError(f"{name}: a looser tolerance needs a tolerance_reason")
        self.name, self.factory, self.inputs, self.capture = name, factory, inputs, capture
        self.atol, self.rtol, self.tolerance_reason = atol, rtol, tolerance_reason
        self.dynamic_shapes = dynamic_shapes
        self.prepare = prepare  # module -> None: makes the random model's outputs non-degenerate

    def build(self):
        """The module (eval mode) and its example args; seeded so every run writes the same bundle."""
        torch.manual_seed(0)
        module = self.factory()
        if self.prepare is not None:
            self.prepare(module)
        module.eval()
        args = tuple(make() for make in self.inputs)
        return module, args


def randn(*shape):
    return lambda: torch.randn(*shape)


def randint(high, *shape):
    return lambda: torch.randint(0, high, shape)


# ---------------------------------------------------------------------------
# Small modules for the torch.nn blocks.

class EmbeddingMLP(nn.Module):
    """Token embedding, LayerNorm, and a GELU MLP (a transformer's feed-forward half)."""

    def __init__(self, vocab=100, dim=32, hidden=64):
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)
        self.norm = nn.LayerNorm(dim)
        self.fc1 = nn.Linear(dim, hidden)
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, tokens):
        h = self.norm(self.embed(tokens))
        return h + self.fc2(F.gelu(self.fc1(h)))


class Conv1dBlock(nn.Module):
    """Conv1d + BatchNorm1d + ReLU, twice (an audio/sequence front end)."""

    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv1d(8, 16, kernel_size=5, padding=2), nn.BatchNorm1d(16), nn.ReLU(),
            nn.Conv1d(16, 16, kernel_size=3, stride=2, dilation=2, padding=2), nn.BatchNorm1d(16), nn.ReLU())

    def forward(self, x):
        return self.body(x)


class BatchNorm1dBlock(nn.Module):
    """BatchNorm1d on (N, C) features between linear layers, with trained-looking running stats."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(20, 24)
        self.bn = nn.BatchNorm1d(24)
        self.out = nn.Linear(24, 6)
        with torch.no_grad():  # non-trivial statistics so normalization is really exercised
            self.bn.running_mean.uniform_(-1, 1)
            self.bn.running_var.uniform_(0.5, 2)

    def forward(self, x):
        return self.out(torch.relu(self.bn(self.fc(x))))


class ConvTranspose2dBlock(nn.Module):
    """A decoder step: strided ConvTranspose2d with output_padding, then a grouped one."""

    def __init__(self):
        super().__init__()
        self.up = nn.ConvTranspose2d(16, 8, kernel_size=3, stride=2, padding=1, output_padding=1)
        self.grouped = nn.ConvTranspose2d(8, 8, kernel_size=4, stride=2, padding=1, groups=2, bias=False)

    def forward(self, x):
        return self.grouped(torch.relu(self.up(x)))


class InstanceNorm2dBlock(nn.Module):
    """Style-transfer style: conv, InstanceNorm2d (affine), ReLU."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, kernel_size=3, padding=1)
        self.norm = nn.InstanceNorm2d(8, affine=True)

    def forward(self, x):
        return torch.relu(self.norm(self.conv(x)))


class GroupNormBlock(nn.Module):
    """Conv + GroupNorm(4 groups) + SiLU, as in diffusion U-Nets."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 16, kernel_size=3, padding=1)
        self.norm = nn.GroupNorm(4, 16)

    def forward(self, x):
        return F.silu(self.norm(self.conv(x)))


class UpsampleBlock(nn.Module):
    """nn.Upsample by a scale factor, then a conv so the result feeds a layer."""

    def __init__(self, mode):
        super().__init__()
        align = False if mode == "bilinear" else None
        self.up = nn.Upsample(scale_factor=2, mode=mode, align_corners=align)
        self.conv = nn.Conv2d(4, 4, kernel_size=3, padding=1)

    def forward(self, x):
        return self.conv(self.up(x))


class PixelShuffleBlock(nn.Module):
    """Sub-pixel convolution (ESPCN): conv to r*r*C channels, PixelShuffle(r)."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 3 * 4, kernel_size=3, padding=1)
        self.shuffle = nn.PixelShuffle(2)

    def forward(self, x):
        return self.shuffle(self.conv(x))


class SelfAttention(nn.Module):
    """nn.MultiheadAttention used as self-attention (query = key = value)."""

    def __init__(self):
        super().__init__()
        self.attn = nn.MultiheadAttention(64, 4, batch_first=True)

    def forward(self, x):
        out, weights = self.attn(x, x, x)
        return out, weights


def transformer_encoder_layer():
    return nn.TransformerEncoderLayer(d_model=64, nhead=4, dim_feedforward=128, dropout=0.0, batch_first=True)


def transformer_encoder():
    layer = nn.TransformerEncoderLayer(d_model=64, nhead=4, dim_feedforward=128, dropout=0.0, batch_first=True)
    return nn.TransformerEncoder(layer, num_layers=2, enable_nested_tensor=False)


def recurrent(cls):
    return lambda: cls(16, 32, num_layers=2, bidirectional=True, batch_first=True)


def googlenet():
    return torchvision.models.googlenet(aux_logits=False, init_weights=False)


def calibrate_batch_norm(module, batch=2):
    """Sets every BatchNorm's running statistics to those of one random batch
    (a fresh input, not the example one), so eval-mode activations have unit
    scale as in a trained network instead of vanishing through depth."""
    norms = [m for m in module.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    if not norms:
        return
    for m in norms:
        m.reset_running_stats()
        m.momentum = None  # cumulative average: after one batch, exactly its statistics
    module.train()
    with torch.no_grad():
        module(torch.randn(batch, *IMAGE[1:]))
    for m in norms:
        m.momentum = 0.1
    module.eval()


def randomize_zero_heads(module):
    """Gives zero-initialized final Linear layers (vit_b_16's head) random weights."""
    for m in module.modules():
        if isinstance(m, nn.Linear) and not m.weight.detach().any():
            nn.init.normal_(m.weight, std=0.02)
            if m.bias is not None:
                nn.init.normal_(m.bias, std=0.02)


def prepare_torchvision(module):
    randomize_zero_heads(module)
    calibrate_batch_norm(module)


def tv(name):
    return getattr(torchvision.models, name)


TV = {"prepare": prepare_torchvision}
SEQ = (1, 10, 64)  # batch, seq 10, d_model 64

MODELS = [CorpusModel(*entry[:3], **(entry[3] if len(entry) > 3 else {})) for entry in [
    # torchvision, random weights, 1x3x224x224
    ("resnet18", tv("resnet18"), [randn(*IMAGE)], TV),
    ("resnet50", tv("resnet50"), [randn(*IMAGE)], TV),
    ("mobilenet_v2", tv("mobilenet_v2"), [randn(*IMAGE)], TV),
    ("mobilenet_v3_small", tv("mobilenet_v3_small"), [randn(*IMAGE)], TV),
    ("squeezenet1_1", tv("squeezenet1_1"), [randn(*IMAGE)], TV),
    ("shufflenet_v2_x1_0", tv("shufflenet_v2_x1_0"), [randn(*IMAGE)], TV),
    ("efficientnet_b0", tv("efficientnet_b0"), [randn(*IMAGE)], TV),
    ("densenet121", tv("densenet121"), [randn(*IMAGE)], TV),
    ("googlenet", googlenet, [randn(*IMAGE)], TV),
    ("vit_b_16", tv("vit_b_16"), [randn(*IMAGE)], TV),
    ("convnext_tiny", tv("convnext_tiny"), [randn(*IMAGE)], TV),
    ("regnet_y_400mf", tv("regnet_y_400mf"), [randn(*IMAGE)], TV),
    ("alexnet", tv("alexnet"), [randn(*IMAGE)], TV),
    ("vgg11_bn", tv("vgg11_bn"), [randn(*IMAGE)], TV),
    # torch.nn
    ("transformer_encoder_layer", transformer_encoder_layer, [randn(*SEQ)]),
    ("transformer_encoder", transformer_encoder, [randn(*SEQ)]),
    ("multihead_attention", SelfAttention, [randn(*SEQ)]),
    ("lstm", recurrent(nn.LSTM), [randn(1, 7, 16)]),
    ("gru", recurrent(nn.GRU), [randn(1, 7, 16)]),
    ("embedding_mlp", EmbeddingMLP, [randint(100, 2, 12)]),
    ("conv1d", Conv1dBlock, [randn(2, 8, 50)]),
    ("batchnorm1d", BatchNorm1dBlock, [randn(4, 20)]),
    ("conv_transpose2d", ConvTranspose2dBlock, [randn(1, 16, 10, 10)]),
    ("instance_norm2d", InstanceNorm2dBlock, [randn(2, 3, 16, 16)]),
    ("group_norm", GroupNormBlock, [randn(2, 3, 16, 16)]),
    ("upsample_nearest", lambda: UpsampleBlock("nearest"), [randn(1, 4, 8, 8)]),
    ("upsample_bilinear", lambda: UpsampleBlock("bilinear"), [randn(1, 4, 8, 8)]),
    ("pixel_shuffle", PixelShuffleBlock, [randn(1, 3, 8, 8)]),
]]

BY_NAME = {m.name: m for m in MODELS}

if __name__ == "__main__":
    for m in MODELS:
        print(f"{m.name}:{m.capture}")
