"""Every use of pyqtgraph's private or undocumented API, in one place, for the versions tested.

Tested with pyqtgraph 0.14.0 (pyproject pins >=0.14,<0.15; tests/test_pyqtgraph_private.py checks
that each name used here exists). Outside this module cl-viz uses pyqtgraph's public API, except
that plot/lean_axis.py overrides AxisItem.tickValues and AxisItem.generateDrawSpecs (the method
AxisItem.paint calls) and reads AxisItem.style, as pyqtgraph's documentation of subclassing allows.
"""

from __future__ import annotations

import pyqtgraph as pg
from pyqtgraph.graphicsItems.LegendItem import ItemSample  # noqa: F401 (the legend swatch base class)
from PySide6 import QtCore, QtWidgets

TESTED_VERSIONS = ((0, 14),)  # major, minor
VIEW_ROW, LEGEND_COLUMN = 2, 3  # PlotItem's grid: row 2 holds the left axis, the view box and the right axis
TITLE_ROW, TOP_AXIS_ROW, VIEW_COLUMN = 0, 1, 1


def version() -> tuple[int, int]:
    major, minor = pg.__version__.split(".")[:2]
    return int(major), int(minor)


def apply_view_range_now(view_box: pg.ViewBox) -> None:
    """Apply a new range to the view's transform at once. pyqtgraph defers it to the next paint,
    whose item changes then schedule a second paint of the whole view."""
    view_box.updateMatrix()


def apply_auto_range_now(view_box: pg.ViewBox) -> None:
    """Apply a pending auto-range now, not inside the next paint (which would then paint again)."""
    view_box.prepareForPaint()


def add_beside_view(plot_item: pg.PlotItem, item: QtWidgets.QGraphicsLayoutItem) -> None:
    """Put `item` in its own cell right of the view box, top-aligned, inside the PlotItem's grid."""
    grid = plot_item.layout
    grid.addItem(item, VIEW_ROW, LEGEND_COLUMN)
    grid.setAlignment(item, QtCore.Qt.AlignmentFlag.AlignTop)


def add_above_view(plot_item: pg.PlotItem, item: QtWidgets.QGraphicsLayoutItem, height: int) -> None:
    """Put `item` in a row of `height` px between the title and the view box, centred, in the cell
    of the top axis, which is hidden and leaves the PlotItem's grid (it must not be shown again)."""
    grid = plot_item.layout
    top_axis = plot_item.getAxis("top")
    if top_axis.isVisible():
        raise ValueError("the top axis is shown: its row is not free")
    grid.removeItem(top_axis)
    grid.addItem(item, TOP_AXIS_ROW, VIEW_COLUMN)
    grid.setAlignment(item, QtCore.Qt.AlignmentFlag.AlignHCenter | QtCore.Qt.AlignmentFlag.AlignVCenter)
    grid.setRowFixedHeight(TOP_AXIS_ROW, height)


def set_title_height(plot_item: pg.PlotItem, height: int) -> None:
    """pyqtgraph fixes the title row at 30 px; a larger title (presentation mode) needs more."""
    plot_item.titleLabel.setMaximumHeight(height)
    plot_item.layout.setRowFixedHeight(TITLE_ROW, height)


def legend_rows(legend: pg.LegendItem) -> list[tuple[QtWidgets.QGraphicsWidget, QtWidgets.QGraphicsWidget]]:
    """(sample, label) of each legend entry, in order."""
    return list(legend.items)


def explicit_ticks(axis: pg.AxisItem):
    """Ticks set with AxisItem.setTicks (None: the axis computes its own)."""
    return axis._tickLevels


def note_label_extent(axis: pg.AxisItem, extent: float) -> None:
    """Tell the axis how far its widest label reaches across it (it sizes itself to that)."""
    axis._updateMaxTextSize(extent)
