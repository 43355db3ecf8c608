"""CIFAR-10 as torchvision reads it (cifar-10-batches-py, each batch MD5-checked): colour uint8 (N, 3, 32, 32)."""

from __future__ import annotations

from os import PathLike
from pathlib import Path

import numpy as np
import torch
from torchvision.datasets import CIFAR10

from cl_viz.core.data import Dataset
from cl_viz.core.dataset_files import CIFAR_FOLDER, cifar_batches, missing_files
from cl_viz.core.errors import ClVizError
from cl_viz.core.files import first_line


def load_cifar10(folder: str | PathLike) -> Dataset:
    """`folder` is cifar-10-batches-py or holds it (torchvision's root)."""
    folder = Path(folder).expanduser()
    if not folder.is_dir():
        raise ClVizError(f"The data folder {folder} does not exist.")
    batches = cifar_batches(folder)
    if missing := missing_files("cifar10", folder):
        raise ClVizError(f"{batches} lacks CIFAR-10's {', '.join(missing)} (torchvision's {CIFAR_FOLDER} folder).")
    if batches.name != CIFAR_FOLDER:
        raise ClVizError(f"torchvision reads CIFAR-10 from a folder named {CIFAR_FOLDER}; rename {batches} so.")
    try:
        train, test = (CIFAR10(str(batches.parent), train=split, download=False) for split in (True, False))
    except (RuntimeError, OSError, ValueError, KeyError) as error:  # torchvision: a batch whose MD5 is not its own
        raise ClVizError(f"{batches} holds a damaged copy of CIFAR-10 ({first_line(error)}); delete it to "
                         f"download it again.") from None
    return Dataset(
        name="cifar10",
        source=f"CIFAR-10 from {batches}",
        train_images=_channels_first(train.data), train_labels=torch.tensor(train.targets, dtype=torch.int64),
        test_images=_channels_first(test.data), test_labels=torch.tensor(test.targets, dtype=torch.int64),
        class_names=tuple(train.classes),
    )


def _channels_first(images: np.ndarray) -> torch.Tensor:
    """torchvision's (N, 32, 32, 3) -> (N, 3, 32, 32), contiguous."""
    return torch.from_numpy(np.ascontiguousarray(images.transpose(0, 3, 1, 2)))
