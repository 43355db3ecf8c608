import json
import zipfile

import numpy as np
import pytest

from cl_viz.core.errors import ClVizError
from cl_viz.core.recording import Recording, load_recording, save_recording
from cl_viz.core.runner import LockstepRun
from cl_viz.core.timeline import Timeline


@pytest.fixture(scope="module")
def frames(digits):
    from cl_viz.core.config import TrainConfig
    config = TrainConfig(dataset="digits", device="cpu", batch_size=32, probe_size=60, lr=0.05)
    run = LockstepRun(config, compare=True, dataset=digits)
    frames = [run.frame()]
    for _ in range(3):
        run.train_step()
        frames.append(run.frame(steps_per_second=10.0))
    return frames


def test_round_trip_keeps_every_frame(tmp_path, frames, digits):
    path = save_recording(tmp_path / "run.clviz", Recording(frames, digits.class_names, {"batch_size": 32},
                                                             "digits", np.zeros((60, 28, 28), np.uint8)))
    loaded = load_recording(path)
    assert loaded.class_names == digits.class_names and loaded.compare and loaded.dataset == "digits"
    assert [f.step for f in loaded.frames] == [0, 1, 2, 3]
    for original, copy in zip(frames, loaded.frames):
        for run in ("primary", "comparison"):
            a, b = getattr(original, run), getattr(copy, run)
            np.testing.assert_allclose(a.features, b.features)
            np.testing.assert_allclose(a.centers, b.centers)
            np.testing.assert_array_equal(a.predictions, b.predictions)
            assert a.metrics.ratio == pytest.approx(b.metrics.ratio)
            assert a.lam == b.lam and a.losses_known == b.losses_known
    assert loaded.frames[2].images_per_second == 320.0
    assert loaded.probe_images.shape == (60, 28, 28)


def test_empty_recording_is_refused(tmp_path):
    with pytest.raises(ClVizError, match="nothing to record"):
        save_recording(tmp_path / "x.clviz", Recording([], ("0",)))


def test_foreign_truncated_and_newer_files(tmp_path, frames, digits):
    text = tmp_path / "notes.clviz"
    text.write_text("hello")
    with pytest.raises(ClVizError, match="not a cl-viz recording"):
        load_recording(text)
    good = save_recording(tmp_path / "good.clviz", Recording(frames, digits.class_names))
    truncated = tmp_path / "truncated.clviz"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(ClVizError, match="not a cl-viz recording"):
        load_recording(truncated)
    foreign = tmp_path / "foreign.clviz"
    _savez(foreign, data=np.zeros(3))
    with pytest.raises(ClVizError, match="not a cl-viz recording"):
        load_recording(foreign)
    newer = tmp_path / "newer.clviz"
    header = {"format": "cl-viz-recording", "version": 99, "class_names": ["0"]}
    _savez(newer, header=np.array(json.dumps(header)))
    with pytest.raises(ClVizError, match="version 99 .made by a newer cl-viz"):
        load_recording(newer)
    with pytest.raises(ClVizError, match="does not exist"):
        load_recording(tmp_path / "missing.clviz")


def test_damaged_arrays_are_reported(tmp_path, frames, digits):
    good = save_recording(tmp_path / "good.clviz", Recording(frames, digits.class_names))
    damaged = tmp_path / "damaged.clviz"
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(damaged, "w") as target:
        for item in source.infolist():
            if item.filename != "primary/features.npy":
                target.writestr(item, source.read(item))
    with pytest.raises(ClVizError, match="damaged"):
        load_recording(damaged)


def test_timeline_is_bounded_and_evenly_thinned(frames):
    timeline = Timeline(capacity=8)
    base = frames[1]
    from dataclasses import replace
    for step in range(1, 101):
        timeline.append(replace(base, primary=replace(base.primary, step=step)))
    assert len(timeline) <= 8 and timeline.latest.step == 100
    steps = timeline.steps
    assert steps[0] == 1 and len(set(np.diff(steps))) == 1
    assert timeline.index_at_or_before(50) == max(i for i, s in enumerate(steps) if s <= 50)


def _savez(path, **arrays):
    with open(path, "wb") as file:
        np.savez(file, **arrays)
