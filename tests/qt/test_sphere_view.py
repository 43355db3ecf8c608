"""The circle and sphere views of FeaturePlot: x/‖x‖ on the unit circle, 3-D on a turnable unit sphere."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6 import QtCore, QtGui, QtWidgets

from cl_viz.core.frames import Frame
from cl_viz.core.metrics import FeatureMetrics
from cl_viz.core.projection import FeatureView, Rotation
from cl_viz.core.snapshot import Snapshot
from cl_viz.qt.export.animation import frames_bounds, render_frames
from cl_viz.qt.plot.sphere import spoke_tips

N_CLASSES = 4
NAMES = [f"class {k}" for k in range(N_CLASSES)]


@pytest.fixture
def plot(shown_feature_plot):
    return shown_feature_plot(NAMES)


def features(dim: int, n: int = 400, scale: float = 30.0, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, N_CLASSES, n)
    return rng.normal(scale=scale, size=(n, dim)), labels, rng.normal(scale=scale, size=(N_CLASSES, dim))


def radii(xy: np.ndarray) -> np.ndarray:
    return np.hypot(xy[:, 0], xy[:, 1])


def drag(widget: QtWidgets.QWidget, start: QtCore.QPoint, end: QtCore.QPoint, steps: int = 8) -> None:
    """A left-button drag made of real mouse events (QTest's mouseMove carries no buttons)."""
    left, none = QtCore.Qt.MouseButton.LeftButton, QtCore.Qt.MouseButton.NoButton
    modifiers = QtCore.Qt.KeyboardModifier.NoModifier

    def send(kind, pos: QtCore.QPoint, button, buttons) -> None:
        local = QtCore.QPointF(pos)
        event = QtGui.QMouseEvent(kind, local, QtCore.QPointF(widget.mapToGlobal(pos)), button, buttons, modifiers)
        QtWidgets.QApplication.sendEvent(widget, event)

    send(QtCore.QEvent.Type.MouseButtonPress, start, left, left)
    for i in range(1, steps + 1):
        send(QtCore.QEvent.Type.MouseMove, start + (end - start) * (i / steps), none, left)
    send(QtCore.QEvent.Type.MouseButtonRelease, end, left, none)


def test_a_3d_frame_draws_every_point_inside_the_unit_circle_with_depth(plot):
    x, labels, centers = features(3)
    plot.show_frame(x, labels, centers)
    assert plot.shape == "sphere" and plot.point_count == len(x)
    assert (radii(plot._points.positions) <= 1.0 + 1e-9).all()
    assert (radii(plot._centers.centers) <= 1.0 + 1e-9).all()
    depth = plot._points.depth
    assert depth is not None and depth.min() < -0.5 and depth.max() > 0.5
    plot.set_title("center loss")
    assert "unit sphere" in plot.plot_item.titleLabel.text
    (x0, x1), (y0, y1) = plot.view_box.viewRange()
    assert x0 <= -1.0 and x1 >= 1.0 and y0 <= -1.0 and y1 >= 1.0  # follow mode shows the whole sphere


def test_a_left_drag_turns_the_sphere_instead_of_panning(qtbot, plot):
    x, labels, centers = features(3)
    plot.show_frame(x, labels, centers)
    before, rotation = np.array(plot._points.positions), plot.rotation
    view_range = plot.view_box.viewRange()
    viewport = plot.graphics_view.viewport()
    middle = viewport.rect().center()
    with qtbot.waitSignal(plot.rotation_changed, timeout=5000):
        drag(viewport, middle, middle + QtCore.QPoint(80, 30))
    assert plot.rotation.yaw > rotation.yaw and plot.rotation.pitch > rotation.pitch
    after = plot._points.positions
    assert np.abs(after - before).max() > 0.1
    assert (radii(after) <= 1.0 + 1e-9).all()
    np.testing.assert_allclose(plot.view_box.viewRange(), view_range)  # turned, not panned
    assert plot.axes.mode == "follow"


def test_a_drag_pans_a_plane_view_as_before(qtbot, plot):
    x, labels, centers = features(2)
    plot.show_frame(x, labels, centers)
    rotation, view_range = plot.rotation, np.array(plot.view_box.viewRange())
    viewport = plot.graphics_view.viewport()
    middle = viewport.rect().center()
    drag(viewport, middle, middle + QtCore.QPoint(80, 30))
    assert plot.rotation == rotation
    assert not np.allclose(plot.view_box.viewRange(), view_range)


def test_normalise_puts_every_drawn_point_on_the_unit_circle_and_back(plot):
    x, labels, centers = features(2)
    plot.show_frame(x, labels, centers)
    assert radii(plot._points.positions).max() > 5.0
    plot.set_normalised(True)
    assert plot.shape == "circle"
    np.testing.assert_allclose(radii(plot._points.positions), 1.0)
    np.testing.assert_allclose(radii(plot._centers.centers), 1.0)
    plot.show_frame(x * 3.0, labels, centers * 3.0)
    np.testing.assert_allclose(radii(plot._points.positions), 1.0)
    plot.set_normalised(False)
    assert plot.shape == "plane"
    np.testing.assert_allclose(np.sort(radii(plot._points.positions)), np.sort(radii(x * 3.0)))


def test_the_trail_is_seen_anew_when_the_sphere_turns(plot):
    x, labels, centers = features(3)
    for step in range(3):
        plot.show_frame(x, labels, centers + step)
    trail = np.array(plot._centers._trail)
    assert trail.shape == (3, N_CLASSES, 2)
    plot.set_rotation(Rotation(1.0, -0.4))
    turned = plot._centers._trail
    assert turned.shape == trail.shape and not np.allclose(turned, trail)
    np.testing.assert_allclose(turned[-1], plot._centers.centers)
    assert (radii(turned.reshape(-1, 2)) <= 1.0 + 1e-9).all()


@pytest.mark.parametrize("dim, normalise", [(3, False), (2, True)])
def test_zero_and_non_finite_features_never_reach_pyqtgraph(qtbot, plot, dim, normalise):
    x, labels, centers = features(dim, n=50)
    x[:4] = 0.0
    x[4, 0], x[5, 1], x[6, :] = np.nan, np.inf, -np.inf
    x[7] = 1e300  # huge but finite: still a direction
    centers[0] = 0.0
    centers[1, 0] = np.nan
    plot.set_normalised(normalise)
    plot.show_frame(x, labels, centers)
    plot.set_batch(x[:20], labels[:20])
    assert plot.point_count == 50 - 7
    positions = plot._points.positions
    assert np.isfinite(positions).all() and (radii(positions) <= 1.0 + 1e-9).all()
    assert np.isfinite(plot._points.depth).all() if dim == 3 else plot._points.depth is None
    assert np.isnan(plot._centers.centers[:2]).all() and np.isfinite(plot._centers.centers[2:]).all()
    assert np.isfinite(plot._batch.positions).all() and len(plot._batch.positions) == 20 - 7
    plot.grab()  # painted without a guard catching anything (the conftest checks)


def test_spokes_end_on_the_circle_at_each_class_direction():
    weight = np.array([[3.0, 4.0], [0.0, 0.0], [-2.0, 0.0]])
    tips, depth = spoke_tips(weight, None)
    np.testing.assert_allclose(tips[[0, 2]], [[0.6, 0.8], [-1.0, 0.0]])
    assert np.isnan(tips[1]).all() and (depth == 0).all()
    tips, depth = spoke_tips(np.eye(3) * 5.0, Rotation(0.0, 0.0))
    np.testing.assert_allclose(tips, [[1, 0], [0, 1], [0, 0]], atol=1e-12)
    np.testing.assert_allclose(depth, [0, 0, 1], atol=1e-12)


def test_the_guide_shows_in_the_circle_and_sphere_views_only(plot):
    x, labels, centers = features(2)
    plot.show_frame(x, labels, centers)
    assert not plot._guide.isVisible()
    plot.set_normalised(True)
    assert plot._guide.isVisible() and plot._grid.isVisible()
    plot.show_frame(*features(3))
    assert plot._guide.isVisible() and not plot._grid.isVisible()


def test_spinning_turns_the_sphere_with_the_clock(plot):
    plot.show_frame(*features(3))
    yaw = plot.rotation.yaw
    plot.set_spinning(True, now=100.0)
    assert plot.moving
    before = np.array(plot._points.positions)
    assert plot.animate(now=104.0)
    assert plot.rotation.yaw == pytest.approx(yaw + 1.0)  # 0.25 rad/s
    assert not np.allclose(plot._points.positions, before)
    plot.set_spinning(False)
    assert not plot.moving and not plot.animate(now=105.0)


def test_the_inspector_picks_the_point_where_it_is_drawn(plot):
    x, labels, centers = features(3, n=5)
    plot.show_frame(x, labels, centers)
    drawn = plot.project(x)
    assert drawn.shape == (5, 2)
    np.testing.assert_allclose(np.sort(drawn, axis=0), np.sort(plot._points.positions, axis=0))


def sphere_frame(step: int, seed: int = 0) -> Frame:
    x, labels, centers = features(3, n=200, seed=seed)
    snapshot = Snapshot(step=step, epoch=0.0, lam=0.01, alpha=0.5, lr=0.05, loss_softmax=1.0, loss_center=1.0,
                        loss_total=1.0, batch_accuracy=0.5, features=x, labels=labels, predictions=labels,
                        centers=centers, classifier_weight=centers, classifier_bias=None,
                        metrics=FeatureMetrics(0.5, 0.5, 1.0, 1.0, 1.0, 1.0))
    return Frame(snapshot, None)


def test_an_animation_of_a_3d_run_shows_the_sphere_as_the_app_turned_it(qtbot):
    frames = [sphere_frame(0), sphere_frame(100, seed=1)]
    bounds = frames_bounds(frames, FeatureView())
    assert (bounds[:, 0] <= -1.0).all() and (bounds[:, 1] >= 1.0).all() and (np.abs(bounds) < 1.5).all()
    turned = FeatureView(rotation=Rotation(1.2, -0.5))
    plain, spun = (list(render_frames(frames, NAMES, size=(320, 240), view=view)) for view in (None, turned))
    assert len(spun) == 2 and spun[0].shape == (240, 320, 3)
    assert (plain[0] != spun[0]).any()  # the same frame, seen from elsewhere
