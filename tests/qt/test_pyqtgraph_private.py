"""The private pyqtgraph API that cl-viz uses (cl_viz/qt/common/pyqtgraph_private.py) is there."""

from __future__ import annotations

import inspect

import pyqtgraph as pg

from cl_viz.qt.common import pyqtgraph_private


def test_the_installed_pyqtgraph_is_a_tested_version():
    assert pyqtgraph_private.version() in pyqtgraph_private.TESTED_VERSIONS, pg.__version__


def test_every_private_name_used_exists_where_expected(qtbot):
    plot_item = pg.PlotItem()
    axis = plot_item.getAxis("left")
    assert callable(plot_item.getViewBox().updateMatrix) and callable(plot_item.getViewBox().prepareForPaint)
    assert isinstance(plot_item.layout, pg.QtWidgets.QGraphicsGridLayout) and plot_item.titleLabel is not None
    assert plot_item.layout.itemAt(pyqtgraph_private.VIEW_ROW, 1) is plot_item.getViewBox()
    top_axis = plot_item.getAxis("top")
    assert plot_item.layout.itemAt(pyqtgraph_private.TOP_AXIS_ROW, pyqtgraph_private.VIEW_COLUMN) is top_axis
    assert not top_axis.isVisible()  # add_above_view takes its cell
    assert axis._tickLevels is None and callable(axis._updateMaxTextSize)
    legend = pg.LegendItem()
    legend.addItem(pg.PlotDataItem([0, 1]), "a")
    assert [type(sample) for sample, _ in pyqtgraph_private.legend_rows(legend)] == [pyqtgraph_private.ItemSample]
    assert "generateDrawSpecs" in vars(pg.AxisItem)
    assert "p" in inspect.signature(pg.AxisItem.generateDrawSpecs).parameters
