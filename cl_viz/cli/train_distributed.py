"""`cl-viz train` on several processes: `torchrun --nproc-per-node N -m cl_viz train …`, or
`cl-viz train --nproc N`, which starts the same ranks through torch.distributed's elastic launcher.

Every rank trains its share of each global batch (DistributedDataParallel averages the gradients,
CenterLoss all-reduces its centers' update); rank 0 alone evaluates, prints and writes the outputs.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
import uuid
from pathlib import Path

import torch
import torch.distributed as dist

from cl_viz.cli.progress import Progress, loading_meter
from cl_viz.cli.train_config import configured_run, default_out, steps_to_train
from cl_viz.cli.train_outputs import Recorder, evaluate, final_line, print_header, restore, write_outputs
from cl_viz.core import distributed
from cl_viz.core.config import TrainConfig
from cl_viz.core.data import load_configured, resolve_name
from cl_viz.core.errors import ClVizError
from cl_viz.core.files import first_line, prepare_file, prepare_folder, remove_empty_folders
from cl_viz.core.runner import LockstepRun

LAUNCHER_LOGGERS = ("torch.distributed.elastic", "torch.multiprocessing")
REPORTED = 2  # the exit status of a rank that has printed its own error line (cl_viz.cli.errors)


def launch(args: argparse.Namespace) -> int:
    """`--nproc N`: N ranks on this machine, each running this command without --nproc."""
    from torch.distributed.elastic.multiprocessing.errors import ChildFailedError
    from torch.distributed.launcher.api import LaunchConfig, elastic_launch

    if args.nproc < 1:
        raise ClVizError(f"--nproc must be ≥ 1, got {args.nproc}")
    _configure(args, args.nproc)  # bad flags or a bad checkpoint: one line here rather than one per rank
    os.environ.setdefault("OMP_NUM_THREADS", str(max(1, (os.cpu_count() or 1) // args.nproc)))
    config = LaunchConfig(min_nodes=1, max_nodes=1, nproc_per_node=args.nproc, run_id=f"cl-viz-{uuid.uuid4()}",
                          rdzv_backend="c10d", rdzv_endpoint="localhost:0", max_restarts=0, start_method="spawn")
    for name in LAUNCHER_LOGGERS:  # a failure is told in one line below, not in the launcher's tables
        logging.getLogger(name).setLevel(logging.CRITICAL)
    try:
        elastic_launch(config, run_rank)(argparse.Namespace(**{**vars(args), "nproc": None}))
    except ChildFailedError as error:
        rank, failure = error.get_first_failure()
        if failure.exitcode == REPORTED:
            return REPORTED
        how = (f"was killed by {failure.signal_name()}" if failure.exitcode < 0 else
               f"failed: {_last_line(failure.message)}")
        raise ClVizError(f"rank {rank} of {args.nproc} {how}; the other ranks were stopped") from None
    return 0


def _last_line(message) -> str:
    text = message.get("message", "") if isinstance(message, dict) else str(message)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else "no reason given"


def run_rank(args: argparse.Namespace) -> None:
    """One rank started by `launch`: the same command, which finds its rank in the environment."""
    from cl_viz.cli.train import run_train

    code = run_train(args)
    if code:
        sys.exit(code)


def train_data_parallel(args: argparse.Namespace, parallel: distributed.DataParallel) -> int:
    """This rank's part of the run; every rank must call it with the same flags."""
    checkpoint, config = _configure(args, parallel.world_size)
    distributed.init_process_group(parallel, config.device)
    try:
        return _train_rank(args, config, checkpoint, parallel)
    except dist.DistError as error:
        raise ClVizError(f"rank {parallel.rank} of {parallel.world_size}: another rank stopped answering "
                         f"({first_line(error)})") from None
    finally:
        distributed.destroy_process_group()


def _configure(args: argparse.Namespace, world_size: int) -> tuple[dict | None, TrainConfig]:
    """The checkpoint to resume and the run's configuration, checked for a split over `world_size` ranks."""
    if args.losses:
        raise ClVizError("--losses trains its runs in one process: it cannot run on several ranks")
    checkpoint, config = configured_run(args)
    if config.batch_size % world_size:
        raise ClVizError(f"the batch of {config.batch_size} does not split evenly over {world_size} ranks; "
                         f"choose a --batch-size that is a multiple of {world_size}")
    return checkpoint, config


def _train_rank(args: argparse.Namespace, config: TrainConfig, checkpoint: dict | None,
                parallel: distributed.DataParallel) -> int:
    dataset_name = resolve_name(config.dataset, config.data_dir)
    out, created = None, []
    if parallel.is_main:  # the first to load downloads; the others then find the dataset cached
        out = Path(args.out or default_out(dataset_name, config))
        created = prepare_folder(out) + (prepare_file(args.record) if args.record else [])
    try:
        if parallel.is_main:
            dataset = load_configured(config, progress=loading_meter(dataset_name))
        dist.barrier()
        if not parallel.is_main:
            dataset = load_configured(config)
        return _fit(args, LockstepRun(config, args.compare, dataset, parallel), checkpoint, parallel, out)
    except BaseException:
        remove_empty_folders(created)
        raise


def _fit(args: argparse.Namespace, run: LockstepRun, checkpoint: dict | None, parallel: distributed.DataParallel,
         out: Path | None) -> int:
    session = run.primary
    if checkpoint:  # a plain state dict of the unwrapped model: any number of ranks resumes it
        restore(session, checkpoint, args.resume)
    total_steps = steps_to_train(args, session)
    main = parallel.is_main
    if main:
        print_header(session, total_steps, out)
        print(f"data parallel: {parallel.world_size} ranks ({dist.get_backend()}), "
              f"{session.batch_size // parallel.world_size} images each per step")
    recorder = Recorder(run, args.record, args.record_every) if args.record and main else None
    progress = Progress(total_steps, session.batch_size, start_step=session.step)
    history: list[dict] = []
    started, start_step = time.perf_counter(), session.step
    if recorder:
        recorder.capture(0.0)
    while session.step < total_steps:
        run.train_step()
        step = session.step
        recorded = bool(args.record) and (step % args.record_every == 0 or step == total_steps)
        evaluated = step % args.eval_every == 0 or step == total_steps
        if recorded or evaluated:  # collectives: every rank decides alike
            _check_replicas(run)
            for each in run.sessions:
                each.gather_last_batch()
        if recorder and recorded:
            recorder.capture(progress.steps_per_second(step))
        if main and evaluated:
            evaluate(session, progress, history)
        elif main:
            progress.tick(step)
    if not main:
        return 0
    elapsed = time.perf_counter() - started
    written = write_outputs(out, session, history, elapsed, session.step - start_step, False)
    if recorder:
        written.append(f"{recorder.save()} ({len(recorder.timeline)} frames)")
    print(f"wrote {', '.join(written)}")
    print(final_line(history[-1]))
    return 0


def _check_replicas(run: LockstepRun) -> None:
    """Weights and centers the same on every rank: DDP and Eq. 4's all-reduce keep them so."""
    for session in run.sessions:
        distributed.assert_replicas_equal(session.center_loss.centers, "the centers")
        weights = torch.cat([weight.detach().reshape(-1) for weight in session.model.parameters()])
        distributed.assert_replicas_equal(weights, "the network's weights")
