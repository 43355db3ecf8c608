"""Export a range of recorded frames as an animation (GIF, MP4). No dialogs here.

Animations are drawn by the app's own FeaturePlot in an offscreen widget, one frame at a time, on
the GUI thread. The axes stay fixed on the union of every frame's robust bounds (the same bounds
follow mode steers toward), so the animation never jumps and growing feature norms stay visible;
`axes="follow"` glides them as the app does instead.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing
from pathlib import Path

import numpy as np
from PIL import Image
from PySide6 import QtCore, QtGui, QtWidgets

from cl_viz.core.errors import ClVizError
from cl_viz.core.frames import Frame
from cl_viz.core.projection import FeatureView
from cl_viz.core.snapshot import Snapshot
from cl_viz.qt.export.images import check_folder, export_format
from cl_viz.qt.plot.axes import AXIS_MODES, AxesLink
from cl_viz.qt.plot.feature_plot import FeaturePlot
from cl_viz.qt.plot.geometry import shown_bounds, union_bounds
from cl_viz.qt.plot.theme import THEMES

ANIMATION_FORMATS = ("gif", "mp4")
PLOT_SIZE = (600, 560)  # default pixels of one plot in an animation; a comparison puts two side by side
SIZE_LIMITS = ((160, 3840), (120, 2160))
FPS_LIMITS = (1, 50)  # GIF delays are whole centiseconds and viewers slow anything faster than 50 fps
MP4_CRF = "18"  # libx264 quality: visually lossless for flat plot graphics
FOLLOW_FRACTION = 0.5  # recorded frames lie far apart: "follow" glides faster than the live view (0.2)

Progress = Callable[[int, int], bool]


# ----- animation frames -----------------------------------------------------------------------


def animation_size(compare: bool) -> tuple[int, int]:
    """Default pixel size of an animation: one plot, or two side by side."""
    width, height = PLOT_SIZE
    return (2 * width if compare else width, height)


def frame_title(snapshot: Snapshot) -> str:
    loss = f"center loss λ = {snapshot.lam:g}" if snapshot.lam > 0 else "softmax only (λ = 0)"
    return f"step {snapshot.step:,} · {loss}"


def frames_bounds(frames: Sequence[Frame], view: FeatureView | None = None) -> np.ndarray | None:
    """[[xmin, xmax], [ymin, ymax]] covering every frame's robust bounds as `view` draws them (None: nothing finite)."""
    view = view or FeatureView()
    return union_bounds(shown_bounds(view, snapshot.features, snapshot.centers)
                        for frame in frames for snapshot in (frame.primary, frame.comparison) if snapshot is not None)


class FrameCanvas(QtWidgets.QWidget):
    """Offscreen: the app's FeaturePlot (two side by side for a comparison) drawn into RGB arrays."""

    def __init__(self, class_names: Sequence[str], compare: bool, size: tuple[int, int],
                 theme: str = "light", view: FeatureView | None = None) -> None:
        super().__init__()
        self.setAttribute(QtCore.Qt.WidgetAttribute.WA_DontShowOnScreen)
        self.setAttribute(QtCore.Qt.WidgetAttribute.WA_QuitOnClose, False)
        self.plots = [FeaturePlot(theme=theme, follow_fraction=FOLLOW_FRACTION) for _ in range(2 if compare else 1)]
        layout = QtWidgets.QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.setSizeConstraint(QtWidgets.QLayout.SizeConstraint.SetNoConstraint)
        for plot in self.plots:
            plot.set_classes(class_names)
            if view is not None:  # the app's circle or sphere view, turned as it is there
                plot.set_normalised(view.normalise)
                plot.set_rotation(view.rotation)
            layout.addWidget(plot)
        self._background = QtGui.QColor(THEMES[theme].background)
        self.resize(*size)
        self.show()
        _settle_layouts()

    def set_axes(self, mode: str, bounds: np.ndarray | None) -> None:
        """"fixed" on `bounds` (when known) or "follow", with both plots following their union."""
        if len(self.plots) == 2:  # linked as in the main window
            AxesLink(self.plots)
        for plot in self.plots:
            if mode == "fixed" and bounds is not None:
                plot.axes.set_fixed_range(*bounds[0], *bounds[1])
            else:
                plot.axes.set_mode(mode)

    def draw(self, frame: Frame) -> np.ndarray:
        """(height, width, 3) uint8 RGB image of one frame."""
        partner_bounds = None  # the leading primary follows the twin's frame too, as in the main window
        if len(self.plots) == 2 and frame.comparison is not None:
            partner_bounds = self.plots[1].frame_bounds(frame.comparison.features, frame.comparison.centers)
        for plot, snapshot in zip(self.plots, (frame.primary, frame.comparison)):
            if snapshot is None:
                continue
            plot.show_frame(snapshot.features, snapshot.labels, snapshot.centers,
                            partner_bounds=partner_bounds if plot is self.plots[0] else None)
            plot.set_title(frame_title(snapshot))
        _settle_layouts()
        image = QtGui.QImage(self.width(), self.height(), QtGui.QImage.Format.Format_RGB32)
        image.fill(self._background)
        self.render(image)
        return rgb_array(image)


def _settle_layouts() -> None:
    """Apply pending layout requests now (a new title resizes the title row) without running the event loop."""
    QtWidgets.QApplication.sendPostedEvents(None, QtCore.QEvent.Type.LayoutRequest)


def rgb_array(image: QtGui.QImage) -> np.ndarray:
    image = image.convertToFormat(QtGui.QImage.Format.Format_RGB888)
    width, height = image.width(), image.height()
    rows = np.frombuffer(image.constBits(), np.uint8).reshape(height, image.bytesPerLine())
    return rows[:, :3 * width].reshape(height, width, 3).copy()


def render_frames(frames: Sequence[Frame], class_names: Sequence[str], size: tuple[int, int] | None = None,
                  theme: str = "light", axes: str = "fixed", view: FeatureView | None = None) -> Iterator[np.ndarray]:
    """Yield one RGB image per frame, drawn by FeaturePlot on the GUI thread; titles give step and λ."""
    frames = list(frames)
    if not frames:
        raise ClVizError("there are no recorded frames to export")
    if theme not in THEMES:
        raise ClVizError(f"theme must be one of {sorted(THEMES)}, got {theme!r}")
    if axes not in AXIS_MODES:
        raise ClVizError(f"axes must be one of {AXIS_MODES}, got {axes!r}")
    compare = frames[0].comparison is not None
    size = _checked_size(animation_size(compare) if size is None else size)
    canvas = FrameCanvas(class_names, compare, size, theme, view)
    try:
        canvas.set_axes(axes, frames_bounds(frames, view) if axes == "fixed" else None)
        for frame in frames:
            yield canvas.draw(frame)
    finally:
        canvas.close()
        canvas.deleteLater()


def _checked_size(size: tuple[int, int]) -> tuple[int, int]:
    width, height = (int(value) for value in size)
    (min_w, max_w), (min_h, max_h) = SIZE_LIMITS
    if not (min_w <= width <= max_w and min_h <= height <= max_h):
        raise ClVizError(f"animation size must be {min_w}–{max_w} × {min_h}–{max_h} pixels, got {width} × {height}")
    return width, height


# ----- animation files ------------------------------------------------------------------------


class GifWriter:
    """Frames quantised to one palette (taken from the first frame: no colour flicker, small deltas)."""

    def __init__(self, path: str, fps: float) -> None:
        self._path = path
        self._duration = max(20, round(100.0 / fps) * 10)  # GIF delays are whole centiseconds
        self._palette: Image.Image | None = None
        self._frames: list[Image.Image] = []

    def add(self, rgb: np.ndarray) -> None:
        image = Image.fromarray(rgb)
        if self._palette is None:
            self._palette = image.quantize(colors=256, method=Image.Quantize.MEDIANCUT)
        self._frames.append(image.quantize(palette=self._palette, dither=Image.Dither.NONE))

    def close(self) -> None:
        first, *rest = self._frames
        first.save(self._path, format="GIF", save_all=True, append_images=rest, duration=self._duration,
                   loop=0, optimize=True)


class Mp4Writer:
    """H.264 in yuv420p (what every player and slide program accepts), streamed to ffmpeg."""

    def __init__(self, path: str, fps: float) -> None:
        try:
            import imageio.v2 as imageio
        except ImportError as error:
            raise ClVizError("MP4 export needs the packages imageio and imageio-ffmpeg") from error
        self._writer = imageio.get_writer(
            path, format="FFMPEG", mode="I", fps=fps, codec="libx264", pixelformat="yuv420p",
            macro_block_size=2, quality=None, output_params=["-crf", MP4_CRF], ffmpeg_log_level="error")

    def add(self, rgb: np.ndarray) -> None:
        self._writer.append_data(rgb)

    def close(self) -> None:
        self._writer.close()


def export_animation(frames: Sequence[Frame], class_names: Sequence[str], path, fps: float = 10,
                     size: tuple[int, int] | None = None, theme: str = "light", axes: str = "fixed",
                     progress: Progress | None = None, view: FeatureView | None = None) -> bool:
    """Write frames as a GIF or MP4 (by suffix). progress(done, total) returning False cancels.

    Returns False when cancelled. The file appears only when complete (written under a temporary
    name, then renamed), so a cancelled or failed export leaves nothing behind.
    """
    path = Path(path)
    kind = export_format(path, ANIMATION_FORMATS)
    check_folder(path)
    if not FPS_LIMITS[0] <= fps <= FPS_LIMITS[1]:
        raise ClVizError(f"frames per second must be {FPS_LIMITS[0]}–{FPS_LIMITS[1]}, got {fps:g}")
    frames = list(frames)
    if kind == "mp4" and size is not None:
        size = (int(size[0]) // 2 * 2, int(size[1]) // 2 * 2)  # yuv420p needs even sides
    images = render_frames(frames, class_names, size, theme, axes, view)
    partial = str(path.with_name(f".{path.stem}.partial.{kind}"))  # ffmpeg picks the container by suffix
    writer = None
    try:
        writer = GifWriter(partial, fps) if kind == "gif" else Mp4Writer(partial, fps)
        with closing(images):
            for done, image in enumerate(images, start=1):
                writer.add(image)
                if progress is not None and progress(done, len(frames)) is False:
                    _discard(writer, partial)
                    return False
        writer.close()
        os.replace(partial, path)
    except BaseException:
        _discard(writer, partial)
        raise
    return True


def _discard(writer, partial: str) -> None:
    if isinstance(writer, Mp4Writer):
        try:
            writer.close()  # ends ffmpeg before its output file goes
        except Exception:  # noqa: BLE001 (already failing or cancelled: only the cleanup matters)
            pass
    Path(partial).unlink(missing_ok=True)
