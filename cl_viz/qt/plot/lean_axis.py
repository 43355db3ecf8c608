"""pyqtgraph's axis with a lean recomputation of its ticks and labels, for the plots that redraw
while training.

Each range change makes AxisItem regenerate its ticks: ~0.7 ms of Python per axis here, most of it
in generality these plots do not use (enum arithmetic, a Point per tick, a text measurement per
label). That is ~3 ms of every new frame of a feature plot and of every refresh of a graph. The
lean path gives the same ticks, labels and layout for a linear left or bottom axis without grid
lines; anything else goes to pyqtgraph's own code.
"""

from __future__ import annotations

import bisect
import math

import pyqtgraph as pg
from PySide6 import QtCore, QtGui

from cl_viz.qt.common.guard import guarded
from cl_viz.qt.common.pyqtgraph_private import explicit_ticks, note_label_extent

Align = QtCore.Qt.AlignmentFlag
LEFT_LABEL = int(Align.AlignRight | Align.AlignVCenter) | int(QtCore.Qt.TextFlag.TextDontClip)
BOTTOM_LABEL = int(Align.AlignHCenter | Align.AlignTop) | int(QtCore.Qt.TextFlag.TextDontClip)
CACHE_SIZE = 256  # label sizes kept; a full cache is emptied
MIN_RELATIVE_SPAN = 1e-12  # a narrower range is below float resolution: ticks would repeat or never end


class LeanAxisItem(pg.AxisItem):
    """A drop-in AxisItem (pass it in PlotWidget's axisItems) whose ticks are cheaper to regenerate."""

    def __init__(self, orientation: str, **kwargs) -> None:
        super().__init__(orientation, **kwargs)
        self._label_sizes: dict[tuple[str, str], tuple[float, float]] = {}

    @guarded(fallback=list)
    def tickValues(self, minVal, maxVal, size):  # noqa: N802, N803 (pyqtgraph override)
        """pyqtgraph's tick values, from its own tickSpacing, without numpy for lists of ~20 values."""
        if not usable_span(minVal, maxVal, size):
            return []  # a plot squeezed to nothing, or a range pyqtgraph's tickSpacing divides by zero on
        if self.logMode:
            return super().tickValues(minVal, maxVal, size)
        low, high = sorted((minVal * self.scale, maxVal * self.scale))
        ticks, seen = [], []
        for spacing, offset in self.tickSpacing(low, high, size):
            start = math.ceil((low - offset) / spacing) * spacing + offset
            tolerance = spacing / self.scale * 0.01  # a tick this close to a coarser level's is that one
            values = [value for value in ((k * spacing + start) / self.scale
                                          for k in range(int((high - start) / spacing) + 1))
                      if not _near(seen, value, tolerance)]
            seen = sorted(seen + values)
            ticks.append((spacing / self.scale, values))
        return ticks

    @guarded()
    def generateDrawSpecs(self, p):  # noqa: N802 (pyqtgraph override)
        if (self.orientation not in ("left", "bottom") or self.logMode or explicit_ticks(self) is not None
                or self.grid is not False or any(self.style["stopAxisAtTick"])):
            return super().generateDrawSpecs(p)
        if self.style["tickFont"] is not None:
            p.setFont(self.style["tickFont"])
        vertical = self.orientation == "left"
        bounds = self.mapRectFromParent(self.geometry())
        if vertical:
            span = (bounds.topRight() + QtCore.QPointF(-1.0, -1.0), bounds.bottomRight() + QtCore.QPointF(-1.0, 1.0))
            edge, direction = bounds.right(), -1.0
        else:
            span = (bounds.topLeft() + QtCore.QPointF(-1.0, 1.0), bounds.topRight() + QtCore.QPointF(1.0, 1.0))
            edge, direction = bounds.top(), 1.0
        ends = [self.mapToDevice(point) for point in span]
        if None in ends:
            return None
        length = math.hypot(ends[1].x() - ends[0].x(), ends[1].y() - ends[0].y())
        if length == 0:
            return None
        levels = self.tickValues(self.range[0], self.range[1], length)
        to_axis = self._value_to_axis(bounds, vertical)
        tick_specs, positions = self._tick_specs(levels, to_axis, edge, direction, vertical)
        text_specs = self._text_specs(p, levels, positions, edge, vertical, length) if self.style["showValues"] else []
        return (self.pen(), span[0], span[1]), tick_specs, text_specs

    def _value_to_axis(self, bounds: QtCore.QRectF, vertical: bool):
        """Value -> coordinate along the axis, and the coordinates of the range's ends."""
        low, high = self.range
        if high == low:
            scale, offset = 1.0, 0.0
        elif vertical:
            scale = -bounds.height() / (high - low)
            offset = low * scale - bounds.height()
        else:
            scale = bounds.width() / (high - low)
            offset = low * scale
        ends = sorted((low * scale - offset, high * scale - offset))
        return scale, offset, ends[0], ends[1]

    def _tick_specs(self, levels, to_axis, edge, direction, vertical):
        scale, offset, first, last = to_axis
        specs, positions = [], []
        for level, (_, values) in enumerate(levels):
            pen = self._level_pen(level)
            tick_end = edge + direction * self.style["tickLength"] / (level * 0.5 + 1.0)
            shown = []
            for value in values:
                at = value * scale - offset
                if at < first or at > last:
                    shown.append(None)
                    continue
                shown.append(at)
                if vertical:
                    specs.append((pen, QtCore.QPointF(edge, at), QtCore.QPointF(tick_end, at)))
                else:
                    specs.append((pen, QtCore.QPointF(at, edge), QtCore.QPointF(at, tick_end)))
            positions.append(shown)
        return specs, positions

    def _level_pen(self, level: int) -> QtGui.QPen:
        alpha = self.style["tickAlpha"]
        if alpha is None:
            alpha = 255 / (level + 1)
        elif isinstance(alpha, float):
            alpha = min(255, max(0, round(alpha * 255)))
        pen = self.tickPen()
        if pen.brush().style() == QtCore.Qt.BrushStyle.SolidPattern:
            pen = QtGui.QPen(pen)
            color = QtGui.QColor(pen.color())
            color.setAlpha(int(alpha))
            pen.setColor(color)
        return pen

    def _text_specs(self, p, levels, positions, edge, vertical, length):
        """Labels level by level, as pyqtgraph lays them out: a finer level is labelled only while
        the labels fill little enough of the axis (style textFillLimits)."""
        gap = max(0, self.style["tickLength"]) + self.style["tickTextOffset"][0 if vertical else 1]
        outline = self.boundingRect()
        specs, along, across, kept_across = [], 0.0, 0.0, 0.0
        for level in range(min(len(levels), self.style["maxTextLevel"] + 1)):
            spacing, values = levels[level]
            strings = self.tickStrings(values, self.autoSIPrefixScale * self.scale, spacing)
            labels = [(text, at, self._label_size(p, text)) for text, at in zip(strings, positions[level])
                      if at is not None]
            for _, _, (width, height) in labels:
                along += height if vertical else width
                across = max(across, width if vertical else height)
            if level > 0 and any(len(specs) >= count and along / length >= limit
                                 for count, limit in self.style["textFillLimits"]):
                break
            kept_across = across
            for text, at, (width, height) in labels:
                if vertical:
                    rect = QtCore.QRectF(edge - gap - width, at - height / 2, width, height)
                else:
                    rect = QtCore.QRectF(at - width / 2, edge + gap, width, height)
                if outline & rect == rect:
                    specs.append((rect, LEFT_LABEL if vertical else BOTTOM_LABEL, text))
        note_label_extent(self, kept_across)
        return specs

    def _label_size(self, p: QtGui.QPainter, text: str) -> tuple[float, float]:
        key = (p.font().key(), text)
        size = self._label_sizes.get(key)
        if size is None:
            if len(self._label_sizes) >= CACHE_SIZE:
                self._label_sizes.clear()
            rect = p.boundingRect(QtCore.QRectF(0, 0, 100, 100), Align.AlignCenter, text)
            size = self._label_sizes[key] = (rect.width(), rect.height() * 0.8)  # as pyqtgraph trims it
        return size


def usable_span(low: float, high: float, pixels: float) -> bool:
    """Whether ticks can be laid out for this range over this many pixels."""
    try:
        low, high, pixels = float(low), float(high), float(pixels)
    except (TypeError, ValueError):
        return False
    if not (math.isfinite(low) and math.isfinite(high) and math.isfinite(pixels)) or pixels < 1:
        return False
    span = abs(high - low)
    return span > 0 and span > MIN_RELATIVE_SPAN * max(abs(low), abs(high))


def _near(ordered: list[float], value: float, tolerance: float) -> bool:
    at = bisect.bisect_left(ordered, value)
    return any(abs(ordered[k] - value) <= tolerance for k in (at - 1, at) if 0 <= k < len(ordered))


def lean_axes() -> dict[str, LeanAxisItem]:
    """axisItems for a PlotWidget or PlotItem: lean left and bottom axes."""
    return {"left": LeanAxisItem("left"), "bottom": LeanAxisItem("bottom")}
