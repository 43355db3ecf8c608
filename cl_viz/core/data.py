"""Datasets as uint8 tensors of images: torchvision's MNIST family (28×28 grey) and CIFAR-10 (32×32 colour),
sklearn's digits, IDX folders (and folders of images in class subfolders: cl_viz.core.image_folder); any of
them resized and converted to the input a configuration asks for (fit_dataset)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from os import PathLike
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from cl_viz.core.config import DATASET_NAMES, DEFAULT_INPUT, TrainConfig
from cl_viz.core.dataset_files import (  # noqa: F401 (cache_dir, is_available: re-exported)
    DEBIAN_FASHION_MNIST,
    DOWNLOADABLE,
    IDX_FILES,
    cache_dir,
    cached_folder,
    find_idx_file,
    is_available,
    missing_files,
    missing_idx_files,
    placement_hint,
    resolve_name,
)
from cl_viz.core.digits import digits_split, load_digit_arrays
from cl_viz.core.downloads import Progress, download_dataset
from cl_viz.core.errors import ClVizError
from cl_viz.core.idx import read_idx
from cl_viz.core.streamed_images import StreamedImages

MAX_CLASSES = 100
IMAGE_SIZE = 28  # the MNIST family's and the IDX folders' images
FIT_CHUNK = 4096  # images resized at a time (float copies of a chunk only)
LUMA = (0.299, 0.587, 0.114)  # ITU-R 601, as PIL's convert("L")
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
    train_images: torch.Tensor  # uint8, grey (N, S, S) or colour (N, 3, S, S); or StreamedImages (a large folder)
    train_labels: torch.Tensor  # int64 (N,)
    test_images: torch.Tensor  # uint8 (M, S, S) or (M, 3, S, S); or StreamedImages
    test_labels: torch.Tensor  # int64 (M,)
    class_names: tuple[str, ...]

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    @property
    def input_shape(self) -> tuple[int, int]:
        """(S, channels) of its images."""
        return image_shape(self.test_images)


def load_dataset(name: str, data_dir: str | None = None, *, download: bool = True,
                 progress: Progress | None = None, image_size: int | None = None,
                 channels: int | None = None) -> Dataset:
    """The dataset resized to `image_size`² with `channels` (None: its own; a folder of images: 28 and 1).
    `progress(bytes done, bytes in all)` follows a download, where one is needed; for a folder of images
    (cl_viz.core.image_folder) it is (images read, images in all)."""
    name = resolve_name(name, data_dir)
    if name == "images":
        if data_dir is None:
            raise ClVizError("A folder of images needs --data-dir FOLDER.")
        from cl_viz.core.image_folder import load_image_folder  # torchvision and PIL: image folders only

        default_size, default_channels = DEFAULT_INPUT
        return load_image_folder(data_dir, default_size if image_size is None else image_size,
                                 default_channels if channels is None else channels, progress=progress)
    dataset = _load_named(name, data_dir, download, progress)
    own_size, own_channels = dataset.input_shape
    return fit_dataset(dataset, own_size if image_size is None else image_size,
                       own_channels if channels is None else channels)


def load_configured(config: TrainConfig, *, download: bool = True, progress: Progress | None = None) -> Dataset:
    """The dataset of `config`, at its input shape."""
    image_size, channels = config.input_shape
    return load_dataset(config.dataset, config.data_dir, download=download, progress=progress,
                        image_size=image_size, channels=channels)


def _load_named(name: str, data_dir: str | None, download: bool, progress: Progress | None) -> Dataset:
    if name == "digits":
        if data_dir is not None:
            raise ClVizError("The digits dataset ships with scikit-learn and takes no data folder.")
        return _load_digits()
    if name == "cifar10":
        from cl_viz.core.cifar import load_cifar10  # torchvision: CIFAR-10 only

        if data_dir is not None:
            return load_cifar10(data_dir)
        return load_cifar10(_cached_or_downloaded(name, download, progress))
    if data_dir is not None:
        return load_idx_folder(data_dir, name)
    if name in DOWNLOADABLE:
        if name == "fashion-mnist" and missing_files(name) and not missing_idx_files(DEBIAN_FASHION_MNIST):
            return load_idx_folder(DEBIAN_FASHION_MNIST, name)
        return load_idx_folder(_cached_or_downloaded(name, download, progress), name)
    raise ClVizError(f"Unknown dataset {name!r}: choose auto, {', '.join(DATASET_NAMES)} or a data folder.")


def image_shape(images: torch.Tensor | StreamedImages) -> tuple[int, int]:
    """(S, channels) of uint8 images, grey (N, S, S) or colour (N, 3, S, S), without reading streamed ones."""
    return (images.shape[-1], 1 if images.ndim == 3 else images.shape[1])


def fit_dataset(dataset: Dataset, image_size: int, channels: int) -> Dataset:
    """`dataset` with its images as `fit_images` makes them; itself when they already are."""
    if dataset.input_shape == (image_size, channels):
        return dataset
    return dataclasses.replace(
        dataset, source=f"{dataset.source}; as {describe_input(image_size, channels)}",
        train_images=fit_images(dataset.train_images, image_size, channels),
        test_images=fit_images(dataset.test_images, image_size, channels))


def fit_images(images: torch.Tensor | StreamedImages, image_size: int, channels: int) -> torch.Tensor | StreamedImages:
    """uint8 images resized to `image_size`² (bilinear, antialiased when shrinking) with `channels`: grey is
    repeated into three channels, colour becomes grey by its luminance. Streamed images stay streamed, their
    files read at the new shape."""
    if image_shape(images) == (image_size, channels):
        return images
    if isinstance(images, StreamedImages):  # left on disk: read at the new shape from the files themselves
        return images.resized(image_size, channels)
    shape = (image_size, image_size) if channels == 1 else (channels, image_size, image_size)
    fitted = torch.empty((len(images), *shape), dtype=torch.uint8)
    for start in range(0, len(images), FIT_CHUNK):
        chunk = images[start:start + FIT_CHUNK].float()
        chunk = chunk.unsqueeze(1) if chunk.ndim == 3 else chunk
        if chunk.shape[-1] != image_size or chunk.shape[-2] != image_size:
            chunk = F.interpolate(chunk, size=(image_size, image_size), mode="bilinear", align_corners=False,
                                  antialias=True)
        if chunk.shape[1] == 3 and channels == 1:
            chunk = (chunk * torch.tensor(LUMA).view(1, 3, 1, 1)).sum(1, keepdim=True)
        chunk = chunk.round_().clamp_(0, 255).to(torch.uint8)
        fitted[start:start + len(chunk)].copy_(chunk.squeeze(1) if channels == 1 else chunk)  # 1 channel: into 3
    return fitted


def describe_input(image_size: int, channels: int) -> str:
    return f"{image_size}×{image_size} {'grey' if channels == 1 else 'colour'}"


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
    """(B, S, S) or (B, 3, S, S) uint8 -> (B, C, S, S) float32 scaled as in caffe-face: (x - 127.5) / 128."""
    images = images_uint8.unsqueeze(1) if images_uint8.ndim == 3 else images_uint8
    return images.float().sub_(127.5).div_(128.0)


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


def _cached_or_downloaded(name: str, download: bool, progress: Progress | None) -> Path:
    """The folder of `name` in the cache, downloaded first where it is not there."""
    folder = cached_folder(name)
    if not missing_files(name, folder):
        return folder
    if not download:
        raise ClVizError(f"{DOWNLOADABLE[name][0]} is not cached in {folder} and downloading is off. "
                         f"{placement_hint(name, folder)}")
    return download_dataset(name, progress=progress)


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
