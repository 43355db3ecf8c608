"""AfterFirstPaint: the main window starts its worker once it has been painted (or after a while)."""

from PySide6.QtWidgets import QWidget

from cl_viz.qt.common.first_paint import AfterFirstPaint


def test_runs_once_after_the_first_paint(qtbot):
    widget = QWidget()
    qtbot.addWidget(widget)
    calls = []
    AfterFirstPaint(widget, lambda: calls.append("painted"), latest_ms=60000)
    assert calls == []
    widget.show()
    widget.repaint()
    qtbot.waitUntil(lambda: calls == ["painted"], timeout=5000)
    widget.repaint()
    qtbot.wait(20)
    assert calls == ["painted"]


def test_runs_anyway_when_never_painted(qtbot):
    widget = QWidget()
    qtbot.addWidget(widget)
    calls = []
    AfterFirstPaint(widget, lambda: calls.append("late"), latest_ms=50)
    qtbot.waitUntil(lambda: calls == ["late"], timeout=5000)
