"""The control panel: live loss parameters, the setup that needs a reset, and the view options."""

from __future__ import annotations

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from cl_viz.core.config import (
    CENTER_UPDATES,
    DATASETS,
    DEFAULTS,
    DEVICES,
    INITS,
    MODELS,
    OPTIMIZERS,
    PROBE_SPLITS,
    TrainConfig,
)
from cl_viz.core.openset_splits import OPEN_SET_SPLITS
from cl_viz.core.runs import for_head
from cl_viz.qt.common.guard import guarded
from cl_viz.qt.common.sliders import CompactSpinBox, ValueSlider
from cl_viz.qt.window.head_controls import LIVE_HEAD_FIELDS, SCALE_RANGE, WARMUP_RANGE, HeadControls

DATASET_LABELS = {"auto": "Auto (MNIST if cached, else digits)", "mnist": "MNIST", "fashion-mnist": "Fashion-MNIST",
                  "kmnist": "KMNIST", "digits": "Digits (built in, offline)",
                  "cifar10": "CIFAR-10 (colour, 32×32)"}
BIAS_CHOICES = ((None, "Model default"), (True, "With bias"), (False, "Without bias (centers on a ring)"))
INIT_LABELS = {"pytorch": "PyTorch default", "caffe": "caffe-face Xavier"}
PROBE_LABELS = {"test": "Test images (held out)", "train": "Training images (learned from)"}
FEAT_DIM_CHOICES = ((2, "2-D (the paper's plane)"), (3, "3-D (on a sphere)"))
LAMBDA_WARNING = 1.0
HIDEABLE = ("compare", "dataset", "model", "feat_dim", "batch_size", "optimizer", "center_update", "bias", "device",
            "seed", "alpha", "lr", "warmup_steps", "clip_norm", "init", "probe_split", "head")
# The TrainConfig fields the panel has a control for, and the numbers those controls can hold. The head's
# s, m and warm-up come before the head: a remembered SphereFace (m = 4) is only valid once m is.
SETUP_FIELDS = ("lam", "alpha", "lr", "dataset", "model", "feat_dim", "batch_size", "optimizer", "center_update",
                "bias", "device", "seed", "warmup_steps", "clip_norm", "init", "probe_split", *LIVE_HEAD_FIELDS,
                "head")
CONTROL_RANGES = {"lam": (0.0, 100.0), "alpha": (0.0, 1.0), "lr": (1e-7, 10.0), "batch_size": (1, 65536),
                  "seed": (0, 2**31 - 1), "warmup_steps": (0, 1_000_000), "clip_norm": (0.0, 1e6),
                  "scale": SCALE_RANGE, "margin_warmup_steps": WARMUP_RANGE}

TIPS = {
    "lam": "λ, the weight of center loss in L = L_S + λ·L_C (Eq. 5). 0 is softmax only; the paper uses 0.01 "
           "on MNIST, 0.003 on faces.",
    "alpha": "α, the center learning rate of Eq. 4: how far each center moves toward its class per step "
             "(0 freezes the centers, 1 jumps to the batch mean).",
    "lr": "Learning rate of the network (SGD with momentum 0.9 and weight decay 5e-4, as in the paper).",
    "compare": "Train a second, softmax-only network (λ = 0) beside this one, from the same initial weights "
               "on the same batches.",
    "dataset": "Images to learn. Digits ships with scikit-learn and works offline; MNIST and friends are "
               "downloaded once into the cache.",
    "model": "tiny: fast CPU net; lenet++: the paper's Table 1 network; seed: the lecture notes' Keras model.",
    "feat_dim": "Dimension of the deep features. 3-D features are drawn as directions on the unit sphere: "
                "drag the plot to turn it.",
    "batch_size": "Mini-batch size m: L_S and L_C are averaged over it.",
    "optimizer": "SGD as in the paper, or Adam.",
    "center_update": "paper: centers move by Eq. 4 with rate α; sgd: centers are parameters trained by SGD at "
                     "rate α (the common PyTorch way).",
    "bias": "Classifier bias. Without it (the official LeNet++), class centers settle on a ring around 0.",
    "open_set": "Classes held out of training: the network never sees them, the probe set shows them as hollow "
                "grey points, and View > Open set measures how well a threshold rejects them (AUROC, OSCR) and "
                "verifies pairs of them (the paper's LFW setting).",
    "device": "Where to train: auto picks a CUDA GPU, then Apple's MPS, then the CPU.",
    "seed": "Random seed for the initial weights and the batch order.",
    "warmup_steps": "Not in the paper. The learning rate ramps up linearly over the first N steps (0: off).",
    "clip_norm": "Not in the paper. Before each step the network's gradient norm is clipped to this value, so one "
                 "bad batch cannot throw the weights to infinity (0: off). L, L_C and Eq. 4 are unchanged.",
    "init": "Initial weights: PyTorch's default, or caffe-face's Xavier filler (uniform ±√(3/fan_in), zero "
            "biases) as in the official code.",
    "probe_split": "The images drawn and measured: test images the network never trains on, or its own training "
                   "images. The paper's Fig. 2 shows both: on training images the clusters are tighter than on "
                   "new ones.",
    "axis_mode": "follow: the view glides to keep the features in frame; fixed: the axes stay put, so growing "
                 "softmax feature norms stay visible.",
    "show_batch": "Also draw the latest training batch (hollow markers).",
    "link_axes": "Give both plots the same axes when comparing.",
    "decision_regions": "Colour the plane by the class the softmax classifier picks there (argmax of W·x + b).",
    "weight_arrows": "Draw each class's classifier weight vector W_j as an arrow from the origin.",
}


class ControlPanel(QWidget):
    live_changed = Signal(dict)
    play_clicked = Signal()
    step_clicked = Signal()
    reset_clicked = Signal()
    defaults_clicked = Signal()
    view_changed = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._applied: tuple[TrainConfig, bool] | None = None
        layout = QVBoxLayout(self)
        self.head_controls = HeadControls()
        for name in ("head", *LIVE_HEAD_FIELDS):  # the panel's widgets are named after the fields they edit
            setattr(self, name, getattr(self.head_controls, name))
        self.training_groups = (self._build_run_group(), self._build_loss_group(), self.head_controls,
                                self._build_stability_group(), self._build_setup_group())
        for group in self.training_groups:
            layout.addWidget(group)
        layout.addWidget(self._build_view_group())
        self.restore_defaults = QPushButton("Restore defaults")
        self.restore_defaults.setToolTip("Put every control back to cl-viz's defaults (needs a reset).")
        self.restore_defaults.clicked.connect(self.defaults_clicked)
        layout.addWidget(self.restore_defaults)
        layout.addStretch(1)
        for name, tip in TIPS.items():
            getattr(self, name).setToolTip(tip)

    # ----- construction -------------------------------------------------------------------
    def _build_run_group(self) -> QGroupBox:
        group = QGroupBox("Run")
        row = QHBoxLayout(group)
        self.play = QPushButton("Train")
        self.play.setToolTip("Start or pause training (Space).")
        self.step = QPushButton("Step")
        self.step.setToolTip("One optimizer step, then pause (→).")
        self.reset = QPushButton("Reset")
        self.reset.setToolTip("New network with the settings below (R).")
        for button, signal in ((self.play, self.play_clicked), (self.step, self.step_clicked),
                               (self.reset, self.reset_clicked)):
            button.clicked.connect(signal)
            row.addWidget(button)
        self.set_running(False)
        self.step.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_MediaSeekForward))
        self.reset.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_BrowserReload))
        return group

    def _build_loss_group(self) -> QGroupBox:
        group = QGroupBox("Loss  L = L_S + λ·L_C   (applies live)")
        form = QFormLayout(group)
        self.lam = ValueSlider(1e-5, 1.0, DEFAULTS.lam, log=True, allow_zero=True, **_box_range("lam"))
        self.alpha = ValueSlider(0.0, 1.0, DEFAULTS.alpha, log=False, decimals=3, **_box_range("alpha"))
        self.lr = ValueSlider(1e-4, 1.0, DEFAULTS.lr, log=True, **_box_range("lr"))  # the box goes below the slider
        self.lambda_warning = QLabel("λ > 1: center loss dominates; features may collapse toward 0.")
        self.lambda_warning.setObjectName("warning")
        self.lambda_warning.setWordWrap(True)
        self.lambda_warning.setVisible(False)
        form.addRow("λ", self.lam)
        form.addRow(self.lambda_warning)
        form.addRow("α", self.alpha)
        form.addRow("learning rate", self.lr)
        self.lam.value_changed.connect(self._on_lambda)
        self.alpha.value_changed.connect(self._on_alpha)
        self.lr.value_changed.connect(self._on_lr)
        return group

    def _build_stability_group(self) -> QGroupBox:
        group = QGroupBox("Stability   (not in the paper; applies live)")
        form = QFormLayout(group)
        self.warmup_steps = QSpinBox()
        self.warmup_steps.setRange(*CONTROL_RANGES["warmup_steps"])
        self.warmup_steps.setSpecialValueText("off")
        self.warmup_steps.setSuffix(" steps")
        self.clip_norm = CompactSpinBox()
        self.clip_norm.setRange(*CONTROL_RANGES["clip_norm"])
        self.clip_norm.setSpecialValueText("off")
        form.addRow("LR warm-up", self.warmup_steps)
        form.addRow("Clip gradient norm", self.clip_norm)
        self.warmup_steps.valueChanged.connect(self._on_warmup)
        self.clip_norm.valueChanged.connect(self._on_clip)
        return group

    def _build_setup_group(self) -> QGroupBox:
        group = QGroupBox("Setup   (needs a reset)")
        form = QFormLayout(group)
        self.compare = QCheckBox("Softmax-only run beside it")
        self.dataset = _combo((name, DATASET_LABELS[name]) for name in DATASETS)
        self.model = _combo((m, m) for m in MODELS)
        self.feat_dim = _combo(FEAT_DIM_CHOICES)
        self.batch_size = QSpinBox()
        self.batch_size.setRange(*CONTROL_RANGES["batch_size"])
        self.optimizer = _combo((o, o) for o in OPTIMIZERS)
        self.center_update = _combo((c, c) for c in CENTER_UPDATES)
        self.bias = _combo(BIAS_CHOICES)
        self.device = _combo((d, d) for d in DEVICES)
        self.init = _combo((name, INIT_LABELS[name]) for name in INITS)
        self.probe_split = _combo((name, PROBE_LABELS[name]) for name in PROBE_SPLITS)
        self.seed = QSpinBox()
        self.seed.setRange(*CONTROL_RANGES["seed"])
        self.open_set = _combo(open_set_choices())
        self.open_set.setToolTip(TIPS["open_set"])
        form.addRow("Head", self.head)
        form.addRow("Compare", self.compare)
        for label, widget in (("Dataset", self.dataset), ("Model", self.model), ("Features", self.feat_dim),
                              ("Batch size", self.batch_size),
                              ("Optimizer", self.optimizer), ("Centers", self.center_update),
                              ("Classifier", self.bias), ("Initial weights", self.init),
                              ("Open set", self.open_set), ("Probe", self.probe_split), ("Device", self.device),
                              ("Seed", self.seed)):
            form.addRow(label, widget)
        self.pending = QLabel("Setup changed: reset to apply.")
        self.pending.setObjectName("warning")
        self.apply = QPushButton("Apply and reset")
        self.apply.clicked.connect(self.reset_clicked)
        form.addRow(self.pending, self.apply)
        self.pending.setVisible(False)
        self.apply.setVisible(False)
        self.compare.toggled.connect(self._on_setup_edit)
        for combo in (self.dataset, self.model, self.feat_dim, self.optimizer, self.center_update, self.bias,
                      self.init, self.probe_split, self.device, self.open_set):
            combo.currentIndexChanged.connect(self._on_setup_edit)
        for spin in (self.batch_size, self.seed):
            spin.valueChanged.connect(self._on_setup_edit)
        self.feat_dim.currentIndexChanged.connect(self._on_feat_dim)
        self.head_controls.head_chosen.connect(self._on_head_chosen)
        self.head_controls.live_changed.connect(self.live_changed)
        return group

    def _build_view_group(self) -> QGroupBox:
        group = QGroupBox("View")
        form = QFormLayout(group)
        self.axis_mode = _combo((("follow", "Follow the features"), ("fixed", "Fixed axes")))
        self.show_batch = QCheckBox("Show the training batch")
        self.link_axes = QCheckBox("Link the two plots' axes")
        self.link_axes.setChecked(True)
        self.decision_regions = QCheckBox("Decision regions (classifier argmax)")
        self.weight_arrows = QCheckBox("Classifier weight directions")
        form.addRow("Axes", self.axis_mode)
        for box in (self.show_batch, self.link_axes, self.decision_regions, self.weight_arrows):
            form.addRow(box)
            box.toggled.connect(self.view_changed)
        self.axis_mode.currentIndexChanged.connect(self.view_changed)
        return group

    # ----- state --------------------------------------------------------------------------
    def config(self, base: TrainConfig | None = None) -> TrainConfig:
        """The configuration the controls describe (fields without a control come from `base`)."""
        base = base or TrainConfig()
        unknown_classes, unknown_dataset = self.open_set.currentData()
        return base.replace(**self.values(), unknown_classes=unknown_classes, unknown_dataset=unknown_dataset)

    def values(self) -> dict:
        """The SETUP_FIELDS as the controls show them."""
        numbers = {name: getattr(self, name).value()
                   for name in ("lam", "alpha", "lr", "batch_size", "seed", "warmup_steps", "clip_norm")}
        choices = {name: getattr(self, name).currentData()
                   for name in ("dataset", "model", "feat_dim", "optimizer", "center_update", "bias", "init",
                                "probe_split", "device")}
        return numbers | choices | self.head_controls.values()

    def set_config(self, config: TrainConfig, compare: bool) -> None:
        widgets = [self.lam, self.alpha, self.lr, self.compare, self.dataset, self.model, self.feat_dim,
                   self.batch_size, self.optimizer, self.center_update, self.bias, self.init, self.probe_split,
                   self.device, self.seed, self.warmup_steps, self.clip_norm, self.open_set]
        for widget in widgets:
            widget.blockSignals(True)
        try:
            self.lam.set_value(config.lam)
            self.alpha.set_value(config.alpha)
            self.lr.set_value(config.lr)
            self.compare.setChecked(compare)
            for combo, value in ((self.dataset, config.dataset), (self.model, config.model),
                                 (self.feat_dim, config.feat_dim), (self.optimizer, config.optimizer),
                                 (self.center_update, config.center_update),
                                 (self.bias, config.bias), (self.init, config.init),
                                 (self.probe_split, config.probe_split), (self.device, config.device)):
                _select(combo, value)
            self._select_open_set(config)
            self.batch_size.setValue(config.batch_size)
            self.seed.setValue(config.seed)
            self.warmup_steps.setValue(config.warmup_steps)
            self.clip_norm.setValue(config.clip_norm)
        finally:
            for widget in widgets:
                widget.blockSignals(False)
        self.head_controls.set_config(config)
        self.head_controls.set_feat_dim(config.feat_dim)
        self.lambda_warning.setVisible(config.lam > LAMBDA_WARNING)
        self._update_pending()

    def _select_open_set(self, config: TrainConfig) -> None:
        """The open-set choice of `config`; one it does not list (a flag's, a preset's) is added for it."""
        held_out = (tuple(sorted(config.unknown_classes)), config.unknown_dataset)
        for index in range(self.open_set.count()):
            classes, dataset = self.open_set.itemData(index)
            if (tuple(sorted(classes)), dataset) == held_out:
                self.open_set.setCurrentIndex(index)
                return
        self.open_set.addItem(open_set_title(*held_out), held_out)
        self.open_set.setCurrentIndex(self.open_set.count() - 1)

    def mark_applied(self, config: TrainConfig, compare: bool) -> None:
        """The setup the running session was built with; edits away from it show 'needs a reset'."""
        self._applied = (config, compare)
        self.head_controls.set_applied_head(config.head)
        self._update_pending()

    def needs_reset(self) -> bool:
        if self._applied is None:
            return False
        config, compare = self._applied
        return bool(self.config(config).structural_changes(config)) or compare != self.compare.isChecked()

    def set_training_enabled(self, enabled: bool) -> None:
        """Off while a recording plays: nothing to train, but the view options still work."""
        for group in self.training_groups:
            group.setEnabled(enabled)
        self.restore_defaults.setEnabled(enabled)

    def set_hidden(self, names) -> None:
        """Hide the rows of these controls (a lesson preset's advanced settings); others show."""
        hidden = set(names)
        for name in HIDEABLE:
            widget = getattr(self, name)
            form = widget.parentWidget().layout()
            if isinstance(form, QFormLayout):
                form.setRowVisible(widget, name not in hidden)

    def set_running(self, running: bool) -> None:
        self.play.setText("Pause" if running else "Train")
        icon = QStyle.StandardPixmap.SP_MediaPause if running else QStyle.StandardPixmap.SP_MediaPlay
        self.play.setIcon(self.style().standardIcon(icon))

    # ----- reactions ----------------------------------------------------------------------
    @Slot(float)
    @guarded()
    def _on_lambda(self, value: float) -> None:
        self.lambda_warning.setVisible(value > LAMBDA_WARNING)
        self.live_changed.emit({"lam": value})

    @Slot(float)
    @guarded()
    def _on_alpha(self, value: float) -> None:
        self.live_changed.emit({"alpha": value})

    @Slot(float)
    @guarded()
    def _on_lr(self, value: float) -> None:
        self.live_changed.emit({"lr": value})

    @Slot(int)
    @guarded()
    def _on_warmup(self, value: int) -> None:
        self.live_changed.emit({"warmup_steps": value})

    @Slot(float)
    @guarded()
    def _on_clip(self, value: float) -> None:
        self.live_changed.emit({"clip_norm": value})

    @Slot()
    @guarded()
    def _on_setup_edit(self) -> None:
        self._update_pending()

    @Slot(int)
    @guarded()
    def _on_feat_dim(self, _index: int) -> None:
        self.head_controls.set_feat_dim(self.feat_dim.currentData())

    @Slot(str)
    @guarded()
    def _on_head_chosen(self, head: str) -> None:
        """The head's own optimizer, learning rate, s, m and warm-up; back on the running head, they apply live."""
        config = for_head(self.config(), head)
        self.set_config(config, self.compare.isChecked())
        if self.head_controls.live_for_applied_head():
            self.live_changed.emit({name: getattr(config, name) for name in ("lr", *LIVE_HEAD_FIELDS)})

    def _update_pending(self) -> None:
        pending = self.needs_reset()
        self.pending.setVisible(pending)
        self.apply.setVisible(pending)


def open_set_choices() -> list[tuple[tuple, str]]:
    """(unknown_classes, unknown_dataset) and a title: none, then the literature's splits."""
    return [(((), None), "None: every class is known"),
            *(((split.unknown_classes, split.unknown_dataset), split.title[0].upper() + split.title[1:])
              for split in OPEN_SET_SPLITS)]


def open_set_title(classes: tuple[int, ...], dataset: str | None) -> str:
    parts = [f"unknown classes {', '.join(map(str, classes))}"] if classes else []
    if dataset:
        parts.append(f"{dataset} unknown")
    text = "; ".join(parts)
    return text[0].upper() + text[1:] if text else "None: every class is known"


def _box_range(name: str) -> dict:
    low, high = CONTROL_RANGES[name]
    return {"box_minimum": low, "box_maximum": high}


def _combo(choices) -> QComboBox:
    combo = QComboBox()
    for data, label in choices:
        combo.addItem(label, data)
    return combo


def _select(combo: QComboBox, value) -> None:
    for index in range(combo.count()):
        if combo.itemData(index) == value:
            combo.setCurrentIndex(index)
            return
