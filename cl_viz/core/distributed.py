"""Data-parallel training on torch.distributed: which process this is, its part of each global batch,
the DistributedDataParallel wrapper, and the all-reduces that keep center loss exact across ranks.

Outside a process group every helper is a no-op that makes no distributed call, so one process runs
exactly as it did before this module existed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel

from cl_viz.core.errors import ClVizError

# how long a collective waits for the other ranks before the job ends with an error instead of a hang
COLLECTIVE_TIMEOUT_S = 300.0
LAUNCHER_VARIABLES = ("RANK", "WORLD_SIZE", "LOCAL_RANK")


def active() -> bool:
    """Whether this process is one of several in an initialised process group."""
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def all_reduce_sum(*tensors: torch.Tensor) -> None:
    """Sum each tensor in place over all ranks; nothing happens in a single process."""
    if active():
        for tensor in tensors:
            dist.all_reduce(tensor, op=dist.ReduceOp.SUM)


def average_gradient(parameter: torch.Tensor) -> None:
    """Average a parameter's gradient over the ranks, as DistributedDataParallel does for the model's."""
    if active() and parameter.grad is not None:
        dist.all_reduce(parameter.grad, op=dist.ReduceOp.SUM)
        parameter.grad.div_(dist.get_world_size())


def assert_replicas_equal(tensor: torch.Tensor, name: str) -> None:
    """Raise ClVizError on every rank unless every rank holds exactly the same `tensor` as rank 0."""
    if not active():
        return
    local = tensor.detach().contiguous()
    copies = [torch.empty_like(local) for _ in range(dist.get_world_size())]
    dist.all_gather(copies, local)
    for rank, copy in enumerate(copies[1:], start=1):
        if not torch.equal(copy, copies[0]):
            gap = (copy.double() - copies[0].double()).abs().max().item()
            raise ClVizError(f"{name} differs between ranks: rank {rank} is {gap:.3g} away from rank 0")


def gather_batch(batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Every rank's equal share of a batch, joined: tensors concatenated, scalars (means) averaged."""
    if not active():
        return batch
    world_size = dist.get_world_size()
    joined = {}
    for key, tensor in batch.items():
        tensor = tensor.detach().contiguous()
        if tensor.dim() == 0:
            total = tensor.clone()
            dist.all_reduce(total, op=dist.ReduceOp.SUM)
            joined[key] = total / world_size
        else:
            parts = [torch.empty_like(tensor) for _ in range(world_size)]
            dist.all_gather(parts, tensor)
            joined[key] = torch.cat(parts)
    return joined


@dataclass(frozen=True)
class DataParallel:
    """This process's place among `world_size` data-parallel ranks."""

    rank: int
    world_size: int
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        """Rank 0: the one process that prints and writes files."""
        return self.rank == 0

    def part(self, indices: torch.Tensor) -> torch.Tensor:
        """This rank's disjoint share of a global batch: every world_size-th index, from its rank on."""
        if len(indices) % self.world_size:
            raise ClVizError(f"the batch of {len(indices)} does not split evenly over {self.world_size} ranks; "
                             f"choose a batch size that is a multiple of {self.world_size}")
        return indices[self.rank::self.world_size]

    def wrap(self, model: torch.nn.Module) -> torch.nn.Module:
        """The model as it trains here: DistributedDataParallel, which averages the gradients. Its broadcast
        of buffers never reaches the centers: they live in CenterLoss, outside the wrapped model."""
        if self.world_size == 1:
            return model
        device = next(model.parameters()).device
        ids = [torch.cuda.current_device()] if device.type == "cuda" else None
        return DistributedDataParallel(model, device_ids=ids)


def from_environment() -> DataParallel | None:
    """The rank torchrun (or `cl-viz train --nproc`) gave this process; None when not launched by one."""
    if not all(name in os.environ for name in LAUNCHER_VARIABLES):
        return None
    try:
        rank, world_size, local_rank = (int(os.environ[name]) for name in LAUNCHER_VARIABLES)
    except ValueError:
        raise ClVizError(f"{', '.join(LAUNCHER_VARIABLES)} must be whole numbers, got "
                         f"{', '.join(os.environ[name] for name in LAUNCHER_VARIABLES)}") from None
    return DataParallel(rank, world_size, local_rank)


def uses_cuda(requested: str) -> bool:
    return requested == "cuda" or (requested == "auto" and torch.cuda.is_available())


def init_process_group(parallel: DataParallel, requested_device: str,
                       timeout_s: float = COLLECTIVE_TIMEOUT_S) -> None:
    """nccl with one GPU per rank (LOCAL_RANK) on CUDA, gloo otherwise; collectives give up after
    `timeout_s` rather than hang."""
    backend = "nccl" if uses_cuda(requested_device) else "gloo"
    if backend == "nccl":
        torch.cuda.set_device(parallel.local_rank)  # "cuda" then means this rank's own GPU
    dist.init_process_group(backend, rank=parallel.rank, world_size=parallel.world_size,
                            timeout=timedelta(seconds=timeout_s))


def destroy_process_group() -> None:
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()
