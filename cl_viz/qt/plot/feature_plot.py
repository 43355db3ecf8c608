"""FeaturePlot: the live 2-D deep features of a probe set, the class centers and their trails.

GUI thread only. A timer calls `show_frame` with the latest snapshot (~30 fps), so a frame must
cost a few milliseconds even at 60,000 points. `pg.ScatterPlotItem.setData` spends most of a
frame in per-point Python work (see the README's Drawing table, from benchmarks/plot_frame_time.py),
so the points are drawn by `SpriteCloudItem`: one pre-rendered sprite per class in a small atlas,
and one `QPainter.drawPixmapFragments` call whose fragment table is a numpy array (the technique
ScatterPlotItem uses in its own paint). A frame only gathers the finite rows into draw order; paint
maps them to device pixels in numpy. Non-finite rows and unknown labels are dropped before anything
reaches Qt.

Features of any dimension go through a FeatureView (cl_viz.core.projection): 2-D as they are or as
x/‖x‖ on the unit circle, 3-D as directions on the unit sphere, projected through a rotation that a
left drag turns (and presentation mode spins), far points smaller and fainter. The plot keeps the
frame it was given, so a new view redraws it at once.

This module holds the widget; its axes live in axes (PlotAxes, AxesLink), the numpy helpers in
geometry, the glides between frames in glide, colours, sizes and painting helpers in theme, and the
graphics items in sprites, trails, items and sphere.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from cl_viz.core.projection import FeatureView, Rotation
from cl_viz.qt.common.guard import guarded
from cl_viz.qt.common.pyqtgraph_private import add_beside_view, apply_view_range_now, legend_rows, set_title_height
from cl_viz.qt.plot.acceptance import AcceptanceRegion
from cl_viz.qt.plot.axes import PlotAxes
from cl_viz.qt.plot.center_history import CenterHistory
from cl_viz.qt.plot.geometry import (
    UNIT_CORNERS,
    class_spreads,
    clean_centers,
    clean_points,
    robust_bounds,
    shown_bounds,
)
from cl_viz.qt.plot.glide import Glide
from cl_viz.qt.plot.inspector import PlotInspector, pick_nearest
from cl_viz.qt.plot.items import CentersItem, ClassSample, GridItem
from cl_viz.qt.plot.lean_axis import lean_axes
from cl_viz.qt.plot.regions import DecisionRegions
from cl_viz.qt.plot.sphere import SphereGuideItem, TurningViewBox
from cl_viz.qt.plot.sprites import SpriteCloudItem
from cl_viz.qt.plot.theme import SIZES, THEMES, Theme, class_colors, qcolor
from cl_viz.qt.plot.unknowns import UNKNOWN_RGBA, UNKNOWN_TITLE, PairLineItem, UnknownPointsItem, UnknownSample

AXIS_LABEL_ROOM = "−0000.0"  # the widest tick label the left axis makes room for
SPIN_RADIANS_PER_SECOND = 0.25  # presentation mode's turn of the sphere: once round in 25 s
TITLE_NOTES = {"sphere": "x/‖x‖ on the unit sphere, drag to turn", "circle": "x/‖x‖ on the unit circle"}


class FeaturePlot(QtWidgets.QWidget):
    """Live 2-D features coloured by class, class centers with trails, optional batch layer.

    A QWidget that owns a pg.PlotWidget rather than a PlotWidget subclass: our API stays small
    and snake_case (PlotWidget forwards every PlotItem method through __getattr__), and nothing
    outside this class relies on pyqtgraph's. The legend sits beside the data, not on it.
    """

    axis_mode_changed = QtCore.Signal(str)  # "follow" | "fixed"; "fixed" also after a mouse pan/zoom
    rotation_changed = QtCore.Signal(object)  # a Rotation, after a mouse drag turned the sphere
    unknown_clicked = QtCore.Signal(int)  # the unknown probe row nearest a left click (open set)

    def __init__(self, parent: QtWidgets.QWidget | None = None, *, theme: str = "light",
                 trail_length: int = 40, follow_fraction: float = 0.2) -> None:
        super().__init__(parent)
        self._theme_name = theme
        self._scale = 1.0
        self._glide: Glide | None = None
        self._title: str | None = None
        self._names: tuple[str, ...] = ()
        self._highlight: int | None = None
        self._feature_view = FeatureView()
        self._shape = "plane"  # "plane" | "circle" | "sphere": what the latest frame was drawn as
        self._shown: tuple | None = None  # (features, labels, centers) of the latest frame, as given
        self._shown_batch: tuple | None = None
        self._history = CenterHistory(trail_length)
        self._spin: tuple[float, float] | None = None  # (clock, yaw) when spinning started
        self._arrows_wanted = False
        self._shown_unknowns: np.ndarray | None = None  # (U, D) as given
        self._shown_pair: np.ndarray | None = None  # (2, D) as given
        self._unknown_title = UNKNOWN_TITLE
        self._build_view()
        self.axes = PlotAxes(self.view_box, self._data_bounds, self.axis_mode_changed.emit, follow_fraction)
        self._points = SpriteCloudItem()
        self._batch = SpriteCloudItem(ring=SIZES.batch_ring)
        self._centers = CentersItem(trail_length)
        self._grid = GridItem(self._plot.getAxis("bottom"), self._plot.getAxis("left"))
        for z, item in enumerate((self._grid, self._points, self._batch, self._centers)):
            item.setZValue(z - 1)
            self._plot.addItem(item)
        self._guide = SphereGuideItem()
        self._plot.addItem(self._guide, ignoreBounds=True)
        self._unknowns = UnknownPointsItem()
        self._pair = PairLineItem()
        for item in (self._unknowns, self._pair):
            self._plot.addItem(item, ignoreBounds=True)
        self._acceptance = AcceptanceRegion(self.view_box, self)
        self._view.scene().sigMouseClicked.connect(self._on_scene_clicked)
        self._regions = DecisionRegions(self.view_box, self)  # inspection extras: see those modules
        self._inspector = PlotInspector(self, self._view)
        self.set_theme(theme)

    def _build_view(self) -> None:
        self._view = pg.PlotWidget(axisItems=lean_axes(), viewBox=TurningViewBox())
        # The plot takes focus on click (so keys leave the number boxes) but leaves the keys to
        # the window's shortcuts: QGraphicsView would otherwise swallow the arrow keys.
        self._view.setFocusPolicy(QtCore.Qt.FocusPolicy.NoFocus)
        self.setFocusPolicy(QtCore.Qt.FocusPolicy.ClickFocus)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        # no minimum size pushed to a top-level window: the offscreen platform warns about
        # propagateSizeHints() otherwise, which fails tests with qt_log_level_fail = WARNING
        layout.setSizeConstraint(QtWidgets.QLayout.SizeConstraint.SetNoConstraint)
        layout.addWidget(self._view)
        self._plot = self._view.getPlotItem()
        self._plot.hideButtons()
        self._plot.setMenuEnabled(False)
        for axis_name in ("left", "bottom"):  # sub-minor ticks cost ~1 ms a frame in follow mode
            # an axis that narrows with its labels re-lays out and repaints the whole plot (~25 ms)
            self._plot.getAxis(axis_name).setStyle(maxTickLevel=1, autoReduceTextSpace=False)
        vb = self._plot.getViewBox()
        vb.disableAutoRange()
        vb.setAspectLocked(True)
        vb.sigRangeChangedManually.connect(self._on_range_changed_manually)
        # pyqtgraph defers the new transform to the next paint, whose item changes then schedule
        # a second paint of the whole view: apply it now, so a range change costs one paint.
        vb.sigRangeChanged.connect(self._apply_range_now)
        self._add_legend()

    def _data_bounds(self) -> np.ndarray | None:
        extra = self._centers.centers
        if self._shape != "plane":
            extra = np.concatenate([extra, UNIT_CORNERS])
        points = self._points.positions
        if len(self._unknowns.positions):
            points = np.concatenate([points, self._unknowns.positions])
        return robust_bounds(points, extra)

    @QtCore.Slot(object)
    @guarded()
    def _on_scene_clicked(self, event) -> None:
        positions = self._unknowns.positions
        if event.button() != QtCore.Qt.MouseButton.LeftButton or not len(positions) or not self._unknowns.isVisible():
            return
        point = self.view_box.mapSceneToView(event.scenePos())
        row = pick_nearest(positions, point.x(), point.y(), *self.view_box.viewPixelSize())
        if row is not None:
            self.unknown_clicked.emit(int(self._unknowns.indices[row]))

    @QtCore.Slot(object)
    @guarded()
    def _on_range_changed_manually(self, _mask) -> None:
        self.axes.moved_by_hand()

    @QtCore.Slot()
    @guarded()
    def _apply_range_now(self) -> None:
        apply_view_range_now(self.view_box)

    def _add_legend(self) -> None:
        """The legend gets its own cell right of the view box, inside the PlotItem's grid.

        (A pg.GraphicsLayout holding the PlotItem and the legend would be simpler, but a
        GraphicsLayout with a PlotItem segfaults at interpreter exit with PySide6 6.11 when the
        window is still open; a PlotWidget does not. tests/test_plot_stress.py checks this.)
        """
        self._legend = pg.LegendItem(offset=None, verSpacing=-4, frame=False)
        self._legend.setSizePolicy(QtWidgets.QSizePolicy.Policy.Fixed, QtWidgets.QSizePolicy.Policy.Fixed)
        add_beside_view(self._plot, self._legend)

    # read-only views for tests and for the main window ---------------------
    @property
    def plot_item(self) -> pg.PlotItem:
        return self._plot

    @property
    def view_box(self) -> pg.ViewBox:
        return self._plot.getViewBox()

    @property
    def graphics_view(self) -> pg.PlotWidget:
        return self._view

    @property
    def legend(self) -> pg.LegendItem:
        return self._legend

    @property
    def class_names(self) -> tuple[str, ...]:
        return self._names

    @property
    def n_classes(self) -> int:
        return len(self._names)

    @property
    def highlighted_class(self) -> int | None:
        return self._highlight

    @property
    def trail_length(self) -> int:
        """Number of stored positions per center trail (at most `trail_length` of __init__)."""
        return self._centers.trail_length

    def center_marker_radii(self) -> np.ndarray:
        """The radius in pixels of each center's marker as drawn now (NaN: not drawn)."""
        return self._centers.shown_radii()

    @property
    def point_count(self) -> int:
        """Number of probe points drawn by the last frame (non-finite rows excluded)."""
        return len(self._points.positions)

    # classes and data ----------------------------------------------------
    def set_classes(self, class_names: Sequence[str]) -> None:
        """One colour, legend entry, center marker and label per class; clears all data."""
        self._names = tuple(str(name) for name in class_names)
        self._highlight = None
        self._glide = None
        self._points.clear()
        self._batch.clear()
        self._shown = self._shown_batch = self._shown_unknowns = self._shown_pair = None
        self._unknowns.set_points(None)
        self._pair.set_ends(None)
        self._acceptance.set_rule(None)
        self._history.clear()
        self._points.set_highlight(None)
        self._batch.set_highlight(None)
        self._centers.set_classes(self._names, self._colors())
        self._inspector.clear()
        self._regions.clear()
        self.axes.snap_next()
        self._apply_style()

    def show_frame(self, features, labels, centers, glide: float = 0.0, now: float | None = None,
                   partner_bounds: np.ndarray | None = None) -> None:
        """Draw one frame: features (N,D), labels (N,) int, centers (C,D). Non-finite rows are skipped,
        and in the circle and sphere views rows without a direction (zero) too.

        With `glide` > 0 the points and centers move there over that many seconds, from where they
        are shown now, as `animate` is called; otherwise at once. The view range (follow mode)
        takes its step at once either way. A leading linked plot follows its partner's data too:
        `partner_bounds` (see geometry.snapshot_bounds) when the partner's frame of the same
        step is drawn after this one, else what the partner shows.
        """
        ctr = np.asarray(centers)
        if not self._names:
            self.set_classes([str(k) for k in range(len(ctr))])
        features = np.asarray(features)
        if features.ndim == 2 and ctr.ndim == 2 and features.shape[1] != ctr.shape[1]:
            raise ValueError(f"features {features.shape} and centers {ctr.shape} differ in dimension")
        shown, self._shown = self._shown, (features, labels, ctr)
        self._history.add(ctr)
        try:
            self._draw(glide, now, partner_bounds, new_frame=True)
        except ValueError:
            self._shown = shown  # a later redraw of the view draws the last frame that could be drawn
            raise

    def _draw(self, glide: float, now: float | None, partner_bounds, new_frame: bool) -> None:
        features, labels, centers = self._shown
        shape = self._shape_of(features)
        xy, depth = self._feature_view.apply(features) if shape != "plane" else (features, None)
        xy, lab, valid = clean_points(xy, labels, self.n_classes)
        ctr = clean_centers(self.project(centers) if shape != "plane" else centers, self.n_classes)
        shown_points, shown_centers = self._points.positions, self._centers.centers
        new_points = self._points.set_points(xy, lab, valid, depth)
        if new_frame and shape == "plane":
            self._centers.set_centers(ctr)
        else:  # the whole trail, seen anew
            self._centers.set_trail(self._trail(shape))
        self._centers.set_spreads(class_spreads(xy, lab, valid, ctr))
        if not new_frame:  # a new view of the same frame; a new frame's unknowns come with set_unknowns
            self._draw_unknowns()
            self._draw_pair()
        self._set_shape(shape)
        self.axes.step(partner_bounds)
        if glide > 0 and not new_points and len(shown_points) and len(shown_centers) == len(ctr):
            self._glide = Glide((np.array(shown_points), np.array(self._points.positions)), (shown_centers, ctr),
                                time.perf_counter() if now is None else now, float(glide))
            self._apply_glide(self._glide.started)
        else:
            self._glide = None

    def _projected(self, features: np.ndarray | None) -> np.ndarray | None:
        if features is None or features.ndim != 2 or not len(features):
            return None
        return features[:, :2] if self._shape_of(features) == "plane" else self.project(features)

    def _draw_unknowns(self) -> None:
        self._unknowns.set_points(self._projected(self._shown_unknowns))

    def _draw_pair(self) -> None:
        self._pair.set_ends(self._projected(self._shown_pair))

    def set_unknowns(self, features, title: str = UNKNOWN_TITLE) -> None:
        """The open set's unknown probe points (U, D), or None; drawn with the next frame's points at once."""
        features = None if features is None else np.asarray(features)
        had = self._shown_unknowns is not None
        self._shown_unknowns = features
        if title != self._unknown_title or had != (features is not None):
            self._unknown_title = title
            self._build_legend(THEMES[self._theme_name])
        self._draw_unknowns()

    def set_pair(self, features) -> None:
        """The two features (2, D) of the pair being inspected, joined by a dashed line; None hides it."""
        self._shown_pair = None if features is None else np.asarray(features, dtype=np.float64)
        self._draw_pair()

    def set_acceptance(self, snapshot, score: str = "", threshold: float = 0.0) -> None:
        """Shade the plane where `score` < `threshold` rejects a feature as unknown (None: no shading)."""
        self._acceptance.set_rule(snapshot, score, threshold)

    @property
    def acceptance(self) -> AcceptanceRegion:
        return self._acceptance

    @property
    def unknown_points(self) -> UnknownPointsItem:
        return self._unknowns

    def _shape_of(self, features: np.ndarray) -> str:
        dim = features.shape[1] if features.ndim == 2 else 2
        if FeatureView.is_sphere(dim):
            return "sphere"
        return "circle" if self._feature_view.on_unit_circle(dim) else "plane" if dim == 2 else "columns"

    def _trail(self, shape: str) -> np.ndarray:
        history = self._history.array()
        if not history.size:
            return np.zeros((0, self.n_classes, 2))
        steps, classes, dim = history.shape
        flat = history.reshape(-1, dim)
        return (self.project(flat) if shape != "plane" else flat[:, :2]).reshape(steps, classes, 2)

    def _set_shape(self, shape: str) -> None:
        """Guides, grid, arrows, mouse and title for a plane, circle or sphere view."""
        sphere, round_view = shape == "sphere", shape in ("circle", "sphere")
        self._guide.set_view(round_view, self.rotation if sphere else None)
        self._grid.setVisible(not sphere)
        self.view_box.turn = self._turn if sphere else None
        self._acceptance.set_plane(shape == "plane")
        if shape != self._shape:
            self._shape = shape
            self.axes.snap_next()  # another kind of view: follow mode jumps to it
            self._regions.set_arrows_visible(self._arrows_wanted and not round_view)
            self.set_title(self._title)

    # views of the features ---------------------------------------------------
    @property
    def feature_view(self) -> FeatureView:
        return self._feature_view

    @property
    def rotation(self) -> Rotation:
        return self._feature_view.rotation

    @property
    def shape(self) -> str:
        """What the latest frame was drawn as: "plane", "circle" (x/‖x‖), "sphere" (3-D) or "columns"."""
        return self._shape

    def project(self, features) -> np.ndarray:
        """Where this plot draws features (N, D) now: (N, 2), NaN rows not drawn."""
        return self._feature_view.apply(features)[0]

    def frame_bounds(self, features, centers) -> np.ndarray | None:
        """What follow mode would show of a frame drawn by this plot (a linked partner's bounds)."""
        return shown_bounds(self._feature_view, features, centers)

    def set_normalised(self, normalise: bool) -> None:
        """Draw 2-D features as x/‖x‖ on the unit circle (3-D ones are always on the unit sphere)."""
        self._set_feature_view(replace(self._feature_view, normalise=bool(normalise)))

    @QtCore.Slot(object)
    @guarded()
    def set_rotation(self, rotation: Rotation) -> None:
        """Turn the sphere view to `rotation` (the latest frame is redrawn at once)."""
        if self._spin is not None:
            self._spin = (time.perf_counter(), rotation.yaw)
        self._set_feature_view(replace(self._feature_view, rotation=rotation))

    def set_spinning(self, spinning: bool, now: float | None = None) -> None:
        """Turn the sphere slowly about its vertical axis as `animate` is called (presentation mode)."""
        self._spin = ((time.perf_counter() if now is None else now), self.rotation.yaw) if spinning else None

    def _turn(self, dx: float, dy: float) -> None:
        rotation = self.rotation.dragged(dx, dy)
        self.set_rotation(rotation)
        self.rotation_changed.emit(rotation)

    def _set_feature_view(self, view: FeatureView) -> None:
        if view == self._feature_view:
            return
        self._feature_view = view
        self._glide = None
        if self._shown is not None:
            self._draw(0.0, None, None, new_frame=False)
            if self._shown_batch is not None:
                self.set_batch(*self._shown_batch)

    @property
    def moving(self) -> bool:
        """True while `animate` has something to move: a glide, or the spinning sphere."""
        return self._glide is not None or (self._spin is not None and self._shape == "sphere")

    @property
    def gliding(self) -> bool:
        """True while a glide toward the newest frame is under way (see `animate`)."""
        return self._glide is not None

    def animate(self, now: float | None = None) -> bool:
        """Move a glide on to time `now` (default: the clock); False when there was none to move."""
        now = time.perf_counter() if now is None else now
        if self._spin is not None and self._shape == "sphere":
            start, yaw = self._spin
            self._feature_view = replace(self._feature_view, rotation=Rotation(
                yaw + SPIN_RADIANS_PER_SECOND * (now - start), self.rotation.pitch))
            self._glide = None  # the newest frame, seen from the next angle
            self._draw(0.0, None, None, new_frame=False)
            return True
        if self._glide is None:
            return False
        self._apply_glide(now)
        if self._glide.progress(now) >= 1.0:
            self._glide = None
        return True

    def finish_glide(self) -> None:
        """Jump to the end of a glide under way."""
        if self._glide is not None:
            self._apply_glide(math.inf)
            self._glide = None

    def _apply_glide(self, now: float) -> None:
        points, centers = self._glide.at(now)
        self._points.set_positions(points)
        self._centers.show_at(centers)

    def set_batch(self, features, labels) -> None:
        """The latest training batch, drawn as rings on top of the probe points."""
        features = np.asarray(features)
        self._shown_batch = (features, labels)
        flat = self._shape_of(features) == "plane"
        xy, depth = (features, None) if flat else self._feature_view.apply(features)
        xy, lab, valid = clean_points(xy, labels, self.n_classes)
        self._batch.set_points(xy, lab, valid, depth)

    def set_batch_visible(self, visible: bool) -> None:
        self._batch.setVisible(bool(visible))

    def set_inspection_data(self, snapshot, probe_images=None) -> None:
        """The snapshot drawn (and the probe images) for hover, click, regions and arrows; keeps references."""
        self._inspector.set_data(snapshot, probe_images)
        self._guide.set_weight(None if snapshot is None else snapshot.classifier_weight)
        if snapshot is None:
            self._regions.clear()
        else:
            self._regions.set_classifier(snapshot.classifier_weight, snapshot.classifier_bias)

    def set_decision_regions_visible(self, visible: bool) -> None:
        self._regions.set_regions_visible(visible)

    def set_weight_arrows_visible(self, visible: bool) -> None:
        """W_j as arrows scaled to the view, in the plane view (circle and sphere always show W_j/‖W_j‖)."""
        self._arrows_wanted = bool(visible)
        self._regions.set_arrows_visible(self._arrows_wanted and self._shape in ("plane", "columns"))

    def clear(self) -> None:
        """Forget points, batch, centers and trails (a new session); the next frame snaps the view."""
        self.set_classes(self._names)

    def clear_trails(self) -> None:
        self._centers.clear_trails()
        self._history.keep_last()

    def highlight_class(self, k: int | None) -> None:
        """Dim every class but k (None: no highlight)."""
        if k is not None and not 0 <= int(k) < self.n_classes:
            raise ValueError(f"class {k} out of range 0..{self.n_classes - 1}")
        self._highlight = None if k is None else int(k)
        self.finish_glide()  # the highlight reorders the drawn points
        for item in (self._points, self._batch, self._centers):
            item.set_highlight(self._highlight)
        for index, (sample, label) in enumerate(legend_rows(self._legend)):
            opacity = 1.0 if self._highlight in (None, index) else 0.35
            sample.setOpacity(opacity)
            label.setOpacity(opacity)

    # appearance ------------------------------------------------------------
    def set_title(self, text: str | None) -> None:
        self._title = text or None
        theme = THEMES[self._theme_name]
        size = f"{SIZES.title_pt * self._scale:.0f}pt"
        note = TITLE_NOTES.get(self._shape)
        shown = f"{self._title}  ·  {note}" if self._title is not None and note else self._title
        self._plot.setTitle(shown, color=theme.text, size=size)
        if self._title is not None:  # pyqtgraph fixes the title row at 30 px
            set_title_height(self._plot, int(math.ceil(30 * max(1.0, self._scale))))

    def set_marker_scale(self, factor: float) -> None:
        """Enlarge (>1) or shrink points, markers, labels and legend, e.g. for presentations."""
        if not math.isfinite(factor) or factor <= 0:
            raise ValueError(f"marker scale must be a positive number, got {factor}")
        self._scale = float(factor)
        self._apply_style()

    def set_theme(self, name: str) -> None:
        if name not in THEMES:
            raise ValueError(f"theme must be one of {sorted(THEMES)}, got {name!r}")
        self._theme_name = name
        theme = THEMES[name]
        self._view.setBackground(theme.background)
        for axis_name in ("left", "bottom"):
            axis = self._plot.getAxis(axis_name)
            axis.setPen(theme.axis)
            axis.setTextPen(theme.text)
        self._grid.set_color(qcolor(theme.grid))
        self._apply_style()

    @property
    def theme(self) -> str:
        return self._theme_name

    def _colors(self, alpha: int = 255) -> np.ndarray:
        return class_colors(self.n_classes, self._theme_name, alpha)

    def _apply_style(self) -> None:
        scale, theme = self._scale, THEMES[self._theme_name]
        background = QtGui.QColor(theme.background)
        self._points.set_style(self._colors(SIZES.point_alpha), SIZES.point * scale, background)
        self._batch.set_style(self._colors(), SIZES.batch * scale, background, SIZES.batch_ring * scale)
        font = QtGui.QFont()
        font.setPointSizeF(SIZES.label_pt * scale)
        font.setBold(True)
        self._centers.set_colors(self._colors())
        self._centers.set_style(scale, font, theme)
        self._guide.set_style(self._colors(), theme.text)
        self._regions.set_style(self._colors(), theme)
        self._unknowns.set_style(UNKNOWN_RGBA[self._theme_name], (SIZES.point + 2.0) * scale)
        self._pair.set_style(theme.text)
        self._acceptance.set_theme(self._theme_name)
        self._inspector.set_theme(self._theme_name)
        self._style_axes()
        self._build_legend(theme)
        self.set_title(self._title)

    def _style_axes(self) -> None:
        font = QtGui.QFont()
        font.setPointSizeF(SIZES.tick_pt * self._scale)
        for axis_name in ("left", "bottom"):
            self._plot.getAxis(axis_name).setStyle(tickFont=font)
        # A left axis as wide as its widest label so far re-lays out the whole plot each time a
        # wider label appears (many times while the features spread): room for "−0000.0" from the start.
        left = self._plot.getAxis("left")
        left.setWidth(math.ceil(QtGui.QFontMetricsF(font).horizontalAdvance(AXIS_LABEL_ROOM)
                                + left.style["tickTextOffset"][0] + abs(left.style["tickLength"]) + 2))

    def _build_legend(self, theme: Theme) -> None:
        self._legend.clear()
        self._legend.setLabelTextColor(theme.text)
        self._legend.setLabelTextSize(f"{SIZES.legend_pt * self._scale:.1f}pt")
        for index, (name, rgba) in enumerate(zip(self._names, self._colors())):
            self._legend.addItem(ClassSample(index, rgba, SIZES.legend_marker * self._scale), name)
        if self._shown_unknowns is not None:
            sample = UnknownSample(len(self._names), UNKNOWN_RGBA[self._theme_name], SIZES.legend_marker * self._scale)
            self._legend.addItem(sample, self._unknown_title)
        if self._highlight is not None:
            self.highlight_class(self._highlight)
