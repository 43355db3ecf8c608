import pytest
import torch

from cl_viz.core.config import MODELS
from cl_viz.core.models import build_model


@pytest.mark.parametrize("name", MODELS)
@pytest.mark.parametrize("feat_dim", [2, 3])
def test_output_shapes(name, feat_dim):
    model = build_model(name, feat_dim=feat_dim, num_classes=10)
    features, logits = model(torch.zeros(4, 1, 28, 28))
    assert features.shape == (4, feat_dim)
    assert logits.shape == (4, 10)


def test_official_lenet_plus_plus_layout():
    model = build_model("lenet++")
    convs = [m for m in model.trunk if isinstance(m, torch.nn.Conv2d)]
    assert [c.out_channels for c in convs] == [32, 32, 64, 64, 128, 128]
    assert all(c.kernel_size == (5, 5) and c.padding == (2, 2) for c in convs)
    assert model.embed.in_features == 1152
    assert model.classifier.bias is None  # centers on a ring, as in caffe-face's example
    assert isinstance(model.feature_activation, torch.nn.PReLU)


def test_seed_model_follows_the_lecture_notes():
    model = build_model("seed")
    assert sum(isinstance(m, torch.nn.BatchNorm2d) for m in model.trunk) == 6
    assert not any(isinstance(m, torch.nn.MaxPool2d) for m in model.trunk)
    assert model.classifier.bias is not None


def test_bias_and_relu_switches():
    model = build_model("tiny", bias=True, relu_features=True)
    assert model.classifier.bias is not None
    assert isinstance(model.feature_activation, torch.nn.ReLU)


def test_unknown_model():
    with pytest.raises(ValueError, match="unknown model"):
        build_model("resnet")
