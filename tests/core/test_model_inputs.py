import pytest
import torch

from cl_viz.core.config import MODELS
from cl_viz.core.models import build_model


@pytest.mark.parametrize("name", MODELS)
@pytest.mark.parametrize("channels, size", [(1, 28), (3, 32), (1, 40), (3, 28)])
def test_every_model_takes_one_or_three_channels_at_any_size(name, channels, size):
    model = build_model(name, num_classes=4, channels=channels, image_size=size)
    features, logits = model(torch.zeros(2, channels, size, size))
    assert features.shape == (2, 2) and logits.shape == (2, 4)


def test_the_flat_size_is_the_papers_at_28():
    assert build_model("lenet++").embed.in_features == 128 * 3 * 3
    assert build_model("seed").embed.in_features == 128 * 4 * 4
    assert build_model("tiny").embed.in_features == 64 * 3 * 3


def test_sizing_leaves_batchnorm_statistics_alone():
    norm = build_model("seed").trunk[1]
    assert norm.training and int(norm.num_batches_tracked) == 0 and torch.all(norm.running_mean == 0)


def test_images_too_small_for_a_model():
    with pytest.raises(ValueError, match="16x16 images are too small for the seed model"):
        build_model("seed", image_size=16)
