"""Scrub back through the run while it trains; "Live" returns to now."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSlider, QWidget

from cl_viz.qt.common.guard import guarded


class TimelineBar(QWidget):
    scrubbed = Signal(int)  # index into the timeline
    live_requested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, 0)
        self.slider.setToolTip("Drag to look back at earlier steps; training goes on meanwhile.")
        self.slider.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # leave → and Space to the window
        self.label = QLabel("step –")
        self.label.setMinimumWidth(170)
        self.live = QPushButton("Live")
        self.live.setToolTip("Back to the newest frame.")
        self.live.setCheckable(True)
        self.live.setChecked(True)
        self.live.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 0, 6, 0)
        layout.addWidget(QLabel("Timeline"))
        layout.addWidget(self.slider, 1)
        layout.addWidget(self.label)
        layout.addWidget(self.live)
        self.slider.sliderMoved.connect(self._on_moved)
        self.slider.actionTriggered.connect(self._on_action)
        self.live.clicked.connect(self._on_live)

    def set_length(self, length: int, index: int | None) -> None:
        """Timeline of `length` frames showing `index` (None: live, the newest)."""
        self.slider.blockSignals(True)
        self.slider.setRange(0, max(0, length - 1))
        self.slider.setValue(max(0, length - 1) if index is None else index)
        self.slider.blockSignals(False)
        self.live.setChecked(index is None)

    def set_label(self, step: int, live: bool, replay: bool = False) -> None:
        suffix = "replay" if replay else ("live" if live else "past")
        self.label.setText(f"step {step:,} ({suffix})")

    @Slot(int)
    @guarded()
    def _on_moved(self, value: int) -> None:
        self.live.setChecked(False)
        self.scrubbed.emit(value)

    @Slot(int)
    @guarded()
    def _on_action(self, _action: int) -> None:
        if not self.slider.isSliderDown():  # page clicks and keyboard moves on the slider
            self._on_moved(self.slider.sliderPosition())

    @Slot()
    @guarded()
    def _on_live(self) -> None:
        self.live.setChecked(True)
        self.live_requested.emit()
