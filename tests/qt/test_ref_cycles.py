"""A closed window leaves nothing behind: its widgets, plots, worker and training run are collected
(as pyqtgraph's tests/test_ref_cycles.py checks its own widgets). A long soak's resident set then
plateaus instead of growing with each window opened (README, "Crash-proof")."""

from __future__ import annotations

import gc
import weakref

from PySide6.QtCore import QCoreApplication, QEvent, QSettings

from cl_viz.qt.window.main_window import MainWindow
from cl_viz.qt.worker import TrainingWorker, WorkerThread


def flush() -> None:
    for _ in range(3):
        gc.collect()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        QCoreApplication.processEvents()


def open_train_close(qtbot, settings, config) -> dict[str, weakref.ref]:
    worker_thread = WorkerThread(TrainingWorker(cpu_threads=1))
    with qtbot.waitSignal(worker_thread.events.frame_ready, timeout=90000):
        window = MainWindow(settings, config, True, worker_thread=worker_thread)
        window.show()
    window.controls.decision_regions.setChecked(True)
    window.single_step()
    qtbot.waitUntil(lambda: window.playback.latest is not None and window.playback.latest.step == 1, timeout=30000)
    window.scheduler.finish()
    window.open_grid()
    qtbot.waitUntil(lambda: window.grid_window.latest is not None, timeout=60000)
    refs = {name: weakref.ref(obj) for name, obj in (
        ("window", window), ("plot", window.plot), ("comparison plot", window.comparison_plot),
        ("metrics", window.metrics), ("worker", window.worker), ("worker thread", window.worker_thread),
        ("grid window", window.grid_window), ("grid view", window.grid_window.view),
        ("latest frame", window.playback.latest))}
    window.close()
    window.deleteLater()
    return refs


def test_a_closed_window_and_its_grid_are_collected(qtbot, tmp_path, small_config):
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    refs = open_train_close(qtbot, settings, small_config)
    flush()
    alive = [name for name, ref in refs.items() if ref() is not None]
    assert not alive, f"still referenced after closing: {alive}"
