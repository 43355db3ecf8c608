"""A feature plot's axes, and plots that share theirs.

`PlotAxes` belongs to one plot: in follow mode each new frame steps the range toward the robust
bounds of the plot's data (a glide, so the view never jumps); in fixed mode the range stays put, so
growing softmax feature norms stay visible. A mouse pan or zoom switches to fixed.

`AxesLink` makes plots share their axes (the comparison, the λ grid, a comparison export): a pan or
zoom of one is copied to the others; in follow mode the leader steps toward the union of every
member's data and each follower takes the leader's range when it draws its own next frame. Unlike
pyqtgraph's setXLink, a frame of one plot never repaints another, so plots can be drawn on different
ticks of the window's timer.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pyqtgraph as pg

from cl_viz.qt.plot.geometry import union_bounds

if TYPE_CHECKING:
    from cl_viz.qt.plot.feature_plot import FeaturePlot

AXIS_MODES = ("follow", "fixed")
FOLLOW_DEADBAND_PX = 2.0  # follow mode leaves the range alone for steps smaller than this
MATCH_DEADBAND_PX = 0.5  # a follower leaves its range alone when the leader's differs by less


class PlotAxes:
    """The axis mode and range of one plot's view box."""

    def __init__(self, view_box: pg.ViewBox, data_bounds: Callable[[], np.ndarray | None],
                 mode_changed: Callable[[str], None], follow_fraction: float = 0.2) -> None:
        if not 0.0 < follow_fraction <= 1.0:
            raise ValueError(f"follow_fraction must be in (0, 1], got {follow_fraction}")
        self._view_box = view_box
        self._data_bounds = data_bounds
        self._mode_changed = mode_changed
        self._follow_fraction = float(follow_fraction)
        self._mode = "follow"
        self._snap_next = True
        self.link: AxesLink | None = None

    @property
    def mode(self) -> str:
        return self._mode

    def set_mode(self, mode: str) -> None:
        """"follow": glide towards the robust data bounds each frame; "fixed": leave the range alone."""
        if mode not in AXIS_MODES:
            raise ValueError(f"axis mode must be one of {AXIS_MODES}, got {mode!r}")
        if mode != self._mode:
            self._mode = mode
            self._mode_changed(mode)

    def view_range(self) -> np.ndarray:
        """Current [[xmin, xmax], [ymin, ymax]] of the view."""
        return np.array(self._view_box.viewRange(), dtype=np.float64)

    def set_fixed_range(self, xmin: float, xmax: float, ymin: float, ymax: float) -> None:
        """Switch to fixed mode with this range (widened on one axis to keep the 1:1 aspect)."""
        values = np.array([xmin, xmax, ymin, ymax], dtype=np.float64)
        if not np.isfinite(values).all() or xmin >= xmax or ymin >= ymax:
            raise ValueError(f"invalid range {values.tolist()}")
        self.set_mode("fixed")
        self._view_box.setRange(xRange=(xmin, xmax), yRange=(ymin, ymax), padding=0)

    def snap_next(self) -> None:
        """The next frame in follow mode jumps to its data instead of gliding (new data, a new run)."""
        self._snap_next = True

    def follow_bounds(self) -> np.ndarray | None:
        """[[xmin, xmax], [ymin, ymax]] that follow mode steers toward for this plot's own data."""
        return self._data_bounds()

    def step(self, partner_bounds: np.ndarray | None = None) -> None:
        """One frame's step of follow mode. A linked leader steers toward every member's data:
        `partner_bounds` for members whose frame of the same step is drawn after this one."""
        if self._mode != "follow":
            return
        if self.link is not None and not self.link.leads(self):
            self.match(self.link.leader.axes)
            return
        target = self.follow_bounds()
        if self.link is not None:
            others = self.link.others_bounds(self) if partner_bounds is None else [partner_bounds]
            target = union_bounds([target, *others])
        if target is None:
            return
        if self._snap_next:
            self._snap_next = False
            new = target
        else:
            current = self.view_range()
            new = current + self._follow_fraction * (target - current)
            if self._below_pixels(new - current, FOLLOW_DEADBAND_PX):
                return  # about converged: a change of a pixel or two is not worth re-laying out the axes
        self._view_box.setRange(xRange=new[0], yRange=new[1], padding=0)

    def match(self, other: PlotAxes) -> None:
        """Take another plot's range now (a follower does this on each of its frames)."""
        new = other.view_range()
        if not self._below_pixels(new - self.view_range(), MATCH_DEADBAND_PX):
            self._view_box.setRange(xRange=new[0], yRange=new[1], padding=0)

    def moved_by_hand(self) -> None:
        """A mouse pan or zoom: fixed from now on, and copied to linked plots."""
        self.set_mode("fixed")
        if self.link is not None:
            self.link.copy_range_from(self)

    def _below_pixels(self, delta: np.ndarray, pixels: float) -> bool:
        pixel_w, pixel_h = self._view_box.viewPixelSize()
        return bool((np.abs(delta[0]) < pixels * pixel_w).all() and (np.abs(delta[1]) < pixels * pixel_h).all())


class AxesLink:
    """Plots sharing their axes; the first one leads in follow mode. `unlink` undoes it."""

    def __init__(self, plots: Sequence[FeaturePlot]) -> None:
        if len(plots) < 2:
            raise ValueError("a link needs at least two plots")
        self.plots = tuple(plots)
        for plot in self.plots:
            if plot.axes.link is not None:
                plot.axes.link.unlink()
            plot.axes.link = self
        for follower in self.plots[1:]:
            follower.axes.match(self.leader.axes)

    @property
    def leader(self) -> FeaturePlot:
        return self.plots[0]

    def leads(self, axes: PlotAxes) -> bool:
        return axes is self.leader.axes

    def others_bounds(self, axes: PlotAxes) -> list[np.ndarray | None]:
        return [plot.axes.follow_bounds() for plot in self.plots if plot.axes is not axes]

    def union_of_data(self) -> np.ndarray | None:
        """The union of every member's follow bounds (None: no data anywhere)."""
        return union_bounds([plot.axes.follow_bounds() for plot in self.plots])

    def set_fixed_range(self, xmin: float, xmax: float, ymin: float, ymax: float) -> None:
        """One fixed range for every member."""
        for plot in self.plots:
            plot.axes.set_fixed_range(xmin, xmax, ymin, ymax)

    def copy_range_from(self, source: PlotAxes) -> None:
        (xmin, xmax), (ymin, ymax) = source.view_range()
        for plot in self.plots:
            if plot.axes is not source:
                plot.axes.set_fixed_range(xmin, xmax, ymin, ymax)

    def unlink(self) -> None:
        for plot in self.plots:
            if plot.axes.link is self:
                plot.axes.link = None
