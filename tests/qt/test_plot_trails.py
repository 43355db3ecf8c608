"""Trails as sprite chains: resampling along the polylines and the opacity that adds up to the fade."""

import numpy as np
import pytest
from PySide6 import QtGui

from cl_viz.qt.plot.theme import TRAIL_ALPHA
from cl_viz.qt.plot.trails import FADE_EXPONENT, MAX_DOTS, TrailSprites, dot_opacity, resample_trails


def test_dots_are_evenly_spaced_along_each_trail_with_rising_age():
    square = np.array([[0.0, 0.0], [10.0, 0.0], [10.0, 10.0]])
    line = np.array([[100.0, 100.0], [100.0, 104.0]])
    xy, age, owner = resample_trails([square, line], spacing=1.0)
    assert owner.tolist() == [0] * 21 + [1] * 5
    mine = xy[owner == 0]
    assert mine[0] == pytest.approx([0, 0]) and mine[-1] == pytest.approx([10, 10])
    assert np.hypot(*np.diff(mine, axis=0).T) == pytest.approx(np.ones(20))
    assert mine[10] == pytest.approx([10, 0])  # the corner
    assert age[owner == 0][[0, 10, 20]] == pytest.approx([0.0, 0.5, 1.0])
    assert xy[owner == 1][:, 1] == pytest.approx([100, 101, 102, 103, 104])
    assert (np.diff(age[owner == 1]) > 0).all()


def test_short_and_still_trails():
    still = np.array([[5.0, 5.0], [5.0, 5.0], [5.0, 5.0]])
    xy, age, owner = resample_trails([np.zeros((1, 2)), still, np.zeros((0, 2))], spacing=1.0)
    assert owner.tolist() == [1] and xy.tolist() == [[5.0, 5.0]] and age.tolist() == [1.0]
    assert len(resample_trails([], 1.0)[0]) == 0


def test_a_long_trail_is_capped():
    long = np.array([[0.0, 0.0], [1e6, 0.0]])
    xy, _, _ = resample_trails([long], spacing=1.0)
    assert len(xy) == MAX_DOTS + 1 and xy[-1] == pytest.approx([1e6, 0])


def test_overlapping_dots_add_up_to_the_fade():
    age = np.array([0.0, 0.3, 1.0])
    spacing = 0.4  # in dot diameters: each pixel is under 1 / 0.4 = 2.5 dots
    covered = 1.0 - (1.0 - dot_opacity(age, spacing)) ** (1.0 / spacing)
    assert covered == pytest.approx(age ** FADE_EXPONENT * TRAIL_ALPHA / 255)


def _render(sprites: TrailSprites, trails, key) -> QtGui.QImage:
    image = QtGui.QImage(120, 120, QtGui.QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(0)
    painter = QtGui.QPainter(image)
    sprites.paint(painter, trails, [1.0, 0.5], np.array([[200, 0, 0, 255], [0, 0, 200, 255]], np.uint8),
                  QtGui.QColor("black"), 3.0, settled_key=key)
    painter.end()
    return image


def test_a_glide_redraws_only_the_newest_segment_and_looks_as_if_drawn_afresh(qapp):
    history = [np.array([[10.0, 10.0], [60.0, 15.0], [90.0, 80.0]]), np.array([[20.0, 100.0], [25.0, 40.0]])]
    cached = TrailSprites()
    _render(cached, history, key=("trail 1", "view 1"))
    gliding = [points.copy() for points in history]
    gliding[0][-1] = [75.0, 50.0]  # the markers on their way: only the newest end moves
    gliding[1][-1] = [24.0, 60.0]
    assert _render(cached, gliding, key=("trail 1", "view 1")) == _render(TrailSprites(), gliding, key=None)
    assert cached._settled_key is not None
