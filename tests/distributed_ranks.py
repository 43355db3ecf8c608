"""One rank of tests/core/test_distributed.py, started by torchrun: trains both center modes for a few
steps and writes what the test compares into OUT/<mode>-rank<r>.pt."""

from __future__ import annotations

import sys
from pathlib import Path

import torch

from cl_viz.core import distributed
from cl_viz.core.config import TrainConfig
from cl_viz.core.data import load_dataset
from cl_viz.core.errors import ClVizError
from cl_viz.core.session import TrainingSession

STEPS = 5
MODES = ("paper", "sgd")


def config(mode: str) -> TrainConfig:
    """The run both the ranks and the one-process reference train."""
    return TrainConfig(dataset="digits", model="tiny", device="cpu", batch_size=32, probe_size=100, lr=0.05,
                       warmup_steps=0, clip_norm=0.0, lam=0.1, center_update=mode)


def desync_message(tensor: torch.Tensor, rank: int, name: str) -> str:
    """What assert_replicas_equal says once rank 1's copy is nudged."""
    nudged = tensor.detach().clone()
    if rank == 1:
        nudged.view(-1)[0] += 1e-3
    try:
        distributed.assert_replicas_equal(nudged, name)
    except ClVizError as error:
        return str(error)
    return ""


def main(out: Path) -> None:
    parallel = distributed.from_environment()
    distributed.init_process_group(parallel, "cpu", timeout_s=60)
    dataset = load_dataset("digits")
    for mode in MODES:
        session = TrainingSession(config(mode), dataset, parallel=parallel)
        centers = []
        for _ in range(STEPS):
            session.train_step()
            centers.append(session.center_loss.centers.detach().clone())
        distributed.assert_replicas_equal(session.center_loss.centers, "centers")
        weight = next(session.model.parameters())
        torch.save({"model": session.model.state_dict(), "centers": centers,
                    "desync_centers": desync_message(session.center_loss.centers, parallel.rank, "centers"),
                    "desync_weight": desync_message(weight, parallel.rank, "the first weight")},
                   out / f"{mode}-rank{parallel.rank}.pt")
    distributed.destroy_process_group()


if __name__ == "__main__":
    main(Path(sys.argv[1]))
