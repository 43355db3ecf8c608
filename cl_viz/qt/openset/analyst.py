"""OpenSetAnalyst: the open-set figures of the drawn runs, computed in a thread of their own.

scikit-learn's curves cost tens of milliseconds a snapshot, too much for the GUI thread's frame and
for the training thread's step. `request` keeps only the newest snapshots; the thread analyses them
when it is free and `analysed` delivers an Analyses to the GUI thread (a queued signal). The thread
imports scikit-learn itself, so the GUI thread never does. It is a daemon: a closed window stops it,
and an analysis under way at exit never holds the process.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QObject, Signal

from cl_viz.core.errors import ClVizError
from cl_viz.core.snapshot import Snapshot
from cl_viz.core.verification_pairs import Pairs, verification_pairs


@dataclass(frozen=True, eq=False)
class Analyses:
    step: int
    runs: tuple  # a RunAnalysis (cl_viz.core.openset_analysis) or None per run, in the order requested
    problems: tuple[str, ...]  # why a run has none ("" where it has one)


class OpenSetAnalyst(QObject):
    analysed = Signal(object)  # Analyses

    def __init__(self) -> None:
        super().__init__()  # no parent: the thread holds it until it ends
        self._wake = threading.Condition()
        self._pending: tuple | None = None
        self._stopping = False
        self._pairs: tuple[int, Pairs] | None = None
        self.analyses_done = 0
        self._thread = threading.Thread(target=self._run, name="cl-viz open set", daemon=True)
        self._thread.start()

    def request(self, snapshots: tuple[Snapshot | None, ...], score: str, distance: str) -> None:
        with self._wake:
            self._pending = (tuple(snapshots), score, distance)
            self._wake.notify()

    def stop(self, timeout_s: float = 1.0) -> bool:
        with self._wake:
            self._stopping = True
            self._pending = None
            self._wake.notify()
        self._thread.join(timeout_s)
        return not self._thread.is_alive()

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def _run(self) -> None:
        while True:
            with self._wake:
                while self._pending is None and not self._stopping:
                    self._wake.wait()
                if self._stopping:
                    return
                (snapshots, score, distance), self._pending = self._pending, None
            from cl_viz.core.openset_analysis import analyse_run  # scikit-learn: in this thread, once asked
            runs, problems = [], []
            for snapshot in snapshots:
                analysis, problem = None, ""
                if snapshot is not None:
                    try:
                        analysis = analyse_run(snapshot, score, distance, self._pairs_of(snapshot.unknown_labels))
                    except ClVizError as error:
                        problem = str(error)
                    except Exception as error:  # noqa: BLE001 (the thread must go on; the panel says why)
                        problem = f"the analysis failed: {type(error).__name__}: {error}"
                runs.append(analysis)
                problems.append(problem)
            with self._wake:
                if self._stopping:
                    return
                self.analyses_done += 1
            step = next((s.step for s in snapshots if s is not None), 0)
            self.analysed.emit(Analyses(step, tuple(runs), tuple(problems)))

    def _pairs_of(self, labels: np.ndarray | None) -> Pairs:
        """The run's verification pairs, drawn once per probe set (every run of it shares them)."""
        if labels is None:
            raise ClVizError("this run holds no classes out")
        key = hash(np.asarray(labels).tobytes())
        if self._pairs is None or self._pairs[0] != key:
            self._pairs = (key, verification_pairs(labels))
        return self._pairs[1]
