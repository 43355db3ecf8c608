"""Any dataset at any input shape: resized, grey repeated into colour, colour to grey; the session, its model,
its probe images, its open set and its checkpoints follow the configuration's image size and channels."""

import numpy as np
import pytest
import torch

from cl_viz.core.config import TrainConfig
from cl_viz.core.data import fit_images, load_dataset
from cl_viz.core.errors import ClVizError
from cl_viz.core.frames import RunInfo
from cl_viz.core.recording import Recording, load_recording, save_recording
from cl_viz.core.runner import LockstepRun
from cl_viz.core.session import TrainingSession

SMALL = {"dataset": "digits", "batch_size": 16, "probe_size": 20, "device": "cpu"}


def test_grey_is_repeated_into_three_channels_and_resized():
    grey = torch.tensor([[[0, 255], [255, 0]]], dtype=torch.uint8)
    colour = fit_images(grey, 2, 3)
    assert colour.shape == (1, 3, 2, 2) and all(torch.equal(colour[0, c], grey[0]) for c in range(3))
    larger = fit_images(grey, 4, 1)
    assert larger.shape == (1, 4, 4) and larger.dtype == torch.uint8
    assert larger[0, 0, 0] == 0 and larger[0, 0, 3] == 255  # bilinear: the corners keep their pixel


def test_colour_becomes_grey_by_luminance_as_pil_does():
    colour = torch.zeros(1, 3, 2, 2, dtype=torch.uint8)
    colour[0, 0], colour[0, 1], colour[0, 2] = 200, 100, 50
    assert fit_images(colour, 2, 1).unique().tolist() == [round(0.299 * 200 + 0.587 * 100 + 0.114 * 50)]


def test_images_already_at_the_shape_are_the_same_tensor():
    images = torch.zeros(3, 28, 28, dtype=torch.uint8)
    assert fit_images(images, 28, 1) is images


def test_a_named_dataset_at_another_shape_says_so_in_its_source():
    dataset = load_dataset("digits", image_size=32, channels=3)
    assert dataset.train_images.shape[1:] == (3, 32, 32) and dataset.input_shape == (32, 3)
    assert dataset.source.endswith("; as 32×32 colour")


@pytest.mark.parametrize("model", ["tiny", "lenet++", "seed"])
def test_the_session_builds_its_model_and_probe_for_the_configured_input(model):
    session = TrainingSession(TrainConfig(model=model, image_size=32, channels=3, **SMALL))
    assert session.probe_images.shape == (20, 3, 32, 32) and session.train_images.shape[1:] == (3, 32, 32)
    assert session.model.trunk[0].in_channels == 3
    session.train_step()
    assert session.snapshot().is_finite


def test_a_dataset_handed_in_at_its_own_shape_is_fitted_to_the_configuration():
    digits = load_dataset("digits")
    run = LockstepRun(TrainConfig(image_size=20, **SMALL), dataset=digits)
    assert run.primary.probe_images.shape == (20, 1, 20, 20) and run.info.probe_images.shape == (20, 20, 20)


def test_images_too_small_for_the_model_are_one_clear_line():
    with pytest.raises(ClVizError, match="16x16 images are too small for the seed model; choose a larger image "
                                         "size or another model"):
        TrainingSession(TrainConfig(model="seed", image_size=16, **SMALL))


def test_another_datasets_unknowns_come_at_the_same_shape():
    loaded = []

    def load(name, data_dir=None, **shape):  # "mnist" offline: the digits stand in for it
        loaded.append((name, shape))
        return load_dataset("digits" if name == "mnist" else name, data_dir, **shape)

    config = TrainConfig(unknown_dataset="mnist", image_size=32, channels=3, **SMALL)
    session = TrainingSession(config, load_data=load)
    assert loaded == [("digits", {"image_size": 32, "channels": 3}), ("mnist", {"image_size": 32, "channels": 3})]
    assert session.open_set.unknown_images.shape[1:] == (3, 32, 32)
    assert session._embedded_images.shape[1:] == (3, 32, 32)


def test_a_checkpoint_of_another_input_shape_is_refused_with_one_line():
    grey = TrainingSession(TrainConfig(**SMALL))
    colour = TrainingSession(TrainConfig(channels=3, **SMALL))
    with pytest.raises(ClVizError) as caught:
        colour.load_state_dict(grey.state_dict())
    assert str(caught.value) == "the checkpoint was trained on 28×28 grey images and this run takes 28×28 colour images"


def test_colour_probe_images_are_recorded_and_played_back(tmp_path):
    run = LockstepRun(TrainConfig(channels=3, image_size=24, **SMALL))
    path = save_recording(tmp_path / "colour.clviz", Recording([run.frame()], run.info))
    played = load_recording(path).run.probe_images
    assert played.shape == (20, 3, 24, 24) and np.array_equal(played, run.info.probe_images)


def test_probe_images_of_two_channels_are_a_damaged_recording(tmp_path):
    run = LockstepRun(TrainConfig(**SMALL))
    info = RunInfo(**{**run.info.__dict__, "probe_images": np.zeros((20, 2, 8, 8), dtype=np.uint8)})
    path = save_recording(tmp_path / "odd.clviz", Recording([run.frame()], info))
    with pytest.raises(ClVizError, match=r"damaged .*probe_images has shape \(20, 2, 8, 8\), not \(20, 3, any, any\)"):
        load_recording(path)
