"""Gliding from one drawn frame to the next: points and centers move at constant speed.

On a CPU the worker embeds the probe set a few times a second, while the GUI draws at ~30 fps.
Without a glide the clouds would jump at each new frame; with one they move continuously from
where they are shown toward the newest real snapshot, arriving when the next one is due. Only
positions between two real snapshots are drawn, and a glide ends exactly on the newest one.
The view range does not glide: its axes would be laid out again on every tick (half a paint).
No Qt here: numpy and plain floats.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DRAW_INTERVAL_MS = 33  # every window draws at ~30 fps: a new frame's stages, or a step of its glides


@dataclass
class Glide:
    """Where a glide starts and ends, and when; `at(now)` gives the positions in between."""

    points: tuple[np.ndarray, np.ndarray]  # (N, 2) from, to: the drawn points in draw order
    centers: tuple[np.ndarray, np.ndarray]  # (C, 2) from, to (NaN: not drawn)
    started: float
    duration: float

    def progress(self, now: float) -> float:
        """0 at the start, 1 once the glide is over."""
        if self.duration <= 0:
            return 1.0
        return float(min(1.0, max(0.0, (now - self.started) / self.duration)))

    def at(self, now: float) -> tuple[np.ndarray, np.ndarray]:
        """Points and centers at time `now` (the targets themselves once the glide is over)."""
        weight = self.progress(now)
        if weight >= 1.0:
            return self.points[1], self.centers[1]
        centers = blend(*self.centers, weight)
        known = np.isfinite(centers)
        centers[~known] = self.centers[1][~known]  # a center that appears or vanishes does not glide
        return blend(*self.points, weight), centers


def blend(start: np.ndarray, end: np.ndarray, weight: float) -> np.ndarray:
    """start + (end - start)·weight, as a new array."""
    out = end - start
    out *= weight
    out += start
    return out


# Real frames this close together move the clouds smoothly on their own; gliding between them would
# only take the training thread's time (each glide step is a draw on the GUI thread, holding the GIL).
NO_GLIDE_BELOW_S = 0.2


def glide_seconds(frame_interval: float, low: float = 0.05, high: float = 1.0) -> float:
    """A glide lasts about as long as the wait for the next frame, within [low, high] seconds; none
    when frames come more often than every NO_GLIDE_BELOW_S."""
    if not np.isfinite(frame_interval):
        return low
    if frame_interval < NO_GLIDE_BELOW_S:
        return 0.0
    return float(min(high, max(low, frame_interval)))
