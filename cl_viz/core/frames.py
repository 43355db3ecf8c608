"""What a run shows the window, in plain data (no torch): the description of a run and its frames.

A Frame is one drawn moment of a run and its softmax-only twin; a GridFrame one moment of a grid of runs;
RunInfo says what the run is, once, when it is built, and travels with its recordings.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cl_viz.core.config import STORED_DEFAULTS, TrainConfig
from cl_viz.core.snapshot import Snapshot

NOT_RECORDED = "not recorded"


@dataclass(frozen=True, eq=False)
class Frame:
    """Everything one drawn frame needs; immutable, safe to hand from the worker to the GUI."""

    primary: Snapshot
    comparison: Snapshot | None
    steps_per_second: float = 0.0
    images_per_second: float = 0.0

    @property
    def step(self) -> int:
        return self.primary.step

    @property
    def is_finite(self) -> bool:
        return self.primary.is_finite and (self.comparison is None or self.comparison.is_finite)


@dataclass(frozen=True, eq=False)
class GridFrame:
    """One moment of a grid: a snapshot per network, in the order of its runs."""

    snapshots: tuple[Snapshot, ...]
    steps_per_second: float = 0.0
    images_per_second: float = 0.0

    @property
    def step(self) -> int:
        return self.snapshots[0].step

    @property
    def is_finite(self) -> bool:
        return all(snapshot.is_finite for snapshot in self.snapshots)


@dataclass(frozen=True, eq=False)
class RunInfo:
    """What a run is: its configuration, data, device and sizes (None where a recording did not say)."""

    config: TrainConfig
    compare: bool
    dataset_name: str
    dataset_source: str
    class_names: tuple[str, ...]
    device: str
    train_size: int | None
    probe_size: int
    batch_size: int
    steps_per_epoch: int | None
    probe_images: np.ndarray | None = None  # uint8 (P, S, S) or (P, 3, S, S), what each probe point looks like
    lambdas: tuple[float, ...] = ()  # the λ of each run of a grid
    run_titles: tuple[str, ...] = ()  # the title of each run of a grid
    original_class_names: tuple[str, ...] = ()  # open set: the name of every original class id, known or not
    unknown_images: np.ndarray | None = None  # uint8 (U, S, S) or (U, 3, S, S): each unknown probe point

    def to_dict(self) -> dict:
        """Everything but the images, as JSON-ready values."""
        return {"config": self.config.to_dict(), "compare": self.compare, "dataset_name": self.dataset_name,
                "dataset_source": self.dataset_source, "class_names": list(self.class_names), "device": self.device,
                "train_size": self.train_size, "probe_size": self.probe_size, "batch_size": self.batch_size,
                "steps_per_epoch": self.steps_per_epoch, "lambdas": list(self.lambdas),
                "run_titles": list(self.run_titles), "original_class_names": list(self.original_class_names)}

    @classmethod
    def from_dict(cls, data: dict, probe_images: np.ndarray | None = None,
                  unknown_images: np.ndarray | None = None) -> RunInfo:
        """A recorded description; a configuration field that cannot be used takes its default (a replay
        only shows it). Raises ValueError where the description itself is not one."""
        if not isinstance(data, dict):
            raise ValueError("its run description is not a table")
        config, _ = STORED_DEFAULTS.with_valid(data.get("config") if isinstance(data.get("config"), dict) else {})
        return cls(config=config, compare=_typed(data, "compare", bool),
                   dataset_name=_typed(data, "dataset_name", str), dataset_source=_typed(data, "dataset_source", str),
                   class_names=tuple(_typed(data, "class_names", list)), device=_typed(data, "device", str),
                   train_size=_count(data, "train_size"), probe_size=_count(data, "probe_size", optional=False),
                   batch_size=_count(data, "batch_size", optional=False),
                   steps_per_epoch=_count(data, "steps_per_epoch"), probe_images=probe_images,
                   lambdas=_lambdas(data), run_titles=_titles(data, "run_titles"),
                   original_class_names=_titles(data, "original_class_names"), unknown_images=unknown_images)


def _typed(data: dict, key: str, kind: type):
    value = data.get(key)
    if not isinstance(value, kind):
        raise ValueError(f"its run description's {key} is not {kind.__name__}")
    return value


def _lambdas(data: dict) -> tuple[float, ...]:
    values = _typed(data, "lambdas", list)
    if not all(isinstance(lam, (int, float)) and not isinstance(lam, bool) for lam in values):
        raise ValueError("its run description's lambdas are not numbers")
    return tuple(float(lam) for lam in values)


def _titles(data: dict, key: str) -> tuple[str, ...]:
    values = data.get(key, [])  # recordings made before grids had titles (or open sets had names) have none
    if not isinstance(values, list) or not all(isinstance(title, str) for title in values):
        raise ValueError(f"its run description's {key} are not text")
    return tuple(values)


def _count(data: dict, key: str, optional: bool = True) -> int | None:
    value = data.get(key)
    if value is None and optional:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"its run description's {key} is not a count")
    return value
