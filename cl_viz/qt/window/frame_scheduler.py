"""The main window's drawing: a 30 fps timer tick does one thing at a time, and plots glide between frames.

A new frame is drawn in stages, one per tick (the main plot, the comparison plot, the numbers, a few
times a second each graph of curves); a plot's or graph's repaint waits for the next pass of the
event loop, so input is handled between a stage and its paint. Ticks with nothing new move the
plots' glides toward their newest frame.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from functools import partial

from PySide6.QtCore import QObject, QTimer, Slot
from PySide6.QtWidgets import QGraphicsView

from cl_viz.core.frames import Frame
from cl_viz.qt.common.guard import guarded
from cl_viz.qt.plot.feature_plot import FeaturePlot
from cl_viz.qt.plot.glide import DRAW_INTERVAL_MS

GLIDE_EVERY = 2  # timer ticks per glide step
PAINT_DELAY_MS = 1
FRAME_INTERVAL_SMOOTHING = 0.3  # weight of the newest interval between frames
FIRST_FRAME_INTERVAL_S = 0.3

Stage = Callable[[], object]


def paint_in_a_later_pass(view: QGraphicsView) -> None:
    """Hold the view's repaint until the event loop has gone round once more. Qt would otherwise
    paint in the same pass as the change that asked for it: a stage and its paint then run in two
    passes, with input (and any other timer) handled in between."""
    port = view.viewport()
    if port.updatesEnabled():
        port.setUpdatesEnabled(False)  # re-enabling repaints the whole view, as a new frame does anyway
        QTimer.singleShot(PAINT_DELAY_MS, port, partial(port.setUpdatesEnabled, True))


class FrameScheduler(QObject):
    """Owns the draw timer, the stages of the frame being drawn, the frame on screen and the pace of
    new frames. `shown()` gives the frame to draw; `stages(frame)` the stages that draw it (the first
    runs at once, the others one per tick); `plots()` the plots whose glides it steps; `views()` every
    view whose paint a stage may hold back."""

    def __init__(self, parent: QObject, shown: Callable[[], Frame | None], stages: Callable[[Frame], list[Stage]],
                 plots: Callable[[], list[FeaturePlot]], views: Callable[[], Iterable[QGraphicsView]]) -> None:
        super().__init__(parent)
        self._shown, self._stages, self._plots, self._views = shown, stages, plots, views
        self._pending: list[Stage] = []
        self._drawn: Frame | None = None
        self._glide_turn = 0
        self._frame_interval = FIRST_FRAME_INTERVAL_S
        self._frame_arrived: float | None = None
        self.timer = QTimer(self)
        self.timer.setInterval(DRAW_INTERVAL_MS)
        self.timer.timeout.connect(self.tick)

    @property
    def drawn(self) -> Frame | None:
        """The frame whose first stage has been drawn last."""
        return self._drawn

    @property
    def drawing(self) -> bool:
        """True while stages of a frame are still to be drawn."""
        return bool(self._pending)

    @property
    def frame_interval(self) -> float:
        """Seconds between new frames while training (smoothed): a glide lasts about that long."""
        return self._frame_interval

    def start(self) -> None:
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()

    def note_arrival(self, running: bool) -> None:
        now = time.perf_counter()
        if running and self._frame_arrived is not None:
            self._frame_interval += FRAME_INTERVAL_SMOOTHING * (now - self._frame_arrived - self._frame_interval)
        self._frame_arrived = now

    def redraw(self) -> None:
        """Draw the shown frame again at the next tick, even if it is the one on screen."""
        self._drawn = None

    def clear(self) -> None:
        """Forget the frame on screen and the stages still to draw (a new run, a recording)."""
        self._drawn = None
        self._pending.clear()

    def later(self, stages: Iterable[Stage]) -> None:
        """More stages for the frame being drawn, after those already waiting."""
        self._pending.extend(stages)

    def finish(self) -> None:
        """Draw the rest of the frame now and end the glides (tests and exports that read the window)."""
        while self._pending:
            self._pending.pop(0)()
        for plot in self._plots():
            plot.finish_glide()
        for view in self._views():
            view.viewport().setUpdatesEnabled(True)

    @Slot()
    @guarded()
    def tick(self) -> None:
        if self._pending:
            self._pending.pop(0)()
            return
        frame = self._shown()
        if frame is None or frame is self._drawn:
            self._step_a_glide()
            return
        self._drawn = frame
        first, *rest = self._stages(frame)
        self._pending.extend(rest)
        first()

    def _step_a_glide(self) -> None:
        """Glides take turns on every GLIDE_EVERY-th idle tick, so that the GUI thread stays idle much of
        the time while training: with 2, each plot moves at ~8 fps when both glide and ~15 fps alone.
        (On every tick, single gaps of the heartbeat test reached 55-62 ms here.)"""
        self._glide_turn += 1
        gliding = [plot for plot in self._plots() if plot.moving and plot.isVisible()]
        if gliding and self._glide_turn % GLIDE_EVERY == 0:
            gliding[(self._glide_turn // GLIDE_EVERY) % len(gliding)].animate()
