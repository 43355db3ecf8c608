"""FeaturePlot: what it draws, what it refuses to draw, and how its axes behave."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6 import QtCore, QtGui, QtWidgets

from cl_viz.qt.plot.axes import AxesLink
from cl_viz.qt.plot.feature_plot import FeaturePlot
from cl_viz.qt.plot.sprites import SpriteCloudItem
from cl_viz.qt.plot.theme import class_colors

N_CLASSES = 10
NAMES = [f"class {k}" for k in range(N_CLASSES)]
RING = 10.0  # cluster k sits at angle 36°·k on a circle of this radius


def cluster_centers() -> np.ndarray:
    angle = 2 * np.pi * np.arange(N_CLASSES) / N_CLASSES
    return RING * np.stack([np.cos(angle), np.sin(angle)], axis=1)


def clusters(per_class: int = 200, seed: int = 0, spread: float = 0.25) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(N_CLASSES), per_class)
    xy = cluster_centers()[labels] + rng.normal(0, spread, (len(labels), 2))
    return xy, labels


NO_CENTERS = np.full((N_CLASSES, 2), np.nan)  # centers not drawn: the pixels show points only


@pytest.fixture
def plot(shown_feature_plot) -> FeaturePlot:
    return shown_feature_plot(NAMES)


def widget_pixel(plot: FeaturePlot, x: float, y: float) -> QtCore.QPoint:
    """Where data point (x, y) lands in plot.grab()."""
    view = plot._view  # the pg.PlotWidget
    scene_point = plot.view_box.mapViewToScene(QtCore.QPointF(x, y))
    view_point = view.mapFromScene(scene_point)
    return view.viewport().mapTo(plot, view_point)


def patch(image: QtGui.QImage, center: QtCore.QPoint, radius: int = 4) -> np.ndarray:
    """RGB pixels (n, 3) of the square of `radius` around `center`."""
    pixels = []
    for dx in range(-radius, radius + 1):
        for dy in range(-radius, radius + 1):
            color = image.pixelColor(center.x() + dx, center.y() + dy)
            pixels.append((color.red(), color.green(), color.blue()))
    return np.array(pixels, dtype=float)


def nearest_palette_index(rgb: np.ndarray) -> int:
    palette = class_colors(N_CLASSES)[:, :3].astype(float)
    return int(np.argmin(np.linalg.norm(palette - rgb, axis=1)))


def grab_image(plot: FeaturePlot) -> QtGui.QImage:
    return plot.grab().toImage()


def show_fixed(plot: FeaturePlot, xy, labels, centers=NO_CENTERS) -> QtGui.QImage:
    plot.axes.set_fixed_range(-15, 15, -15, 15)
    plot.show_frame(xy, labels, centers)
    return grab_image(plot)


# --------------------------------------------------------------------------- drawing


def test_each_cluster_is_drawn_in_its_class_colour(plot):
    xy, labels = clusters()
    image = show_fixed(plot, xy, labels)
    background = np.array([255.0, 255.0, 255.0])
    for k, (x, y) in enumerate(cluster_centers()):
        pixels = patch(image, widget_pixel(plot, x, y))
        inked = pixels[np.linalg.norm(pixels - background, axis=1) > 60]
        assert len(inked) > 0.5 * len(pixels), f"class {k}: cluster not drawn"
        assert nearest_palette_index(np.median(inked, axis=0)) == k


def test_empty_space_stays_background(plot):
    xy, labels = clusters()
    image = show_fixed(plot, xy, labels)
    pixels = patch(image, widget_pixel(plot, 2.5, 2.5), radius=6)  # inside the ring, off the grid
    assert (pixels > 240).all()


def test_center_markers_are_drawn_in_class_colours(plot):
    xy, labels = clusters()
    far_away = np.full_like(xy, 1e3)  # points outside the view: only the markers show
    image = show_fixed(plot, far_away, labels, cluster_centers())
    for k, (x, y) in enumerate(cluster_centers()):
        pixels = patch(image, widget_pixel(plot, x, y), radius=2)
        assert nearest_palette_index(np.median(pixels, axis=0)) == k


def test_legend_has_one_entry_per_class(plot):
    entries = plot.legend.items
    assert len(entries) == N_CLASSES
    assert [label.text for _, label in entries] == NAMES


def test_set_classes_rebuilds_legend_and_clears_points(plot):
    xy, labels = clusters()
    plot.show_frame(xy, labels, cluster_centers())
    plot.set_classes(["a", "b", "c"])
    assert len(plot.legend.items) == 3
    assert plot.point_count == 0
    plot.show_frame(xy[labels < 3], labels[labels < 3], cluster_centers()[:3])
    assert plot.point_count == int((labels < 3).sum())


# --------------------------------------------------------------------------- bad values


def test_non_finite_rows_are_skipped(plot):
    xy, labels = clusters()
    xy[::7] = np.nan
    xy[1::11, 0] = np.inf
    xy[2::13, 1] = -np.inf
    expected = int(np.isfinite(xy).all(axis=1).sum())
    plot.show_frame(xy, labels, cluster_centers())
    grab_image(plot)
    assert plot.point_count == expected
    assert np.isfinite(plot._points.positions).all()


def test_all_non_finite_frame_draws_nothing_and_keeps_range(plot):
    xy, labels = clusters()
    plot.show_frame(xy, labels, cluster_centers())
    before = plot.axes.view_range()
    plot.show_frame(np.full_like(xy, np.nan), labels, np.full((N_CLASSES, 2), np.inf))
    grab_image(plot)
    assert plot.point_count == 0
    np.testing.assert_allclose(plot.axes.view_range(), before)


def test_unknown_labels_are_skipped(plot):
    xy, labels = clusters()
    labels = labels.copy()
    labels[:5] = -1
    labels[5:9] = N_CLASSES
    plot.show_frame(xy, labels, cluster_centers())
    assert plot.point_count == len(xy) - 9


def test_float_labels_with_nan_are_skipped(plot):
    xy, labels = clusters()
    float_labels = labels.astype(float)
    float_labels[:3] = np.nan
    float_labels[3] = 1e300
    plot.show_frame(xy, float_labels, cluster_centers())
    assert plot.point_count == len(xy) - 4


def test_huge_finite_values_do_not_break_painting(plot):
    xy, labels = clusters()
    xy[0] = (1e300, -1e300)
    plot.axes.set_fixed_range(-15, 15, -15, 15)
    plot.show_frame(xy, labels, cluster_centers())
    grab_image(plot)
    assert plot.point_count == len(xy)


@pytest.mark.parametrize(
    "features, labels, centers",
    [
        (np.zeros((5, 3)), np.zeros(5, int), np.zeros((N_CLASSES, 2))),
        (np.zeros((5, 2)), np.zeros(4, int), np.zeros((N_CLASSES, 2))),
        (np.zeros((5, 2)), np.zeros(5, int), np.zeros((N_CLASSES - 1, 2))),
        (np.zeros((5, 2)), np.array(["a"] * 5), np.zeros((N_CLASSES, 2))),
    ],
)
def test_wrong_shapes_raise_value_error(plot, features, labels, centers):
    with pytest.raises(ValueError):
        plot.show_frame(features, labels, centers)


# --------------------------------------------------------------------------- rebuild vs move


def test_changing_n_rebuilds(plot):
    xy, labels = clusters()
    plot.show_frame(xy, labels, cluster_centers())
    assert plot.point_count == len(xy)
    plot.show_frame(xy[:500], labels[:500], cluster_centers())
    assert plot.point_count == 500
    np.testing.assert_array_equal(plot._points.drawn_labels, labels[:500])


def test_same_labels_only_move_new_labels_rebuild(plot, monkeypatch):
    xy, labels = clusters()
    rebuilds = []
    original = SpriteCloudItem._rebuild
    monkeypatch.setattr(SpriteCloudItem, "_rebuild",
                        lambda item, *args: (rebuilds.append(1), original(item, *args)))
    plot.show_frame(xy, labels, cluster_centers())
    for step in range(5):
        plot.show_frame(xy + 0.1 * step, labels.copy(), cluster_centers())
    assert len(rebuilds) == 1
    np.testing.assert_allclose(plot._points.positions, xy + 0.4)
    shuffled = np.roll(labels, 1)
    plot.show_frame(xy, shuffled, cluster_centers())
    assert len(rebuilds) == 2
    np.testing.assert_array_equal(plot._points.drawn_labels, shuffled)


# --------------------------------------------------------------------------- axes


def view_center(plot: FeaturePlot) -> np.ndarray:
    return plot.axes.view_range().mean(axis=1)


def test_follow_snaps_on_first_frame_then_glides(plot):
    xy, labels = clusters()
    plot.show_frame(xy, labels, cluster_centers())
    assert np.abs(view_center(plot)).max() < 1.0  # first frame: straight to the data
    shift = np.array([100.0, -60.0])
    plot.show_frame(xy + shift, labels, cluster_centers() + shift)
    first_step = view_center(plot)
    assert 0.05 < first_step[0] / shift[0] < 0.5  # moved towards the data, not onto it
    assert 0.05 < first_step[1] / shift[1] < 0.5
    for _ in range(40):
        plot.show_frame(xy + shift, labels, cluster_centers() + shift)
    np.testing.assert_allclose(view_center(plot), shift, atol=1.0)


def test_follow_uses_robust_bounds(plot):
    xy, labels = clusters()
    xy[0] = (5000.0, 5000.0)  # one outlier must not shrink the clusters to a dot
    plot.show_frame(xy, labels, cluster_centers())
    (x0, x1), (y0, y1) = plot.axes.view_range()
    assert x1 < 100 and y1 < 100


def wheel(plot: FeaturePlot) -> None:
    """A real mouse-wheel step over the middle of the plot."""
    viewport = plot._view.viewport()
    position = QtCore.QPointF(viewport.width() / 2, viewport.height() / 2)
    event = QtGui.QWheelEvent(
        position, viewport.mapToGlobal(position), QtCore.QPoint(0, 0), QtCore.QPoint(0, 120),
        QtCore.Qt.MouseButton.NoButton, QtCore.Qt.KeyboardModifier.NoModifier,
        QtCore.Qt.ScrollPhase.NoScrollPhase, False,
    )
    QtWidgets.QApplication.sendEvent(viewport, event)


def test_manual_zoom_stops_following(plot, qtbot):
    xy, labels = clusters()
    plot.show_frame(xy, labels, cluster_centers())
    with qtbot.waitSignal(plot.axis_mode_changed, timeout=1000) as blocker:
        wheel(plot)
    assert blocker.args == ["fixed"]
    assert plot.axes.mode == "fixed"
    zoomed = plot.axes.view_range()
    for _ in range(5):
        plot.show_frame(xy + 50.0, labels, cluster_centers() + 50.0)
    np.testing.assert_allclose(plot.axes.view_range(), zoomed)
    with qtbot.waitSignal(plot.axis_mode_changed, timeout=1000):
        plot.axes.set_mode("follow")
    plot.show_frame(xy + 50.0, labels, cluster_centers() + 50.0)
    assert not np.allclose(plot.axes.view_range(), zoomed)


def test_fixed_mode_keeps_range(plot):
    xy, labels = clusters()
    plot.axes.set_fixed_range(-20, 20, -20, 20)
    assert plot.axes.mode == "fixed"
    fixed = plot.axes.view_range()
    assert fixed[0, 0] <= -20 and fixed[0, 1] >= 20 and fixed[1, 0] <= -20 and fixed[1, 1] >= 20
    for scale in (1.0, 3.0, 10.0):  # norms grow: the range must not
        plot.show_frame(xy * scale, labels, cluster_centers() * scale)
    np.testing.assert_allclose(plot.axes.view_range(), fixed)


def test_fixed_mode_without_range_keeps_current(plot):
    xy, labels = clusters()
    plot.show_frame(xy, labels, cluster_centers())
    current = plot.axes.view_range()
    plot.axes.set_mode("fixed")
    plot.show_frame(xy * 5, labels, cluster_centers() * 5)
    np.testing.assert_allclose(plot.axes.view_range(), current)


def test_invalid_axis_arguments_raise(plot):
    with pytest.raises(ValueError):
        plot.axes.set_mode("auto")
    with pytest.raises(ValueError):
        plot.axes.set_fixed_range(1, 0, 0, 1)
    with pytest.raises(ValueError):
        plot.axes.set_fixed_range(0, np.nan, 0, 1)


@pytest.fixture
def linked_pair(shown_feature_plot) -> tuple[FeaturePlot, FeaturePlot]:
    names = [str(k) for k in range(10)]
    leader, follower = shown_feature_plot(names), shown_feature_plot(names)
    AxesLink([leader, follower])
    return leader, follower


def test_linked_leader_follows_both_plots_and_the_follower_takes_its_range(linked_pair):
    leader, follower = linked_pair
    xy, labels = clusters()
    follower.show_frame(xy + 40.0, labels, cluster_centers() + 40.0)
    leader.show_frame(xy, labels, cluster_centers())
    (x0, x1), (y0, y1) = leader.axes.view_range()
    assert x0 < -2 and x1 > 42 and y0 < -2 and y1 > 42  # the union of both plots' data
    follower.show_frame(xy + 40.0, labels, cluster_centers() + 40.0)
    np.testing.assert_allclose(follower.axes.view_range(), leader.axes.view_range())


def draw_in_step(leader: FeaturePlot, follower: FeaturePlot) -> tuple[np.ndarray, np.ndarray]:
    """The same clusters in both linked plots, each range settled."""
    xy, labels = clusters()
    for plot in (follower, leader, follower):
        plot.show_frame(xy, labels, cluster_centers())
    return xy, labels


def test_a_linked_frame_leaves_the_other_plot_alone(linked_pair):
    leader, follower = linked_pair
    xy, labels = draw_in_step(leader, follower)
    before = follower.axes.view_range()
    leader.show_frame(xy * 3, labels, cluster_centers() * 3)  # the leader's range changes
    np.testing.assert_allclose(follower.axes.view_range(), before)  # until the follower's own frame


def test_zooming_one_linked_plot_zooms_the_other(linked_pair, qtbot):
    leader, follower = linked_pair
    draw_in_step(leader, follower)
    before = leader.axes.view_range()
    with qtbot.waitSignal(leader.axis_mode_changed, timeout=1000):
        wheel(follower)
    assert leader.axes.mode == follower.axes.mode == "fixed"
    assert not np.allclose(leader.axes.view_range(), before)
    np.testing.assert_allclose(leader.axes.view_range(), follower.axes.view_range(), rtol=1e-6, atol=1e-9)


# --------------------------------------------------------------------------- trails


def test_trails_have_bounded_length(plot):
    xy, labels = clusters()
    for step in range(100):
        plot.show_frame(xy, labels, cluster_centers() * (1 + 0.01 * step))
    assert plot.trail_length == 40
    grab_image(plot)
    plot.clear_trails()
    assert plot.trail_length == 1


def test_trail_grows_only_when_centers_move(plot):
    xy, labels = clusters()
    for _ in range(10):
        plot.show_frame(xy, labels, cluster_centers())
    assert plot.trail_length == 1


def test_trail_length_is_configurable(qtbot):
    widget = FeaturePlot(trail_length=5)
    qtbot.addWidget(widget)
    widget.set_classes(NAMES)
    xy, labels = clusters()
    for step in range(20):
        widget.show_frame(xy, labels, cluster_centers() + step)
    assert widget.trail_length == 5


# --------------------------------------------------------------------------- highlight, batch, style


def ink(image: QtGui.QImage, plot: FeaturePlot, k: int) -> float:
    """Mean distance from white of the pixels at cluster k."""
    x, y = cluster_centers()[k]
    return float(np.abs(255.0 - patch(image, widget_pixel(plot, x, y))).mean())


def test_highlight_dims_other_classes(plot):
    xy, labels = clusters()
    normal = show_fixed(plot, xy, labels)
    plot.highlight_class(3)
    assert plot.highlighted_class == 3
    highlighted = grab_image(plot)
    assert ink(highlighted, plot, 3) == pytest.approx(ink(normal, plot, 3), rel=0.05)
    for k in (0, 5, 9):
        assert ink(highlighted, plot, k) < 0.5 * ink(normal, plot, k)
    assert plot._points.drawn_labels[-1] == 3  # the highlighted class is painted on top
    plot.highlight_class(None)
    restored = grab_image(plot)
    assert ink(restored, plot, 0) == pytest.approx(ink(normal, plot, 0), rel=0.05)
    with pytest.raises(ValueError):
        plot.highlight_class(N_CLASSES)


def test_batch_layer_draws_and_hides(plot):
    xy, labels = clusters()
    show_fixed(plot, xy[:0], labels[:0])
    empty = grab_image(plot)
    plot.set_batch(xy[::20], labels[::20])
    with_batch = grab_image(plot)
    assert ink(with_batch, plot, 2) > ink(empty, plot, 2) + 5
    plot.set_batch_visible(False)
    assert ink(grab_image(plot), plot, 2) == pytest.approx(ink(empty, plot, 2), abs=1.0)


def test_dark_theme_background(plot):
    plot.set_theme("dark")
    xy, labels = clusters()
    image = show_fixed(plot, xy, labels)
    pixels = patch(image, widget_pixel(plot, 2.5, 2.5), radius=3)
    assert pixels.mean() < 60
    with pytest.raises(ValueError):
        plot.set_theme("solarized")


def test_marker_scale_enlarges_points(plot):
    xy, labels = clusters(per_class=1)
    xy = cluster_centers()  # one isolated point per class
    small = show_fixed(plot, xy, labels)
    plot.set_marker_scale(3.0)
    large = grab_image(plot)
    assert ink(large, plot, 4) > 2 * ink(small, plot, 4)
    with pytest.raises(ValueError):
        plot.set_marker_scale(0.0)


def test_title_is_shown(plot):
    plot.set_title("λ = 0.01")
    assert plot.plot_item.titleLabel.text == "λ = 0.01"
    plot.set_theme("dark")  # restyling keeps the title
    assert plot.plot_item.titleLabel.text == "λ = 0.01"
    plot.set_title(None)
    assert not plot.plot_item.titleLabel.isVisible()


def test_show_frame_without_set_classes_names_classes_by_index(qtbot):
    widget = FeaturePlot()
    qtbot.addWidget(widget)
    xy, labels = clusters()
    widget.show_frame(xy, labels, cluster_centers())
    assert widget.class_names == tuple(str(k) for k in range(N_CLASSES))
    assert widget.point_count == len(xy)


def test_a_trail_is_drawn_in_its_class_colour_and_fades_toward_its_oldest_end(plot):
    plot.axes.set_fixed_range(-15, 15, -15, 15)
    empty = np.zeros((0, 2))
    centers = np.full((N_CLASSES, 2), np.nan)
    for x in np.linspace(-12.0, 6.0, 19):  # class 3's center moves right along y = -8
        centers[3] = (x, -8.0)
        plot.show_frame(empty, np.zeros(0, int), centers)
    image = grab_image(plot)
    background = patch(image, widget_pixel(plot, 2.5, 7.5), 1).mean(axis=0)  # off the grid lines

    def tint(x: float) -> float:  # how far the trail's pixels are from the background
        return float(np.abs(patch(image, widget_pixel(plot, x, -8.0), 1) - background).sum(axis=1).max())

    newer, older, oldest = tint(1.5), tint(-3.5), tint(-11.5)
    assert newer > older > oldest
    assert older > 60  # clearly visible, not a faint smear
    marker = patch(image, widget_pixel(plot, 6.0, -8.0), 1).mean(axis=0)
    assert nearest_palette_index(marker) == 3
    assert np.abs(patch(image, widget_pixel(plot, 1.5, -6.5), 1) - background).max() < 1  # off the trail


# --------------------------------------------------------------------------- glides


def test_a_glide_moves_points_and_centers_from_where_they_are_to_the_new_frame(plot):
    xy, labels = clusters(per_class=20)
    plot.show_frame(xy, labels, cluster_centers())
    shift = np.array([4.0, -2.0])
    plot.show_frame(xy + shift, labels, cluster_centers() + shift, glide=1.0, now=10.0)
    assert plot.gliding
    np.testing.assert_allclose(plot._points.positions, xy)  # not moved yet
    assert plot.animate(now=10.5)
    np.testing.assert_allclose(plot._points.positions, xy + shift / 2)
    np.testing.assert_allclose(plot._centers.centers, cluster_centers() + shift / 2)
    assert plot.animate(now=11.2) and not plot.gliding
    np.testing.assert_allclose(plot._points.positions, xy + shift)
    np.testing.assert_allclose(plot._centers.centers, cluster_centers() + shift)
    assert not plot.animate(now=12.0)  # nothing left to move


def test_a_new_frame_mid_glide_starts_from_the_positions_shown(plot):
    xy, labels = clusters(per_class=20)
    plot.show_frame(xy, labels, cluster_centers())
    plot.show_frame(xy + 4.0, labels, cluster_centers() + 4.0, glide=1.0, now=0.0)
    plot.animate(now=0.5)
    plot.show_frame(xy, labels, cluster_centers(), glide=1.0, now=0.5)
    plot.animate(now=0.5)
    np.testing.assert_allclose(plot._points.positions, xy + 2.0)  # no jump


def test_no_glide_when_the_points_are_not_the_same_points(plot):
    xy, labels = clusters(per_class=20)
    plot.show_frame(xy, labels, cluster_centers())
    plot.show_frame(xy + 1.0, np.roll(labels, 1), cluster_centers(), glide=1.0, now=0.0)
    assert not plot.gliding
    plot.show_frame(xy, np.roll(labels, 1), cluster_centers(), glide=0.0)
    assert not plot.gliding


def test_highlighting_mid_glide_ends_the_glide(plot):
    xy, labels = clusters(per_class=20)
    plot.show_frame(xy, labels, cluster_centers())
    plot.show_frame(xy + 3.0, labels, cluster_centers() + 3.0, glide=1.0, now=0.0)
    plot.highlight_class(2)
    assert not plot.gliding
    drawn = plot._points.positions
    np.testing.assert_allclose(np.sort(drawn[:, 0]), np.sort(xy[:, 0] + 3.0))


def test_a_leader_follows_its_partners_frame_of_the_same_step_before_the_partner_draws_it(linked_pair):
    from cl_viz.qt.plot.geometry import snapshot_bounds

    leader, follower = linked_pair
    xy, labels = clusters()
    far = xy * 4.0  # the partner's frame spreads four times as far, and nothing of it is drawn yet
    leader.show_frame(xy, labels, cluster_centers(), partner_bounds=snapshot_bounds(far, cluster_centers() * 4))
    follower.show_frame(far, labels, cluster_centers() * 4)
    (x0, x1), (y0, y1) = follower.axes.view_range()
    assert x0 < far[:, 0].min() and x1 > far[:, 0].max() and y0 < far[:, 1].min() and y1 > far[:, 1].max()
