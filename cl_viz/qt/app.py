"""Start the app: settings, command-line presets, the main window."""

from __future__ import annotations

import argparse
import dataclasses
import os
import signal
import sys

from cl_viz.core.config import DEFAULTS, TrainConfig
from cl_viz.core.errors import ClVizError
from cl_viz.core.recipes import RECIPES
from cl_viz.core.runs import loss_entries, parse_run, parse_runs, run_config

PARKED_WORKERS_WAIT_MS = 10000
OVERRIDES = (("dataset", "dataset"), ("data_dir", "data_dir"), ("model", "model"), ("lam", "lam"),
             ("alpha", "alpha"), ("lr", "lr"), ("device", "device"), ("seed", "seed"),
             ("feat_dim", "feat_dim"), ("scale", "scale"), ("margin", "margin"),
             ("margin_warmup_steps", "margin_warmup_steps"), ("unknown_dataset", "unknown_dataset"),
             ("image_size", "image_size"), ("channels", "channels"), ("probe_split", "probe_split"))


def initial_setup(saved: TrainConfig, saved_compare: bool, args: argparse.Namespace) -> tuple[TrainConfig, bool]:
    """Remembered setup (or, with --recipe, that recipe), overridden by whatever the command line names:
    --loss first (its head's settings, λ = 0 without center loss), then the other flags.
    A remembered field that is not valid gives way to its default; a flag that is not valid is an error."""
    changes = {field: getattr(args, arg) for arg, field in OVERRIDES if getattr(args, arg, None) is not None}
    if getattr(args, "unknown_classes", None) is not None:
        changes["unknown_classes"] = tuple(args.unknown_classes)
    recipe = getattr(args, "recipe", None)
    if recipe is not None:
        start = RECIPES[recipe].config
    else:
        start, _ = DEFAULTS.with_valid({f.name: getattr(saved, f.name) for f in dataclasses.fields(saved)})
    compare = saved_compare or bool(getattr(args, "compare", False))
    loss = getattr(args, "loss", None)
    if loss is None:
        return start.replace(**changes).validated(), compare
    spec = parse_run(loss)
    if "lam" in changes and not spec.center_loss:
        raise ClVizError(f"--lambda needs a loss with center loss (center or <head>+center), not {loss!r}")
    base = start.replace(lam=changes.pop("lam", start.lam))
    # a remembered head's optimizer and rate are no start for another head; a recipe's are
    return run_config(base, spec, changes, defaults=start if recipe is not None else DEFAULTS), compare


def run_app(args: argparse.Namespace, recording=None) -> int:
    import pyqtgraph as pg
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from cl_viz.qt.window.main_window import MainWindow
    from cl_viz.qt.window.settings import load_setup

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("cl-viz")
    app.setOrganizationName("cl-viz")
    pg.setConfigOptions(antialias=True)
    settings = QSettings()
    try:
        config, compare = initial_setup(*load_setup(settings), args)
    except ClVizError as error:
        print(f"cl-viz: error: {error}", file=sys.stderr)
        return 2
    losses = getattr(args, "losses", None)
    if losses and recording is None:
        window = _loss_family_window(config, args)
        if window is None:
            return 2
    else:
        window = MainWindow(settings, config, compare, autostart=args.autostart, recording=recording,
                            worker_mode=getattr(args, "worker", None))
    window.show()
    if getattr(args, "present", False):
        window.toggle_presentation()
    # Ctrl+C in the terminal closes the window like Ctrl+Q (the 30 fps draw timer lets Python see it).
    signal.signal(signal.SIGINT, lambda *_: window.close())
    status = app.exec()
    return _exit_status_once_workers_end(status)


def _loss_family_window(config: TrainConfig, args: argparse.Namespace):
    """`cl-viz --losses …`: the grid window, one run per loss, each with its head's settings and the
    flags given on top; None (after one line on stderr) when the list or a flag is not valid."""
    from cl_viz.qt.grid.grid_window import GridWindow

    explicit = {name: getattr(args, name) for name in ("lr", "scale", "margin", "margin_warmup_steps")
                if getattr(args, name, None) is not None}
    try:
        if getattr(args, "loss", None):
            raise ClVizError("--loss picks one run and --losses several; give one of them")
        loss_entries(config, parse_runs(args.losses), explicit, defaults=DEFAULTS)
    except ClVizError as error:
        print(f"cl-viz: error: {error}", file=sys.stderr)
        return None
    return GridWindow(config, losses=args.losses, explicit=explicit, autostart=args.autostart,
                      worker_mode=getattr(args, "worker", None))


def _exit_status_once_workers_end(status: int) -> int:
    """A worker or a download parked at a window's close (blocked on the network, a long step) ends before
    the interpreter does: Qt aborts a process whose QThread is destroyed while it runs."""
    from cl_viz.qt.window.download_thread import DownloadThread
    from cl_viz.qt.worker import WorkerThread

    if WorkerThread.wait_for_parked(PARKED_WORKERS_WAIT_MS) and DownloadThread.wait_for_parked(PARKED_WORKERS_WAIT_MS):
        return status
    print("cl-viz: a training or download thread did not stop in time; leaving without it", file=sys.stderr)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)
