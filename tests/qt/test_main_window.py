import json
import os
import subprocess
import sys
import textwrap

import pyqtgraph as pg
import pytest
from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QApplication

from cl_viz.qt.window.frame_scheduler import paint_in_a_later_pass
from cl_viz.qt.window.main_window import MainWindow
from cl_viz.qt.window.settings import DEFAULTS, load_setup
from cl_viz.qt.worker import TrainingWorker, WorkerThread


def frames_of(window):
    return window.worker_thread.events.frame_ready


def test_window_opens_with_plot_controls_and_status(open_window):
    window = open_window()
    assert window.windowTitle().startswith("cl-viz")
    assert window.plot.isVisible() and not window.comparison_plot.isVisible()
    assert window.plot.n_classes == 10
    assert window.plot._title == "center loss  λ = 0.01"  # the small_config's λ, said above its plot
    assert "digits" in window.status["dataset"].text()
    assert window.status["device"].text().startswith("device: cpu")


def test_a_window_probing_training_images_says_so(open_window, small_config):
    window = open_window(small_config.replace(probe_split="train"))
    assert "probe 100 training images" in window.status["dataset"].text()
    assert "training images" in window.metrics.plots["accuracy"].titleLabel.text
    assert window.controls.probe_split.currentData() == "train"


def test_space_starts_training_and_frames_arrive(qtbot, open_window):
    window = open_window()
    with qtbot.waitSignal(frames_of(window), timeout=30000, check_params_cb=lambda f: f.step > 0):
        qtbot.keyClick(window, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: window.plot.point_count == 100, timeout=5000)
    assert window.running


def test_lambda_change_mid_run_reaches_the_session(qtbot, open_window):
    window = open_window(autostart=True)
    window.controls.lam.box.setValue(0.2)
    with qtbot.waitSignal(frames_of(window), timeout=30000, check_params_cb=lambda f: f.primary.lam == 0.2):
        pass
    assert "0.2" in window.plot._title


def test_pause_stops_steps(qtbot, open_window):
    window = open_window(autostart=True)
    qtbot.waitUntil(lambda: window.playback.latest is not None and window.playback.latest.step >= 2, timeout=30000)
    qtbot.keyClick(window, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: not window.running, timeout=10000)
    with qtbot.waitSignal(frames_of(window), timeout=10000) as paused:
        window.controls.alpha.box.setValue(0.3)  # a paused run answers a live change with a fresh frame
    with qtbot.waitSignal(frames_of(window), timeout=10000) as later:
        window.controls.alpha.box.setValue(0.4)
    assert later.args[0].step == paused.args[0].step


def test_right_arrow_steps_exactly_one(qtbot, open_window):
    window = open_window()
    with qtbot.waitSignal(frames_of(window), timeout=10000) as first:
        qtbot.keyClick(window, Qt.Key.Key_Right)
    with qtbot.waitSignal(frames_of(window), timeout=10000) as second:
        qtbot.keyClick(window, Qt.Key.Key_Right)
    assert (first.args[0].step, second.args[0].step) == (1, 2)


def test_comparison_starts_from_identical_features(qtbot, open_window):
    window = open_window(compare=True)
    frame = window.playback.latest
    assert window.comparison_plot.isVisible()
    assert (frame.primary.features == frame.comparison.features).all()
    assert frame.comparison.lam == 0.0 and frame.primary.lam > 0
    assert window.comparison_plot.axes.link is window.plot.axes.link is not None
    qtbot.waitUntil(lambda: window.scheduler.drawn is not None, timeout=5000)
    window.scheduler.finish()
    leader, follower = window.plot.axes.view_range(), window.comparison_plot.axes.view_range()
    # the follower shows the leader's range, widened on one axis when the 1:1 aspect asks for it
    assert (follower[:, 0] <= leader[:, 0] + 1e-9).all() and (follower[:, 1] >= leader[:, 1] - 1e-9).all()
    assert follower.mean(axis=1) == pytest.approx(leader.mean(axis=1), abs=1e-6)


def test_structural_change_asks_for_a_reset_then_applies_it(qtbot, open_window):
    window = open_window()
    window.controls.compare.setChecked(True)
    assert window.controls.apply.isVisibleTo(window.controls)
    with qtbot.waitSignal(window.worker_thread.events.run_ready, timeout=30000):
        window.controls.apply.click()
    qtbot.waitUntil(lambda: window.comparison_plot.isVisible(), timeout=5000)
    assert not window.controls.apply.isVisibleTo(window.controls)


def test_divergence_shows_the_banner_and_pauses(qtbot, open_window, small_config):
    window = open_window(small_config.replace(lr=10.0))
    with qtbot.waitSignal(window.worker_thread.events.diverged, timeout=30000):
        window.toggle_running()
    assert window.banner.isVisible() and "diverged" in window.banner.text.text()
    assert window.banner.action.text() == "Continue with learning rate 1"
    qtbot.waitUntil(lambda: not window.running, timeout=5000)
    assert window.playback.latest.is_finite  # the last good frame stays on screen


def test_unreadable_dataset_shows_a_message_and_the_app_keeps_running(qtbot, settings, small_config, tmp_path):
    worker_thread = WorkerThread(TrainingWorker(cpu_threads=1))
    with qtbot.waitSignal(worker_thread.events.failed, timeout=30000):
        window = MainWindow(settings, small_config.replace(dataset="auto", data_dir=str(tmp_path)),
                            worker_thread=worker_thread)
        qtbot.addWidget(window)
        window.show()
    qtbot.waitUntil(window.banner.isVisible, timeout=5000)
    assert "lacks" in window.banner.text.text()
    window.controls.dataset.setCurrentIndex(window.controls.dataset.findData("digits"))
    with qtbot.waitSignal(worker_thread.events.run_ready, timeout=30000):
        window.worker.reset(small_config, False)
    window.close()


def test_a_window_closed_before_its_first_paint_never_starts_its_worker(qtbot, settings, small_config):
    window = MainWindow(settings, small_config, worker_thread=WorkerThread(TrainingWorker(cpu_threads=1)),
                        autostart=True)
    qtbot.addWidget(window)
    window.close()  # never shown, so never painted: AfterFirstPaint's 2 s fallback would start the worker
    window._start_worker()  # that fallback, now
    assert not window.worker_thread.thread.isRunning()


HEARTBEAT_SCRIPT = """
import json, sys, time
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from cl_viz.cli.main import main

app = QApplication(sys.argv[:1])
gaps, cpu, last, drawn = [], [], [], set()

def beat():
    windows = [w for w in app.topLevelWidgets() if w.windowTitle().startswith("cl-viz")]
    if not windows or windows[0].scheduler.drawn is None or windows[0].scheduler.drawn.step < 3:
        return  # the first frames build sprites and legends once: not measured
    now, busy = time.perf_counter(), time.thread_time()
    if last:
        gaps.append(now - last[0])
        cpu.append(busy - last[1])
    last[:] = [now, busy]
    drawn.add(windows[0].scheduler.drawn.step)
    if len(drawn) > 12 and len(gaps) > 200:
        print(json.dumps({"gaps": gaps, "cpu": cpu, "frames": len(drawn) - 1}))
        heartbeat.stop()
        windows[0].close()

heartbeat = QTimer()
heartbeat.setInterval(5)
heartbeat.timeout.connect(beat)
heartbeat.start()
sys.exit(main(["--autostart", "--compare", "--dataset", "digits", "--model", "tiny"]))
"""


def test_gui_thread_never_blocks_long_while_training(tmp_path):
    """A 5 ms heartbeat timer on the GUI thread of the real app (its own process, its default
    1500x950 window) while the comparison trains and every stage of its frames is drawn and glides:
    no gap between two beats reaches 50 ms, and 99% stay under 40 ms. (Under 25 ms while a frame came
    about once a second; with a real frame after nearly every step, paint stages of 20-30 ms come several
    times a second, and CI measured 99% within 34 ms, worst 45 ms.)

    A run with a gap over 50 ms is run once more, and that run decides. The GUI's own work comes
    back with every frame (each run draws at least 12, every stage of them); this shared 2-core VM
    now and then takes the CPU away for tens of milliseconds, which does not come back (on a noisy
    day, with older code: 99% of the gaps within 22 ms and a single one of 64 ms)."""
    load = os.getloadavg()[0]
    if load > 2 * (os.cpu_count() or 1):
        pytest.skip(f"the machine is too busy (load {load:.1f}) to tell a blocked GUI from a descheduled one")
    runs = [_heartbeat_run(tmp_path / "first")]
    if runs[0]["worst"] >= 0.050:
        runs.append(_heartbeat_run(tmp_path / "again"))
    for run in runs:
        print(run["summary"])
        assert run["p99"] < 0.040, run["summary"]
    assert runs[-1]["worst"] < 0.050, [run["summary"] for run in runs]


def _heartbeat_run(folder) -> dict:
    result = subprocess.run([sys.executable, "-c", HEARTBEAT_SCRIPT], capture_output=True, text=True,
                            timeout=300, env=_app_env(folder))
    assert result.returncode == 0, result.stderr
    measured = json.loads(result.stdout.strip().splitlines()[-1])
    ordered = sorted(measured["gaps"])
    p99, worst, worst_cpu = ordered[int(0.99 * (len(ordered) - 1))], ordered[-1], max(measured["cpu"])
    summary = (f"{len(ordered)} beats over {measured['frames']} frames: 99% within {p99 * 1000:.0f} ms, worst "
               f"{worst * 1000:.0f} ms; GUI CPU between beats at most {worst_cpu * 1000:.0f} ms")
    return {"p99": p99, "worst": worst, "summary": summary}


def test_settings_are_remembered_and_defaults_restored(qtbot, open_window, settings, small_config):
    window = open_window()
    window.controls.lam.box.setValue(0.3)
    window.controls.axis_mode.setCurrentIndex(window.controls.axis_mode.findData("fixed"))
    window.close()
    second = open_window(*load_setup(settings))
    assert second.controls.lam.value() == 0.3
    assert second.controls.axis_mode.currentData() == "fixed"
    second.controls.restore_defaults.click()
    assert second.controls.lam.value() == DEFAULTS.lam
    assert second.controls.axis_mode.currentData() == "follow"


def test_closing_mid_training_exits_cleanly(tmp_path):
    script = textwrap.dedent("""
        import sys
        from PySide6.QtCore import QTimer
        from PySide6.QtWidgets import QApplication
        from cl_viz.cli.main import main

        app = QApplication(sys.argv[:1])

        def close_once_training():
            windows = [w for w in app.topLevelWidgets() if w.windowTitle().startswith("cl-viz")]
            if windows and windows[0].playback.latest is not None and windows[0].playback.latest.step >= 3:
                windows[0].close()
            else:
                QTimer.singleShot(50, close_once_training)

        QTimer.singleShot(50, close_once_training)
        sys.exit(main(["--autostart", "--dataset", "digits"]))
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=180,
                            env=_app_env(tmp_path))
    assert result.returncode == 0, result.stderr
    for bad in ("QThread: Destroyed", "Timers cannot", "Fatal Python error", "Traceback"):
        assert bad not in result.stderr, result.stderr


def _app_env(tmp_path):
    import os
    return dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path / "config"))


def test_plots_glide_between_frames_while_training_and_end_on_the_newest(qtbot, open_window):
    window = open_window(compare=True, autostart=True)
    qtbot.waitUntil(lambda: window.plot.gliding, timeout=30000)
    window.toggle_running()  # pause
    scheduler, latest = window.scheduler, window.playback
    qtbot.waitUntil(lambda: not window.running and scheduler.drawn is latest.latest and not scheduler.drawing
                    and not window.plot.gliding and not window.comparison_plot.gliding, timeout=10000)
    for plot, snapshot in zip(window.plot_widgets, (latest.latest.primary, latest.latest.comparison)):
        assert plot._points.positions == pytest.approx(snapshot.features[:, :2])
        assert plot._centers.centers == pytest.approx(snapshot.centers[:, :2])


def test_a_drawn_stage_is_painted_in_a_later_pass_of_the_event_loop(qtbot):
    """A stage's change and its repaint never run in one stretch: the view holds its repaint
    until the event loop has gone round once more, then repaints."""
    view = pg.PlotWidget()
    qtbot.addWidget(view)
    view.show()
    qtbot.waitExposed(view)
    paints = []
    counter = PaintCounter(paints)
    view.viewport().installEventFilter(counter)
    paint_in_a_later_pass(view)
    view.getPlotItem().getViewBox().setRange(xRange=(0, 5), yRange=(0, 5))
    assert not view.viewport().updatesEnabled()
    QApplication.sendPostedEvents()
    assert not paints
    qtbot.waitUntil(lambda: view.viewport().updatesEnabled() and len(paints) > 0, timeout=2000)


class PaintCounter(QObject):
    def __init__(self, paints: list):
        super().__init__()
        self.paints = paints

    def eventFilter(self, watched, event):  # noqa: N802 (Qt override)
        if event.type() == QEvent.Type.Paint:
            self.paints.append(event.type())
        return False


def test_the_status_bar_says_how_old_the_oldest_point_is(small_config, digits):
    from cl_viz.core.frames import Frame
    from cl_viz.core.session import TrainingSession
    from cl_viz.qt.window.main_window import points_age_text

    session = TrainingSession(small_config, digits)
    session.train_step()
    session.snapshot()
    assert points_age_text(Frame(session.snapshot(), None, 0.0, 0.0)) == "points: this step"
    for _ in range(4):
        session.train_step()
    partial = session.snapshot(refresh=10)
    assert points_age_text(Frame(partial, None, 8.0, 256.0)) == "points: ≤ 4 steps old, 0.5 s"
    assert points_age_text(Frame(session.snapshot(), partial, 8.0, 256.0)) == "points: ≤ 4 steps old, 0.5 s"
