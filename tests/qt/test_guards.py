"""Python code that Qt calls never lets an exception reach PySide6 (see cl_viz.qt.common.guard)."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest
from PySide6 import QtCore, QtWidgets

import cl_viz.qt
from cl_viz.qt.common import guard

FOREIGN = ("PySide6", "shiboken6", "pyqtgraph")


def qt_classes():
    for module_info in pkgutil.walk_packages(cl_viz.qt.__path__, "cl_viz.qt."):
        module = importlib.import_module(module_info.name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ == module.__name__ and any(base.__module__.startswith(FOREIGN) for base in cls.__mro__):
                yield cls


def entry_points(cls):
    """Methods Qt (or pyqtgraph on Qt's behalf) may call: overrides of a Qt or pyqtgraph method, and slots."""
    foreign = [base for base in cls.__mro__ if base.__module__.startswith(FOREIGN)]
    for name, member in vars(cls).items():
        if not inspect.isfunction(member) or name.startswith("__"):
            continue
        overrides = any(hasattr(base, name) for base in foreign)
        if overrides or hasattr(member, "_slots"):
            yield name, member


def test_every_override_and_slot_of_the_qt_layer_is_guarded():
    unguarded = [f"{cls.__module__}.{cls.__qualname__}.{name}" for cls in qt_classes()
                 for name, member in entry_points(cls) if not guard.is_guarded(member)]
    assert not unguarded, "not guarded (decorate with cl_viz.qt.common.guard.guarded):\n" + "\n".join(unguarded)


def test_the_scan_sees_the_overrides_it_must():
    names = {f"{cls.__qualname__}.{name}" for cls in qt_classes() for name, _ in entry_points(cls)}
    assert {"CentersItem.paint", "GridItem.paint", "LeanAxisItem.tickValues", "PlotInspector.eventFilter",
            "MainWindow.closeEvent", "MainWindow.on_frame"} <= names


class Failing(QtWidgets.QWidget):
    @QtCore.Slot(bool)
    @guard.guarded()
    def on_toggled(self, checked: bool) -> None:
        raise ZeroDivisionError(f"toggled {checked}")

    @guard.guarded(fallback=QtCore.QRectF)
    def rect(self, scale: float = 1.0, *, grow: float = 0.0) -> QtCore.QRectF:
        if scale < 0:
            raise ValueError("negative")
        return QtCore.QRectF(0, 0, scale + grow, scale + grow)


def test_a_guarded_slot_gets_its_arguments_and_a_failure_is_recorded_not_raised(qtbot):
    widget = Failing()
    box = QtWidgets.QCheckBox()
    qtbot.addWidget(box)
    box.toggled.connect(widget.on_toggled)
    box.setChecked(True)
    assert guard.take_caught() == [f"{__name__}.Failing.on_toggled: ZeroDivisionError: toggled True"]
    assert widget.rect(2.0, grow=1.0) == QtCore.QRectF(0, 0, 3, 3)
    assert widget.rect(-1.0) == QtCore.QRectF() and widget.rect(-1.0) is not widget.rect(-1.0)
    assert len(guard.take_caught()) == 3
    assert inspect.signature(Failing.rect) == inspect.signature(Failing.rect.__wrapped__)


def test_only_the_first_failure_of_a_place_is_logged(caplog):
    @guard.guarded(fallback=0)
    def flaky() -> int:
        raise RuntimeError("again")

    with caplog.at_level("ERROR", logger="cl_viz"):
        assert [flaky() for _ in range(5)] == [0] * 5
    assert len(caplog.records) == 1 and "again" in caplog.text
    assert len(guard.take_caught()) == 5


@pytest.mark.parametrize("bad", [KeyboardInterrupt, SystemExit])
def test_interrupts_are_not_swallowed(bad):
    @guard.guarded()
    def stop() -> None:
        raise bad

    with pytest.raises(bad):
        stop()
