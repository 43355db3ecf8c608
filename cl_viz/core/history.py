"""Metric curves of a run in bounded memory: old history is thinned, recent history kept dense."""

from __future__ import annotations

import numpy as np


class BoundedHistory:
    """Columns of floats keyed by name; never more than `capacity` rows.

    When full, every other row is dropped and from then on only every `stride`-th record is
    kept, so a run of any length keeps an evenly spaced summary (the newest record is always
    available via `latest`).
    """

    def __init__(self, columns: tuple[str, ...], capacity: int = 2000):
        if capacity < 4:
            raise ValueError("capacity must be at least 4")
        self.columns = columns
        self.capacity = capacity
        self._data = np.full((capacity, len(columns)), np.nan)
        self._size = 0
        self._stride = 1
        self._seen = 0
        self.latest: dict[str, float] | None = None

    def __len__(self) -> int:
        return self._size

    @property
    def stride(self) -> int:
        return self._stride

    def append(self, record: dict[str, float]) -> None:
        self.latest = {name: float(record.get(name, np.nan)) for name in self.columns}
        keep = self._seen % self._stride == 0
        self._seen += 1
        if not keep:
            return
        if self._size == self.capacity:
            self._data[: self.capacity // 2] = self._data[: self.capacity: 2]
            self._size = self.capacity // 2
            self._stride *= 2
        self._data[self._size] = [self.latest[name] for name in self.columns]
        self._size += 1

    def column(self, name: str) -> np.ndarray:
        return self._data[: self._size, self.columns.index(name)].copy()

    def clear(self) -> None:
        self._size, self._stride, self._seen, self.latest = 0, 1, 0, None
