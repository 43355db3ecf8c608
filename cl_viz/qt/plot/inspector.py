"""Hover and click inspection of the feature plot, and legend hover.

Hovering a probe point (within PICK_RADIUS_PX screen pixels) shows a small panel: the digit, its
true and predicted class (red when wrong), its distance to its own center and the nearest other
center; for an angular head, also its angle to each class direction W_j and its true class's margin
term with the margin applied at that step (cl_viz.core.point_angles). A click pins the panel (it
then follows its point as training moves it); Esc or a click on empty space unpins it, and leaving
the plot hides an unpinned panel. Hovering a legend row highlights that class; clicking a legend
entry toggles a lasting highlight.

The panel is a QFrame overlaid on the FeaturePlot, not a scene item, so it keeps its size whatever
the zoom and never enters the data bounds that follow mode steers by. Mouse moves are read by an
event filter on the view's viewport (pyqtgraph's own sigMouseMoved drops moves closer than its rate
limit, including the last one) and handled at most HOVER_INTERVAL_MS apart.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from cl_viz.core.point_angles import PointAngles, point_angles
from cl_viz.qt.common.guard import guarded
from cl_viz.qt.common.pyqtgraph_private import legend_rows
from cl_viz.qt.plot.geometry import map_to_device, pixel_size
from cl_viz.qt.plot.regions import Throttle
from cl_viz.qt.plot.theme import THEMES

if TYPE_CHECKING:
    from cl_viz.core.snapshot import Snapshot
    from cl_viz.qt.plot.feature_plot import FeaturePlot

PICK_RADIUS_PX = 8.0
HOVER_INTERVAL_MS = 33  # ≤ 30 hover updates a second
DIGIT_PX = 84  # 28 × 3, nearest-neighbour: crisp pixels (other sizes fit inside it)
PANEL_OFFSET_PX = 14
WRONG_COLORS = {"light": "#C62828", "dark": "#FF6B6B"}  # a wrong prediction, readable on each theme
RING_RADIUS_PX = 7.0
RING_Z = 3.0  # above the center markers


def pick_nearest(xy: np.ndarray, x: float, y: float, pixel_w: float, pixel_h: float,
                 radius_px: float = PICK_RADIUS_PX) -> int | None:
    """Row of xy (N, 2) nearest to (x, y) in screen pixels, if within radius_px; NaN rows never match."""
    if not (pixel_w > 0 and pixel_h > 0) or len(xy) == 0:
        return None
    dx = (xy[:, 0] - x) * (1.0 / pixel_w)
    dy = (xy[:, 1] - y) * (1.0 / pixel_h)
    candidates = np.flatnonzero((np.abs(dx) <= radius_px) & (np.abs(dy) <= radius_px))
    if len(candidates) == 0:
        return None
    d2 = dx[candidates] ** 2 + dy[candidates] ** 2
    best = int(np.argmin(d2))
    return int(candidates[best]) if d2[best] <= radius_px ** 2 else None


@dataclass(frozen=True)
class PointReport:
    """What the panel says about probe point `index` (distances in feature space, all D dimensions)."""

    index: int
    label: int
    prediction: int
    own_distance: float  # ‖x − c_y‖
    nearest_other: int | None  # the closest center of another class (None if none is finite)
    nearest_other_distance: float
    angles: PointAngles | None = None  # an angular head's view of the point


def describe_point(snapshot: Snapshot, index: int) -> PointReport:
    x = np.asarray(snapshot.features[index], dtype=np.float64)
    centers = np.asarray(snapshot.centers, dtype=np.float64)
    label = int(snapshot.labels[index])
    distances = np.linalg.norm(centers - x, axis=1)
    others = np.where(np.isfinite(distances), distances, np.inf)
    others[label] = np.inf
    nearest = int(np.argmin(others)) if np.isfinite(others).any() else None
    angles = point_angles(x, snapshot.classifier_weight, label, snapshot.head, snapshot.margin,
                          snapshot.effective_margin, snapshot.step)
    return PointReport(index, label, int(snapshot.predictions[index]), float(distances[label]),
                       nearest, float(others[nearest]) if nearest is not None else float("nan"), angles)


def digit_pixmap(image: np.ndarray, side: int = DIGIT_PX) -> QtGui.QPixmap:
    """A grey (H, W) or colour (3, H, W) uint8 image scaled to side × side without smoothing."""
    colour = image.ndim == 3
    pixels = np.ascontiguousarray(image.transpose(1, 2, 0) if colour else image, dtype=np.uint8)
    qimage = QtGui.QImage(pixels.data, pixels.shape[1], pixels.shape[0], pixels.strides[0],
                          QtGui.QImage.Format.Format_RGB888 if colour else QtGui.QImage.Format.Format_Grayscale8)
    return QtGui.QPixmap.fromImage(qimage.scaled(side, side, QtCore.Qt.AspectRatioMode.KeepAspectRatio,
                                                 QtCore.Qt.TransformationMode.FastTransformation))


class FocusRingItem(pg.GraphicsObject):
    """A ring of fixed pixel size around the inspected point; solid when pinned, dashed on hover."""

    def __init__(self) -> None:
        super().__init__()
        self._pen = QtGui.QPen(QtGui.QColor("black"), 2.0)
        self.setZValue(RING_Z)
        self.hide()

    def set_color(self, color: str) -> None:
        self._pen.setColor(QtGui.QColor(color))
        self.update()

    def set_pinned(self, pinned: bool) -> None:
        self._pen.setStyle(QtCore.Qt.PenStyle.SolidLine if pinned else QtCore.Qt.PenStyle.DashLine)
        self.update()

    @guarded(fallback=QtCore.QRectF)
    def boundingRect(self) -> QtCore.QRectF:  # noqa: N802 (Qt override)
        px, py = pixel_size(self)
        rx, ry = px * (RING_RADIUS_PX + 3.0), py * (RING_RADIUS_PX + 3.0)
        return QtCore.QRectF(-rx, -ry, 2 * rx, 2 * ry)

    @guarded()
    def viewTransformChanged(self) -> None:  # noqa: N802 (Qt override)
        self.prepareGeometryChange()
        super().viewTransformChanged()

    @guarded()
    def paint(self, painter, option, widget=None) -> None:
        x, y = map_to_device(painter.transform(), np.zeros((1, 2)))[0]
        painter.resetTransform()
        painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
        painter.setPen(self._pen)
        painter.setBrush(QtCore.Qt.BrushStyle.NoBrush)
        painter.drawEllipse(QtCore.QPointF(x, y), RING_RADIUS_PX, RING_RADIUS_PX)


class InspectorPanel(QtWidgets.QFrame):
    """The floating panel: digit on the left, facts on the right. Transparent to the mouse."""

    def __init__(self, parent: QtWidgets.QWidget) -> None:
        super().__init__(parent)
        self.setAttribute(QtCore.Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setFocusPolicy(QtCore.Qt.FocusPolicy.NoFocus)
        self.setObjectName("inspector")
        self.digit = QtWidgets.QLabel()
        self.digit.setFixedSize(DIGIT_PX, DIGIT_PX)
        self.text = QtWidgets.QLabel()
        self.text.setTextFormat(QtCore.Qt.TextFormat.RichText)
        self.wrong_color = WRONG_COLORS["light"]
        layout = QtWidgets.QHBoxLayout(self)
        layout.setContentsMargins(6, 6, 8, 6)
        layout.addWidget(self.digit)
        layout.addWidget(self.text)
        self.hide()

    def set_theme(self, name: str) -> None:
        theme = THEMES[name]
        chip = QtGui.QColor(*theme.chip[:3])
        self.wrong_color = WRONG_COLORS[name]
        self.setStyleSheet(f"#inspector {{ background: {chip.name()}; border: 1px solid {theme.axis};"
                           f" border-radius: 4px; }} QLabel {{ color: {theme.text}; background: transparent; }}")

    def show_report(self, report: PointReport, names: tuple[str, ...], pinned: bool) -> None:
        def name(k: int) -> str:
            return html.escape(names[k] if 0 <= k < len(names) else str(k))

        predicted = f"<b>{name(report.prediction)}</b>"
        if report.prediction != report.label:
            predicted = f'<span style="color:{self.wrong_color}">{predicted}</span>'
        lines = [f"probe #{report.index}{' · pinned' if pinned else ''}",
                 f"true <b>{name(report.label)}</b> · predicted {predicted}",
                 f"‖x − c<sub>y</sub>‖ = {report.own_distance:.3g}"]
        if report.nearest_other is not None:
            closer = " (closer!)" if report.nearest_other_distance < report.own_distance else ""
            lines.append(f"nearest other center: <b>{name(report.nearest_other)}</b>"
                         f" at {report.nearest_other_distance:.3g}{closer}")
        if report.angles is not None:
            lines += angle_lines(report.angles, report.label)
        self.text.setText("<br>".join(lines))
        self.adjustSize()


ANGLES_PER_LINE = 5
MARGIN_TERMS = {"cosface": "cos θ<sub>y</sub> − m", "arcface": "cos(θ<sub>y</sub> + m)",
                "sphereface": "(λ<sub>s</sub>·cos θ<sub>y</sub> + ψ(θ<sub>y</sub>)) / (1 + λ<sub>s</sub>)"}


def angle_lines(angles: PointAngles, label: int) -> list[str]:
    """θ_j to each class direction (the true class in bold), then the true class's margin term."""
    items = [f"<b>{j}: {theta:.0f}°</b>" if j == label else f"{j}: {theta:.0f}°"
             for j, theta in enumerate(angles.degrees)]
    lines = ["θ to W<sub>j</sub>: " + " · ".join(items[:ANGLES_PER_LINE])]
    lines += [" · ".join(items[start:start + ANGLES_PER_LINE]) for start in range(ANGLES_PER_LINE, len(items),
                                                                                  ANGLES_PER_LINE)]
    lines.append(f"cos θ<sub>y</sub> = {angles.cos_target:.3f}")
    if angles.margin_term is not None:
        given = f"m = {angles.margin:.3g}"
        if angles.sphere_lambda is not None:
            given += f", λ<sub>s</sub> = {angles.sphere_lambda:.3g}"
        lines.append(f"{MARGIN_TERMS[angles.head]} = <b>{angles.margin_term:.3f}</b> ({given})")
    return lines


class PlotInspector(QtCore.QObject):
    """Hover/click inspection and legend hover for one FeaturePlot (created by it)."""

    def __init__(self, host: FeaturePlot, view: pg.PlotWidget) -> None:
        super().__init__(host)
        self._host, self._view = host, view
        self._panel = InspectorPanel(host)
        self._ring = FocusRingItem()
        host.view_box.addItem(self._ring, ignoreBounds=True)
        self._snapshot: Snapshot | None = None
        self._images: np.ndarray | None = None
        self._index: int | None = None
        self._digit_key: tuple[int, int] | None = None
        self._pinned = False
        self._hover_pos: QtCore.QPointF | None = None
        self._legend_hover: int | None = None
        self._legend_sticky: int | None = None
        self.hover_updates = 0
        self._throttle = Throttle(HOVER_INTERVAL_MS, self._update, self)
        view.viewport().installEventFilter(self)
        host.installEventFilter(self)
        view.scene().sigMouseClicked.connect(self._on_scene_clicked)
        host.legend.sigSampleClicked.connect(self._on_legend_sample_clicked)
        host.view_box.sigRangeChanged.connect(self._on_view_changed)

    # state for tests and the host -------------------------------------------
    @property
    def panel(self) -> InspectorPanel:
        return self._panel

    @property
    def index(self) -> int | None:
        """Probe row shown in the panel (None: hidden)."""
        return self._index if self._panel.isVisible() else None

    @property
    def pinned(self) -> bool:
        return self._pinned

    def set_data(self, snapshot: Snapshot | None, probe_images: np.ndarray | None) -> None:
        """Keep references; a visible panel refreshes from the throttle, not here."""
        self._snapshot, self._images = snapshot, probe_images
        if self._panel.isVisible():
            self._throttle.request()

    def set_theme(self, name: str) -> None:
        self._panel.set_theme(name)
        self._ring.set_color(THEMES[name].text)

    def clear(self) -> None:
        self._snapshot = self._images = self._digit_key = None
        self._legend_hover = self._legend_sticky = None
        self._hide()

    # events ---------------------------------------------------------------
    @guarded(fallback=False)
    def eventFilter(self, watched, event) -> bool:  # noqa: N802 (Qt override)
        kind = event.type()
        if kind == QtCore.QEvent.Type.MouseMove and event.buttons() == QtCore.Qt.MouseButton.NoButton:
            self._hover_pos = event.position()
            self._throttle.request()
        elif kind == QtCore.QEvent.Type.Leave and watched is self._view.viewport():
            self._hover_pos = None
            self._set_legend_hover(None)
            if not self._pinned:
                self._hide()
        elif (kind == QtCore.QEvent.Type.KeyPress and watched is self._host
              and event.key() == QtCore.Qt.Key.Key_Escape and self._pinned):
            self._hide()
            return True
        return False

    @QtCore.Slot(object)
    @guarded()
    def _on_scene_clicked(self, event) -> None:
        if event.button() != QtCore.Qt.MouseButton.LeftButton or event.isAccepted():
            return  # an item (a legend swatch) has handled it
        scene_pos = event.scenePos()
        legend_row = self._legend_row(scene_pos)
        if legend_row is not None:
            self._toggle_sticky(legend_row)
        elif self._host.view_box.sceneBoundingRect().contains(scene_pos):
            index = self._pick(scene_pos)
            if index is None:
                self._hide()
            else:
                self._pinned = True
                self._show(index)

    @QtCore.Slot(object)
    @guarded()
    def _on_legend_sample_clicked(self, k) -> None:
        self._toggle_sticky(int(k))

    @QtCore.Slot(object, object, object)
    @guarded()
    def _on_view_changed(self, *_args) -> None:
        if self._panel.isVisible():
            self._throttle.request()  # keep the panel beside its point

    # hover ------------------------------------------------------------------
    def _update(self) -> None:
        if self._hover_pos is not None:
            self.hover_updates += 1
            scene_pos = self._view.mapToScene(self._hover_pos.toPoint())
            self._set_legend_hover(self._legend_row(scene_pos))
            if not self._pinned:
                index = self._pick(scene_pos) if self._host.view_box.sceneBoundingRect().contains(scene_pos) else None
                if index is None:
                    self._hide()
                else:
                    self._show(index)
                return
        if self._panel.isVisible() and self._index is not None:
            self._show(self._index)  # new data: same point, new numbers and place

    def _pick(self, scene_pos: QtCore.QPointF) -> int | None:
        snapshot = self._snapshot
        if snapshot is None:
            return None
        point = self._host.view_box.mapSceneToView(scene_pos)
        pixel_w, pixel_h = self._host.view_box.viewPixelSize()
        index = pick_nearest(self._host.project(snapshot.features), point.x(), point.y(), pixel_w, pixel_h)
        return index if index is not None and self._valid(index) else None

    def _valid(self, index: int) -> bool:
        snapshot = self._snapshot
        return (snapshot is not None and index < len(snapshot.labels)
                and 0 <= int(snapshot.labels[index]) < len(snapshot.centers)
                and bool(np.isfinite(self._host.project(snapshot.features[index:index + 1])).all()))

    def _show(self, index: int) -> None:
        if not self._valid(index):
            self._hide()
            return
        snapshot = self._snapshot
        self._index = index
        self._panel.show_report(describe_point(snapshot, index), self._host.class_names, self._pinned)
        self._show_digit(index)
        x, y = (float(v) for v in self._host.project(snapshot.features[index:index + 1])[0])
        self._ring.setPos(x, y)
        self._ring.set_pinned(self._pinned)
        self._ring.show()
        self._place(x, y)
        self._panel.show()
        self._panel.raise_()

    def _show_digit(self, index: int) -> None:
        images = self._images
        usable = images is not None and images.ndim in (3, 4) and len(images) == len(self._snapshot.labels)
        key = (id(images), index) if usable else None
        if key != self._digit_key:
            self._digit_key = key
            self._panel.digit.setPixmap(digit_pixmap(images[index]) if usable else QtGui.QPixmap())
        self._panel.digit.setVisible(usable)

    def _place(self, x: float, y: float) -> None:
        """Beside the point, on the side with room, and always inside the plot."""
        scene_pos = self._host.view_box.mapViewToScene(QtCore.QPointF(x, y))
        anchor = self._view.viewport().mapTo(self._host, self._view.mapFromScene(scene_pos))
        size = self._panel.sizeHint()
        left = self._beside(anchor.x(), size.width(), self._host.width())
        top = self._beside(anchor.y(), size.height(), self._host.height())
        self._panel.move(left, top)

    @staticmethod
    def _beside(anchor: int, extent: int, room: int) -> int:
        after = anchor + PANEL_OFFSET_PX
        if after + extent > room and anchor - PANEL_OFFSET_PX - extent >= 0:
            return anchor - PANEL_OFFSET_PX - extent
        return max(0, min(after, room - extent))

    def _hide(self) -> None:
        self._pinned = False
        self._index = None
        self._panel.hide()
        self._ring.hide()

    # legend -----------------------------------------------------------------
    def _legend_row(self, scene_pos: QtCore.QPointF) -> int | None:
        for k, (sample, label) in enumerate(legend_rows(self._host.legend)):
            row = sample.sceneBoundingRect().united(label.sceneBoundingRect())
            if row.contains(scene_pos):
                return k
        return None

    def _set_legend_hover(self, k: int | None) -> None:
        if k != self._legend_hover:
            self._legend_hover = k
            self._apply_highlight()

    def _toggle_sticky(self, k: int) -> None:
        self._legend_sticky = None if self._legend_sticky == k else k
        self._apply_highlight()

    def _apply_highlight(self) -> None:
        k = self._legend_hover if self._legend_hover is not None else self._legend_sticky
        if k is not None and not 0 <= k < self._host.n_classes:
            k = self._legend_sticky = self._legend_hover = None
        if k != self._host.highlighted_class:
            self._host.highlight_class(k)
