import numpy as np
import pytest
import torch

from cl_viz.core.checkpoints import load_checkpoint, save_checkpoint
from cl_viz.core.errors import ClVizError
from cl_viz.core.session import TrainingSession


def test_round_trip_resumes_exactly(tmp_path, small_config, digits):
    continuous = TrainingSession(small_config, digits)
    for _ in range(6):
        continuous.train_step()

    first_half = TrainingSession(small_config, digits)
    for _ in range(3):
        first_half.train_step()
    path = save_checkpoint(first_half.state_dict(), tmp_path / "run" / "checkpoint.pt")
    state = load_checkpoint(path)
    assert state["config"] == small_config and state["step"] == 3

    resumed = TrainingSession(state["config"], digits)
    resumed.load_state_dict(state)
    for _ in range(3):
        resumed.train_step()
    np.testing.assert_array_equal(resumed.snapshot().features, continuous.snapshot().features)
    np.testing.assert_array_equal(resumed.snapshot().centers, continuous.snapshot().centers)


def test_save_leaves_no_temporary_files(tmp_path, small_config, digits):
    save_checkpoint(TrainingSession(small_config, digits).state_dict(), tmp_path / "c.pt")
    assert [p.name for p in tmp_path.iterdir()] == ["c.pt"]


@pytest.mark.parametrize("content, message", [
    (b"", "not a cl-viz checkpoint"),
    (b"hello, I am a text file\n", "not a cl-viz checkpoint"),
    (b"PK\x03\x04garbage", "not a cl-viz checkpoint"),
])
def test_foreign_files_are_rejected_clearly(tmp_path, content, message):
    path = tmp_path / "bad.pt"
    path.write_bytes(content)
    with pytest.raises(ClVizError, match=message):
        load_checkpoint(path)


def test_a_torch_file_that_is_not_ours(tmp_path):
    path = tmp_path / "weights.pt"
    torch.save({"weight": torch.zeros(3)}, path)
    with pytest.raises(ClVizError, match="not a cl-viz checkpoint"):
        load_checkpoint(path)


def test_a_pickled_object_is_refused_without_running_it(tmp_path):
    path = tmp_path / "evil.pt"
    torch.save({"format": "cl-viz-checkpoint", "payload": object()}, path)
    with pytest.raises(ClVizError, match="not a cl-viz checkpoint"):
        load_checkpoint(path)


def test_other_versions_and_missing_parts(tmp_path):
    newer = tmp_path / "newer.pt"
    torch.save({"format": "cl-viz-checkpoint", "version": 99}, newer)
    with pytest.raises(ClVizError, match="version 99"):
        load_checkpoint(newer)
    partial = tmp_path / "partial.pt"
    torch.save({"format": "cl-viz-checkpoint", "version": 1, "step": 3}, partial)
    with pytest.raises(ClVizError, match="missing config"):
        load_checkpoint(partial)


def test_missing_file(tmp_path):
    with pytest.raises(ClVizError, match="does not exist"):
        load_checkpoint(tmp_path / "nothing.pt")


def test_truncated_checkpoint(tmp_path, small_config, digits):
    path = save_checkpoint(TrainingSession(small_config, digits).state_dict(), tmp_path / "c.pt")
    path.write_bytes(path.read_bytes()[:500])
    with pytest.raises(ClVizError, match="not a cl-viz checkpoint"):
        load_checkpoint(path)


def test_written_files_get_ordinary_permissions(tmp_path, small_config, digits):
    import os
    import stat

    path = save_checkpoint(TrainingSession(small_config, digits).state_dict(), tmp_path / "c.pt")
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~mask


def test_a_full_disk_is_a_clear_error_and_keeps_the_previous_checkpoint(tiny_tmpfs, small_config, digits):
    path = tiny_tmpfs / "c.pt"
    path.write_bytes(b"previous")
    with pytest.raises(ClVizError, match="cannot write .*c.pt: No space left on device"):
        save_checkpoint(TrainingSession(small_config, digits).state_dict(), path)
    assert path.read_bytes() == b"previous" and [p.name for p in tiny_tmpfs.iterdir()] == ["c.pt"]
