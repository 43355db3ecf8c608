"""The command line: `cl-viz` (the app), `cl-viz train`, `cl-viz figure`, `cl-viz replay`."""
