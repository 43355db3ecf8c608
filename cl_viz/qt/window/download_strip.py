"""A strip above the plots while a dataset downloads: what, how far, and Cancel."""

from __future__ import annotations

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

from cl_viz.core.dataset_files import title
from cl_viz.core.downloads import download_dataset
from cl_viz.qt.common.guard import guarded
from cl_viz.qt.window.download_thread import DownloadThread

BAR_STEPS = 1000


def megabytes(count: int) -> str:
    return f"{count / 2**20:.1f} MB"


class DownloadStrip(QFrame):
    """Starts a DownloadThread and follows it. `fetch` is what the thread runs (tests swap in a fake)."""

    succeeded = Signal(str)  # the dataset's name
    failed = Signal(str)  # one line for the banner
    cancelled = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("download")
        self.fetch = download_dataset
        self.download_thread: DownloadThread | None = None
        self._active: str | None = None  # from start until the thread's result arrives
        self.text = QLabel()
        self.bar = QProgressBar()
        self.bar.setRange(0, BAR_STEPS)
        self.bar.setTextVisible(False)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop the download; the next one resumes where this one stopped.")
        layout = QHBoxLayout(self)
        layout.addWidget(self.text)
        layout.addWidget(self.bar, 1)
        layout.addWidget(self.cancel_button)
        self.cancel_button.clicked.connect(self.cancel)
        self.hide()

    def downloading(self) -> str | None:
        """The name of the dataset being downloaded, if any."""
        return self._active

    def start(self, name: str) -> None:
        if self._active is not None:
            raise RuntimeError(f"{self._active} is still downloading")
        if self.download_thread is not None:
            self.download_thread.wait()  # its result has arrived: it is ending, if not ended
        self._active = name
        self.download_thread = DownloadThread(name, self.fetch)
        self.download_thread.progressed.connect(self.on_progressed)
        self.download_thread.succeeded.connect(self.on_succeeded)
        self.download_thread.failed.connect(self.on_failed)
        self.download_thread.cancelled.connect(self.on_cancelled)
        self.bar.setValue(0)
        self.text.setText(f"Downloading {title(name)}…")
        self.cancel_button.setEnabled(True)
        self.show()
        self.download_thread.start()

    @Slot()
    @guarded()
    def cancel(self) -> None:
        if self._active is not None:
            self.download_thread.cancel()
            self.cancel_button.setEnabled(False)
            self.text.setText(f"Cancelling the download of {title(self._active)}…")

    def shutdown(self) -> bool:
        """Stop the download (the window is closing); False when its thread had to be parked."""
        return self.download_thread is None or self.download_thread.shutdown()

    # ----- from the thread ----------------------------------------------------------------
    @Slot(object, object)
    @guarded()
    def on_progressed(self, done: int, total: int) -> None:
        if self._active is None or not self.cancel_button.isEnabled():
            return
        self.bar.setValue(round(BAR_STEPS * done / total) if total else 0)
        self.text.setText(f"Downloading {title(self._active)}: {megabytes(done)} of {megabytes(total)}")

    @Slot(str)
    @guarded()
    def on_succeeded(self, name: str) -> None:
        self._end()
        self.succeeded.emit(name)

    @Slot(str)
    @guarded()
    def on_failed(self, text: str) -> None:
        self._end()
        self.failed.emit(text)

    @Slot(str)
    @guarded()
    def on_cancelled(self, name: str) -> None:
        self._end()
        self.cancelled.emit(name)

    def _end(self) -> None:
        self._active = None
        self.hide()
