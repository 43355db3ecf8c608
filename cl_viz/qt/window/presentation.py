"""Presentation mode: full screen, big type and markers, a compact strip and the loss on screen."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import QApplication, QComboBox, QHBoxLayout, QLabel, QMainWindow, QPushButton, QWidget

from cl_viz.core.snapshot import Snapshot
from cl_viz.qt.common.guard import guarded
from cl_viz.qt.common.sliders import ValueSlider
from cl_viz.qt.plot.feature_plot import FeaturePlot

MARKER_SCALE = 1.8
FONT_SCALE = 1.5
THEMES = (("light", "Light"), ("dark", "Dark"))


class PresentationStrip(QWidget):
    """Play, step, reset, λ and the theme on one line, and the loss as the hall should read it."""

    play_clicked = Signal()
    step_clicked = Signal()
    reset_clicked = Signal()
    lambda_changed = Signal(float)
    theme_changed = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("presentation_strip")
        self.play = QPushButton("Train")
        self.step = QPushButton("Step")
        self.reset = QPushButton("Reset")
        self.lam = ValueSlider(1e-5, 1.0, 0.01, log=True, decimals=5, allow_zero=True, box_maximum=100.0)
        self.lam.setToolTip("λ, the weight of center loss (0: softmax only).")
        self.lam.setMinimumWidth(320)
        self.theme = QComboBox()
        for data, label in THEMES:
            self.theme.addItem(label, data)
        self.formula = QLabel()
        self.formula.setTextFormat(Qt.TextFormat.RichText)
        layout = QHBoxLayout(self)
        for button, signal in ((self.play, self.play_clicked), (self.step, self.step_clicked),
                               (self.reset, self.reset_clicked)):
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            button.clicked.connect(signal)
            layout.addWidget(button)
        layout.addWidget(QLabel("λ"))
        layout.addWidget(self.lam)
        layout.addWidget(self.formula, 1)
        layout.addWidget(self.theme)
        self.lam.value_changed.connect(self.lambda_changed)
        self.theme.currentIndexChanged.connect(self._on_theme)
        self.hide()

    def set_lambda(self, value: float) -> None:
        self.lam.blockSignals(True)
        self.lam.set_value(value)
        self.lam.blockSignals(False)

    def set_running(self, running: bool) -> None:
        self.play.setText("Pause" if running else "Train")

    def show_losses(self, snapshot: Snapshot) -> None:
        known = snapshot.losses_known
        loss_s = f"{snapshot.loss_softmax:.3f}" if known else "–"
        loss_c = f"{snapshot.lam * snapshot.loss_center:.4f}" if known else "–"
        self.formula.setText(
            f"<span style='font-size:x-large'>L = L<sub>S</sub> + λ·L<sub>C</sub></span>"
            f"&nbsp;&nbsp;&nbsp;λ = <b>{snapshot.lam:g}</b>&nbsp;&nbsp;α = <b>{snapshot.alpha:g}</b>"
            f"&nbsp;&nbsp;&nbsp;L<sub>S</sub> = <b>{loss_s}</b>&nbsp;&nbsp;λ·L<sub>C</sub> = <b>{loss_c}</b>"
            f"&nbsp;&nbsp;&nbsp;step {snapshot.step:,}")

    @Slot(int)
    @guarded()
    def _on_theme(self, _index: int) -> None:
        self.theme_changed.emit(self.theme.currentData())


class PresentationMode:
    """Full screen, big type and markers, a high-contrast theme, only the plots and the strip.

    It owns what it changes (the application font's normal size, which widgets it hid) and gives it
    all back when left."""

    def __init__(self, window: QMainWindow, strip: PresentationStrip, plots: Sequence[FeaturePlot],
                 hidden: Sequence[QWidget]) -> None:
        self._window, self._strip, self._plots, self._hidden = window, strip, tuple(plots), tuple(hidden)
        self._normal_font_size: float | None = None

    @property
    def active(self) -> bool:
        return not self._strip.isHidden()

    def toggle(self) -> bool:
        """Enter or leave; True when now presenting."""
        presenting = not self.active
        self._strip.setVisible(presenting)
        for widget in self._hidden:
            widget.setVisible(not presenting)
        font = QApplication.font()
        if self._normal_font_size is None:
            self._normal_font_size = font.pointSizeF()
        font.setPointSizeF(self._normal_font_size * (FONT_SCALE if presenting else 1.0))
        QApplication.setFont(font)
        for plot in self._plots:
            plot.set_marker_scale(MARKER_SCALE if presenting else 1.0)
            plot.set_spinning(presenting)  # a 3-D view turns slowly
        self.set_theme(self._strip.theme.currentData() if presenting else "light")
        self._window.showFullScreen() if presenting else self._window.showNormal()
        return presenting

    def set_theme(self, name: str) -> None:
        for plot in self._plots:
            plot.set_theme(name)
