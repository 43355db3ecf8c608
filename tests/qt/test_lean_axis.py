"""The lean axis gives what pyqtgraph's AxisItem gives: the same ticks, labels and layout."""

import random

import pyqtgraph as pg
import pytest
from PySide6 import QtGui

from cl_viz.qt.plot.lean_axis import LeanAxisItem, lean_axes


def spec_values(axis: pg.AxisItem):
    picture = QtGui.QPicture()
    painter = QtGui.QPainter(picture)
    try:
        line, ticks, labels = axis.generateDrawSpecs(painter)
    finally:
        painter.end()
    return ((line[1].x(), line[1].y(), line[2].x(), line[2].y()),
            [(pen.color().getRgb(), start.x(), start.y(), end.x(), end.y()) for pen, start, end in ticks],
            [(rect.getRect(), int(flags), text) for rect, flags, text in labels])


@pytest.fixture
def twin_plots(qtbot):
    plots = []
    for axes in (None, lean_axes()):
        widget = pg.PlotWidget(axisItems=axes)
        qtbot.addWidget(widget)
        widget.resize(550, 680)
        widget.show()
        for name in ("left", "bottom"):
            widget.getPlotItem().getAxis(name).setStyle(maxTickLevel=1, autoReduceTextSpace=False)
        plots.append(widget)
    qtbot.waitExposed(plots[1])
    return plots


def test_ticks_labels_and_layout_match_pyqtgraph_over_many_ranges(twin_plots):
    assert isinstance(twin_plots[1].getPlotItem().getAxis("left"), LeanAxisItem)
    rng = random.Random(1)
    labelled = 0
    for _ in range(150):
        center, half = rng.uniform(-100, 100), 10 ** rng.uniform(-3, 4)
        for widget in twin_plots:
            view = widget.getPlotItem().getViewBox()
            view.setRange(xRange=(center - half, center + half), yRange=(center - 1.3 * half, center + 0.7 * half),
                          padding=0)
            view.updateMatrix()
        for name in ("left", "bottom"):
            expected, lean = (spec_values(widget.getPlotItem().getAxis(name)) for widget in twin_plots)
            assert lean == expected
            labelled += bool(lean[2])
    assert labelled > 200  # of 300 axes: labels wider than a default axis are left out, by both


def test_tick_values_match_pyqtgraph_with_every_level():
    reference, lean = pg.AxisItem("bottom"), LeanAxisItem("bottom")
    for axis in (reference, lean):
        axis.setStyle(maxTickLevel=2)
    rng = random.Random(2)
    for _ in range(2000):
        low, half, pixels = rng.uniform(-1e4, 1e4), 10 ** rng.uniform(-6, 6), rng.uniform(50, 2000)
        assert lean.tickValues(low, low + half, pixels) == reference.tickValues(low, low + half, pixels)


def test_a_log_scale_axis_is_left_to_pyqtgraph(qtbot):
    widget = pg.PlotWidget(axisItems=lean_axes())
    qtbot.addWidget(widget)
    widget.getPlotItem().setLogMode(y=True)
    widget.getPlotItem().setYRange(-3, 1)
    axis = widget.getPlotItem().getAxis("left")
    assert axis.tickValues(-3, 1, 300) == pg.AxisItem.tickValues(axis, -3, 1, 300)
