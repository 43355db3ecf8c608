"""Qt views of cl-viz: plot widgets, controls and the main window (the GUI thread only)."""

from cl_viz.qt.common.pyside_imports import make_imports_cheap

make_imports_cheap()
