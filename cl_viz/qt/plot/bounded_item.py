"""A graphics item whose bounding rect, padded by a few screen pixels, is computed once per change."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6 import QtCore

from cl_viz.qt.common.guard import guarded


class PaddedBoundsItem(pg.GraphicsObject):
    """Qt asks for the bounding rect several times per frame: subclasses say in `_padded_rect` what
    it is (their data's bounds plus pixel padding) and call `_geometry_changed` when that changes."""

    def __init__(self) -> None:
        super().__init__()
        self._rect_cache: QtCore.QRectF | None = None

    def _padded_rect(self) -> QtCore.QRectF:
        raise NotImplementedError

    @guarded(fallback=QtCore.QRectF)
    def boundingRect(self) -> QtCore.QRectF:  # noqa: N802 (Qt override)
        if self._rect_cache is None:
            self._rect_cache = self._padded_rect()
        return self._rect_cache

    def _geometry_changed(self) -> None:
        self.prepareGeometryChange()
        self._rect_cache = None
        self.update()

    @guarded()
    def viewTransformChanged(self) -> None:  # noqa: N802 (Qt override)
        self._geometry_changed()  # the padding is in pixels
        super().viewTransformChanged()
