"""Hover/click inspection of probe points and legend hover on the FeaturePlot."""

from __future__ import annotations

import time

import numpy as np
import pytest
from PySide6 import QtCore, QtGui, QtWidgets

from cl_viz.core.metrics import FeatureMetrics
from cl_viz.core.snapshot import Snapshot
from cl_viz.qt.plot.feature_plot import FeaturePlot
from cl_viz.qt.plot.inspector import (
    DIGIT_PX,
    HOVER_INTERVAL_MS,
    WRONG_COLORS,
    describe_point,
    digit_pixmap,
    pick_nearest,
)

N_CLASSES = 10
NAMES = [f"class {k}" for k in range(N_CLASSES)]
LONELY = 2000  # index of the isolated probe point the tests hover
LONELY_XY = (3.0, -4.0)
EMPTY_XY = (-3.0, 3.0)  # no point within many pixels


def make_snapshot(features, labels, predictions, centers, weight=None, bias=None) -> Snapshot:
    n_classes = len(centers)
    weight = np.zeros((n_classes, 2)) if weight is None else weight
    metrics = FeatureMetrics(*([float("nan")] * 6))
    return Snapshot(step=1, epoch=0.0, lam=0.01, alpha=0.5, lr=0.05, loss_softmax=1.0, loss_center=1.0,
                    loss_total=1.0, batch_accuracy=0.5, features=features, labels=labels, predictions=predictions,
                    centers=centers, classifier_weight=weight, classifier_bias=bias, metrics=metrics)


def ring_centers() -> np.ndarray:
    angle = 2 * np.pi * np.arange(N_CLASSES) / N_CLASSES
    return 10.0 * np.stack([np.cos(angle), np.sin(angle)], axis=1)


def probe_data(seed: int = 0):
    """200 points per class around a ring, plus one lonely point of class 3 predicted as 5."""
    rng = np.random.default_rng(seed)
    labels = np.append(np.repeat(np.arange(N_CLASSES), 200), 3)
    features = ring_centers()[labels] + rng.normal(0, 0.25, (len(labels), 2))
    features[LONELY] = LONELY_XY
    predictions = labels.copy()
    predictions[LONELY] = 5
    centers = ring_centers() + rng.normal(0, 0.5, (N_CLASSES, 2))
    images = rng.integers(0, 256, (len(labels), 28, 28), dtype=np.uint8)
    return make_snapshot(features, labels, predictions, centers), images


@pytest.fixture
def plot(shown_feature_plot) -> FeaturePlot:
    widget = shown_feature_plot(NAMES)
    snapshot, images = probe_data()
    widget.axes.set_fixed_range(-15, 15, -15, 15)
    widget.show_frame(snapshot.features, snapshot.labels, snapshot.centers)
    widget.set_inspection_data(snapshot, images)
    widget.snapshot, widget.images = snapshot, images  # for the tests' convenience
    return widget


def viewport_pos(plot: FeaturePlot, x: float, y: float) -> QtCore.QPoint:
    view = plot._view
    return view.mapFromScene(plot.view_box.mapViewToScene(QtCore.QPointF(x, y)))


def hover(qtbot, plot: FeaturePlot, x: float, y: float) -> None:
    target = viewport_pos(plot, x, y)
    # Qt sends no move event for a move onto where the cursor already is (as a previous test left it)
    qtbot.mouseMove(plot._view.viewport(), target + QtCore.QPoint(1, 1))
    qtbot.mouseMove(plot._view.viewport(), target)


def inspector(plot: FeaturePlot):
    return plot._inspector


def leave(plot: FeaturePlot) -> None:
    QtWidgets.QApplication.sendEvent(plot._view.viewport(), QtCore.QEvent(QtCore.QEvent.Type.Leave))


# --------------------------------------------------------------------------- numpy helpers


def test_pick_nearest_matches_brute_force_and_skips_nan():
    rng = np.random.default_rng(1)
    xy = rng.uniform(-10, 10, (5000, 2))
    xy[::50] = np.nan
    pixel = (0.05, 0.04)
    for x, y in rng.uniform(-10, 10, (50, 2)):
        d = np.hypot((xy[:, 0] - x) / pixel[0], (xy[:, 1] - y) / pixel[1])
        d = np.where(np.isnan(d), np.inf, d)
        expected = int(np.argmin(d)) if d.min() <= 8 else None
        assert pick_nearest(xy, x, y, *pixel) == expected
    assert pick_nearest(np.full((3, 2), np.nan), 0.0, 0.0, 1.0, 1.0) is None
    assert pick_nearest(xy, 0.0, 0.0, 0.0, 1.0) is None


def test_describe_point_matches_numpy():
    snapshot, _ = probe_data()
    report = describe_point(snapshot, LONELY)
    x, centers = snapshot.features[LONELY], snapshot.centers
    distances = np.linalg.norm(centers - x, axis=1)
    others = distances.copy()
    others[3] = np.inf
    assert (report.label, report.prediction) == (3, 5)
    assert report.own_distance == pytest.approx(distances[3])
    assert report.nearest_other == int(np.argmin(others))
    assert report.nearest_other_distance == pytest.approx(others.min())


# --------------------------------------------------------------------------- hover and click


def test_hover_shows_classes_distances_and_digit(plot, qtbot):
    hover(qtbot, plot, *LONELY_XY)
    qtbot.waitUntil(lambda: inspector(plot).index == LONELY, timeout=2000)
    panel = inspector(plot).panel
    text = panel.text.text()
    report = describe_point(plot.snapshot, LONELY)
    assert "true <b>class 3</b>" in text
    assert f'color:{WRONG_COLORS["light"]}"><b>class 5</b>' in text  # wrong prediction in red
    assert f"{report.own_distance:.3g}" in text
    assert f"<b>{NAMES[report.nearest_other]}</b> at {report.nearest_other_distance:.3g}" in text
    image = panel.digit.pixmap().toImage()
    assert (image.width(), image.height()) == (DIGIT_PX, DIGIT_PX)
    scale = DIGIT_PX // 28
    digit = plot.images[LONELY]
    for row, col in ((0, 0), (5, 17), (27, 27)):
        pixel = image.pixelColor(col * scale + 1, row * scale + 1)
        assert pixel.red() == digit[row, col]  # nearest neighbour: crisp, exact


def test_correct_prediction_is_not_red(plot, qtbot):
    x, y = plot.snapshot.features[0]
    hover(qtbot, plot, x, y)
    qtbot.waitUntil(lambda: inspector(plot).index is not None, timeout=2000)
    assert WRONG_COLORS["light"] not in inspector(plot).panel.text.text()


def test_hover_on_empty_space_hides_and_leaving_hides(plot, qtbot):
    hover(qtbot, plot, *LONELY_XY)
    qtbot.waitUntil(lambda: inspector(plot).index == LONELY, timeout=2000)
    hover(qtbot, plot, *EMPTY_XY)
    qtbot.waitUntil(lambda: inspector(plot).index is None, timeout=2000)
    hover(qtbot, plot, *LONELY_XY)
    qtbot.waitUntil(lambda: inspector(plot).index == LONELY, timeout=2000)
    leave(plot)
    assert not inspector(plot).panel.isVisible()


def test_panel_stays_inside_the_plot(plot, qtbot):
    corner = plot.snapshot.features[:200][np.argmax(plot.snapshot.features[:200, 0])]  # rightmost of class 0
    hover(qtbot, plot, *corner)
    qtbot.waitUntil(lambda: inspector(plot).index is not None, timeout=2000)
    assert plot.rect().contains(inspector(plot).panel.geometry())


def test_click_pins_escape_and_empty_click_unpin(plot, qtbot):
    viewport = plot._view.viewport()
    qtbot.mouseClick(viewport, QtCore.Qt.MouseButton.LeftButton, pos=viewport_pos(plot, *LONELY_XY))
    assert inspector(plot).pinned and inspector(plot).index == LONELY
    assert "pinned" in inspector(plot).panel.text.text()
    assert inspector(plot)._ring.isVisible()
    updates = inspector(plot).hover_updates
    hover(qtbot, plot, *plot.snapshot.features[0])  # hovering elsewhere keeps the pinned point
    qtbot.waitUntil(lambda: inspector(plot).hover_updates > updates, timeout=2000)
    leave(plot)
    assert inspector(plot).index == LONELY
    qtbot.keyClick(plot, QtCore.Qt.Key.Key_Escape)
    assert not inspector(plot).pinned and inspector(plot).index is None
    assert not inspector(plot)._ring.isVisible()
    qtbot.mouseClick(viewport, QtCore.Qt.MouseButton.LeftButton, pos=viewport_pos(plot, *LONELY_XY))
    assert inspector(plot).pinned
    qtbot.mouseClick(viewport, QtCore.Qt.MouseButton.LeftButton, pos=viewport_pos(plot, *EMPTY_XY))
    assert not inspector(plot).pinned and inspector(plot).index is None


def test_pinned_panel_follows_new_data(plot, qtbot):
    viewport = plot._view.viewport()
    qtbot.mouseClick(viewport, QtCore.Qt.MouseButton.LeftButton, pos=viewport_pos(plot, *LONELY_XY))
    before = inspector(plot).panel.pos()
    moved = plot.snapshot.features.copy()
    moved[LONELY] = (-6.0, -6.0)
    snapshot = make_snapshot(moved, plot.snapshot.labels, plot.snapshot.labels, plot.snapshot.centers)
    plot.set_inspection_data(snapshot, plot.images)
    expected = f"{np.linalg.norm(moved[LONELY] - snapshot.centers[3]):.3g}"
    qtbot.waitUntil(lambda: expected in inspector(plot).panel.text.text(), timeout=2000)
    assert WRONG_COLORS["light"] not in inspector(plot).panel.text.text()  # now predicted right
    assert inspector(plot).panel.pos() != before


def test_pinned_panel_moves_with_the_view(plot, qtbot):
    plot.resize(1000, 520)  # room on both sides of the point
    plot.axes.set_fixed_range(-15, 15, -15, 15)
    viewport = plot._view.viewport()
    qtbot.mouseClick(viewport, QtCore.Qt.MouseButton.LeftButton, pos=viewport_pos(plot, *LONELY_XY))
    before = inspector(plot).panel.pos()
    plot.axes.set_fixed_range(-10, 20, -15, 15)  # pan right: the point moves left on screen
    qtbot.waitUntil(lambda: inspector(plot).panel.pos().x() < before.x(), timeout=2000)
    assert inspector(plot).index == LONELY


def test_pinned_point_turning_non_finite_hides_the_panel(plot, qtbot):
    viewport = plot._view.viewport()
    qtbot.mouseClick(viewport, QtCore.Qt.MouseButton.LeftButton, pos=viewport_pos(plot, *LONELY_XY))
    broken = plot.snapshot.features.copy()
    broken[LONELY] = np.nan
    plot.set_inspection_data(make_snapshot(broken, plot.snapshot.labels, plot.snapshot.predictions,
                                           plot.snapshot.centers), plot.images)
    qtbot.waitUntil(lambda: not inspector(plot).panel.isVisible(), timeout=2000)
    assert not inspector(plot).pinned


def test_rapid_moves_are_throttled_and_the_last_one_wins(plot, qtbot):
    throttle = inspector(plot)._throttle
    handled = []
    callback = throttle._callback
    throttle._callback = lambda: (handled.append(time.monotonic()), callback())
    for x in np.linspace(-12, 12, 60):
        hover(qtbot, plot, x, 12.0)
    hover(qtbot, plot, *LONELY_XY)
    qtbot.waitUntil(lambda: inspector(plot).index == LONELY, timeout=2000)
    assert len(handled) < 20
    assert np.diff(handled).min(initial=1.0) >= HOVER_INTERVAL_MS / 1000 - 0.002


def test_no_data_or_new_classes_show_nothing(plot, qtbot):
    hover(qtbot, plot, *LONELY_XY)
    qtbot.waitUntil(lambda: inspector(plot).index == LONELY, timeout=2000)
    plot.set_classes(NAMES)  # a new run: old inspection data is gone
    assert inspector(plot).index is None
    hover(qtbot, plot, *EMPTY_XY)
    hover(qtbot, plot, *LONELY_XY)
    qtbot.waitUntil(lambda: inspector(plot).hover_updates >= 2, timeout=2000)
    assert inspector(plot).index is None


def test_colour_images_show_in_colour(qapp):
    image = np.zeros((3, 4, 4), dtype=np.uint8)
    image[0, 0, 0], image[1, 0, 3], image[2, 3, 0] = 200, 150, 100  # red top left, green top right, blue below
    shown = digit_pixmap(image, side=8).toImage()
    assert (shown.width(), shown.height()) == (8, 8)
    assert shown.pixelColor(1, 1).getRgb()[:3] == (200, 0, 0)
    assert shown.pixelColor(7, 0).getRgb()[:3] == (0, 150, 0)
    assert shown.pixelColor(0, 7).getRgb()[:3] == (0, 0, 100)


def test_hover_shows_a_colour_probe_image(plot, qtbot):
    colour = np.random.default_rng(1).integers(0, 256, (len(plot.snapshot.labels), 3, 32, 32), dtype=np.uint8)
    plot.set_inspection_data(plot.snapshot, colour)
    hover(qtbot, plot, *LONELY_XY)
    qtbot.waitUntil(lambda: inspector(plot).index == LONELY, timeout=2000)
    digit = inspector(plot).panel.digit
    assert digit.isVisible() and digit.pixmap().width() == DIGIT_PX
    pixel = digit.pixmap().toImage().pixelColor(1, 1)
    assert pixel.getRgb()[:3] == tuple(colour[LONELY, :, 0, 0])


def test_missing_images_hide_the_digit(plot, qtbot):
    plot.set_inspection_data(plot.snapshot, None)
    hover(qtbot, plot, *LONELY_XY)
    qtbot.waitUntil(lambda: inspector(plot).index == LONELY, timeout=2000)
    assert not inspector(plot).panel.digit.isVisible()


# --------------------------------------------------------------------------- legend


def legend_pos(plot: FeaturePlot, k: int, part: int) -> QtCore.QPoint:
    """Viewport position of legend row k: part 0 is the swatch, 1 the name."""
    item = plot.legend.items[k][part]
    return plot._view.mapFromScene(item.sceneBoundingRect().center())


def test_legend_hover_highlights_and_leaving_restores(plot, qtbot):
    viewport = plot._view.viewport()
    qtbot.mouseMove(viewport, legend_pos(plot, 4, 1))
    qtbot.waitUntil(lambda: plot.highlighted_class == 4, timeout=2000)
    qtbot.mouseMove(viewport, legend_pos(plot, 7, 0))
    qtbot.waitUntil(lambda: plot.highlighted_class == 7, timeout=2000)
    hover(qtbot, plot, *EMPTY_XY)
    qtbot.waitUntil(lambda: plot.highlighted_class is None, timeout=2000)
    qtbot.mouseMove(viewport, legend_pos(plot, 2, 1))
    qtbot.waitUntil(lambda: plot.highlighted_class == 2, timeout=2000)
    leave(plot)
    assert plot.highlighted_class is None


def test_legend_click_toggles_a_lasting_highlight(plot, qtbot):
    viewport = plot._view.viewport()
    qtbot.mouseClick(viewport, QtCore.Qt.MouseButton.LeftButton, pos=legend_pos(plot, 6, 0))  # swatch
    leave(plot)
    assert plot.highlighted_class == 6
    qtbot.mouseMove(viewport, legend_pos(plot, 1, 1))
    qtbot.waitUntil(lambda: plot.highlighted_class == 1, timeout=2000)  # hover wins while it lasts
    leave(plot)
    assert plot.highlighted_class == 6
    qtbot.mouseClick(viewport, QtCore.Qt.MouseButton.LeftButton, pos=legend_pos(plot, 6, 1))  # name
    leave(plot)
    assert plot.highlighted_class is None
    plot.legend.sigSampleClicked.emit(3)
    assert plot.highlighted_class == 3


def test_panel_follows_theme(plot):
    plot.set_theme("dark")
    assert "#1c1f24" in inspector(plot).panel.styleSheet().lower()
    assert isinstance(inspector(plot).panel.digit.pixmap(), QtGui.QPixmap)


@pytest.mark.parametrize("head, term", [("arcface", "cos(θ<sub>y</sub> + m)"), ("cosface", "cos θ<sub>y</sub> − m"),
                                        ("sphereface", "ψ(θ<sub>y</sub>)"), ("normface", None)])
def test_an_angular_run_shows_the_angles_to_each_class_direction_and_the_margin_term(plot, qtbot, head, term):
    import dataclasses

    from cl_viz.core.point_angles import point_angles

    directions = ring_centers() / 10.0
    margin = 4.0 if head == "sphereface" else 0.3
    snapshot = dataclasses.replace(plot.snapshot, head=head, margin=margin, effective_margin=0.15,
                                   classifier_weight=directions, step=40)
    plot.set_inspection_data(snapshot, plot.images)
    hover(qtbot, plot, *LONELY_XY)
    qtbot.waitUntil(lambda: inspector(plot).index == LONELY, timeout=2000)
    text = inspector(plot).panel.text.text()
    angles = point_angles(snapshot.features[LONELY], directions, 3, head, margin, 0.15, 40)
    assert f"<b>3: {angles.degrees[3]:.0f}°</b>" in text and f"9: {angles.degrees[9]:.0f}°" in text
    assert f"cos θ<sub>y</sub> = {angles.cos_target:.3f}" in text
    if term is None:
        assert "m =" not in text
    else:
        assert f"{term}" in text and f"<b>{angles.margin_term:.3f}</b>" in text
        assert ("m = 4, λ<sub>s</sub> = " if head == "sphereface" else "(m = 0.15)") in text


def test_a_softmax_run_shows_no_angles(plot, qtbot):
    hover(qtbot, plot, *LONELY_XY)
    qtbot.waitUntil(lambda: inspector(plot).index == LONELY, timeout=2000)
    assert "θ" not in inspector(plot).panel.text.text()
