"""Images per second of data-parallel training: 1 rank and N ranks side by side, in one invocation.

Every configuration runs through torch.distributed's elastic launcher (gloo on CPU, nccl on CUDA) with
the same global batch, the CPU's threads shared out among the ranks; "1 rank, no process group" is
the plain single-process session for reference. Each configuration is measured --rounds times after
--warmup steps, interleaved, and the median round is reported (this machine is shared: noisy).

    .venv/bin/python benchmarks/distributed_throughput.py
    .venv/bin/python benchmarks/distributed_throughput.py --ranks 1 2 --steps 30 --rounds 3 --model tiny
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
import uuid

import torch
import torch.distributed as dist
from torch.distributed.launcher.api import LaunchConfig, elastic_launch

from cl_viz.core import distributed
from cl_viz.core.config import DEVICES, MODELS, TrainConfig
from cl_viz.core.data import load_dataset
from cl_viz.core.session import TrainingSession


def session_for(args: argparse.Namespace, parallel: distributed.DataParallel | None) -> TrainingSession:
    config = TrainConfig(dataset=args.dataset, model=args.model, device=args.device, batch_size=args.batch_size,
                         probe_size=100, warmup_steps=0)
    return TrainingSession(config, load_dataset(args.dataset), parallel=parallel)


def timed_steps(session: TrainingSession, steps: int) -> float:
    """Images per second of the whole global batch over `steps` steps."""
    if session.device.type == "cuda":
        torch.cuda.synchronize()
    started = time.perf_counter()
    for _ in range(steps):
        session.train_step()
    if session.device.type == "cuda":
        torch.cuda.synchronize()
    return steps * session.batch_size / (time.perf_counter() - started)


def rank_rate(args: argparse.Namespace, threads: int) -> float:
    """One rank of a launched configuration: the slowest rank's rate is the job's."""
    torch.set_num_threads(threads)
    parallel = distributed.from_environment()
    distributed.init_process_group(parallel, args.device)
    try:
        session = session_for(args, parallel)
        timed_steps(session, args.warmup)
        dist.barrier()
        rate = torch.tensor([timed_steps(session, args.steps)])
        dist.all_reduce(rate, op=dist.ReduceOp.MIN)
        return float(rate)
    finally:
        distributed.destroy_process_group()


def launched_rate(args: argparse.Namespace, ranks: int) -> float:
    threads = max(1, args.threads // ranks)
    config = LaunchConfig(min_nodes=1, max_nodes=1, nproc_per_node=ranks, run_id=f"bench-{uuid.uuid4()}",
                          rdzv_backend="c10d", rdzv_endpoint="localhost:0", max_restarts=0)
    return elastic_launch(config, rank_rate)(args, threads)[0]


def plain_rate(args: argparse.Namespace) -> float:
    torch.set_num_threads(args.threads)
    session = session_for(args, None)
    timed_steps(session, args.warmup)
    return timed_steps(session, args.steps)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ranks", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--model", choices=MODELS, default="tiny")
    parser.add_argument("--dataset", default="digits")
    parser.add_argument("--device", choices=DEVICES, default="cpu")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--steps", type=int, default=40, help="timed steps per round")
    parser.add_argument("--warmup", type=int, default=5, help="untimed steps before each round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1, help="CPU threads shared by the ranks")
    args = parser.parse_args()
    rates: dict[str, list[float]] = {}
    for _ in range(args.rounds):
        rates.setdefault("1 rank, no process group", []).append(plain_rate(args))
        for ranks in args.ranks:
            rates.setdefault(f"{ranks} rank{'s' if ranks > 1 else ''} (launched)", []).append(
                launched_rate(args, ranks))
    print(f"{args.model}, {args.dataset}, global batch {args.batch_size}, {args.device}, {args.threads} threads "
          f"shared; median of {args.rounds} rounds of {args.steps} steps")
    for name, values in rates.items():
        print(f"  {name:<28} {statistics.median(values):8.0f} images/s   (rounds: "
              f"{', '.join(f'{v:.0f}' for v in values)})")


if __name__ == "__main__":
    main()
