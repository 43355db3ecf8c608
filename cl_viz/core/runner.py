"""A live run: the chosen configuration and, optionally, a softmax-only twin stepped in lockstep."""

from __future__ import annotations

import copy
from threading import Event

from cl_viz.core.config import TrainConfig
from cl_viz.core.data import Dataset, load_configured
from cl_viz.core.devices import describe_device
from cl_viz.core.distributed import DataParallel
from cl_viz.core.frames import Frame, RunInfo
from cl_viz.core.runs import softmax_twin
from cl_viz.core.session import TrainingSession
from cl_viz.core.snapshot import frozen


def run_info(session: TrainingSession, compare: bool = False, lambdas: tuple[float, ...] = (),
             run_titles: tuple[str, ...] = ()) -> RunInfo:
    dataset = session.dataset
    return RunInfo(
        config=session.config, compare=compare, dataset_name=dataset.name, dataset_source=dataset.source,
        class_names=tuple(dataset.class_names), device=describe_device(session.device),
        train_size=len(dataset.train_labels), probe_size=len(session.probe_labels),
        batch_size=session.batch_size, steps_per_epoch=session.steps_per_epoch,
        probe_images=frozen(session.probe_pixels().numpy()), lambdas=lambdas,
        run_titles=run_titles, **_unknowns(session))


def _unknowns(session: TrainingSession) -> dict:
    open_set = session.open_set
    if open_set is None:
        return {}
    return {"original_class_names": open_set.class_names,
            "unknown_images": frozen(open_set.unknown_images[session.unknown_indices].numpy())}


HEAD_ONLY_FIELDS = ("scale", "margin", "margin_warmup_steps")


class MultiRun:
    """Sessions built from one seed (same initial weights, same batches), stepped in lockstep."""

    def __init__(self, sessions: list[TrainingSession]):
        self.sessions = sessions
        self._good_states: list[dict] | None = None

    @property
    def step(self) -> int:
        return self.sessions[0].step

    @property
    def config(self) -> TrainConfig:
        return self.sessions[0].config

    def train_step(self) -> None:
        for session in self.sessions:
            session.train_step()

    def remember_good_state(self) -> None:
        """Keep a copy of the weights, centers and optimizers to fall back on if training diverges."""
        self._good_states = [copy.deepcopy(session.state_dict()) for session in self.sessions]

    def restore_good_state(self) -> bool:
        if self._good_states is None:
            return False
        for session, state in zip(self.sessions, self._good_states):
            session.load_state_dict(state)  # keeps the session's current λ, α and learning rate
        return True


class LockstepRun(MultiRun):
    """The chosen configuration and, optionally, a softmax-only twin (`softmax_twin`)."""

    def __init__(self, config: TrainConfig, compare: bool = False, dataset: Dataset | None = None,
                 parallel: DataParallel | None = None):
        if dataset is None:
            dataset = load_configured(config)
        self.primary = TrainingSession(config, dataset, parallel=parallel)
        self.comparison = TrainingSession(softmax_twin(config), dataset, parallel=parallel) if compare else None
        super().__init__([self.primary] if self.comparison is None else [self.primary, self.comparison])
        self.info = run_info(self.primary, compare)

    def set_live(self, **changes: float) -> None:
        """λ applies to the primary run only: the twin stays softmax-only. Beside an angular head the twin
        keeps its own learning rate, and s and m are the head's alone."""
        self.primary.set_live(**changes)
        if self.comparison is not None:
            own = {"lam"} | (set() if self.primary.config.head == "softmax" else {"lr", *HEAD_ONLY_FIELDS})
            self.comparison.set_live(**{k: v for k, v in changes.items() if k not in own})

    def frame(self, steps_per_second: float = 0.0, include_batch: bool = True, cancel: Event | None = None,
              refresh: int | None = None) -> Frame:
        """Snapshots of both runs; `refresh` as in TrainingSession.snapshot (None: the whole probe set)."""
        primary = self.primary.snapshot(include_batch, cancel, refresh)
        comparison = None if self.comparison is None else self.comparison.snapshot(include_batch, cancel, refresh)
        return Frame(primary, comparison, steps_per_second, steps_per_second * self.primary.batch_size)
