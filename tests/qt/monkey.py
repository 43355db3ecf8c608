"""A restless user: random actions on the real main window and λ grid window for a bounded time.

    QT_QPA_PLATFORM=offscreen python tests/monkey.py --seed 7 --seconds 600 [--report soak.json]

Every action is printed (flushed) before it runs, so a crash shows the last ones. The run fails
(exit status 1, problems listed in the JSON report) on a Python exception anywhere (sys.excepthook,
threading.excepthook, or one caught by a guard of cl_viz.qt.common.guard), a Qt warning, a QThread left
running or a worker still parked at the end, or a resident set above --max-rss-mb. A segfault or an
abort shows as the exit status itself. tests/test_monkey.py runs it for ~30 s with a fixed seed.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QSettings, Qt, QThread, QTimer, QtMsgType, qInstallMessageHandler  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox  # noqa: E402

SIZES = ((1, 1), (60, 40), (800, 200), (260, 900), (420, 300), (1500, 950), (2600, 1700))
LAMBDAS = (0.0, 1e-6, 1e-4, 0.01, 0.1, 1.0, 10.0, 100.0)
ALPHAS = (0.0, 1e-3, 0.5, 1.0)
LEARNING_RATES = (1e-6, 1e-4, 0.01, 0.05, 0.5, 1.0, 10.0)
BATCH_SIZES = (1, 2, 7, 32, 128, 1024)
DATASETS = ("digits", "auto")  # MNIST and KMNIST would try a download; Fashion-MNIST only where Debian's is
# What the offscreen platform cannot do (it has no window manager); the same list is in pyproject's qt_log_ignore.
PLATFORM_LIMITS = ("This plugin does not support raise()", "This plugin does not support propagateSizeHints()")
GRID_LAMBDAS = ("0, 0.01, 0.1", "0", "0, 1e-4, 1e-3, 1e-2, 1e-1", "nonsense", "1e3, 0", "")
GRID_LOSSES = ("softmax center cosface arcface", "arcface+center", "softmax, softmax", "tanface", "")


class Monkey:
    def __init__(self, app: QApplication, seed: int, folder: Path) -> None:
        self.app, self.rng, self.folder = app, random.Random(seed), folder
        self.settings = QSettings(str(folder / "settings.ini"), QSettings.Format.IniFormat)
        self.actions: list[str] = []
        self.problems: list[str] = []
        self.window = None
        self.windows_opened = 0
        self.recording = folder / "monkey.clviz"

    # ----- bookkeeping --------------------------------------------------------------------
    def log(self, text: str) -> None:
        self.actions.append(text)
        print(f"action {len(self.actions)}: {text}", flush=True)

    def open_window(self) -> None:
        from cl_viz.core.config import TrainConfig
        from cl_viz.qt.window.main_window import MainWindow
        from cl_viz.qt.window.settings import load_setup

        config, compare = load_setup(self.settings)
        base = TrainConfig(dataset="digits", probe_size=200, device="cpu")
        config = base if self.windows_opened == 0 else config
        self.window = MainWindow(self.settings, config, compare, autostart=self.rng.random() < 0.5)
        self.window.show()
        self.windows_opened += 1

    def close_window(self) -> None:
        if self.window is not None:
            self.window.close()
            self.window.deleteLater()
            self.window = None

    # ----- the actions --------------------------------------------------------------------
    def act(self) -> None:
        name, action = self.rng.choice(self.ACTIONS)
        if self.window is None:
            name, action = "reopen", Monkey.reopen
        action(self, name)

    def key(self, name: str) -> None:
        keys = {"space": Qt.Key.Key_Space, "right": Qt.Key.Key_Right, "r": Qt.Key.Key_R, "f11": Qt.Key.Key_F11}
        key = self.rng.choice(list(keys))
        self.log(f"key {key}")
        QTest.keyClick(self.window, keys[key])

    def live_value(self, name: str) -> None:
        control, values = self.rng.choice((("lam", LAMBDAS), ("alpha", ALPHAS), ("lr", LEARNING_RATES)))
        slider = getattr(self.window.controls, control)
        if self.rng.random() < 0.5:
            value = self.rng.choice(values)
            self.log(f"{control} box {value:g}")
            slider.set_value(value)
            slider.box.editingFinished.emit()
        else:
            position = self.rng.randint(slider.slider.minimum(), slider.slider.maximum())
            self.log(f"{control} slider {position}")
            slider.slider.setValue(position)

    def setup_field(self, name: str) -> None:
        controls = self.window.controls
        field = self.rng.choice(("compare", "dataset", "model", "batch_size", "optimizer", "center_update", "bias",
                                 "init", "probe_split", "device", "seed"))
        widget = getattr(controls, field)
        if field == "compare":
            value = self.rng.random() < 0.5
            widget.setChecked(value)
        elif field == "dataset":
            value = self.rng.choice(DATASETS)
            widget.setCurrentIndex(max(0, widget.findData(value)))
        elif field == "batch_size":
            value = self.rng.choice(BATCH_SIZES)
            widget.setValue(value)
        elif field == "seed":
            value = self.rng.randint(0, 5)
            widget.setValue(value)
        else:
            value = self.rng.randrange(widget.count())
            widget.setCurrentIndex(value)
        self.log(f"setup {field} = {value}")
        if self.rng.random() < 0.6:
            self.log("apply and reset")
            controls.apply.click() if controls.apply.isVisible() else controls.reset.click()

    def view_option(self, name: str) -> None:
        controls = self.window.controls
        option = self.rng.choice(("axis_mode", "show_batch", "link_axes", "decision_regions", "weight_arrows"))
        widget = getattr(controls, option)
        if option == "axis_mode":
            widget.setCurrentIndex(self.rng.randrange(widget.count()))
        else:
            widget.setChecked(not widget.isChecked())
        self.log(f"view {option}")

    def timeline(self, name: str) -> None:
        bar = self.window.timeline_bar
        if self.rng.random() < 0.3:
            self.log("timeline live")
            bar.live.click()
            return
        position = self.rng.randint(0, max(0, bar.slider.maximum()))
        self.log(f"timeline scrub {position}")
        bar.slider.setSliderPosition(position)
        bar.slider.triggerAction(bar.slider.SliderAction.SliderMove)

    def grid(self, name: str) -> None:
        window = self.window
        grid = window.grid_window
        choice = self.rng.choice(("open", "open", "close", "space", "step", "reset", "lambdas", "resize"))
        if choice == "open" or grid is None or not window.grid_is_open():
            self.log("grid open (Ctrl+G)")
            window.open_grid()
            return
        self.log(f"grid {choice}")
        if choice == "close":
            grid.close()
        elif choice == "space":
            grid.toggle_running()
        elif choice == "step":
            grid.single_step()
        elif choice == "reset":
            grid.reset()
        elif choice == "lambdas":
            grid.runs_edit.setText(self.rng.choice(GRID_LOSSES if grid.by_loss else GRID_LAMBDAS))
            grid.runs_edit.returnPressed.emit()
        else:
            grid.resize(*self.rng.choice(SIZES))

    def presentation(self, name: str) -> None:
        self.log("presentation toggle (F5)")
        self.window.menus.presentation.trigger()

    def preset(self, name: str) -> None:
        actions = [a for a in self.window.menus.lessons.actions() if a.isEnabled()]
        if actions:
            action = self.rng.choice(actions)
            self.log(f"lesson {action.text()!r}")
            action.trigger()

    def export(self, name: str) -> None:
        from cl_viz.qt.export.dialog import ExportDialog

        window = self.window
        if window.info is None or not len(window.playback.timeline):
            return
        kind = self.rng.choice(("png", "svg", "gif"))
        path = self.folder / f"export.{kind}"
        self.log(f"export {kind}")
        window.scheduler.finish()
        dialog = ExportDialog(window, window.playback.timeline, window.info.class_names, window.plots, path=path)
        dialog.set_format(kind)
        if kind == "gif":
            dialog.first_step.setValue(window.playback.timeline[max(0, len(window.playback.timeline) - 4)].step)
            dialog.width_px.setValue(320)
            dialog.height_px.setValue(240)
        dialog.accept()
        dialog.deleteLater()

    def recordings(self, name: str) -> None:
        choice = self.rng.choice(("save", "open", "open_bad", "example"))
        self.log(f"recording {choice}")
        if choice == "save":
            self.window.save_recording(str(self.recording))
        elif choice == "open" and self.recording.exists():
            self.window.open_recording(str(self.recording))
        elif choice == "open_bad":
            bad = self.folder / "bad.clviz"
            bad.write_bytes(bytes(self.rng.randrange(256) for _ in range(self.rng.randrange(0, 300))))
            self.window.open_recording(str(bad))
        elif choice == "example":
            from cl_viz.core.examples import list_examples

            examples = list_examples()
            if examples:
                self.window.open_recording(str(self.rng.choice(examples).path))

    def resize(self, name: str) -> None:
        window = self.window
        choice = self.rng.choice(("window", "window", "plots splitter", "panel splitter"))
        if choice == "window":
            size = self.rng.choice(SIZES)
            self.log(f"resize window {size}")
            window.showNormal()
            window.resize(*size)
        elif choice == "plots splitter":
            sizes = self.rng.choice(([0, 300], [300, 0], [1, 1], [700, 200]))
            self.log(f"plots/graphs splitter {sizes}")
            window.graphs_splitter.setSizes(sizes)
        else:
            sizes = self.rng.choice(([0, 400], [1100, 0], [1110, 390]))
            self.log(f"panel splitter {sizes}")
            window.splitter.setSizes(sizes)

    def defaults(self, name: str) -> None:
        self.log("restore defaults")
        self.window.controls.restore_defaults.click()

    def reopen(self, name: str) -> None:
        self.log("close and reopen the window")
        self.close_window()
        self.open_window()

    ACTIONS = (("key", key), ("key", key), ("live", live_value), ("live", live_value), ("setup", setup_field),
               ("view", view_option), ("timeline", timeline), ("grid", grid), ("presentation", presentation),
               ("preset", preset), ("export", export), ("recording", recordings), ("resize", resize),
               ("resize", resize), ("defaults", defaults), ("reopen", reopen))


def rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--max-rss-mb", type=float, default=3000.0)
    parser.add_argument("--report", help="write the actions, RSS curve and problems here (JSON)")
    args = parser.parse_args()

    app = QApplication(sys.argv[:1])
    app.setQuitOnLastWindowClosed(False)  # the monkey closes and reopens the window
    folder = Path(tempfile.mkdtemp(prefix="cl-viz-monkey-"))
    os.environ["CL_VIZ_PRESETS"] = str(folder / "presets")
    monkey = Monkey(app, args.seed, folder)
    threads: list[QThread] = []
    record_problems(monkey, threads)
    for dialog in ("warning", "information", "critical", "about", "question"):  # modal: would block the run
        setattr(QMessageBox, dialog, staticmethod(lambda *a, _d=dialog, **k: monkey.log(f"(message box {_d})")))
    QFileDialog.getOpenFileName = QFileDialog.getSaveFileName = staticmethod(lambda *a, **k: ("", ""))

    started = time.monotonic()
    samples: list[tuple[float, float]] = []
    monkey.open_window()

    def tick() -> None:
        elapsed = time.monotonic() - started
        if not samples or elapsed - samples[-1][0] >= 1.0:
            samples.append((round(elapsed, 1), round(rss_mb(), 1)))
        if elapsed >= args.seconds:
            app.quit()
            return
        try:
            monkey.act()
        except Exception:  # noqa: BLE001 (the driver's own mistake still fails the run, with its traceback)
            monkey.problems.append("the monkey's action raised:\n" + traceback.format_exc())
        timer.start(monkey.rng.choice((10, 50, 100, 200, 400)))

    timer = QTimer()
    timer.setSingleShot(True)
    timer.timeout.connect(tick)
    timer.start(200)
    app.exec()
    monkey.close_window()
    finish(app, monkey, threads)
    peak = max((mb for _, mb in samples), default=0.0)
    if peak > args.max_rss_mb:
        monkey.problems.append(f"resident set reached {peak:.0f} MB (limit {args.max_rss_mb:.0f} MB)")
    report = {"seed": args.seed, "seconds": args.seconds, "actions": monkey.actions, "windows": monkey.windows_opened,
              "rss_mb": samples, "problems": monkey.problems}
    if args.report:
        Path(args.report).write_text(json.dumps(report, indent=1))
    print(f"monkey: seed {args.seed}, {len(monkey.actions)} actions, {monkey.windows_opened} windows, "
          f"RSS {samples[0][1] if samples else 0:.0f} -> {samples[-1][1] if samples else 0:.0f} MB (peak {peak:.0f}), "
          f"{len(monkey.problems)} problems", flush=True)
    for problem in monkey.problems:
        print(f"PROBLEM: {problem}", flush=True)
    return 1 if monkey.problems else 0


def record_problems(monkey: Monkey, threads: list[QThread]) -> None:
    def excepthook(kind, value, tb) -> None:
        monkey.problems.append("uncaught: " + "".join(traceback.format_exception(kind, value, tb)))

    def thread_excepthook(hook_args) -> None:
        excepthook(hook_args.exc_type, hook_args.exc_value, hook_args.exc_traceback)

    def qt_message(kind, context, text) -> None:
        serious = kind in (QtMsgType.QtWarningMsg, QtMsgType.QtCriticalMsg, QtMsgType.QtFatalMsg)
        if serious and not text.startswith(PLATFORM_LIMITS):
            monkey.problems.append(f"Qt warning: {text}")
        print(f"qt: {text}", file=sys.stderr, flush=True)

    sys.excepthook = excepthook
    threading.excepthook = thread_excepthook
    qInstallMessageHandler(qt_message)
    start = QThread.start

    def start_thread(thread, *args) -> None:
        threads.append(thread)
        start(thread, *args)

    QThread.start = start_thread


def finish(app: QApplication, monkey: Monkey, threads: list[QThread]) -> None:
    from cl_viz.qt.common import guard
    from cl_viz.qt.worker import WorkerThread

    for window in app.topLevelWidgets():
        window.close()
    if not WorkerThread.wait_for_parked(10000):
        monkey.problems.append("a worker was still parked (running) 10 s after every window closed")
    for _ in range(3):
        app.processEvents()
        gc.collect()
    running = [thread for thread in threads if _running(thread)]
    if running:
        names = ", ".join(sorted(repr(_name(thread)) for thread in running))
        monkey.problems.append(f"{len(running)} QThread(s) still running after every window closed: {names}")
    monkey.problems.extend(f"caught by a guard: {entry}" for entry in guard.take_caught())


def _name(thread: QThread) -> str:
    try:
        return thread.objectName() or type(thread).__name__
    except RuntimeError:
        return "(deleted)"


def _running(thread: QThread) -> bool:
    try:
        return thread.isRunning()
    except RuntimeError:
        return False


if __name__ == "__main__":
    sys.exit(main())
