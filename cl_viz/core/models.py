"""CNNs whose penultimate layer is a 2-D (or 3-D) feature: forward returns (features, logits)."""

from __future__ import annotations

import torch
from torch import nn

from cl_viz.core.config import INITS, MODELS
from cl_viz.core.heads import AngularHead
from cl_viz.core.margins import HEADS


class FeatureNet(nn.Module):
    """Convolutional trunk -> flatten -> linear to `feat_dim` -> PReLU -> classifier (a linear layer, or an
    angular head whose forward gives its logits without margin)."""

    def __init__(self, trunk: nn.Sequential, trunk_out: int, feat_dim: int, num_classes: int,
                 bias: bool, relu_features: bool = False, head: str = "softmax", scale: float = 10.0):
        super().__init__()
        self.trunk = trunk
        self.embed = nn.Linear(trunk_out, feat_dim)
        self.feature_activation = nn.ReLU() if relu_features else nn.PReLU(feat_dim)
        self.classifier = (nn.Linear(feat_dim, num_classes, bias=bias) if head == "softmax"
                           else AngularHead(head, feat_dim, num_classes, scale))

    def forward(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        features = self.feature_activation(self.embed(self.trunk(images).flatten(1)))
        return features, self.classifier(features)


def _conv_prelu(in_channels: int, out_channels: int, kernel: int, padding: int) -> list[nn.Module]:
    return [nn.Conv2d(in_channels, out_channels, kernel, padding=padding), nn.PReLU(out_channels)]


def _lenet_plus_plus_trunk(channels: int) -> nn.Sequential:
    """Paper Table 1 / caffe-face mnist_example: (5x5, 32)x2, (5x5, 64)x2, (5x5, 128)x2, pad 2."""
    layers = [
        *_conv_prelu(channels, 32, 5, 2), *_conv_prelu(32, 32, 5, 2), nn.MaxPool2d(2, 2),
        *_conv_prelu(32, 64, 5, 2), *_conv_prelu(64, 64, 5, 2), nn.MaxPool2d(2, 2),
        *_conv_prelu(64, 128, 5, 2), *_conv_prelu(128, 128, 5, 2),
        nn.MaxPool2d(3, 2, ceil_mode=True),  # Caffe rounds up: 7x7 -> 3x3
    ]
    return nn.Sequential(*layers)


def _seed_trunk(channels: int) -> nn.Sequential:
    """The lecture notes' Keras model: six unpadded 5x5 convs, each BatchNorm + PReLU, no pooling."""
    layers: list[nn.Module] = []
    widths = [channels, 32, 32, 64, 64, 128, 128]
    for in_channels, out_channels in zip(widths, widths[1:]):
        layers += [nn.Conv2d(in_channels, out_channels, 5), nn.BatchNorm2d(out_channels),
                   nn.PReLU(out_channels)]
    return nn.Sequential(*layers)


def _tiny_trunk(channels: int) -> nn.Sequential:
    """CPU preset: LeNet++'s shape with fewer channels and pooling after every stage."""
    layers = [
        *_conv_prelu(channels, 16, 5, 2), nn.MaxPool2d(2, 2),
        *_conv_prelu(16, 32, 3, 1), nn.MaxPool2d(2, 2),
        *_conv_prelu(32, 64, 3, 1), nn.MaxPool2d(3, 2, ceil_mode=True),
    ]
    return nn.Sequential(*layers)


_TRUNKS = {"lenet++": _lenet_plus_plus_trunk, "seed": _seed_trunk, "tiny": _tiny_trunk}
# The official LeNet++ classifier has no bias (centers then sit on a ring); Keras' Dense has one.
_DEFAULT_BIAS = {"lenet++": False, "seed": True, "tiny": False}


def default_bias(name: str) -> bool:
    return _DEFAULT_BIAS[name]


def build_model(name: str, feat_dim: int = 2, num_classes: int = 10, bias: bool | None = None,
                relu_features: bool = False, init: str = "pytorch", head: str = "softmax",
                scale: float = 10.0, channels: int = 1, image_size: int = 28) -> FeatureNet:
    """A network for (B, `channels`, `image_size`, `image_size`) input."""
    if name not in _TRUNKS:
        raise ValueError(f"unknown model {name!r}; choose one of: {', '.join(MODELS)}")
    if init not in INITS:
        raise ValueError(f"unknown initialisation {init!r}; choose one of: {', '.join(INITS)}")
    if head not in HEADS:
        raise ValueError(f"unknown head {head!r}; choose one of: {', '.join(HEADS)}")
    trunk = _TRUNKS[name](channels)
    trunk_out = _flat_size(trunk, name, channels, image_size)
    use_bias = default_bias(name) if bias is None else bias
    model = FeatureNet(trunk, trunk_out, feat_dim, num_classes, use_bias, relu_features, head, scale)
    if init == "caffe":
        caffe_xavier_init(model)
    return model


@torch.no_grad()
def _flat_size(trunk: nn.Sequential, name: str, channels: int, image_size: int) -> int:
    """The trunk's output size for one image, from a forward pass (in eval mode: BatchNorm's statistics stay)."""
    trunk.eval()
    try:
        return trunk(torch.zeros(1, channels, image_size, image_size)).numel()
    except RuntimeError:
        raise ValueError(f"{image_size}x{image_size} images are too small for the {name} model") from None
    finally:
        trunk.train()


@torch.no_grad()
def caffe_xavier_init(model: nn.Module) -> None:
    """caffe-face's fillers: weights uniform in ±√(3/fan_in) (Caffe's "xavier"), biases zero."""
    for layer in model.modules():
        if isinstance(layer, (nn.Conv2d, nn.Linear, AngularHead)):
            fan_in = layer.weight[0].numel()
            bound = (3.0 / fan_in) ** 0.5
            layer.weight.uniform_(-bound, bound)
            if layer.bias is not None:
                layer.bias.zero_()
