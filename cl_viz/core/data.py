"""Datasets as uint8 tensors of 28x28 images: torchvision's MNIST family, sklearn's digits, IDX folders."""

from __future__ import annotations

import os
from dataclasses import dataclass
from os import PathLike
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from cl_viz.core.config import DATASET_NAMES
from cl_viz.core.digits import digits_split, load_digit_arrays
from cl_viz.core.errors import ClVizError
from cl_viz.core.idx import read_idx

DEBIAN_FASHION_MNIST = Path("/usr/share/datasets/fashion-mnist")

IDX_FILES = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)
MAX_CLASSES = 100
IMAGE_SIZE = 28

# name -> (title for messages, torchvision class, which is also its folder under the cache)
_TORCHVISION = {
    "mnist": ("MNIST", "MNIST"),
    "fashion-mnist": ("Fashion-MNIST", "FashionMNIST"),
    "kmnist": ("KMNIST", "KMNIST"),
}
_DIGIT_NAMES = tuple(str(digit) for digit in range(10))
_CLASS_NAMES = {
    "mnist": _DIGIT_NAMES,
    "digits": _DIGIT_NAMES,
    "fashion-mnist": (
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
        "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
    ),
    "kmnist": ("o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"),
}


@dataclass(frozen=True, eq=False)
class Dataset:
    name: str
    source: str
    train_images: torch.Tensor  # uint8 (N, 28, 28)
    train_labels: torch.Tensor  # int64 (N,)
    test_images: torch.Tensor  # uint8 (M, 28, 28)
    test_labels: torch.Tensor  # int64 (M,)
    class_names: tuple[str, ...]

    @property
    def num_classes(self) -> int:
        return len(self.class_names)


def cache_dir() -> Path:
    if override := os.environ.get("CL_VIZ_CACHE"):
        return Path(override).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg).expanduser() if xdg else Path.home() / ".cache") / "cl-viz"


def is_available(name: str) -> bool:
    """Whether `name` loads without the network."""
    if name == "digits":
        return True
    if name not in _TORCHVISION:
        return False
    if not _missing_idx_files(_cached_folder(name)):
        return True
    return name == "fashion-mnist" and not _missing_idx_files(DEBIAN_FASHION_MNIST)


def resolve_name(name: str, data_dir: str | None = None) -> str:
    """Turn "auto" into a concrete name: "idx" for a data folder, else MNIST when cached, else digits."""
    if name != "auto":
        return name
    if data_dir is not None:
        return "idx"
    return "mnist" if is_available("mnist") else "digits"


def load_dataset(name: str, data_dir: str | None = None, *, download: bool = True) -> Dataset:
    name = resolve_name(name, data_dir)
    if data_dir is not None:
        if name == "digits":
            raise ClVizError("The digits dataset ships with scikit-learn and takes no data folder.")
        return load_idx_folder(data_dir, name)
    if name == "digits":
        return _load_digits()
    if name in _TORCHVISION:
        return _load_cached_or_download(name, download)
    raise ClVizError(f"Unknown dataset {name!r}: choose auto, {', '.join(DATASET_NAMES)} or a data folder.")


def load_idx_folder(folder: str | PathLike, name: str = "idx") -> Dataset:
    """Load the four MNIST-style IDX files (plain or .gz) from `folder` or its raw/ subfolder."""
    folder = Path(folder).expanduser()
    if not folder.is_dir():
        raise ClVizError(f"The data folder {folder} does not exist.")
    missing = _missing_idx_files(folder)
    if missing:
        raise ClVizError(
            f"{folder} lacks {', '.join(missing)} (plain or .gz, in the folder or its raw/ subfolder)."
        )
    paths = [_find_idx_file(folder, stem) for stem in IDX_FILES]
    train_images, train_labels = _read_split(paths[0], paths[1])
    test_images, test_labels = _read_split(paths[2], paths[3])
    num_classes = int(max(train_labels.max(), test_labels.max())) + 1
    title = _TORCHVISION[name][0] if name in _TORCHVISION else ("IDX files" if name == "idx" else name)
    return Dataset(
        name=name,
        source=f"{title} from {folder}",
        train_images=train_images,
        train_labels=train_labels,
        test_images=test_images,
        test_labels=test_labels,
        class_names=_class_names(name, num_classes),
    )


def probe_indices(labels: torch.Tensor, size: int, seed: int = 0) -> torch.Tensor:
    """A class-stratified random subset of `size` indices, fixed by `seed`, sorted."""
    labels = labels.cpu()
    if size >= len(labels):
        return torch.arange(len(labels))
    if size <= 0:
        raise ClVizError(f"The probe size must be positive, not {size}.")
    classes, counts = torch.unique(labels, return_counts=True)
    generator = torch.Generator().manual_seed(seed)
    chosen = []
    for label, quota in zip(classes, _stratified_quotas(counts, size)):
        members = torch.nonzero(labels == label).flatten()
        chosen.append(members[torch.randperm(len(members), generator=generator)[:quota]])
    return torch.sort(torch.cat(chosen)).values


def to_model_input(images_uint8: torch.Tensor) -> torch.Tensor:
    """(B, 28, 28) uint8 -> (B, 1, 28, 28) float32 scaled as in caffe-face: (x - 127.5) / 128."""
    return images_uint8.unsqueeze(1).float().sub_(127.5).div_(128.0)


def _stratified_quotas(counts: torch.Tensor, size: int) -> list[int]:
    """Per-class shares of `size` proportional to `counts`, summing exactly to `size` (largest remainder)."""
    exact = counts.double() * size / counts.sum()
    quotas = exact.floor().long()
    shortfall = size - int(quotas.sum())
    by_remainder = torch.argsort(exact - quotas, descending=True, stable=True)
    quotas[by_remainder[:shortfall]] += 1
    return quotas.tolist()


def _cached_folder(name: str) -> Path:
    return cache_dir() / "datasets" / _TORCHVISION[name][1]


def _find_idx_file(folder: Path, stem: str) -> Path | None:
    for directory in (folder, folder / "raw"):
        for candidate in (directory / stem, directory / f"{stem}.gz"):
            if candidate.is_file():
                return candidate
    return None


def _missing_idx_files(folder: Path) -> list[str]:
    return [stem for stem in IDX_FILES if _find_idx_file(folder, stem) is None]


def _read_split(images_path: Path, labels_path: Path) -> tuple[torch.Tensor, torch.Tensor]:
    images = read_idx(images_path)
    labels = read_idx(labels_path)
    if images.dtype != np.uint8 or images.shape[1:] != (IMAGE_SIZE, IMAGE_SIZE):
        raise ClVizError(
            f"{images_path} holds {images.dtype} values of shape {images.shape}; "
            f"cl-viz needs 28x28 grey images stored as unsigned bytes."
        )
    if labels.ndim != 1 or labels.dtype.kind not in "iu":
        raise ClVizError(f"{labels_path} should hold one integer label per image.")
    if len(images) != len(labels):
        raise ClVizError(f"{images_path} has {len(images)} images but {labels_path} has {len(labels)} labels.")
    if len(labels) == 0:
        raise ClVizError(f"{images_path} holds no images.")
    if labels.min() < 0 or labels.max() >= MAX_CLASSES:
        raise ClVizError(f"{labels_path} has labels outside 0..{MAX_CLASSES - 1}.")
    return torch.from_numpy(images), torch.from_numpy(labels.astype(np.int64))


def _class_names(name: str, num_classes: int) -> tuple[str, ...]:
    known = _CLASS_NAMES.get(name, ())
    if num_classes <= len(known):
        return known
    return tuple(str(label) for label in range(num_classes))


def _load_cached_or_download(name: str, download: bool) -> Dataset:
    folder = _cached_folder(name)
    if not _missing_idx_files(folder):
        return load_idx_folder(folder, name)
    if name == "fashion-mnist" and not _missing_idx_files(DEBIAN_FASHION_MNIST):
        return load_idx_folder(DEBIAN_FASHION_MNIST, name)
    title = _TORCHVISION[name][0]
    if not download:
        raise ClVizError(f"{title} is not cached in {folder} and downloading is off. {_placement_hint(folder)}")
    _download(name)
    return load_idx_folder(folder, name)


def _download(name: str) -> None:
    import torchvision.datasets  # slow to import (seconds), and only needed here

    title, class_name = _TORCHVISION[name]
    dataset_class = getattr(torchvision.datasets, class_name)
    try:
        dataset_class(root=cache_dir() / "datasets", train=True, download=True)
    except (OSError, RuntimeError, ValueError, TypeError, AssertionError) as error:
        raise ClVizError(
            f"{title} is not cached and could not be downloaded ({_short_reason(error)}). "
            f"{_placement_hint(_cached_folder(name))}"
        ) from error


def _placement_hint(folder: Path) -> str:
    files = ", ".join(f"{stem}.gz" for stem in IDX_FILES)
    return f"Put the four IDX files ({files}) in {folder / 'raw'}, or pass --data-dir FOLDER."


def _short_reason(error: BaseException) -> str:
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    reason = lines[-1] if lines else type(error).__name__
    return reason if len(reason) <= 120 else reason[:117] + "..."


def _load_digits() -> Dataset:
    """scikit-learn's 1,797 real 8x8 digits, enlarged to MNIST's 20x20 box centred in 28x28."""
    pixels, target = load_digit_arrays()
    images = _digits_to_mnist_frame(torch.from_numpy(pixels))
    labels = torch.from_numpy(target)
    train, test = (torch.from_numpy(indices) for indices in digits_split())
    return Dataset(
        name="digits",
        source="digits bundled with scikit-learn (8x8 images enlarged to 28x28)",
        train_images=images[train].contiguous(),
        train_labels=labels[train].contiguous(),
        test_images=images[test].contiguous(),
        test_labels=labels[test].contiguous(),
        class_names=_DIGIT_NAMES,
    )


def _digits_to_mnist_frame(images: torch.Tensor) -> torch.Tensor:
    """(N, 8, 8) values 0..16 -> (N, 28, 28) uint8: bilinear to 20x20, 4 pixels of zero border."""
    scaled = images.float().unsqueeze(1) * (255.0 / 16.0)
    enlarged = F.interpolate(scaled, size=(20, 20), mode="bilinear", align_corners=False)
    framed = F.pad(enlarged, (4, 4, 4, 4))
    return framed.squeeze(1).round().clamp(0, 255).to(torch.uint8)
