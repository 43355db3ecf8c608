"""Training batches of images left on disk, read ahead by a torch DataLoader in the session's own order.

The order comes from the caller, `order(step)` -> the indices of that step's batch (None: no more), so that a
streamed run sees exactly the batches an in-memory one does. Worker processes decode the next batches while the
current one trains; where they cannot start (a daemonic process, no /dev/shm, ...) the batches are read in this
process instead (`workers` says which). `close()` ends the workers; so does dropping the stream.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch.utils.data import DataLoader, Sampler
from torch.utils.data import Dataset as TorchDataset

from cl_viz.core.errors import ClVizError
from cl_viz.core.streamed_images import StreamedImages

LOADER_WORKERS = 2
LOADER_CONTEXT: str | None = None  # the start method of the workers (None: the platform's; fork and spawn work)
PREFETCH_BATCHES = 2  # per worker
Order = Callable[[int], "torch.Tensor | None"]
_STARTUP_FAILURES = (AssertionError, OSError, RuntimeError, ImportError, AttributeError, TypeError)


class BatchStream:
    """`batch(step)` -> (indices, uint8 images) of `order(step)`; a step other than the one after the last
    restarts the read-ahead there (a resume, a reset of the step)."""

    def __init__(self, images: StreamedImages, order: Order, *, workers: int | None = None,
                 context: str | None = None, pin_memory: bool = False):
        self.images, self.pin_memory = images, pin_memory
        self.workers = LOADER_WORKERS if workers is None else workers
        self.context = LOADER_CONTEXT if context is None else context
        self.startup_error: str | None = None  # why the workers did not start, where they did not
        self._sampler = _StepOrder(order)
        self._loader: DataLoader | None = None
        self._iterator = None
        self._next_step: int | None = None

    def batch(self, step: int) -> tuple[torch.Tensor, torch.Tensor]:
        if self._iterator is None or step != self._next_step:
            self._restart(step)
        self._next_step = None  # until this batch has come
        try:
            indices, images, error = next(self._iterator)
        except StopIteration:
            raise ClVizError(f"no training batch for step {step}") from None
        if error:
            raise ClVizError(error)
        self._next_step = step + 1
        return indices, images

    def close(self) -> None:
        """Ends the worker processes (waiting for them); a later batch starts new ones."""
        iterator, self._iterator, self._next_step = self._iterator, None, None
        if self._loader is not None:
            self._loader._iterator = None  # a persistent loader's own reference to its workers
        self._loader = None
        shutdown = getattr(iterator, "_shutdown_workers", None)
        if shutdown is not None:
            shutdown()

    def _restart(self, step: int) -> None:
        self._sampler.start = step
        if self._loader is None:
            self._loader = self._make_loader(self.workers)
        try:
            self._iterator = iter(self._loader)  # persistent workers: the same processes, the order from `step`
        except _STARTUP_FAILURES as error:
            if self.workers == 0:
                raise
            self.close()
            self.startup_error, self.workers = f"{type(error).__name__}: {error}", 0
            self._loader = self._make_loader(0)
            self._iterator = iter(self._loader)

    def _make_loader(self, workers: int) -> DataLoader:
        return DataLoader(_Batches(self.images), sampler=self._sampler, batch_size=None, num_workers=workers,
                          persistent_workers=workers > 0, prefetch_factor=PREFETCH_BATCHES if workers else None,
                          multiprocessing_context=self.context if workers else None, pin_memory=self.pin_memory)


class _StepOrder(Sampler):
    """The batches of `order(start)`, `order(start + 1)`, ... as lists of indices (cheap to send to a worker)."""

    def __init__(self, order: Order):
        self.order, self.start = order, 0

    def __iter__(self):
        step = self.start
        while (indices := self.order(step)) is not None:
            yield indices.tolist()
            step += 1


class _Batches(TorchDataset):
    """One whole batch per index list; an unreadable file comes back as its message, raised as it is by
    BatchStream (a worker's exception would reach the caller wrapped in its traceback)."""

    def __init__(self, images: StreamedImages):
        self.images = images

    def __getitem__(self, indices: list[int]) -> tuple[torch.Tensor, torch.Tensor, str]:
        chosen = torch.tensor(indices, dtype=torch.int64)
        try:
            return chosen, self.images[chosen], ""
        except ClVizError as error:
            return chosen, torch.empty(0, dtype=torch.uint8), str(error)
