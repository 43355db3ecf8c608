"""Datasets as uint8 tensors of 28x28 images: torchvision's MNIST family, sklearn's digits, IDX folders
(and folders of images in class subfolders: cl_viz.core.image_folder)."""

from __future__ import annotations

from dataclasses import dataclass
from os import PathLike
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from cl_viz.core.config import DATASET_NAMES
from cl_viz.core.dataset_files import (  # noqa: F401 (cache_dir, is_available: re-exported)
    DEBIAN_FASHION_MNIST,
    DOWNLOADABLE,
    IDX_FILES,
    cache_dir,
    cached_folder,
    find_idx_file,
    is_available,
    missing_idx_files,
    placement_hint,
    resolve_name,
)
from cl_viz.core.digits import digits_split, load_digit_arrays
from cl_viz.core.downloads import Progress, download_dataset
from cl_viz.core.errors import ClVizError
from cl_viz.core.idx import read_idx

MAX_CLASSES = 100
IMAGE_SIZE = 28
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
    train_images: torch.Tensor  # uint8 (N, 28, 28); from a folder of images (N, S, S) or (N, 3, S, S)
    train_labels: torch.Tensor  # int64 (N,)
    test_images: torch.Tensor  # uint8 (M, 28, 28)
    test_labels: torch.Tensor  # int64 (M,)
    class_names: tuple[str, ...]

    @property
    def num_classes(self) -> int:
        return len(self.class_names)


def load_dataset(name: str, data_dir: str | None = None, *, download: bool = True,
                 progress: Progress | None = None, image_size: int = IMAGE_SIZE, channels: int = 1) -> Dataset:
    """`progress(bytes done, bytes in all)` follows a download, where one is needed; for a folder of images
    (cl_viz.core.image_folder, resized to `image_size` with `channels`) it is (images read, images in all)."""
    name = resolve_name(name, data_dir)
    if name == "images":
        if data_dir is None:
            raise ClVizError("A folder of images needs --data-dir FOLDER.")
        from cl_viz.core.image_folder import load_image_folder  # torchvision and PIL: image folders only

        return load_image_folder(data_dir, image_size, channels, progress=progress)
    if (image_size, channels) != (IMAGE_SIZE, 1):
        raise ClVizError("--image-size and --channels apply to a folder of images in class subfolders.")
    if data_dir is not None:
        if name == "digits":
            raise ClVizError("The digits dataset ships with scikit-learn and takes no data folder.")
        return load_idx_folder(data_dir, name)
    if name == "digits":
        return _load_digits()
    if name in DOWNLOADABLE:
        return _load_cached_or_download(name, download, progress)
    raise ClVizError(f"Unknown dataset {name!r}: choose auto, {', '.join(DATASET_NAMES)} or a data folder.")


def load_idx_folder(folder: str | PathLike, name: str = "idx") -> Dataset:
    """Load the four MNIST-style IDX files (plain or .gz) from `folder` or its raw/ subfolder."""
    folder = Path(folder).expanduser()
    if not folder.is_dir():
        raise ClVizError(f"The data folder {folder} does not exist.")
    missing = missing_idx_files(folder)
    if missing:
        raise ClVizError(
            f"{folder} lacks {', '.join(missing)} (plain or .gz, in the folder or its raw/ subfolder)."
        )
    paths = [find_idx_file(folder, stem) for stem in IDX_FILES]
    train_images, train_labels = _read_split(paths[0], paths[1])
    test_images, test_labels = _read_split(paths[2], paths[3])
    num_classes = int(max(train_labels.max(), test_labels.max())) + 1
    title = DOWNLOADABLE[name][0] if name in DOWNLOADABLE else ("IDX files" if name == "idx" else name)
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


def _load_cached_or_download(name: str, download: bool, progress: Progress | None) -> Dataset:
    folder = cached_folder(name)
    if not missing_idx_files(folder):
        return load_idx_folder(folder, name)
    if name == "fashion-mnist" and not missing_idx_files(DEBIAN_FASHION_MNIST):
        return load_idx_folder(DEBIAN_FASHION_MNIST, name)
    if not download:
        raise ClVizError(f"{DOWNLOADABLE[name][0]} is not cached in {folder} and downloading is off. "
                         f"{placement_hint(folder)}")
    return load_idx_folder(download_dataset(name, progress=progress), name)


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
