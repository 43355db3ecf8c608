"""Where the MNIST family's IDX files and CIFAR-10's batches live on disk, and whether they are there (no torch:
the GUI thread asks)."""

from __future__ import annotations

import os
from pathlib import Path

DEBIAN_FASHION_MNIST = Path("/usr/share/datasets/fashion-mnist")

IDX_FILES = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)

# torchvision.datasets.CIFAR10's base_folder, and the python batches it reads from there
CIFAR_FOLDER = "cifar-10-batches-py"
CIFAR_FILES = ("data_batch_1", "data_batch_2", "data_batch_3", "data_batch_4", "data_batch_5", "test_batch",
               "batches.meta")

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")

# name -> (title for messages, folder under the cache: torchvision's, so that its layout is shared)
DOWNLOADABLE = {
    "mnist": ("MNIST", "MNIST"),
    "fashion-mnist": ("Fashion-MNIST", "FashionMNIST"),
    "kmnist": ("KMNIST", "KMNIST"),
    "cifar10": ("CIFAR-10", CIFAR_FOLDER),
}


def cache_dir() -> Path:
    if override := os.environ.get("CL_VIZ_CACHE"):
        return Path(override).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg).expanduser() if xdg else Path.home() / ".cache") / "cl-viz"


def cached_folder(name: str) -> Path:
    """The folder of a downloadable dataset in the cache; its files go in the raw/ subfolder."""
    return cache_dir() / "datasets" / DOWNLOADABLE[name][1]


def title(name: str) -> str:
    return DOWNLOADABLE[name][0] if name in DOWNLOADABLE else name


def is_available(name: str) -> bool:
    """Whether `name` loads without the network."""
    if name == "digits":
        return True
    if name not in DOWNLOADABLE:
        return False
    if not missing_files(name):
        return True
    return name == "fashion-mnist" and not missing_idx_files(DEBIAN_FASHION_MNIST)


def needs_download(name: str, data_dir: str | None = None) -> bool:
    """Whether loading `name` (a name, not "auto") would have to download it first."""
    return data_dir is None and name in DOWNLOADABLE and not is_available(name)


def resolve_name(name: str, data_dir: str | None = None) -> str:
    """Turn "auto" into a concrete name: "idx" or "images" for a data folder, else MNIST when cached, else digits."""
    if name != "auto":
        return name
    if data_dir is not None:
        return "images" if is_image_folder(Path(data_dir).expanduser()) else "idx"
    return "mnist" if is_available("mnist") else "digits"


def is_image_folder(folder: Path) -> bool:
    """A folder without IDX files that holds subfolders or images: torchvision's ImageFolder layout, or meant as it."""
    if not folder.is_dir() or len(missing_idx_files(folder)) < len(IDX_FILES):
        return False
    return any((entry.is_dir() and entry.name != "raw") or entry.suffix.lower() in IMAGE_SUFFIXES
               for entry in folder.iterdir() if not entry.name.startswith("."))


def find_idx_file(folder: Path, stem: str) -> Path | None:
    for directory in (folder, folder / "raw"):
        for candidate in (directory / stem, directory / f"{stem}.gz"):
            if candidate.is_file():
                return candidate
    return None


def missing_idx_files(folder: Path) -> list[str]:
    return [stem for stem in IDX_FILES if find_idx_file(folder, stem) is None]


def cifar_batches(folder: Path) -> Path:
    """The folder of CIFAR-10's batches: `folder` itself, or its cifar-10-batches-py (torchvision's root)."""
    return folder / CIFAR_FOLDER if (folder / CIFAR_FOLDER).is_dir() else folder


def missing_files(name: str, folder: Path | None = None) -> list[str]:
    """The files of a downloadable dataset that `folder` (default: its cache folder) lacks."""
    folder = cached_folder(name) if folder is None else folder
    if name == "cifar10":
        return [file for file in CIFAR_FILES if not (cifar_batches(folder) / file).is_file()]
    return missing_idx_files(folder)


def placement_hint(name: str, folder: Path) -> str:
    """Where to put the files by hand (`folder` is the dataset's, as cached_folder gives it)."""
    if name == "cifar10":
        return (f"Put torchvision's cifar-10-python.tar.gz in {folder.parent} (it is unpacked there as it loads), or "
                f"unpack it so that {folder} holds data_batch_1 … data_batch_5, test_batch and batches.meta, or pass "
                f"--data-dir FOLDER.")
    files = ", ".join(f"{stem}.gz" for stem in IDX_FILES)
    return f"Put the four IDX files ({files}) in {folder / 'raw'}, or pass --data-dir FOLDER."
