import numpy as np
import pytest
import torch

from cl_viz.core.checkpoints import load_checkpoint, save_checkpoint
from cl_viz.core.config import TrainConfig
from cl_viz.core.errors import ClVizError
from cl_viz.core.idx import write_idx
from cl_viz.core.openset_data import split_open_set
from cl_viz.core.openset_splits import OPEN_SET_SPLITS, SPLITS_BY_NAME
from cl_viz.core.session import TrainingSession

UNKNOWN = (6, 7, 8, 9)


@pytest.fixture
def open_config(small_config):
    return small_config.replace(unknown_classes=UNKNOWN)


def image_keys(images_uint8: torch.Tensor) -> list[bytes]:
    return [image.numpy().tobytes() for image in images_uint8]


def test_the_classifier_and_the_centers_have_only_the_known_classes(open_config, digits):
    session = TrainingSession(open_config, digits)
    assert session.model.classifier.out_features == 6 and session.model.classifier.weight.shape == (6, 2)
    assert session.center_loss.centers.shape == (6, 2)
    assert session.dataset.class_names == ("0", "1", "2", "3", "4", "5")
    assert session.open_set.known_classes == (0, 1, 2, 3, 4, 5) and session.open_set.unknown_classes == UNKNOWN
    snapshot = session.snapshot()
    assert set(snapshot.labels) <= set(range(6)) and set(snapshot.predictions) <= set(range(6))


def test_labels_are_renumbered_in_the_order_of_the_known_ids(small_config, digits):
    split = SPLITS_BY_NAME["cac-0"]
    open_set = split_open_set(digits, small_config.replace(**split.config_changes()))
    assert open_set.known_classes == (0, 1, 2, 3, 6, 9)
    assert open_set.known.class_names == ("0", "1", "2", "3", "6", "9")
    original = torch.tensor(open_set.known_classes)[open_set.known.train_labels]
    keep = torch.isin(digits.train_labels, original.unique())
    assert torch.equal(original, digits.train_labels[keep])
    assert torch.equal(open_set.known.train_images, digits.train_images[keep])


def test_no_unknown_image_ever_reaches_a_training_batch(open_config, digits):
    original_label = dict(zip(image_keys(digits.train_images), digits.train_labels.tolist()))
    session = TrainingSession(open_config, digits)
    seen: list[int] = []
    forward = session.model.forward

    def watching(images):
        if session.model.training:  # a training batch; the probe is embedded in eval mode
            pixels = (images.detach() * 128 + 127.5).round().to(torch.uint8)[:, 0]
            seen.extend(original_label[key] for key in image_keys(pixels.contiguous()))
        return forward(images)

    session.model.forward = watching
    for _ in range(session.steps_per_epoch + 1):
        session.train_step()
    assert len(seen) == (session.steps_per_epoch + 1) * session.batch_size
    assert set(seen) == {0, 1, 2, 3, 4, 5}
    unknown_in_training = torch.isin(digits.train_labels, torch.tensor(UNKNOWN)).sum()
    assert len(session.train_labels) == len(digits.train_labels) - unknown_in_training


def test_the_probe_holds_known_and_unknown_test_images(open_config, digits):
    session = TrainingSession(open_config.replace(probe_size=120), digits)
    snapshot = session.snapshot()
    assert snapshot.features.shape == (120, 2) and len(snapshot.labels) == 120
    labels, counts = np.unique(snapshot.unknown_labels, return_counts=True)
    assert tuple(labels) == UNKNOWN and counts.sum() == 80 and counts.min() >= 19  # 20 per class, as the knowns
    assert snapshot.unknown_features.shape == (80, 2) and np.isfinite(snapshot.unknown_features).all()
    test_images = dict(zip(image_keys(digits.test_images), digits.test_labels.tolist()))
    unknown_images = session.open_set.unknown_images[session.unknown_indices]
    assert [test_images[key] for key in image_keys(unknown_images)] == snapshot.unknown_labels.tolist()
    again = TrainingSession(open_config.replace(probe_size=120), digits)
    assert torch.equal(again.unknown_indices, session.unknown_indices)


def test_unknowns_are_embedded_with_the_current_weights_also_in_turns(open_config, digits):
    session = TrainingSession(open_config, digits)
    for _ in range(3):
        session.train_step()
    whole = session.snapshot()
    images = session._embedded_images[len(session.probe_labels):]
    features, _ = session.embed(images)
    np.testing.assert_allclose(whole.unknown_features, features.numpy(), rtol=1e-5, atol=1e-6)
    session.train_step()
    partial = session.snapshot(refresh=50)
    assert partial.oldest_step == 3 and partial.unknown_features.shape == whole.unknown_features.shape


def test_a_run_without_unknowns_is_as_before(small_config, digits):
    session = TrainingSession(small_config, digits)
    snapshot = session.snapshot()
    assert session.open_set is None and snapshot.unknown_features is None and snapshot.unknown_labels is None
    assert session.model.classifier.out_features == 10


def cache_fake_kmnist(cache) -> None:
    raw = cache / "datasets" / "KMNIST" / "raw"
    raw.mkdir(parents=True)
    generator = np.random.default_rng(0)
    for prefix, count in (("train", 30), ("t10k", 50)):
        write_idx(raw / f"{prefix}-images-idx3-ubyte", generator.integers(0, 256, (count, 28, 28), dtype=np.uint8))
        write_idx(raw / f"{prefix}-labels-idx1-ubyte", (np.arange(count) % 10).astype(np.uint8))


def test_unknowns_from_another_dataset_get_ids_past_the_known_ones(small_config, digits, tmp_path, monkeypatch):
    monkeypatch.setenv("CL_VIZ_CACHE", str(tmp_path))
    cache_fake_kmnist(tmp_path)
    session = TrainingSession(small_config.replace(unknown_dataset="kmnist", probe_size=100), digits)
    open_set = session.open_set
    assert session.model.classifier.out_features == 10 and open_set.known_classes == tuple(range(10))
    assert open_set.unknown_classes == tuple(range(10, 20))
    assert open_set.class_names[10:] == ("o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo")
    snapshot = session.snapshot()
    assert snapshot.unknown_features.shape == (50, 2)  # all 50 test images: 10 per class at most 5 each
    assert set(snapshot.unknown_labels) == set(range(10, 20))


def test_held_out_classes_and_another_dataset_together(small_config, digits, tmp_path, monkeypatch):
    monkeypatch.setenv("CL_VIZ_CACHE", str(tmp_path))
    cache_fake_kmnist(tmp_path)
    open_set = split_open_set(digits, small_config.replace(unknown_classes=(8, 9), unknown_dataset="kmnist"))
    assert open_set.unknown_classes == (8, 9, *range(10, 20)) and len(open_set.known_classes) == 8
    assert set(open_set.unknown_labels.tolist()) == {8, 9, *range(10, 20)}


@pytest.mark.parametrize("changes, message", [
    ({"unknown_classes": (3, 10)}, r"unknown class 10 is not a class of digits \(its classes are 0 to 9\)"),
    ({"unknown_classes": tuple(range(1, 10))}, "at least 2 classes of digits must stay known"),
    ({"unknown_dataset": "digits", "dataset": "auto"}, "another dataset than digits"),
])
def test_splits_that_do_not_fit_the_data_are_refused(small_config, digits, changes, message):
    with pytest.raises(ClVizError, match=message):
        TrainingSession(small_config.replace(**changes), digits)


@pytest.mark.parametrize("changes, message", [
    ({"unknown_classes": (-1,)}, "class ids ≥ 0"),
    ({"unknown_classes": (6, 6)}, "each unknown class can appear once"),
    ({"unknown_classes": [6]}, "unknown_classes must be a list of whole numbers"),
    ({"unknown_dataset": "cifar"}, "the unknowns' dataset must be one of"),
    ({"unknown_dataset": "digits"}, "another dataset than digits"),
])
def test_bad_open_set_fields_get_one_message(small_config, changes, message):
    with pytest.raises(ClVizError, match=message):
        small_config.replace(**changes).validated()


def test_open_set_fields_are_stored_and_old_configurations_load(small_config, tmp_path, digits):
    config = small_config.replace(unknown_classes=UNKNOWN, unknown_dataset="kmnist")
    data = config.to_dict()
    assert data["unknown_classes"] == [6, 7, 8, 9] and TrainConfig.from_dict(data) == config
    del data["unknown_classes"], data["unknown_dataset"]
    old = TrainConfig.from_dict(data)
    assert old.unknown_classes == () and old.unknown_dataset is None
    assert config.structural_changes(old) == ["unknown_classes", "unknown_dataset"]
    session = TrainingSession(small_config.replace(unknown_classes=UNKNOWN), digits)
    path = save_checkpoint(session.state_dict(), tmp_path / "checkpoint.pt")
    assert load_checkpoint(path)["config"].unknown_classes == UNKNOWN


def test_the_named_splits_are_valid_and_hold_out_four_digits():
    for split in OPEN_SET_SPLITS:
        TrainConfig(dataset="digits", **split.config_changes()).validated()
    cac = [split for split in OPEN_SET_SPLITS if split.name.startswith("cac-")]
    assert len(cac) == 5 and all(len(split.unknown_classes) == 4 for split in cac)
    assert SPLITS_BY_NAME["cac-0"].unknown_classes == (5, 4, 7, 8)
