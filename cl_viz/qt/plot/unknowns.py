"""The open-set extras of a feature plot: the probe points of classes never trained on, drawn hollow in
grey wherever the network puts them, their legend swatch, and the line of the pair being inspected."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui

from cl_viz.qt.common.guard import guarded
from cl_viz.qt.plot.items import ClassSample

UNKNOWN_RGBA = {"light": (110, 110, 110, 200), "dark": (175, 175, 175, 210)}
UNKNOWN_PEN_WIDTH = 1.3
UNKNOWN_Z = 0.5  # over the known points (0), under the batch (1) and the centers (2)
PAIR_Z = 1.8
UNKNOWN_TITLE = "unknown"


class UnknownPointsItem(pg.ScatterPlotItem):
    """Hollow grey circles, one per unknown probe point (non-finite rows are not drawn)."""

    def __init__(self) -> None:
        super().__init__(pxMode=True, symbol="o", brush=None, antialias=True)
        self.setZValue(UNKNOWN_Z)
        self.positions = np.zeros((0, 2))
        self.indices = np.zeros(0, np.intp)  # the unknown probe row of each drawn point

    def set_style(self, rgba, diameter: float) -> None:
        self.setPen(pg.mkPen(QtGui.QColor(*rgba), width=UNKNOWN_PEN_WIDTH))
        self.setBrush(None)
        self.setSize(diameter)

    def set_points(self, xy: np.ndarray | None) -> None:
        if xy is None or len(xy) == 0:
            self.positions, self.indices = np.zeros((0, 2)), np.zeros(0, np.intp)
            self.setData(x=[], y=[])
            return
        xy = np.asarray(xy, dtype=np.float64)
        valid = np.isfinite(xy).all(axis=1)
        self.positions, self.indices = xy[valid], np.flatnonzero(valid)
        self.setData(x=self.positions[:, 0], y=self.positions[:, 1])


class UnknownSample(ClassSample):
    """The legend swatch of the unknowns: a grey ring."""

    def __init__(self, index: int, rgba, diameter: float) -> None:
        super().__init__(index, rgba, diameter)
        self._ring = QtGui.QColor(*rgba)

    @guarded()
    def paint(self, painter, *args) -> None:
        painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
        painter.setPen(QtGui.QPen(self._ring, UNKNOWN_PEN_WIDTH))
        painter.setBrush(QtCore.Qt.BrushStyle.NoBrush)
        radius = self._diameter / 2.0
        painter.drawEllipse(QtCore.QPointF(self.width() / 2.0, self.height() / 2.0), radius, radius)


class PairLineItem(pg.PlotDataItem):
    """A dashed line between the two points of the inspected pair, with a ring on each."""

    def __init__(self) -> None:
        super().__init__(symbol="o", symbolSize=14, symbolBrush=None)
        self.setZValue(PAIR_Z)
        self.setVisible(False)

    def set_style(self, color: str) -> None:
        pen = pg.mkPen(color, width=2, style=QtCore.Qt.PenStyle.DashLine)
        self.setPen(pen)
        self.setSymbolPen(pg.mkPen(color, width=2))

    def set_ends(self, ends: np.ndarray | None) -> None:
        if ends is None or not np.isfinite(ends).all():
            self.setVisible(False)
            return
        self.setData(x=ends[:, 0], y=ends[:, 1])
        self.setVisible(True)
