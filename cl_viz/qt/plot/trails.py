"""Center trails drawn as chains of small round sprites, all classes in one drawPixmapFragments call.

Qt's raster engine strokes a 2-px antialiased polyline through its general path stroker: ~0.1-0.2 ms
per trail piece, most of a feature plot's paint time with ten fading trails. A dot every pixel along
each trail costs microseconds, and an opacity per dot fades the trail smoothly from its newest end.
"""

from __future__ import annotations

import math

import numpy as np
import shiboken6
from PySide6 import QtCore, QtGui

from cl_viz.qt.plot.theme import TRAIL_ALPHA

DOT_SPACING = 0.45  # distance between dots along a trail, in dot diameters
MAX_DOTS = 250  # per trail: a longer trail (early training, a deep zoom) spaces its dots further apart
CASED_FRACTION = 0.25  # the newest quarter of a trail gets a casing of the outline colour
FADE_EXPONENT = 0.6  # below 1 the older half of a trail stays visible longer than a linear fade


def render_trail_atlas(colors: np.ndarray, outline: QtGui.QColor, diameter: float, casing: float,
                       dpr: float) -> tuple[QtGui.QPixmap, int]:
    """One dot per class colour side by side, then one larger dot of the outline colour."""
    cell = math.ceil((casing + 2.0) * dpr)
    image = QtGui.QImage(cell * (len(colors) + 1), cell, QtGui.QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(QtCore.Qt.GlobalColor.transparent)
    painter = QtGui.QPainter(image)
    painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
    painter.setPen(QtCore.Qt.PenStyle.NoPen)
    dots = [(QtGui.QColor(*(int(v) for v in rgba[:3])), diameter) for rgba in colors] + [(outline, casing)]
    for index, (color, size) in enumerate(dots):
        color = QtGui.QColor(color)
        color.setAlpha(255)
        painter.setBrush(color)
        radius = size * dpr / 2.0
        painter.drawEllipse(QtCore.QPointF(index * cell + cell / 2.0, cell / 2.0), radius, radius)
    painter.end()
    return QtGui.QPixmap.fromImage(image), cell


def resample_trails(trails: list[np.ndarray], spacing: float,
                    ages: list[np.ndarray] | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Evenly spaced dots along each polyline (device pixels, newest point last), in one pass for all.

    Returns the dots' positions (n, 2), their age (0 oldest, 1 newest: by default evenly along
    each trail's points, else interpolated from `ages`, one per point) and the index of the trail
    each belongs to. Trails of fewer than two points are left out.
    """
    kept = [k for k, points in enumerate(trails) if len(points) >= 2]
    if not kept:
        return np.zeros((0, 2)), np.zeros(0), np.zeros(0, np.intp)
    points = np.concatenate([trails[k] for k in kept])
    sizes = np.array([len(trails[k]) for k in kept])
    firsts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    steps = np.hypot(*np.diff(points, axis=0).T)
    steps[firsts[1:] - 1] = 1.0  # between two trails: a 1-px gap that no dot falls into
    along = np.concatenate([[0.0], np.cumsum(steps)])
    starts, ends = along[firsts], along[firsts + sizes - 1]
    counts = np.minimum(MAX_DOTS, (ends - starts) // spacing).astype(np.intp) + 1
    owner = np.repeat(np.arange(len(kept)), counts)
    local = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    step = np.where(counts > 1, (ends - starts) / np.maximum(counts - 1, 1), 0.0)
    at = starts[owner] + local * step[owner] + np.where(counts > 1, 0.0, ends - starts)[owner]
    ages = np.concatenate([np.linspace(0.0, 1.0, len(trails[k])) if ages is None else ages[k] for k in kept])
    xy = np.column_stack([np.interp(at, along, points[:, 0]), np.interp(at, along, points[:, 1])])
    return xy, np.interp(at, along, ages), np.asarray(kept)[owner]


def dot_opacity(age: np.ndarray, spacing: float) -> np.ndarray:
    """Opacity per dot such that the ~1/spacing dots that overlap each pixel add up to the trail's
    fade: TRAIL_ALPHA at the newest end, transparent at the oldest."""
    target = np.clip(age, 0.0, 1.0) ** FADE_EXPONENT * (TRAIL_ALPHA / 255.0)
    return 1.0 - (1.0 - target) ** spacing


class TrailSprites:
    """The fragment table of all trails of a frame, and its painting."""

    def __init__(self) -> None:
        self._atlas: QtGui.QPixmap | None = None
        self._cell = 0
        self._key: tuple | None = None
        self._settled_key: tuple | None = None
        self._settled: tuple[np.ndarray, np.ndarray] = (_table(np.zeros((0, 2)), np.zeros(0), np.zeros(0)),) * 2

    def paint(self, painter: QtGui.QPainter, trails: list[np.ndarray], opacities: list[float],
              colors: np.ndarray, outline: QtGui.QColor, width: float, settled_key: tuple | None = None) -> None:
        """trails: one (T, 2) array of device pixels per class (newest last); opacities: per class.

        Everything but each trail's newest segment is kept for the next paint with the same
        `settled_key` (the caller's key for the trails' older points, the view and the opacities):
        while a glide moves the newest end, only that segment is resampled."""
        dpr = painter.device().devicePixelRatioF()
        casing = width + 2.0
        key = (dpr, width, outline.rgba(), colors.tobytes())
        if self._atlas is None or key != self._key:
            self._atlas, self._cell = render_trail_atlas(colors, outline, width, casing, dpr)
            self._key = key
            self._settled_key = None
        ages = [np.linspace(0.0, 1.0, len(points)) for points in trails]
        if settled_key is None or (settled_key, key) != self._settled_key:
            self._settled = self._fragments([points[:-1] for points in trails], [age[:-1] for age in ages],
                                            opacities, width, casing, len(colors))
            self._settled_key = None if settled_key is None else (settled_key, key)
        newest = self._fragments([points[-2:] for points in trails], [age[-2:] for age in ages], opacities, width,
                                 casing, len(colors))
        frags = np.concatenate([self._settled[0], newest[0], self._settled[1], newest[1]])  # casings below dots
        if len(frags) == 0:
            return
        frags[:, 4:6] = self._cell
        frags[:, 6:8] = 1.0 / dpr
        first = shiboken6.wrapInstance(frags.ctypes.data, QtGui.QPainter.PixmapFragment)
        painter.drawPixmapFragments(first, len(frags), self._atlas)

    def _fragments(self, trails, ages, opacities, width, casing, n_classes) -> tuple[np.ndarray, np.ndarray]:
        """(casing fragments, dot fragments)."""
        xy, age, owner = resample_trails(trails, DOT_SPACING * width, ages)
        opacity = np.asarray(opacities, np.float64)[owner] if len(owner) else np.zeros(0)
        newest = age >= 1.0 - CASED_FRACTION
        casings = _table(xy[newest], np.full(newest.sum(), n_classes * self._cell),
                         dot_opacity(age[newest], DOT_SPACING * width / casing) * opacity[newest])
        return casings, _table(xy, owner * self._cell, dot_opacity(age, DOT_SPACING) * opacity)


def _table(xy: np.ndarray, source_x: np.ndarray, opacity: np.ndarray) -> np.ndarray:
    """PixmapFragment rows: x, y, source x, y, w, h, scale x, y, rotation, opacity."""
    table = np.zeros((len(xy), 10))
    table[:, 0:2] = xy
    table[:, 2] = source_x
    table[:, 9] = opacity
    return table
