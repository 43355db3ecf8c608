"""Headless round trip: record with the CLI → replay file → export GIF and MP4 → decode the frames."""

import numpy as np
from PIL import Image, ImageSequence

from cl_viz.cli.main import main
from cl_viz.core.recording import load_recording
from cl_viz.qt.export.animation import export_animation


def test_record_replay_export_decode(qtbot, tmp_path, decode_mp4):
    recording_path = tmp_path / "run.clviz"
    assert main(["train", "--dataset", "digits", "--steps", "12", "--batch-size", "32", "--probe-size", "60",
                 "--compare", "--record", str(recording_path), "--record-every", "3", "--eval-every", "12",
                 "--device", "cpu", "--out", str(tmp_path / "out")]) == 0
    recording = load_recording(recording_path)
    assert [frame.step for frame in recording.frames] == [0, 3, 6, 9, 12] and recording.compare

    gif = tmp_path / "run.gif"
    assert export_animation(recording.frames, recording.class_names, gif, fps=5, size=(400, 200))
    with Image.open(gif) as image:
        frames = [np.asarray(frame.convert("RGB")) for frame in ImageSequence.Iterator(image)]
    assert len(frames) == 5 and frames[0].shape == (200, 400, 3)
    assert not np.array_equal(frames[0], frames[-1])

    mp4 = tmp_path / "run.mp4"
    assert export_animation(recording.frames, recording.class_names, mp4, fps=5, size=(400, 200))
    description, decoded = decode_mp4(mp4, 400, 200)
    assert "h264" in description and abs(len(decoded) - 5) <= 1
