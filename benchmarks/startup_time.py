"""Seconds from starting cl-viz to: its help, a visible main window, the first frame drawn, and a replay
drawn, each beside `python -c "import torch"` timed in the same run.

    QT_QPA_PLATFORM=offscreen python benchmarks/startup_time.py [--runs 5]

Every measurement is a fresh process through the real entry point (`cl_viz.cli.main`); the clock
starts before the interpreter is spawned. Runs are interleaved, so background load hits all alike.
The child also reports whether torch had been imported by then.
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
spawned = float(os.environ["SPAWNED_AT"])
mode = os.environ["MODE"]

def report(what):
    print(f"{what} {time.time() - spawned:.3f} {'torch' in sys.modules}", flush=True)

if mode.startswith("help"):
    import contextlib, io
    from cl_viz.cli.main import main
    with contextlib.redirect_stdout(io.StringIO()):
        try:
            main(mode.split()[1:] + ["--help"])
        except SystemExit:
            pass
    report("DONE")
    sys.exit(0)

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication
from cl_viz.cli.main import main

app = QApplication(sys.argv[:1])
shown = []

def window():
    return next((w for w in app.topLevelWidgets() if w.windowTitle().startswith("cl-viz")), None)

class FirstPaint(QObject):  # the offscreen platform sends no Expose: the first paint of the window's widgets
    def eventFilter(self, watched, event):
        if event.type() == QEvent.Type.Paint and not shown and window() is not None:
            shown.append(True)
            report("SHOWN")
        return False

def poll():
    current = window()
    if current is not None and current.scheduler.drawn is not None:
        report("DRAWN")
        current.close()
    else:
        QTimer.singleShot(5, poll)

first_paint = FirstPaint()
app.installEventFilter(first_paint)
QTimer.singleShot(5, poll)
args = ["replay", "--example", "center-vs-softmax"] if mode == "replay" else ["--dataset", "digits"]
sys.exit(main(args))
"""


def time_child(mode: str, env: dict) -> dict[str, tuple[float, bool]]:
    env = dict(env, SPAWNED_AT=repr(time.time()), MODE=mode)
    result = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, env=env, timeout=300)
    marks = {}
    for line in result.stdout.splitlines():
        what, seconds, torch = line.split()
        marks[what] = (float(seconds), torch == "True")
    if not marks:
        raise RuntimeError(f"{mode}: nothing reported\n{result.stderr[-2000:]}")
    return marks


def time_torch_import(env: dict) -> float:
    started = time.time()
    subprocess.run([sys.executable, "-c", "import torch"], check=True, env=env)
    return time.time() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    rows: dict[str, list[float]] = {}
    torch_loaded: dict[str, bool] = {}

    def add(name: str, mark: tuple[float, bool]) -> None:
        rows.setdefault(name, []).append(mark[0])
        torch_loaded[name] = torch_loaded.get(name, False) or mark[1]

    with tempfile.TemporaryDirectory() as home:
        env = dict(os.environ, XDG_CONFIG_HOME=home, CL_VIZ_CACHE=os.path.join(home, "cache"),
                   QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"))
        for _ in range(args.runs):
            for command in ("", "train", "figure", "replay"):
                name = f"`cl-viz {command + ' ' if command else ''}--help`"
                add(name, time_child(f"help {command}".strip(), env)["DONE"])
            app = time_child("app", env)
            add("`cl-viz`: window visible", app["SHOWN"])
            add("`cl-viz`: first frame drawn (digits, tiny)", app["DRAWN"])
            add("`cl-viz replay --example …`: frame drawn", time_child("replay", env)["DRAWN"])
            rows.setdefault("`python -c 'import torch'`", []).append(time_torch_import(env))
            torch_loaded["`python -c 'import torch'`"] = True
    print(f"| from start to | median s | max s | torch imported by then |  ({args.runs} runs, "
          f"{os.cpu_count()} cores)")
    print("|---|---:|---:|---|")
    for name, values in rows.items():
        print(f"| {name} | {statistics.median(values):.2f} | {max(values):.2f} | "
              f"{'yes' if torch_loaded[name] else 'no'} |")


if __name__ == "__main__":
    main()
