import io
import json
import os
import zipfile

import numpy as np
import pytest

from cl_viz.core import recording as recording_module
from cl_viz.core.errors import ClVizError
from cl_viz.core.recording import Recording, load_recording, save_recording
from cl_viz.core.runner import LockstepRun
from cl_viz.core.timeline import Timeline


@pytest.fixture(scope="module")
def lockstep(digits):
    from cl_viz.core.config import TrainConfig
    config = TrainConfig(dataset="digits", device="cpu", batch_size=32, probe_size=60, lr=0.05)
    return LockstepRun(config, compare=True, dataset=digits)


@pytest.fixture(scope="module")
def frames(lockstep):
    frames = [lockstep.frame()]
    for _ in range(3):
        lockstep.train_step()
        frames.append(lockstep.frame(steps_per_second=10.0))
    return frames


@pytest.fixture(scope="module")
def info(lockstep):
    return lockstep.info


def test_round_trip_keeps_every_frame_and_the_run_it_came_from(tmp_path, frames, info, digits):
    path = save_recording(tmp_path / "run.clviz", Recording(frames, info))
    loaded = load_recording(path)
    assert loaded.class_names == digits.class_names and loaded.compare
    assert loaded.run.to_dict() == info.to_dict() and loaded.run.device.startswith("cpu")
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
    np.testing.assert_array_equal(loaded.run.probe_images, info.probe_images)


def test_empty_recording_is_refused(tmp_path, info):
    with pytest.raises(ClVizError, match="nothing to record"):
        save_recording(tmp_path / "x.clviz", Recording([], info))


def test_a_version_1_recording_still_plays_with_what_it_did_not_record_marked(tmp_path, good):
    from cl_viz.core.frames import NOT_RECORDED

    header = json.loads(str(np.load(good)["header"]))
    del header["run"]
    header["version"] = 1
    old = _replace_member(good, tmp_path / "old.clviz", "header.npy", _npy(np.array(json.dumps(header))))
    recording = load_recording(old)
    assert recording.run.device == NOT_RECORDED and recording.run.train_size is None
    assert recording.run.config.dataset == "digits" and recording.run.batch_size == 32
    assert recording.run.probe_size == len(recording.frames[0].primary.labels) == len(recording.run.probe_images)


def test_a_version_2_recording_plays_with_the_angular_metrics_it_did_not_measure_as_nan(tmp_path, good):
    """Version 2 stored six unnamed metric columns; the angular ones came later."""
    with np.load(good) as archive:
        arrays = {name: archive[name] for name in archive.files}
    header = json.loads(str(arrays["header"]))
    header["version"] = 2
    names = header.pop("metrics")
    assert names[:6] == list(recording_module.UNNAMED_METRICS)
    arrays["header"] = np.array(json.dumps(header))
    for run in ("primary", "comparison"):
        arrays[f"{run}/metrics"] = arrays[f"{run}/metrics"][:, :6]
    _savez(tmp_path / "v2.clviz", **arrays)
    new = load_recording(good).frames[-1].primary.metrics
    old = load_recording(tmp_path / "v2.clviz").frames[-1].primary.metrics
    assert old.ratio == new.ratio and old.feature_norm == new.feature_norm
    assert np.isfinite(new.angular_ratio) and np.isfinite(new.min_angular_gap)
    assert np.isnan([old.angular_ratio, old.angular_fisher, old.min_angular_gap]).all()


def test_metric_columns_are_read_by_name(tmp_path, good):
    """A newer file's unknown metrics are dropped, and the known ones found wherever they stand."""
    with np.load(good) as archive:
        arrays = {name: archive[name] for name in archive.files}
    header = json.loads(str(arrays["header"]))
    header["metrics"] = ["future_metric", *reversed(header["metrics"][1:])]
    arrays["header"] = np.array(json.dumps(header))
    for run in ("primary", "comparison"):
        metrics = arrays[f"{run}/metrics"]
        arrays[f"{run}/metrics"] = np.hstack([np.full((len(metrics), 1), 7.0), metrics[:, :0:-1]])
    _savez(tmp_path / "shuffled.clviz", **arrays)
    original = load_recording(good).frames[-1].primary.metrics
    shuffled = load_recording(tmp_path / "shuffled.clviz").frames[-1].primary.metrics
    assert np.isnan(shuffled.probe_accuracy)  # not in the file
    assert shuffled.ratio == original.ratio and shuffled.min_angular_gap == original.min_angular_gap


def test_the_shipped_example_still_plays():
    from cl_viz.core.examples import find_example

    recording = load_recording(find_example("center-vs-softmax").path)
    assert np.isfinite(recording.frames[-1].primary.metrics.ratio)


def test_foreign_truncated_and_newer_files(tmp_path, frames, info):
    text = tmp_path / "notes.clviz"
    text.write_text("hello")
    with pytest.raises(ClVizError, match="not a cl-viz recording"):
        load_recording(text)
    good = save_recording(tmp_path / "good.clviz", Recording(frames, info))
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


def test_damaged_arrays_are_reported(tmp_path, frames, info):
    good = save_recording(tmp_path / "good.clviz", Recording(frames, info))
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


@pytest.fixture
def good(tmp_path, frames, info):
    return save_recording(tmp_path / "good.clviz", Recording(frames, info))


def test_random_bytes_are_not_a_recording(tmp_path):
    rng = np.random.default_rng(5)
    for name, content in (("noise.clviz", rng.bytes(5000)), ("zip-like.clviz", b"PK\x03\x04" + rng.bytes(5000))):
        (tmp_path / name).write_bytes(content)
        with pytest.raises(ClVizError, match="not a cl-viz recording"):
            load_recording(tmp_path / name)


@pytest.mark.parametrize("member", ["labels", "steps_per_second", "primary/scalars", "primary/centers",
                                    "comparison/features"])
def test_a_missing_member_is_reported(tmp_path, good, member):
    damaged = _rewrite(good, tmp_path / "damaged.clviz", drop=[member])
    with pytest.raises(ClVizError, match=f"damaged cl-viz recording .*{member}.* is missing"):
        load_recording(damaged)


def _three_classes(arrays, header):
    """The header names 3 classes (labels and predictions agree) but there are still 10 centers."""
    header["class_names"] = ["a", "b", "c"]
    arrays["labels"] = arrays["labels"] % 3
    for run in ("primary", "comparison"):
        arrays[f"{run}/predictions"] = arrays[f"{run}/predictions"] % 3


def _no_frames(arrays, header):
    header["frames"] = 0
    for name in list(arrays):
        if name not in ("header", "labels", "probe_images"):
            arrays[name] = arrays[name][:0]


def _set(name, value):
    def change(arrays, header):
        arrays[name] = value(arrays[name]) if callable(value) else value
    return change


def _header(key, value):
    def change(arrays, header):
        header[key] = value
    return change


def _step_infinite(arrays, header):
    arrays["primary/scalars"] = arrays["primary/scalars"].copy()
    arrays["primary/scalars"][1, 0] = np.inf


@pytest.mark.parametrize("change, message", [
    (_three_classes, r"primary/centers has shape \(4, 10, 2\), not \(4, 3, 2\)"),
    (_no_frames, "it holds no frames"),
    (_set("labels", lambda labels: np.where(labels == 0, 10, labels)), r"labels has classes outside 0..9"),
    (_set("labels", lambda labels: labels[:-1]), r"primary/features has shape \(4, 60, 2\), not \(4, 59, 2\)"),
    (_set("labels", lambda labels: labels.astype(np.float32)), "labels holds float32"),
    (_set("primary/predictions", lambda p: np.full_like(p, 10)), "primary/predictions has classes outside 0..9"),
    (_set("primary/features", lambda f: np.concatenate([f, f], axis=2)), "features have 4 dimensions"),
    (_set("comparison/features", lambda f: f[:, :, :1]), r"comparison/features has shape \(4, 60, 1\)"),
    (_set("primary/classifier_weight", lambda w: w[:, :9]), r"primary/classifier_weight has shape \(4, 9, 2\)"),
    (_set("primary/classifier_bias", np.zeros((4, 9), np.float32)), r"primary/classifier_bias has shape \(4, 9\)"),
    (_set("primary/scalars", lambda s: s[:, :5]), r"primary/scalars has shape \(4, 5\), not \(4, 9\)"),
    (_set("comparison/metrics", lambda m: m[:3]), r"comparison/metrics has shape \(3, 9\)"),
    (_set("primary/metrics", lambda m: m[:, :6]), r"primary/metrics has shape \(4, 6\), not \(4, 9\)"),
    (_header("metrics", ["ratio", "ratio"]), "metrics are not a list of distinct names"),
    (_header("metrics", "ratio"), "metrics are not a list of distinct names"),
    (_set("primary/losses_known", lambda k: k.astype(np.float64)), "primary/losses_known holds float64"),
    (_set("steps_per_second", lambda r: r[:2]), "its header counts 4 frames but it holds 2"),
    (_set("probe_images", np.zeros((60, 28, 28), np.float32)), "probe_images holds float32"),
    (_set("probe_images", np.zeros((59, 28, 28), np.uint8)), r"probe_images has shape \(59, 28, 28\)"),
    (_step_infinite, "primary has steps that are not counts"),
    (_header("frames", 7), "its header counts 7 frames but it holds 4"),
    (_header("compare", False), "disagree about the comparison"),
    (_header("class_names", list(range(10))), "its header names no classes"),
    (_header("config", [32]), "no configuration table"),
    (_header("dataset", {"name": "digits"}), "dataset is not text"),
])
def test_every_array_is_checked_against_the_header_and_the_others(tmp_path, good, change, message):
    with np.load(good) as archive:
        arrays = {name: archive[name] for name in archive.files}
    header = json.loads(str(arrays["header"]))
    change(arrays, header)
    arrays["header"] = np.array(json.dumps(header))
    damaged = tmp_path / "damaged.clviz"
    _savez(damaged, **arrays)
    with pytest.raises(ClVizError, match=f"damaged cl-viz recording .*{message}"):
        load_recording(damaged)


def test_a_member_claiming_terabytes_is_refused_before_allocating(tmp_path, good):
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f4", "fortran_order": False, "shape": (4, 10**12, 1)})
    lying = _replace_member(good, tmp_path / "lying.clviz", "primary/features.npy", header.getvalue() + bytes(100))
    with pytest.raises(ClVizError, match=r"primary/features declares 14.6 TiB of data but holds 100 bytes"):
        load_recording(lying)


def test_a_zip_bomb_is_refused(tmp_path, good, monkeypatch):
    monkeypatch.setattr(recording_module, "BOMB_MIN_BYTES", 2**20)
    content = io.BytesIO()
    np.save(content, np.zeros((60, 600, 600), np.uint8))  # 21 MB of zeros: deflate packs it a thousandfold
    bomb = _replace_member(good, tmp_path / "bomb.clviz", "probe_images.npy", content.getvalue())
    with pytest.raises(ClVizError, match="no recording compresses so well"):
        load_recording(bomb)


def test_a_recording_larger_than_the_limit_is_refused(good, monkeypatch):
    monkeypatch.setattr(recording_module, "MAX_UNPACKED_BYTES", 10_000)
    with pytest.raises(ClVizError, match="would unpack to .* more than the 9.8 KiB"):
        load_recording(good)


class RunsWhenUnpickled:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.mkdir, (str(self.marker),)


def test_a_pickled_member_is_refused_without_running_it(tmp_path, good):
    marker = tmp_path / "code-ran"
    content = io.BytesIO()
    np.save(content, np.array([RunsWhenUnpickled(marker)], dtype=object), allow_pickle=True)
    evil = _replace_member(good, tmp_path / "evil.clviz", "labels.npy", content.getvalue())
    with pytest.raises(ClVizError, match="labels holds Python objects, which cl-viz never loads"):
        load_recording(evil)
    assert not marker.exists()


def test_members_cl_viz_does_not_know_are_never_unpacked(tmp_path, good):
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False, "shape": (10**13,)})
    with zipfile.ZipFile(good, "a") as archive:
        archive.writestr("notes.npy", header.getvalue())
    assert len(load_recording(good).frames) == 4


def _rewrite(source, target, drop=()):
    with np.load(source) as archive:
        _savez(target, **{name: archive[name] for name in archive.files if name not in drop})
    return target


def _replace_member(source, target, member, content):
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for item in old.infolist():
            new.writestr(item.filename, content if item.filename == member else old.read(item))
    return target


def _savez(path, **arrays):
    with open(path, "wb") as file:
        np.savez(file, **arrays)


@pytest.mark.parametrize("config", [{"probe_size": 100.5}, {"lam": "high"}, {"colour": "red"}, "not a table"])
def test_a_recorded_configuration_that_cannot_be_used_takes_its_defaults(tmp_path, good, config):
    """A replay only shows the recorded setup: a bad field falls back alone, the frames still play."""
    header = json.loads(str(np.load(good)["header"]))
    header["run"]["config"] = config
    odd = _replace_member(good, tmp_path / "odd.clviz", "header.npy", _npy(np.array(json.dumps(header))))
    run = load_recording(odd).run
    assert run.config.probe_size is None and run.config.lam == recording_module.STORED_DEFAULTS.lam
    assert run.class_names == tuple(header["class_names"])


def _npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def test_a_margin_head_run_replays_with_its_head_and_margin_per_frame(tmp_path, small_config, digits):
    from cl_viz.core.runner import LockstepRun
    from cl_viz.core.runs import for_head

    run = LockstepRun(for_head(small_config, "arcface").replace(margin_warmup_steps=4), compare=True, dataset=digits)
    frames = []
    for _ in range(3):
        run.train_step()
        frames.append(run.frame(include_batch=False))
    path = save_recording(tmp_path / "arcface.clviz", Recording(frames, run.info))
    loaded = load_recording(path)
    assert [frame.primary.head for frame in loaded.frames] == ["arcface"] * 3
    assert loaded.frames[0].comparison.head == "softmax"  # the twin is softmax only
    assert [frame.primary.effective_margin for frame in loaded.frames] == pytest.approx(
        [frame.primary.effective_margin for frame in frames])
    assert loaded.frames[-1].primary.margin == frames[-1].primary.margin
