"""A folder of images in class subfolders (torchvision's ImageFolder layout), resized and held in memory as uint8
where it fits, else left on disk and streamed (cl_viz.core.streamed_images)."""

from __future__ import annotations

from collections.abc import Callable
from os import PathLike
from pathlib import Path

import numpy as np
import torch
from torchvision.datasets import ImageFolder

from cl_viz.core.config import DEFAULTS
from cl_viz.core.data import Dataset, describe_input
from cl_viz.core.errors import ClVizError
from cl_viz.core.streamed_images import StreamedImages

MEMORY_LIMIT = 2 * 1024**3  # bytes of uint8 pixels held in memory; a split beyond them is streamed from disk
TEST_SHARE = 0.2
TEST_FOLDERS = ("test", "val")

ReadProgress = Callable[[int, int], None]  # (images read, images in all)


def load_image_folder(folder: str | PathLike, image_size: int = 28, channels: int = 1, *, seed: int = 0,
                      progress: ReadProgress | None = None, memory_limit: int = MEMORY_LIMIT) -> Dataset:
    """train/ and test/ (or val/) subfolders when there are both, else a seeded stratified 80/20 split.
    Images are (N, S, S) for one channel, (N, 3, S, S) for three. The test split is read into memory when its
    pixels fit in `memory_limit` bytes, then the training split when both do; a split that does not is a
    StreamedImages, its files read batch by batch as training asks for them."""
    folder = Path(folder).expanduser()
    if not folder.is_dir():
        raise ClVizError(f"The data folder {folder} does not exist.")
    DEFAULTS.replace(image_size=image_size, channels=channels).validated()  # the shapes a configuration takes
    test_folder = next((folder / name for name in TEST_FOLDERS if (folder / name).is_dir()), None)
    presplit = (folder / "train").is_dir() and test_folder is not None
    listings = [_listing(folder / "train"), _listing(test_folder)] if presplit else [_listing(folder)]
    classes = listings[0].classes
    if presplit and listings[1].classes != classes:
        raise ClVizError(f"{test_folder} and {folder / 'train'} must hold the same class subfolders "
                         f"({', '.join(listings[1].classes)} against {', '.join(classes)}).")
    if presplit:
        (train_paths, train_labels), (test_paths, test_labels) = (_files(listing) for listing in listings)
        how = f"{folder / 'train'} and {test_folder}"
    else:
        paths, labels = _files(listings[0])
        train, test = stratified_split(labels, TEST_SHARE, seed)
        train_paths, train_labels, test_paths, test_labels = paths[train], labels[train], paths[test], labels[test]
        how = f"a seeded stratified {1 - TEST_SHARE:.0%}/{TEST_SHARE:.0%} split (seed {seed})"
    train_images, test_images = (StreamedImages(paths, image_size, channels) for paths in (train_paths, test_paths))
    test_held = test_images.nbytes <= memory_limit
    train_held = test_held and test_images.nbytes + train_images.nbytes <= memory_limit
    reader = _Reader(len(train_paths) * train_held + len(test_paths) * test_held, progress)
    if test_held:
        test_images = reader.read(test_images)
    if train_held:
        train_images = reader.read(train_images)
    shape = describe_input(image_size, channels)
    count = len(train_paths) + len(test_paths)
    return Dataset(
        name="images",
        source=(f"images from {folder}, {len(classes)} classes, resized to {shape}; {how}"
                f"{streaming_note(count, image_size, channels, memory_limit, train_held, test_held)}"),
        train_images=train_images,
        train_labels=train_labels.contiguous(),
        test_images=test_images,
        test_labels=test_labels.contiguous(),
        class_names=tuple(classes),
    )


def streaming_note(count: int, image_size: int, channels: int, limit: int, train_held: bool = False,
                   test_held: bool = False) -> str:
    """What a load says when a split stays on disk: the memory all the images would need, and what is streamed."""
    if train_held and test_held:
        return ""
    pixels = channels * image_size * image_size
    streamed = "the training images are" if test_held else "the training and test images are"
    return (f"; the {count:,} images would need {_size(count * pixels)} in memory as "
            f"{describe_input(image_size, channels)} uint8 ({pixels:,} bytes each), over the {_size(limit)} "
            f"held in memory: {streamed} streamed from disk, batch by batch")


def stratified_split(labels: torch.Tensor, test_share: float, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Sorted train and test indices: `test_share` of every class (at least one image of a class of two or more)."""
    generator = torch.Generator().manual_seed(seed)
    train, test = [], []
    for label in torch.unique(labels):
        members = torch.nonzero(labels == label).flatten()
        members = members[torch.randperm(len(members), generator=generator)]
        held = min(max(1, round(len(members) * test_share)), len(members) - 1)
        test.append(members[:held])
        train.append(members[held:])
    return torch.sort(torch.cat(train)).values, torch.sort(torch.cat(test)).values


def _listing(root: Path) -> ImageFolder:
    subfolders = sorted(path.name for path in root.iterdir() if path.is_dir() and not path.name.startswith("."))
    if not subfolders:
        raise ClVizError(f"{root} has no class subfolders: put each class's images in a folder named after it "
                         f"({root / 'CLASS' / 'image.png'}).")
    if len(subfolders) == 1:
        raise ClVizError(f"{root} has a single class subfolder ({subfolders[0]}); cl-viz needs two classes or more.")
    listing = ImageFolder(str(root), is_valid_file=_visible_file, allow_empty=True)
    counts = np.bincount(listing.targets, minlength=len(listing.classes))
    if (empty := np.flatnonzero(counts == 0)).size:
        raise ClVizError(f"{root / listing.classes[empty[0]]} holds no images (every class needs one at least).")
    return listing


def _visible_file(path: str) -> bool:
    return not Path(path).name.startswith(".")


def _files(listing: ImageFolder) -> tuple[np.ndarray, torch.Tensor]:
    """The listing's paths (in its order: class by class, sorted) and their labels; nothing read yet."""
    paths = np.array([path for path, _ in listing.samples], dtype=object)
    return paths, torch.tensor(listing.targets, dtype=torch.int64)


def _size(count: int) -> str:
    if count >= 1024**3:
        return f"{count / 1024**3:.2f} GiB"
    return f"{count / 1024**2:.1f} MiB" if count >= 1024**2 else f"{count:,} bytes"


class _Reader:
    """Decodes, converts and resizes every image of streams into memory, reporting (read, total) to `progress`."""

    def __init__(self, total: int, progress: ReadProgress | None):
        self.total, self.progress = total, progress
        self.done = 0

    def read(self, images: StreamedImages) -> torch.Tensor:
        return images.read(self._advance)

    def _advance(self) -> None:
        self.done += 1
        if self.progress is not None:
            self.progress(self.done, self.total)
