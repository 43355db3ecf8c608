"""Plots squeezed to nothing and data of any range paint without an exception reaching Qt.

A window dragged short leaves a plot 0 px tall; before these guards pyqtgraph's tickSpacing divided by
that 0 inside GridItem.paint, and PySide6 6.11 segfaulted while reporting it. The conftest fixture
fails each test here if a guard had to catch anything: the paths must be clean, not merely fenced.
"""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtWidgets import QLayout, QVBoxLayout, QWidget

from cl_viz.qt.grid.grid_view import RunGridView
from cl_viz.qt.plot.feature_plot import FeaturePlot
from cl_viz.qt.plot.lean_axis import LeanAxisItem, usable_span
from cl_viz.qt.window.metrics_panel import MetricsPanel

SIZES = [(0, 0), (1, 1), (800, 0), (0, 600), (3, 2), (640, 1), (1, 480), (5000, 40)]
NAMES = [str(k) for k in range(10)]


def data(kind: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    labels = np.arange(200) % 10
    features = {
        "normal": rng.normal(size=(200, 2)),
        "one point": np.ones((200, 2)),
        "huge": rng.normal(size=(200, 2)) * 1e30,
        "tiny": rng.normal(size=(200, 2)) * 1e-300,
        "not finite": np.full((200, 2), np.nan),
        "mixed": np.where(rng.random((200, 2)) < 0.5, np.inf, rng.normal(size=(200, 2)) * 1e12),
    }[kind]
    with np.errstate(invalid="ignore"):
        centers = np.array([features[labels == k].mean(axis=0) for k in range(10)])
    return features, labels, centers


@pytest.mark.parametrize("kind", ["normal", "one point", "huge", "tiny", "not finite", "mixed"])
def test_a_feature_plot_paints_at_every_size_with_any_data(qtbot, kind):
    plot = FeaturePlot()
    qtbot.addWidget(plot)
    plot.set_classes(NAMES)
    plot.set_decision_regions_visible(True)
    plot.set_weight_arrows_visible(True)
    plot.show()
    features, labels, centers = data(kind)
    for width, height in SIZES:
        plot.resize(width, height)
        plot.show_frame(features, labels, centers)
        plot.set_batch(features[:20], labels[:20])
        plot.grab()
        qtbot.wait(1)  # let the region and inspector throttles run at this size too


def test_the_metrics_graphs_and_the_lambda_grid_paint_at_every_size(qtbot, small_config, digits):
    from cl_viz.core.grid import LambdaGridRun

    run = LambdaGridRun(small_config, (0.0, 0.1), digits)
    run.train_step()
    frame = run.frame()
    grid = RunGridView(digits.class_names, run.info.run_titles)
    panel = MetricsPanel()
    panel.clear(compare=False)
    holder = QWidget()  # as in the main window: the graphs are never a top-level widget of their own
    layout = QVBoxLayout(holder)
    layout.setSizeConstraint(QLayout.SizeConstraint.SetNoConstraint)
    layout.addWidget(panel.graphs)
    for widget in (grid, holder):
        qtbot.addWidget(widget)
        widget.show()
    for width, height in SIZES:
        grid.resize(width, height)
        grid.show_frame(frame, snap=True)
        grid.grab()
        holder.resize(width, height)
        for graph in panel.views:
            panel.refresh_graph(graph)
        holder.grab()


def test_a_short_main_window_paints(qtbot, open_window):
    window = open_window(compare=True)
    window.single_step()
    qtbot.waitUntil(lambda: window.playback.latest is not None and window.playback.latest.step == 1, timeout=30000)
    for width, height in [(800, 200), (300, 120), (1, 1), (1500, 60)]:
        window.resize(width, height)
        window.scheduler.finish()
        window.grab()
    window.graphs_splitter.setSizes([0, 300])
    window.splitter.setSizes([0, 400])
    window.grab()


@pytest.mark.parametrize("low, high, pixels", [(0, 1, 0), (0, 1, -5), (0, 1, float("nan")), (1, 1, 300),
                                               (0, float("inf"), 300), (1e300, 1e300 * (1 + 1e-15), 300),
                                               (np.float32(0), np.float32(1), 0.5)])
def test_no_ticks_where_none_can_be_laid_out(qtbot, low, high, pixels):
    assert not usable_span(low, high, pixels)
    assert LeanAxisItem("left").tickValues(low, high, pixels) == []


def test_ticks_where_they_can(qtbot):
    assert usable_span(np.float32(-2), 3, 1)
    (major, values), *finer = LeanAxisItem("bottom").tickValues(-2.0, 3.0, 400)
    assert (major, values) == (1.0, [-2.0, -1.0, 0.0, 1.0, 2.0, 3.0]) and finer and finer[0][0] < major
