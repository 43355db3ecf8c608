import numpy as np
import pytest

from cl_viz.core.errors import ClVizError
from cl_viz.core.recording import Recording, load_recording, save_recording
from cl_viz.core.runner import LockstepRun


@pytest.fixture
def recorded(tmp_path, small_config, digits):
    run = LockstepRun(small_config.replace(unknown_classes=(6, 7, 8, 9), probe_size=60), compare=True, dataset=digits)
    frames = [run.frame()]
    for _ in range(2):
        run.train_step()
        frames.append(run.frame(include_batch=False))
    return run, frames, save_recording(tmp_path / "open.clviz", Recording(frames, run.info))


def test_an_open_set_recording_keeps_the_unknown_points_of_both_runs(recorded):
    run, frames, path = recorded
    loaded = load_recording(path)
    assert loaded.run.original_class_names == tuple(str(digit) for digit in range(10))
    assert loaded.class_names == ("0", "1", "2", "3", "4", "5")
    np.testing.assert_array_equal(loaded.run.unknown_images, run.info.unknown_images)
    assert loaded.run.unknown_images.shape == (40, 28, 28)
    for original, copy in zip(frames, loaded.frames):
        for side in ("primary", "comparison"):
            a, b = getattr(original, side), getattr(copy, side)
            np.testing.assert_allclose(a.unknown_features, b.unknown_features, rtol=1e-6)
            np.testing.assert_array_equal(a.unknown_labels, b.unknown_labels)


def test_a_recording_without_unknowns_has_none(tmp_path, small_config, digits):
    run = LockstepRun(small_config, dataset=digits)
    loaded = load_recording(save_recording(tmp_path / "closed.clviz", Recording([run.frame()], run.info)))
    assert loaded.frames[0].primary.unknown_features is None and loaded.run.unknown_images is None
    assert loaded.run.original_class_names == ()


@pytest.mark.parametrize("change, message", [
    (lambda arrays: arrays.pop("unknown_labels"), "unknown probe points without their labels"),
    (lambda arrays: arrays.pop("comparison/unknown_features"), "do not all hold the unknown probe points"),
    (lambda arrays: arrays.update({"unknown_labels": arrays["unknown_labels"][:-1]}),
     r"primary/unknown_features has shape \(3, 40, 2\), not \(3, 39, 2\)"),
    (lambda arrays: arrays.update({"unknown_images": arrays["unknown_images"][:5]}),
     r"unknown_images has shape \(5, 28, 28\)"),
])
def test_damaged_unknown_members_are_reported(tmp_path, recorded, change, message):
    with np.load(recorded[2]) as archive:
        arrays = {name: archive[name] for name in archive.files}
    change(arrays)
    damaged = tmp_path / "damaged.clviz"
    with open(damaged, "wb") as file:
        np.savez(file, **arrays)
    with pytest.raises(ClVizError, match=f"damaged cl-viz recording .*{message}"):
        load_recording(damaged)
