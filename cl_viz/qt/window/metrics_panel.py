"""Curves of the losses and of the feature geometry, for the run and its softmax-only twin."""

from __future__ import annotations

import math
import time

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QWidget

from cl_viz.core.config import DEFAULTS, PROBE_SPLIT_NAMES
from cl_viz.core.frames import Frame
from cl_viz.core.history import BoundedHistory
from cl_viz.core.snapshot import Snapshot
from cl_viz.qt.common.pyqtgraph_private import apply_auto_range_now, set_title_height
from cl_viz.qt.plot.items import GridItem
from cl_viz.qt.plot.lean_axis import LeanAxisItem, lean_axes
from cl_viz.qt.plot.log_axis import LogAxisItem
from cl_viz.qt.window.curve_legend import CurveLegend, Entry

CURVE_HZ = 4
METRICS = ("probe_accuracy", "nearest_center_accuracy", "ratio", "feature_norm", "angular_ratio", "angular_fisher",
           "min_angular_gap")
COLUMNS = ("step", "loss_softmax", "weighted_center", *METRICS)
GRAPHS = {"loss": ("loss_softmax", "weighted_center"),
          "accuracy": ("probe_accuracy", "nearest_center_accuracy"),
          "ratio": ("ratio",)}
LOG_GRAPHS = ("loss", "ratio")  # the ratio falls from ~2–8 to ~0.1: linear, the rest would be a flat line at 0
TITLE_HEIGHT = 22  # pyqtgraph's 30 px, less the room the legend row takes
RUN_COLORS = {"primary": (0, 114, 178), "comparison": (213, 94, 0)}
RUN_NAMES = {"primary": "center loss", "comparison": "softmax only"}
QUANTITY_NAMES = {"loss_softmax": "L_S", "weighted_center": "λ·L_C", "probe_accuracy": "probe (classifier)",
                  "nearest_center_accuracy": "nearest center"}
DASHED = ("weighted_center", "nearest_center_accuracy")
NEUTRAL = (68, 68, 68)  # a legend sample that stands for a quantity of both runs
NO_VALUE = "–"


def accuracy_title(probe_split: str) -> str:
    return f"accuracy on the probe ({PROBE_SPLIT_NAMES[probe_split]})"


def set_plot_title(plot: pg.PlotItem, title: str) -> None:
    plot.setTitle(f"<span style='color:#333'>{title}</span>")


def _degrees(radians: float) -> str:
    return f"{math.degrees(radians):.1f}°"


ROWS = (("L_S", "loss_softmax", "{:.3f}".format), ("λ·L_C", "weighted_center", "{:.4f}".format),
        ("probe accuracy", "probe_accuracy", "{:.1%}".format),
        ("nearest-center acc.", "nearest_center_accuracy", "{:.1%}".format),
        ("intra / inter", "ratio", "{:.3f}".format), ("mean ‖x‖", "feature_norm", "{:.2f}".format),
        ("angular intra / inter", "angular_ratio", "{:.3f}".format),
        ("angular Fisher (AFS)", "angular_fisher", "{:.4f}".format),
        ("min angle between classes", "min_angular_gap", _degrees))
TOOLTIPS = {
    "angular_ratio": "mean angle between a feature and its class direction, over the mean angle between class "
                     "directions: lower is more compact on the sphere",
    "angular_fisher": "SphereFace's Angular Fisher Score, within-class over between-class cosine scatter: "
                      "lower is more discriminative",
    "min_angular_gap": "the smallest angle between the directions of two classes: the closest neighbours",
}


class MetricsPanel:
    """Two widgets fed from one history: `table` (latest numbers) and `graphs` (curves over steps).

    Each graph is a view of its own, so that refreshing one repaints only that one. Above each graph's
    data a legend row lists what it draws: line styles for quantities (coloured as the run when only
    one is drawn), run colours in a graph of one quantity when both runs are drawn."""

    def __init__(self, capacity: int = 2000):
        self.histories = {run: BoundedHistory(COLUMNS, capacity) for run in RUN_COLORS}
        self.graphs = QWidget()
        row = QHBoxLayout(self.graphs)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)
        self.views: dict[str, pg.PlotWidget] = {}
        self.plots = {"loss": self._add_plot(row, "loss", "losses (log scale)"),
                      "accuracy": self._add_plot(row, "accuracy", accuracy_title(DEFAULTS.probe_split)),
                      "ratio": self._add_plot(row, "ratio", "intra / inter (log; lower = tighter)")}
        self.plots["accuracy"].setYRange(0, 1)
        self.legends = {graph: CurveLegend(plot) for graph, plot in self.plots.items()}
        self.curves = {run: self._add_curves(run) for run in RUN_COLORS}
        self._curves_drawn_at = -1.0
        self.table = QWidget()
        self.values = self._build_table(QGridLayout(self.table))

    def _add_plot(self, row: QHBoxLayout, graph: str, title: str) -> pg.PlotItem:
        axes = {"left": LogAxisItem("left"), "bottom": LeanAxisItem("bottom")} if graph in LOG_GRAPHS else lean_axes()
        view = self.views[graph] = pg.PlotWidget(background="w", axisItems=axes)
        view.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        row.addWidget(view)
        plot = view.getPlotItem()
        set_plot_title(plot, title)
        set_title_height(plot, TITLE_HEIGHT)
        plot.setLogMode(y=graph in LOG_GRAPHS)
        grid = GridItem(plot.getAxis("bottom"), plot.getAxis("left"))  # showGrid's costs ~10 ms a paint
        grid.set_color(QColor(0, 0, 0, 40))
        grid.setZValue(-1)
        plot.addItem(grid, ignoreBounds=True)
        plot.setMenuEnabled(False)
        plot.hideButtons()
        plot.setLabel("bottom", "step")
        # a width that follows the labels would re-lay out all three graphs: room for "0.0001" from the start
        plot.getAxis("left").setWidth(QFontMetrics(QFont()).horizontalAdvance("0.0001") + 16)
        for axis in ("left", "bottom"):
            plot.getAxis(axis).setPen("#555")
            plot.getAxis(axis).setTextPen("#333")
        return plot

    def _add_curves(self, run: str) -> dict[str, pg.PlotDataItem]:
        color = RUN_COLORS[run]
        keys = [key for graph in GRAPHS.values() for key in graph if run == "primary" or key != "weighted_center"]
        graph_of = {key: graph for graph, graph_keys in GRAPHS.items() for key in graph_keys}
        return {key: self.plots[graph_of[key]].plot(pen=pg.mkPen(color, width=2, style=_style(key))) for key in keys}

    def _build_table(self, grid: QGridLayout) -> dict[tuple[str, str], QLabel]:
        self.run_names = dict(RUN_NAMES)
        self.headers = {run: QLabel(f"<b style='color:{pg.mkColor(RUN_COLORS[run]).name()}'>{RUN_NAMES[run]}</b>")
                        for run in RUN_COLORS}
        grid.addWidget(self.headers["primary"], 0, 1, Qt.AlignmentFlag.AlignRight)
        grid.addWidget(self.headers["comparison"], 0, 2, Qt.AlignmentFlag.AlignRight)
        values = {}
        for row, (label, key, _) in enumerate(ROWS, start=1):
            name = QLabel(label)
            name.setToolTip(TOOLTIPS.get(key, ""))
            grid.addWidget(name, row, 0)
            for column, run in enumerate(RUN_COLORS, start=1):
                values[(run, key)] = QLabel(NO_VALUE)
                values[(run, key)].setAlignment(Qt.AlignmentFlag.AlignRight)
                grid.addWidget(values[(run, key)], row, column)
        return values

    def set_run_names(self, names: dict[str, str]) -> None:
        """Column headers and legend names of the runs ("primary", "comparison"), e.g. "ArcFace"."""
        self.run_names = RUN_NAMES | names
        for run, header in self.headers.items():
            header.setText(f"<b style='color:{pg.mkColor(RUN_COLORS[run]).name()}'>{self.run_names[run]}</b>")

    def set_probe_split(self, split: str) -> None:
        set_plot_title(self.plots["accuracy"], accuracy_title(split))

    def clear(self, compare: bool) -> None:
        self._curves_drawn_at = -1.0
        for history in self.histories.values():
            history.clear()
        for run, curves in self.curves.items():
            for curve in curves.values():
                curve.setData([], [])
                curve.setVisible(run == "primary" or compare)
        for legend in self.legends.values():
            legend.show_entries(())
        self.headers["comparison"].setVisible(compare)
        for (run, _), label in self.values.items():
            label.setText(NO_VALUE)
            label.setVisible(run == "primary" or compare)

    def add_frame(self, frame: Frame) -> None:
        for run, snapshot in (("primary", frame.primary), ("comparison", frame.comparison)):
            if snapshot is not None and snapshot.losses_known:
                history = self.histories[run]
                if history.latest is None or snapshot.step > history.latest["step"]:
                    history.append(_record(snapshot))

    def refresh_numbers(self) -> None:
        for run, history in self.histories.items():
            if len(history):
                self._update_numbers(run, history)

    def curves_due(self) -> bool:
        """True at most CURVE_HZ times a second: re-plotting the graphs every frame cost the GUI
        ~15 ms a frame. The caller then refreshes each graph, one per timer tick."""
        now = time.perf_counter()
        if now - self._curves_drawn_at < 1 / CURVE_HZ:
            return False
        self._curves_drawn_at = now
        return True

    def refresh_graph(self, graph: str) -> None:
        """Re-plot one graph ("loss", "accuracy" or "ratio") from the histories of both runs."""
        drawn = set()
        for run, history in self.histories.items():
            if not len(history):
                continue
            steps = history.column("step")
            for key in GRAPHS[graph]:
                curve = self.curves[run].get(key)
                if curve is None:
                    continue
                values = history.column(key)
                ok = np.isfinite(values) & ((values > 0) if graph in LOG_GRAPHS else True)  # log10 needs > 0
                curve.setData(steps[ok], values[ok])
                if curve.isVisible() and ok.any():
                    drawn.add((run, key))
        self.legends[graph].show_entries(legend_entries(graph, drawn, self.run_names))
        # the new range now: pyqtgraph would apply it inside the next paint and then paint again
        apply_auto_range_now(self.plots[graph].getViewBox())

    def _update_numbers(self, run: str, history: BoundedHistory) -> None:
        for _, key, show in ROWS:
            value = history.latest[key]
            self.values[(run, key)].setText(show(value) if np.isfinite(value) else NO_VALUE)


def legend_entries(graph: str, drawn: set[tuple[str, str]], names: dict[str, str] = RUN_NAMES) -> list[Entry]:
    """What the legend of `graph` lists, given the (run, key) curves that have something drawn."""
    keys = GRAPHS[graph]
    runs = [run for run in RUN_COLORS if any((run, key) in drawn for key in keys)]
    if len(keys) == 1:
        return [Entry(names[run], RUN_COLORS[run]) for run in runs] if len(runs) > 1 else []
    color = RUN_COLORS[runs[0]] if len(runs) == 1 else NEUTRAL
    return [Entry(QUANTITY_NAMES[key], color, key in DASHED) for key in keys
            if any((run, key) in drawn for run in runs)]


def _style(key: str) -> Qt.PenStyle:
    return Qt.PenStyle.DashLine if key in DASHED else Qt.PenStyle.SolidLine


def _record(snapshot: Snapshot) -> dict[str, float]:
    return {"step": snapshot.step, "loss_softmax": snapshot.loss_softmax,
            "weighted_center": snapshot.lam * snapshot.loss_center,
            **{key: getattr(snapshot.metrics, key) for key in METRICS}}
