"""Export: PNG/SVG of the current view, GIF/MP4 of recorded frames, and the export dialog."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import numpy as np
import pytest
from PIL import Image
from PySide6 import QtCore, QtGui, QtSvg, QtWidgets

from cl_viz.core.errors import ClVizError
from cl_viz.core.frames import Frame
from cl_viz.core.metrics import FeatureMetrics
from cl_viz.core.runner import LockstepRun
from cl_viz.core.snapshot import Snapshot
from cl_viz.core.timeline import Timeline
from cl_viz.qt.export.animation import (
    export_animation,
    frame_title,
    frames_bounds,
    render_frames,
    rgb_array,
)
from cl_viz.qt.export.dialog import ExportDialog
from cl_viz.qt.export.images import export_image
from cl_viz.qt.plot.feature_plot import FeaturePlot
from cl_viz.qt.plot.theme import SIZES, class_colors, dimmed

N_CLASSES = 10
NAMES = [f"class {k}" for k in range(N_CLASSES)]
SVG = "{http://www.w3.org/2000/svg}"
SMALL = (320, 240)
NO_CENTERS = np.full((N_CLASSES, 2), np.nan)
DIRECTIONS = np.stack([np.cos(np.arange(N_CLASSES) * 2 * np.pi / N_CLASSES),
                       np.sin(np.arange(N_CLASSES) * 2 * np.pi / N_CLASSES)], axis=1)


def snapshot(step: int, lam: float, xy: np.ndarray, labels: np.ndarray, centers: np.ndarray) -> Snapshot:
    return Snapshot(step=step, epoch=0.0, lam=lam, alpha=0.5, lr=0.05, loss_softmax=1.0, loss_center=1.0,
                    loss_total=1.0, batch_accuracy=0.5, features=xy, labels=labels, predictions=labels,
                    centers=centers, classifier_weight=np.zeros((N_CLASSES, 2)), classifier_bias=None,
                    metrics=FeatureMetrics(0.5, 0.5, 1.0, 1.0, 1.0, 1.0))


def clustered_frames(count: int = 6, compare: bool = False, per_class: int = 30,
                     spread: float = 0.4) -> list[Frame]:
    """Clusters that move outwards step by step; the twin spreads twice as far."""
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(N_CLASSES), per_class)
    noise = rng.normal(0, spread, (len(labels), 2))
    frames = []
    for index in range(count):
        radius = 2.0 + 2.0 * index
        primary = snapshot(100 * index, 0.01, DIRECTIONS[labels] * radius + noise, labels, DIRECTIONS * radius)
        twin = None
        if compare:
            twin = snapshot(100 * index, 0.0, DIRECTIONS[labels] * 2 * radius + 2 * noise, labels,
                            DIRECTIONS * 2 * radius)
        frames.append(Frame(primary, twin))
    return frames


@pytest.fixture
def plot(qtbot):
    widget = FeaturePlot()
    qtbot.addWidget(widget)
    return show_clusters(qtbot, widget)


def show_clusters(qtbot, widget: FeaturePlot) -> FeaturePlot:
    widget.set_classes(NAMES)
    widget.resize(640, 520)
    widget.show()
    qtbot.waitExposed(widget)
    frame = dense_clusters()
    widget.axes.set_fixed_range(-10, 10, -10, 10)
    widget.show_frame(frame.features, frame.labels, NO_CENTERS)  # markers would hide the cloud's middle
    return widget


def dense_clusters() -> Snapshot:
    """Clusters at radius 6, dense enough that their middles show the pure class colour."""
    return clustered_frames(count=3, per_class=200, spread=0.25)[-1].primary


def plot_pixel(plot: FeaturePlot, x: float, y: float) -> tuple[int, int]:
    """Where data point (x, y) lands in an export of plot.plot_item."""
    scene = plot.view_box.mapViewToScene(QtCore.QPointF(x, y)) - plot.plot_item.sceneBoundingRect().topLeft()
    return round(scene.x()), round(scene.y())


def nearest_class(rgb: np.ndarray) -> int:
    palette = class_colors(N_CLASSES)[:, :3].astype(float)
    return int(np.argmin(np.linalg.norm(palette - rgb, axis=1)))


def assert_clusters_drawn(rgb: np.ndarray, plot: FeaturePlot, radius: float = 6.0) -> None:
    for k, (x, y) in enumerate(DIRECTIONS * radius):
        px, py = plot_pixel(plot, x, y)
        patch = rgb[py - 4:py + 5, px - 4:px + 5].reshape(-1, 3).astype(float)
        inked = patch[np.abs(255.0 - patch).sum(axis=1) > 60]
        assert len(inked) > 5, f"class {k}: no points drawn"
        assert nearest_class(np.median(inked, axis=0)) == k


def render_svg(path, size: QtCore.QSize) -> np.ndarray:
    image = QtGui.QImage(size, QtGui.QImage.Format.Format_RGB32)
    image.fill(QtGui.QColor("white"))
    painter = QtGui.QPainter(image)
    QtSvg.QSvgRenderer(str(path)).render(painter)
    painter.end()
    return rgb_array(image)


def point_circles(path) -> dict[str, int]:
    """Circles of the point radius (2 px) per fill colour."""
    counts: dict[str, int] = {}
    for group in ET.parse(path).getroot().iter(f"{SVG}g"):
        circles = [c for c in group.findall(f"{SVG}circle") if float(c.get("r")) == 2.0]
        if circles:
            counts[group.get("fill")] = counts.get(group.get("fill"), 0) + len(circles)
    return counts


# ----- still images ---------------------------------------------------------------------------


def test_png_of_plot(plot, tmp_path):
    path = export_image(plot, tmp_path / "view.png")
    with Image.open(path) as image:
        assert image.format == "PNG"
        size = plot.plot_item.sceneBoundingRect().size().toSize()
        assert image.size == (size.width(), size.height())
        rgb = np.array(image.convert("RGB"))
    assert_clusters_drawn(rgb, plot)


def test_svg_of_plot_has_every_point_as_a_vector_circle(plot, tmp_path):
    path = export_image(plot, tmp_path / "view.svg")
    root = ET.parse(path).getroot()  # well-formed XML
    assert root.tag == f"{SVG}svg"
    assert not list(root.iter(f"{SVG}image"))  # no bitmap sprites
    counts = point_circles(path)
    assert sum(counts.values()) == plot.point_count
    colours = {QtGui.QColor(*rgba[:3]).name() for rgba in class_colors(N_CLASSES)}
    assert set(counts) == colours


def test_svg_points_land_where_the_plot_draws_them(plot, tmp_path):
    path = export_image(plot, tmp_path / "view.svg")
    size = plot.plot_item.sceneBoundingRect().size().toSize()
    assert_clusters_drawn(render_svg(path, size), plot)


def test_svg_leaves_out_points_outside_the_view(plot, tmp_path):
    frame = dense_clusters()
    features = frame.features.copy()
    features[:100] = 1e3
    plot.show_frame(features, frame.labels, frame.centers)
    assert sum(point_circles(export_image(plot, tmp_path / "view.svg")).values()) == len(features) - 100


def test_whole_window_png_and_svg(qtbot, tmp_path):
    window = QtWidgets.QWidget()
    qtbot.addWidget(window)
    layout = QtWidgets.QHBoxLayout(window)
    layout.setSizeConstraint(QtWidgets.QLayout.SizeConstraint.SetNoConstraint)
    layout.addWidget(QtWidgets.QLabel("controls"))
    plot = FeaturePlot(window)
    layout.addWidget(plot)
    show_clusters(qtbot, plot)
    window.resize(800, 560)
    window.show()
    qtbot.waitExposed(window)
    with Image.open(export_image(window, tmp_path / "window.png")) as image:
        ratio = window.devicePixelRatioF()
        assert image.size == (round(800 * ratio), round(560 * ratio))
    assert sum(point_circles(export_image(window, tmp_path / "window.svg")).values()) == plot.point_count


@pytest.mark.parametrize("name", ["view.jpg", "view", "view.gif"])
def test_unknown_image_suffix_raises(plot, tmp_path, name):
    with pytest.raises(ClVizError, match="must end in"):
        export_image(plot, tmp_path / name)
    assert not list(tmp_path.iterdir())


def test_missing_folder_raises(plot, tmp_path):
    with pytest.raises(ClVizError, match="does not exist"):
        export_image(plot, tmp_path / "nowhere" / "view.png")
    with pytest.raises(ClVizError, match="does not exist"):
        export_animation(clustered_frames(2), NAMES, tmp_path / "nowhere" / "a.gif")


# ----- animations -----------------------------------------------------------------------------


def gif_frames(path) -> list[np.ndarray]:
    with Image.open(path) as image:
        frames = []
        for index in range(image.n_frames):
            image.seek(index)
            frames.append(np.array(image.convert("RGB")))
        return frames


def test_gif_has_one_frame_per_step_and_they_differ(qtbot, tmp_path):
    frames = clustered_frames(6)
    assert export_animation(frames, NAMES, tmp_path / "run.gif", fps=10, size=SMALL) is True
    with Image.open(tmp_path / "run.gif") as image:
        assert image.n_frames == 6
        assert image.size == SMALL
        assert image.info["duration"] == 100
        assert image.info["loop"] == 0
    decoded = gif_frames(tmp_path / "run.gif")
    for before, after in zip(decoded, decoded[1:]):
        assert (before != after).any()


def test_mp4_decodes_with_the_right_frame_count_and_even_size(qtbot, tmp_path, decode_mp4):
    frames = clustered_frames(8, compare=True)
    assert export_animation(frames, NAMES, tmp_path / "run.mp4", fps=5, size=(641, 241)) is True
    description, decoded = decode_mp4(tmp_path / "run.mp4", 640, 240)
    assert "h264" in description and "yuv420p" in description and "640x240" in description
    assert "5 fps" in description
    assert abs(len(decoded) - 8) <= 1
    assert (decoded[0] != decoded[-1]).any()


@pytest.mark.parametrize("suffix", ["gif", "mp4"])
def test_cancel_leaves_no_file(qtbot, tmp_path, suffix):
    calls = []

    def progress(done: int, total: int) -> bool:
        calls.append((done, total))
        return done < 2

    path = tmp_path / f"run.{suffix}"
    assert export_animation(clustered_frames(6), NAMES, path, size=SMALL, progress=progress) is False
    assert calls == [(1, 6), (2, 6)]
    assert not list(tmp_path.iterdir())


def test_cancel_keeps_an_existing_file(qtbot, tmp_path):
    path = tmp_path / "run.gif"
    path.write_bytes(b"older export")
    assert export_animation(clustered_frames(4), NAMES, path, size=SMALL, progress=lambda d, t: False) is False
    assert path.read_bytes() == b"older export"
    assert [p.name for p in tmp_path.iterdir()] == ["run.gif"]


@pytest.mark.parametrize("name", ["run.avi", "run.png", "run"])
def test_unknown_animation_suffix_raises(qtbot, tmp_path, name):
    with pytest.raises(ClVizError, match="must end in"):
        export_animation(clustered_frames(2), NAMES, tmp_path / name)


@pytest.mark.parametrize("changes, match", [({"fps": 0}, "frames per second"), ({"size": (10, 10)}, "size"),
                                            ({"theme": "pink"}, "theme"), ({"axes": "auto"}, "axes")])
def test_bad_animation_settings_raise(qtbot, tmp_path, changes, match):
    with pytest.raises(ClVizError, match=match):
        export_animation(clustered_frames(2), NAMES, tmp_path / "run.gif", **changes)
    assert not list(tmp_path.iterdir())


def test_no_frames_raises(qtbot, tmp_path):
    with pytest.raises(ClVizError, match="no recorded frames"):
        export_animation([], NAMES, tmp_path / "run.gif")


def test_comparison_frames_render_side_by_side_from_a_lockstep_run(qtbot, small_config, digits):
    run = LockstepRun(small_config, compare=True, dataset=digits)
    frames = [run.frame(include_batch=False)]
    run.train_step()
    frames.append(run.frame(include_batch=False))
    images = list(render_frames(frames, run.info.class_names, size=(480, 240)))
    assert [image.shape for image in images] == [(240, 480, 3)] * 2
    for half in (images[-1][:, :240], images[-1][:, 240:]):
        assert (half < 200).any()  # both plots drew something dark (axes, markers, title)
    assert (images[0] != images[-1]).any()


def test_fixed_axes_cover_every_frame_and_skip_non_finite_values():
    frames = clustered_frames(4)
    last = frames[-1].primary
    features = last.features.copy()
    features[:5] = np.nan
    features[5:7] = np.inf
    centers = last.centers.copy()
    centers[0] = np.inf
    frames[-1] = Frame(snapshot(last.step, last.lam, features, last.labels, centers), None)
    bounds = frames_bounds(frames)
    assert np.isfinite(bounds).all()
    finite = features[np.isfinite(features).all(axis=1)]
    assert bounds[0, 0] < finite[:, 0].min() and bounds[0, 1] > finite[:, 0].max()
    assert bounds[1, 0] < finite[:, 1].min() and bounds[1, 1] > finite[:, 1].max()


def test_non_finite_frames_render(qtbot):
    frame = clustered_frames(1)[0].primary
    nan_frame = Frame(snapshot(1, 0.01, np.full_like(frame.features, np.nan), frame.labels,
                               np.full_like(frame.centers, np.inf)), None)
    images = list(render_frames([Frame(frame, None), nan_frame], NAMES, size=SMALL))
    assert len(images) == 2


def test_follow_axes_render(qtbot):
    images = list(render_frames(clustered_frames(3, compare=True), NAMES, size=(480, 240), axes="follow"))
    assert len(images) == 3


def test_titles_give_step_and_lambda():
    frame = clustered_frames(1, compare=True)[0]
    assert frame_title(snapshot(1200, 0.01, frame.primary.features, frame.primary.labels,
                                frame.primary.centers)) == "step 1,200 · center loss λ = 0.01"
    assert frame_title(frame.comparison) == "step 0 · softmax only (λ = 0)"


# ----- dialog ---------------------------------------------------------------------------------


def dialog(qtbot, plot, path, frames=None) -> ExportDialog:
    timeline = Timeline.from_frames(clustered_frames(6) if frames is None else frames)
    widget = ExportDialog(None, timeline, NAMES, plot, path=path)
    qtbot.addWidget(widget)
    return widget


def test_dialog_exports_png_with_a_preset_path(qtbot, plot, tmp_path):
    widget = dialog(qtbot, plot, tmp_path / "view.png")
    assert widget.format() == "png"
    widget.accept()
    assert widget.result() == QtWidgets.QDialog.DialogCode.Accepted
    assert widget.written_path == tmp_path / "view.png"
    with Image.open(widget.written_path) as image:
        assert image.format == "PNG"


def test_dialog_exports_a_step_range_as_gif(qtbot, plot, tmp_path):
    widget = dialog(qtbot, plot, tmp_path / "run.gif")
    assert widget.format() == "gif"
    widget.first_step.setValue(100)
    widget.last_step.setValue(300)
    widget.width_px.setValue(SMALL[0])
    widget.height_px.setValue(SMALL[1])
    assert widget.summary.text().startswith("3 frames")
    widget.accept()
    assert widget.result() == QtWidgets.QDialog.DialogCode.Accepted
    with Image.open(tmp_path / "run.gif") as image:
        assert (image.n_frames, image.size) == (3, SMALL)


def test_dialog_cancel_in_the_progress_dialog_leaves_no_file(qtbot, plot, tmp_path):
    widget = dialog(qtbot, plot, tmp_path / "run.mp4")
    widget.width_px.setValue(SMALL[0])
    widget.height_px.setValue(SMALL[1])
    # fires inside the progress dialog's own event processing, as a click on Cancel would
    QtCore.QTimer.singleShot(0, lambda: widget.progress_dialog.cancel())
    widget.accept()
    assert widget.written_path is None
    assert widget.result() != QtWidgets.QDialog.DialogCode.Accepted
    assert not list(tmp_path.iterdir())


def test_dialog_shows_errors_instead_of_raising(qtbot, plot, tmp_path):
    widget = dialog(qtbot, plot, tmp_path / "run.gif")
    widget.first_step.setValue(500)
    widget.last_step.setValue(0)
    assert "No recorded frames" in widget.summary.text()
    widget.accept()
    assert "No recorded frames" in widget.error.text()
    assert not list(tmp_path.iterdir())


def test_dialog_without_frames_offers_only_images(qtbot, plot, tmp_path):
    widget = dialog(qtbot, plot, None, frames=[])
    model = widget.kind.model()
    enabled = {widget.kind.itemData(i): model.item(i).isEnabled() for i in range(widget.kind.count())}
    assert enabled == {"png": True, "svg": True, "gif": False, "mp4": False}


def test_svg_keeps_highlight_and_batch_rings(plot, tmp_path):
    frame = dense_clusters()
    plot.highlight_class(3)
    plot.set_batch(frame.features[::50], frame.labels[::50])
    path = export_image(plot, tmp_path / "view.svg")
    background = QtGui.QColor("white")
    highlighted = QtGui.QColor(*class_colors(N_CLASSES)[3][:3]).name()
    dim = {dimmed(rgba, background).name() for k, rgba in enumerate(class_colors(N_CLASSES)) if k != 3}
    assert set(point_circles(path)) == dim | {highlighted}
    ring_radius = (SIZES.batch - SIZES.batch_ring) / 2
    rings = [c for c in ET.parse(path).getroot().iter(f"{SVG}circle") if float(c.get("r")) == ring_radius]
    assert len(rings) == len(frame.features[::50])


def test_dialog_shows_only_the_rows_of_the_chosen_format(qtbot, plot):
    widget = dialog(qtbot, plot, None)
    widget.show()
    qtbot.waitExposed(widget)
    assert widget.target.isVisible() and not widget.fps.isVisible()
    widget.set_format("mp4")
    assert widget.fps.isVisible() and widget.first_step.isVisible() and not widget.target.isVisible()
    assert widget.summary.text() == "6 frames · 0.6 s"
