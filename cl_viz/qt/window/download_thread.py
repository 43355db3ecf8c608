"""A dataset download in a thread of its own (never the training worker's), with progress and cancel."""

from __future__ import annotations

import threading

from PySide6.QtCore import QThread, Signal

from cl_viz.core.dataset_files import title
from cl_viz.core.downloads import download_dataset
from cl_viz.core.errors import Cancelled, ClVizError
from cl_viz.qt.common.guard import guarded
from cl_viz.qt.common.parking import ParkedThreads

SHUTDOWN_TIMEOUT_MS = 3000  # a closing window waits this long, then parks the thread (a read blocked on a socket)


class DownloadThread(QThread):
    """Runs `fetch(name, progress=…, cancel=…)` (cl_viz.core.downloads.download_dataset, or a test's fake).

    Exactly one of succeeded, failed and cancelled follows, then QThread.finished. Qt aborts a process
    whose QThread is destroyed while it runs: `shutdown` parks a thread that does not stop in time.
    """

    progressed = Signal(object, object)  # bytes done, bytes in all
    succeeded = Signal(str)  # the dataset's name
    failed = Signal(str)  # one line for the banner
    cancelled = Signal(str)  # the dataset's name

    _parked = ParkedThreads()

    def __init__(self, name: str, fetch=download_dataset):
        super().__init__()
        self.name = name
        self.setObjectName(f"cl-viz download {name}")
        self._fetch = fetch
        self._cancel = threading.Event()

    @guarded()
    def run(self) -> None:
        try:
            self._fetch(self.name, progress=self._report, cancel=self._cancel)
        except Cancelled:
            self.cancelled.emit(self.name)
        except ClVizError as error:
            self.failed.emit(str(error))
        except Exception as error:  # noqa: BLE001 (the window says so and keeps running)
            self.failed.emit(f"Downloading {title(self.name)} failed: {type(error).__name__}: {error}")
        else:
            self.succeeded.emit(self.name)

    def _report(self, done: int, total: int) -> None:
        self.progressed.emit(done, total)

    def cancel(self) -> None:
        """Thread-safe: the download stops after the chunk it is reading."""
        self._cancel.set()

    def shutdown(self, timeout_ms: int = SHUTDOWN_TIMEOUT_MS) -> bool:
        """Cancel and wait; True once the thread has ended, False when it is parked, still running."""
        DownloadThread._parked.prune()
        if not self.isRunning():
            return True
        self.cancel()
        if self.wait(timeout_ms):
            return True
        DownloadThread._parked.park(self, self)
        return False

    @classmethod
    def wait_for_parked(cls, timeout_ms: int) -> bool:
        """Wait for every parked download to end (True), or for at most `timeout_ms` in all."""
        return cls._parked.wait(timeout_ms)
