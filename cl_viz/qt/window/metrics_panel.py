"""Curves of the losses and of the feature geometry, for the run and its softmax-only twin."""

from __future__ import annotations

import time

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QWidget

from cl_viz.core.frames import Frame
from cl_viz.core.history import BoundedHistory
from cl_viz.core.snapshot import Snapshot
from cl_viz.qt.common.pyqtgraph_private import apply_auto_range_now
from cl_viz.qt.plot.items import GridItem
from cl_viz.qt.plot.lean_axis import lean_axes

CURVE_HZ = 4
COLUMNS = ("step", "loss_softmax", "weighted_center", "probe_accuracy", "nearest_center_accuracy", "ratio",
           "feature_norm")
GRAPHS = {"loss": ("loss_softmax", "weighted_center"),
          "accuracy": ("probe_accuracy", "nearest_center_accuracy"),
          "ratio": ("ratio",)}
RUN_COLORS = {"primary": (0, 114, 178), "comparison": (213, 94, 0)}
ROWS = (("L_S", "loss_softmax", "{:.3f}"), ("λ·L_C", "weighted_center", "{:.4f}"),
        ("probe accuracy", "probe_accuracy", "{:.1%}"), ("nearest-center acc.", "nearest_center_accuracy", "{:.1%}"),
        ("intra / inter", "ratio", "{:.3f}"), ("mean ‖x‖", "feature_norm", "{:.2f}"))


class MetricsPanel:
    """Two widgets fed from one history: `table` (latest numbers) and `graphs` (curves over steps).

    Each graph is a view of its own, so that refreshing one repaints only that one."""

    def __init__(self, capacity: int = 2000):
        self.histories = {run: BoundedHistory(COLUMNS, capacity) for run in RUN_COLORS}
        self.graphs = QWidget()
        row = QHBoxLayout(self.graphs)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)
        self.views: dict[str, pg.PlotWidget] = {}
        self.plots = {"loss": self._add_plot(row, "loss", "losses (log scale)", log_y=True),
                      "accuracy": self._add_plot(row, "accuracy", "accuracy on the probe set"),
                      "ratio": self._add_plot(row, "ratio", "intra / inter   (lower = more compact)")}
        self.plots["accuracy"].setYRange(0, 1)
        self.curves = {run: self._add_curves(run) for run in RUN_COLORS}
        self._curves_drawn_at = -1.0
        self.table = QWidget()
        self.values = self._build_table(QGridLayout(self.table))

    def _add_plot(self, row: QHBoxLayout, graph: str, title: str, log_y: bool = False) -> pg.PlotItem:
        view = self.views[graph] = pg.PlotWidget(background="w", axisItems=lean_axes())
        view.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        row.addWidget(view)
        plot = view.getPlotItem()
        plot.setTitle(f"<span style='color:#333'>{title}</span>")
        plot.setLogMode(y=log_y)
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
        plot.addLegend(offset=(-4, 4), labelTextSize="8pt", labelTextColor="#333")
        return plot

    def _add_curves(self, run: str) -> dict[str, pg.PlotDataItem]:
        color = RUN_COLORS[run]
        name = "center loss" if run == "primary" else "softmax only"
        solid, dashed = pg.mkPen(color, width=2), pg.mkPen(color, width=2, style=Qt.PenStyle.DashLine)
        curves = {
            "loss_softmax": self.plots["loss"].plot(pen=solid, name=f"L_S, {name}"),
            "probe_accuracy": self.plots["accuracy"].plot(pen=solid, name=f"probe, {name}"),
            "nearest_center_accuracy": self.plots["accuracy"].plot(pen=dashed, name=f"nearest center, {name}"),
            "ratio": self.plots["ratio"].plot(pen=solid, name=name),
        }
        if run == "primary":
            curves["weighted_center"] = self.plots["loss"].plot(pen=dashed, name="λ·L_C, center loss")
        return curves

    def _build_table(self, grid: QGridLayout) -> dict[tuple[str, str], QLabel]:
        self.headers = {run: QLabel(f"<b>{'center loss' if run == 'primary' else 'softmax only'}</b>")
                        for run in RUN_COLORS}
        grid.addWidget(self.headers["primary"], 0, 1, Qt.AlignmentFlag.AlignRight)
        grid.addWidget(self.headers["comparison"], 0, 2, Qt.AlignmentFlag.AlignRight)
        values = {}
        for row, (label, key, _) in enumerate(ROWS, start=1):
            grid.addWidget(QLabel(label), row, 0)
            for column, run in enumerate(RUN_COLORS, start=1):
                values[(run, key)] = QLabel("–")
                values[(run, key)].setAlignment(Qt.AlignmentFlag.AlignRight)
                grid.addWidget(values[(run, key)], row, column)
        return values

    def clear(self, compare: bool) -> None:
        self._curves_drawn_at = -1.0
        for history in self.histories.values():
            history.clear()
        for run, curves in self.curves.items():
            for curve in curves.values():
                curve.setData([], [])
                curve.setVisible(run == "primary" or compare)
        self.headers["comparison"].setVisible(compare)
        for (run, _), label in self.values.items():
            label.setText("–")
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
        for run, history in self.histories.items():
            if not len(history):
                continue
            steps = history.column("step")
            for key in GRAPHS[graph]:
                curve = self.curves[run].get(key)
                if curve is None:
                    continue
                values = history.column(key)
                ok = np.isfinite(values) & ((values > 0) if graph == "loss" else True)
                curve.setData(steps[ok], values[ok])
        # the new range now: pyqtgraph would apply it inside the next paint and then paint again
        apply_auto_range_now(self.plots[graph].getViewBox())

    def _update_numbers(self, run: str, history: BoundedHistory) -> None:
        for _, key, fmt in ROWS:
            value = history.latest[key]
            self.values[(run, key)].setText(fmt.format(value) if np.isfinite(value) else "–")


def _record(snapshot: Snapshot) -> dict[str, float]:
    return {"step": snapshot.step, "loss_softmax": snapshot.loss_softmax,
            "weighted_center": snapshot.lam * snapshot.loss_center,
            **{key: getattr(snapshot.metrics, key) for key in ("probe_accuracy", "nearest_center_accuracy",
                                                                "ratio", "feature_norm")}}
