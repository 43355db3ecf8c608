"""The main window's menu bar: File, View, Lessons and Help."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QMessageBox

from cl_viz import __version__
from cl_viz.core.examples import list_examples
from cl_viz.core.presets import Preset, PresetError, scan_presets

if TYPE_CHECKING:
    from cl_viz.qt.window.main_window import MainWindow

PROBLEM_ENTRY_LENGTH = 100  # a longer reason is cut in the menu; its tooltip has all of it

SHORTCUTS_TEXT = """<table>
<tr><td><b>Space</b></td><td>train / pause</td></tr>
<tr><td><b>→</b></td><td>one optimizer step, then pause</td></tr>
<tr><td><b>R</b></td><td>reset (new network with the current setup)</td></tr>
<tr><td><b>F5</b></td><td>presentation mode</td></tr>
<tr><td><b>F11</b></td><td>full screen</td></tr>
<tr><td><b>Ctrl+O / Ctrl+S</b></td><td>open / save a recording</td></tr>
<tr><td><b>Ctrl+E</b></td><td>export an image or an animation</td></tr>
<tr><td><b>Ctrl+G</b></td><td>λ grid (the paper's Fig. 3)</td></tr>
<tr><td><b>Ctrl+L</b></td><td>the loss family side by side</td></tr>
<tr><td><b>Ctrl+Q</b></td><td>quit</td></tr></table>"""


@dataclass(frozen=True)
class Menus:
    """What the window needs back from its menu bar."""

    presentation: QAction
    lessons: QMenu


def build_menus(window: MainWindow) -> Menus:
    bar = window.menuBar()
    file_menu = bar.addMenu("&File")
    _add(window, file_menu, "&Open recording…", window.open_recording_dialog, "Ctrl+O")
    _add(window, file_menu, "&Save recording…", window.save_recording_dialog, "Ctrl+S")
    _add(window, file_menu, "&Export image or animation…", window.open_export_dialog, "Ctrl+E")
    file_menu.addSeparator()
    _add(window, file_menu, "&Quit", window.close, "Ctrl+Q")

    view_menu = bar.addMenu("&View")
    presentation = _add(window, view_menu, "&Presentation mode", window.toggle_presentation, "F5")
    presentation.setCheckable(True)
    _add(window, view_menu, "&Full screen", window.toggle_fullscreen, "F11")
    view_menu.addAction(window.normalise_features)
    _add(window, view_menu, "λ &grid (Fig. 3)…", window.open_grid, "Ctrl+G")
    _add(window, view_menu, "The &loss family (softmax, center, CosFace, ArcFace)…", window.open_loss_family,
         "Ctrl+L")

    open_set = window.open_set_dock.toggleViewAction()
    open_set.setText("&Open set: unknowns and verification")
    open_set.setShortcut(QKeySequence("Ctrl+U"))
    view_menu.addAction(open_set)

    lessons = bar.addMenu("&Lessons")
    fill_lessons(lessons, window.apply_preset)

    help_menu = bar.addMenu("&Help")
    examples = help_menu.addMenu("&Examples (recorded runs)")
    for example in list_examples():
        action = examples.addAction(example.title)
        action.setToolTip(example.description)
        action.triggered.connect(partial(window.open_recording, str(example.path)))
    examples.setEnabled(bool(examples.actions()))
    _add(window, help_menu, "&Keyboard shortcuts", partial(_show_shortcuts, window))
    _add(window, help_menu, "&About cl-viz", partial(_show_about, window))
    return Menus(presentation, lessons)


def fill_lessons(menu: QMenu, apply: Callable[[Preset], None]) -> None:
    """One entry per lesson preset, calling `apply` with it; each file that cannot be loaded is a
    disabled entry that says which and why."""
    menu.clear()
    presets, problems = scan_presets()
    for preset in presets:
        action = menu.addAction(_literal(preset.title))
        action.setToolTip(preset.description)
        action.setStatusTip(preset.description)
        action.triggered.connect(partial(apply, preset))
    if presets and problems:
        menu.addSeparator()
    for problem in problems:
        _add_problem(menu, problem)
    if not presets and not problems:
        menu.addAction("(no lesson presets found)").setEnabled(False)
    menu.setToolTipsVisible(True)


def _add_problem(menu: QMenu, problem: PresetError) -> None:
    reason = problem.reason.strip().splitlines()[0] if problem.reason.strip() else "cannot be loaded"
    if len(reason) > PROBLEM_ENTRY_LENGTH:
        reason = reason[:PROBLEM_ENTRY_LENGTH - 1] + "…"
    action = menu.addAction(_literal(f"{problem.path.name}: {reason}"))
    action.setEnabled(False)
    action.setToolTip(str(problem))


def _literal(text: str) -> str:
    """Menu text shown as written: a single & would underline the next letter as a shortcut."""
    return text.replace("&", "&&")


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
