"""Training images/s with the GUI streaming frames, against the same run headless, in one process.

    QT_QPA_PLATFORM=offscreen python benchmarks/gui_training_rate.py [--seconds 20] [--compare]

The GUI runs twice per round: training in a thread of the window's process (--worker thread) and in a
child process (--worker process).

Both use the worker's thread count (all cores but one, as the app does) and the app's default
setup on the built-in digits (or --dataset); the GUI run draws offscreen. Reported: training images/s
both ways and their ratio, new real frames drawn per second (each re-embeds a slice of the probe set
with the current weights, so these are real snapshots, not glide steps), and how old the oldest drawn
point was (median and worst over the frames received, in seconds). Rounds alternate so that
background load hits both alike.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time

import torch
from PySide6.QtCore import QEventLoop, QSettings, QTimer
from PySide6.QtWidgets import QApplication

from cl_viz.core.config import WORKER_MODES
from cl_viz.core.data import load_dataset
from cl_viz.core.runner import LockstepRun
from cl_viz.qt.window.main_window import MainWindow
from cl_viz.qt.window.settings import DEFAULTS
from cl_viz.qt.worker import WorkerThread
from cl_viz.qt.worker_process import make_worker

WARMUP_S = 2.0
POLL_MS = 20  # how often the measuring loop looks at the window


def headless_rate(config, compare: bool, seconds: float, dataset) -> float:
    run = LockstepRun(config, compare, dataset)
    deadline = time.perf_counter() + WARMUP_S
    while time.perf_counter() < deadline:
        run.train_step()
    start_step, started = run.step, time.perf_counter()
    while time.perf_counter() - started < seconds:
        run.train_step()
    return (run.step - start_step) * run.primary.batch_size / (time.perf_counter() - started)


def gui_rate(app: QApplication, config, compare: bool, seconds: float, threads: int, mode: str):
    with tempfile.TemporaryDirectory() as folder:
        settings = QSettings(os.path.join(folder, "s.ini"), QSettings.Format.IniFormat)
        window = MainWindow(settings, config, compare, autostart=True,
                            worker_thread=WorkerThread(make_worker(mode, cpu_threads=threads)))
        window.show()
        drawn = []
        window.plot.show_frame = _counting(window.plot.show_frame, drawn)
        _process_until(app, lambda: window.playback.latest is not None and window.playback.latest.step > 0, 60)
        _process_until(app, lambda: False, WARMUP_S)
        start_step, start_draws, started = window.playback.latest.step, len(drawn), time.perf_counter()
        frames = {}
        _process_until(app, lambda: False, seconds, lambda: frames.setdefault(id(window.playback.latest),
                                                                             window.playback.latest))
        elapsed = time.perf_counter() - started
        rate = (window.playback.latest.step - start_step) * config.batch_size / elapsed
        fps = (len(drawn) - start_draws) / elapsed
        ages = [_oldest_age(frame) for frame in frames.values() if frame.steps_per_second > 0]
        window.close()
        return rate, fps, ages


def _counting(function, calls: list):
    def wrapper(*args, **kwargs):
        calls.append(1)
        return function(*args, **kwargs)
    return wrapper


def _oldest_age(frame) -> float:
    behind = max(s.steps_behind for s in (frame.primary, frame.comparison) if s is not None)
    return behind / frame.steps_per_second


def _process_until(app: QApplication, done, seconds: float, each=lambda: None) -> None:
    """Run Qt's own event loop (no Python polling between events, which would take the GIL from training)
    until `done()` or `seconds` pass, calling `each` every POLL_MS."""
    if done():
        return
    loop, poll = QEventLoop(), QTimer(interval=POLL_MS)

    def check():
        each()
        if done():
            loop.quit()

    poll.timeout.connect(check)
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    poll.start()
    loop.exec()
    poll.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--compare", action="store_true", help="with the softmax-only twin")
    parser.add_argument("--model", default=DEFAULTS.model)
    parser.add_argument("--dataset", default="digits")
    args = parser.parse_args()
    app = QApplication.instance() or QApplication([])
    threads = max(1, (os.cpu_count() or 2) - 1)
    torch.set_num_threads(threads)
    config = DEFAULTS.replace(dataset=args.dataset, model=args.model, device="cpu")
    dataset = load_dataset(args.dataset)
    headless = []
    gui, fps, ages = ({mode: [] for mode in WORKER_MODES} for _ in range(3))
    for _ in range(args.rounds):
        headless.append(headless_rate(config, args.compare, args.seconds, dataset))
        for mode in WORKER_MODES:
            rate, frames, frame_ages = gui_rate(app, config, args.compare, args.seconds, threads, mode)
            gui[mode].append(rate)
            fps[mode].append(frames)
            ages[mode] += frame_ages
    h = statistics.median(headless)
    print(f"{args.dataset}, model {args.model}, batch {config.batch_size}, {threads} training thread(s), "
          f"compare={args.compare}, {args.rounds} rounds of {args.seconds:g} s")
    print("| run | images/s | new real frames drawn/s | oldest point, median / worst |")
    print("|---|---:|---:|---:|")
    print(f"| headless (LockstepRun) | {h:,.0f} | – | – |")
    for mode in WORKER_MODES:
        g, mode_ages = statistics.median(gui[mode]), ages[mode]
        age = f"{statistics.median(mode_ages):.1f} s / {max(mode_ages):.1f} s" if mode_ages else "n/a"
        print(f"| GUI streaming, --worker {mode} | {g:,.0f} ({g / h:.2f} of headless) | "
              f"{statistics.median(fps[mode]):.1f} | {age} |")


if __name__ == "__main__":
    main()
