"""The main window's menu bar: File, View, Lessons and Help."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QMessageBox

from cl_viz import __version__
from cl_viz.core.examples import list_examples

if TYPE_CHECKING:
    from cl_viz.qt.main_window import MainWindow

SHORTCUTS_TEXT = """<table>
<tr><td><b>Space</b></td><td>train / pause</td></tr>
<tr><td><b>→</b></td><td>one optimizer step, then pause</td></tr>
<tr><td><b>R</b></td><td>reset (new network with the current setup)</td></tr>
<tr><td><b>F5</b></td><td>presentation mode</td></tr>
<tr><td><b>F11</b></td><td>full screen</td></tr>
<tr><td><b>Ctrl+O / Ctrl+S</b></td><td>open / save a recording</td></tr>
<tr><td><b>Ctrl+E</b></td><td>export an image or an animation</td></tr>
<tr><td><b>Ctrl+G</b></td><td>λ grid (the paper's Fig. 3)</td></tr>
<tr><td><b>Ctrl+Q</b></td><td>quit</td></tr></table>"""


def build_menus(window: MainWindow) -> None:
    bar = window.menuBar()
    file_menu = bar.addMenu("&File")
    _add(window, file_menu, "&Open recording…", window.open_recording_dialog, "Ctrl+O")
    _add(window, file_menu, "&Save recording…", window.save_recording_dialog, "Ctrl+S")
    _add(window, file_menu, "&Export image or animation…", window.open_export_dialog, "Ctrl+E")
    file_menu.addSeparator()
    _add(window, file_menu, "&Quit", window.close, "Ctrl+Q")

    view_menu = bar.addMenu("&View")
    window.presentation_action = _add(window, view_menu, "&Presentation mode", window.toggle_presentation, "F5")
    window.presentation_action.setCheckable(True)
    _add(window, view_menu, "&Full screen", window.toggle_fullscreen, "F11")
    _add(window, view_menu, "λ &grid (Fig. 3)…", window.open_grid, "Ctrl+G")

    window.lessons_menu = bar.addMenu("&Lessons")
    fill_lessons(window)

    help_menu = bar.addMenu("&Help")
    examples = help_menu.addMenu("&Examples (recorded runs)")
    for example in list_examples():
        action = examples.addAction(example.title)
        action.setToolTip(example.description)
        action.triggered.connect(partial(window.open_recording, str(example.path)))
    examples.setEnabled(bool(examples.actions()))
    _add(window, help_menu, "&Keyboard shortcuts", partial(_show_shortcuts, window))
    _add(window, help_menu, "&About cl-viz", partial(_show_about, window))


def fill_lessons(window: MainWindow) -> None:
    from cl_viz.core.errors import ClVizError
    from cl_viz.core.presets import list_presets

    menu: QMenu = window.lessons_menu
    menu.clear()
    try:
        presets = list_presets()
    except ClVizError as error:
        menu.addAction(f"(presets unreadable: {error})").setEnabled(False)
        return
    for preset in presets:
        action = menu.addAction(preset.title)
        action.setToolTip(preset.description)
        action.setStatusTip(preset.description)
        action.triggered.connect(partial(window.apply_preset, preset))
    menu.setToolTipsVisible(True)


def _add(window: MainWindow, menu: QMenu, text: str, slot, keys: str | None = None) -> QAction:
    action = QAction(text, window)
    if keys:
        action.setShortcut(QKeySequence(keys))
    action.triggered.connect(slot)
    menu.addAction(action)
    window.addAction(action)  # shortcuts work in full screen and presentation mode too
    return action


def _show_shortcuts(window: MainWindow) -> None:
    QMessageBox.information(window, "cl-viz: keyboard shortcuts", SHORTCUTS_TEXT)


def _show_about(window: MainWindow) -> None:
    QMessageBox.about(window, "About cl-viz",
                      f"<b>cl-viz {__version__}</b><p>Center loss (Wen, Zhang, Li and Qiao, <i>A Discriminative "
                      "Feature Learning Approach for Deep Face Recognition</i>, ECCV 2016), live: "
                      "L = L_S + λ·L_C with centers moved by Eq. 4.</p>")
