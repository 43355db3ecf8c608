"""Decision regions (argmax of W x + b behind the points) and classifier weight arrows."""

from __future__ import annotations

import time

import numpy as np
import pytest
from PySide6 import QtCore

from cl_viz.core.metrics import FeatureMetrics
from cl_viz.core.snapshot import Snapshot
from cl_viz.qt.plot.feature_plot import FeaturePlot
from cl_viz.qt.plot.regions import (
    ARROW_FRACTION,
    RECOMPUTE_INTERVAL_MS,
    REGION_ALPHA,
    argmax_grid,
    arrow_tips,
    region_grid,
)
from cl_viz.qt.plot.theme import class_colors

N_CLASSES = 10


def ring_weight(scale: float = 1.0, seed: int = 0) -> np.ndarray:
    angle = 2 * np.pi * np.arange(N_CLASSES) / N_CLASSES
    lengths = np.random.default_rng(seed).uniform(0.5, 2.0, N_CLASSES)  # unequal: relative lengths matter
    return scale * lengths[:, None] * np.stack([np.cos(angle), np.sin(angle)], axis=1)


def make_snapshot(weight, bias=None, n_points: int = 500) -> Snapshot:
    rng = np.random.default_rng(1)
    labels = rng.integers(0, N_CLASSES, n_points)
    features = rng.normal(0, 5, (n_points, 2))
    metrics = FeatureMetrics(*([float("nan")] * 6))
    return Snapshot(step=1, epoch=0.0, lam=0.01, alpha=0.5, lr=0.05, loss_softmax=1.0, loss_center=1.0,
                    loss_total=1.0, batch_accuracy=0.5, features=features, labels=labels, predictions=labels,
                    centers=np.zeros((N_CLASSES, 2)), classifier_weight=weight, classifier_bias=bias,
                    metrics=metrics)


@pytest.fixture
def plot(qtbot) -> FeaturePlot:
    widget = FeaturePlot()
    qtbot.addWidget(widget)
    widget.set_classes([str(k) for k in range(N_CLASSES)])
    widget.resize(640, 520)
    widget.show()
    qtbot.waitExposed(widget)
    widget.axes.set_fixed_range(-12, 8, -6, 10)  # origin off-centre: the regions are not symmetric
    return widget


def regions(plot: FeaturePlot):
    return plot._regions


def show_regions(qtbot, plot: FeaturePlot, snapshot: Snapshot) -> None:
    with qtbot.waitSignal(regions(plot).recomputed, timeout=2000):
        plot.set_inspection_data(snapshot)
        plot.set_decision_regions_visible(True)


def numpy_argmax(weight, bias, x: float, y: float) -> int:
    return int(np.argmax(weight @ np.array([x, y]) + (0 if bias is None else bias)))


# --------------------------------------------------------------------------- numpy


def test_argmax_grid_matches_numpy_per_cell():
    rng = np.random.default_rng(2)
    weight, bias = rng.normal(size=(N_CLASSES, 2)), rng.normal(size=N_CLASSES)
    rect, shape = region_grid(np.array([[-3.0, 5.0], [-1.0, 2.0]]))
    assert max(shape) == 200 and shape[0] < shape[1]
    labels = argmax_grid(weight, bias, rect, shape)
    rows, cols = shape
    for row, col in rng.integers(0, [rows, cols], (200, 2)):
        x = rect[0] + (col + 0.5) * rect[2] / cols
        y = rect[1] + (row + 0.5) * rect[3] / rows
        assert labels[row, col] == numpy_argmax(weight, bias, x, y)


def test_degenerate_views_give_no_grid():
    assert region_grid(np.array([[0.0, 0.0], [0.0, 1.0]])) is None
    assert region_grid(np.array([[0.0, np.nan], [0.0, 1.0]])) is None
    assert region_grid(np.array([[0.0, 1e300], [0.0, 1.0]])) is None


# --------------------------------------------------------------------------- regions on the plot


def test_region_image_argmax_matches_numpy_at_its_placed_pixels(plot, qtbot):
    weight, bias = ring_weight(), np.linspace(-1.0, 1.0, N_CLASSES)
    show_regions(qtbot, plot, make_snapshot(weight, bias))
    item = regions(plot).image_item
    labels = regions(plot).region_labels
    assert item.isVisible() and item.zValue() < plot._points.zValue()
    rows, cols = labels.shape
    lut = class_colors(N_CLASSES)
    rng = np.random.default_rng(3)
    for row, col in rng.integers(0, [rows, cols], (300, 2)):
        point = plot.view_box.mapFromItemToView(item, QtCore.QPointF(col + 0.5, row + 0.5))
        assert labels[row, col] == numpy_argmax(weight, bias, point.x(), point.y())
        np.testing.assert_array_equal(item.image[row, col], [*lut[labels[row, col], :3], REGION_ALPHA])
    covered = plot.view_box.mapFromItemToView(item, item.boundingRect()).boundingRect()
    assert covered.contains(plot.view_box.viewRect())


def test_recompute_is_throttled_and_off_the_frame_path(plot, qtbot):
    show_regions(qtbot, plot, make_snapshot(ring_weight()))
    times = []
    regions(plot).recomputed.connect(lambda: times.append(time.monotonic()))
    start = time.monotonic()
    frames = []

    def feed_frame() -> bool:
        before = regions(plot).recompute_count
        plot.set_inspection_data(make_snapshot(ring_weight(1.0 + 0.01 * len(frames))))
        plot.show_frame(np.zeros((5, 2)), np.zeros(5, int), np.zeros((N_CLASSES, 2)))
        assert regions(plot).recompute_count == before  # never inside the caller's frame
        frames.append(1)
        return time.monotonic() - start > 0.9

    qtbot.waitUntil(feed_frame, timeout=5000)
    elapsed = time.monotonic() - start
    assert len(frames) > 2 * len(times)
    assert 2 <= len(times) <= elapsed / (RECOMPUTE_INTERVAL_MS / 1000) + 1
    # times are taken when a recompute ends; its own duration (a few ms, more under load) may vary
    assert np.diff(times).min() >= RECOMPUTE_INTERVAL_MS / 1000 - 0.025


def test_view_change_recomputes_and_hidden_regions_cost_nothing(plot, qtbot):
    show_regions(qtbot, plot, make_snapshot(ring_weight()))
    with qtbot.waitSignal(regions(plot).recomputed, timeout=2000):
        plot.axes.set_fixed_range(-50, 50, -50, 50)
    plot.set_decision_regions_visible(False)
    assert not regions(plot).image_item.isVisible()
    count = regions(plot).recompute_count
    plot.set_inspection_data(make_snapshot(ring_weight(2.0)))
    plot.axes.set_fixed_range(-5, 5, -5, 5)
    with qtbot.assertNotEmitted(regions(plot).recomputed, wait=2 * RECOMPUTE_INTERVAL_MS):
        pass
    assert regions(plot).recompute_count == count


def test_new_classes_hide_the_regions(plot, qtbot):
    show_regions(qtbot, plot, make_snapshot(ring_weight()))
    plot.set_weight_arrows_visible(True)
    plot.set_classes([str(k) for k in range(N_CLASSES)])
    assert not regions(plot).image_item.isVisible()
    assert not regions(plot).arrows_item.isVisible()


# --------------------------------------------------------------------------- arrows


def test_arrows_follow_weight_rows_scaled_to_the_view(plot, qtbot):
    weight = ring_weight()
    plot.set_inspection_data(make_snapshot(weight))
    plot.set_weight_arrows_visible(True)
    arrows = regions(plot).arrows_item
    assert arrows.isVisible()
    tips = arrows.tips()
    assert tips.shape == (N_CLASSES, 2)
    np.testing.assert_allclose(tips / np.linalg.norm(tips, axis=1, keepdims=True),
                               weight / np.linalg.norm(weight, axis=1, keepdims=True), atol=1e-12)
    ratio = np.linalg.norm(tips, axis=1) / np.linalg.norm(weight, axis=1)
    np.testing.assert_allclose(ratio, ratio[0])  # relative lengths kept
    radius = 0.5 * (plot.axes.view_range()[:, 1] - plot.axes.view_range()[:, 0]).min()
    assert np.linalg.norm(tips, axis=1).max() == pytest.approx(ARROW_FRACTION * radius)
    plot.grab()
    plot.axes.set_fixed_range(-100, 100, -100, 100)  # zoom out: arrows grow with the view
    assert np.linalg.norm(arrows.tips(), axis=1).max() > 5 * np.linalg.norm(tips, axis=1).max()
    plot.set_weight_arrows_visible(False)
    assert not arrows.isVisible()


def test_arrow_tips_of_zero_weights_stay_at_origin():
    np.testing.assert_array_equal(arrow_tips(np.zeros((3, 2)), np.array([[0.0, 1.0], [0.0, 1.0]])), 0.0)


# --------------------------------------------------------------------------- bad values


@pytest.mark.parametrize("bad", ["nan_weight", "inf_bias", "three_d", "no_weight"])
def test_non_finite_or_unusable_classifier_hides_both(plot, qtbot, bad):
    show_regions(qtbot, plot, make_snapshot(ring_weight()))
    plot.set_weight_arrows_visible(True)
    weight, bias = ring_weight(), np.zeros(N_CLASSES)
    if bad == "nan_weight":
        weight[4, 1] = np.nan
    elif bad == "inf_bias":
        bias[2] = np.inf
    elif bad == "three_d":
        weight = np.ones((N_CLASSES, 3))
    else:
        weight = None
    plot.set_inspection_data(make_snapshot(weight, bias))
    assert not regions(plot).arrows_item.isVisible()
    qtbot.waitUntil(lambda: not regions(plot).image_item.isVisible(), timeout=2000)
    plot.grab()  # painting with the bad classifier raises nothing
    with qtbot.waitSignal(regions(plot).recomputed, timeout=2000):
        plot.set_inspection_data(make_snapshot(ring_weight()))
    assert regions(plot).image_item.isVisible() and regions(plot).arrows_item.isVisible()


def test_dark_theme_recolours_regions(plot, qtbot):
    show_regions(qtbot, plot, make_snapshot(ring_weight()))
    with qtbot.waitSignal(regions(plot).recomputed, timeout=2000):
        plot.set_theme("dark")
    labels = regions(plot).region_labels
    dark = class_colors(N_CLASSES, "dark")
    np.testing.assert_array_equal(regions(plot).image_item.image[0, 0, :3], dark[labels[0, 0], :3])
