"""How long the GUI thread is busy at a stretch while the main window draws its frames.

    QT_QPA_PLATFORM=offscreen python benchmarks/window_frame_time.py [--size 1500x950] [--frames 80]

Replays the shipped example (center loss beside softmax only) and plays the app's draw timer: each
tick draws one stage of a frame (the main plot; the comparison plot; the numbers, timeline and
status; a few times a second each graph of curves), `scheduler.tick()`, and the event loop then runs
for 5 ms, `processEvents()` call by call, which is when the stage's repaint comes (a pass later).
Each call that did work (over 0.1 ms) is one stretch; the heartbeat bound of 50 ms applies to the
longest.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from cl_viz.core.examples import find_example
from cl_viz.core.recording import load_recording
from cl_viz.qt.window.main_window import MainWindow
from cl_viz.qt.window.settings import DEFAULTS


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="1500x950")
    parser.add_argument("--frames", type=int, default=80)
    args = parser.parse_args()
    width, height = (int(part) for part in args.size.split("x"))
    app = QApplication.instance() or QApplication([])
    recording = load_recording(find_example("center-vs-softmax").path)
    with tempfile.TemporaryDirectory() as folder:
        settings = QSettings(str(Path(folder) / "s.ini"), QSettings.Format.IniFormat)
        window = MainWindow(settings, DEFAULTS, recording=recording)
        window.scheduler.timer.stop()  # this loop plays the timer's part
        window.resize(width, height)
        window.show()
        app.processEvents()
        times = []
        for index in range(args.frames):
            window.playback.scrub_index = index % len(window.playback.timeline)
            while True:
                times.append(_timed(window.scheduler.tick))
                loop_until = time.perf_counter() + 0.005
                while time.perf_counter() < loop_until:
                    times.append(_timed(app.processEvents))
                if not window.scheduler.drawing:
                    break
        window.close()
    times = sorted(t for t in times[300:] if t > 0.0001)  # the first frames build sprites and legends once
    print(f"window {width}x{height}, {len(times)} stretches, compare = {recording.compare}")
    print(f"median {statistics.median(times) * 1000:.1f} ms, 95th percentile "
          f"{times[int(0.95 * (len(times) - 1))] * 1000:.1f} ms, worst {times[-1] * 1000:.1f} ms")


def _timed(work) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


if __name__ == "__main__":
    main()
