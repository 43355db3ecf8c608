"""A window that trains one network per run in lockstep and shows them side by side: one per λ (the
paper's Fig. 3, live) or one per loss (the loss family)."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Slot
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QCheckBox, QFileDialog, QLabel, QLayout, QLineEdit, QMainWindow, QPushButton, QToolBar

from cl_viz.core.config import DEFAULTS, TrainConfig
from cl_viz.core.errors import ClVizError
from cl_viz.core.frames import GridFrame, RunInfo
from cl_viz.core.lambdas import DEFAULT_LAMBDAS, parse_lambdas
from cl_viz.core.runs import GridEntry, lambda_entries, loss_entries, parse_runs
from cl_viz.qt.common.banner import Banner
from cl_viz.qt.common.guard import guarded
from cl_viz.qt.export.images import export_image
from cl_viz.qt.grid.grid_view import RunGridView
from cl_viz.qt.plot.glide import DRAW_INTERVAL_MS
from cl_viz.qt.worker import Divergence, WorkerThread, grid_run
from cl_viz.qt.worker_process import make_worker


class GridWindow(QMainWindow):
    """One network per λ (`lambdas`), or, with `losses`, one per loss; `explicit` holds the fields a user
    set for every loss run (command-line flags), which win over each head's own settings."""

    def __init__(self, config: TrainConfig, lambdas=DEFAULT_LAMBDAS, cpu_threads: int | None = None, parent=None,
                 losses=None, explicit: dict | None = None, autostart: bool = False,
                 worker_mode: str | None = None):
        super().__init__(parent)
        self.by_loss = losses is not None
        self.setWindowTitle("cl-viz — the loss family" if self.by_loss else "cl-viz — λ grid (Wen et al., Fig. 3)")
        self.resize(1500, 900)
        self.config = config
        self.explicit = dict(explicit or {})
        self.runs_text = (" ".join(spec.name for spec in parse_runs(losses)) if self.by_loss
                          else ", ".join(f"{lam:g}" for lam in parse_lambdas(lambdas)))
        self.worker_thread = WorkerThread(make_worker(worker_mode, cpu_threads, make_run=grid_run))
        self.worker = self.worker_thread.worker
        self.view: RunGridView | None = None
        self.latest: GridFrame | None = None
        self._drawn: GridFrame | None = None
        self.running = False
        self._build_toolbar()
        self.banner = Banner()
        self.setMenuWidget(self.banner)
        self.status = QLabel()
        self.statusBar().addPermanentWidget(self.status)
        self.layout().setSizeConstraint(QLayout.SizeConstraint.SetNoConstraint)
        events = self.worker_thread.events
        events.run_ready.connect(self.on_run_ready)
        events.frame_ready.connect(self.on_frame)
        events.state_changed.connect(self.on_state_changed)
        events.failed.connect(self.banner.show_message)
        events.diverged.connect(self.on_diverged)
        for keys, slot in (("Space", self.toggle_running), ("Right", self.single_step), ("R", self.reset),
                           ("Ctrl+E", self.save_image_dialog), ("Ctrl+W", self.close)):
            QShortcut(QKeySequence(keys), self).activated.connect(slot)
        self.draw_timer = QTimer(self)
        self.draw_timer.setInterval(DRAW_INTERVAL_MS)
        self.draw_timer.timeout.connect(self.draw_latest)
        self.draw_timer.start()
        self.worker_thread.start()
        self.reset()
        if autostart:
            self.worker.start()

    def _build_toolbar(self) -> None:
        bar = QToolBar("runs")
        bar.setMovable(False)
        self.play = QPushButton("Train")
        self.play.setToolTip("Train every network one step at a time, in lockstep (Space).")
        self.play.clicked.connect(self.toggle_running)
        self.step_button = QPushButton("Step")
        self.step_button.clicked.connect(self.single_step)
        self.reset_button = QPushButton("Reset")
        self.reset_button.clicked.connect(self.reset)
        self.export_button = QPushButton("Save image…")
        self.export_button.setToolTip("Save the grid as it is now, as PNG or SVG (Ctrl+E).")
        self.export_button.clicked.connect(self.save_image_dialog)
        self.runs_edit = QLineEdit(self.runs_text)
        self.runs_edit.setToolTip(
            "The losses to train side by side, e.g. softmax center cosface arcface (at most 9; add +center to a "
            "head for center loss on top); Enter resets." if self.by_loss else
            "λ of each network, separated by commas (at most 9); Enter resets.")
        self.runs_edit.returnPressed.connect(self.reset)
        self.shared_scale = QCheckBox("One scale for all")
        self.shared_scale.setToolTip("Unticked, each plot zooms to its own features, so that their shapes compare. "
                                     "Ticked, all plots share one scale: the features shrink as λ grows.")
        self.shared_scale.toggled.connect(self.on_shared_scale_toggled)
        self.normalise = QCheckBox("Normalise features")
        self.normalise.setToolTip("Draw x/‖x‖ on the unit circle: what the angular heads (NormFace, SphereFace, "
                                  "CosFace, ArcFace) see. 3-D features are always on the unit sphere.")
        self.normalise.toggled.connect(self.on_normalise_toggled)
        label = QLabel("  losses: " if self.by_loss else "  λ values: ")
        for widget in (self.play, self.step_button, self.reset_button, label, self.runs_edit):
            bar.addWidget(widget)
        bar.addSeparator()
        bar.addWidget(self.shared_scale)
        bar.addWidget(self.normalise)
        bar.addWidget(self.export_button)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, bar)

    @Slot()
    @guarded()
    def reset(self) -> None:
        try:
            entries = self.entries(self.runs_edit.text())
        except ClVizError as error:
            self.banner.show_message(str(error))
            return
        self.banner.hide()
        self.worker.reset(self.config, entries)

    def entries(self, text: str) -> tuple[GridEntry, ...]:
        if self.by_loss:
            return loss_entries(self.config, parse_runs(text), self.explicit, defaults=DEFAULTS)
        return lambda_entries(self.config, parse_lambdas(text))

    @Slot()
    @guarded()
    def toggle_running(self) -> None:
        self.worker.pause() if self.running else self.worker.start()

    @Slot()
    @guarded()
    def single_step(self) -> None:
        self.worker.single_step()

    @Slot()
    @guarded()
    def save_image_dialog(self) -> None:
        if self.view is None or self._drawn is None:
            self.statusBar().showMessage("Nothing to save yet.", 5000)
            return
        path, _ = QFileDialog.getSaveFileName(self, "Save the grid as an image", "loss-family.png" if self.by_loss
                                              else "lambda-grid.png", "Images (*.png *.svg)")
        if path:
            self.save_image(path)

    def save_image(self, path: str) -> None:
        """The grid as drawn now; a problem (a full disk, a wrong suffix) goes to the banner."""
        try:
            written = export_image(self.view, path)
        except ClVizError as error:
            self.banner.show_message(str(error))
            return
        self.statusBar().showMessage(f"Saved {written}", 5000)

    @property
    def scale(self) -> str:
        return "shared" if self.shared_scale.isChecked() else "own"

    @Slot(bool)
    @guarded()
    def on_shared_scale_toggled(self, _checked: bool) -> None:
        if self.view is not None:
            self.view.set_scale(self.scale)

    @Slot(bool)
    @guarded()
    def on_normalise_toggled(self, checked: bool) -> None:
        if self.view is not None:
            self.view.set_normalised(checked)

    @Slot(object)
    @guarded()
    def on_run_ready(self, info: RunInfo) -> None:
        if self.view is not None:
            self.view.deleteLater()
        self.view = RunGridView(info.class_names, info.run_titles, scale=self.scale)
        self.view.set_normalised(self.normalise.isChecked())
        self.setCentralWidget(self.view)
        self.latest = self._drawn = None
        shared = "" if self.by_loss else f", α {info.config.alpha:g}, lr {info.config.lr:g}"
        self.statusBar().showMessage(f"{info.dataset_name}, model {info.config.model}, {info.config.feat_dim}-D"
                                     f"{shared}, device {info.device}", 10000)

    @Slot(object)
    @guarded()
    def on_frame(self, frame: GridFrame) -> None:
        self.latest = frame

    @Slot(str)
    @guarded()
    def on_state_changed(self, state: str) -> None:
        self.running = state == "running"
        self.play.setText("Pause" if self.running else "Train")

    @Slot(object)
    @guarded()
    def on_diverged(self, event: Divergence) -> None:
        culprit = ("Lower the margin or the learning rate of the loss that diverged" if self.by_loss else
                   "The largest λ is the usual culprit: remove it or lower the learning rate")
        restored = " and the last good weights are back" if event.restored else ""
        self.banner.show_message(f"A network diverged at step {event.step}; training is paused{restored}. "
                                 f"{culprit}, then reset.")

    @Slot()
    @guarded()
    def draw_latest(self) -> None:
        frame = self.latest
        if frame is None or frame is self._drawn or self.view is None:
            return
        self.view.show_frame(frame, snap=self._drawn is None)
        self._drawn = frame
        rate = f"   {frame.steps_per_second:.1f} steps/s" if self.running and frame.steps_per_second else ""
        self.status.setText(f"step {frame.step:,}{rate}")

    @guarded()
    def closeEvent(self, event) -> None:  # noqa: N802 (Qt override)
        self.draw_timer.stop()
        self.worker_thread.shutdown()  # parked, not destroyed, if it is still busy
        super().closeEvent(event)
