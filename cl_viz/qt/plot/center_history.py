"""The class centers a plot was given, as given (D columns): a turned or re-normalised view redraws their trail."""

from __future__ import annotations

import numpy as np


class CenterHistory:
    """The last `length` center arrays (C, D), one more each time they moved; numpy only."""

    def __init__(self, length: int) -> None:
        self._length = max(2, int(length))
        self._rows: list[np.ndarray] = []

    def add(self, centers) -> None:
        centers = np.asarray(centers, dtype=np.float64)
        if self._rows and self._rows[-1].shape != centers.shape:
            self._rows.clear()  # another run's centers: its trail starts afresh
        if not self._rows or not np.array_equal(centers, self._rows[-1], equal_nan=True):
            self._rows = [*self._rows[-(self._length - 1):], centers]

    def clear(self) -> None:
        self._rows.clear()

    def keep_last(self) -> None:
        del self._rows[:-1]

    def array(self) -> np.ndarray:
        """(T, C, D), oldest first; (0, 0, 2) when empty."""
        return np.stack(self._rows) if self._rows else np.zeros((0, 0, 2))
