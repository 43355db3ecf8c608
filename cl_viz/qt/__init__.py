"""Qt views of cl-viz: plot widgets, controls and the main window (the GUI thread only)."""
