"""The paper's Fig. 3, live: one network per λ, same initial weights, same batches."""

from __future__ import annotations

from threading import Event

from cl_viz.core.config import TrainConfig
from cl_viz.core.data import Dataset, load_dataset, resolve_name
from cl_viz.core.frames import GridFrame
from cl_viz.core.lambdas import DEFAULT_LAMBDAS, parse_lambdas
from cl_viz.core.runner import MultiRun, run_info
from cl_viz.core.session import TrainingSession


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
              cancel: Event | None = None, refresh: int | None = None) -> GridFrame:
        snapshots = tuple(session.snapshot(include_batch, cancel, refresh) for session in self.sessions)
        return GridFrame(snapshots, steps_per_second, steps_per_second * self.sessions[0].batch_size)
