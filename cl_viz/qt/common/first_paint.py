"""Run something once a widget has first been painted: the user can see it by then."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QWidget

from cl_viz.qt.common.guard import guarded


class AfterFirstPaint(QObject):
    """Calls `then` once, at the first turn of the event loop after `widget`'s first paint, or after
    `latest_ms` if it is not painted by then (a window opened minimised)."""

    def __init__(self, widget: QWidget, then: Callable[[], None], latest_ms: int = 2000) -> None:
        super().__init__(widget)
        self._widget, self._then = widget, then
        widget.installEventFilter(self)
        QTimer.singleShot(latest_ms, self, self._run)

    @guarded(fallback=False)
    def eventFilter(self, watched, event) -> bool:  # noqa: N802 (Qt override)
        if event.type() == QEvent.Type.Paint and self._then is not None:
            QTimer.singleShot(0, self, self._run)
        return False

    @guarded()
    def _run(self) -> None:
        if self._then is not None:
            then, self._then = self._then, None
            self._widget.removeEventFilter(self)
            then()
