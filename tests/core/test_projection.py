"""core.projection: unit directions, the sphere's rotation and what a plot shows of D-dimensional features."""

from __future__ import annotations

import math

import numpy as np
import pytest

from cl_viz.core.projection import PITCH_LIMIT, FeatureView, Rotation, directions_or_nan, unit_rows

ROTATIONS = [Rotation(), Rotation(0.0, 0.0), Rotation(2.5, -1.2), Rotation(-3.0, 1.5), Rotation(10.0, 4.0)]


def test_unit_rows_have_norm_one_and_keep_their_direction():
    x = np.array([[3.0, 4.0], [-2.0, 0.0], [1e-300, 1e-300], [1e300, -1e300]])
    units, has = unit_rows(x)
    assert has.all()
    np.testing.assert_allclose(np.linalg.norm(units, axis=1), 1.0)
    np.testing.assert_allclose(units[0], [0.6, 0.8])
    np.testing.assert_allclose(units[3], [math.sqrt(0.5), -math.sqrt(0.5)])  # no overflow to inf / inf


def test_rows_without_a_direction_become_zeros_and_are_marked():
    x = np.array([[0.0, 0.0, 0.0], [np.nan, 1.0, 0.0], [np.inf, 0.0, 0.0], [0.0, -5.0, 0.0]])
    units, has = unit_rows(x)
    assert np.isfinite(units).all()
    assert has.tolist() == [False, False, False, True]
    np.testing.assert_array_equal(units[:3], 0.0)
    np.testing.assert_allclose(units[3], [0.0, -1.0, 0.0])
    assert np.isnan(directions_or_nan(x)[:3]).all()


def test_unit_rows_of_no_rows():
    units, has = unit_rows(np.zeros((0, 3)))
    assert units.shape == (0, 3) and has.shape == (0,)


@pytest.mark.parametrize("rotation", ROTATIONS)
def test_the_rotation_matrix_is_orthonormal_and_proper(rotation):
    r = rotation.matrix
    np.testing.assert_allclose(r @ r.T, np.eye(3), atol=1e-12)
    assert np.linalg.det(r) == pytest.approx(1.0)


@pytest.mark.parametrize("rotation", ROTATIONS)
def test_project_then_unproject_gives_the_points_back(rotation):
    points = np.random.default_rng(0).normal(size=(50, 3))
    xy, depth = rotation.project(points)
    np.testing.assert_allclose(rotation.unproject(xy, depth), points, atol=1e-12)
    np.testing.assert_allclose(np.hypot(xy[:, 0], xy[:, 1]) ** 2 + depth ** 2, (points ** 2).sum(axis=1))


def test_with_no_turn_the_z_axis_points_at_the_viewer():
    xy, depth = Rotation(0.0, 0.0).project(np.eye(3))
    np.testing.assert_allclose(xy, [[1, 0], [0, 1], [0, 0]], atol=1e-12)
    np.testing.assert_allclose(depth, [0, 0, 1], atol=1e-12)


def test_a_drag_moves_the_near_side_with_the_mouse():
    start = Rotation(0.0, 0.0)
    front = np.array([[0.0, 0.0, 1.0]])
    right, _ = start.dragged(20, 0).project(front)
    down, _ = start.dragged(0, 20).project(front)
    x, y = right[0, 0], down[0, 1]
    assert x > 0  # dragged right: the front moves right
    assert y < 0  # dragged down (screen y grows downward): the front moves down


def test_pitch_is_clamped_and_yaw_wraps():
    assert Rotation(0.0, 100.0).pitch == PITCH_LIMIT
    assert Rotation(0.0, -100.0).pitch == -PITCH_LIMIT
    assert -math.pi <= Rotation(7.0, 0.0).yaw <= math.pi
    np.testing.assert_allclose(Rotation(7.0, 0.3).matrix, Rotation(7.0 - 2 * math.pi, 0.3).matrix, atol=1e-12)
    assert Rotation(1.0, 0.2).turned(0.5) == Rotation(1.5, 0.2)
    with pytest.raises(ValueError):
        Rotation(math.nan, 0.0)


def test_the_sphere_view_draws_directions_inside_the_unit_circle_with_depth():
    points = np.random.default_rng(1).normal(scale=50.0, size=(200, 3))
    points[:3] = [[0, 0, 0], [np.nan, 0, 1], [np.inf, 1, 1]]
    xy, depth = FeatureView().apply(points)
    assert np.isnan(xy[:3]).all() and np.isnan(depth[:3]).all()
    drawn = np.hypot(xy[3:, 0], xy[3:, 1])
    assert (drawn <= 1.0 + 1e-12).all()
    np.testing.assert_allclose(drawn ** 2 + depth[3:] ** 2, 1.0)


def test_the_plane_view_normalises_only_when_asked():
    points = np.array([[3.0, 4.0], [0.0, 0.0], [-10.0, 0.0]])
    xy, depth = FeatureView().apply(points)
    assert depth is None and np.array_equal(xy, points)
    xy, depth = FeatureView(normalise=True).apply(points)
    assert depth is None
    np.testing.assert_allclose(xy[[0, 2]], [[0.6, 0.8], [-1.0, 0.0]])
    assert np.isnan(xy[1]).all()
    assert FeatureView(normalise=True).on_unit_circle(2) and not FeatureView().on_unit_circle(2)
    assert FeatureView().on_unit_circle(3)


def test_other_dimensions_show_their_first_two_columns():
    points = np.arange(12.0).reshape(3, 4)
    xy, depth = FeatureView(normalise=True).apply(points)
    assert depth is None and np.array_equal(xy, points[:, :2])
    with pytest.raises(ValueError):
        FeatureView().apply(np.zeros((3, 1)))
