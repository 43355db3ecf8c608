"""ExportDialog: save the current view (PNG, SVG) or a range of the timeline (GIF, MP4)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import shiboken6
from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QProgressDialog,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from cl_viz.core.errors import ClVizError
from cl_viz.core.frames import Frame
from cl_viz.core.timeline import Timeline
from cl_viz.qt.common.guard import guarded
from cl_viz.qt.export.animation import (
    ANIMATION_FORMATS,
    FPS_LIMITS,
    SIZE_LIMITS,
    animation_size,
    export_animation,
)
from cl_viz.qt.export.images import export_image
from cl_viz.qt.plot.feature_plot import FeaturePlot

FORMATS = {  # combo text, file-dialog filter
    "png": ("Current view as PNG image", "PNG image (*.png)"),
    "svg": ("Current view as SVG vector image", "SVG image (*.svg)"),
    "gif": ("Animation of the timeline as GIF", "GIF animation (*.gif)"),
    "mp4": ("Animation of the timeline as MP4 video", "MP4 video (*.mp4)"),
}


def _pair(left: QWidget, between: str, right: QWidget) -> QHBoxLayout:
    row = QHBoxLayout()
    row.addWidget(left)
    row.addWidget(QLabel(between))
    row.addWidget(right)
    return row


class ExportDialog(QDialog):
    """Pick what to export; Export asks for a file name unless `path` is given (tests, scripts).

    `current_plot` is what "the current view" means: a FeaturePlot, or a widget holding the plots
    (e.g. the splitter with both plots of a comparison); animations take its theme.

    Animations render on the GUI thread (FeaturePlot is a widget) under a window-modal
    QProgressDialog: its setValue() processes events, so the window stays responsive and Cancel
    works between frames (the documented QProgressDialog pattern). The frames are copied out of
    the timeline first, so training may go on meanwhile.
    """

    def __init__(self, parent: QWidget | None, timeline: Timeline, class_names: Sequence[str],
                 current_plot: QWidget, path: str | Path | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export")
        self._timeline = timeline
        self._class_names = tuple(class_names)
        self._plot = current_plot
        self._preset_path = None if path is None else Path(path)
        self.written_path: Path | None = None
        self.progress_dialog: QProgressDialog | None = None
        self._build()
        self.set_format(self._format_of(self._preset_path) or "png")

    # ----- widgets --------------------------------------------------------------------------
    def _build(self) -> None:
        self.kind = QComboBox()
        for key, (text, _) in FORMATS.items():
            self.kind.addItem(text, key)
        if len(self._timeline) == 0:
            for key in ANIMATION_FORMATS:
                item = self.kind.model().item(self.kind.findData(key))
                item.setEnabled(False)
                item.setToolTip("Nothing recorded yet: train a few steps first.")
        self.target = QComboBox()
        self.target.addItem("The feature plot", "plot")
        if self.parent() is not None:
            self.target.addItem("The whole window", "window")
        steps = self._timeline.steps or [0]
        self.first_step = self._spin(steps[0], steps[-1], steps[0])
        self.last_step = self._spin(steps[0], steps[-1], steps[-1])
        self.fps = self._spin(*FPS_LIMITS, 10)
        compare = len(self._timeline) > 0 and self._timeline[0].comparison is not None
        width, height = animation_size(compare)
        self.width_px, self.height_px = self._spin(*SIZE_LIMITS[0], width), self._spin(*SIZE_LIMITS[1], height)
        for spin in (self.width_px, self.height_px):
            spin.setGroupSeparatorShown(False)
        self.axes = QComboBox()
        self.axes.addItem("Fixed on the whole range", "fixed")
        self.axes.addItem("Follow the data, as the live view", "follow")
        self.summary = QLabel()
        self.error = QLabel()
        self.error.setStyleSheet("color: #B3261E")
        self.error.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setText("Export…")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self._lay_out()
        self.kind.currentIndexChanged.connect(self._on_changed)
        for spin in (self.first_step, self.last_step, self.fps):
            spin.valueChanged.connect(self._on_changed)

    def _lay_out(self) -> None:
        self.form = QFormLayout()
        self.form.addRow("Export", self.kind)
        self.form.addRow("Image of", self.target)
        self._steps_row = _pair(self.first_step, "to", self.last_step)
        self.form.addRow("Steps", self._steps_row)
        self.form.addRow("Frames per second", self.fps)
        self._size_row = _pair(self.width_px, "×", self.height_px)
        self.form.addRow("Size (pixels)", self._size_row)
        self.form.addRow("Axes", self.axes)
        self.form.addRow("", self.summary)
        layout = QVBoxLayout(self)
        layout.setSizeConstraint(QVBoxLayout.SizeConstraint.SetNoConstraint)  # offscreen Qt warns otherwise
        layout.addLayout(self.form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)

    @staticmethod
    def _spin(low: int, high: int, value: int) -> QSpinBox:
        spin = QSpinBox()
        spin.setRange(low, high)
        spin.setValue(value)
        spin.setGroupSeparatorShown(True)
        return spin

    # ----- state ----------------------------------------------------------------------------
    def format(self) -> str:
        return self.kind.currentData()

    def set_format(self, key: str) -> None:
        self.kind.setCurrentIndex(self.kind.findData(key))
        self._on_changed()

    def selected_frames(self) -> list[Frame]:
        low, high = self.first_step.value(), self.last_step.value()
        return [frame for frame in self._timeline if low <= frame.step <= high]

    @Slot()
    @guarded()
    def _on_changed(self) -> None:
        animation = self.format() in ANIMATION_FORMATS
        self.form.setRowVisible(self.target, not animation)
        for field in (self._steps_row, self.fps, self._size_row, self.axes, self.summary):
            self.form.setRowVisible(field, animation)
        count = len(self.selected_frames())
        self.summary.setText(f"{count:,} frames · {count / self.fps.value():.1f} s" if count
                             else "No recorded frames in this range.")
        self.error.clear()
        self.adjustSize()

    @staticmethod
    def _format_of(path: Path | None) -> str | None:
        suffix = None if path is None else path.suffix.lower().lstrip(".")
        return suffix if suffix in FORMATS else None

    # ----- exporting ------------------------------------------------------------------------
    @guarded()
    def accept(self) -> None:
        path = self._preset_path or self._ask_path()
        if path is None:
            return
        try:
            written = self.export_to(path)
        except (ClVizError, OSError) as error:
            self.error.setText(str(error))
            return
        if written:
            self.written_path = path
            super().accept()

    def _ask_path(self) -> Path | None:
        key = self.format()
        step = self._timeline.latest.step if self._timeline.latest is not None else 0
        name = f"cl-viz-step-{step}.{key}"
        if key in ANIMATION_FORMATS:
            name = f"cl-viz-steps-{self.first_step.value()}-{self.last_step.value()}.{key}"
        chosen, _ = QFileDialog.getSaveFileName(self, "Export", str(Path.home() / name), FORMATS[key][1])
        if not chosen:
            return None
        path = Path(chosen)
        return path if path.suffix.lower() == f".{key}" else path.with_name(f"{path.name}.{key}")

    def cancel_export(self) -> None:
        """Stop an animation being rendered (its window is closing); nothing is written."""
        if self.progress_dialog is not None and shiboken6.isValid(self.progress_dialog):
            self.progress_dialog.cancel()

    def export_to(self, path: str | Path) -> bool:
        """Write the chosen export to `path` (no file dialog); False if cancelled in the progress dialog."""
        path = Path(path)
        if self.format() not in ANIMATION_FORMATS:
            target = self._plot if self.target.currentData() == "plot" else self.parent().window()
            export_image(target, path)
            return True
        frames = self.selected_frames()
        if not frames:
            raise ClVizError("No recorded frames in this step range.")
        plot = self._plot if isinstance(self._plot, FeaturePlot) else self._plot.findChild(FeaturePlot)
        theme = "light" if plot is None else plot.theme
        self.progress_dialog = progress = QProgressDialog(f"Rendering {len(frames):,} frames…", "Cancel",
                                                          0, len(frames) + 1, self)
        progress.setWindowTitle("Export")
        progress.setWindowModality(Qt.WindowModality.WindowModal)
        progress.setMinimumDuration(0)
        progress.setValue(0)

        def report(done: int, total: int) -> bool:
            if done == total:
                progress.setLabelText(f"Writing {path.name}…")
            progress.setValue(done)  # window-modal: processes events, so Cancel can be clicked
            return not progress.wasCanceled()

        try:
            return export_animation(frames, self._class_names, path, fps=self.fps.value(),
                                    size=(self.width_px.value(), self.height_px.value()), theme=theme,
                                    axes=self.axes.currentData(), progress=report,
                                    view=None if plot is None else plot.feature_view)
        finally:
            progress.close()
            progress.deleteLater()
