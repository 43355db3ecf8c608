"""Class colours: Paul Tol's colour-blind-safe "muted" scheme, readable on light and dark plots.

Tol's muted scheme has nine hues plus a pale grey; we use all ten. Point markers are tiny, so a
colour must also stand out from the plot background: `class_colors(n, theme)` keeps each hue but
mixes it towards black (light theme) or white (dark theme) until it reaches the theme's
`MIN_CONTRAST` against its background. The light variant darkens only the sand, cyan and pale grey a little.
Reference: https://personal.sron.nl/~pault/ (section "qualitative colour schemes").
"""

from __future__ import annotations

import numpy as np

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

BACKGROUNDS: dict[str, tuple[int, int, int]] = {"light": (255, 255, 255), "dark": (28, 31, 36)}
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
    if theme not in BACKGROUNDS:
        raise ValueError(f"unknown theme {theme!r}; expected one of {sorted(BACKGROUNDS)}")
    background = BACKGROUNDS[theme]
    rgb = np.array([_with_contrast(c, background, MIN_CONTRAST[theme]) for c in MUTED_RGB])
    alpha_column = np.full((len(rgb), 1), alpha)
    return np.hstack([rgb, alpha_column]).astype(np.uint8)


MUTED_RGBA = palette_rgba("light")


def class_colors(n: int, theme: str = "light", alpha: int = 255) -> np.ndarray:
    """RGBA uint8 colours (n, 4) for n classes; the ten colours repeat when n > 10."""
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    base = palette_rgba(theme, alpha)
    return base[np.arange(n) % len(base)]
