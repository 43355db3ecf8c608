"""TrainConfig validation: types as well as ranges, wherever a configuration comes from."""

import math

import pytest
import torch

from cl_viz.core.checkpoints import FORMAT, VERSION, load_checkpoint, save_checkpoint
from cl_viz.core.config import DEFAULTS, TrainConfig
from cl_viz.core.errors import ClVizError

WRONG_TYPES = [
    ("probe_size", 100.5), ("probe_size", "200"), ("batch_size", 32.0), ("batch_size", True), ("seed", "1"),
    ("feat_dim", 2.0), ("lam", "0.1"), ("lam", True), ("lr", None), ("bias", 1), ("bias", "yes"),
    ("relu_features", 0), ("dataset", 3), ("data_dir", 5), ("device", None), ("lr_milestones", [100]),
    ("lr_milestones", (1.5,)), ("lr_milestones", (True,)), ("lr_milestones", "12"), ("lr_gamma", "x"),
]


@pytest.mark.parametrize("name, value", WRONG_TYPES)
def test_a_value_of_the_wrong_type_is_one_error_naming_field_and_value(name, value):
    with pytest.raises(ClVizError) as error:
        TrainConfig().replace(**{name: value}).validated()
    assert name in str(error.value) and repr(value) in str(error.value)


@pytest.mark.parametrize("name, value", [("lam", 1), ("alpha", 0), ("lr", 1), ("probe_size", None),
                                         ("probe_size", 50), ("bias", None), ("bias", False), ("data_dir", None),
                                         ("data_dir", "/data"), ("lr_milestones", (100, 200)), ("seed", 2**32 - 1)])
def test_values_of_the_right_type_pass(name, value):
    config = TrainConfig().replace(**{name: value})
    assert config.validated() is config


@pytest.mark.parametrize("name, value, problem", [
    ("weight_decay", math.inf, "weight decay must be a finite number"),
    ("momentum", math.nan, "momentum must be a finite number"),
    ("lr_gamma", math.nan, "learning-rate decay factor must be a finite number"),
    ("seed", -1, "seed must be in [0, 4294967295], got -1"),
    ("seed", 2**64, "seed must be in [0, 4294967295]"),
])
def test_non_finite_numbers_and_seeds_torch_cannot_take_are_rejected(name, value, problem):
    with pytest.raises(ClVizError, match=problem.replace("[", r"\[").replace("]", r"\]")):
        TrainConfig().replace(**{name: value}).validated()


def test_from_dict_converts_a_list_of_milestones_and_rejects_what_is_not_one():
    assert TrainConfig.from_dict({"lr_milestones": [100, 200]}).lr_milestones == (100, 200)
    for bad in ("12", [1.5], 7, [None]):
        with pytest.raises(ClVizError, match="lr_milestones"):
            TrainConfig.from_dict({"lr_milestones": bad})


@pytest.mark.parametrize("data", [[1, 2], "config", None, 3])
def test_from_dict_of_something_that_is_not_a_dict_is_one_clear_error(data):
    with pytest.raises(ClVizError, match="configuration must be a table of fields"):
        TrainConfig.from_dict(data)


def test_from_dict_with_keys_that_are_not_names_is_one_clear_error():
    with pytest.raises(ClVizError, match="unknown configuration field"):
        TrainConfig.from_dict({1: 2, "lam": 0.1})


def test_a_round_trip_through_a_dict_keeps_the_configuration():
    config = TrainConfig(lam=0.2, bias=True, probe_size=300, lr_milestones=(10, 20), data_dir="/d")
    assert TrainConfig.from_dict(config.to_dict()) == config


def test_a_checkpoint_with_a_config_of_the_wrong_type_is_refused_clearly(tmp_path):
    config = TrainConfig().to_dict() | {"probe_size": 100.5}
    state = {"format": FORMAT, "version": VERSION, "config": config, "step": 3, "model": {},
             "centers": torch.zeros(10, 2), "optimizer": {}}
    path = save_checkpoint(state, tmp_path / "checkpoint.pt")
    with pytest.raises(ClVizError, match=r"probe_size must be a whole number.*got 100\.5"):
        load_checkpoint(path)


def test_with_valid_keeps_each_good_field_and_names_each_bad_one():
    config, problems = DEFAULTS.with_valid({"lam": 0.2, "probe_size": 100.5, "colour": "red",
                                                "lr_milestones": [5]})
    assert config == DEFAULTS.replace(lam=0.2, lr_milestones=(5,))
    assert len(problems) == 2 and "probe_size" in problems[0] and "colour" in problems[1]


def test_with_valid_takes_a_field_that_needs_another_first_in_any_order():
    config, problems = DEFAULTS.with_valid({"head": "sphereface", "margin": 4.0, "lam": 0.2})
    assert (config.head, config.margin, config.lam, problems) == ("sphereface", 4.0, 0.2, [])
    config, problems = DEFAULTS.with_valid({"head": "sphereface", "margin": 0.5})
    assert (config.head, config.margin) == ("softmax", 0.5) and len(problems) == 1 and "SphereFace" in problems[0]


@pytest.mark.parametrize("changes, shape", [
    ({}, (28, 1)), ({"dataset": "kmnist"}, (28, 1)), ({"image_size": 32}, (32, 1)), ({"channels": 3}, (28, 3)),
    ({"dataset": "mnist", "image_size": 64, "channels": 3}, (64, 3)),
])
def test_the_input_shape_is_the_fields_or_the_datasets_own(changes, shape):
    assert DEFAULTS.replace(**changes).validated().input_shape == shape


@pytest.mark.parametrize("changes, message", [
    ({"image_size": 7}, "image size must be 8 to 256 pixels, got 7"),
    ({"image_size": 257}, "image size must be 8 to 256 pixels, got 257"),
    ({"channels": 2}, r"channels must be 1 \(grey\) or 3 \(colour\), got 2"),
    ({"image_size": 32.0}, "image_size must be a whole number or None"),
])
def test_input_shapes_outside_what_the_models_take_are_one_clear_error(changes, message):
    with pytest.raises(ClVizError, match=message):
        DEFAULTS.replace(**changes).validated()


def test_a_stored_configuration_from_before_the_input_fields_is_28_grey_and_they_are_structural():
    stored = {name: value for name, value in DEFAULTS.to_dict().items() if name not in ("image_size", "channels")}
    config = TrainConfig.from_dict(stored)
    assert config.input_shape == (28, 1) and config.image_size is None
    assert config.structural_changes(config.replace(image_size=32, channels=3)) == ["image_size", "channels"]


def test_the_probe_split_is_test_or_train_and_a_stored_configuration_without_one_probed_test_images():
    stored = {name: value for name, value in DEFAULTS.to_dict().items() if name != "probe_split"}
    assert TrainConfig.from_dict(stored).probe_split == "test"
    assert TrainConfig(probe_split="train").validated().probe_split == "train"
    with pytest.raises(ClVizError, match="unknown probe split 'validation'; choose one of: test, train"):
        TrainConfig(probe_split="validation").validated()
    assert DEFAULTS.structural_changes(DEFAULTS.replace(probe_split="train")) == ["probe_split"]
