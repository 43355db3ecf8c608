"""Look of the feature plot: themes, pixel sizes, colours, the sprite atlas and the trail pen."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PySide6 import QtCore, QtGui

DIM_MIX = 0.8  # points of the classes that are not highlighted: 80 % background colour
DIM_CENTER_OPACITY = 0.3
TRAIL_ALPHA = 230  # alpha of the newest end of a center trail; the oldest end is transparent


@dataclass(frozen=True)
class Theme:
    """Colours of one plot theme (Qt colour strings or RGBA tuples)."""

    background: str
    text: str
    axis: str
    outline: tuple[int, int, int, int]  # center marker outline
    chip: tuple[int, int, int, int]  # background of center labels and of the legend
    grid: tuple[int, int, int, int]


THEMES = {
    "light": Theme("#FFFFFF", "#262626", "#7A7A7A", (26, 26, 26, 255), (255, 255, 255, 215),
                   (0, 0, 0, 28)),
    "dark": Theme("#1C1F24", "#E6E6E6", "#9AA0A6", (255, 255, 255, 255), (28, 31, 36, 215),
                  (255, 255, 255, 26)),
}


@dataclass(frozen=True)
class Sizes:
    """Pixel sizes at marker scale 1 (presentation mode multiplies them)."""

    point: float = 4.0
    batch: float = 8.0
    batch_ring: float = 1.5
    point_alpha: int = 170
    center: float = 14.0
    center_outline: float = 1.6
    trail: float = 2.0
    label_pt: float = 9.0
    legend_pt: float = 9.0
    legend_marker: float = 10.0
    tick_pt: float = 9.0
    title_pt: float = 11.0


SIZES = Sizes()


def qcolor(rgba, alpha: int | None = None) -> QtGui.QColor:
    """QColor from an RGBA sequence, optionally replacing its alpha."""
    r, g, b, a = (int(v) for v in rgba)
    return QtGui.QColor(r, g, b, a if alpha is None else alpha)


def dimmed(rgba, background: QtGui.QColor) -> QtGui.QColor:
    """A class colour faded towards the background (highlight mode's other classes)."""
    r, g, b, a = (int(v) for v in rgba)
    return QtGui.QColor(
        round(r + (background.red() - r) * DIM_MIX),
        round(g + (background.green() - g) * DIM_MIX),
        round(b + (background.blue() - b) * DIM_MIX),
        a,
    )


def render_atlas(colors: np.ndarray, size: float, ring: float, dpr: float,
                 background: QtGui.QColor) -> tuple[QtGui.QPixmap, int]:
    """One sprite per colour side by side: row 0 normal, row 1 dimmed; a dot, or a ring if ring > 0.

    Dimming by colour rather than by opacity keeps a dense dimmed cluster pale: overlapping
    translucent sprites would otherwise add up to the full colour again.
    """
    cell = int(math.ceil((size + 1.0) * dpr))  # the antialiased edge fits; smaller cells blend faster
    image = QtGui.QImage(cell * len(colors), 2 * cell, QtGui.QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(QtCore.Qt.GlobalColor.transparent)
    painter = QtGui.QPainter(image)
    painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
    radius = (size - ring) * dpr / 2.0
    for row in (0, 1):
        for k, rgba in enumerate(colors):
            color = qcolor(rgba) if row == 0 else dimmed(rgba, background)
            center = QtCore.QPointF(k * cell + cell / 2.0, row * cell + cell / 2.0)
            if ring > 0:
                painter.setPen(QtGui.QPen(color, ring * dpr))
                painter.setBrush(QtCore.Qt.BrushStyle.NoBrush)
            else:
                painter.setPen(QtCore.Qt.PenStyle.NoPen)
                painter.setBrush(color)
            painter.drawEllipse(center, radius, radius)
    painter.end()
    return QtGui.QPixmap.fromImage(image), cell


def trail_pen(color: QtGui.QColor, fraction: float, width: float) -> QtGui.QPen:
    """A round-capped solid pen at `fraction` of the trail's full opacity (0: oldest, 1: newest)."""
    faded = QtGui.QColor(color)
    faded.setAlpha(int(TRAIL_ALPHA * fraction * color.alphaF()))
    pen = QtGui.QPen(faded, width)
    pen.setCapStyle(QtCore.Qt.PenCapStyle.RoundCap)
    pen.setJoinStyle(QtCore.Qt.PenJoinStyle.RoundJoin)
    return pen