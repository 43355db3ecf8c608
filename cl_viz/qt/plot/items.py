"""The feature plot's other graphics items: class centers with trails, the grid, the legend swatch."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui

from cl_viz.qt.common.guard import guarded
from cl_viz.qt.common.pyqtgraph_private import ItemSample
from cl_viz.qt.plot.bounded_item import PaddedBoundsItem
from cl_viz.qt.plot.geometry import map_to_device, marker_radii, pixel_size
from cl_viz.qt.plot.theme import DIM_CENTER_OPACITY, SIZES, Theme, qcolor, trail_pen
from cl_viz.qt.plot.trails import TrailSprites

TRAIL_PIECES = 4
RADIUS_STEP = 0.5  # marker radii are rounded to this many pixels: a few sprites per class, not one per frame
SPRITES_KEPT = 400


class CentersItem(PaddedBoundsItem):
    """Class centers: big outlined markers, a name label each, and a fading trail.

    A marker is smaller than full size where its class is: no wider than the class's spread on screen
    (`set_spreads`) nor than half the way to the nearest other center, so that a tight cluster is not
    hidden under its own marker (see geometry.marker_radii)."""

    def __init__(self, trail_length: int = 40) -> None:
        super().__init__()
        self._trail_max = max(2, int(trail_length))
        self._names: list[QtGui.QStaticText] = []
        self._colors = np.zeros((0, 4), np.uint8)
        self._centers = np.zeros((0, 2))
        self._spreads = np.zeros(0)
        self._trail = np.zeros((0, 0, 2))
        self._trail_version = 0  # counts changes of _trail: the trail sprites keep what did not change
        self._highlight: int | None = None
        self._marker = SIZES.center
        self._smallest_marker = SIZES.center_smallest
        self._outline_width = SIZES.center_outline
        self._trail_width = SIZES.trail
        self._font = QtGui.QFont()
        self._text = QtGui.QColor("black")
        self._outline = QtGui.QColor("black")
        self._chip = QtGui.QColor("white")
        self._label_extent = 0.0  # pixels right of a center that its label chip may cover
        self._line_height = 0.0
        self._trail_sprites = TrailSprites()
        self._sprites: dict[tuple[int, float, float], tuple[QtGui.QPixmap, QtCore.QPointF]] = {}

    @property
    def trail_length(self) -> int:
        return len(self._trail)

    @property
    def centers(self) -> np.ndarray:
        return self._centers

    def set_classes(self, names: Sequence[str], colors: np.ndarray) -> None:
        self._names = [QtGui.QStaticText(str(name)) for name in names]
        self._colors = np.asarray(colors, np.uint8)
        self._centers = np.full((len(names), 2), np.nan)
        self._spreads = np.full(len(names), np.nan)
        self._set_trail(np.zeros((0, len(names), 2)))
        self._highlight = None
        self._restyle()

    def set_colors(self, colors: np.ndarray) -> None:
        self._colors = np.asarray(colors, np.uint8)
        self._restyle()

    def set_style(self, scale: float, font: QtGui.QFont, theme: Theme) -> None:
        self._marker = SIZES.center * scale
        self._smallest_marker = SIZES.center_smallest * scale
        self._outline_width = SIZES.center_outline * scale
        self._trail_width = SIZES.trail * scale
        self._font = font
        self._text = QtGui.QColor(theme.text)
        self._outline = qcolor(theme.outline)
        self._chip = qcolor(theme.chip)
        self._restyle()

    def _restyle(self) -> None:
        self._sprites.clear()
        for text in self._names:
            text.prepare(QtGui.QTransform(), self._font)
        widths = [text.size().width() for text in self._names]
        self._label_extent = self._marker / 2.0 + 16.0 + max(widths, default=0.0)
        self._line_height = QtGui.QFontMetricsF(self._font).height()
        self._geometry_changed()

    def set_highlight(self, k: int | None) -> None:
        self._highlight = k
        self.update()

    def set_centers(self, centers: np.ndarray) -> None:
        """Move the markers; the trail grows only when a center actually moved."""
        moved = len(self._trail) == 0 or not np.array_equal(centers, self._trail[-1], equal_nan=True)
        if moved:
            self._set_trail(np.concatenate([self._trail[-(self._trail_max - 1):], centers[None]]))
        self.show_at(centers)

    def set_spreads(self, spreads: np.ndarray) -> None:
        """How far each class's points lie from its center, in data units (NaN: no limit on its marker)."""
        self._spreads = np.asarray(spreads, dtype=np.float64)
        self.update()

    def shown_radii(self) -> np.ndarray:
        """The radius in pixels of each marker as the view shows it now (NaN: not drawn)."""
        view = self.getViewWidget()
        if view is None:
            return np.full(len(self._centers), np.nan)
        transform = self.deviceTransform(view.viewportTransform())
        radii = self._radii(transform, map_to_device(transform, self._centers))
        radii[~np.isfinite(self._centers).all(axis=1)] = np.nan
        return radii

    def _radii(self, transform: QtGui.QTransform, device_centers: np.ndarray) -> np.ndarray:
        pixels_per_unit = math.sqrt(abs(transform.determinant()))
        spreads = self._spreads if len(self._spreads) == len(device_centers) else np.full(len(device_centers), np.nan)
        with np.errstate(over="ignore", invalid="ignore"):
            spreads_px = spreads * pixels_per_unit
        return marker_radii(device_centers, spreads_px, self._marker / 2.0, self._smallest_marker / 2.0)

    def show_at(self, centers: np.ndarray) -> None:
        """Draw the markers at these positions, on the way to the newest ones of the trail (a glide):
        the trail then ends at the markers."""
        self._centers = centers
        self._geometry_changed()

    def set_trail(self, trail: np.ndarray) -> None:
        """Replace the whole trail (T, C, 2), newest last, and put the markers at its end (a view turned or
        changed: the same centers seen anew)."""
        self._set_trail(trail[-self._trail_max:])
        self.show_at(trail[-1] if len(trail) else np.full((len(self._names), 2), np.nan))

    def clear_trails(self) -> None:
        self._set_trail(self._trail[-1:] if len(self._trail) else self._trail)
        self._geometry_changed()

    def _set_trail(self, trail: np.ndarray) -> None:
        self._trail = trail
        self._trail_version += 1

    # geometry --------------------------------------------------------------
    def _finite_points(self) -> np.ndarray:
        pts = np.concatenate([self._trail.reshape(-1, 2), self._centers])
        return pts[np.isfinite(pts).all(axis=1)]

    @guarded(fallback=(None, None))
    def dataBounds(self, ax, frac=1.0, orthoRange=None):  # noqa: N802, N803 (pyqtgraph API)
        finite = self._centers[np.isfinite(self._centers).all(axis=1)]
        if len(finite) == 0:
            return (None, None)
        return (float(finite[:, ax].min()), float(finite[:, ax].max()))

    def _padded_rect(self) -> QtCore.QRectF:
        pts = self._finite_points()
        if len(pts) == 0:
            return QtCore.QRectF()
        px, py = pixel_size(self)
        left, right = px * self._marker, px * (self._marker + self._label_extent)
        pad_y = py * (self._marker + 2 * self._line_height)
        (x0, y0), (x1, y1) = pts.min(axis=0), pts.max(axis=0)
        return QtCore.QRectF(x0 - left, y0 - pad_y, x1 - x0 + left + right, y1 - y0 + 2 * pad_y)

    # painting --------------------------------------------------------------
    def _paint_order(self) -> list[int]:
        order = list(range(len(self._centers)))
        if self._highlight is not None and self._highlight in order:
            order.remove(self._highlight)
            order.append(self._highlight)
        return order

    def _opacity(self, k: int) -> float:
        return 1.0 if self._highlight in (None, k) else DIM_CENTER_OPACITY

    @guarded()
    def paint(self, painter, option, widget=None) -> None:
        if len(self._centers) == 0:
            return
        transform = painter.transform()
        history = self._trail.copy()
        if len(history):
            history[-1] = self._centers  # mid-glide the markers are not on the newest point yet
        trail = map_to_device(transform, history)
        centers = map_to_device(transform, self._centers)
        finite = np.isfinite(self._centers).all(axis=1)
        radii = self._radii(transform, np.where(finite[:, None], centers, np.nan))
        painter.resetTransform()
        painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
        order = self._paint_order()
        trails = [trail[np.isfinite(history[:, k]).all(axis=1), k] for k in order]
        vector = painter.paintEngine().type() == QtGui.QPaintEngine.Type.SVG
        if vector:
            for k, points in zip(order, trails):  # vector lines in an SVG, not thousands of bitmaps
                painter.setOpacity(self._opacity(k))
                self._paint_trail(painter, k, points)
        else:
            opacities = [self._opacity(k) for k in order]
            settled = (self._trail_version, tuple(order), tuple(opacities), _transform_key(transform))
            self._trail_sprites.paint(painter, trails, opacities, self._colors[order], self._outline,
                                      self._trail_width, settled_key=settled)
        dpr = painter.device().devicePixelRatioF()
        for k in order:
            if finite[k]:
                painter.setOpacity(self._opacity(k))
                radius = round(float(radii[k]) / RADIUS_STEP) * RADIUS_STEP
                if vector:
                    self._paint_marker(painter, k, centers[k], radius)
                else:  # a pre-rendered marker and label: ~10x cheaper than drawing them each frame
                    sprite, anchor = self._marker_sprite(k, dpr, radius)
                    corner = QtCore.QPoint(round(centers[k, 0] - anchor.x()), round(centers[k, 1] - anchor.y()))
                    painter.drawPixmap(corner, sprite)
        painter.setOpacity(1.0)

    def _marker_sprite(self, k: int, dpr: float, radius: float) -> tuple[QtGui.QPixmap, QtCore.QPointF]:
        """Class k's marker of this radius and its label chip as a pixmap, and where in it the center lies (cached)."""
        key = (k, dpr, radius)
        if key not in self._sprites:
            if len(self._sprites) >= SPRITES_KEPT:
                self._sprites.clear()
            pad = self._outline_width + 2.0
            size = self._names[k].size()
            anchor = QtCore.QPointF(radius + pad, max(radius, size.height() / 2.0 + 1.0) + pad)
            width = anchor.x() + radius + 4.0 + size.width() + 8.0 + pad
            image = QtGui.QImage(math.ceil(width * dpr), math.ceil(2 * anchor.y() * dpr),
                                 QtGui.QImage.Format.Format_ARGB32_Premultiplied)
            image.setDevicePixelRatio(dpr)
            image.fill(QtCore.Qt.GlobalColor.transparent)
            painter = QtGui.QPainter(image)
            painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
            self._paint_marker(painter, k, np.array([anchor.x(), anchor.y()]), radius)
            painter.end()
            self._sprites[key] = (QtGui.QPixmap.fromImage(image), anchor)
        return self._sprites[key]

    def _paint_trail(self, painter, k: int, pts: np.ndarray) -> None:
        """A polyline that fades toward its oldest end, drawn as a few solid-pen pieces of rising
        opacity (SVG export; on screen, trails.py draws the trails as sprites)."""
        if len(pts) < 2:
            return
        color = qcolor(self._colors[k])
        bounds = np.linspace(0, len(pts) - 1, TRAIL_PIECES + 1).round().astype(int)
        for piece, (first, last) in enumerate(zip(bounds[:-1], bounds[1:])):
            if last <= first:
                continue
            line = pg.functions.arrayToQPolygonF(pts[first:last + 1, 0], pts[first:last + 1, 1])
            fraction = (piece + 1) / TRAIL_PIECES
            if piece == TRAIL_PIECES - 1:  # a casing on the newest piece keeps it visible on its own cloud
                painter.setPen(trail_pen(self._outline, fraction, self._trail_width + 2.0))
                painter.drawPolyline(line)
            painter.setPen(trail_pen(color, fraction, self._trail_width))
            painter.drawPolyline(line)

    def _paint_marker(self, painter, k: int, center: np.ndarray, radius: float) -> None:
        x, y = float(center[0]), float(center[1])
        painter.setPen(QtGui.QPen(self._outline, min(self._outline_width, radius / 2.0)))
        painter.setBrush(qcolor(self._colors[k]))
        painter.drawEllipse(QtCore.QPointF(x, y), radius, radius)
        self._paint_label(painter, k, x + radius + 4.0, y)

    def _paint_label(self, painter, k: int, x: float, y: float) -> None:
        text = self._names[k]
        size = text.size()
        chip = QtCore.QRectF(x, y - size.height() / 2.0 - 1.0, size.width() + 8.0, size.height() + 2.0)
        painter.setPen(QtGui.QPen(qcolor(self._colors[k]), 1.0))
        painter.setBrush(self._chip)
        painter.drawRoundedRect(chip, 3.0, 3.0)
        painter.setPen(self._text)
        painter.setFont(self._font)
        painter.drawStaticText(QtCore.QPointF(x + 4.0, chip.top() + 1.0), text)


def _transform_key(transform: QtGui.QTransform) -> tuple[float, ...]:
    return (transform.m11(), transform.m12(), transform.m21(), transform.m22(), transform.dx(), transform.dy())


class ViewFillingItem(pg.GraphicsObject):
    """An item that paints over the whole visible view (grid lines, arrows scaled to the view)."""

    @guarded(fallback=QtCore.QRectF)
    def boundingRect(self) -> QtCore.QRectF:  # noqa: N802 (Qt override)
        rect = self.viewRect()
        return QtCore.QRectF() if rect is None else rect

    @guarded()
    def viewTransformChanged(self) -> None:  # noqa: N802 (Qt override)
        self.prepareGeometryChange()
        super().viewTransformChanged()


class GridItem(ViewFillingItem):
    """Major grid lines at the axes' tick values: 1 px, not antialiased.

    pyqtgraph's own grid (PlotItem.showGrid) draws every tick level into the axis pictures and
    costs ~10 ms per frame at 900 x 700 offscreen; this one costs well under a millisecond.
    """

    def __init__(self, bottom: pg.AxisItem, left: pg.AxisItem) -> None:
        super().__init__()
        self._axes = (bottom, left)
        self._pen = QtGui.QPen(QtGui.QColor(0, 0, 0, 30), 1.0)
        self._ticks_key: tuple | None = None
        self._ticks: tuple[list[float], list[float]] = ([], [])

    def set_color(self, color: QtGui.QColor) -> None:
        self._pen = QtGui.QPen(color, 1.0)
        self.update()

    def _major_ticks(self, axis: pg.AxisItem, low: float, high: float, pixels: float) -> list[float]:
        levels = axis.tickValues(low, high, pixels)
        return list(levels[0][1]) if levels else []

    @guarded()
    def paint(self, painter, option, widget=None) -> None:
        rect = self.viewRect()
        if rect is None or not rect.isValid():
            return
        to_device = painter.transform()
        device = to_device.mapRect(rect)
        if device.width() < 1 or device.height() < 1:
            return  # a plot squeezed to nothing (a short window, a collapsed splitter) has no grid
        key = (rect.getRect(), device.width(), device.height())
        if key != self._ticks_key:  # a paint without a range change (a glide) reuses the ticks
            self._ticks = (self._major_ticks(self._axes[0], rect.left(), rect.right(), device.width()),
                           self._major_ticks(self._axes[1], rect.top(), rect.bottom(), device.height()))
            self._ticks_key = key
        xs, ys = self._ticks
        painter.resetTransform()
        painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing, False)
        painter.setPen(self._pen)
        for x in xs:
            px = round(to_device.map(QtCore.QPointF(x, 0.0)).x())
            painter.drawLine(QtCore.QLineF(px, device.top(), px, device.bottom()))
        for y in ys:
            py = round(to_device.map(QtCore.QPointF(0.0, y)).y())
            painter.drawLine(QtCore.QLineF(device.left(), py, device.right(), py))


class ClassSample(ItemSample):
    """Legend swatch of one class: a filled circle. A click emits sigClicked(class index)."""

    def __init__(self, index: int, rgba, diameter: float) -> None:
        super().__init__(index)
        self._color = qcolor(rgba)
        self._diameter = diameter
        side = int(math.ceil(diameter + 8))
        self.setFixedWidth(side)
        self.setFixedHeight(side)

    @guarded(fallback=QtCore.QRectF)
    def boundingRect(self) -> QtCore.QRectF:  # noqa: N802 (Qt override)
        return QtCore.QRectF(0, 0, self.width(), self.height())

    @guarded()
    def paint(self, painter, *args) -> None:
        painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
        painter.setPen(QtCore.Qt.PenStyle.NoPen)
        painter.setBrush(self._color)
        radius = self._diameter / 2.0
        painter.drawEllipse(QtCore.QPointF(self.width() / 2.0, self.height() / 2.0), radius, radius)

    @guarded()
    def mouseClickEvent(self, event) -> None:  # noqa: N802 (pyqtgraph override)
        event.accept()
        self.sigClicked.emit(self.item)
