"""The paper's Fig. 3, live: one network per λ, same initial weights, same batches."""

from __future__ import annotations

from dataclasses import dataclass
from threading import Event

from cl_viz.core.config import TrainConfig
from cl_viz.core.data import Dataset, load_dataset, resolve_name
from cl_viz.core.errors import ClVizError
from cl_viz.core.runner import MultiRun, run_info
from cl_viz.core.session import TrainingSession
from cl_viz.core.snapshot import Snapshot

DEFAULT_LAMBDAS = (0.0, 1e-4, 1e-3, 1e-2, 1e-1)
MAX_RUNS = 9
# With tiny on digits, λ = 0.1 diverges within 100 steps at lr 0.05 but trains at 0.02 (seed 0).
GRID_LR = 0.02


@dataclass(frozen=True, eq=False)
class GridFrame:
    snapshots: tuple[Snapshot, ...]
    steps_per_second: float = 0.0
    images_per_second: float = 0.0

    @property
    def step(self) -> int:
        return self.snapshots[0].step

    @property
    def is_finite(self) -> bool:
        return all(snapshot.is_finite for snapshot in self.snapshots)


def parse_lambdas(values) -> tuple[float, ...]:
    """λ values from numbers or text like "0, 1e-4, 0.01"; each ≥ 0, at most MAX_RUNS."""
    if isinstance(values, str):
        values = [part for part in values.replace(",", " ").split() if part]
    try:
        lambdas = tuple(float(value) for value in values)
    except ValueError:
        raise ClVizError(f"λ values must be numbers, got {values!r}") from None
    if not lambdas:
        raise ClVizError("give at least one λ")
    if len(lambdas) > MAX_RUNS:
        raise ClVizError(f"at most {MAX_RUNS} λ values fit in a grid, got {len(lambdas)}")
    for lam in lambdas:
        TrainConfig(lam=lam).validated()
    return lambdas


class LambdaGridRun(MultiRun):
    def __init__(self, config: TrainConfig, lambdas=DEFAULT_LAMBDAS, dataset: Dataset | None = None):
        self.lambdas = parse_lambdas(lambdas)
        if dataset is None:
            dataset = load_dataset(resolve_name(config.dataset, config.data_dir), config.data_dir)
        super().__init__([TrainingSession(config.replace(lam=lam), dataset) for lam in self.lambdas])
        self.info = run_info(self.sessions[0], lambdas=self.lambdas)

    def set_live(self, **changes: float) -> None:
        """α and the learning rate apply to every run; each keeps its own λ."""
        shared = {name: value for name, value in changes.items() if name != "lam"}
        for session in self.sessions:
            session.set_live(**shared)

    def frame(self, steps_per_second: float = 0.0, include_batch: bool = False,
              cancel: Event | None = None) -> GridFrame:
        snapshots = tuple(session.snapshot(include_batch, cancel) for session in self.sessions)
        return GridFrame(snapshots, steps_per_second, steps_per_second * self.sessions[0].batch_size)
