"""Create, paint and destroy plot widgets many times, and exit with one still open.

PySide6 6.12.0 + pyqtgraph 0.14 aborted ("Fatal Python error: bool_dealloc") in exactly such a
loop, 3 of 3 runs on the project's machines (hence the PySide6 pin in pyproject.toml), and a
pg.GraphicsLayout holding a PlotItem segfaults at interpreter exit with PySide6 6.11 when its window
is still open. The subprocess tests turn either crash into a readable failure instead of killing the
test session; the in-process loop runs under pytest-qt, which also fails on any Qt warning.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np
import pyqtgraph as pg
import PySide6
import pytest
from PySide6 import QtWidgets

from cl_viz.qt.plot.feature_plot import FeaturePlot

CYCLES = 30
PYSIDE_VERSION = tuple(int(part) for part in PySide6.__version__.split(".")[:2])
KNOWN_ABORT = PYSIDE_VERSION >= (6, 12)


def frames(n: int = 2_000, count: int = 3, seed: int = 0):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, n)
    xy = rng.normal(0, 1, (n, 2)) + 5 * labels[:, None]
    for _ in range(count):
        xy = xy + rng.normal(0, 0.05, xy.shape)
        yield xy, labels, np.stack([xy[labels == k].mean(axis=0) for k in range(10)])


def cycle_feature_plot(app: QtWidgets.QApplication) -> None:
    plot = FeaturePlot()
    plot.set_classes([f"class {k}" for k in range(10)])
    plot.resize(400, 300)
    plot.show()
    for xy, labels, centers in frames():
        plot.show_frame(xy, labels, centers)
        plot.set_batch(xy[:64], labels[:64])
        app.processEvents()
    plot.grab()
    plot.close()
    plot.deleteLater()
    app.processEvents()


def cycle_plot_widget(app: QtWidgets.QApplication) -> None:
    widget = pg.PlotWidget()
    widget.resize(400, 300)
    scatter = pg.ScatterPlotItem(size=4, pen=None, brush="b")
    widget.addItem(scatter)
    widget.show()
    for xy, _, _ in frames(n=500):
        scatter.setData(pos=xy)
        app.processEvents()
    widget.grab()
    widget.close()
    widget.deleteLater()
    app.processEvents()


def run_child(code: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    script = "import faulthandler; faulthandler.enable()\n" + textwrap.dedent(code)
    return subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                          text=True, timeout=120)


@pytest.mark.skipif(KNOWN_ABORT, reason="PySide6 >= 6.12 aborts here; test_loop_in_subprocess reports it")
def test_create_paint_close_loop(qtbot):
    app = QtWidgets.QApplication.instance()
    for _ in range(CYCLES):
        cycle_feature_plot(app)
        cycle_plot_widget(app)


def test_loop_in_subprocess():
    result = run_child(f"""
        import sys
        sys.path.insert(0, {os.path.dirname(__file__)!r})
        from PySide6 import QtWidgets
        app = QtWidgets.QApplication([])
        from test_plot_stress import cycle_feature_plot, cycle_plot_widget
        for _ in range({CYCLES}):
            cycle_feature_plot(app)
            cycle_plot_widget(app)
        print("done")
    """)
    assert result.returncode == 0 and "done" in result.stdout, (
        f"PySide6 {PySide6.__version__}: the create/paint/close loop crashed "
        f"(exit code {result.returncode}):\n{result.stderr[-3000:]}"
    )


def test_exit_with_plot_still_open():
    result = run_child("""
        import numpy as np
        from PySide6 import QtWidgets
        app = QtWidgets.QApplication([])
        from cl_viz.qt.plot.feature_plot import FeaturePlot
        plot = FeaturePlot()
        plot.set_classes([str(k) for k in range(10)])
        plot.show()
        labels = np.arange(100) % 10
        plot.show_frame(np.random.default_rng(0).normal(size=(100, 2)), labels, np.zeros((10, 2)))
        plot.grab()
        print("done")
    """)
    assert result.returncode == 0 and "done" in result.stdout, (
        f"exit with an open FeaturePlot crashed (exit code {result.returncode}):\n{result.stderr[-3000:]}"
    )
