"""Timeline, recordings and replay, presentation mode and lesson presets in the main window."""

import subprocess
import sys
from dataclasses import replace

import pytest
from PySide6.QtWidgets import QMessageBox

from cl_viz.core.recording import load_recording


@pytest.fixture
def window(open_window):
    return open_window(compare=True)


def train_steps(qtbot, window, steps):
    for _ in range(steps):
        with qtbot.waitSignal(window.worker_thread.events.frame_ready, timeout=10000):
            window.single_step()


def test_scrubbing_shows_an_earlier_frame_while_training_goes_on(qtbot, window):
    train_steps(qtbot, window, 3)
    assert window.playback.timeline.steps == [0, 1, 2, 3]
    window.timeline_bar.slider.setValue(1)  # as a user's click on the slider would
    window.timeline_bar.scrubbed.emit(1)

    def shows(step: int, label: str | None = None):
        """An assertion (so that a timeout says what was on screen): the whole frame of `step` is drawn."""
        drawn = None if window.scheduler.drawn is None else window.scheduler.drawn.step
        state = (f"drawn {drawn}, drawing {window.scheduler.drawing}, scrub index {window.playback.scrub_index}, "
                 f"timeline {window.playback.timeline.steps}, label {window.timeline_bar.label.text()!r}")
        assert drawn == step and not window.scheduler.drawing, state
        assert label is None or window.timeline_bar.label.text() == label, state

    # the whole frame: the timeline label is drawn in the last stage, a few ticks after the plots
    qtbot.waitUntil(lambda: shows(1, "step 1 (past)"), timeout=5000)
    window.worker.single_step()  # training goes on behind the scrubbed view
    qtbot.waitUntil(lambda: window.playback.latest.step == 4, timeout=10000)
    window.scheduler.tick()
    assert window.playback.shown().step == 1, window.playback.timeline.steps
    shows(1, "step 1 (past)")
    window.timeline_bar.live.click()
    qtbot.waitUntil(lambda: shows(4), timeout=5000)


def test_save_then_replay_a_recording(qtbot, window, tmp_path):
    train_steps(qtbot, window, 2)
    path = tmp_path / "run.clviz"
    assert window.save_recording(str(path))
    recording = load_recording(path)
    assert [f.step for f in recording.frames] == [0, 1, 2] and recording.compare
    assert recording.run.probe_images.shape == (100, 28, 28)
    assert window.open_recording(str(path))
    assert window.playback.recording is not None and not window.controls.play.isEnabled()
    assert window.controls.decision_regions.isEnabled()  # view options still work in a replay
    assert window.comparison_plot.axes.link is window.plot.axes.link is not None
    assert window.banner.isVisible() and "Replaying" in window.banner.text.text()
    window.timeline_bar.scrubbed.emit(0)
    qtbot.waitUntil(lambda: window.scheduler.drawn is not None and window.scheduler.drawn.step == 0, timeout=5000)
    with qtbot.waitSignal(window.worker_thread.events.run_ready, timeout=30000):
        window.request_reset()  # R: back to live training
    assert window.playback.recording is None and window.controls.play.isEnabled()


def test_a_bad_file_shows_a_dialog_and_keeps_the_current_run(qtbot, window, tmp_path, monkeypatch):
    shown = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text: shown.append(text))
    bogus = tmp_path / "bogus.clviz"
    bogus.write_text("not a recording")
    before = window.info
    assert not window.open_recording(str(bogus))
    assert shown and "not a cl-viz recording" in shown[0]
    assert window.playback.recording is None and window.info is before


def test_presentation_mode_enlarges_and_simplifies(qtbot, window):
    window.toggle_presentation()
    assert window.presentation_strip.isVisible() and not window.metrics.graphs.isVisible()
    assert not window.splitter.widget(1).isVisible() and window.plot._scale > 1
    assert "L = L<sub>S</sub> + λ·L<sub>C</sub>" in window.presentation_strip.formula.text()
    window.presentation_strip.lam.box.setValue(0.05)
    assert window.controls.lam.value() == 0.05
    window.presentation_strip.theme.setCurrentIndex(1)
    assert window.plot.theme == "dark"
    window.toggle_presentation()
    assert not window.presentation_strip.isVisible() and window.splitter.widget(1).isVisible()
    assert window.plot._scale == 1.0


def test_menus_carry_the_shortcuts(window):
    shortcuts = {action.shortcut().toString() for action in window.actions()}
    assert {"Ctrl+O", "Ctrl+S", "Ctrl+E", "F5", "F11", "Ctrl+G", "Ctrl+Q"} <= shortcuts


def test_replay_command_rejects_a_bad_file_before_any_window(tmp_path):
    bogus = tmp_path / "x.clviz"
    bogus.write_bytes(b"PK\x03\x04 truncated")
    result = subprocess.run([sys.executable, "-m", "cl_viz", "replay", str(bogus)], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and "not a cl-viz recording" in result.stderr


def test_a_lesson_preset_sets_the_controls_hides_advanced_ones_and_resets(qtbot, window):
    from cl_viz.core.presets import list_presets

    presets = list_presets()
    assert len(presets) >= 8
    preset = next(p for p in presets if p.hide) if any(p.hide for p in presets) else presets[0]
    with qtbot.waitSignal(window.worker_thread.events.run_ready, timeout=90000):
        window.apply_preset(replace(preset, config=preset.config.replace(model="tiny", probe_size=50)))
    assert window.controls.lam.value() == preset.config.lam
    assert window.controls.compare.isChecked() == preset.compare
    assert preset.title in window.banner.text.text()
    for name in preset.hide:
        assert not getattr(window.controls, name).isVisibleTo(window.controls), name
    assert window.menus.lessons.actions()


def test_a_replayed_comparison_shows_all_of_both_runs_on_linked_axes(qtbot, window):
    from cl_viz.core.examples import find_example
    from cl_viz.qt.plot.geometry import snapshot_bounds

    window.show_recording(load_recording(find_example("center-vs-softmax").path))
    qtbot.waitUntil(lambda: window.scheduler.drawn is not None and not window.scheduler.drawing, timeout=5000)
    frame = window.scheduler.drawn
    (bx0, bx1), (by0, by1) = snapshot_bounds(frame.comparison.features[:, :2], frame.comparison.centers[:, :2])
    for plot in window.plot_widgets:  # both show all of the softmax twin's wider petals
        (x0, x1), (y0, y1) = plot.axes.view_range()
        eps = 1e-6 * (bx1 - bx0)
        assert x0 <= bx0 + eps and x1 >= bx1 - eps and y0 <= by0 + eps and y1 >= by1 - eps  # the petals fit


def test_scrubbing_to_the_frame_on_screen_marks_it_past(qtbot, window):
    """Frames can arrive faster than they are drawn: the frame on screen, drawn live, may already be
    an earlier one when the user picks it on the timeline. It is then drawn again, as past."""
    window.scheduler.timer.stop()  # this test plays the timer's part
    train_steps(qtbot, window, 1)
    while window.playback.shown() is not window.scheduler.drawn or window.scheduler.drawing:
        window.scheduler.tick()
    assert window.timeline_bar.label.text() == "step 1 (live)"
    train_steps(qtbot, window, 2)  # not drawn: the timer is stopped
    window.timeline_bar.scrubbed.emit(1)
    window.scheduler.tick()
    while window.scheduler.drawing:
        window.scheduler.tick()
    assert window.timeline_bar.label.text() == "step 1 (past)"
    window.timeline_bar.live.click()
    window.scheduler.tick()
    while window.scheduler.drawing:
        window.scheduler.tick()
    assert window.timeline_bar.label.text() == "step 3 (live)"


def test_the_loss_family_lesson_opens_its_four_runs_side_by_side(qtbot, window):
    from cl_viz.core.presets import load_preset

    preset = load_preset("the-loss-family")
    assert preset.losses == ("softmax", "center", "cosface", "arcface")
    small = replace(preset, config=preset.config.replace(model="tiny", probe_size=50, dataset="digits"),
                    losses=("softmax", "arcface"))
    window.apply_preset(small)
    qtbot.waitUntil(lambda: window.grid_is_open() and window.grid_window.view is not None, timeout=90000)
    grid = window.grid_window
    assert grid.by_loss and grid.view.titles == ("Softmax only", "ArcFace")
    assert grid.entries(grid.runs_edit.text())[1].config.probe_size == 50  # the lesson's setup, each head's own rest
    window.apply_preset(small)  # again: the window is replaced, never doubled
    qtbot.waitUntil(lambda: window.grid_is_open() and window.grid_window is not grid, timeout=30000)
    window.grid_window.close()
