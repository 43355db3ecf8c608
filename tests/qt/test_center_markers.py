"""A center marker is never wider than its class's cluster on screen, nor than half the gap to its
neighbour, so that a tight cluster is not hidden under its own marker (down to a smallest size)."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6 import QtCore

from cl_viz.qt.plot.geometry import class_spreads, marker_radii
from cl_viz.qt.plot.theme import SIZES

FULL, SMALLEST = SIZES.center / 2, SIZES.center_smallest / 2


def clusters(spread: float):
    """Class 0 with this spread around (0, 0); classes 1 and 2 spread 1.0, 5 units away."""
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(3), 100)
    centers = np.array([[0.0, 0.0], [5.0, 0.0], [0.0, 5.0]])
    features = centers[labels] + rng.normal(size=(300, 2)) * np.where(labels == 0, spread, 1.0)[:, None]
    return features, labels, centers


def on_screen(plot, x: float, y: float) -> QtCore.QPointF:
    return plot.view_box.mapViewToDevice(QtCore.QPointF(x, y))


def test_a_center_marker_shrinks_over_a_tight_cluster(shown_feature_plot):
    plot = shown_feature_plot(["0", "1", "2"])
    plot.show_frame(*clusters(0.1))
    tight, wide, other = plot.center_marker_radii()
    assert wide == other == FULL  # a spread-out class keeps the full marker
    assert SMALLEST < tight < FULL - 0.5  # about its cluster's spread on screen
    plot.show_frame(*clusters(0.01))
    assert plot.center_marker_radii()[0] == SMALLEST  # and never smaller than this
    center = on_screen(plot, 0.0, 0.0)
    ring = plot.grab().toImage().pixelColor(round(center.x()) - 6, round(center.y()))
    assert ring.lightness() > 100, ring.name()  # where the full marker's dark outline was: not any more


def test_markers_of_centers_close_together_do_not_overlap(shown_feature_plot):
    plot = shown_feature_plot(["0", "1"])
    rng = np.random.default_rng(1)
    labels = np.arange(200) % 2
    centers = np.array([[0.0, 0.0], [0.3, 0.0]])
    plot.show_frame(centers[labels] + rng.normal(size=(200, 2)) * 3, labels, centers)  # wide, overlapping classes
    gap = on_screen(plot, 0.3, 0.0).x() - on_screen(plot, 0.0, 0.0).x()
    assert 2 * SMALLEST < gap < 2 * FULL
    assert plot.center_marker_radii() == pytest.approx([gap / 2] * 2, abs=0.01)


def test_marker_radii_and_class_spreads_with_missing_values():
    device = np.array([[0.0, 0.0], [100.0, 0.0], [np.nan, np.nan]])
    assert marker_radii(device, np.array([np.nan, 1.0, np.nan]), 7.0, 3.0).tolist() == [7.0, 3.0, 7.0]
    assert marker_radii(np.zeros((0, 2)), np.zeros(0), 7.0, 3.0).tolist() == []
    xy = np.array([[1.0, 0.0], [3.0, 0.0], [np.inf, 0.0], [0.0, 2.0]])
    labels, valid = np.array([0, 0, 0, 1]), np.array([True, True, False, True])
    centers = np.array([[0.0, 0.0], [np.nan, np.nan], [5.0, 5.0]])
    spreads = class_spreads(xy, labels, valid, centers)
    assert spreads[0] == 2.0 and np.isnan(spreads[1]) and np.isnan(spreads[2])  # no center; no points
