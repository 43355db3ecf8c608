"""A slider and a number box that edit one float together, on a log or linear scale."""

from __future__ import annotations

import math
import re

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QValidator
from PySide6.QtWidgets import QDoubleSpinBox, QHBoxLayout, QSlider, QWidget

from cl_viz.qt.common.guard import guarded

TICKS = 1000
SIGNIFICANT_DIGITS = 6
BOX_DECIMALS = 15  # QDoubleSpinBox rounds to this many decimals: 1e-9 keeps all six significant digits
NUMBER_PREFIX = re.compile(r"[+-]?\d*\.?\d*([eE][+-]?\d*)?")  # what typing a number passes through


class CompactSpinBox(QDoubleSpinBox):
    """A number box that shows 0.01, 1e-06 and 100 as written (%g), instead of a fixed number of decimals
    that shows 1e-06 as 0.00000; it takes the same forms from the keyboard, and a decimal comma."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setDecimals(BOX_DECIMALS)

    @guarded(fallback=str)
    def textFromValue(self, value: float) -> str:  # noqa: N802 (Qt override)
        return f"{value:.{SIGNIFICANT_DIGITS}g}"

    @guarded(recover=lambda self, text: self.value())
    def valueFromText(self, text: str) -> float:  # noqa: N802 (Qt override)
        return float(_plain(text))

    @guarded(recover=lambda self, text, position: (QValidator.State.Invalid, text, position))
    def validate(self, text: str, position: int):
        return self._state(_plain(text)), text, position

    def _state(self, text: str) -> QValidator.State:
        if not NUMBER_PREFIX.fullmatch(text):
            return QValidator.State.Invalid
        try:
            value = float(text)
        except ValueError:
            return QValidator.State.Intermediate  # "", "1e", "1e-": a number being typed
        if self.minimum() <= value <= self.maximum():
            return QValidator.State.Acceptable
        return QValidator.State.Intermediate  # "0" on the way to "0.001" where the minimum is 1e-7


def _plain(text: str) -> str:
    return text.strip().replace(",", ".")


class ValueSlider(QWidget):
    """Slider for quick dragging, spin box for exact values. On a log scale with `allow_zero`,
    the leftmost slider position means exactly 0 (λ = 0: softmax only). The box can reach beyond the
    slider (`box_minimum`, `box_maximum`); a linear slider rounds its positions to `decimals`."""

    value_changed = Signal(float)

    def __init__(self, minimum: float, maximum: float, value: float, *, log: bool, decimals: int = 4,
                 allow_zero: bool = False, box_minimum: float | None = None, box_maximum: float | None = None,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.minimum, self.maximum, self.log, self.allow_zero = minimum, maximum, log, allow_zero
        self.decimals = decimals
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, TICKS)
        self.box = CompactSpinBox()
        if box_minimum is None:
            box_minimum = 0.0 if allow_zero else minimum
        self.box.setRange(box_minimum, maximum if box_maximum is None else box_maximum)
        self.box.setSingleStep(minimum if log else (maximum - minimum) / 100)
        self.box.setKeyboardTracking(False)
        if log:
            self.box.setStepType(QDoubleSpinBox.StepType.AdaptiveDecimalStepType)
        self.box.setMinimumWidth(90)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.slider, 1)
        layout.addWidget(self.box)
        self.slider.valueChanged.connect(self._on_slider)
        self.box.valueChanged.connect(self._on_box)
        self.set_value(value)

    def value(self) -> float:
        return self.box.value()

    def set_value(self, value: float) -> None:
        self.box.setValue(value)
        self._move_slider(value)

    @guarded()
    def setToolTip(self, text: str) -> None:  # noqa: N802 (Qt override)
        super().setToolTip(text)
        self.slider.setToolTip(text)
        self.box.setToolTip(text)

    def _to_position(self, value: float) -> int:
        if self.allow_zero and value <= 0:
            return 0
        value = min(max(value, self.minimum), self.maximum)
        if self.log:
            span = math.log10(self.maximum) - math.log10(self.minimum)
            fraction = (math.log10(value) - math.log10(self.minimum)) / span
        else:
            fraction = (value - self.minimum) / (self.maximum - self.minimum)
        lowest = 1 if self.allow_zero and self.log else 0
        return lowest + round(fraction * (TICKS - lowest))

    def _from_position(self, position: int) -> float:
        if self.allow_zero and self.log and position == 0:
            return 0.0
        lowest = 1 if self.allow_zero and self.log else 0
        fraction = (position - lowest) / (TICKS - lowest)
        if self.log:
            exponent = math.log10(self.minimum) + fraction * (math.log10(self.maximum) - math.log10(self.minimum))
            return float(f"{10 ** exponent:.2g}")  # round numbers: 0.01, 0.02, … not 0.0101
        return round(self.minimum + fraction * (self.maximum - self.minimum), self.decimals)

    def _move_slider(self, value: float) -> None:
        self.slider.blockSignals(True)
        self.slider.setValue(self._to_position(value))
        self.slider.blockSignals(False)

    @Slot(int)
    @guarded()
    def _on_slider(self, position: int) -> None:
        self.box.blockSignals(True)
        self.box.setValue(self._from_position(position))
        self.box.blockSignals(False)
        self.value_changed.emit(self.box.value())

    @Slot(float)
    @guarded()
    def _on_box(self, value: float) -> None:
        self._move_slider(value)
        self.value_changed.emit(value)
