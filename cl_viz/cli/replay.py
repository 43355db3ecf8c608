"""`cl-viz replay`: a recorded run in the app. The file is checked before any window opens, and
replaying never imports torch."""

from __future__ import annotations

import argparse
import sys

from cl_viz.core.errors import ClVizError


def run_replay(args: argparse.Namespace) -> int:
    """A bad file is one line on stderr and status 2."""
    from cl_viz.core.examples import find_example
    from cl_viz.core.recording import load_recording

    try:
        recording = load_recording(find_example(args.example).path if args.example else args.file)
    except ClVizError as error:
        print(f"cl-viz replay: error: {error}", file=sys.stderr)
        return 2
    from cl_viz.qt.app import OVERRIDES, run_app

    for flag, _ in OVERRIDES:  # the app's flags do not apply to a recording
        setattr(args, flag, None)
    args.compare = args.autostart = False
    return run_app(args, recording)
