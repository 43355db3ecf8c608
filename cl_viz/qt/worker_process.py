"""Training in a process of its own: the worker of cl_viz.qt.worker, run by a child process.

Python lets one thread run Python code at a time, and PySide6 keeps that lock (the GIL) through its C++
calls, painting included. With the worker in a thread of the GUI's process, every stage the GUI draws
stalls the training step's Python between two torch operations; measured on 2 cores, a GUI thread busy
30% of the time cost the training thread 30–55% of its steps. In a child process training never waits
for the GUI. The window talks to a ProcessWorker exactly as to a TrainingWorker: the same thread-safe
commands, the same signals, re-emitted from the child's frames as they arrive through a pipe.

The child is started by the first command other than "stop" (a replay never starts one), with the
"spawn" method (a fork of a process running Qt's threads is unsafe); it imports torch itself, so the
GUI's process never does. It ignores Ctrl+C (the window handles it and closes the child) and stops when
its pipe closes, so it never outlives the window. It is not a daemonic process, so that it may start
processes of its own (the DataLoader workers that stream a large image folder); one still alive when
the GUI's process exits is terminated then, as a daemon would be.
"""

from __future__ import annotations

import atexit
import multiprocessing
import os
import queue
import signal
import threading
import weakref
from multiprocessing.connection import Connection, wait

from PySide6.QtCore import QObject, Qt, Signal, Slot

from cl_viz.core.config import DEFAULT_WORKER_MODE, WORKER_MODE_VARIABLE, WORKER_MODES, TrainConfig
from cl_viz.qt.common.guard import guarded
from cl_viz.qt.worker import TrainingWorker

FORWARDED_SIGNALS = ("frame_ready", "run_ready", "state_changed", "message", "failed", "diverged")
POLL_S = 0.02  # the relay looks for new commands at least this often
STOP_GRACE_S = 3.0  # a stopping child gets this long to finish its step, then it is terminated
KILL_GRACE_S = 1.0
_children: weakref.WeakSet = weakref.WeakSet()  # started and not yet ended, for _end_children at exit


def worker_mode(mode: str | None = None) -> str:
    """`mode`, else $CL_VIZ_WORKER, else DEFAULT_WORKER_MODE; a ValueError names the choices."""
    mode = mode or os.environ.get(WORKER_MODE_VARIABLE) or DEFAULT_WORKER_MODE
    if mode not in WORKER_MODES:
        raise ValueError(f"worker mode {mode!r}: choose one of {', '.join(WORKER_MODES)}")
    return mode


def make_worker(mode: str | None = None, cpu_threads: int | None = None, make_run=None):
    """The training worker for `mode` (worker_mode)."""
    worker_class = ProcessWorker if worker_mode(mode) == "process" else TrainingWorker
    return worker_class(cpu_threads, make_run=make_run)


class ProcessWorker(QObject):
    """A TrainingWorker's interface, with the training in a child process; `run` is the relay's loop
    (in the WorkerThread's QThread): it starts the child, forwards commands to it and re-emits its signals."""

    frame_ready = Signal(object)
    run_ready = Signal(object)
    state_changed = Signal(str)
    message = Signal(str)
    failed = Signal(str)
    diverged = Signal(object)
    finished = Signal()

    def __init__(self, cpu_threads: int | None = None, make_run=None):
        """`make_run` must be a module-level function (it is sent to the child by name)."""
        super().__init__()
        self._cpu_threads = cpu_threads or max(1, (os.cpu_count() or 2) - 1)
        self._make_run = make_run
        self._commands: queue.SimpleQueue[tuple] = queue.SimpleQueue()
        self.child_pid: int | None = None
        self.exit_code: int | None = None  # the child's, once it has ended

    # ----- called from the GUI thread -----------------------------------------------------
    def reset(self, config: TrainConfig, variant: object = False) -> None:
        self._commands.put(("reset", (config, variant), {}))

    def start(self) -> None:
        self._commands.put(("start", (), {}))

    def pause(self) -> None:
        self._commands.put(("pause", (), {}))

    def single_step(self) -> None:
        self._commands.put(("single_step", (), {}))

    def set_live(self, **changes: float) -> None:
        self._commands.put(("set_live", (), changes))

    def stop(self) -> None:
        self._commands.put(("stop", (), {}))

    # ----- the relay thread ---------------------------------------------------------------
    @Slot()
    @guarded()
    def run(self) -> None:
        try:
            first = self._commands.get()
            if first[0] != "stop":
                self._relay(first)
        finally:
            self.state_changed.emit("stopped")
            self.finished.emit()

    def _relay(self, first: tuple) -> None:
        self.message.emit("Starting the training process…")
        context = multiprocessing.get_context("spawn")
        connection, child_end = context.Pipe()
        child = context.Process(target=serve_in_child, args=(child_end, self._cpu_threads, self._make_run),
                                name="cl-viz training", daemon=False)
        try:
            child.start()
        except Exception as error:  # noqa: BLE001 (no memory for a process, a make_run that cannot be sent)
            self.failed.emit(f"The training process could not start: {type(error).__name__}: {error}")
            return
        child_end.close()
        _children.add(child)
        self.child_pid = child.pid
        stopping = False
        try:
            stopping = not self._forward(connection, [first]) or self._serve(connection, child)
        finally:
            self._end(connection, child, stopping)

    def _serve(self, connection: Connection, child) -> bool:
        """Relay until the child ends (False) or the window stops it (True)."""
        while True:
            if not self._forward(connection, self._pending()):
                return True
            if connection in wait([connection, child.sentinel], timeout=POLL_S):
                try:
                    name, payload = connection.recv()
                except (EOFError, OSError):
                    return False
                if name == "ended":
                    return False
                getattr(self, name).emit(payload)
            elif not child.is_alive():
                return False

    def _pending(self) -> list[tuple]:
        commands = []
        while True:
            try:
                commands.append(self._commands.get_nowait())
            except queue.Empty:
                return commands

    def _forward(self, connection: Connection, commands: list[tuple]) -> bool:
        """Send `commands` to the child; False once one of them is "stop"."""
        for command in commands:
            try:
                connection.send(command)
            except (BrokenPipeError, OSError):
                return command[0] != "stop"
            if command[0] == "stop":
                return False
        return True

    def _end(self, connection: Connection, child, stopping: bool) -> None:
        child.join(STOP_GRACE_S if stopping else KILL_GRACE_S)
        if child.is_alive():
            child.terminate()
            child.join(KILL_GRACE_S)
        if child.is_alive():
            child.kill()
            child.join()
        connection.close()
        _children.discard(child)
        self.exit_code = child.exitcode
        if not stopping and child.exitcode != 0:
            self.failed.emit(f"The training process ended unexpectedly (exit code {child.exitcode}). "
                             f"Reset to start a new one.")


@atexit.register  # after multiprocessing's own exit handler is registered, so before it joins the children
def _end_children() -> None:
    for child in list(_children):
        if child.is_alive():
            child.terminate()
            child.join(KILL_GRACE_S)
        if child.is_alive():
            child.kill()


def serve_in_child(connection: Connection, cpu_threads: int, make_run) -> None:
    """The child's main: a TrainingWorker serving the commands that arrive on `connection`."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    worker = TrainingWorker(cpu_threads, make_run=make_run)
    sending = threading.Lock()

    def forwarder(name: str):
        def send(payload) -> None:
            with sending:
                try:
                    connection.send((name, payload))
                except (BrokenPipeError, OSError):
                    worker.stop()  # the window has gone
        return send

    for name in FORWARDED_SIGNALS:
        if name != "state_changed":
            getattr(worker, name).connect(forwarder(name), Qt.ConnectionType.DirectConnection)
    worker.state_changed.connect(_unless_stopped(forwarder("state_changed")), Qt.ConnectionType.DirectConnection)
    threading.Thread(target=_listen, args=(connection, worker), name="cl-viz commands", daemon=True).start()
    worker.run()
    with sending:
        try:
            connection.send(("ended", None))
        except (BrokenPipeError, OSError):
            pass


def _unless_stopped(send):
    def forward(state: str) -> None:
        if state != "stopped":  # the relay says so itself, once the child has ended
            send(state)
    return forward


def _listen(connection: Connection, worker: TrainingWorker) -> None:
    """Pass each command from the window to the worker (its methods are thread-safe); stop at the end."""
    while True:
        try:
            name, args, kwargs = connection.recv()
        except (EOFError, OSError):
            worker.stop()
            return
        getattr(worker, name)(*args, **kwargs)
        if name == "stop":
            return
