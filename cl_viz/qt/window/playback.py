"""File > Open/Save recording, Export, and scrubbing the timeline: the main window's playback side."""

from __future__ import annotations

from PySide6.QtCore import Slot
from PySide6.QtWidgets import QFileDialog, QMessageBox

from cl_viz.core.config import TrainConfig
from cl_viz.core.errors import ClVizError
from cl_viz.core.recording import SUFFIX, Recording, load_recording, save_recording
from cl_viz.core.runner import RunInfo
from cl_viz.core.timeline import Timeline
from cl_viz.qt.export.dialog import ExportDialog
from cl_viz.qt.common.guard import guarded

TIMELINE_FRAMES = 600


class RecordingsMixin:
    """Mixed into MainWindow (which provides the widgets, the worker and the timeline)."""

    @Slot(int)
    @guarded()
    def on_scrubbed(self, index: int) -> None:
        self.scrub_index = index
        self._drawn = None  # even the frame on screen is drawn again: its label now says "past"

    @Slot()
    @guarded()
    def go_live(self) -> None:
        self.scrub_index = None
        self._drawn = None  # and now "live"

    def show_recording(self, recording: Recording) -> None:
        """Replay a recorded run: the worker pauses, the timeline holds the file's frames."""
        if not recording.frames:
            raise ClVizError("the recording holds no frames")
        self.worker.pause()
        self.recording = recording
        frames = recording.frames
        compare = recording.compare
        self.info = RunInfo(
            config=TrainConfig.from_dict(recording.config) if recording.config else self.base_config,
            compare=compare, dataset_name=recording.dataset or "recording", dataset_source=recording.created_by,
            class_names=recording.class_names, device="recorded", train_size=0,
            probe_size=len(frames[0].primary.labels), batch_size=0, steps_per_epoch=1,
            probe_images=recording.probe_images)
        for plot in (self.plot, self.comparison_plot):
            plot.set_classes(recording.class_names)
        self.comparison_plot.setVisible(compare)
        self._link_axes(self.controls.link_axes.isChecked())
        self._update_titles(frames[-1].primary.lam)
        self.timeline = Timeline.from_frames(frames, max(TIMELINE_FRAMES, len(frames)))
        self.metrics.clear(compare)
        for frame in frames:
            self.metrics.add_frame(frame)
        self.latest, self._drawn, self.scrub_index = frames[-1], None, None
        self._pending_stages.clear()
        self.controls.set_training_enabled(False)
        self.statusBar().clearMessage()
        self.status["dataset"].setText(f"replay: {self.info.dataset_name}, {len(frames)} frames")
        self.status["device"].setText(recording.created_by)
        self.banner.show_message(f"Replaying a recording ({len(frames)} frames, steps {frames[0].step:,}–"
                                 f"{frames[-1].step:,}). Drag the timeline to play it back; press R to return "
                                 f"to live training.")

    @Slot()
    @guarded()
    def open_recording_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open a recording", "", f"cl-viz recordings (*{SUFFIX})")
        if path:
            self.open_recording(path)

    def open_recording(self, path: str) -> bool:
        """Replay the file, or say in one message why not; the current run stays as it is."""
        try:
            recording = load_recording(path)
            self.show_recording(recording)
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
        info = self.info
        try:
            save_recording(path, Recording(list(self.timeline), info.class_names if info else (),
                                           info.config.to_dict() if info else {},
                                           info.dataset_name if info else "",
                                           info.probe_images if info else None))
        except (ClVizError, OSError) as error:
            QMessageBox.warning(self, "cl-viz: cannot save the recording", str(error))
            return False
        self.statusBar().showMessage(f"Saved {len(self.timeline)} frames to {path}", 8000)
        return True

    @Slot()
    @guarded()
    def open_export_dialog(self) -> None:
        if self.info is None or not len(self.timeline):
            self.statusBar().showMessage("Nothing to export yet.", 5000)
            return
        self.finish_drawing()  # an image of the window shows one whole frame
        ExportDialog(self, self.timeline, self.info.class_names, self.plots).open()

