"""The main window's drawing: a 30 fps timer tick does one thing at a time, and plots glide between
frames. A mixin of MainWindow, which provides the plots, metrics, timeline, status and worker state."""

from __future__ import annotations

import time
from functools import partial

from PySide6.QtCore import QTimer, Slot
from PySide6.QtWidgets import QGraphicsView

from cl_viz.core.runner import Frame
from cl_viz.qt.plot.feature_plot import FeaturePlot
from cl_viz.qt.window.metrics_panel import GRAPHS
from cl_viz.qt.plot.geometry import snapshot_bounds
from cl_viz.qt.plot.glide import glide_seconds
from cl_viz.qt.common.guard import guarded

DRAW_INTERVAL_MS = 33
GLIDE_EVERY = 2  # timer ticks per glide step
PAINT_DELAY_MS = 1
FRAME_INTERVAL_SMOOTHING = 0.3  # weight of the newest interval between frames


def paint_in_a_later_pass(view: QGraphicsView) -> None:
    """Hold the view's repaint until the event loop has gone round once more. Qt would otherwise
    paint in the same pass as the change that asked for it: a stage and its paint then run in two
    passes, with input (and any other timer) handled in between."""
    port = view.viewport()
    if port.updatesEnabled():
        port.setUpdatesEnabled(False)  # re-enabling repaints the whole view, as a new frame does anyway
        QTimer.singleShot(PAINT_DELAY_MS, port, partial(port.setUpdatesEnabled, True))


class DrawingMixin:
    """Draws the newest (or scrubbed) frame in stages, one per timer tick, and steps the glides."""

    def note_frame_arrival(self) -> None:
        """Smooth the interval between new frames while training: a glide lasts about that long."""
        now = time.perf_counter()
        if self.latest is not None and self.running:
            self._frame_interval += FRAME_INTERVAL_SMOOTHING * (now - self._frame_arrived - self._frame_interval)
        self._frame_arrived = now

    def shown_frame(self) -> Frame | None:
        """The frame on screen: the newest one, or the one picked on the timeline."""
        if self.scrub_index is not None and self.scrub_index < len(self.timeline):
            return self.timeline[self.scrub_index]
        return self.latest

    @Slot()
    @guarded()
    def draw_latest(self) -> None:
        """One timer tick does one thing, so the GUI is never busy with a whole frame at once. A new
        frame is drawn in stages, one per tick: the main plot, the comparison plot, the numbers,
        timeline and status, then (a few times a second) each graph of curves. A plot's or graph's
        repaint waits for the next pass of the event loop. Other ticks move the plots' glides
        toward their newest frame."""
        if self._pending_stages:
            self._pending_stages.pop(0)()
            return
        frame = self.shown_frame()
        if frame is None or frame is self._drawn:
            self._animate_one_plot()
            return
        self._drawn = frame
        partner_bounds = None
        if frame.comparison is not None and self.comparison_plot.axes_partner is not None:
            partner_bounds = snapshot_bounds(frame.comparison.features[:, :2], frame.comparison.centers[:, :2])
        self._draw_plot(self.plot, frame.primary, partner_bounds)
        if frame.comparison is not None:
            self._pending_stages.append(partial(self._draw_plot, self.comparison_plot, frame.comparison))
        self._pending_stages.append(partial(self._draw_panels, frame))

    def _animate_one_plot(self) -> None:
        """Glides take turns on every GLIDE_EVERY-th idle tick, so that the GUI thread stays idle much of
        the time while training: with 2, each plot moves at ~8 fps when both glide and ~15 fps alone.
        (On every tick, single gaps of the heartbeat test reached 55-62 ms here.)"""
        self._glide_turn += 1
        gliding = [plot for plot in (self.plot, self.comparison_plot) if plot.gliding and plot.isVisible()]
        if gliding and self._glide_turn % GLIDE_EVERY == 0:
            gliding[(self._glide_turn // GLIDE_EVERY) % len(gliding)].animate()

    @property
    def drawing(self) -> bool:
        """True while the timer is still drawing the stages of a frame."""
        return bool(self._pending_stages)

    def finish_drawing(self) -> None:
        """Draw the rest of the frame now and end the glides (tests and exports that read the window)."""
        while self._pending_stages:
            self._pending_stages.pop(0)()
        for plot in (self.plot, self.comparison_plot):
            plot.finish_glide()
        for view in (self.plot.graphics_view, self.comparison_plot.graphics_view, *self.metrics.views.values()):
            view.viewport().setUpdatesEnabled(True)

    def _draw_panels(self, frame: Frame) -> None:
        self.timeline_bar.set_length(len(self.timeline), self.scrub_index)
        self.timeline_bar.set_label(frame.step, self.scrub_index is None, self.recording is not None)
        self.metrics.refresh_numbers()
        if self.metrics.curves_due():
            self._pending_stages.extend(partial(self._draw_graph, graph) for graph in GRAPHS)
        self._update_status(frame)
        if not self.presentation_strip.isHidden():
            self.presentation_strip.show_losses(frame.primary)

    def _draw_graph(self, graph: str) -> None:
        paint_in_a_later_pass(self.metrics.views[graph])
        self.metrics.refresh_graph(graph)

    def _draw_plot(self, plot: FeaturePlot, snapshot, partner_bounds=None) -> None:
        paint_in_a_later_pass(plot.graphics_view)
        glide = glide_seconds(self._frame_interval) if self.running and self.scrub_index is None else 0.0
        plot.show_frame(snapshot.features[:, :2], snapshot.labels, snapshot.centers[:, :2], glide=glide,
                        partner_bounds=partner_bounds)
        plot.set_inspection_data(snapshot, self.info.probe_images if self.info else None)
        if self.controls.show_batch.isChecked() and snapshot.batch_features is not None:
            plot.set_batch(snapshot.batch_features[:, :2], snapshot.batch_labels)

    def _update_status(self, frame: Frame) -> None:
        self.status["step"].setText(f"step {frame.step:,}")
        self.status["epoch"].setText(f"epoch {frame.primary.epoch:.2f}")
        if self.running and frame.steps_per_second > 0:
            self.status["speed"].setText(f"{frame.steps_per_second:.1f} steps/s")
            self.status["images"].setText(f"{frame.images_per_second:,.0f} images/s")
        elif not self.running:
            self.status["speed"].setText("paused")
            self.status["images"].setText("")
