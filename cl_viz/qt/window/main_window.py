"""The main window: feature plots, controls, metrics and a status bar, fed by the training worker.

It lays the widgets out and wires them; its collaborators own the state: the FrameScheduler draws
(the draw timer, the stages of a frame, the frame on screen), the Playback holds what is shown (the
timeline, the scrub position, a recording), PresentationMode changes the look for a lecture hall, an
AxesLink shares the two plots' axes, and the worker trains in its own thread.
"""

from __future__ import annotations

from functools import partial

import shiboken6
from PySide6.QtCore import QSettings, Qt, Slot
from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QLabel,
    QLayout,
    QMainWindow,
    QMessageBox,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from cl_viz.core.config import DEFAULTS, LIVE_FIELDS, PROBE_SPLIT_NAMES, TrainConfig
from cl_viz.core.dataset_files import needs_download, title
from cl_viz.core.downloads import download_size
from cl_viz.core.errors import ClVizError
from cl_viz.core.frames import NOT_RECORDED, Frame, RunInfo
from cl_viz.core.recording import SUFFIX, Recording, load_recording, save_recording
from cl_viz.core.runs import LOSS_FAMILY, short_name, softmax_twin
from cl_viz.core.snapshot import Snapshot
from cl_viz.qt.common.banner import Banner
from cl_viz.qt.common.first_paint import AfterFirstPaint
from cl_viz.qt.common.guard import guarded
from cl_viz.qt.export.dialog import ExportDialog
from cl_viz.qt.grid.grid_window import GridWindow
from cl_viz.qt.openset.openset_panel import OpenSetPanel
from cl_viz.qt.plot.axes import AxesLink
from cl_viz.qt.plot.feature_plot import FeaturePlot
from cl_viz.qt.plot.glide import glide_seconds
from cl_viz.qt.window.control_panel import ControlPanel
from cl_viz.qt.window.download_strip import DownloadStrip
from cl_viz.qt.window.frame_scheduler import FrameScheduler, paint_in_a_later_pass
from cl_viz.qt.window.head_controls import LIVE_HEAD_FIELDS, margin_status, plot_title
from cl_viz.qt.window.menus import build_menus
from cl_viz.qt.window.metrics_panel import GRAPHS, MetricsPanel
from cl_viz.qt.window.playback import Playback
from cl_viz.qt.window.presentation import PresentationMode, PresentationStrip
from cl_viz.qt.window.settings import (
    DEFAULT_VIEW,
    MENU_SWITCHES,
    VIEW_SWITCHES,
    load_bytes,
    load_view,
    save_setup,
    save_view,
)
from cl_viz.qt.window.timeline_bar import TimelineBar
from cl_viz.qt.worker import Divergence, WorkerThread
from cl_viz.qt.worker_process import make_worker

STATUS_FIELDS = ("device", "dataset", "model", "margin", "step", "epoch", "speed", "images", "age")
OPEN_SET_DOCK_WIDTH = 420
DOWNLOAD_OFFER = "download MNIST"  # the banner topic of the offer to download MNIST


def points_age_text(frame: Frame) -> str:
    """How old the oldest drawn point is: while training, each frame re-embeds a slice of the probe set."""
    behind = max(snapshot.steps_behind for snapshot in (frame.primary, frame.comparison) if snapshot is not None)
    if behind == 0:
        return "points: this step"
    seconds = f", {behind / frame.steps_per_second:.1f} s" if frame.steps_per_second > 0 else ""
    return f"points: ≤ {behind:,} steps old{seconds}"


class MainWindow(QMainWindow):
    def __init__(self, settings: QSettings, config: TrainConfig, compare: bool = False,
                 autostart: bool = False, worker_thread: WorkerThread | None = None,
                 recording: Recording | None = None, worker_mode: str | None = None):
        """`worker_mode`: where training runs (cl_viz.qt.worker_process.worker_mode); ignored beside `worker_thread`."""
        super().__init__()
        self.settings = settings
        self.setWindowTitle("cl-viz — center loss, live")
        self.resize(1500, 950)
        self.worker_mode = worker_mode
        self.worker_thread = worker_thread or WorkerThread(make_worker(worker_mode))
        self.worker = self.worker_thread.worker
        self.info: RunInfo | None = None
        self.running = False
        self.playback = Playback()
        self.grid_window: GridWindow | None = None
        self.base_config = config  # fields without a control (data folder, probe size, a preset's momentum)
        self._axes_link: AxesLink | None = None
        self._pending_divergence_lr: float | None = None
        self._reset_after_download = False  # a reset waits for the download of its dataset
        self._train_after_download = False  # and --autostart with it
        self._download_offer_declined = False
        self._build_ui()
        self.presentation = PresentationMode(self, self.presentation_strip, self.plot_widgets, (
            self.splitter.widget(1), self.metrics.graphs, self.timeline_bar, self.statusBar(), self.menuBar()))
        self.scheduler = FrameScheduler(self, self.playback.shown, self._frame_stages, lambda: self.plot_widgets,
                                        self._views)
        self.controls.set_config(config, compare)
        self._apply_view(load_view(settings))
        self._restore_geometry()
        self._connect()
        self._install_shortcuts()
        self.menus = build_menus(self)
        self.scheduler.start()
        self.plot.setFocus()
        self._autostart: bool | None = autostart  # None once the worker has been started
        # The worker (and with it seconds of torch imports, competing for the interpreter) starts
        # once the window has been painted: the window shows at once, "Loading PyTorch…" in its status bar.
        AfterFirstPaint(self.plot.graphics_view.viewport(), self._start_worker)
        if recording is not None:
            self.show_recording(recording)

    # ----- layout -------------------------------------------------------------------------
    def _build_ui(self) -> None:
        self.banner = Banner()
        self.plot = FeaturePlot()
        self.comparison_plot = FeaturePlot()
        self.comparison_plot.hide()
        self.normalise_features = QAction("&Normalise features (x/‖x‖ on the unit circle)", self, checkable=True)
        self.normalise_features.setToolTip("Draw each feature as its direction x/‖x‖, the class directions "
                                           "W_j/‖W_j‖ as spokes. 3-D features are always on the unit sphere.")
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
        self.download_strip = DownloadStrip()
        left_layout.addWidget(self.download_strip)
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
        self._build_open_set_dock()
        self.status = {name: QLabel() for name in STATUS_FIELDS}
        for label in self.status.values():
            self.statusBar().addPermanentWidget(label)
        self.status["age"].setToolTip("While training, each frame re-embeds the next slice of the probe images with "
                                      "the current weights; this is how old the oldest drawn point is. A paused "
                                      "frame re-embeds them all.")
        self.statusBar().showMessage("Starting…")

    def _build_open_set_dock(self) -> None:
        """The open-set panel, docked right; shown for a run that holds classes out (View > Open set)."""
        self.open_set = OpenSetPanel()
        self.open_set_dock = QDockWidget("Open set: unknowns and verification", self)
        self.open_set_dock.setObjectName("open set")
        self.open_set_dock.setWidget(self.open_set)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.open_set_dock)
        self.open_set_dock.hide()
        self.open_set_pair: tuple[int, int] | None = None

    def _make_room_for(self, dock: QDockWidget) -> None:
        """Widen a normal window by the dock's width, as far as its screen allows, so the plots keep theirs."""
        screen = self.screen()
        if self.isMaximized() or self.isFullScreen() or screen is None or dock.isFloating():
            return
        room = screen.availableGeometry().width() - self.frameGeometry().width()
        self.resize(self.width() + max(0, min(room, OPEN_SET_DOCK_WIDTH)), self.height())

    @property
    def plot_widgets(self) -> tuple[FeaturePlot, FeaturePlot]:
        return self.plot, self.comparison_plot

    def _views(self):
        return (self.plot.graphics_view, self.comparison_plot.graphics_view, *self.metrics.views.values())

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
        self.banner.dismissed.connect(self.on_banner_dismissed)
        self.download_strip.succeeded.connect(self.on_download_succeeded)
        self.download_strip.failed.connect(self.on_download_failed)
        self.download_strip.cancelled.connect(self.on_download_cancelled)
        strip = self.presentation_strip
        strip.play_clicked.connect(self.toggle_running)
        strip.step_clicked.connect(self.single_step)
        strip.reset_clicked.connect(self.request_reset)
        strip.lambda_changed.connect(self.on_strip_lambda)
        strip.theme_changed.connect(self.set_theme)
        self.timeline_bar.scrubbed.connect(self.on_scrubbed)
        self.timeline_bar.live_requested.connect(self.go_live)
        for plot in self.plot_widgets:
            plot.axis_mode_changed.connect(self.on_plot_axis_mode)
        self.normalise_features.toggled.connect(self.on_view_changed)
        self.open_set.acceptance_changed.connect(self.on_acceptance_changed)
        self.open_set.pair_changed.connect(self.on_pair_changed)
        for plot in self.plot_widgets:
            plot.unknown_clicked.connect(self.open_set.pick_unknown)
        self.plot.rotation_changed.connect(self.comparison_plot.set_rotation)  # both spheres turn together
        self.comparison_plot.rotation_changed.connect(self.plot.set_rotation)

    def _install_shortcuts(self) -> None:
        for keys, slot in (("Space", self.toggle_running), ("Right", self.single_step), ("R", self.request_reset)):
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
            shortcut.activated.connect(slot)

    # ----- commands -----------------------------------------------------------------------
    @Slot()
    @guarded()
    def toggle_running(self) -> None:
        if self.playback.replaying:
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
        if not self.playback.replaying:
            self.go_live()
            self.worker.single_step()  # the worker's methods are thread-safe; never connect a signal to them

    @Slot()
    @guarded()
    def request_reset(self) -> None:
        config, compare = self.controls.config(self.base_config), self.controls.compare.isChecked()
        if needs_download(config.dataset, config.data_dir):
            self._download_then_reset(config.dataset)
            return
        self._reset_after_download = False
        self.banner.hide()
        self.playback.recording = None
        self.controls.set_training_enabled(True)
        self.worker.reset(config, compare)

    @Slot(dict)
    @guarded()
    def on_live_changed(self, changes: dict) -> None:
        self.worker.set_live(**changes)
        if "lam" in changes:
            self._update_titles(changes["lam"])
            self.presentation_strip.set_lambda(changes["lam"])

    @Slot(float)
    @guarded()
    def on_strip_lambda(self, value: float) -> None:
        self.controls.lam.set_value(value)
        self.on_live_changed({"lam": value})

    @Slot()
    @guarded()
    def restore_defaults(self) -> None:
        self.controls.set_config(DEFAULTS, False)
        self._apply_view(DEFAULT_VIEW)
        # the default head is softmax, which needs a reset: the running head keeps its s and m meanwhile
        self.worker.set_live(**{name: getattr(DEFAULTS, name) for name in LIVE_FIELDS if name not in LIVE_HEAD_FIELDS})

    def apply_preset(self, preset) -> None:
        """Set the controls as the lesson says, hide what it hides, and reset."""
        self.controls.set_config(preset.config, preset.compare)
        self.controls.set_hidden(preset.hide)
        self.base_config = preset.config
        self.request_reset()
        self.banner.show_message(f"<b>{preset.title}</b> — {preset.description}")
        if preset.losses:
            if self.grid_is_open():
                self.grid_window.close()
            self._open_grid_window(losses=preset.losses)

    @Slot()
    @guarded()
    def toggle_fullscreen(self) -> None:
        self.showNormal() if self.isFullScreen() else self.showFullScreen()

    @Slot()
    @guarded()
    def toggle_presentation(self) -> None:
        """Full screen, big type and markers, only the plots and a compact strip (F5 again to leave)."""
        presenting = self.presentation.toggle()
        self.presentation_strip.set_lambda(self.controls.lam.value())
        if self.playback.latest is not None:
            self.presentation_strip.show_losses(self.playback.latest.primary)
        self.menus.presentation.setChecked(presenting)

    @Slot(str)
    @guarded()
    def set_theme(self, name: str) -> None:
        self.presentation.set_theme(name)

    @Slot()
    @guarded()
    def on_banner_action(self) -> None:
        if self.banner.topic == DOWNLOAD_OFFER:
            self._download_then_reset("mnist")
        elif self._pending_divergence_lr is not None:
            self.controls.lr.set_value(self._pending_divergence_lr)
            self.worker.set_live(lr=self._pending_divergence_lr)
            self._pending_divergence_lr = None
            self.worker.start()

    @Slot()
    @guarded()
    def open_grid(self) -> None:
        """The λ grid window; pressed again while it is open, it comes to the front."""
        self._open_grid_window(losses=None)

    @Slot()
    @guarded()
    def open_loss_family(self) -> None:
        """softmax | center | CosFace | ArcFace side by side, from the current setup."""
        self._open_grid_window(losses=LOSS_FAMILY)

    def _open_grid_window(self, losses) -> None:
        """One grid window at a time: the same kind comes to the front, the other kind replaces it."""
        if self.grid_is_open():
            if self.grid_window.by_loss == (losses is not None):
                self.grid_window.showNormal()
                self.grid_window.raise_()
                self.grid_window.activateWindow()
                return
            self.grid_window.close()
        self.grid_window = GridWindow(self.controls.config(self.base_config), parent=None, losses=losses,
                                      worker_mode=self.worker_mode)
        self.grid_window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.grid_window.show()

    def grid_is_open(self) -> bool:
        return self.grid_window is not None and shiboken6.isValid(self.grid_window) and self.grid_window.isVisible()

    # ----- events from the worker ---------------------------------------------------------
    @Slot(object)
    @guarded()
    def on_run_ready(self, info: RunInfo) -> None:
        if self.playback.replaying:
            return  # a reset started before a file was opened: keep showing the file
        self.base_config = info.config
        self.playback.start_live()
        self._show_run(info)
        self._update_titles(self.controls.lam.value())
        self.controls.mark_applied(info.config, info.compare)
        self.statusBar().showMessage(f"Ready: {info.dataset_source}. Press Space to train.", 8000)
        if (info.dataset_name == "digits" and info.config.dataset == "auto" and info.config.data_dir is None
                and not self._download_offer_declined and self.download_strip.downloading() is None
                and (self.banner.isHidden() or self.banner.topic == DOWNLOAD_OFFER)):  # a lesson's text stays
            self.banner.show_message(
                "MNIST is not cached, so this run uses the 1,797 small digits that ship with scikit-learn "
                "(8×8 images, enlarged).", action=f"Download MNIST (≈ {download_size('mnist') / 2**20:.0f} MB)",
                topic=DOWNLOAD_OFFER)

    def _show_run(self, info: RunInfo) -> None:
        """Plots, panels and status for a new run (live or recorded)."""
        self.info = info
        self.scheduler.clear()
        for plot in self.plot_widgets:
            plot.set_classes(info.class_names)
        self.comparison_plot.setVisible(info.compare)
        self._link_axes(self.controls.link_axes.isChecked())
        self.metrics.clear(info.compare)
        self.metrics.set_probe_split(info.config.probe_split)
        self.metrics.set_run_names({"primary": short_name(info.config),
                                    "comparison": short_name(softmax_twin(info.config))})
        self.controls.head_controls.set_num_classes(len(info.class_names))
        self.status["device"].setText(f"device: {info.device}")
        train = f"{info.train_size:,} train, " if info.train_size is not None else ""
        probe = f"probe {info.probe_size:,} {PROBE_SPLIT_NAMES[info.config.probe_split]}"
        self.status["dataset"].setText(f"dataset: {info.dataset_name} ({train}{probe})")
        self.status["model"].setText(f"model: {info.config.model}")
        self.open_set.set_run(info, {"primary": short_name(info.config),
                                     "comparison": short_name(softmax_twin(info.config))})
        if self.open_set.has_unknowns and self.open_set_dock.isHidden():
            self._make_room_for(self.open_set_dock)
        self.open_set_dock.setVisible(self.open_set.has_unknowns)
        if self.open_set.has_unknowns:
            self.resizeDocks([self.open_set_dock], [OPEN_SET_DOCK_WIDTH], Qt.Orientation.Horizontal)

    @Slot(object)
    @guarded()
    def on_frame(self, frame: Frame) -> None:
        """Keep only the newest frame; the scheduler draws it."""
        if self.playback.add(frame):
            self.scheduler.note_arrival(self.running)
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

    # ----- dataset downloads --------------------------------------------------------------
    def _download_then_reset(self, name: str) -> None:
        """Download `name` off the GUI thread, with progress and Cancel; the reset follows once it is in place."""
        downloading = self.download_strip.downloading()
        if downloading is None:
            self.banner.hide()
            self.download_strip.start(name)
        elif downloading != name:
            self.statusBar().showMessage(f"{title(downloading)} is still downloading: cancel it to choose another "
                                         f"dataset.", 8000)
            return
        self._reset_after_download = True

    @Slot()
    @guarded()
    def on_banner_dismissed(self) -> None:
        if self.banner.topic == DOWNLOAD_OFFER:
            self._download_offer_declined = True

    @Slot(str)
    @guarded()
    def on_download_succeeded(self, name: str) -> None:
        if needs_download(name):  # a downloader that reported success without the files: never loop
            self.on_download_failed(f"{title(name)} was downloaded but its files are not in the cache.")
            return
        self.statusBar().showMessage(f"{title(name)} downloaded.", 8000)
        if self._reset_after_download:
            self.request_reset()
            if self._train_after_download and not self._reset_after_download:
                self._train_after_download = False
                self.worker.start()

    @Slot(str)
    @guarded()
    def on_download_failed(self, text: str) -> None:
        self._reset_after_download = self._train_after_download = False
        self.banner.show_message(text)

    @Slot(str)
    @guarded()
    def on_download_cancelled(self, name: str) -> None:
        self._reset_after_download = self._train_after_download = False
        self.statusBar().showMessage(f"Download of {title(name)} cancelled; the next one resumes where it stopped.",
                                     8000)

    # ----- timeline and recordings --------------------------------------------------------
    @Slot(int)
    @guarded()
    def on_scrubbed(self, index: int) -> None:
        self.playback.scrub(index)
        self.scheduler.redraw()  # even the frame on screen is drawn again: its label now says "past"

    @Slot()
    @guarded()
    def go_live(self) -> None:
        self.playback.go_live()
        self.scheduler.redraw()  # and now "live"

    def show_recording(self, recording: Recording) -> None:
        """Replay a recorded run: the worker pauses, the timeline holds the file's frames."""
        self.playback.play(recording)
        self.worker.pause()
        frames = recording.frames
        self._show_run(recording.run)
        self._update_titles(frames[-1].primary.lam)
        for frame in frames:
            self.metrics.add_frame(frame)
        self.controls.set_training_enabled(False)
        self.statusBar().clearMessage()
        self.status["dataset"].setText(f"replay: {recording.run.dataset_name}, {len(frames)} frames")
        made = f" on {recording.run.device}" if recording.run.device != NOT_RECORDED else ""
        self.banner.show_message(f"Replaying a recording ({len(frames)} frames, steps {frames[0].step:,}–"
                                 f"{frames[-1].step:,}, trained{made}). Drag the timeline to play it back; "
                                 f"press R to return to live training.")

    @Slot()
    @guarded()
    def open_recording_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open a recording", "", f"cl-viz recordings (*{SUFFIX})")
        if path:
            self.open_recording(path)

    @guarded(fallback=False)
    def open_recording(self, path: str, *_checked) -> bool:
        """Replay the file, or say in one message why not; the current run stays as it is."""
        try:
            self.show_recording(load_recording(path))
        except ClVizError as error:
            QMessageBox.warning(self, "cl-viz: cannot open the recording", str(error))
            return False
        return True

    @Slot()
    @guarded()
    def save_recording_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save the run as a recording", f"run{SUFFIX}",
                                              f"cl-viz recordings (*{SUFFIX})")
        if path:
            self.save_recording(path if path.endswith(SUFFIX) else path + SUFFIX)

    def save_recording(self, path: str) -> bool:
        if self.info is None:
            self.statusBar().showMessage("Nothing to record yet.", 5000)
            return False
        try:
            save_recording(path, Recording(list(self.playback.timeline), self.info))
        except ClVizError as error:
            QMessageBox.warning(self, "cl-viz: cannot save the recording", str(error))
            return False
        self.statusBar().showMessage(f"Saved {len(self.playback.timeline)} frames to {path}", 8000)
        return True

    @Slot()
    @guarded()
    def open_export_dialog(self) -> None:
        if self.info is None or not len(self.playback.timeline):
            self.statusBar().showMessage("Nothing to export yet.", 5000)
            return
        self.scheduler.finish()  # an image of the window shows one whole frame
        ExportDialog(self, self.playback.timeline, self.info.class_names, self.plots).open()

    # ----- drawing ------------------------------------------------------------------------
    def _frame_stages(self, frame: Frame) -> list:
        """How the scheduler draws a frame, one stage per tick: the plots, then the numbers."""
        partner_bounds = None
        if frame.comparison is not None and self._axes_link is not None:
            partner_bounds = self.comparison_plot.frame_bounds(frame.comparison.features, frame.comparison.centers)
        stages = [partial(self._draw_plot, self.plot, frame.primary, partner_bounds)]
        if frame.comparison is not None:
            stages.append(partial(self._draw_plot, self.comparison_plot, frame.comparison))
        stages.append(partial(self._draw_panels, frame))
        return stages

    def _draw_plot(self, plot: FeaturePlot, snapshot: Snapshot, partner_bounds=None) -> None:
        paint_in_a_later_pass(plot.graphics_view)
        glide = glide_seconds(self.scheduler.frame_interval) if self.running and self.playback.live else 0.0
        unknowns = snapshot.unknown_features
        plot.set_unknowns(unknowns)
        pair = self.open_set_pair
        plot.set_pair(unknowns[list(pair)] if pair and unknowns is not None and max(pair) < len(unknowns) else None)
        plot.show_frame(snapshot.features, snapshot.labels, snapshot.centers, glide=glide,
                        partner_bounds=partner_bounds)
        plot.set_inspection_data(snapshot, self.info.probe_images if self.info else None)
        if self.controls.show_batch.isChecked() and snapshot.batch_features is not None:
            plot.set_batch(snapshot.batch_features, snapshot.batch_labels)

    def _draw_panels(self, frame: Frame) -> None:
        playback = self.playback
        self.timeline_bar.set_length(len(playback.timeline), playback.scrub_index)
        self.timeline_bar.set_label(frame.step, playback.live, playback.replaying)
        self.metrics.refresh_numbers()
        if self.metrics.curves_due():
            self.scheduler.later(partial(self._draw_graph, graph) for graph in GRAPHS)
        self._update_status(frame)
        if not self.presentation_strip.isHidden():
            self.presentation_strip.show_losses(frame.primary)
        if self.open_set_dock.isVisible():
            self.open_set.offer(frame)

    @Slot(object)
    @guarded()
    def on_acceptance_changed(self, rules) -> None:
        """Shade what each run's open-set threshold rejects (None: nothing)."""
        for plot, rule in zip(self.plot_widgets, rules):
            plot.set_acceptance(*(rule or (None,)))

    @Slot(object)
    @guarded()
    def on_pair_changed(self, pair) -> None:
        self.open_set_pair = pair
        frame = self.playback.shown()
        if frame is not None:
            for plot, snapshot in zip(self.plot_widgets, (frame.primary, frame.comparison)):
                unknowns = None if snapshot is None else snapshot.unknown_features
                plot.set_pair(unknowns[list(pair)] if pair and unknowns is not None else None)

    def _draw_graph(self, graph: str) -> None:
        paint_in_a_later_pass(self.metrics.views[graph])
        self.metrics.refresh_graph(graph)

    def _update_status(self, frame: Frame) -> None:
        self.status["step"].setText(f"step {frame.step:,}")
        self.status["epoch"].setText(f"epoch {frame.primary.epoch:.2f}")
        if self.running and frame.steps_per_second > 0:
            self.status["speed"].setText(f"{frame.steps_per_second:.1f} steps/s")
            self.status["images"].setText(f"{frame.images_per_second:,.0f} images/s")
        elif not self.running:
            self.status["speed"].setText("paused")
            self.status["images"].setText("")
        self.status["age"].setText(points_age_text(frame))
        self.status["margin"].setText(margin_status(frame.primary))

    def _update_titles(self, lam: float) -> None:
        head = self.info.config.head if self.info is not None else "softmax"
        self.plot.set_title(plot_title(head, lam))
        self.comparison_plot.set_title(plot_title(head, 0.0))

    # ----- view ---------------------------------------------------------------------------
    @Slot()
    @guarded()
    def on_view_changed(self) -> None:
        view = self._view_state()
        for plot in self.plot_widgets:
            plot.axes.set_mode(view["axis_mode"])
            plot.set_batch_visible(view["show_batch"])
            plot.set_decision_regions_visible(view["decision_regions"])
            plot.set_weight_arrows_visible(view["weight_arrows"])
            plot.set_normalised(view["normalise_features"])
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
                **{name: getattr(self.controls, name).isChecked() for name in VIEW_SWITCHES},
                **{name: getattr(self, name).isChecked() for name in MENU_SWITCHES}}

    def _apply_view(self, view: dict) -> None:
        index = self.controls.axis_mode.findData(view["axis_mode"])
        self.controls.axis_mode.setCurrentIndex(max(index, 0))
        for name in VIEW_SWITCHES:
            getattr(self.controls, name).setChecked(view[name])
        for name in MENU_SWITCHES:
            getattr(self, name).setChecked(view[name])
        self.on_view_changed()

    def _link_axes(self, linked: bool) -> None:
        if self._axes_link is not None:
            self._axes_link.unlink()
            self._axes_link = None
        if linked and not self.comparison_plot.isHidden():
            self._axes_link = AxesLink(self.plot_widgets)

    # ----- lifecycle ----------------------------------------------------------------------
    @Slot()
    @guarded()
    def _start_worker(self) -> None:
        if self._autostart is None:
            return
        autostart, self._autostart = self._autostart, None
        self.worker_thread.start()
        if not self.playback.replaying:
            self.request_reset()
            if autostart and self._reset_after_download:
                self._train_after_download = True
            elif autostart:
                self.worker.start()

    def _restore_geometry(self) -> None:
        geometry = load_bytes(self.settings, "window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        splitter = load_bytes(self.settings, "window/splitter")
        if splitter is not None:
            self.splitter.restoreState(splitter)

    def save_settings(self) -> None:
        save_setup(self.settings, self.controls.config(self.base_config), self.controls.compare.isChecked())
        save_view(self.settings, self._view_state())
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/splitter", self.splitter.saveState())
        self.settings.sync()

    def shutdown(self) -> bool:
        self._autostart = None  # closed before its first paint: AfterFirstPaint's fallback must not start the worker
        self.scheduler.stop()
        download_ended = self.download_strip.shutdown()  # cancelled: no partial file takes a final name
        self.open_set.shutdown()
        return self.worker_thread.shutdown() and download_ended

    @guarded()
    def closeEvent(self, event) -> None:  # noqa: N802 (Qt override)
        try:
            for export in self.findChildren(ExportDialog):
                export.cancel_export()
            if self.grid_is_open():
                self.grid_window.close()
            self.save_settings()
        finally:
            self.shutdown()  # a worker that does not stop in time is parked, never destroyed while running
        super().closeEvent(event)
