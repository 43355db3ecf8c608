"""The training worker: a QObject living in its own QThread, fed commands through a queue.

Data flows one way (session → immutable Frame → signal); commands flow back through a
thread-safe queue and apply between steps. While training, up to 20 frames a second each re-embed
the next slice of the probe set with the current weights (sized to keep embedding near EMBED_SHARE
of the time), so every drawn point is a real embedding, at most a few seconds old; a paused frame
re-embeds all of it. The GUI keeps only the newest frame, so nothing queues up behind a slow paint.
"""

from __future__ import annotations

import os
import queue
import sys
import threading
import time
import traceback
from dataclasses import dataclass, field

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot

from cl_viz.core.config import TrainConfig
from cl_viz.core.errors import Cancelled, ClVizError
from cl_viz.qt.common.guard import guarded
from cl_viz.qt.common.parking import ParkedThreads

LIVE_FRAME_INTERVAL_S = 1 / 20  # new frames while training, at most this often
EMBED_SHARE = 0.08  # while training, about this share of the worker's time re-embeds probe images
FRAME_SHARE = 0.2  # and never more than this goes into frames (when a frame's fixed cost is high)
MIN_REFRESH = 16  # probe images re-embedded per frame, at least
GOOD_STATE_INTERVAL_S = 0.5
SHUTDOWN_TIMEOUT_MS = 3000  # a window closing waits this long for its worker, then parks it


@dataclass(frozen=True)
class Command:
    name: str
    config: TrainConfig | None = None
    variant: object = False  # LockstepRun: compare or not; GridRun: its entries
    changes: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Divergence:
    step: int
    lr: float
    lam: float
    restored: bool


class TrainingWorker(QObject):
    frame_ready = Signal(object)  # Frame
    run_ready = Signal(object)  # RunInfo, after each (re)build
    state_changed = Signal(str)  # "loading", "paused", "running", "stopped"
    message = Signal(str)  # progress text for the status bar
    failed = Signal(str)  # a problem the user should read; the worker keeps going
    diverged = Signal(object)  # Divergence
    finished = Signal()

    def __init__(self, cpu_threads: int | None = None, make_run=None):
        """`make_run(config, variant, dataset)` builds the run in the worker's thread (default:
        `lockstep_run`, variant = compare; the grid window passes `grid_run`)."""
        super().__init__()
        self._make_run = make_run or lockstep_run
        self._commands: queue.SimpleQueue[Command] = queue.SimpleQueue()
        self._stopping = threading.Event()  # seen mid-snapshot, so a close never waits for a whole one
        self._cpu_threads = cpu_threads or max(1, (os.cpu_count() or 2) - 1)
        self._run = None
        self._running = False
        self._datasets: dict = {}
        self._last_frame_time = 0.0
        self._frame_interval = LIVE_FRAME_INTERVAL_S
        self._seconds_per_image = 0.0  # of a frame, per probe image re-embedded (learned)
        self._steps_at_last_frame = 0
        self._last_good_state_time = 0.0

    # ----- called from the GUI thread -----------------------------------------------------
    def reset(self, config: TrainConfig, variant: object = False) -> None:
        self._commands.put(Command("reset", config=config, variant=variant))

    def start(self) -> None:
        self._commands.put(Command("start"))

    def pause(self) -> None:
        self._commands.put(Command("pause"))

    def single_step(self) -> None:
        self._commands.put(Command("step"))

    def set_live(self, **changes: float) -> None:
        self._commands.put(Command("live", changes=changes))

    def stop(self) -> None:
        self._stopping.set()
        self._commands.put(Command("stop"))

    # ----- the worker thread --------------------------------------------------------------
    @Slot()
    @guarded()
    def run(self) -> None:
        """Serve commands until stopped. Torch is imported by the first reset, in this thread: the window
        shows before it, and a replay never needs it."""
        try:
            while self._handle_commands(block=not (self._running and self._run is not None)):
                if self._running and self._run is not None and not self._stopping.is_set():
                    self._guarded(self._advance)
        finally:
            self._run = None
            self.state_changed.emit("stopped")
            self.finished.emit()

    def _handle_commands(self, block: bool) -> bool:
        """Apply queued commands; False once asked to stop."""
        try:
            command = self._commands.get(timeout=0.1) if block else self._commands.get_nowait()
        except queue.Empty:
            return True
        while True:
            if command.name == "stop":
                return False
            self._guarded(self._apply, command)
            try:
                command = self._commands.get_nowait()
            except queue.Empty:
                return True

    def _apply(self, command: Command) -> None:
        if command.name == "reset":
            self._rebuild(command.config, command.variant)
        elif self._run is None:
            return
        elif command.name == "start":
            self._set_running(True)
        elif command.name == "pause":
            self._set_running(False)
        elif command.name == "step":
            self._set_running(False)
            self._run.train_step()
            self._emit_frame(force=True)
        elif command.name == "live":
            self._run.set_live(**command.changes)
            if not self._running:
                self._emit_frame(force=True)

    def _rebuild(self, config: TrainConfig, variant: object) -> None:
        was_running = self._running
        self._set_running(False)
        self.state_changed.emit("loading")
        self._prepare_torch()
        from cl_viz.core.data import load_configured, resolve_name

        name = resolve_name(config.dataset, config.data_dir)
        key = (name, config.data_dir, config.input_shape)
        if key not in self._datasets:
            self.message.emit(f"Loading {name}…")
            self._datasets = {key: load_configured(config)}  # keep one: they are large
        self._run = self._make_run(config, variant, self._datasets[key])  # on failure the old run stays
        self._steps_at_last_frame = 0
        self.run_ready.emit(self._run.info)
        self._emit_frame(force=True)
        self._set_running(was_running)

    def _prepare_torch(self) -> None:
        if "torch" not in sys.modules:
            self.message.emit("Loading PyTorch…")
        import torch

        if torch.get_num_threads() != self._cpu_threads:
            torch.set_num_threads(self._cpu_threads)

    def _set_running(self, running: bool) -> None:
        self._running = running and self._run is not None
        self._last_frame_time = time.perf_counter()
        if self._run is not None:
            self._steps_at_last_frame = self._run.step
        self.state_changed.emit("running" if self._running else "paused")

    def _advance(self) -> None:
        self._run.train_step()
        if time.perf_counter() - self._last_frame_time >= self._frame_interval:
            self._emit_frame()

    def _emit_frame(self, force: bool = False) -> None:
        now = time.perf_counter()
        elapsed = now - self._last_frame_time
        steps = self._run.step - self._steps_at_last_frame
        live = self._running and not force
        rate = steps / elapsed if (live and elapsed > 0) else 0.0
        refresh = self._refresh_size() if live else None
        frame = self._run.frame(steps_per_second=rate, cancel=self._stopping, refresh=refresh)
        cost = time.perf_counter() - now
        self._learn_frame_cost(cost, refresh)
        self._frame_interval = max(LIVE_FRAME_INTERVAL_S, cost / FRAME_SHARE)
        self._last_frame_time = time.perf_counter()
        self._steps_at_last_frame = self._run.step
        if not frame.is_finite:
            self._on_divergence(frame)
            return
        if now - self._last_good_state_time >= GOOD_STATE_INTERVAL_S or force:
            self._run.remember_good_state()
            self._last_good_state_time = now
        self.frame_ready.emit(frame)

    def _refresh_size(self) -> int:
        """Probe images to re-embed in the next frame: EMBED_SHARE of a frame interval's time."""
        probe_size = self._run.info.probe_size
        if self._seconds_per_image <= 0:
            return probe_size
        runs = len(self._run.sessions)
        budget = EMBED_SHARE * LIVE_FRAME_INTERVAL_S / (self._seconds_per_image * runs)
        return int(min(probe_size, max(MIN_REFRESH, budget)))

    def _learn_frame_cost(self, cost: float, refresh: int | None) -> None:
        images = (self._run.info.probe_size if refresh is None else refresh) * len(self._run.sessions)
        per_image = cost / max(1, images)
        if self._seconds_per_image <= 0 or refresh is None:
            self._seconds_per_image = per_image
        else:
            self._seconds_per_image += 0.3 * (per_image - self._seconds_per_image)

    def _on_divergence(self, frame) -> None:
        self._set_running(False)
        restored = self._run.restore_good_state()
        config = self._run.config
        self.diverged.emit(Divergence(step=frame.step, lr=config.lr, lam=config.lam, restored=restored))

    def _guarded(self, action, *args) -> None:
        """Errors reach the user as one message; the worker pauses and keeps serving commands."""
        try:
            action(*args)
        except Cancelled:
            pass
        except ClVizError as error:
            self._fail(str(error))
        except Exception as error:  # noqa: BLE001 (keep the app alive; the traceback goes to the terminal)
            if _out_of_memory(error):
                self._fail("The GPU ran out of memory. Lower the batch size or the probe size, or train on the CPU.")
                return
            traceback.print_exc()
            self._fail(f"Training stopped: {type(error).__name__}: {error}")

    def _fail(self, text: str) -> None:
        self._set_running(False)
        self.failed.emit(text)


def lockstep_run(config: TrainConfig, compare: bool, dataset):
    """The main window's run: the chosen configuration and, with `compare`, its softmax-only twin."""
    from cl_viz.core.runner import LockstepRun

    return LockstepRun(config, compare, dataset)


def grid_run(_config: TrainConfig, entries, dataset):
    """The grid window's run: one network per entry (cl_viz.core.runs.GridEntry)."""
    from cl_viz.core.grid import GridRun

    return GridRun(entries, dataset)


def _out_of_memory(error: Exception) -> bool:
    torch = sys.modules.get("torch")
    if torch is None or not isinstance(error, torch.OutOfMemoryError):
        return False
    torch.cuda.empty_cache()
    return True


class WorkerEvents(QObject):
    """The worker's signals, re-emitted by an object of the GUI thread.

    Receivers connect here, never to the worker itself: a plain Python callable connected to a
    worker signal would run in the worker thread.
    """

    frame_ready = Signal(object)
    run_ready = Signal(object)
    state_changed = Signal(str)
    message = Signal(str)
    failed = Signal(str)
    diverged = Signal(object)

    def __init__(self, worker: TrainingWorker, parent: QObject | None = None):
        super().__init__(parent)
        for name in ("frame_ready", "run_ready", "state_changed", "message", "failed", "diverged"):
            getattr(worker, name).connect(getattr(self, name), Qt.ConnectionType.QueuedConnection)


class WorkerThread:
    """Owns the QThread, its worker and the GUI-side events; `shutdown` stops them in bounded time.

    Qt aborts the process when a running QThread is destroyed. A worker that does not stop in time
    (a dataset download, a long step on a busy machine) is therefore parked: kept alive here, with
    its thread, until it ends; `wait_for_parked` gives the stragglers a last chance at exit.
    """

    _parked = ParkedThreads()

    def __init__(self, worker: TrainingWorker | None = None):
        self.worker = worker or TrainingWorker()
        self.events = WorkerEvents(self.worker)
        self.thread = QThread()
        self.thread.setObjectName("cl-viz training")
        self.worker.moveToThread(self.thread)
        self.thread.started.connect(self.worker.run)
        # Direct: the GUI thread may be blocked in shutdown()'s wait(); QThread.quit is thread-safe.
        self.worker.finished.connect(self.thread.quit, Qt.ConnectionType.DirectConnection)

    def start(self) -> None:
        self.thread.start()

    def shutdown(self, timeout_ms: int = SHUTDOWN_TIMEOUT_MS) -> bool:
        """Ask the worker to stop after its current step; True when the thread has ended, False when
        it is still running after `timeout_ms` (it is then parked and ends on its own)."""
        WorkerThread._parked.prune()
        if not self.thread.isRunning():
            return True
        self.worker.stop()
        if self.thread.wait(timeout_ms):
            return True
        WorkerThread._parked.park(self, self.thread)
        return False

    @classmethod
    def wait_for_parked(cls, timeout_ms: int) -> bool:
        """Wait for every parked worker to end (True), or for at most `timeout_ms` in all."""
        return cls._parked.wait(timeout_ms)
