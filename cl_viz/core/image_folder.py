"""A folder of images in class subfolders (torchvision's ImageFolder layout), resized and held in memory as uint8."""

from __future__ import annotations

from collections.abc import Callable
from os import PathLike
from pathlib import Path

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError
from torchvision.datasets import ImageFolder

from cl_viz.core.config import DEFAULTS
from cl_viz.core.data import Dataset, describe_input
from cl_viz.core.errors import ClVizError
from cl_viz.core.files import first_line

MEMORY_LIMIT = 2 * 1024**3  # bytes of uint8 pixels held in memory; streaming from disk is not done
TEST_SHARE = 0.2
TEST_FOLDERS = ("test", "val")

ReadProgress = Callable[[int, int], None]  # (images read, images in all)


def load_image_folder(folder: str | PathLike, image_size: int = 28, channels: int = 1, *, seed: int = 0,
                      progress: ReadProgress | None = None, memory_limit: int = MEMORY_LIMIT) -> Dataset:
    """train/ and test/ (or val/) subfolders when there are both, else a seeded stratified 80/20 split.
    Images are (N, S, S) for one channel, (N, 3, S, S) for three."""
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
    total = sum(len(listing) for listing in listings)
    _check_memory(folder, total, image_size, channels, memory_limit)
    reader = _Reader(total, image_size, channels, progress)
    arrays = [reader.read(listing) for listing in listings]
    shape = describe_input(image_size, channels)
    if presplit:
        (train_images, train_labels), (test_images, test_labels) = arrays
        how = f"{folder / 'train'} and {test_folder}"
    else:
        images, labels = arrays[0]
        train, test = stratified_split(labels, TEST_SHARE, seed)
        train_images, train_labels, test_images, test_labels = images[train], labels[train], images[test], labels[test]
        how = f"a seeded stratified {1 - TEST_SHARE:.0%}/{TEST_SHARE:.0%} split (seed {seed})"
    return Dataset(
        name="images",
        source=f"images from {folder}, {len(classes)} classes, resized to {shape}; {how}",
        train_images=train_images.contiguous(),
        train_labels=train_labels.contiguous(),
        test_images=test_images.contiguous(),
        test_labels=test_labels.contiguous(),
        class_names=tuple(classes),
    )


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
    listing = ImageFolder(str(root), loader=_open, is_valid_file=_visible_file, allow_empty=True)
    counts = np.bincount(listing.targets, minlength=len(listing.classes))
    if (empty := np.flatnonzero(counts == 0)).size:
        raise ClVizError(f"{root / listing.classes[empty[0]]} holds no images (every class needs one at least).")
    return listing


def _visible_file(path: str) -> bool:
    return not Path(path).name.startswith(".")


def _open(path: str) -> Image.Image:
    with Image.open(path) as image:
        image.load()
        return image


def _check_memory(folder: Path, count: int, image_size: int, channels: int, limit: int) -> None:
    """Refuses, before any image is read, a folder whose pixels would not fit in `limit` bytes, saying what does."""
    pixels = channels * image_size * image_size
    if count * pixels <= limit:
        return
    fitting = int((limit / (count * channels)) ** 0.5)  # the largest side that fits with these channels
    ways = [f"--image-size {fitting}"] if fitting >= 8 else []
    if channels == 3 and int((limit / count) ** 0.5) >= image_size:
        ways.append("--channels 1")
    ways.append(f"at most {limit // pixels:,} images (a train/ and test/ split of them)")
    raise ClVizError(f"The {count:,} images of {folder} need {_size(count * pixels)} in memory as "
                     f"{describe_input(image_size, channels)} uint8 ({pixels:,} bytes each), over the "
                     f"{_size(limit)} that cl-viz holds (it does not stream from disk); what fits: "
                     f"{' or '.join(ways)}.")


def _size(count: int) -> str:
    if count >= 1024**3:
        return f"{count / 1024**3:.2f} GiB"
    return f"{count / 1024**2:.1f} MiB" if count >= 1024**2 else f"{count:,} bytes"


class _Reader:
    """Decodes, converts and resizes every image, reporting (read, total) to `progress`."""

    def __init__(self, total: int, image_size: int, channels: int, progress: ReadProgress | None):
        self.total, self.size, self.progress = total, image_size, progress
        self.mode = "L" if channels == 1 else "RGB"
        self.done = 0

    def read(self, listing: ImageFolder) -> tuple[torch.Tensor, torch.Tensor]:
        shape = (self.size, self.size) if self.mode == "L" else (3, self.size, self.size)
        images = np.empty((len(listing), *shape), dtype=np.uint8)
        for index, (path, _) in enumerate(listing.samples):
            images[index] = self._pixels(listing, index, path)
            self.done += 1
            if self.progress is not None:
                self.progress(self.done, self.total)
        return torch.from_numpy(images), torch.tensor(listing.targets, dtype=torch.int64)

    def _pixels(self, listing: ImageFolder, index: int, path: str) -> np.ndarray:
        try:
            image, _ = listing[index]
            pixels = np.asarray(image.convert(self.mode).resize((self.size, self.size), Image.Resampling.BILINEAR))
        except (OSError, UnidentifiedImageError, ValueError) as error:
            raise ClVizError(f"{path} is not an image cl-viz can read ({first_line(error)}).") from None
        return pixels if self.mode == "L" else pixels.transpose(2, 0, 1)
