"""What a GUI test must not leave behind: a running QThread, an active QTimer, a top-level widget, or an
exception that a guard (cl_viz.qt.common.guard) caught and hid. Modelled on napari's conftest: QThread.start
and QTimer.start are wrapped to remember where each was started, so a failure names that place."""

from __future__ import annotations

import gc
import traceback
import weakref
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QEvent, QThread, QTimer
from PySide6.QtWidgets import QApplication

PROJECT = str(Path(__file__).resolve().parents[1])


def calling_place() -> str:
    """The innermost frames of the project that led here (tests or cl_viz), innermost last."""
    frames = [frame for frame in traceback.extract_stack()[:-2] if frame.filename.startswith(PROJECT)
              and not frame.filename.endswith("qt_leaks.py")]
    return " <- ".join(f"{Path(f.filename).name}:{f.lineno} {f.name}" for f in reversed(frames[-3:])) or "?"


class LeakWatch:
    """Records the threads and timers started while it is installed; `leaks()` lists what is left."""

    def __init__(self) -> None:
        self.threads: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        self.timers: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        self.widgets_before = {id(w) for w in QApplication.topLevelWidgets()}

    def install(self, monkeypatch) -> None:
        thread_start, timer_start, threads, timers = QThread.start, QTimer.start, self.threads, self.timers

        def start_thread(thread, *args):
            threads[thread] = calling_place()
            thread_start(thread, *args)

        def start_timer(timer, *args):
            timers[timer] = calling_place()
            timer_start(timer, *args)

        monkeypatch.setattr(QThread, "start", start_thread)
        monkeypatch.setattr(QTimer, "start", start_timer)

    def leaks(self) -> list[str]:
        flush_deferred_deletes()
        found = self._found()
        if found:  # perhaps only garbage not yet collected (a full collection costs ~0.25 s with torch loaded)
            flush_deferred_deletes(collect=True)
            found = self._found()
        return found

    def _found(self) -> list[str]:
        found = [f"QThread {_name(thread)} still running, started at {place}"
                 for thread, place in list(self.threads.items()) if _alive(thread, "isRunning")]
        found += [f"QTimer still active, started at {place}"
                  for timer, place in list(self.timers.items()) if _alive(timer, "isActive")]
        found += [f"top-level widget {type(w).__name__} {w.windowTitle()!r} still open"
                  for w in self.new_windows() if _alive(w, "isVisible")]
        return found

    def new_windows(self) -> list:
        """Top-level widgets that were not there before. (A closed one may stay alive until pytest drops
        the test's fixture values, after every fixture's teardown: only open ones count.)"""
        return [w for w in QApplication.topLevelWidgets() if id(w) not in self.widgets_before]

    def clean_up(self) -> None:
        """Stop what leaked, so one test's leak does not break the next."""
        for timer in list(self.timers):
            if _alive(timer, "isActive"):
                timer.stop()
        for widget in self.new_windows():
            if _alive(widget, "isVisible"):
                widget.close()
                widget.deleteLater()
        for thread in list(self.threads):
            if _alive(thread, "isRunning"):
                thread.quit()
                thread.wait(5000)
        flush_deferred_deletes(collect=True)


def flush_deferred_deletes(collect: bool = False) -> None:
    """Run pending deleteLater()s (processEvents alone leaves them for the event loop's next turn);
    with `collect`, collect Python garbage too (objects whose last references were in cycles)."""
    for _ in range(3):
        if collect:
            gc.collect()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        QCoreApplication.processEvents()


def _alive(qt_object, method: str = "objectName") -> bool:
    try:
        return bool(getattr(qt_object, method)()) if method != "objectName" else (qt_object.objectName(), True)[1]
    except RuntimeError:  # its C++ object is gone: nothing left behind
        return False


def _name(thread) -> str:
    try:
        return repr(thread.objectName() or type(thread).__name__)
    except RuntimeError:
        return "?"

