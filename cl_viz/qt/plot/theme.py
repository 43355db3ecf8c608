"""The look of the plots, in one registry: themes (background, text, axes, outlines), the class colours
that keep their contrast on each theme, pixel sizes, and the painting helpers that use them.

Class colours: Paul Tol's colour-blind-safe "muted" scheme, readable on light and dark plots. Tol's
muted scheme has nine hues plus a pale grey; we use all ten. Point markers are tiny, so a colour must
also stand out from the plot background: `class_colors(n, theme)` keeps each hue but mixes it towards
black (light theme) or white (dark theme) until it reaches the theme's `MIN_CONTRAST` against its
background. The light variant darkens only the sand, cyan and pale grey a little.
Reference: https://personal.sron.nl/~pault/ (section "qualitative colour schemes").
"""

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

    @property
    def background_rgb(self) -> tuple[int, int, int]:
        value = self.background.lstrip("#")
        return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


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
    center_smallest: float = 6.0  # a marker shrinks toward this over a tight cluster
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


# ----- class colours ---------------------------------------------------------------------------
MUTED_HEX = (
    "#CC6677",  # rose
    "#332288",  # indigo
    "#DDCC77",  # sand
    "#117733",  # green
    "#88CCEE",  # cyan
    "#882255",  # wine
    "#44AA99",  # teal
    "#999933",  # olive
    "#AA4499",  # purple
    "#DDDDDD",  # pale grey
)

MUTED_RGB: tuple[tuple[int, int, int], ...] = tuple(
    (int(h[1:3], 16), int(h[3:5], 16), int(h[5:7], 16)) for h in MUTED_HEX
)

# WCAG contrast ratio each class colour keeps against the theme's plot background
MIN_CONTRAST: dict[str, float] = {"light": 1.9, "dark": 3.0}


def _relative_luminance(rgb: np.ndarray) -> np.ndarray:
    """WCAG 2 relative luminance of sRGB colours in [0, 255], shape (..., 3)."""
    c = np.asarray(rgb, dtype=np.float64) / 255.0
    linear = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    return linear @ np.array([0.2126, 0.7152, 0.0722])


def contrast_ratio(rgb_a: np.ndarray, rgb_b: np.ndarray) -> np.ndarray:
    """WCAG contrast ratio (1 … 21) between colours, shape (..., 3) each."""
    la, lb = _relative_luminance(rgb_a), _relative_luminance(rgb_b)
    return (np.maximum(la, lb) + 0.05) / (np.minimum(la, lb) + 0.05)


def _with_contrast(rgb: tuple[int, int, int], background: tuple[int, int, int],
                   min_contrast: float) -> np.ndarray:
    """Mix `rgb` towards black or white (away from `background`) until it reaches min_contrast."""
    base = np.asarray(rgb, dtype=np.float64)
    target = np.zeros(3) if _relative_luminance(background) > 0.5 else np.full(3, 255.0)
    for step in np.linspace(0.0, 1.0, 41):
        mixed = base + (target - base) * step
        if contrast_ratio(mixed, background) >= min_contrast:
            return np.round(mixed)
    return target


def palette_rgba(theme: str = "light", alpha: int = 255) -> np.ndarray:
    """The ten class colours for `theme` as a uint8 (10, 4) RGBA array."""
    if theme not in THEMES:
        raise ValueError(f"unknown theme {theme!r}; expected one of {sorted(THEMES)}")
    background = THEMES[theme].background_rgb
    rgb = np.array([_with_contrast(c, background, MIN_CONTRAST[theme]) for c in MUTED_RGB])
    alpha_column = np.full((len(rgb), 1), alpha)
    return np.hstack([rgb, alpha_column]).astype(np.uint8)


def class_colors(n: int, theme: str = "light", alpha: int = 255) -> np.ndarray:
    """RGBA uint8 colours (n, 4) for n classes; the ten colours repeat when n > 10."""
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    base = palette_rgba(theme, alpha)
    return base[np.arange(n) % len(base)]
