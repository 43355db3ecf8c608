"""The feature plot's axes: follow mode (a glide toward the robust data bounds), fixed mode, and
two plots that share their axes. A mixin of FeaturePlot, which provides view_box, view_range,
axis_mode_changed and the drawn points and centers."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from PySide6 import QtCore

from cl_viz.qt.plot.geometry import robust_bounds
from cl_viz.qt.common.guard import guarded

if TYPE_CHECKING:
    from cl_viz.qt.plot.feature_plot import FeaturePlot

AXIS_MODES = ("follow", "fixed")
FOLLOW_DEADBAND_PX = 2.0  # follow mode leaves the range alone for steps smaller than this


class FollowAxesMixin:
    """Axis modes and linked axes of a FeaturePlot."""

    def set_axis_mode(self, mode: str) -> None:
        """"follow": glide towards the robust data bounds each frame; "fixed": leave the range alone."""
        if mode not in AXIS_MODES:
            raise ValueError(f"axis mode must be one of {AXIS_MODES}, got {mode!r}")
        if mode != self._axis_mode:
            self._axis_mode = mode
            self.axis_mode_changed.emit(mode)

    def set_fixed_range(self, xmin: float, xmax: float, ymin: float, ymax: float) -> None:
        """Switch to fixed mode with this range (widened on one axis to keep the 1:1 aspect)."""
        values = np.array([xmin, xmax, ymin, ymax], dtype=np.float64)
        if not np.isfinite(values).all() or xmin >= xmax or ymin >= ymax:
            raise ValueError(f"invalid range {values.tolist()}")
        self.set_axis_mode("fixed")
        self.view_box.setRange(xRange=(xmin, xmax), yRange=(ymin, ymax), padding=0)

    def set_grid_visible(self, visible: bool) -> None:
        self._grid.setVisible(bool(visible))

    def set_aspect_locked(self, locked: bool) -> None:
        """1:1 data aspect (default) keeps angles and norms honest; unlock to fill the widget."""
        self.view_box.setAspectLocked(bool(locked))

    @QtCore.Slot()
    @guarded()
    def _apply_range_now(self) -> None:
        self.view_box.updateMatrix()

    @QtCore.Slot(object)
    @guarded()
    def _on_range_changed_manually(self, _mask) -> None:
        self.set_axis_mode("fixed")
        if self._axes_partner is not None:
            self._axes_partner.set_fixed_range(*self.view_range().ravel())

    def _step_follow(self, partner_bounds: np.ndarray | None = None) -> None:
        if self._axis_mode != "follow":
            return
        if self._axes_partner is not None and not self._leads_axes:
            self.match_partner_range()
            return
        target = self.follow_bounds()
        if self._axes_partner is not None:
            partner = self._axes_partner.follow_bounds() if partner_bounds is None else partner_bounds
            if target is None or partner is None:
                target = target if partner is None else partner
            else:
                target = np.stack([np.minimum(target[:, 0], partner[:, 0]), np.maximum(target[:, 1], partner[:, 1])],
                                  axis=1)
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
        self.view_box.setRange(xRange=new[0], yRange=new[1], padding=0)

    def follow_bounds(self) -> np.ndarray | None:
        """[[xmin, xmax], [ymin, ymax]] that follow mode steers toward for this plot's own data."""
        return robust_bounds(self._points.positions, self._centers.centers)

    def link_axes(self, partner: FeaturePlot | None, lead: bool = True) -> None:
        """Share axes with `partner` (None: unlink); call it on both plots, one leading.

        A pan or zoom of either plot is copied to the other. In follow mode the leading plot glides
        toward the union of both plots' data and the other takes the leader's range when it draws
        its own next frame. Unlike pyqtgraph's setXLink, a frame of one plot never repaints the other,
        so the two plots can be drawn on different timer ticks.
        """
        self._axes_partner = partner
        self._leads_axes = bool(lead)

    def match_partner_range(self) -> None:
        """Take the linked partner's range now (a follower does this on each of its frames)."""
        if self._axes_partner is None:
            return
        new = self._axes_partner.view_range()
        if not self._below_pixels(new - self.view_range(), 0.5):
            self.view_box.setRange(xRange=new[0], yRange=new[1], padding=0)

    @property
    def axes_partner(self) -> FeaturePlot | None:
        return self._axes_partner

    def _below_pixels(self, delta: np.ndarray, pixels: float) -> bool:
        pixel_w, pixel_h = self.view_box.viewPixelSize()
        return bool((np.abs(delta[0]) < pixels * pixel_w).all() and (np.abs(delta[1]) < pixels * pixel_h).all())
