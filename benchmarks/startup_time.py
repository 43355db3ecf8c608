"""Seconds from starting `cl-viz` to a visible main window (torch import included).

    QT_QPA_PLATFORM=offscreen python benchmarks/startup_time.py [--runs 5]

Each run is a fresh process that goes through the real entry point (`cl_viz.cli.main`); the
clock starts before the interpreter is spawned and stops at the window's first Expose event.
A bare `python -c "import torch"` and a bare PySide6 window are timed the same way for scale.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

CHILD = r"""
import os, sys, time
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QWidget

spawned = float(os.environ["SPAWNED_AT"])
app = QApplication(sys.argv[:1])

class FirstExpose(QObject):
    def eventFilter(self, watched, event):
        if (event.type() == QEvent.Type.Expose and isinstance(watched, QWidget) or
                event.type() == QEvent.Type.Expose and hasattr(watched, "title")):
            title = watched.windowTitle() if isinstance(watched, QWidget) else watched.title()
            if title.startswith(os.environ["WANT_TITLE"]):
                print(f"SHOWN {time.time() - spawned:.3f}", flush=True)
                QTimer.singleShot(0, lambda: [w.close() for w in app.topLevelWidgets()])
                QTimer.singleShot(0, app.quit)
        return False

watcher = FirstExpose()
app.installEventFilter(watcher)
if os.environ["MODE"] == "cl-viz":
    from cl_viz.cli.main import main
    sys.exit(main(["--dataset", "digits"]))
window = QWidget()
window.setWindowTitle("bare")
window.show()
sys.exit(app.exec())
"""


def time_child(mode: str, title: str, env: dict) -> float:
    env = dict(env, SPAWNED_AT=repr(time.time()), MODE=mode, WANT_TITLE=title)
    result = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, env=env, timeout=120)
    for line in result.stdout.splitlines():
        if line.startswith("SHOWN"):
            return float(line.split()[1])
    raise RuntimeError(f"{mode}: no window appeared\n{result.stderr[-2000:]}")


def time_torch_import(env: dict) -> float:
    started = time.time()
    subprocess.run([sys.executable, "-c", "import torch"], check=True, env=env)
    return time.time() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as config_home:
        env = dict(os.environ, XDG_CONFIG_HOME=config_home, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM",
                                                                                           "offscreen"))
        rows = {"cl-viz to visible window": [], "bare PySide6 window": [], "python -c 'import torch'": []}
        for _ in range(args.runs):  # interleaved, so background load hits all three alike
            rows["cl-viz to visible window"].append(time_child("cl-viz", "cl-viz", env))
            rows["bare PySide6 window"].append(time_child("bare", "bare", env))
            rows["python -c 'import torch'"].append(time_torch_import(env))
    print(f"| what | median s | max s |  ({args.runs} runs, {os.cpu_count()} cores)")
    print("|---|---:|---:|")
    for name, values in rows.items():
        print(f"| {name} | {statistics.median(values):.2f} | {max(values):.2f} |")


if __name__ == "__main__":
    main()
