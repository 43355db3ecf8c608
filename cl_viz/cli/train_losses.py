"""`cl-viz train --losses …`: several runs side by side from the same start on the same batches, each
writing its own metrics.json, features.npz and checkpoint.pt under DIR/LOSS/."""

from __future__ import annotations

import argparse
import sys
import time
from datetime import datetime
from pathlib import Path

from cl_viz.cli.progress import Progress, loading_meter, number
from cl_viz.cli.train import StopRequest
from cl_viz.cli.train_config import steps_to_train
from cl_viz.cli.train_outputs import (
    checked_snapshot,
    evaluation_record,
    final_line,
    head_text,
    stabilisers,
    write_outputs,
)
from cl_viz.core.data import load_configured, resolve_name
from cl_viz.core.errors import ClVizError
from cl_viz.core.files import prepare_folder, remove_empty_folders
from cl_viz.core.grid import GridRun
from cl_viz.core.runs import GridEntry, parse_runs


def train_losses(args: argparse.Namespace, entries: tuple[GridEntry, ...]) -> int:
    names = [spec.name for spec in parse_runs(args.losses)]
    config = entries[0].config
    dataset_name = resolve_name(config.dataset, config.data_dir)
    out = Path(args.out or f"cl-viz-runs/{dataset_name}-losses-{datetime.now():%Y%m%d-%H%M%S}")
    created = prepare_folder(out)
    try:
        return _train_into(out, args, names, entries)
    except BaseException:
        remove_empty_folders(created)
        raise


def _train_into(out: Path, args: argparse.Namespace, names: list[str], entries: tuple[GridEntry, ...]) -> int:
    config = entries[0].config
    dataset = load_configured(config, progress=loading_meter(resolve_name(config.dataset, config.data_dir)))
    run = GridRun(entries, dataset)
    first = run.sessions[0]
    total_steps = steps_to_train(args, first)
    trained_on = first.dataset  # the known classes alone where classes are held out
    print(f"dataset: {trained_on.name} ({trained_on.source}; {len(trained_on.train_labels):,} train, probe "
          f"{len(first.probe_labels):,}); model {config.model}, {config.feat_dim}-D; device {run.info.device}; "
          f"{total_steps} steps; out: {out}")
    for name, session in zip(names, run.sessions):
        c = session.config
        print(f"  {name}: L_S + {c.lam:g}·L_C, {head_text(c)}; {c.optimizer} lr {c.lr:g}; {stabilisers(c)}")
    progress = Progress(total_steps, first.batch_size * len(entries))
    histories: list[list[dict]] = [[] for _ in entries]
    started = time.perf_counter()
    with StopRequest() as stop:
        while run.step < total_steps and not stop.requested:
            run.train_step()
            if run.step % args.eval_every == 0:
                _evaluate(run, names, progress, histories)
            else:
                progress.tick(run.step)
        if not histories[0] or histories[0][-1]["step"] != run.step:
            _evaluate(run, names, progress, histories)
    interrupted = run.step < total_steps
    elapsed = time.perf_counter() - started
    written = []
    for name, session, history in zip(names, run.sessions, histories):
        folder = out / name
        folder.mkdir(exist_ok=True)
        written += write_outputs(folder, session, history, elapsed, run.step, interrupted)
    summary = f"wrote {len(written)} files under {out}/ ({', '.join(names)})"
    if interrupted:
        print(f"cl-viz train: interrupted at step {run.step}/{total_steps}: {summary}", file=sys.stderr)
    else:
        print(summary)
    for name, history in zip(names, histories):
        print(f"  {name}: {final_line(history[-1])}")
    return 130 if interrupted else 0


def _evaluate(run: GridRun, names: list[str], progress: Progress, histories: list[list[dict]]) -> None:
    parts = []
    for name, session, history in zip(names, run.sessions, histories):
        try:
            snapshot = checked_snapshot(session)
        except ClVizError as error:
            raise ClVizError(f"{name}: {error}") from None
        history.append(evaluation_record(snapshot))
        parts.append(f"{name} {number(snapshot.metrics.probe_accuracy, '.1%')}")
    progress.report(run.step, "  ".join(parts))
