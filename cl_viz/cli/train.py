"""`cl-viz train`: a headless run that writes metrics.json, features.npz and checkpoint.pt."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time
from pathlib import Path

from cl_viz.cli.errors import run_reporting_errors
from cl_viz.cli.progress import Progress, loading_meter
from cl_viz.cli.train_config import check_flags, configured_run, default_out, grid_entries_from_args, steps_to_train
from cl_viz.cli.train_outputs import Recorder, evaluate, final_line, print_header, restore, write_outputs
from cl_viz.core.config import TrainConfig
from cl_viz.core.data import load_configured, resolve_name
from cl_viz.core.distributed import from_environment
from cl_viz.core.files import prepare_file, prepare_folder, remove_empty_folders
from cl_viz.core.runner import LockstepRun


def run_train(args: argparse.Namespace) -> int:
    return run_reporting_errors("cl-viz train", lambda: _train(args))


def _train(args: argparse.Namespace) -> int:
    parallel = from_environment()
    if args.nproc or parallel:
        from cl_viz.cli import train_distributed

        return train_distributed.launch(args) if args.nproc else train_distributed.train_data_parallel(args, parallel)
    if args.losses:
        from cl_viz.cli.train_losses import train_losses

        check_flags(args)
        return train_losses(args, grid_entries_from_args(args))
    checkpoint, config = configured_run(args)
    out = Path(args.out or default_out(resolve_name(config.dataset, config.data_dir), config))
    created = prepare_folder(out)
    try:
        if args.record:
            created += prepare_file(args.record)
        return _train_into(out, args, config, checkpoint)
    except BaseException:
        remove_empty_folders(created)  # leave no empty output folder behind
        raise


def _train_into(out: Path, args: argparse.Namespace, config: TrainConfig, checkpoint: dict | None) -> int:
    dataset = load_configured(config, progress=loading_meter(resolve_name(config.dataset, config.data_dir)))
    run = LockstepRun(config, args.compare, dataset)
    session = run.primary
    if checkpoint:
        restore(session, checkpoint, args.resume)
    total_steps = steps_to_train(args, session)
    print_header(session, total_steps, out)
    recorder = Recorder(run, args.record, args.record_every) if args.record else None
    progress = Progress(total_steps, session.batch_size, start_step=session.step)
    started, start_step = time.perf_counter(), session.step
    if recorder:
        recorder.capture(progress.steps_per_second(session.step))
    history: list[dict] = []
    interrupted = _fit(run, total_steps, args.eval_every, recorder, progress, history)
    elapsed = time.perf_counter() - started
    written = write_outputs(out, session, history, elapsed, session.step - start_step, interrupted)
    if recorder:
        written.append(f"{recorder.save()} ({len(recorder.timeline)} frames)")
    if interrupted:
        print(f"cl-viz train: interrupted at step {session.step}/{total_steps}: wrote {', '.join(written)}",
              file=sys.stderr)
    else:
        print(f"wrote {', '.join(written)}")
    print(final_line(history[-1]))
    return 130 if interrupted else 0


def _fit(run: LockstepRun, total_steps: int, eval_every: int, recorder: Recorder | None, progress: Progress,
         history: list[dict]) -> bool:
    """Train to `total_steps`, or until Ctrl+C ends the step under way; return whether it was interrupted."""
    session = run.primary
    with StopRequest() as stop:
        while session.step < total_steps and not stop.requested:
            run.train_step()
            if recorder and session.step % recorder.every == 0:
                recorder.capture(progress.steps_per_second(session.step))
            if session.step % eval_every == 0:
                evaluate(session, progress, history)
            else:
                progress.tick(session.step)
        if recorder and recorder.last_step != session.step:
            recorder.capture(progress.steps_per_second(session.step))
        if not history or history[-1]["step"] != session.step:
            evaluate(session, progress, history)
    return session.step < total_steps


class StopRequest:
    """The first Ctrl+C asks the training loop to stop after its step; a second one interrupts at once."""

    def __init__(self):
        self.requested = False
        self._installed = False

    def __enter__(self) -> StopRequest:
        # Only where Python's own handler is in place: not in a thread, nor where SIGINT is ignored (nohup).
        if threading.current_thread() is threading.main_thread() and \
                signal.getsignal(signal.SIGINT) is signal.default_int_handler:
            signal.signal(signal.SIGINT, self._request)
            self._installed = True
        return self

    def __exit__(self, *exc) -> None:
        if self._installed:
            signal.signal(signal.SIGINT, signal.default_int_handler)

    def _request(self, signum, frame) -> None:
        self.requested = True
        signal.signal(signal.SIGINT, signal.default_int_handler)
