"""Training images/s with the GUI streaming frames, against the same run headless, in one process.

    QT_QPA_PLATFORM=offscreen python benchmarks/gui_training_rate.py [--seconds 20] [--compare]

Both use the worker's thread count (all cores but one, as the app does) and the app's default
setup on the built-in digits; the GUI run draws every frame it receives (~30 fps) offscreen.
Rounds alternate so that background load hits both alike.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time

import torch
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from cl_viz.core.data import load_dataset
from cl_viz.core.runner import LockstepRun
from cl_viz.qt.window.main_window import MainWindow
from cl_viz.qt.window.settings import DEFAULTS
from cl_viz.qt.worker import TrainingWorker, WorkerThread

WARMUP_S = 2.0


def headless_rate(config, compare: bool, seconds: float, dataset) -> float:
    run = LockstepRun(config, compare, dataset)
    deadline = time.perf_counter() + WARMUP_S
    while time.perf_counter() < deadline:
        run.train_step()
    start_step, started = run.step, time.perf_counter()
    while time.perf_counter() - started < seconds:
        run.train_step()
    return (run.step - start_step) * run.primary.batch_size / (time.perf_counter() - started)


def gui_rate(app: QApplication, config, compare: bool, seconds: float, threads: int) -> tuple[float, int]:
    with tempfile.TemporaryDirectory() as folder:
        settings = QSettings(os.path.join(folder, "s.ini"), QSettings.Format.IniFormat)
        window = MainWindow(settings, config, compare, autostart=True,
                            worker_thread=WorkerThread(TrainingWorker(cpu_threads=threads)))
        window.show()
        drawn = []
        window.plot.show_frame = _counting(window.plot.show_frame, drawn)
        _process_until(app, lambda: window.playback.latest is not None and window.playback.latest.step > 0, 60)
        _process_until(app, lambda: False, WARMUP_S)
        start_step, start_draws, started = window.playback.latest.step, len(drawn), time.perf_counter()
        _process_until(app, lambda: False, seconds)
        elapsed = time.perf_counter() - started
        rate = (window.playback.latest.step - start_step) * config.batch_size / elapsed
        fps = round((len(drawn) - start_draws) / elapsed)
        window.close()
        return rate, fps


def _counting(function, calls: list):
    def wrapper(*args, **kwargs):
        calls.append(1)
        return function(*args, **kwargs)
    return wrapper


def _process_until(app: QApplication, done, seconds: float) -> None:
    deadline = time.perf_counter() + seconds
    while not done() and time.perf_counter() < deadline:
        app.processEvents()
        time.sleep(0.002)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--compare", action="store_true", help="with the softmax-only twin")
    parser.add_argument("--model", default=DEFAULTS.model)
    args = parser.parse_args()
    app = QApplication.instance() or QApplication([])
    threads = max(1, (os.cpu_count() or 2) - 1)
    torch.set_num_threads(threads)
    config = DEFAULTS.replace(dataset="digits", model=args.model, device="cpu")
    dataset = load_dataset("digits")
    headless, gui, fps = [], [], []
    for _ in range(args.rounds):
        headless.append(headless_rate(config, args.compare, args.seconds, dataset))
        rate, frames = gui_rate(app, config, args.compare, args.seconds, threads)
        gui.append(rate)
        fps.append(frames)
    h, g = statistics.median(headless), statistics.median(gui)
    print(f"model {args.model}, batch {config.batch_size}, {threads} training thread(s), "
          f"compare={args.compare}, {args.rounds} rounds of {args.seconds:g} s")
    print("| run | images/s | frames drawn/s |")
    print("|---|---:|---:|")
    print(f"| headless (LockstepRun) | {h:,.0f} | – |")
    print(f"| GUI streaming | {g:,.0f} | {statistics.median(fps)} |")
    print(f"GUI / headless: {g / h:.2f}")


if __name__ == "__main__":
    main()
