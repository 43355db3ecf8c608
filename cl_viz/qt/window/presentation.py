"""Presentation mode: full screen, big type and markers, a compact strip and the loss on screen."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import QApplication, QComboBox, QHBoxLayout, QLabel, QPushButton, QWidget

from cl_viz.core.snapshot import Snapshot
from cl_viz.qt.common.sliders import ValueSlider
from cl_viz.qt.common.guard import guarded

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


class PresentationMixin:
    """Mixed into MainWindow: entering and leaving presentation mode."""

    @Slot(float)
    @guarded()
    def on_strip_lambda(self, value: float) -> None:
        self.controls.lam.set_value(value)
        self.on_live_changed({"lam": value})

    @Slot()
    @guarded()
    def toggle_presentation(self) -> None:
        """Full screen, big type and markers, only the plots and a compact strip (F5 again to leave)."""
        presenting = self.presentation_strip.isHidden()
        self.presentation_strip.setVisible(presenting)
        self.splitter.widget(1).setVisible(not presenting)  # the control panel
        self.metrics.graphs.setVisible(not presenting)
        self.timeline_bar.setVisible(not presenting)
        self.statusBar().setVisible(not presenting)
        self.menuBar().setVisible(not presenting)
        font = QApplication.font()
        base = self._normal_font_size = getattr(self, "_normal_font_size", font.pointSizeF())
        font.setPointSizeF(base * FONT_SCALE if presenting else base)
        QApplication.setFont(font)
        for plot in (self.plot, self.comparison_plot):
            plot.set_marker_scale(MARKER_SCALE if presenting else 1.0)
        self.set_theme(self.presentation_strip.theme.currentData() if presenting else "light")
        self.presentation_strip.set_lambda(self.controls.lam.value())
        if self.latest is not None:
            self.presentation_strip.show_losses(self.latest.primary)
        self.presentation_action.setChecked(presenting)
        self.showFullScreen() if presenting else self.showNormal()

    @Slot(str)
    @guarded()
    def set_theme(self, name: str) -> None:
        for plot in (self.plot, self.comparison_plot):
            plot.set_theme(name)

