"""FeaturePlot: the live 2-D deep features of a probe set, the class centers and their trails.

GUI thread only. A timer calls `show_frame` with the latest snapshot (~30 fps), so a frame must
cost a few milliseconds even at 60,000 points. `pg.ScatterPlotItem.setData` spends ~45 ms (10k)
to ~340 ms (60k) per call in per-point Python work, so the points are drawn by `SpriteCloudItem`:
one pre-rendered sprite per class in a small atlas, and one `QPainter.drawPixmapFragments` call
whose fragment table is a numpy array (the technique ScatterPlotItem uses in its own paint).
A frame only gathers the finite rows into draw order; paint maps them to device pixels in numpy.
Non-finite rows and unknown labels are dropped before anything reaches Qt.
See benchmarks/plot_frame_time.py for the measured frame times.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
import shiboken6
from pyqtgraph.graphicsItems.LegendItem import ItemSample
from PySide6 import QtCore, QtGui, QtWidgets

from cl_viz.qt.palette import class_colors

AXIS_MODES = ("follow", "fixed")
PIXEL_LIMIT = 1.0e6  # device coordinates are clipped to ±this before they reach Qt
FOLLOW_SAMPLE = 8192  # at most this many points feed the robust bounds of follow mode
FOLLOW_PERCENTILES = (0.5, 99.5)
FOLLOW_PADDING = 0.08  # fraction of the robust span added on each side
DIM_MIX = 0.8  # points of the classes that are not highlighted: 80 % background colour
DIM_CENTER_OPACITY = 0.3
TRAIL_ALPHA = 230  # alpha of the newest end of a center trail; the oldest end is transparent


@dataclass(frozen=True)
class Theme:
    """Colours of one plot theme (Qt colour strings or RGBA tuples)."""

    background: str
    text: str
    axis: str
    outline: tuple[int, int, int, int]  # center marker outline
    chip: tuple[int, int, int, int]  # background of center labels and of the legend
    grid: tuple[int, int, int, int]


THEMES = {
    "light": Theme("#FFFFFF", "#262626", "#7A7A7A", (26, 26, 26, 255), (255, 255, 255, 215),
                   (0, 0, 0, 28)),
    "dark": Theme("#1C1F24", "#E6E6E6", "#9AA0A6", (255, 255, 255, 255), (28, 31, 36, 215),
                  (255, 255, 255, 26)),
}


@dataclass(frozen=True)
class Sizes:
    """Pixel sizes at marker scale 1 (presentation mode multiplies them)."""

    point: float = 4.0
    batch: float = 8.0
    batch_ring: float = 1.5
    point_alpha: int = 170
    center: float = 14.0
    center_outline: float = 1.6
    trail: float = 2.0
    label_pt: float = 9.0
    legend_pt: float = 9.0
    legend_marker: float = 10.0
    tick_pt: float = 9.0
    title_pt: float = 11.0


SIZES = Sizes()


# --------------------------------------------------------------------------- data cleaning


def clean_points(features, labels, n_classes: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (xy float64 (N,2), labels int64 (N,), valid bool (N,)); invalid rows are masked out."""
    xy = np.asarray(features, dtype=np.float64)
    if xy.ndim != 2 or xy.shape[1] != 2:
        raise ValueError(f"features must have shape (N, 2), got {xy.shape}")
    lab = np.asarray(labels)
    if lab.shape != (len(xy),):
        raise ValueError(f"labels must have shape ({len(xy)},), got {lab.shape}")
    valid = finite_rows(xy)
    if lab.dtype.kind == "f":
        finite = np.isfinite(lab)
        valid &= finite & (lab == np.round(lab))
        lab = np.clip(np.where(finite, lab, -1.0), -1, n_classes).astype(np.int64)
    elif lab.dtype.kind in "iub":
        lab = lab.astype(np.int64, copy=False)
    else:
        raise ValueError(f"labels must be integers, got dtype {lab.dtype}")
    valid &= (lab >= 0) & (lab < n_classes)
    return xy, lab, valid


def finite_rows(xy: np.ndarray) -> np.ndarray:
    """Boolean mask of the rows of an (N, 2) array whose two values are finite."""
    finite = np.isfinite(xy)
    if finite.all():  # the common case, ~40x faster than .all(axis=1) on (N, 2)
        return np.ones(len(xy), dtype=bool)
    return finite[:, 0] & finite[:, 1]


def column_bounds(xy: np.ndarray) -> np.ndarray:
    """[[xmin, xmax], [ymin, ymax]] of a non-empty (N, 2) array (per column: axis=0 is slow)."""
    x, y = xy[:, 0], xy[:, 1]
    return np.array([[x.min(), x.max()], [y.min(), y.max()]])


def clean_centers(centers, n_classes: int) -> np.ndarray:
    """Return centers as float64 (C,2); non-finite rows become NaN (not drawn)."""
    ctr = np.array(centers, dtype=np.float64)
    if ctr.shape != (n_classes, 2):
        raise ValueError(f"centers must have shape ({n_classes}, 2), got {ctr.shape}")
    ctr[~finite_rows(ctr)] = np.nan
    return ctr


def robust_bounds(xy: np.ndarray, extra: np.ndarray) -> np.ndarray | None:
    """Padded [[xmin, xmax], [ymin, ymax]] of the 0.5–99.5 percentiles of xy, joined with extra."""
    step = max(1, len(xy) // FOLLOW_SAMPLE)
    sample = xy[::step]
    parts = []
    if len(sample):
        parts.append(np.percentile(sample, FOLLOW_PERCENTILES, axis=0))
    finite_extra = extra[finite_rows(extra)]
    if len(finite_extra):
        parts.append(np.stack([finite_extra.min(axis=0), finite_extra.max(axis=0)]))
    if not parts:
        return None
    stacked = np.concatenate(parts)
    lo, hi = stacked.min(axis=0), stacked.max(axis=0)
    scale = np.maximum(np.abs(lo), np.abs(hi)).max()
    span = np.maximum(hi - lo, max(1e-6, 1e-3 * scale))
    mid = (lo + hi) / 2
    half = span * (0.5 + FOLLOW_PADDING)
    return np.stack([mid - half, mid + half], axis=1)


# --------------------------------------------------------------------------- painting helpers


def map_to_device(transform: QtGui.QTransform, xy: np.ndarray) -> np.ndarray:
    """Map (..., 2) data coordinates with an affine QTransform; clipped and finite."""
    linear = np.array([[transform.m11(), transform.m12()], [transform.m21(), transform.m22()]])
    with np.errstate(over="ignore", invalid="ignore"):
        out = xy @ linear
        out += (transform.m31(), transform.m32())
    np.clip(out, -PIXEL_LIMIT, PIXEL_LIMIT, out=out)
    return out


def qcolor(rgba, alpha: int | None = None) -> QtGui.QColor:
    """QColor from an RGBA sequence, optionally replacing its alpha."""
    r, g, b, a = (int(v) for v in rgba)
    return QtGui.QColor(r, g, b, a if alpha is None else alpha)


def dimmed(rgba, background: QtGui.QColor) -> QtGui.QColor:
    """A class colour faded towards the background (highlight mode's other classes)."""
    r, g, b, a = (int(v) for v in rgba)
    return QtGui.QColor(
        round(r + (background.red() - r) * DIM_MIX),
        round(g + (background.green() - g) * DIM_MIX),
        round(b + (background.blue() - b) * DIM_MIX),
        a,
    )


def render_atlas(colors: np.ndarray, size: float, ring: float, dpr: float,
                 background: QtGui.QColor) -> tuple[QtGui.QPixmap, int]:
    """One sprite per colour side by side: row 0 normal, row 1 dimmed; a dot, or a ring if ring > 0.

    Dimming by colour rather than by opacity keeps a dense dimmed cluster pale: overlapping
    translucent sprites would otherwise add up to the full colour again.
    """
    cell = int(math.ceil((size + 1.0) * dpr))  # the antialiased edge fits; smaller cells blend faster
    image = QtGui.QImage(cell * len(colors), 2 * cell, QtGui.QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(QtCore.Qt.GlobalColor.transparent)
    painter = QtGui.QPainter(image)
    painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
    radius = (size - ring) * dpr / 2.0
    for row in (0, 1):
        for k, rgba in enumerate(colors):
            color = qcolor(rgba) if row == 0 else dimmed(rgba, background)
            center = QtCore.QPointF(k * cell + cell / 2.0, row * cell + cell / 2.0)
            if ring > 0:
                painter.setPen(QtGui.QPen(color, ring * dpr))
                painter.setBrush(QtCore.Qt.BrushStyle.NoBrush)
            else:
                painter.setPen(QtCore.Qt.PenStyle.NoPen)
                painter.setBrush(color)
            painter.drawEllipse(center, radius, radius)
    painter.end()
    return QtGui.QPixmap.fromImage(image), cell


def fading_pen(start: QtCore.QPointF, end: QtCore.QPointF, color: QtGui.QColor, width: float) -> QtGui.QPen:
    """A round-capped pen whose colour fades from transparent at `start` to opaque at `end`."""
    gradient = QtGui.QLinearGradient(start, end)
    gradient.setColorAt(0.0, QtGui.QColor(color.red(), color.green(), color.blue(), 0))
    gradient.setColorAt(1.0, QtGui.QColor(color.red(), color.green(), color.blue(), TRAIL_ALPHA))
    pen = QtGui.QPen(QtGui.QBrush(gradient), width)
    pen.setCapStyle(QtCore.Qt.PenCapStyle.RoundCap)
    pen.setJoinStyle(QtCore.Qt.PenJoinStyle.RoundJoin)
    return pen


def pixel_size(item: pg.GraphicsObject) -> tuple[float, float]:
    """Length of one screen pixel in the item's x and y data units (0 before it is shown)."""
    px, py = item.pixelVectors()
    if px is None or py is None:
        return 0.0, 0.0
    return px.length(), py.length()


# --------------------------------------------------------------------------- graphics items


class SpriteCloudItem(pg.GraphicsObject):
    """Many points, one class-coloured sprite each, painted by one drawPixmapFragments call.

    The fragment table (x, y, source rect, scale, rotation, opacity per point) is rebuilt only
    when N, the labels or the finite mask change (a highlight permutes it); a normal frame only
    gathers the new positions. Points keep a fixed pixel size whatever the zoom.
    """

    def __init__(self, ring: float = 0.0) -> None:
        super().__init__()
        self._ring = ring
        self._size = SIZES.point
        self._colors = np.zeros((0, 4), np.uint8)
        self._background = QtGui.QColor("white")
        self._highlight: int | None = None
        self._atlas: QtGui.QPixmap | None = None
        self._atlas_dpr = 0.0
        self._cell = 0
        self._sprites_stale = True
        self._labels_key: np.ndarray | None = None
        self._valid_key: np.ndarray | None = None
        self._take = np.zeros(0, np.intp)
        self._draw_labels = np.zeros(0, np.int64)
        self._xy = np.zeros((0, 2))
        self._frags = np.zeros((0, 10))
        self._bounds: np.ndarray | None = None
        self._rect_cache: QtCore.QRectF | None = None

    # state ---------------------------------------------------------------
    @property
    def positions(self) -> np.ndarray:
        """The drawn (finite) points in draw order, data coordinates; read-only view."""
        view = self._xy.view()
        view.flags.writeable = False
        return view

    @property
    def drawn_labels(self) -> np.ndarray:
        return self._draw_labels

    def set_style(self, colors: np.ndarray, size: float, background: QtGui.QColor,
                  ring: float | None = None) -> None:
        self._colors = np.asarray(colors, np.uint8)
        self._background = QtGui.QColor(background)
        self._size = float(size)
        if ring is not None:
            self._ring = float(ring)
        self._atlas = None
        self._geometry_changed()

    def set_highlight(self, k: int | None) -> None:
        """Dim all classes but k and paint k last; positions are reordered, not re-gathered."""
        self._highlight = k
        order = self._draw_order(self._take, self._draw_labels)
        self._take, self._draw_labels, self._xy = self._take[order], self._draw_labels[order], self._xy[order]
        self._sprites_stale = True
        self.update()

    def _draw_order(self, take: np.ndarray, labels: np.ndarray) -> np.ndarray:
        """Permutation to data order, with the highlighted class (if any) moved to the end."""
        if self._highlight is None:
            return np.argsort(take, kind="stable")
        return np.lexsort((take, labels == self._highlight))

    def clear(self) -> None:
        self._labels_key = self._valid_key = None
        self._take = np.zeros(0, np.intp)
        self._draw_labels = np.zeros(0, np.int64)
        self._xy = np.zeros((0, 2))
        self._frags = np.zeros((0, 10))
        self._set_bounds(None)

    def set_points(self, xy: np.ndarray, labels: np.ndarray, valid: np.ndarray) -> None:
        """New positions; rebuilds the fragment table only when N, labels or the mask change."""
        if self._needs_rebuild(labels, valid):
            self._rebuild(labels, valid)
        self._xy = np.take(xy, self._take, axis=0)
        self._set_bounds(column_bounds(self._xy) if len(self._xy) else None)

    def _needs_rebuild(self, labels: np.ndarray, valid: np.ndarray) -> bool:
        return (
            self._labels_key is None
            or len(labels) != len(self._labels_key)
            or not np.array_equal(valid, self._valid_key)
            or not np.array_equal(labels, self._labels_key)
        )

    def _rebuild(self, labels: np.ndarray, valid: np.ndarray) -> None:
        self._labels_key, self._valid_key = labels.copy(), valid.copy()
        take = np.flatnonzero(valid)
        drawn = labels[take]
        if self._highlight is not None:
            order = self._draw_order(take, drawn)
            take, drawn = take[order], drawn[order]
        self._take, self._draw_labels = take, drawn
        self._frags = np.zeros((len(take), 10))
        self._sprites_stale = True

    def _fill_sprite_columns(self) -> None:
        frags = self._frags
        frags[:, 2] = self._draw_labels * self._cell  # source x, y, w, h in atlas pixels
        frags[:, 3] = 0.0
        if self._highlight is not None:
            frags[self._draw_labels != self._highlight, 3] = self._cell  # the dimmed row
        frags[:, 4:6] = self._cell
        frags[:, 6:8] = 1.0 / self._atlas_dpr  # scale x, y
        frags[:, 8] = 0.0  # rotation
        frags[:, 9] = 1.0  # opacity
        self._sprites_stale = False

    # geometry --------------------------------------------------------------
    def _set_bounds(self, bounds: np.ndarray | None) -> None:
        self._bounds = bounds
        self._geometry_changed()

    def _geometry_changed(self) -> None:
        self.prepareGeometryChange()
        self._rect_cache = None
        self.update()

    def viewTransformChanged(self) -> None:  # noqa: N802 (Qt override)
        self._geometry_changed()
        super().viewTransformChanged()

    def dataBounds(self, ax, frac=1.0, orthoRange=None):  # noqa: N802, N803 (pyqtgraph API)
        if self._bounds is None:
            return (None, None)
        return tuple(float(v) for v in self._bounds[ax])

    def boundingRect(self) -> QtCore.QRectF:  # noqa: N802 (Qt override)
        if self._rect_cache is None:
            self._rect_cache = self._padded_rect()
        return self._rect_cache

    def _padded_rect(self) -> QtCore.QRectF:
        if self._bounds is None:
            return QtCore.QRectF()
        px, py = pixel_size(self)
        pad_x, pad_y = px * (self._size + 2), py * (self._size + 2)
        (x0, x1), (y0, y1) = self._bounds
        return QtCore.QRectF(x0 - pad_x, y0 - pad_y, x1 - x0 + 2 * pad_x, y1 - y0 + 2 * pad_y)

    # painting --------------------------------------------------------------
    def _ensure_atlas(self, dpr: float) -> None:
        if self._atlas is None or dpr != self._atlas_dpr:
            self._atlas, self._cell = render_atlas(self._colors, self._size, self._ring, dpr,
                                                   self._background)
            self._atlas_dpr = dpr
            self._sprites_stale = True

    def paint(self, painter, option, widget=None) -> None:
        count = len(self._xy)
        if count == 0 or len(self._colors) == 0:
            return
        self._ensure_atlas(painter.device().devicePixelRatioF())
        if self._sprites_stale:
            self._fill_sprite_columns()
        self._frags[:, 0:2] = map_to_device(painter.transform(), self._xy)
        painter.resetTransform()
        first = shiboken6.wrapInstance(self._frags.ctypes.data, QtGui.QPainter.PixmapFragment)
        painter.drawPixmapFragments(first, count, self._atlas)


class CentersItem(pg.GraphicsObject):
    """Class centers: big outlined markers, a name label each, and a fading trail."""

    def __init__(self, trail_length: int = 40) -> None:
        super().__init__()
        self._trail_max = max(2, int(trail_length))
        self._names: list[QtGui.QStaticText] = []
        self._colors = np.zeros((0, 4), np.uint8)
        self._centers = np.zeros((0, 2))
        self._trail = np.zeros((0, 0, 2))
        self._highlight: int | None = None
        self._marker = SIZES.center
        self._outline_width = SIZES.center_outline
        self._trail_width = SIZES.trail
        self._font = QtGui.QFont()
        self._text = QtGui.QColor("black")
        self._outline = QtGui.QColor("black")
        self._chip = QtGui.QColor("white")
        self._label_extent = 0.0  # pixels right of a center that its label chip may cover

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
        self._trail = np.zeros((0, len(names), 2))
        self._highlight = None
        self._restyle()

    def set_colors(self, colors: np.ndarray) -> None:
        self._colors = np.asarray(colors, np.uint8)
        self._restyle()

    def set_style(self, scale: float, font: QtGui.QFont, theme: Theme) -> None:
        self._marker = SIZES.center * scale
        self._outline_width = SIZES.center_outline * scale
        self._trail_width = SIZES.trail * scale
        self._font = font
        self._text = QtGui.QColor(theme.text)
        self._outline = qcolor(theme.outline)
        self._chip = qcolor(theme.chip)
        self._restyle()

    def _restyle(self) -> None:
        for text in self._names:
            text.prepare(QtGui.QTransform(), self._font)
        widths = [text.size().width() for text in self._names]
        self._label_extent = self._marker / 2.0 + 16.0 + max(widths, default=0.0)
        self.prepareGeometryChange()
        self.update()

    def set_highlight(self, k: int | None) -> None:
        self._highlight = k
        self.update()

    def set_centers(self, centers: np.ndarray) -> None:
        """Move the markers; the trail grows only when a center actually moved."""
        moved = len(self._trail) == 0 or not np.array_equal(centers, self._trail[-1], equal_nan=True)
        if moved:
            self._trail = np.concatenate([self._trail[-(self._trail_max - 1):], centers[None]])
        self._centers = centers
        self.prepareGeometryChange()
        self.update()

    def clear_trails(self) -> None:
        self._trail = self._trail[-1:] if len(self._trail) else self._trail
        self.prepareGeometryChange()
        self.update()

    # geometry --------------------------------------------------------------
    def _finite_points(self) -> np.ndarray:
        pts = np.concatenate([self._trail.reshape(-1, 2), self._centers])
        return pts[np.isfinite(pts).all(axis=1)]

    def dataBounds(self, ax, frac=1.0, orthoRange=None):  # noqa: N802, N803 (pyqtgraph API)
        finite = self._centers[np.isfinite(self._centers).all(axis=1)]
        if len(finite) == 0:
            return (None, None)
        return (float(finite[:, ax].min()), float(finite[:, ax].max()))

    def boundingRect(self) -> QtCore.QRectF:  # noqa: N802 (Qt override)
        pts = self._finite_points()
        if len(pts) == 0:
            return QtCore.QRectF()
        px, py = pixel_size(self)
        left, right = px * self._marker, px * (self._marker + self._label_extent)
        pad_y = py * (self._marker + 2 * QtGui.QFontMetricsF(self._font).height())
        (x0, y0), (x1, y1) = pts.min(axis=0), pts.max(axis=0)
        return QtCore.QRectF(x0 - left, y0 - pad_y, x1 - x0 + left + right, y1 - y0 + 2 * pad_y)

    def viewTransformChanged(self) -> None:  # noqa: N802 (Qt override)
        self.prepareGeometryChange()
        super().viewTransformChanged()

    # painting --------------------------------------------------------------
    def _paint_order(self) -> list[int]:
        order = list(range(len(self._centers)))
        if self._highlight is not None and self._highlight in order:
            order.remove(self._highlight)
            order.append(self._highlight)
        return order

    def _opacity(self, k: int) -> float:
        return 1.0 if self._highlight in (None, k) else DIM_CENTER_OPACITY

    def paint(self, painter, option, widget=None) -> None:
        if len(self._centers) == 0:
            return
        transform = painter.transform()
        trail = map_to_device(transform, self._trail)
        centers = map_to_device(transform, self._centers)
        finite = np.isfinite(self._centers).all(axis=1)
        painter.resetTransform()
        painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
        order = self._paint_order()
        for k in order:
            painter.setOpacity(self._opacity(k))
            self._paint_trail(painter, k, trail[np.isfinite(self._trail[:, k]).all(axis=1), k])
        for k in order:
            if finite[k]:
                painter.setOpacity(self._opacity(k))
                self._paint_marker(painter, k, centers[k])

    def _paint_trail(self, painter, k: int, pts: np.ndarray) -> None:
        """A polyline whose pen fades along the trail (a gradient from oldest to newest point)."""
        if len(pts) < 2:
            return
        line = pg.functions.arrayToQPolygonF(pts[:, 0], pts[:, 1])
        start, end = QtCore.QPointF(*pts[0]), QtCore.QPointF(*pts[-1])
        casing = (self._outline, self._trail_width + 2.0)  # keeps a trail visible on its own cloud
        for color, width in (casing, (qcolor(self._colors[k]), self._trail_width)):
            painter.setPen(fading_pen(start, end, color, width))
            painter.drawPolyline(line)

    def _paint_marker(self, painter, k: int, center: np.ndarray) -> None:
        x, y = float(center[0]), float(center[1])
        radius = self._marker / 2.0
        painter.setPen(QtGui.QPen(self._outline, self._outline_width))
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


class GridItem(pg.GraphicsObject):
    """Major grid lines at the axes' tick values: 1 px, not antialiased.

    pyqtgraph's own grid (PlotItem.showGrid) draws every tick level into the axis pictures and
    costs ~10 ms per frame at 900 x 700 offscreen; this one costs well under a millisecond.
    """

    def __init__(self, bottom: pg.AxisItem, left: pg.AxisItem) -> None:
        super().__init__()
        self._axes = (bottom, left)
        self._pen = QtGui.QPen(QtGui.QColor(0, 0, 0, 30), 1.0)

    def set_color(self, color: QtGui.QColor) -> None:
        self._pen = QtGui.QPen(color, 1.0)
        self.update()

    def boundingRect(self) -> QtCore.QRectF:  # noqa: N802 (Qt override)
        rect = self.viewRect()
        return QtCore.QRectF() if rect is None else rect

    def viewTransformChanged(self) -> None:  # noqa: N802 (Qt override)
        self.prepareGeometryChange()
        super().viewTransformChanged()

    def _major_ticks(self, axis: pg.AxisItem, low: float, high: float, pixels: float) -> list[float]:
        levels = axis.tickValues(low, high, pixels)
        return list(levels[0][1]) if levels else []

    def paint(self, painter, option, widget=None) -> None:
        rect = self.viewRect()
        if rect is None or not rect.isValid():
            return
        to_device = painter.transform()
        device = to_device.mapRect(rect)
        xs = self._major_ticks(self._axes[0], rect.left(), rect.right(), device.width())
        ys = self._major_ticks(self._axes[1], rect.top(), rect.bottom(), device.height())
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

    def boundingRect(self) -> QtCore.QRectF:  # noqa: N802 (Qt override)
        return QtCore.QRectF(0, 0, self.width(), self.height())

    def paint(self, painter, *args) -> None:
        painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
        painter.setPen(QtCore.Qt.PenStyle.NoPen)
        painter.setBrush(self._color)
        radius = self._diameter / 2.0
        painter.drawEllipse(QtCore.QPointF(self.width() / 2.0, self.height() / 2.0), radius, radius)

    def mouseClickEvent(self, event) -> None:  # noqa: N802 (pyqtgraph override)
        event.accept()
        self.sigClicked.emit(self.item)


# --------------------------------------------------------------------------- the widget


class FeaturePlot(QtWidgets.QWidget):
    """Live 2-D features coloured by class, class centers with trails, optional batch layer.

    A QWidget that owns a pg.PlotWidget rather than a PlotWidget subclass: our API stays small
    and snake_case (PlotWidget forwards every PlotItem method through __getattr__), and nothing
    outside this class relies on pyqtgraph's. The legend sits beside the data, not on it.
    """

    axis_mode_changed = QtCore.Signal(str)  # "follow" | "fixed"; "fixed" also after a mouse pan/zoom

    def __init__(self, parent: QtWidgets.QWidget | None = None, *, theme: str = "light",
                 trail_length: int = 40, follow_fraction: float = 0.2) -> None:
        super().__init__(parent)
        self._theme_name = theme
        self._scale = 1.0
        self._axis_mode = "follow"
        if not 0.0 < follow_fraction <= 1.0:
            raise ValueError(f"follow_fraction must be in (0, 1], got {follow_fraction}")
        self._follow_fraction = float(follow_fraction)
        self._snap_next = True
        self._title: str | None = None
        self._names: tuple[str, ...] = ()
        self._highlight: int | None = None
        self._build_view()
        self._points = SpriteCloudItem()
        self._batch = SpriteCloudItem(ring=SIZES.batch_ring)
        self._centers = CentersItem(trail_length)
        self._grid = GridItem(self._plot.getAxis("bottom"), self._plot.getAxis("left"))
        for z, item in enumerate((self._grid, self._points, self._batch, self._centers)):
            item.setZValue(z - 1)
            self._plot.addItem(item)
        self.set_theme(theme)

    def _build_view(self) -> None:
        self._view = pg.PlotWidget()
        # The plot takes focus on click (so keys leave the number boxes) but leaves the keys to
        # the window's shortcuts: QGraphicsView would otherwise swallow the arrow keys.
        self._view.setFocusPolicy(QtCore.Qt.FocusPolicy.NoFocus)
        self.setFocusPolicy(QtCore.Qt.FocusPolicy.ClickFocus)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        # no minimum size pushed to a top-level window: the offscreen platform warns about
        # propagateSizeHints() otherwise, which fails tests with qt_log_level_fail = WARNING
        layout.setSizeConstraint(QtWidgets.QLayout.SizeConstraint.SetNoConstraint)
        layout.addWidget(self._view)
        self._plot = self._view.getPlotItem()
        self._plot.hideButtons()
        self._plot.setMenuEnabled(False)
        for axis_name in ("left", "bottom"):  # sub-minor ticks cost ~1 ms a frame in follow mode
            self._plot.getAxis(axis_name).setStyle(maxTickLevel=1)
        vb = self._plot.getViewBox()
        vb.disableAutoRange()
        vb.setAspectLocked(True)
        vb.sigRangeChangedManually.connect(self._on_range_changed_manually)
        self._add_legend()

    def _add_legend(self) -> None:
        """The legend gets its own cell right of the view box, inside the PlotItem's grid.

        (A pg.GraphicsLayout holding the PlotItem and the legend would be simpler, but a
        GraphicsLayout with a PlotItem segfaults at interpreter exit with PySide6 6.11 when the
        window is still open; a PlotWidget does not. tests/test_plot_stress.py checks this.)
        """
        self._legend = pg.LegendItem(offset=None, verSpacing=-4, frame=False)
        self._legend.setSizePolicy(QtWidgets.QSizePolicy.Policy.Fixed, QtWidgets.QSizePolicy.Policy.Fixed)
        grid = self._plot.layout
        grid.addItem(self._legend, 2, 3)  # row 2 holds the left axis, view box and right axis
        grid.setAlignment(self._legend, QtCore.Qt.AlignmentFlag.AlignTop)

    # read-only views for tests and for the main window ---------------------
    @property
    def plot_item(self) -> pg.PlotItem:
        return self._plot

    @property
    def view_box(self) -> pg.ViewBox:
        return self._plot.getViewBox()

    @property
    def legend(self) -> pg.LegendItem:
        return self._legend

    @property
    def class_names(self) -> tuple[str, ...]:
        return self._names

    @property
    def n_classes(self) -> int:
        return len(self._names)

    @property
    def axis_mode(self) -> str:
        return self._axis_mode

    @property
    def highlighted_class(self) -> int | None:
        return self._highlight

    @property
    def trail_length(self) -> int:
        """Number of stored positions per center trail (at most `trail_length` of __init__)."""
        return self._centers.trail_length

    @property
    def point_count(self) -> int:
        """Number of probe points drawn by the last frame (non-finite rows excluded)."""
        return len(self._points.positions)

    def view_range(self) -> np.ndarray:
        """Current [[xmin, xmax], [ymin, ymax]] of the view."""
        return np.array(self.view_box.viewRange(), dtype=np.float64)

    # classes and data ----------------------------------------------------
    def set_classes(self, class_names: Sequence[str]) -> None:
        """One colour, legend entry, center marker and label per class; clears all data."""
        self._names = tuple(str(name) for name in class_names)
        self._highlight = None
        self._points.clear()
        self._batch.clear()
        self._points.set_highlight(None)
        self._batch.set_highlight(None)
        self._centers.set_classes(self._names, self._colors())
        self._snap_next = True
        self._apply_style()

    def show_frame(self, features, labels, centers) -> None:
        """Draw one frame: features (N,2), labels (N,) int, centers (C,2). Non-finite rows are skipped."""
        ctr = np.asarray(centers)
        if not self._names:
            self.set_classes([str(k) for k in range(len(ctr))])
        xy, lab, valid = clean_points(features, labels, self.n_classes)
        ctr = clean_centers(ctr, self.n_classes)
        self._points.set_points(xy, lab, valid)
        self._centers.set_centers(ctr)
        self._step_follow()

    def set_batch(self, features, labels) -> None:
        """The latest training batch, drawn as rings on top of the probe points."""
        xy, lab, valid = clean_points(features, labels, self.n_classes)
        self._batch.set_points(xy, lab, valid)

    def set_batch_visible(self, visible: bool) -> None:
        self._batch.setVisible(bool(visible))

    def clear(self) -> None:
        """Forget points, batch, centers and trails (a new session); the next frame snaps the view."""
        self.set_classes(self._names)

    def clear_trails(self) -> None:
        self._centers.clear_trails()

    def highlight_class(self, k: int | None) -> None:
        """Dim every class but k (None: no highlight)."""
        if k is not None and not 0 <= int(k) < self.n_classes:
            raise ValueError(f"class {k} out of range 0..{self.n_classes - 1}")
        self._highlight = None if k is None else int(k)
        for item in (self._points, self._batch, self._centers):
            item.set_highlight(self._highlight)
        for index, (sample, label) in enumerate(self._legend.items):
            opacity = 1.0 if self._highlight in (None, index) else 0.35
            sample.setOpacity(opacity)
            label.setOpacity(opacity)

    # axes ----------------------------------------------------------------
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

    @QtCore.Slot(object)
    def _on_range_changed_manually(self, _mask) -> None:
        self.set_axis_mode("fixed")

    def _step_follow(self) -> None:
        if self._axis_mode != "follow":
            return
        target = robust_bounds(self._points.positions, self._centers.centers)
        if target is None:
            return
        if self._snap_next:
            self._snap_next = False
            new = target
        else:
            current = self.view_range()
            new = current + self._follow_fraction * (target - current)
            if self._below_half_pixel(new - current):
                return  # converged: skip re-laying out the axes for an invisible change
        self.view_box.setRange(xRange=new[0], yRange=new[1], padding=0)

    def _below_half_pixel(self, delta: np.ndarray) -> bool:
        pixel_w, pixel_h = self.view_box.viewPixelSize()
        return bool((np.abs(delta[0]) < 0.5 * pixel_w).all() and (np.abs(delta[1]) < 0.5 * pixel_h).all())

    # appearance ------------------------------------------------------------
    def set_title(self, text: str | None) -> None:
        self._title = text or None
        theme = THEMES[self._theme_name]
        size = f"{SIZES.title_pt * self._scale:.0f}pt"
        self._plot.setTitle(self._title, color=theme.text, size=size)
        if self._title is not None:  # pyqtgraph fixes the title row at 30 px
            height = int(math.ceil(30 * max(1.0, self._scale)))
            self._plot.titleLabel.setMaximumHeight(height)
            self._plot.layout.setRowFixedHeight(0, height)

    def set_marker_scale(self, factor: float) -> None:
        """Enlarge (>1) or shrink points, markers, labels and legend, e.g. for presentations."""
        if not math.isfinite(factor) or factor <= 0:
            raise ValueError(f"marker scale must be a positive number, got {factor}")
        self._scale = float(factor)
        self._apply_style()

    def set_theme(self, name: str) -> None:
        if name not in THEMES:
            raise ValueError(f"theme must be one of {sorted(THEMES)}, got {name!r}")
        self._theme_name = name
        theme = THEMES[name]
        self._view.setBackground(theme.background)
        for axis_name in ("left", "bottom"):
            axis = self._plot.getAxis(axis_name)
            axis.setPen(theme.axis)
            axis.setTextPen(theme.text)
        self._grid.set_color(qcolor(theme.grid))
        self._apply_style()

    @property
    def theme(self) -> str:
        return self._theme_name

    def _colors(self, alpha: int = 255) -> np.ndarray:
        return class_colors(self.n_classes, self._theme_name, alpha)

    def _apply_style(self) -> None:
        scale, theme = self._scale, THEMES[self._theme_name]
        background = QtGui.QColor(theme.background)
        self._points.set_style(self._colors(SIZES.point_alpha), SIZES.point * scale, background)
        self._batch.set_style(self._colors(), SIZES.batch * scale, background, SIZES.batch_ring * scale)
        font = QtGui.QFont()
        font.setPointSizeF(SIZES.label_pt * scale)
        font.setBold(True)
        self._centers.set_colors(self._colors())
        self._centers.set_style(scale, font, theme)
        self._style_axes()
        self._build_legend(theme)
        self.set_title(self._title)

    def _style_axes(self) -> None:
        font = QtGui.QFont()
        font.setPointSizeF(SIZES.tick_pt * self._scale)
        for axis_name in ("left", "bottom"):
            self._plot.getAxis(axis_name).setStyle(tickFont=font)

    def _build_legend(self, theme: Theme) -> None:
        self._legend.clear()
        self._legend.setLabelTextColor(theme.text)
        self._legend.setLabelTextSize(f"{SIZES.legend_pt * self._scale:.1f}pt")
        for index, (name, rgba) in enumerate(zip(self._names, self._colors())):
            self._legend.addItem(ClassSample(index, rgba, SIZES.legend_marker * self._scale), name)
        if self._highlight is not None:
            self.highlight_class(self._highlight)
