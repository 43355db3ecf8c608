"""`cl-viz check`'s Qt side: the platform and screen, and the app's real window measured while it trains.

The window is the app's MainWindow with its own worker, started with autostart and a throwaway
settings file, as benchmarks/gui_training_rate.py and benchmarks/gui_heartbeat.py run it. Measured:
training steps/s in the window, new real frames drawn per second (calls of the main plot's
show_frame: one per new frame from the worker, never a glide step), the gaps of a 5 ms heartbeat
timer on the GUI thread, and how old the oldest drawn point of each frame was. The event loop is
pumped with processEvents waiting for events (no sleeping), much as app.exec() runs it.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from dataclasses import dataclass

import pyqtgraph as pg
from PySide6 import __version__ as pyside_version
from PySide6.QtCore import QCoreApplication, QEvent, QEventLoop, QObject, QSettings, QTimer, Slot, qVersion
from PySide6.QtGui import QGuiApplication

from cl_viz.core.config import TrainConfig
from cl_viz.core.errors import ClVizError
from cl_viz.qt.common.guard import guarded
from cl_viz.qt.window.main_window import MainWindow
from cl_viz.qt.worker import WorkerThread
from cl_viz.qt.worker_process import make_worker, worker_mode

HEARTBEAT_MS = 5
START_TIMEOUT_S = 120.0  # window shown → first training step (imports, dataset, model) on a slow laptop
PARKED_WAIT_MS = 10000


def qt_facts(app: QGuiApplication) -> dict:
    """The platform plugin Qt uses, the primary screen, and the Qt-side versions."""
    screen = app.primaryScreen()
    facts = {"platform": app.platformName(), "screen": None,
             "versions": {"PySide6": pyside_version, "Qt": qVersion(), "pyqtgraph": pg.__version__}}
    if screen is not None:
        geometry, available = screen.geometry(), screen.availableGeometry()
        facts["screen"] = {"name": screen.name(), "width": geometry.width(), "height": geometry.height(),
                           "available_width": available.width(), "available_height": available.height(),
                           "device_pixel_ratio": float(screen.devicePixelRatio())}
    return facts


@dataclass(frozen=True)
class WindowRun:
    dataset: str
    device: str
    probe_size: int
    batch_size: int
    seconds: float  # measured (after the warm-up)
    steps: int
    steps_per_second: float
    images_per_second: float
    frames_drawn: int  # new real frames the main plot drew
    frames_per_second: float
    beats: int
    worst_gap_ms: float
    p99_gap_ms: float
    oldest_point_median_s: float | None  # over the frames received; None where frames do not say
    oldest_point_worst_s: float | None
    worker_stopped: bool  # the training thread ended when the window closed
    worker: str  # where it trained: cl_viz.core.config.WORKER_MODES


class WindowWatch(QObject):
    """On the GUI thread: a heartbeat timer, and the worker's frames and problems as the window gets them."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.recording = False
        self.gaps: list[float] = []
        self.ages: list[float] = []
        self.problem: str | None = None
        self._last_beat: float | None = None
        self.timer = QTimer(self)
        self.timer.setInterval(HEARTBEAT_MS)
        self.timer.timeout.connect(self.beat)
        events = window.worker_thread.events
        events.frame_ready.connect(self.on_frame)
        events.failed.connect(self.on_failed)
        events.diverged.connect(self.on_diverged)
        self.timer.start()

    @Slot()
    @guarded()
    def beat(self) -> None:
        now = time.perf_counter()
        if self.recording and self._last_beat is not None:
            self.gaps.append(now - self._last_beat)
        self._last_beat = now

    @Slot(object)
    @guarded()
    def on_frame(self, frame) -> None:
        if self.recording and frame.steps_per_second > 0:
            behind = [getattr(snapshot, "steps_behind", None) for snapshot in (frame.primary, frame.comparison)
                      if snapshot is not None]
            if None not in behind:
                self.ages.append(max(behind) / frame.steps_per_second)

    @Slot(str)
    @guarded()
    def on_failed(self, text: str) -> None:
        self.problem = self.problem or f"training in the window failed: {text}"

    @Slot(object)
    @guarded()
    def on_diverged(self, event) -> None:
        self.problem = self.problem or f"training in the window diverged at step {event.step} (lr {event.lr:g})"

    def start_recording(self) -> None:
        self.gaps.clear()
        self.ages.clear()
        self._last_beat = None
        self.recording = True

    def stop(self) -> None:
        self.recording = False
        self.timer.stop()


def measure_window(app: QGuiApplication, config: TrainConfig, seconds: float, warmup: float,
                   threads: int) -> WindowRun:
    """Open the app's window on `config` (training at once with `threads` threads), wait for its first
    step, warm up for `warmup` seconds, measure for `seconds`, close it. Raises ClVizError when
    training fails, diverges or never starts."""
    mode = worker_mode()
    with tempfile.TemporaryDirectory(prefix="cl-viz-check-") as folder:
        settings = QSettings(os.path.join(folder, "settings.ini"), QSettings.Format.IniFormat)
        window = MainWindow(settings, config, autostart=True,
                            worker_thread=WorkerThread(make_worker(mode, cpu_threads=threads)))
        drawn = []
        show_frame = window.plot.show_frame

        def counted_show_frame(*args, **kwargs):
            drawn.append(time.perf_counter())
            return show_frame(*args, **kwargs)

        window.plot.show_frame = counted_show_frame
        watch = WindowWatch(window)
        try:
            window.show()
            started = _pump(app, START_TIMEOUT_S, lambda: watch.problem is not None or (
                window.playback.latest is not None and window.playback.latest.step > 0))
            if watch.problem is not None:
                raise ClVizError(watch.problem)
            if not started:
                raise ClVizError(f"the window did not start training within {START_TIMEOUT_S:g} s")
            _pump(app, warmup, lambda: watch.problem is not None)
            start_step, start_drawn = window.playback.latest.step, len(drawn)
            watch.start_recording()
            began = time.perf_counter()
            _pump(app, seconds, lambda: watch.problem is not None)
            elapsed = time.perf_counter() - began
            watch.stop()
            if watch.problem is not None:
                raise ClVizError(watch.problem)
            steps, frames = window.playback.latest.step - start_step, len(drawn) - start_drawn
            info = window.info
            ordered = sorted(watch.gaps) or [0.0]
            result = {
                "dataset": info.dataset_name, "device": info.device, "probe_size": info.probe_size,
                "batch_size": info.batch_size, "seconds": elapsed, "steps": steps,
                "steps_per_second": steps / elapsed, "images_per_second": steps * info.batch_size / elapsed,
                "frames_drawn": frames, "frames_per_second": frames / elapsed, "beats": len(watch.gaps),
                "worst_gap_ms": 1000 * ordered[-1], "p99_gap_ms": 1000 * ordered[int(0.99 * (len(ordered) - 1))],
                "oldest_point_median_s": statistics.median(watch.ages) if watch.ages else None,
                "oldest_point_worst_s": max(watch.ages) if watch.ages else None}
        finally:
            watch.stop()
            window.close()  # stops the worker (or parks it, if it does not stop in time)
            stopped = WorkerThread.wait_for_parked(PARKED_WAIT_MS) and not window.worker_thread.thread.isRunning()
            window.deleteLater()
            QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    return WindowRun(**result, worker_stopped=stopped, worker=mode)


def _pump(app: QGuiApplication, seconds: float, done) -> bool:
    """Run the event loop for up to `seconds` or until `done()`; returns done(). The heartbeat timer
    wakes the wait every few milliseconds."""
    deadline = time.perf_counter() + seconds
    while not done():
        if time.perf_counter() >= deadline:
            return False
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents | QEventLoop.ProcessEventsFlag.WaitForMoreEvents)
    return True
