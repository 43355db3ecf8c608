"""Runs side by side: one network per entry (a λ of the paper's Fig. 3, a loss of the loss family), same
initial weights, same batches, stepped in lockstep."""

from __future__ import annotations

from threading import Event

from cl_viz.core.config import TrainConfig
from cl_viz.core.data import Dataset, load_configured
from cl_viz.core.frames import GridFrame
from cl_viz.core.lambdas import DEFAULT_LAMBDAS, parse_lambdas
from cl_viz.core.runner import MultiRun, run_info
from cl_viz.core.runs import GridEntry, lambda_entries
from cl_viz.core.session import TrainingSession


class GridRun(MultiRun):
    def __init__(self, entries: tuple[GridEntry, ...], dataset: Dataset | None = None):
        if not entries:
            raise ValueError("a grid needs at least one run")
        self.entries = tuple(entries)
        first = entries[0].config
        if dataset is None:
            dataset = load_configured(first)
        super().__init__([TrainingSession(entry.config, dataset) for entry in self.entries])
        self.info = run_info(self.sessions[0], lambdas=tuple(entry.config.lam for entry in self.entries),
                             run_titles=tuple(entry.title for entry in self.entries))

    def set_live(self, **changes: float) -> None:
        """Every run takes the change, except λ: each keeps its own."""
        shared = {name: value for name, value in changes.items() if name != "lam"}
        for session in self.sessions:
            session.set_live(**shared)

    def frame(self, steps_per_second: float = 0.0, include_batch: bool = False,
              cancel: Event | None = None, refresh: int | None = None) -> GridFrame:
        snapshots = tuple(session.snapshot(include_batch, cancel, refresh) for session in self.sessions)
        return GridFrame(snapshots, steps_per_second, steps_per_second * self.sessions[0].batch_size)


class LambdaGridRun(GridRun):
    """The paper's Fig. 3, live: one network per λ."""

    def __init__(self, config: TrainConfig, lambdas=DEFAULT_LAMBDAS, dataset: Dataset | None = None):
        self.lambdas = parse_lambdas(lambdas)
        super().__init__(lambda_entries(config, self.lambdas), dataset)
