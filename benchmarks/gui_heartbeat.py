"""How long the GUI thread is busy at a stretch while the window trains, drawing against not drawing.

    QT_QPA_PLATFORM=offscreen python benchmarks/gui_heartbeat.py [--seconds 15] [--size 1500x950] [--single]

A 5 ms heartbeat timer runs on the GUI thread of the real main window while it trains (comparison
on unless --single, the app's default model on the built-in digits, the worker's thread count). For
each gap between two beats it records the wall time and the GUI thread's own CPU time. Rounds
alternate between the window drawing every frame and the same window with its draw timer stopped,
which is what training alone costs the GUI (frame signals, status). The issue's bound: the GUI never
blocks for more than 50 ms.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

import torch
from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication

from cl_viz.qt.window.main_window import MainWindow
from cl_viz.qt.window.settings import DEFAULTS
from cl_viz.qt.worker import TrainingWorker, WorkerThread

WARMUP_S = 3.0


def measure(app: QApplication, config, compare: bool, size: tuple[int, int], seconds: float, draw: bool,
            threads: int) -> tuple[list[float], list[float], int]:
    """(wall gaps, GUI CPU per gap, frames drawn) of one round."""
    with tempfile.TemporaryDirectory() as folder:
        settings = QSettings(os.path.join(folder, "s.ini"), QSettings.Format.IniFormat)
        window = MainWindow(settings, config, compare, autostart=True,
                            worker_thread=WorkerThread(TrainingWorker(cpu_threads=threads)))
        window.resize(*size)
        window.show()
        _process_for(app, WARMUP_S, lambda: window.playback.latest is not None and window.playback.latest.step > 3)
        _process_for(app, WARMUP_S)
        if not draw:
            window.scheduler.timer.stop()
        gaps, cpu, last, drawn = [], [], [], set()

        def beat() -> None:
            now, busy = time.perf_counter(), time.thread_time()
            if last:
                gaps.append(now - last[0])
                cpu.append(busy - last[1])
            last[:] = [now, busy]
            if window.scheduler.drawn is not None:
                drawn.add(window.scheduler.drawn.step)

        timer = QTimer()
        timer.setInterval(5)
        timer.timeout.connect(beat)
        timer.start()
        _process_for(app, seconds)
        timer.stop()
        window.close()
        return gaps, cpu, len(drawn) - 1


def _process_for(app: QApplication, seconds: float, done=lambda: False) -> None:
    deadline = time.perf_counter() + seconds
    while not done() and time.perf_counter() < deadline:
        app.processEvents()
        time.sleep(0.001)


def _row(name: str, gaps: list[float], cpu: list[float], frames: int, seconds: float) -> str:
    ordered = sorted(gaps)
    ms = [1000 * ordered[int(q * (len(ordered) - 1))] for q in (0.5, 0.99)]
    return (f"| {name} | {len(gaps)} | {frames / seconds:.1f} | {ms[0]:.1f} | {ms[1]:.1f} | {1000 * ordered[-1]:.1f} "
            f"| {1000 * max(cpu):.1f} | {sum(g > 0.050 for g in gaps)} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15.0, help="per round")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--size", default="1500x950", help="window size (the app opens at 1500x950)")
    parser.add_argument("--single", action="store_true", help="without the softmax-only comparison")
    parser.add_argument("--model", default=DEFAULTS.model)
    args = parser.parse_args()
    app = QApplication.instance() or QApplication([])
    threads = max(1, (os.cpu_count() or 2) - 1)
    torch.set_num_threads(threads)
    size = tuple(int(part) for part in args.size.split("x"))
    config = DEFAULTS.replace(dataset="digits", model=args.model, device="cpu")
    results = {True: ([], [], 0), False: ([], [], 0)}
    for _ in range(args.rounds):
        for draw in (True, False):
            gaps, cpu, frames = measure(app, config, not args.single, size, args.seconds, draw, threads)
            old = results[draw]
            results[draw] = (old[0] + gaps, old[1] + cpu, old[2] + frames)
    total = args.rounds * args.seconds
    print(f"window {args.size}, compare={not args.single}, model {args.model}, {threads} training thread(s), "
          f"load {os.getloadavg()[0]:.1f}, {args.rounds} rounds of {args.seconds:g} s")
    print("| GUI | beats | frames drawn/s | median gap ms | 99% ms | worst ms | worst GUI CPU in a gap ms "
          "| gaps > 50 ms |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    print(_row("drawing every frame", *results[True], total))
    print(_row("draw timer stopped (baseline)", *results[False], total))


if __name__ == "__main__":
    main()
