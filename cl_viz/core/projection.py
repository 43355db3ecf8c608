"""How the feature plot maps D-dimensional features to its plane: unit directions and a turnable sphere.

Plain numpy. `unit_rows` gives x/‖x‖; `Rotation` is the view's yaw and pitch, which turns 3-D points
and projects them orthographically, x to the right, y up and depth toward the viewer; `FeatureView`
says what a plot shows of features of any dimension.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

PITCH_LIMIT = math.pi / 2  # looking straight down the vertical axis at most: the view never turns upside down
RADIANS_PER_PIXEL = 0.01  # a mouse drag across 314 pixels turns the sphere by half a turn
DEFAULT_YAW, DEFAULT_PITCH = math.radians(-30.0), math.radians(20.0)  # all three axes show at first


def unit_rows(points) -> tuple[np.ndarray, np.ndarray]:
    """(x/‖x‖ per row, float64 (N, D), always finite; has_direction (N,) bool).

    A row that is zero or not finite has no direction: it becomes zeros and its mask is False. Each row is
    divided by its largest entry first, so that norms of huge rows do not overflow."""
    x = np.asarray(points, dtype=np.float64)
    if x.ndim != 2:
        raise ValueError(f"points must have shape (N, D), got {x.shape}")
    finite = np.isfinite(x).all(axis=1)
    x = np.where(finite[:, None], x, 0.0)
    largest = np.abs(x).max(axis=1, initial=0.0)
    has_direction = finite & (largest > 0)
    scaled = x / np.where(has_direction, largest, 1.0)[:, None]
    norms = np.linalg.norm(scaled, axis=1)
    units = scaled / np.where(has_direction, norms, 1.0)[:, None]
    units[~has_direction] = 0.0
    return units, has_direction


def directions_or_nan(points) -> np.ndarray:
    """x/‖x‖ per row, NaN where a row has no direction (so it is not drawn)."""
    units, has_direction = unit_rows(points)
    units[~has_direction] = np.nan
    return units


@dataclass(frozen=True)
class Rotation:
    """A view of 3-D space: turned by `yaw` about the vertical axis, then tilted by `pitch` toward the viewer."""

    yaw: float = DEFAULT_YAW
    pitch: float = DEFAULT_PITCH

    def __post_init__(self) -> None:
        if not (math.isfinite(self.yaw) and math.isfinite(self.pitch)):
            raise ValueError(f"yaw and pitch must be finite, got {self.yaw}, {self.pitch}")
        object.__setattr__(self, "yaw", math.remainder(self.yaw, 2 * math.pi))
        object.__setattr__(self, "pitch", min(PITCH_LIMIT, max(-PITCH_LIMIT, self.pitch)))

    @property
    def matrix(self) -> np.ndarray:
        """R (3, 3), orthonormal with determinant 1: rows are the screen's right, up and toward-the-viewer axes."""
        cy, sy = math.cos(self.yaw), math.sin(self.yaw)
        cp, sp = math.cos(self.pitch), math.sin(self.pitch)
        turn = np.array([[cy, 0.0, sy], [0.0, 1.0, 0.0], [-sy, 0.0, cy]])
        tilt = np.array([[1.0, 0.0, 0.0], [0.0, cp, -sp], [0.0, sp, cp]])
        return tilt @ turn

    def project(self, points) -> tuple[np.ndarray, np.ndarray]:
        """(screen xy (N, 2), depth (N,)) of 3-D points (N, 3); depth > 0 is the near side."""
        turned = np.asarray(points, dtype=np.float64) @ self.matrix.T
        return turned[:, :2], turned[:, 2]

    def unproject(self, xy, depth) -> np.ndarray:
        """The 3-D points (N, 3) that `project` maps to these screen positions and depths."""
        turned = np.column_stack([np.asarray(xy, dtype=np.float64), np.asarray(depth, dtype=np.float64)])
        return turned @ self.matrix

    def dragged(self, dx_pixels: float, dy_pixels: float, radians_per_pixel: float = RADIANS_PER_PIXEL) -> Rotation:
        """Turned as a mouse drag by (dx, dy) screen pixels (y down) turns it: the near side follows the mouse."""
        return Rotation(self.yaw + dx_pixels * radians_per_pixel, self.pitch + dy_pixels * radians_per_pixel)

    def turned(self, radians: float) -> Rotation:
        """Turned about the vertical axis (an auto-rotation step)."""
        return Rotation(self.yaw + radians, self.pitch)


@dataclass(frozen=True)
class FeatureView:
    """What a plot shows of D-dimensional features: 2-D as they are (or x/‖x‖ when `normalise`), 3-D always
    as directions on the unit sphere seen through `rotation`, other dimensions by their first two columns."""

    normalise: bool = False
    rotation: Rotation = field(default_factory=Rotation)

    @staticmethod
    def is_sphere(dim: int) -> bool:
        return dim == 3

    def on_unit_circle(self, dim: int) -> bool:
        """True when every drawn point lies on (2-D) or inside (the sphere's outline) the unit circle."""
        return self.is_sphere(dim) or (dim == 2 and self.normalise)

    def apply(self, points) -> tuple[np.ndarray, np.ndarray | None]:
        """(xy (N, 2) to draw, NaN where a row is not drawn; depth (N,) on the sphere, else None)."""
        x = np.asarray(points, dtype=np.float64)
        if x.ndim != 2 or x.shape[1] < 2:
            raise ValueError(f"points must have shape (N, D) with D ≥ 2, got {x.shape}")
        dim = x.shape[1]
        if self.is_sphere(dim):
            return self.rotation.project(directions_or_nan(x))
        if dim == 2 and self.normalise:
            return directions_or_nan(x), None
        return x[:, :2], None
