"""Windows, threads and timers end together, in the real app (a child process: an abort is a failure)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

BAD_OUTPUT = ("QThread: Destroyed", "Timers cannot", "Fatal Python error", "Traceback")

PRELUDE = """
import sys
from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from cl_viz.cli.main import main
from cl_viz.qt.grid.grid_window import GridWindow

app = QApplication(sys.argv[:1])

def main_window():
    return next((w for w in app.topLevelWidgets() if w.windowTitle().startswith("cl-viz — center")), None)

def open_grids():
    return [w for w in app.topLevelWidgets() if isinstance(w, GridWindow) and w.isVisible()]

def when(condition, then, every=50):
    def check():
        if condition():
            then()
        else:
            QTimer.singleShot(every, check)
    QTimer.singleShot(every, check)
"""


def run_app_script(tmp_path, body: str, *args: str) -> subprocess.CompletedProcess:
    script = PRELUDE + textwrap.dedent(body) + f"\nsys.exit(main({list(args)!r}))\n"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path / "config"),
               CL_VIZ_CACHE=str(tmp_path / "cache"))
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=240, env=env)
    for bad in BAD_OUTPUT:
        assert bad not in result.stderr, result.stderr[-4000:]
    return result


def test_ctrl_g_twice_brings_the_open_grid_forward_instead_of_destroying_its_training_thread(tmp_path):
    result = run_app_script(tmp_path, """
        def first():
            QTest.keyClick(main_window(), Qt.Key.Key_G, Qt.KeyboardModifier.ControlModifier)
            when(lambda: open_grids() and open_grids()[0].latest is not None, second)

        def second():
            grid = open_grids()[0]
            main_window().activateWindow()  # back in the main window, as a lecturer would be
            app.processEvents()
            QTest.keyClick(main_window(), Qt.Key.Key_G, Qt.KeyboardModifier.ControlModifier)
            app.processEvents()
            print("grids", len(open_grids()), "same", open_grids() == [grid], flush=True)
            main_window().close()

        when(lambda: main_window() is not None and main_window().playback.latest is not None, first)
    """, "--autostart", "--dataset", "digits")
    assert result.returncode == 0, result.stderr[-4000:]
    assert "grids 1 same True" in result.stdout


@pytest.mark.parametrize("moment", ["at once", "with the grid open"])
def test_closing_while_workers_are_busy_never_destroys_a_running_thread(tmp_path, moment):
    """Closed during its first build (imports, data, the first snapshot), a worker may outlast the
    window's wait: it is parked and the process still exits cleanly."""
    body = {
        "at once": """
            when(lambda: main_window() is not None, lambda: main_window().close(), every=1)
        """,
        "with the grid open": """
            def grid_then_close():
                main_window().open_grid()
                QTimer.singleShot(1, main_window().close)

            when(lambda: main_window() is not None, grid_then_close, every=1)
        """,
    }[moment]
    result = run_app_script(tmp_path, body, "--autostart", "--dataset", "digits")
    assert result.returncode == 0, result.stderr[-4000:]
