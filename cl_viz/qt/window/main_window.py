"""The main window: feature plots, controls, metrics and a status bar, fed by the training worker."""

from __future__ import annotations

from collections.abc import Callable

import shiboken6
from PySide6.QtCore import QSettings, Qt, QTimer, Slot
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QLabel, QLayout, QMainWindow, QScrollArea, QSplitter, QVBoxLayout, QWidget

from cl_viz.core.config import TrainConfig
from cl_viz.core.recording import Recording
from cl_viz.core.runner import Frame, RunInfo
from cl_viz.core.timeline import Timeline
from cl_viz.qt.common.banner import Banner
from cl_viz.qt.window.control_panel import ControlPanel
from cl_viz.qt.export.dialog import ExportDialog
from cl_viz.qt.plot.feature_plot import FeaturePlot
from cl_viz.qt.grid.grid_window import GridWindow
from cl_viz.qt.window.menus import build_menus
from cl_viz.qt.window.metrics_panel import MetricsPanel
from cl_viz.qt.window.presentation import PresentationMixin, PresentationStrip
from cl_viz.qt.common.settings import APP_DEFAULTS, DEFAULT_VIEW, VIEW_SWITCHES, load_bytes, load_view, save_setup, save_view
from cl_viz.qt.window.timeline_bar import TimelineBar
from cl_viz.qt.window.frame_scheduler import DRAW_INTERVAL_MS, DrawingMixin
from cl_viz.qt.window.playback import TIMELINE_FRAMES, RecordingsMixin
from cl_viz.qt.worker import Divergence, WorkerThread
from cl_viz.qt.common.guard import guarded

STATUS_FIELDS = ("device", "dataset", "model", "step", "epoch", "speed", "images")


class MainWindow(DrawingMixin, RecordingsMixin, PresentationMixin, QMainWindow):
    def __init__(self, settings: QSettings, config: TrainConfig, compare: bool = False,
                 autostart: bool = False, worker_thread: WorkerThread | None = None,
                 recording: Recording | None = None):
        super().__init__()
        self.settings = settings
        self.setWindowTitle("cl-viz — center loss, live")
        self.resize(1500, 950)
        self.worker_thread = worker_thread or WorkerThread()
        self.worker = self.worker_thread.worker
        self.info: RunInfo | None = None
        self.running = False
        self.latest: Frame | None = None
        self._drawn: Frame | None = None
        self._pending_stages: list[Callable[[], object]] = []  # the rest of a frame, one per tick
        self._frame_interval = 0.3  # seconds between new frames while training (smoothed)
        self._frame_arrived = 0.0
        self._glide_turn = 0
        self.timeline = Timeline(TIMELINE_FRAMES)
        self.scrub_index: int | None = None  # None: live
        self.recording: Recording | None = None  # set while replaying a file
        self._pending_divergence_lr: float | None = None
        self.grid_window: GridWindow | None = None
        self.base_config = config  # fields without a control (data folder, probe size) come from here
        self._build_ui()
        self.controls.set_config(config, compare)
        self._apply_view(load_view(settings))
        self._restore_geometry()
        self._connect()
        self._install_shortcuts()
        build_menus(self)
        self.draw_timer = QTimer(self)
        self.draw_timer.setInterval(DRAW_INTERVAL_MS)
        self.draw_timer.timeout.connect(self.draw_latest)
        self.draw_timer.start()
        self.plot.setFocus()
        self.worker_thread.start()
        if recording is not None:
            self.show_recording(recording)
        else:
            self.request_reset()
            if autostart:
                self.worker.start()

    # ----- layout -------------------------------------------------------------------------
    def _build_ui(self) -> None:
        self.banner = Banner()
        self.plot = FeaturePlot()
        self.comparison_plot = FeaturePlot()
        self.comparison_plot.hide()
        self.plots = QSplitter(Qt.Orientation.Horizontal)
        self.plots.addWidget(self.plot)
        self.plots.addWidget(self.comparison_plot)
        self.metrics = MetricsPanel()
        self.metrics.graphs.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.graphs_splitter = QSplitter(Qt.Orientation.Vertical)
        self.graphs_splitter.addWidget(self.plots)
        self.graphs_splitter.addWidget(self.metrics.graphs)
        self.graphs_splitter.setStretchFactor(0, 1)
        self.graphs_splitter.setSizes([700, 200])
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.banner)
        self.presentation_strip = PresentationStrip()
        left_layout.addWidget(self.presentation_strip)
        left_layout.addWidget(self.graphs_splitter, 1)
        self.timeline_bar = TimelineBar()
        left_layout.addWidget(self.timeline_bar)
        self.controls = ControlPanel()
        self.controls.layout().insertWidget(1, self.metrics.table)
        scroll = QScrollArea()
        scroll.setWidget(self.controls)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(left)
        self.splitter.addWidget(scroll)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setSizes([1110, 390])
        self.setCentralWidget(self.splitter)
        # A top-level minimum size would be pushed to the platform, which offscreen Qt warns about.
        self.layout().setSizeConstraint(QLayout.SizeConstraint.SetNoConstraint)
        self.status = {name: QLabel() for name in STATUS_FIELDS}
        for label in self.status.values():
            self.statusBar().addPermanentWidget(label)
        self.statusBar().showMessage("Starting…")

    def _connect(self) -> None:
        events = self.worker_thread.events
        events.frame_ready.connect(self.on_frame)
        events.run_ready.connect(self.on_run_ready)
        events.state_changed.connect(self.on_state_changed)
        events.message.connect(self.on_message)
        events.failed.connect(self.on_failed)
        events.diverged.connect(self.on_diverged)
        self.controls.play_clicked.connect(self.toggle_running)
        self.controls.step_clicked.connect(self.single_step)
        self.controls.reset_clicked.connect(self.request_reset)
        self.controls.live_changed.connect(self.on_live_changed)
        self.controls.defaults_clicked.connect(self.restore_defaults)
        self.controls.view_changed.connect(self.on_view_changed)
        self.banner.action_clicked.connect(self.on_banner_action)
        strip = self.presentation_strip
        strip.play_clicked.connect(self.toggle_running)
        strip.step_clicked.connect(self.single_step)
        strip.reset_clicked.connect(self.request_reset)
        strip.lambda_changed.connect(self.on_strip_lambda)
        strip.theme_changed.connect(self.set_theme)
        self.timeline_bar.scrubbed.connect(self.on_scrubbed)
        self.timeline_bar.live_requested.connect(self.go_live)
        for plot in (self.plot, self.comparison_plot):
            plot.axis_mode_changed.connect(self.on_plot_axis_mode)

    def _install_shortcuts(self) -> None:
        for keys, slot in (("Space", self.toggle_running), ("Right", self.single_step), ("R", self.request_reset)):
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
            shortcut.activated.connect(slot)

    # ----- commands -----------------------------------------------------------------------
    @Slot()
    @guarded()
    def toggle_running(self) -> None:
        if self.recording is not None:
            return  # a replay has nothing to train; R returns to live training
        if self.running:
            self.worker.pause()
        else:
            self.banner.hide()
            self.go_live()
            self.worker.start()

    @Slot()
    @guarded()
    def single_step(self) -> None:
        if self.recording is None:
            self.go_live()
            self.worker.single_step()  # the worker's methods are thread-safe; never connect a signal to them

    @Slot()
    @guarded()
    def request_reset(self) -> None:
        config, compare = self.controls.config(self._base_config()), self.controls.compare.isChecked()
        self.banner.hide()
        self.recording = None
        self.controls.set_training_enabled(True)
        self.worker.reset(config, compare)

    @Slot(dict)
    @guarded()
    def on_live_changed(self, changes: dict) -> None:
        self.worker.set_live(**changes)
        if "lam" in changes:
            self._update_titles(changes["lam"])
            self.presentation_strip.set_lambda(changes["lam"])

    @Slot()
    @guarded()
    def restore_defaults(self) -> None:
        self.controls.set_config(APP_DEFAULTS, False)
        self._apply_view(DEFAULT_VIEW)
        self.worker.set_live(lam=APP_DEFAULTS.lam, alpha=APP_DEFAULTS.alpha, lr=APP_DEFAULTS.lr)

    def apply_preset(self, preset) -> None:
        """Set the controls as the lesson says, hide what it hides, and reset."""
        self.controls.set_config(preset.config, preset.compare)
        self.controls.set_hidden(preset.hide)
        self.base_config = preset.config
        self.request_reset()
        self.banner.show_message(f"<b>{preset.title}</b> — {preset.description}")

    @Slot()
    @guarded()
    def toggle_fullscreen(self) -> None:
        self.showNormal() if self.isFullScreen() else self.showFullScreen()

    @Slot()
    @guarded()
    def on_banner_action(self) -> None:
        if self._pending_divergence_lr is not None:
            self.controls.lr.set_value(self._pending_divergence_lr)
            self.worker.set_live(lr=self._pending_divergence_lr)
            self._pending_divergence_lr = None
            self.worker.start()

    def _base_config(self) -> TrainConfig:
        """Fields without a control (data folder, probe size, a preset's ReLU or momentum) come from here."""
        return self.base_config

    # ----- events from the worker ---------------------------------------------------------
    @Slot(object)
    @guarded()
    def on_run_ready(self, info: RunInfo) -> None:
        if self.recording is not None:
            return  # a reset started before a file was opened: keep showing the file
        self.info = info
        self.base_config = info.config
        self.latest = self._drawn = None
        self._pending_stages.clear()
        self.timeline.clear()
        self.scrub_index = None
        for plot in (self.plot, self.comparison_plot):
            plot.set_classes(info.class_names)
        self.comparison_plot.setVisible(info.compare)
        self._link_axes(self.controls.link_axes.isChecked())
        self._update_titles(self.controls.lam.value())
        self.controls.mark_applied(info.config, info.compare)
        self.metrics.clear(info.compare)
        self.status["device"].setText(f"device: {info.device}")
        self.status["dataset"].setText(f"dataset: {info.dataset_name} ({info.train_size:,} train, "
                                       f"probe {info.probe_size:,})")
        self.status["model"].setText(f"model: {info.config.model}")
        self.statusBar().showMessage(f"Ready: {info.dataset_source}. Press Space to train.", 8000)
        if info.dataset_name == "digits" and info.config.dataset == "auto":
            self.statusBar().showMessage("MNIST is not cached: using the built-in digits (scikit-learn). "
                                         "Choose MNIST under Setup to download it.", 15000)

    @Slot(object)
    @guarded()
    def on_frame(self, frame: Frame) -> None:
        """Keep only the newest frame; the draw timer paints it."""
        if self.recording is not None:
            return
        self.note_frame_arrival()
        self.latest = frame
        self.timeline.append(frame)
        self.metrics.add_frame(frame)

    @Slot(str)
    @guarded()
    def on_state_changed(self, state: str) -> None:
        self.running = state == "running"
        self.controls.set_running(self.running)
        self.presentation_strip.set_running(self.running)
        if self.running:
            self.statusBar().clearMessage()
        if state == "loading":
            self.statusBar().showMessage("Loading…")

    @Slot(str)
    @guarded()
    def on_message(self, text: str) -> None:
        self.statusBar().showMessage(text)

    @Slot(str)
    @guarded()
    def on_failed(self, text: str) -> None:
        self._pending_divergence_lr = None
        self.banner.show_message(text)

    @Slot(object)
    @guarded()
    def on_diverged(self, event: Divergence) -> None:
        lower = float(f"{event.lr / 10:.1g}")
        self._pending_divergence_lr = lower
        kept = "rolled back to the last good state" if event.restored else "the last good frame is kept"
        self.banner.show_message(
            f"Training diverged at step {event.step}: the loss became infinite or NaN "
            f"(learning rate {event.lr:g}, λ {event.lam:g}). Training is paused and {kept}.",
            action=f"Continue with learning rate {lower:g}")

    # ----- drawing ------------------------------------------------------------------------
    @Slot()
    @guarded()
    def open_grid(self) -> None:
        """The λ grid window; pressed again while it is open, it comes to the front."""
        if self._grid_is_open():
            self.grid_window.showNormal()
            self.grid_window.raise_()
            self.grid_window.activateWindow()
            return
        self.grid_window = GridWindow(self.controls.config(self._base_config()), parent=None)
        self.grid_window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.grid_window.show()

    def _grid_is_open(self) -> bool:
        return self.grid_window is not None and shiboken6.isValid(self.grid_window) and self.grid_window.isVisible()

    def _update_titles(self, lam: float) -> None:
        self.plot.set_title(f"center loss  λ = {lam:g}" if lam > 0 else "softmax only  (λ = 0)")
        self.comparison_plot.set_title("softmax only  (λ = 0)")

    # ----- view ---------------------------------------------------------------------------
    @Slot()
    @guarded()
    def on_view_changed(self) -> None:
        view = self._view_state()
        for plot in (self.plot, self.comparison_plot):
            plot.set_axis_mode(view["axis_mode"])
            plot.set_batch_visible(view["show_batch"])
            plot.set_decision_regions_visible(view["decision_regions"])
            plot.set_weight_arrows_visible(view["weight_arrows"])
        self._link_axes(view["link_axes"])

    @Slot(str)
    @guarded()
    def on_plot_axis_mode(self, mode: str) -> None:
        """A mouse pan or zoom fixes the axes; the View box shows it."""
        index = self.controls.axis_mode.findData(mode)
        if index >= 0 and index != self.controls.axis_mode.currentIndex():
            self.controls.axis_mode.setCurrentIndex(index)

    def _view_state(self) -> dict:
        return {"axis_mode": self.controls.axis_mode.currentData(),
                **{name: getattr(self.controls, name).isChecked() for name in VIEW_SWITCHES}}

    def _apply_view(self, view: dict) -> None:
        index = self.controls.axis_mode.findData(view["axis_mode"])
        self.controls.axis_mode.setCurrentIndex(max(index, 0))
        for name in VIEW_SWITCHES:
            getattr(self.controls, name).setChecked(view[name])
        self.on_view_changed()

    def _link_axes(self, linked: bool) -> None:
        linked = linked and not self.comparison_plot.isHidden()
        self.plot.link_axes(self.comparison_plot if linked else None, lead=True)
        self.comparison_plot.link_axes(self.plot if linked else None, lead=False)
        if linked:
            self.comparison_plot.match_partner_range()

    # ----- lifecycle ----------------------------------------------------------------------
    def _restore_geometry(self) -> None:
        geometry = load_bytes(self.settings, "window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        splitter = load_bytes(self.settings, "window/splitter")
        if splitter is not None:
            self.splitter.restoreState(splitter)

    def save_settings(self) -> None:
        save_setup(self.settings, self.controls.config(self._base_config()), self.controls.compare.isChecked())
        save_view(self.settings, self._view_state())
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/splitter", self.splitter.saveState())
        self.settings.sync()

    def shutdown(self) -> bool:
        self.draw_timer.stop()
        return self.worker_thread.shutdown()

    @guarded()
    def closeEvent(self, event) -> None:  # noqa: N802 (Qt override)
        try:
            for export in self.findChildren(ExportDialog):
                export.cancel_export()
            if self._grid_is_open():
                self.grid_window.close()
            self.save_settings()
        finally:
            self.shutdown()  # a worker that does not stop in time is parked, never destroyed while running
        super().closeEvent(event)
