"""`cl-viz figure`: train a grid of runs (one per λ, or one per loss) headless and render it with the app's
own plots to an image."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from cl_viz.cli.errors import run_reporting_errors
from cl_viz.cli.progress import Progress, loading_meter
from cl_viz.core.config import TrainConfig
from cl_viz.core.errors import ClVizError
from cl_viz.core.files import prepare_file, remove_empty_folders, write_atomically
from cl_viz.core.lambdas import DEFAULT_LAMBDAS, parse_lambdas
from cl_viz.core.recipes import RECIPES
from cl_viz.core.runs import GridEntry, lambda_entries, loss_entries, parse_runs

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp")


def run_figure(args: argparse.Namespace) -> int:
    return run_reporting_errors("cl-viz figure", lambda: _figure(args))


def _figure(args: argparse.Namespace) -> int:
    out = Path(args.out)
    if out.suffix.lower() not in IMAGE_SUFFIXES:
        raise ClVizError(f"--out must end with one of {', '.join(IMAGE_SUFFIXES)}, got {out.name!r}")
    size = _parse_size(args.size)
    recipe = RECIPES[args.recipe]
    steps = recipe.steps if args.steps is None else args.steps
    if steps < 0:
        raise ClVizError(f"--steps must be ≥ 0, got {steps}")
    entries = figure_entries(args)
    created = prepare_file(out)
    try:
        return _render_into(out, entries, steps, size, args.axes)
    except BaseException:
        remove_empty_folders(created)
        raise


FIGURE_FIELDS = ("model", "feat_dim", "alpha", "lr", "seed")
HEAD_FIELDS = ("scale", "margin", "margin_warmup_steps")


def figure_config(args: argparse.Namespace) -> TrainConfig:
    """The recipe's configuration, changed by the flags given (λ comes from --lambdas, or --lambda with
    --losses)."""
    changes = {name: getattr(args, name) for name in FIGURE_FIELDS if getattr(args, name, None) is not None}
    if args.losses and args.lam is not None:
        changes["lam"] = args.lam
    return RECIPES[args.recipe].config.replace(dataset=args.dataset, data_dir=args.data_dir, device=args.device,
                                               **changes).validated()


def figure_entries(args: argparse.Namespace) -> tuple[GridEntry, ...]:
    """One run per λ, or with --losses one per loss (flags given win over each head's settings)."""
    config = figure_config(args)
    if args.losses:
        explicit = {name: getattr(args, name) for name in (*FIGURE_FIELDS, *HEAD_FIELDS)
                    if getattr(args, name, None) is not None}
        return loss_entries(config, parse_runs(args.losses), explicit)
    if args.lam is not None:
        raise ClVizError("--lambda sets λ of the loss runs; with a λ grid give the values with --lambdas")
    return lambda_entries(config, parse_lambdas(args.lambdas or DEFAULT_LAMBDAS))


def _render_into(out: Path, entries: tuple[GridEntry, ...], steps: int, size: tuple[int, int], scale: str) -> int:
    from cl_viz.core.data import load_configured, resolve_name
    from cl_viz.core.grid import GridRun

    config = entries[0].config
    dataset = load_configured(config, progress=loading_meter(resolve_name(config.dataset, config.data_dir)))
    run = GridRun(entries, dataset)
    print(f"dataset: {dataset.name} ({dataset.source}); model {config.model}, {config.feat_dim}-D; device "
          f"{run.info.device}; runs: {', '.join(entry.title for entry in entries)}")
    progress = Progress(steps, run.sessions[0].batch_size * len(entries))
    while run.step < steps:
        run.train_step()
        progress.tick(run.step)
    frame = run.frame()
    if not frame.is_finite:
        diverged = [entry.title for entry, snapshot in zip(entries, frame.snapshots) if not snapshot.is_finite]
        raise ClVizError(f"training diverged ({', '.join(diverged)}: a loss is no longer finite); lower the learning "
                         f"rate, the margin or the largest λ")
    titles = [entry.title for entry in entries]
    encoded = encode_image(render_grid(frame, dataset.class_names, titles, size, scale), out.suffix)
    write_atomically(out, lambda file: file.write(encoded))
    scale_note = "each plot its own scale" if scale == "own" else "one shared scale"
    print(f"\nwrote {out} ({size[0]}x{size[1]}, step {frame.step}, {scale_note})")
    return 0


def render_grid(frame, class_names, titles, size: tuple[int, int], scale: str = "own"):
    """The grid as a QImage, drawn by the same widgets as the app (offscreen when there is no screen);
    `scale` "own" zooms each plot to its own features, "shared" gives all one scale."""
    if not os.environ.get("QT_QPA_PLATFORM") and not os.environ.get("DISPLAY") and sys.platform.startswith("linux"):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from PySide6.QtWidgets import QApplication

    from cl_viz.qt.grid.grid_view import RunGridView

    app = QApplication.instance() or QApplication(sys.argv[:1])
    view = RunGridView(class_names, titles, scale=scale)
    view.resize(*size)
    view.show()
    app.processEvents()
    view.show_frame(frame, snap=True)
    app.processEvents()
    image = view.grab().toImage()
    view.close()
    view.deleteLater()
    app.processEvents()
    return image


def encode_image(image, suffix: str) -> bytes:
    """A QImage as the bytes of a .png, .jpg or .bmp file."""
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice

    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    saved = image.save(buffer, suffix.lstrip(".").upper())
    buffer.close()
    if not saved:
        raise ClVizError(f"could not encode the image as {suffix}")
    return bytes(data.data())


def _parse_size(text: str) -> tuple[int, int]:
    try:
        width, height = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise ClVizError(f"--size must look like 1500x900, got {text!r}") from None
    if not (200 <= width <= 8000 and 200 <= height <= 8000):
        raise ClVizError(f"--size must be between 200 and 8000 pixels each way, got {text!r}")
    return width, height
