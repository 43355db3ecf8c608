"""Threads that did not stop in time: a running QThread must never be destroyed, so they are kept here
until they end."""

from __future__ import annotations

import time

from PySide6.QtCore import QThread


class ParkedThreads:
    """Owners (kept alive with their thread) of QThreads still running after their window closed."""

    def __init__(self) -> None:
        self._threads: dict[object, QThread] = {}

    def park(self, owner: object, thread: QThread) -> None:
        self.prune()
        self._threads[owner] = thread

    def prune(self) -> None:
        self._threads = {owner: thread for owner, thread in self._threads.items() if thread.isRunning()}

    def wait(self, timeout_ms: int) -> bool:
        """Wait for every parked thread to end (True), or for at most `timeout_ms` in all."""
        deadline = time.monotonic() + timeout_ms / 1000
        for thread in list(self._threads.values()):
            thread.wait(max(0, round((deadline - time.monotonic()) * 1000)))
        self.prune()
        return not self._threads

    def __contains__(self, owner: object) -> bool:
        return owner in self._threads

    def __bool__(self) -> bool:
        return bool(self._threads)
