"""SpriteCloudItem: many class-coloured points painted by one drawPixmapFragments call."""

from __future__ import annotations

import numpy as np
import shiboken6
from PySide6 import QtCore, QtGui

from cl_viz.qt.common.guard import guarded
from cl_viz.qt.plot.bounded_item import PaddedBoundsItem
from cl_viz.qt.plot.geometry import column_bounds, map_to_device, pixel_size
from cl_viz.qt.plot.theme import SIZES, dimmed, qcolor, render_atlas

FAR_SCALE, FAR_OPACITY = 0.55, 0.3  # a point at the back of the sphere (depth −1); the front (+1) is full size


class SpriteCloudItem(PaddedBoundsItem):
    """Many points, one class-coloured sprite each, painted by one drawPixmapFragments call.

    The fragment table (x, y, source rect, scale, rotation, opacity per point) is rebuilt only
    when N, the labels or the finite mask change (a highlight permutes it); a normal frame only
    gathers the new positions. Points keep a fixed pixel size whatever the zoom. With a depth per
    point (the sphere view) far points are painted first, smaller and fainter.
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
        self._depth: np.ndarray | None = None
        self._frags = np.zeros((0, 10))
        self._bounds: np.ndarray | None = None

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

    @property
    def depth(self) -> np.ndarray | None:
        """Depth of each drawn point in draw order, −1 far to +1 near (None: a flat view)."""
        return self._depth

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
        if self._depth is not None:
            self._depth = self._depth[order]
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
        self._depth = None
        self._frags = np.zeros((0, 10))
        self._set_bounds(None)

    def set_points(self, xy: np.ndarray, labels: np.ndarray, valid: np.ndarray,
                   depth: np.ndarray | None = None) -> bool:
        """New positions (and depths, N, or None); rebuilds the fragment table only when N, labels or
        the mask change (and then returns True: the points drawn before are not the same points)."""
        rebuilt = self._needs_rebuild(labels, valid)
        if rebuilt:
            self._rebuild(labels, valid)
        self.set_positions(np.take(xy, self._take, axis=0))
        self._depth = None if depth is None else np.clip(np.nan_to_num(np.take(depth, self._take)), -1.0, 1.0)
        return rebuilt

    def set_positions(self, xy: np.ndarray) -> None:
        """Move the drawn points: (n, 2) finite positions in draw order (see `positions`)."""
        self._xy = xy
        self._set_bounds(column_bounds(xy) if len(xy) else None)

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

    @guarded(fallback=(None, None))
    def dataBounds(self, ax, frac=1.0, orthoRange=None):  # noqa: N802, N803 (pyqtgraph API)
        if self._bounds is None:
            return (None, None)
        return tuple(float(v) for v in self._bounds[ax])

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

    @guarded()
    def paint(self, painter, option, widget=None) -> None:
        count = len(self._xy)
        if count == 0 or len(self._colors) == 0:
            return
        if painter.paintEngine().type() == QtGui.QPaintEngine.Type.SVG:
            self._paint_circles(painter)  # sprites would become one embedded bitmap per point
            return
        self._ensure_atlas(painter.device().devicePixelRatioF())
        if self._sprites_stale:
            self._fill_sprite_columns()
        self._frags[:, 0:2] = map_to_device(painter.transform(), self._xy)
        painter.resetTransform()
        frags = self._frags if self._depth is None or len(self._depth) != count else self._with_depth()
        first = shiboken6.wrapInstance(frags.ctypes.data, QtGui.QPainter.PixmapFragment)
        painter.drawPixmapFragments(first, count, self._atlas)

    def _with_depth(self) -> np.ndarray:
        """A copy of the fragment table, far points first (the highlighted class still last), scaled and faded."""
        depth = self._depth
        if self._highlight is None:
            order = np.argsort(depth, kind="stable")
        else:
            order = np.lexsort((depth, self._draw_labels == self._highlight))
        frags = self._frags[order]
        near = (depth[order] + 1.0) / 2.0
        frags[:, 6:8] *= (FAR_SCALE + (1.0 - FAR_SCALE) * near)[:, None]
        frags[:, 9] = FAR_OPACITY + (1.0 - FAR_OPACITY) * near
        return frags

    def _paint_circles(self, painter) -> None:
        """Vector fallback for SVG export: one circle per point inside the clip, styled like the sprites."""
        xy = map_to_device(painter.transform(), self._xy)
        painter.resetTransform()
        labels = self._draw_labels
        if painter.hasClipping():
            clip = painter.clipBoundingRect().adjusted(-self._size, -self._size, self._size, self._size)
            inside = ((xy[:, 0] >= clip.left()) & (xy[:, 0] <= clip.right())
                      & (xy[:, 1] >= clip.top()) & (xy[:, 1] <= clip.bottom()))
            xy, labels = xy[inside], labels[inside]
        painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
        radius = (self._size - self._ring) / 2.0
        current = None
        for (x, y), k in zip(xy.tolist(), labels.tolist()):
            if k != current:
                current = k
                self._set_circle_style(painter, k)
            painter.drawEllipse(QtCore.QPointF(x, y), radius, radius)

    def _set_circle_style(self, painter, k: int) -> None:
        rgba = self._colors[k]
        color = qcolor(rgba) if self._highlight in (None, k) else dimmed(rgba, self._background)
        if self._ring > 0:
            painter.setPen(QtGui.QPen(color, self._ring))
            painter.setBrush(QtCore.Qt.BrushStyle.NoBrush)
        else:
            painter.setPen(QtCore.Qt.PenStyle.NoPen)
            painter.setBrush(color)
