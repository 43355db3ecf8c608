"""Where an open-set threshold accepts a feature: the plane shaded grey where the score falls below the
threshold (rejected as unknown), clear where a known class is accepted. For the distance to the nearest
center that is a disc around each center; for max softmax, the petals' far ends. Computed on a grid
across the view (cl_viz.qt.plot.regions), from a throttle, in the plain 2-D view only: on the unit
circle or the sphere the plane is not the feature space.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore

from cl_viz.core.errors import ClVizError
from cl_viz.core.openset_scores import open_set_score
from cl_viz.core.snapshot import Snapshot
from cl_viz.qt.common.guard import guarded
from cl_viz.qt.plot.regions import RECOMPUTE_INTERVAL_MS, RegionImageItem, Throttle, region_grid

REJECTED_RGBA = {"light": (90, 90, 90, 38), "dark": (0, 0, 0, 90)}
ACCEPTANCE_Z = -1.5  # over the decision regions (-2), under the grid (-1)
ACCEPTANCE_CELLS = 160


class AcceptanceRegion(QtCore.QObject):
    recomputed = QtCore.Signal()

    def __init__(self, view_box: pg.ViewBox, parent: QtCore.QObject | None = None) -> None:
        super().__init__(parent)
        self._view_box = view_box
        self._image = RegionImageItem(axisOrder="row-major")
        self._image.setZValue(ACCEPTANCE_Z)
        self._image.setVisible(False)
        view_box.addItem(self._image, ignoreBounds=True)
        self._rule: tuple[Snapshot, str, float] | None = None
        self._plane = True
        self._rgba = np.array(REJECTED_RGBA["light"], np.uint8)
        self.accepted = np.zeros((0, 0), bool)  # per cell of the current image; row 0 is the lowest y
        self._throttle = Throttle(RECOMPUTE_INTERVAL_MS, self._recompute, self)
        view_box.sigRangeChanged.connect(self._on_view_changed)

    @property
    def image_item(self) -> RegionImageItem:
        return self._image

    def set_rule(self, snapshot: Snapshot | None, score: str = "", threshold: float = 0.0) -> None:
        """Shade what `score` < `threshold` rejects under `snapshot`'s centers and classifier (None: nothing)."""
        self._rule = None if snapshot is None else (snapshot, score, float(threshold))
        self._changed()

    def set_plane(self, plane: bool) -> None:
        self._plane = bool(plane)
        self._changed()

    def set_theme(self, name: str) -> None:
        self._rgba = np.array(REJECTED_RGBA[name], np.uint8)
        self._changed()

    @QtCore.Slot(object, object, object)
    @guarded()
    def _on_view_changed(self, *_args) -> None:
        self._changed()

    def _changed(self) -> None:
        if self._rule is None or not self._plane:
            self._throttle.cancel()
            self._image.setVisible(False)
        else:
            self._throttle.request()

    def _recompute(self) -> None:
        grid = region_grid(self._view_box.viewRange(), ACCEPTANCE_CELLS)
        rule = self._rule
        if rule is None or not self._plane or grid is None or np.asarray(rule[0].centers).shape[1:] != (2,):
            self._image.setVisible(False)
            return
        snapshot, score, threshold = rule
        (x0, y0, width, height), (rows, cols) = grid
        xs = x0 + (np.arange(cols) + 0.5) * (width / cols)
        ys = y0 + (np.arange(rows) + 0.5) * (height / rows)
        points = np.stack(np.meshgrid(xs, ys), axis=-1).reshape(-1, 2)
        try:
            scores = open_set_score(score, points, snapshot).scores
        except ClVizError:
            self._image.setVisible(False)
            return
        self.accepted = (scores >= threshold).reshape(rows, cols)
        image = np.zeros((rows, cols, 4), np.uint8)
        image[~self.accepted] = self._rgba
        self._image.setImage(image, autoLevels=False)
        self._image.setRect(QtCore.QRectF(x0, y0, width, height))
        self._image.setVisible(True)
        self.recomputed.emit()
