"""The classification head's controls: which head (a Setup choice, needs a reset) and, live, its scale s,
margin m and margin warm-up, with the head's formula and the margin 2-D allows."""

from __future__ import annotations

import math

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import QComboBox, QFormLayout, QGroupBox, QHBoxLayout, QLabel, QSpinBox, QWidget

from cl_viz.core.config import DEFAULTS, TrainConfig
from cl_viz.core.margins import HEAD_INFO, HEADS, MARGIN_HEADS, feasible_margin, sphere_lambda
from cl_viz.core.snapshot import Snapshot
from cl_viz.qt.common.guard import guarded
from cl_viz.qt.common.sliders import BOX_DECIMALS, CompactSpinBox, ValueSlider

LIVE_HEAD_FIELDS = ("scale", "margin", "margin_warmup_steps")
SCALED_HEADS = ("normface", "cosface", "arcface")  # s·cos θ; SphereFace scales by ‖x‖ instead
WARMUP_HEADS = ("cosface", "arcface")  # cl_viz.core.margins.effective_margin ramps only these
SCALE_RANGE = (0.01, 1000.0)
WARMUP_RANGE = (0, 1_000_000)
# The margin box of each head: (lowest, highest, step, decimals), inside what TrainConfig accepts
# (SphereFace a whole number ≥ 1, CosFace below 2, ArcFace below π).
MARGIN_BOXES = {"sphereface": (1.0, 10.0, 1.0, 0), "cosface": (0.0, 1.99, 0.01, BOX_DECIMALS),
                "arcface": (0.0, 3.14, 0.01, BOX_DECIMALS)}
NO_MARGIN_BOX = (0.0, 10.0, 0.01, BOX_DECIMALS)
NUM_CLASSES = 10  # every dataset cl-viz trains on, until a run says otherwise

TIPS = {
    "head": "The classifier whose cross-entropy is L_S. Softmax: W_j·x + b_j (the paper). The others normalise "
            "W_j and decide by the angle θ_j between x and W_j; CosFace, ArcFace and SphereFace add a margin m "
            "to the true class's angle. Choosing one also sets the optimizer, learning rate, s and m it trains "
            "with.",
    "scale": "s: the logits are s·cos θ_j. Too small and the loss cannot fall (softmax of numbers in [−s, s]); "
             "the face models' s = 64 is far too large for 10 classes in 2-D.",
    "margin": "m: how much closer to W_y than to any other W_j a feature must be.",
    "margin_warmup_steps": "m ramps linearly from 0 to m over the first N steps (0: the whole m from step 0). "
                           "A 2-D ArcFace or CosFace run with the whole margin at once may never get going.",
}


def margin_status(snapshot: Snapshot) -> str:
    """The margin the head applies at this frame's step, for the status bar ("" without a margin)."""
    if snapshot.head == "sphereface":
        return (f"SphereFace annealing: λ_s = {sphere_lambda(snapshot.step):.1f}, effective m = "
                f"{snapshot.effective_margin:.3g} of {snapshot.margin:g}")
    if snapshot.head not in MARGIN_HEADS:
        return ""
    ramp = " (warming up)" if snapshot.effective_margin < snapshot.margin else ""
    return f"margin m = {snapshot.effective_margin:.3g} of {snapshot.margin:g}{ramp}"


def plot_title(head: str, lam: float) -> str:
    if head == "softmax":
        return f"center loss  λ = {lam:g}" if lam > 0 else "softmax only  (λ = 0)"
    title = HEAD_INFO[head].title
    return f"{title} + center loss  λ = {lam:g}" if lam > 0 else f"{title}  (λ = 0)"


class HeadControls(QGroupBox):
    """The live rows of the current head; the `head` choice itself goes into the Setup group."""

    live_changed = Signal(dict)
    head_chosen = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__("Head   (s, m apply live)", parent)
        self._applied_head: str | None = None
        self._num_classes, self._feat_dim = NUM_CLASSES, DEFAULTS.feat_dim
        self.head = QComboBox()
        for name in HEADS:
            self.head.addItem(HEAD_INFO[name].title, name)
        self.formula = QLabel()
        self.formula.setWordWrap(True)
        self.scale = ValueSlider(1.0, 64.0, DEFAULTS.scale, log=True, box_minimum=SCALE_RANGE[0],
                                 box_maximum=SCALE_RANGE[1])
        self.margin = CompactSpinBox()
        self.margin.setKeyboardTracking(False)
        self.margin_unit = QLabel()
        self.margin_warmup_steps = QSpinBox()
        self.margin_warmup_steps.setRange(*WARMUP_RANGE)
        self.margin_warmup_steps.setSpecialValueText("off")
        self.margin_warmup_steps.setSuffix(" steps")
        self.margin_warmup_steps.setKeyboardTracking(False)
        self.bound = QLabel()
        self.bound.setWordWrap(True)
        self.bound_warning = QLabel()
        self.bound_warning.setObjectName("warning")
        self.bound_warning.setWordWrap(True)
        self.annealing = QLabel("λ_s anneals from 1000 to 5 (max(5, 1000/(1 + 0.12·step))): the margin grows in "
                                "as training goes; the status bar shows it.")
        self.annealing.setWordWrap(True)
        self._build_form()
        for name, tip in TIPS.items():
            getattr(self, name).setToolTip(tip)
        self.head.currentIndexChanged.connect(self._on_head)
        self.scale.value_changed.connect(self._on_scale)
        self.margin.valueChanged.connect(self._on_margin)
        self.margin_warmup_steps.valueChanged.connect(self._on_warmup)
        self._show_head(DEFAULTS.head)

    def _build_form(self) -> None:
        self.form = QFormLayout(self)
        margin_row = QWidget()
        row = QHBoxLayout(margin_row)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.margin)
        row.addWidget(self.margin_unit, 1)
        self._margin_row = margin_row
        self.form.addRow(self.formula)
        self.form.addRow("Scale s", self.scale)
        self.form.addRow("Margin m", margin_row)
        self.form.addRow(self.bound)
        self.form.addRow(self.bound_warning)
        self.form.addRow("Margin warm-up", self.margin_warmup_steps)
        self.form.addRow(self.annealing)

    # ----- state --------------------------------------------------------------------------
    def values(self) -> dict:
        return {"head": self.head.currentData(), "scale": self.scale.value(), "margin": self.margin.value(),
                "margin_warmup_steps": self.margin_warmup_steps.value()}

    def set_config(self, config: TrainConfig) -> None:
        widgets = (self.head, self.scale, self.margin, self.margin_warmup_steps)
        for widget in widgets:
            widget.blockSignals(True)
        try:
            self.head.setCurrentIndex(max(self.head.findData(config.head), 0))
            self._show_head(config.head)
            self.scale.set_value(config.scale)
            self.margin.setValue(config.margin)
            self.margin_warmup_steps.setValue(config.margin_warmup_steps)
        finally:
            for widget in widgets:
                widget.blockSignals(False)
        self._show_margin()

    def set_applied_head(self, head: str) -> None:
        """The head of the running session: s and m go to it live only while the choice shows that head."""
        self._applied_head = head

    def set_num_classes(self, num_classes: int) -> None:
        self._num_classes = num_classes
        self._show_margin()

    def set_feat_dim(self, feat_dim: int) -> None:
        self._feat_dim = feat_dim
        self._show_margin()

    def live_for_applied_head(self) -> bool:
        return self._applied_head is None or self.head.currentData() == self._applied_head

    # ----- showing ------------------------------------------------------------------------
    def _show_head(self, head: str) -> None:
        info = HEAD_INFO[head]
        self.formula.setText(f"{'Logits' if head == 'softmax' else 'True class'}: {info.formula}")
        low, high, step, decimals = MARGIN_BOXES.get(head, NO_MARGIN_BOX)
        self.margin.setDecimals(decimals)
        self.margin.setRange(low, high)
        self.margin.setSingleStep(step)
        for widget, shown in ((self.scale, head in SCALED_HEADS), (self._margin_row, head in MARGIN_HEADS),
                              (self.margin_warmup_steps, head in WARMUP_HEADS),
                              (self.annealing, head == "sphereface")):
            self.form.setRowVisible(widget, shown)

    def _show_margin(self) -> None:
        head, margin = self.head.currentData(), self.margin.value()
        unit = HEAD_INFO[head].margin_unit
        self.margin_unit.setText(f"{unit} ({math.degrees(margin):.1f}°)" if unit == "radians" else unit)
        bound = feasible_margin(head, self._num_classes, self._feat_dim)
        self.form.setRowVisible(self.bound, bound is not None)
        self.form.setRowVisible(self.bound_warning, bound is not None and margin >= bound)
        if bound is not None:
            self.bound.setText(f"In 2-D, {self._num_classes} evenly spread classes allow m < {bound:.3g}.")
            self.bound_warning.setText(f"m too large for {self._num_classes} classes in 2-D: no arrangement "
                                       f"satisfies it.")

    # ----- reactions ----------------------------------------------------------------------
    @Slot(int)
    @guarded()
    def _on_head(self, _index: int) -> None:
        head = self.head.currentData()
        self._show_head(head)
        self._show_margin()
        self.head_chosen.emit(head)

    @Slot(float)
    @guarded()
    def _on_scale(self, value: float) -> None:
        self._emit_live({"scale": value})

    @Slot(float)
    @guarded()
    def _on_margin(self, value: float) -> None:
        self._show_margin()
        self._emit_live({"margin": value})

    @Slot(int)
    @guarded()
    def _on_warmup(self, value: int) -> None:
        self._emit_live({"margin_warmup_steps": value})

    def _emit_live(self, changes: dict) -> None:
        if self.live_for_applied_head():
            self.live_changed.emit(changes)
