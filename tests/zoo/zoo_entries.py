"""Every zoo entry (models and layers) by name, and the fixed sample CI runs.

Names are unique; a layer's name is its torch.nn class name, with the
variant's arguments in brackets ("LSTM[batch_first,bidirectional,2 layers]").
"""
import torch.nn.modules

from zoo_layers import NOT_LAYERS, layer_entries
from zoo_models import model_entries

# The sample `ctest -L zoo` runs (the whole zoo is scripts/run_zoo.sh): small
# models that cover the families' constructs, and layers of every kind.
SAMPLE = [
    "resnet18", "mobilenet_v3_small", "squeezenet1_1", "shufflenet_v2_x0_5", "mnasnet0_5", "regnet_x_400mf",
    "efficientnet_b0", "lraspp_mobilenet_v3_large",
    "Linear", "Conv2d[groups,dilation,padding=same]", "ConvTranspose2d", "LSTM[batch_first,bidirectional,2 layers]",
    "GRU", "MultiheadAttention", "TransformerEncoderLayer", "TransformerDecoderLayer", "BatchNorm2d", "LayerNorm",
    "GroupNorm", "MaxPool2d", "AvgPool2d[ceil_mode]", "AvgPool2d[ceil_mode,padding]", "AdaptiveAvgPool2d",
    "ReflectionPad2d", "Embedding", "PixelShuffle", "Upsample[bilinear]", "Flatten", "LogSoftmax", "GELU",
    "Hardswish", "LSTM[proj_size]", "EmbeddingBag[max,offsets,padding_idx]", "MultiLabelMarginLoss", "MaxUnpool2d",
    # PyTorch cannot script it: traced, its frozen math.sqrt(head_dim) is a guard the engine
    # decides (docs/torch2program.md, "Frozen numbers").
    "MultiheadAttention[attn_mask,key_padding_mask,kdim]",
]


def all_entries():
    entries = model_entries() + layer_entries()
    names = [e.name for e in entries]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError("zoo entries named twice: " + ", ".join(duplicates))
    return entries


def uncovered_layer_classes(entries):
    """torch.nn.modules classes neither built by an entry nor listed in NOT_LAYERS."""
    built = {e.name.split("[")[0] for e in entries if e.group == "layer"}
    return sorted(set(torch.nn.modules.__all__) - built - set(NOT_LAYERS))
