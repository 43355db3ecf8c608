"""What the classifier makes of the feature plane: decision regions and weight arrows.

With 2-D features the classifier's logits are W x + b, so the plane splits into the regions where
each class wins the argmax (cones from the origin when there is no bias: the softmax "petals").
`DecisionRegions` colours the visible plane by that argmax in a pg.ImageItem behind the points and
draws each row of W as an arrow from the origin. The image is recomputed on a grid of
REGION_CELLS cells across the view, from a QTimer and at most every RECOMPUTE_INTERVAL_MS, never
inside a caller's frame: new weights and view changes only mark it dirty. Non-finite weights (or a
feature dimension other than 2, where the plane is not the feature space) hide both items.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui

from cl_viz.qt.common.guard import guarded
from cl_viz.qt.plot.geometry import map_to_device
from cl_viz.qt.plot.items import ViewFillingItem
from cl_viz.qt.plot.theme import Theme, qcolor

REGION_ALPHA = 48  # of 255: a tint, the points stay the figure
REGION_CELLS = 200  # grid cells along the longer side of the visible plane
REGION_MARGIN = 0.15  # fraction of the view added on each side, so a pan or a follow glide shows no bare edge
RECOMPUTE_INTERVAL_MS = 250  # at most 4 recomputes a second
ARROW_FRACTION = 0.4  # the longest arrow reaches this fraction of the visible radius
ARROW_WIDTH = 2.5  # pixels
ARROW_HEAD = 11.0  # pixels
REGIONS_Z, ARROWS_Z = -2.0, 1.5  # behind the grid (-1); over points and batch (0, 1), under centers (2)
COORDINATE_LIMIT = 1e15  # a view wider than this is not tinted (float grids lose meaning there)


class Throttle(QtCore.QObject):
    """Runs `callback` from the event loop, at most once per `interval_ms`.

    `request()` is cheap and never calls back directly: when idle the call comes at the next
    event-loop turn, otherwise once when the interval since the last call has passed.
    """

    def __init__(self, interval_ms: int, callback: Callable[[], None], parent: QtCore.QObject | None = None):
        super().__init__(parent)
        self._interval = interval_ms / 1000.0
        self._callback = callback
        self._last = -math.inf
        self._timer = QtCore.QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setTimerType(QtCore.Qt.TimerType.PreciseTimer)  # coarse timers may fire 5 % early
        self._timer.timeout.connect(self._fire)

    def request(self) -> None:
        if not self._timer.isActive():
            wait = max(0.0, self._interval - (time.monotonic() - self._last))
            self._timer.start(math.ceil(wait * 1000.0))

    def cancel(self) -> None:
        self._timer.stop()

    @QtCore.Slot()
    @guarded()
    def _fire(self) -> None:
        early = self._interval - (time.monotonic() - self._last)
        if early > 0:  # timers may still fire a little early under load: wait out the rest
            self._timer.start(math.ceil(early * 1000.0))
            return
        self._last = time.monotonic()
        self._callback()


def usable_classifier(weight, bias) -> tuple[np.ndarray, np.ndarray] | None:
    """(W (C,2), b (C,)) as float64 if they describe a finite 2-D linear classifier, else None."""
    if weight is None:
        return None
    w = np.asarray(weight, dtype=np.float64)
    if w.ndim != 2 or w.shape[1] != 2 or len(w) == 0:
        return None
    b = np.zeros(len(w)) if bias is None else np.asarray(bias, dtype=np.float64)
    if b.shape != (len(w),) or not (np.isfinite(w).all() and np.isfinite(b).all()):
        return None
    return w, b


def region_grid(view_range: np.ndarray, cells: int = REGION_CELLS,
                margin: float = REGION_MARGIN) -> tuple[np.ndarray, tuple[int, int]] | None:
    """Grid over the view plus margins: ([x0, y0, width, height], (rows, cols)); None if degenerate."""
    view = np.asarray(view_range, dtype=np.float64)
    span = view[:, 1] - view[:, 0]
    if not np.isfinite(view).all() or (span <= 0).any() or np.abs(view).max() > COORDINATE_LIMIT:
        return None
    low, size = view[:, 0] - margin * span, span * (1.0 + 2.0 * margin)
    cols, rows = np.maximum(1, np.round(cells * size / size.max())).astype(int)
    return np.array([low[0], low[1], size[0], size[1]]), (int(rows), int(cols))


def argmax_grid(weight: np.ndarray, bias: np.ndarray, rect: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Winning class (rows, cols) at the cell centres; row 0 is the lowest y (y points up in the plot)."""
    x0, y0, width, height = rect
    rows, cols = shape
    xs = x0 + (np.arange(cols) + 0.5) * (width / cols)
    ys = y0 + (np.arange(rows) + 0.5) * (height / rows)
    logits = ys[:, None, None] * weight[:, 1] + (xs[:, None] * weight[:, 0] + bias)[None]
    return np.argmax(logits, axis=2)


def arrow_tips(weight: np.ndarray, view_range: np.ndarray, fraction: float = ARROW_FRACTION) -> np.ndarray:
    """Arrow ends (C, 2): the rows of W, scaled together so the longest reaches `fraction` of the visible radius."""
    view = np.asarray(view_range, dtype=np.float64)
    radius = 0.5 * float((view[:, 1] - view[:, 0]).min())
    longest = float(np.linalg.norm(weight, axis=1).max())
    if not (longest > 0 and np.isfinite(radius) and radius > 0):
        return np.zeros_like(weight)
    return weight * (fraction * radius / longest)


class WeightArrowsItem(ViewFillingItem):
    """One arrow per class from the origin along its classifier row, in the class colour.

    Lengths follow the view (recomputed in paint from the visible rect, a few numbers), so zooming
    keeps the arrows readable while their relative lengths stay those of W.
    """

    def __init__(self) -> None:
        super().__init__()
        self._weight = np.zeros((0, 2))
        self._colors = np.zeros((0, 4), np.uint8)
        self._outline = QtGui.QColor("black")

    def set_weight(self, weight: np.ndarray) -> None:
        self._weight = weight
        self.update()

    def set_style(self, colors: np.ndarray, outline: QtGui.QColor) -> None:
        self._colors, self._outline = np.asarray(colors, np.uint8), outline
        self.update()

    def tips(self) -> np.ndarray:
        """The arrow ends in data coordinates for the current view (C, 2)."""
        view_box = self.getViewBox()
        if view_box is None or len(self._weight) == 0:
            return np.zeros((0, 2))
        return arrow_tips(self._weight, np.array(view_box.viewRange(), dtype=np.float64))

    @guarded()
    def paint(self, painter, option, widget=None) -> None:
        tips = self.tips()
        if len(tips) == 0 or len(self._colors) < len(tips):
            return
        device = map_to_device(painter.transform(), np.vstack([np.zeros((1, 2)), tips]))
        painter.resetTransform()
        painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
        origin = QtCore.QPointF(*device[0])
        for k, tip in enumerate(device[1:]):
            self._paint_arrow(painter, origin, QtCore.QPointF(*tip), qcolor(self._colors[k]))

    def _paint_arrow(self, painter, start: QtCore.QPointF, end: QtCore.QPointF, color: QtGui.QColor) -> None:
        line = QtCore.QLineF(start, end)
        if line.length() < 1.0:
            return
        head = self._head(line)
        for pen_color, width in ((self._outline, ARROW_WIDTH + 2.0), (color, ARROW_WIDTH)):
            pen = QtGui.QPen(pen_color, width)
            pen.setCapStyle(QtCore.Qt.PenCapStyle.RoundCap)
            pen.setJoinStyle(QtCore.Qt.PenJoinStyle.MiterJoin)
            painter.setPen(pen)
            painter.setBrush(pen_color)
            painter.drawLine(QtCore.QLineF(start, line.pointAt(max(0.0, 1.0 - 0.6 * ARROW_HEAD / line.length()))))
            painter.drawPolygon(head)

    @staticmethod
    def _head(line: QtCore.QLineF) -> QtGui.QPolygonF:
        unit = line.unitVector()
        dx, dy = unit.dx(), unit.dy()
        size = min(ARROW_HEAD, 0.5 * line.length())
        tip, base = line.p2(), line.p2() - QtCore.QPointF(dx, dy) * size
        side = QtCore.QPointF(-dy, dx) * (0.45 * size)
        return QtGui.QPolygonF([tip, base + side, base - side])


class RegionImageItem(pg.ImageItem):
    """An ImageItem scaled with bilinear filtering: the cell edges blend instead of stair-stepping."""

    @guarded()
    def paint(self, painter, *args) -> None:
        painter.setRenderHint(QtGui.QPainter.RenderHint.SmoothPixmapTransform)
        super().paint(painter, *args)


class DecisionRegions(QtCore.QObject):
    """The decision-region image and the weight arrows of one plot's view box (both hidden at first)."""

    recomputed = QtCore.Signal()  # after each new region image (tests wait on it)

    def __init__(self, view_box: pg.ViewBox, parent: QtCore.QObject | None = None) -> None:
        super().__init__(parent)
        self._view_box = view_box
        self._image = RegionImageItem(axisOrder="row-major")
        self._arrows = WeightArrowsItem()
        for item, z in ((self._image, REGIONS_Z), (self._arrows, ARROWS_Z)):
            item.setZValue(z)
            item.setVisible(False)
            view_box.addItem(item, ignoreBounds=True)
        self._regions_wanted = False
        self._arrows_wanted = False
        self._classifier: tuple[np.ndarray, np.ndarray] | None = None
        self._source: tuple[object, object] | None = None
        self._lut = np.zeros((0, 4), np.uint8)
        self._labels = np.zeros((0, 0), np.intp)
        self.recompute_count = 0
        self._throttle = Throttle(RECOMPUTE_INTERVAL_MS, self._recompute, self)
        view_box.sigRangeChanged.connect(self._on_view_changed)

    @property
    def image_item(self) -> RegionImageItem:
        return self._image

    @property
    def arrows_item(self) -> WeightArrowsItem:
        return self._arrows

    @property
    def region_labels(self) -> np.ndarray:
        """Winning class per cell of the current image (rows, cols); row 0 is the lowest y."""
        return self._labels

    def set_classifier(self, weight, bias) -> None:
        """New classifier weights (C, 2) and bias (C,) or None; cheap: the image is only marked dirty."""
        if self._source is not None and weight is self._source[0] and bias is self._source[1]:
            return
        self._source = (weight, bias)
        self._classifier = usable_classifier(weight, bias)
        if self._classifier is None:
            self._arrows.setVisible(False)
        else:
            self._arrows.set_weight(self._classifier[0])
            self._arrows.setVisible(self._arrows_wanted)
        self._mark_dirty()

    def set_style(self, colors: np.ndarray, theme: Theme) -> None:
        """Class colours (C, 4) RGBA; the regions use them at REGION_ALPHA."""
        self._lut = np.array(colors, np.uint8)
        self._lut[:, 3] = REGION_ALPHA
        self._arrows.set_style(colors, qcolor(theme.outline))
        self._mark_dirty()

    def set_regions_visible(self, visible: bool) -> None:
        self._regions_wanted = bool(visible)
        if not self._regions_wanted:
            self._image.setVisible(False)
        self._mark_dirty()

    def set_arrows_visible(self, visible: bool) -> None:
        self._arrows_wanted = bool(visible)
        self._arrows.setVisible(self._arrows_wanted and self._classifier is not None)

    def clear(self) -> None:
        """Forget the classifier (a new session): both items hide until new weights arrive."""
        self._source = self._classifier = None
        self._image.setVisible(False)
        self._arrows.setVisible(False)
        self._throttle.cancel()

    @QtCore.Slot(object, object, object)
    @guarded()
    def _on_view_changed(self, *_args) -> None:
        self._mark_dirty()

    def _mark_dirty(self) -> None:
        if self._regions_wanted:
            self._throttle.request()

    def _recompute(self) -> None:
        grid = region_grid(self._view_box.viewRange())
        classifier = self._classifier
        if not self._regions_wanted or classifier is None or grid is None or len(self._lut) < len(classifier[0]):
            self._image.setVisible(False)
            return
        rect, shape = grid
        self._labels = argmax_grid(*classifier, rect, shape)
        self._image.setImage(self._lut[self._labels], autoLevels=False)
        self._image.setRect(QtCore.QRectF(*rect))
        self._image.setVisible(True)
        self.recompute_count += 1
        self.recomputed.emit()
