"""The unit circle and sphere views of the feature plot: their guide lines, class directions and mouse turning.

`SphereGuideItem` draws, in data coordinates, the unit circle (the sphere's outline in 3-D), faint
projected great circles in 3-D (the equator and two meridians, their far halves fainter), and each
class's direction W_j/‖W_j‖ as a spoke from the origin to the circle or sphere. `TurningViewBox`
turns the sphere on a left drag instead of panning, when a handler is set.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui

from cl_viz.core.projection import Rotation, directions_or_nan
from cl_viz.qt.common.guard import guarded
from cl_viz.qt.plot.geometry import map_to_device
from cl_viz.qt.plot.theme import qcolor

CIRCLE_POINTS = 180
GUIDE_Z = -0.5  # above the grid (-1), below the points (0)
OUTLINE_ALPHA, NEAR_ALPHA, FAR_ALPHA = 150, 70, 28
SPOKE_WIDTH = 2.0  # pixels
SPOKE_TIP = 4.0  # radius in pixels of the dot where a spoke meets the sphere
FAR_SPOKE_OPACITY = 0.35
PAD = 1.1  # the item's bounds: the unit disk and a margin for the pens

_ANGLES = np.linspace(0.0, 2.0 * np.pi, CIRCLE_POINTS + 1)
_COS, _SIN, _ZERO = np.cos(_ANGLES), np.sin(_ANGLES), np.zeros(CIRCLE_POINTS + 1)
GREAT_CIRCLES = (  # the equator (the plane of the first and third features) and two meridians
    np.column_stack([_COS, _ZERO, _SIN]), np.column_stack([_COS, _SIN, _ZERO]), np.column_stack([_ZERO, _COS, _SIN]))


def spoke_tips(weight, rotation: Rotation | None) -> tuple[np.ndarray, np.ndarray]:
    """(tips (C, 2), depth (C,)) of each class direction W_j/‖W_j‖ (NaN: no direction); depth 0 in 2-D."""
    w = np.asarray(weight, dtype=np.float64) if weight is not None else np.zeros((0, 2))
    if w.ndim != 2 or w.shape[1] not in (2, 3):
        return np.zeros((0, 2)), np.zeros(0)
    units = directions_or_nan(w)
    if w.shape[1] == 2 or rotation is None:
        return units[:, :2], np.zeros(len(units))
    return rotation.project(units)


class SphereGuideItem(pg.GraphicsObject):
    """Unit circle, great circles and class spokes; hidden in the plain 2-D view."""

    def __init__(self) -> None:
        super().__init__()
        self._rotation: Rotation | None = None
        self._weight = None
        self._colors = np.zeros((0, 4), np.uint8)
        self._ink = QtGui.QColor("black")
        self.setZValue(GUIDE_Z)
        self.setVisible(False)

    def set_view(self, shown: bool, rotation: Rotation | None) -> None:
        """Show the circle view (`rotation` None) or the sphere seen through `rotation`, or hide."""
        self._rotation = rotation
        self.setVisible(shown)
        self.update()

    def set_weight(self, weight) -> None:
        """The classifier weights (C, D), as the snapshot has them."""
        self._weight = weight
        self.update()

    def set_style(self, colors: np.ndarray, ink) -> None:
        self._colors, self._ink = np.asarray(colors, np.uint8), QtGui.QColor(ink)
        self.update()

    def tips(self) -> tuple[np.ndarray, np.ndarray]:
        """Where the spokes end now, in data coordinates, and their depth."""
        return spoke_tips(self._weight, self._rotation)

    @guarded(fallback=QtCore.QRectF)
    def boundingRect(self) -> QtCore.QRectF:  # noqa: N802 (Qt override)
        return QtCore.QRectF(-PAD, -PAD, 2 * PAD, 2 * PAD)

    @guarded()
    def paint(self, painter, option, widget=None) -> None:
        transform = painter.transform()
        painter.resetTransform()
        painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
        painter.setBrush(QtCore.Qt.BrushStyle.NoBrush)
        if self._rotation is not None:
            for circle in GREAT_CIRCLES:
                self._paint_great_circle(painter, transform, circle)
        outline = map_to_device(transform, np.column_stack([_COS, _SIN]))
        painter.setPen(QtGui.QPen(self._ink_at(OUTLINE_ALPHA), 1.5))
        painter.drawPolyline(pg.functions.arrayToQPolygonF(outline[:, 0], outline[:, 1]))
        self._paint_spokes(painter, transform)

    def _ink_at(self, alpha: int) -> QtGui.QColor:
        color = QtGui.QColor(self._ink)
        color.setAlpha(alpha)
        return color

    def _paint_great_circle(self, painter, transform, circle: np.ndarray) -> None:
        xy, depth = self._rotation.project(circle)
        device = map_to_device(transform, xy)
        for near, alpha, style in ((False, FAR_ALPHA, QtCore.Qt.PenStyle.DashLine),
                                   (True, NEAR_ALPHA, QtCore.Qt.PenStyle.SolidLine)):
            pen = QtGui.QPen(self._ink_at(alpha), 1.0)
            pen.setStyle(style)
            painter.setPen(pen)
            side = (depth >= 0) == near
            for run in _runs(side):
                part = device[run]
                painter.drawPolyline(pg.functions.arrayToQPolygonF(part[:, 0], part[:, 1]))

    def _paint_spokes(self, painter, transform) -> None:
        tips, depth = self.tips()
        if len(tips) == 0 or len(self._colors) < len(tips):
            return
        origin = map_to_device(transform, np.zeros((1, 2)))[0]
        device = map_to_device(transform, np.where(np.isfinite(tips), tips, 0.0))
        for k in np.argsort(depth, kind="stable"):  # far spokes first
            if not np.isfinite(tips[k]).all():
                continue
            painter.setOpacity(1.0 if depth[k] >= 0 else FAR_SPOKE_OPACITY)
            color = qcolor(self._colors[k], 255)
            pen = QtGui.QPen(color, SPOKE_WIDTH)
            pen.setCapStyle(QtCore.Qt.PenCapStyle.RoundCap)
            painter.setPen(pen)
            painter.drawLine(QtCore.QPointF(*origin), QtCore.QPointF(*device[k]))
            painter.setPen(QtGui.QPen(self._ink, 1.0))
            painter.setBrush(color)
            painter.drawEllipse(QtCore.QPointF(*device[k]), SPOKE_TIP, SPOKE_TIP)
        painter.setOpacity(1.0)


def _runs(mask: np.ndarray) -> list[slice]:
    """The slices of consecutive True entries of a 1-D mask, each at least two long."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], mask.astype(np.int8), [0]])))
    return [slice(start, stop) for start, stop in zip(edges[::2], edges[1::2]) if stop - start >= 2]


class TurningViewBox(pg.ViewBox):
    """A ViewBox whose left drag calls `turn(dx, dy)` in screen pixels instead of panning, while `turn` is set."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.turn: Callable[[float, float], None] | None = None

    @guarded()
    def mouseDragEvent(self, ev, axis=None) -> None:  # noqa: N802 (pyqtgraph override)
        if self.turn is None or axis is not None or ev.button() != QtCore.Qt.MouseButton.LeftButton:
            super().mouseDragEvent(ev, axis)
            return
        ev.accept()
        delta = ev.screenPos() - ev.lastScreenPos()
        self.turn(delta.x(), delta.y())
