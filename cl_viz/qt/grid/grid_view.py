"""One feature plot per run: the paper's Fig. 3 (one run per λ) or the loss family (one per loss), used
live and by `cl-viz figure`.

Each plot has its own scale by default: on one shared scale the largest λ's features, a few units
across against the softmax run's hundred, are a knot under their own center markers. The shared
scale is one call away (`set_scale("shared")`): the shrinking feature norm is a lesson too.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PySide6.QtCore import Slot
from PySide6.QtWidgets import QGridLayout, QLayout, QWidget

from cl_viz.core.frames import GridFrame
from cl_viz.core.lambdas import GRID_SCALES
from cl_viz.core.margins import ANGULAR_HEADS, MARGIN_HEADS
from cl_viz.core.snapshot import Snapshot
from cl_viz.qt.common.guard import guarded
from cl_viz.qt.plot.axes import AxesLink
from cl_viz.qt.plot.feature_plot import FeaturePlot
from cl_viz.qt.plot.geometry import union_bounds

FOLLOW_FRACTION = 0.2
COLUMNS = {1: 1, 2: 2, 3: 3, 4: 2, 5: 3, 6: 3, 7: 4, 8: 4, 9: 3}  # by number of runs: rows near square


class RunGridView(QWidget):
    def __init__(self, class_names: Sequence[str], titles: Sequence[str], parent: QWidget | None = None,
                 theme: str = "light", scale: str = "own"):
        super().__init__(parent)
        self.titles = tuple(titles)
        columns = COLUMNS.get(len(self.titles), 4)
        layout = QGridLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.setSizeConstraint(QLayout.SizeConstraint.SetNoConstraint)  # may be a top-level (cl-viz figure)
        self.plots: list[FeaturePlot] = []
        for index, title in enumerate(self.titles):
            plot = FeaturePlot(theme=theme)
            plot.set_classes(class_names)
            plot.axes.set_mode("fixed")
            plot.set_title(title)
            layout.addWidget(plot, *divmod(index, columns))
            plot.rotation_changed.connect(self._turn_all)
            self.plots.append(plot)
        self.link: AxesLink | None = None  # on the shared scale a pan or zoom of one moves all
        self._ranges: list[np.ndarray | None] = [None] * len(self.plots)
        self._scale = ""
        self.set_scale(scale)

    @property
    def scale(self) -> str:
        """"own": each plot zoomed to its own features; "shared": one range for all."""
        return self._scale

    def set_scale(self, scale: str) -> None:
        if scale not in GRID_SCALES:
            raise ValueError(f"scale must be one of {GRID_SCALES}, got {scale!r}")
        if scale == self._scale:
            return
        self._scale = scale
        if self.link is not None:
            self.link.unlink()
            self.link = None
        if scale == "shared" and len(self.plots) > 1:
            self.link = AxesLink(self.plots)
        self._move_ranges(snap=True)

    def set_normalised(self, normalise: bool) -> None:
        """Every plot draws x/‖x‖ on the unit circle (the picture of the angular heads) or the features."""
        for plot in self.plots:
            plot.set_normalised(normalise)
        self._move_ranges(snap=True)

    @Slot(object)
    @guarded()
    def _turn_all(self, rotation) -> None:
        """A sphere turned by a drag turns the others with it, so that they compare."""
        for plot in self.plots:
            if plot.rotation != rotation:
                plot.set_rotation(rotation)

    def show_frame(self, frame: GridFrame, snap: bool = False) -> None:
        """Draw every run; each range glides toward its own features, or all toward the union of them."""
        for plot, title, snapshot in zip(self.plots, self.titles, frame.snapshots):
            plot.show_frame(snapshot.features, snapshot.labels, snapshot.centers)
            plot.set_title(f"{title}   {_figures(snapshot)}")
        self._move_ranges(snap)

    def _move_ranges(self, snap: bool) -> None:
        targets = [plot.axes.follow_bounds() for plot in self.plots]
        if self._scale == "shared":
            targets = [union_bounds(targets)] * len(targets)
        for index, (plot, target) in enumerate(zip(self.plots, targets)):
            if target is None:
                continue
            current = self._ranges[index]
            new = target if snap or current is None else current + FOLLOW_FRACTION * (target - current)
            self._ranges[index] = new
            (xmin, xmax), (ymin, ymax) = new
            plot.axes.set_fixed_range(xmin, xmax, ymin, ymax)


def _figures(snapshot: Snapshot) -> str:
    """The margin as applied now, accuracy and compactness (angular for the heads whose class is an angle)."""
    metrics = snapshot.metrics
    margin = f"m {snapshot.effective_margin:.2f}   " if snapshot.head in MARGIN_HEADS else ""
    accuracy = f"{margin}acc {metrics.probe_accuracy:.0%}"
    if snapshot.head in ANGULAR_HEADS:
        return f"{accuracy}   angular intra/inter {_number(metrics.angular_ratio)}"
    return f"{accuracy}   intra/inter {_number(metrics.ratio)}"


def _number(value: float) -> str:
    return f"{value:.2f}" if np.isfinite(value) else "–"
