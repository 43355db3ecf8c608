"""Export the current view as a still image (PNG, SVG), written atomically. No dialogs here.

A FeaturePlot or any pg graphics item goes through pyqtgraph's ImageExporter (PNG); SVG is drawn by
Qt's own QSvgGenerator (SVG 1.1, with clip paths), because pyqtgraph 0.14's SVGExporter fails on the
closed paths ("… Z") that Qt 6.10+ writes (pyqtgraph issue #3495). SpriteCloudItem paints its points
as vector circles on an SVG device. Any other widget (the main window) is grabbed (PNG) or rendered
onto the SVG generator. Either way the file is made in memory and reaches its name whole or not at all.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path

import pyqtgraph.exporters
from PySide6 import QtCore, QtGui, QtSvg, QtWidgets

from cl_viz.core.errors import ClVizError
from cl_viz.core.files import write_atomically
from cl_viz.qt.plot.feature_plot import FeaturePlot

IMAGE_FORMATS = ("png", "svg")
EXPORT_FORMATS = ("png", "svg", "gif", "mp4")


def export_format(path: str | os.PathLike, allowed: Sequence[str] = EXPORT_FORMATS) -> str:
    """The format a file name asks for ("png", "svg", "gif" or "mp4"); ClVizError for any other."""
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix not in allowed:
        raise ClVizError(f"cannot export {Path(path).name!r}: the file name must end in "
                         f"{', '.join('.' + name for name in allowed)}")
    return suffix


def check_folder(path: Path) -> None:
    if not path.parent.is_dir():
        raise ClVizError(f"cannot export to {path}: the folder {path.parent} does not exist")


def export_image(target: FeaturePlot | QtWidgets.QGraphicsItem | QtWidgets.QWidget, path) -> Path:
    """Write the current view of a plot (or of any widget, e.g. the main window) as PNG or SVG."""
    path = Path(path)
    kind = export_format(path, IMAGE_FORMATS)
    check_folder(path)
    item = target.plot_item if isinstance(target, FeaturePlot) else target
    if isinstance(item, QtWidgets.QGraphicsItem):
        content = _png(pyqtgraph.exporters.ImageExporter(item).export(toBytes=True)) if kind == "png" \
            else _item_svg(item)
    elif isinstance(item, QtWidgets.QWidget):
        content = _png(item.grab().toImage()) if kind == "png" else _widget_svg(item)
    else:
        raise TypeError(f"cannot export a {type(target).__name__}")
    if not content:
        raise ClVizError(f"could not draw {path.name}")
    return write_atomically(path, lambda file: file.write(content))


def _png(image: QtGui.QImage) -> bytes:
    buffer = QtCore.QBuffer()
    buffer.open(QtCore.QIODevice.OpenModeFlag.WriteOnly)
    return bytes(buffer.data()) if image.save(buffer, "PNG") else b""


def _item_svg(item: QtWidgets.QGraphicsItem) -> bytes:
    source = item.sceneBoundingRect()
    target = QtCore.QRectF(0, 0, source.width(), source.height())
    background = item.scene().views()[0].backgroundBrush().color()

    def draw(painter: QtGui.QPainter) -> None:
        painter.fillRect(target, background)
        item.scene().render(painter, target, source)

    return _svg(target.size().toSize(), draw)


def _widget_svg(widget: QtWidgets.QWidget) -> bytes:
    return _svg(widget.size(), lambda painter: widget.render(painter, QtCore.QPoint()))


def _svg(size: QtCore.QSize, draw: Callable[[QtGui.QPainter], None]) -> bytes:
    buffer = QtCore.QBuffer()
    buffer.open(QtCore.QIODevice.OpenModeFlag.WriteOnly)
    generator = QtSvg.QSvgGenerator(QtSvg.QSvgGenerator.SvgVersion.Svg11)
    generator.setOutputDevice(buffer)
    generator.setSize(size)
    generator.setViewBox(QtCore.QRect(QtCore.QPoint(0, 0), size))
    # axis labels are recorded QPictures, replayed at the device resolution: match the screen's
    generator.setResolution(round(QtGui.QGuiApplication.primaryScreen().logicalDotsPerInchX()))
    generator.setTitle("cl-viz")
    painter = QtGui.QPainter()
    if not painter.begin(generator):
        return b""
    try:
        draw(painter)
    finally:
        painter.end()
    return bytes(buffer.data())
