"""One feature plot per λ on one shared scale: the paper's Fig. 3 (used live and by `cl-viz figure`)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from PySide6.QtWidgets import QGridLayout, QLayout, QWidget

from cl_viz.core.frames import GridFrame
from cl_viz.qt.plot.axes import AxesLink
from cl_viz.qt.plot.feature_plot import FeaturePlot
from cl_viz.qt.plot.geometry import union_bounds

FOLLOW_FRACTION = 0.2


class LambdaGridView(QWidget):
    def __init__(self, class_names: Sequence[str], lambdas: Sequence[float], parent: QWidget | None = None,
                 theme: str = "light"):
        super().__init__(parent)
        self.lambdas = tuple(lambdas)
        columns = min(len(self.lambdas), 3 if len(self.lambdas) in (5, 6, 9) else 4)
        layout = QGridLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.setSizeConstraint(QLayout.SizeConstraint.SetNoConstraint)  # may be a top-level (cl-viz figure)
        self.plots: list[FeaturePlot] = []
        for index, lam in enumerate(self.lambdas):
            plot = FeaturePlot(theme=theme)
            plot.set_classes(class_names)
            plot.axes.set_mode("fixed")
            plot.set_title(_title(lam))
            layout.addWidget(plot, *divmod(index, columns))
            self.plots.append(plot)
        self.link = AxesLink(self.plots) if len(self.plots) > 1 else None  # a pan or zoom of one moves all
        self._range: np.ndarray | None = None

    def show_frame(self, frame: GridFrame, snap: bool = False) -> None:
        """Draw every run; the shared range glides toward the union of all runs' features."""
        for plot, lam, snapshot in zip(self.plots, self.lambdas, frame.snapshots):
            plot.show_frame(snapshot.features[:, :2], snapshot.labels, snapshot.centers[:, :2])
            metrics = snapshot.metrics
            plot.set_title(f"{_title(lam)}   acc {metrics.probe_accuracy:.0%}   intra/inter {metrics.ratio:.2f}")
        self._move_shared_range(snap)

    def _move_shared_range(self, snap: bool) -> None:
        target = union_bounds(plot.axes.follow_bounds() for plot in self.plots)
        if target is None:
            return
        if snap or self._range is None:
            self._range = target
        else:
            self._range = self._range + FOLLOW_FRACTION * (target - self._range)
        (xmin, xmax), (ymin, ymax) = self._range
        for plot in self.plots:
            plot.axes.set_fixed_range(xmin, xmax, ymin, ymax)


def _title(lam: float) -> str:
    if lam == 0:
        return "λ = 0 (softmax only)"
    exponent = math.log10(lam)
    return f"λ = 1e{exponent:.0f}" if exponent == round(exponent) else f"λ = {lam:g}"
