"""The zoo's torchvision models: every classification model of torchvision 0.14
(`torchvision.models.list_models(module=torchvision.models)`, 80) and the
segmentation, video and optical-flow models, built with `weights=None` (and
`weights_backbone=None`: nothing is downloaded).

Each entry says how to build the model and its inputs for a given batch size.
Inputs are as small as the architecture allows, so the whole zoo runs on a
shared 2-core machine: 64x64 images for the convolutional networks, vision
transformers built for 32x32 (`image_size`, their position embeddings follow
it), 224x224 only where the architecture fixes it (maxvit_t's partition grid,
alexnet/vgg, whose adaptive pooling to 6x6/7x7 is exact only from 224).

Detection (12) and quantized (12) models are not in the zoo: the issue scopes
the zoo to classification, segmentation, video and optical flow, and the
detection models return lists of dicts of per-image, data-dependent-size
tensors.
"""
import math

import torch.nn as nn
from torchvision import models as tvm

from zoo_spec import Entry, TensorInput, calibrate_batch_norm, randomize_zero_heads

# Image side for the convolutional classifiers; the others say why they differ.
SMALL = 64

# Sizes that differ from SMALL, with the reason.
IMAGE_SIZE = {
    "alexnet": (224, "adaptive pooling to 6x6 is exact (an identity) from 224; smaller inputs upsample"),
    "inception_v3": (96, "needs at least 75x75"),
    "maxvit_t": (224, "its partition grid is built for input_size; 224 is the smallest size whose grid divides"),
    # At 64x64 its last stages see 2x2 maps; BatchNorm statistics calibrated on those make the random
    # network chaotic: eager float32 itself is 9% of the output away from float64 at batch 3
    # (docs/corpus.md, "How the zoo judges a difference"). At 96x96 it is 3e-6.
    "efficientnet_v2_m": (96, "at 64x64 the random network is ill-conditioned (eager float32 differs from "
                              "float64 by 9% of its output); 96 is well-conditioned"),
}
for _name in ("vit_b_16", "vit_b_32", "vit_l_16", "vit_l_32"):
    IMAGE_SIZE[_name] = (32, "built with image_size=32 (its position embedding follows it)")
IMAGE_SIZE["vit_h_14"] = (28, "built with image_size=28, a multiple of its 14-pixel patches")
for _name in ("vgg11", "vgg11_bn", "vgg13", "vgg13_bn", "vgg16", "vgg16_bn", "vgg19", "vgg19_bn"):
    IMAGE_SIZE[_name] = (224, "adaptive pooling to 7x7 is exact (an identity) from 224; smaller inputs upsample")

# Constructor arguments beyond weights=None.
KWARGS = {
    "googlenet": {"aux_logits": False, "init_weights": False},  # as torchvision's own eval use
    "inception_v3": {"aux_logits": False, "init_weights": False},
    "vit_b_16": {"image_size": 32},
    "vit_b_32": {"image_size": 32},
    "vit_l_16": {"image_size": 32},
    "vit_l_32": {"image_size": 32},
    "vit_h_14": {"image_size": 28},
}

SEGMENTATION = {"weights_backbone": None}
VIDEO_SHAPE = (3, 4, 32, 32)  # C, T, H, W
# The MViT builders fix spatial_size=(224, 224), temporal_size=16 (their
# position embeddings follow them); the zoo builds them for 4x32x32 clips.
MVIT_CLIP = {"spatial_size": (32, 32), "temporal_size": 4}
VIDEO_SHAPES = {"s3d": ((3, 16, 224, 224), "its final pooling window is 2x7x7 on a 32x-downsampled clip: "
                                           "16x224x224 is the smallest input")}


def _cost(name, inputs):
    """Parameters x input pixels: what a zoo run spends (initialization, bundle, export, eager)."""
    try:
        params = tvm.get_model_weights(name).DEFAULT.meta["num_params"]
    except (KeyError, ValueError, AttributeError):
        params = 50_000_000
    pixels = sum(math.prod(i.shape) for i in inputs)
    return params * max(1.0, pixels / (3 * SMALL * SMALL)) ** 0.5


def _prepare(inputs_for_calibration):
    def prepare(module):
        randomize_zero_heads(module)
        calibrate_batch_norm(module, inputs_for_calibration)
    return prepare


def classification(name):
    size, size_reason = IMAGE_SIZE.get(name, (SMALL, None))
    image = TensorInput("x", (3, size, size))
    return Entry(name, "classification", lambda: getattr(tvm, name)(weights=None, **KWARGS.get(name, {})),
                 [image], prepare=_prepare([image]), note=size_reason, cost=_cost(name, [image]))


def segmentation(name):
    image = TensorInput("x", (3, SMALL, SMALL))
    return Entry(name, "segmentation",
                 lambda: getattr(tvm.segmentation, name)(weights=None, **SEGMENTATION), [image],
                 prepare=_prepare([image]), cost=_cost(name, [image]))


def small_mvit(name):
    """An MViT builder with the zoo's clip size instead of the fixed 16x224x224."""
    import torchvision.models.video.mvit as mvit
    original = mvit._mvit

    def build(**kwargs):
        kwargs.update(MVIT_CLIP)
        return original(**kwargs)

    mvit._mvit = build
    try:
        return getattr(mvit, name)(weights=None)
    finally:
        mvit._mvit = original


def video(name):
    shape, reason = VIDEO_SHAPES.get(name, (VIDEO_SHAPE, None))
    clip = TensorInput("x", shape)
    if name.startswith("mvit"):
        factory, reason = (lambda: small_mvit(name)), "built for 4x32x32 clips (spatial_size, temporal_size)"
    else:
        factory = lambda: getattr(tvm.video, name)(weights=None)  # noqa: E731
    return Entry(name, "video", factory, [clip], prepare=_prepare([clip]), note=reason, cost=_cost(name, [clip]))


class FlowUpdates(nn.Module):
    """RAFT with fewer refinement iterations than its default 12: the same ops, a smaller graph."""

    def __init__(self, raft, updates):
        super().__init__()
        self.raft = raft
        self.updates = updates

    def forward(self, image1, image2):
        return self.raft(image1, image2, num_flow_updates=self.updates)


# RAFT's correlation pyramid halves the 1/8-scale feature map three times; at
# 64x64 its coarsest level is 1x1 and eager PyTorch already returns NaN flows.
FLOW_SIZE = 128


def optical_flow(name):
    frames = [TensorInput("image1", (3, FLOW_SIZE, FLOW_SIZE)), TensorInput("image2", (3, FLOW_SIZE, FLOW_SIZE))]
    return Entry(name, "optical_flow", lambda: FlowUpdates(getattr(tvm.optical_flow, name)(weights=None), 3),
                 frames, prepare=_prepare(frames),
                 note="forward with num_flow_updates=3 (default 12), 128x128 frames (at 64x64 eager gives NaN)",
                 cost=_cost(name, frames))


def model_entries():
    entries = [classification(n) for n in tvm.list_models(module=tvm)]
    entries += [segmentation(n) for n in tvm.list_models(module=tvm.segmentation)]
    entries += [video(n) for n in tvm.list_models(module=tvm.video)]
    entries += [optical_flow(n) for n in tvm.list_models(module=tvm.optical_flow)]
    return entries

