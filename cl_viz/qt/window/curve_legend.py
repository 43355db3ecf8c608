"""A legend row above a graph's data: one line sample and name per curve actually drawn.

pyqtgraph's own legend floats inside the view box, where it covers the curves, and lists hidden
curves with a crossed-out eye. This one sits in a row of its own between the title and the data,
and is given the entries to show: what is not drawn is not listed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from cl_viz.qt.common.guard import guarded
from cl_viz.qt.common.pyqtgraph_private import ItemSample, add_above_view, legend_rows

SAMPLE_WIDTH, SAMPLE_HEIGHT = 22, 14


class Entry(NamedTuple):
    name: str
    color: tuple[int, int, int]
    dashed: bool = False


class LineSample(ItemSample):
    """A short line in the pen of the curve it stands for; clicking it does nothing (pyqtgraph's hides the curve)."""

    def __init__(self, pen: QtGui.QPen) -> None:
        super().__init__(None)
        self._pen = pen
        self.setFixedWidth(SAMPLE_WIDTH)
        self.setFixedHeight(SAMPLE_HEIGHT)

    @guarded(fallback=QtCore.QRectF)
    def boundingRect(self) -> QtCore.QRectF:  # noqa: N802 (Qt override)
        return QtCore.QRectF(0, 0, SAMPLE_WIDTH, SAMPLE_HEIGHT)

    @guarded()
    def paint(self, painter, *args) -> None:
        painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
        painter.setPen(self._pen)
        painter.drawLine(QtCore.QPointF(1, SAMPLE_HEIGHT / 2), QtCore.QPointF(SAMPLE_WIDTH - 1, SAMPLE_HEIGHT / 2))

    @guarded()
    def mouseClickEvent(self, event) -> None:  # noqa: N802 (pyqtgraph override)
        event.accept()


class RowLegend(pg.LegendItem):
    """A LegendItem placed by its PlotItem's grid: not moved to (0, 0) each time an entry is added, and
    not dragged away by the mouse."""

    @guarded()
    def updateSize(self) -> None:  # noqa: N802 (pyqtgraph override)
        self.updateGeometry()  # the grid asks for the new size hint and places it

    @guarded()
    def hoverEvent(self, event) -> None:  # noqa: N802 (pyqtgraph override)
        pass

    @guarded()
    def mouseDragEvent(self, event) -> None:  # noqa: N802 (pyqtgraph override)
        event.ignore()


class CurveLegend:
    """The legend row of one PlotItem; `show_entries` replaces what it lists (only when that changed)."""

    def __init__(self, plot: pg.PlotItem, text_color: str = "#333", text_size: str = "8pt") -> None:
        self.item = RowLegend(offset=None, horSpacing=6, frame=False, colCount=8, labelTextColor=text_color,
                              labelTextSize=text_size)
        self.item.layout.setContentsMargins(0, 0, 0, 0)
        # narrower than its entries in a narrow graph (they then overlap) rather than widening the graph
        self.item.setSizePolicy(QtWidgets.QSizePolicy.Policy.Maximum, QtWidgets.QSizePolicy.Policy.Fixed)
        self.item.setMinimumWidth(0)
        add_above_view(plot, self.item, _row_height(text_size))
        self._entries: tuple[Entry, ...] = ()

    @property
    def entries(self) -> tuple[Entry, ...]:
        return self._entries

    @property
    def names(self) -> list[str]:
        return [label.text for _, label in legend_rows(self.item)]

    def show_entries(self, entries: Sequence[Entry]) -> None:
        entries = tuple(entries)
        if entries == self._entries:
            return  # rebuilding re-lays out the legend: not on every refresh
        self._entries = entries
        self.item.clear()
        for entry in entries:
            style = QtCore.Qt.PenStyle.DashLine if entry.dashed else QtCore.Qt.PenStyle.SolidLine
            self.item.addItem(LineSample(pg.mkPen(entry.color, width=2, style=style)), entry.name)


def _row_height(text_size: str) -> int:
    """The height of one legend row: that of a label, so that a graph with an empty legend lines up."""
    label = pg.LabelItem("λ·L_C", size=text_size)
    return math.ceil(label.effectiveSizeHint(QtCore.Qt.SizeHint.PreferredSize).height())
