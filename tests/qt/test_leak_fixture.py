"""The conftest fixture `nothing_left_behind` fails a GUI test that leaves something running."""

from __future__ import annotations

import shutil
from pathlib import Path

pytest_plugins = ["pytester"]

HERE = Path(__file__).parents[1]  # tests/

LEAKY_TESTS = '''
from PySide6.QtCore import QThread, QTimer
from PySide6.QtWidgets import QMainWindow
from cl_viz.qt.common import guard

kept = []

def test_thread_left_running(qtbot):
    thread = QThread()
    kept.append(thread)
    thread.start()

def test_timer_left_active(qtbot):
    timer = QTimer()
    kept.append(timer)
    timer.start(10000)

def test_window_left_open(qtbot):
    window = QMainWindow()
    window.setWindowTitle("forgotten")
    kept.append(window)
    window.show()

def test_exception_hidden_by_a_guard(qtbot):
    @guard.guarded()
    def paint():
        raise ZeroDivisionError("in a paint")
    paint()

def test_clean(qtbot):
    timer = QTimer()
    timer.start(10000)
    timer.stop()
'''


def test_each_kind_of_leak_fails_its_test_and_names_where_it_started(pytester):
    shutil.copy(HERE / "conftest.py", pytester.path / "conftest.py")
    shutil.copy(HERE / "qt_leaks.py", pytester.path / "qt_leaks.py")
    pytester.makepyfile(test_leaky=LEAKY_TESTS)
    pytester.makeini("[pytest]\nqt_api = pyside6\n")
    result = pytester.runpytest_subprocess("-q", "-rE")
    result.assert_outcomes(passed=5, errors=4)
    text = result.stdout.str()
    assert "QThread 'QThread' still running, started at test_leaky.py:" in text
    assert "QTimer still active, started at test_leaky.py:" in text
    assert "top-level widget QMainWindow 'forgotten' still open" in text
    assert "caught by a guard: test_leaky.test_exception_hidden_by_a_guard.<locals>.paint: ZeroDivisionError" in text
