"""Images left on disk: a list of files that indexes like a uint8 image tensor, decoding only what it is asked for.

`StreamedImages[indices]` decodes, converts and resizes those files (read_pixels, the same code that reads a
folder into memory) into a uint8 tensor, (B, S, S) grey or (B, 3, S, S) colour; `subset` picks files without
reading them. A folder of images too large for memory is trained on through one (cl_viz.core.batch_stream).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError

from cl_viz.core.errors import ClVizError
from cl_viz.core.files import first_line


def read_pixels(path: str, image_size: int, mode: str) -> np.ndarray:
    """The image at `path` converted to `mode` ("L" or "RGB") and resized bilinearly to `image_size`²: uint8
    (S, S) or (3, S, S). ClVizError naming the file where PIL cannot read it."""
    try:
        with Image.open(path) as image:
            image.load()
            pixels = np.asarray(image.convert(mode).resize((image_size, image_size), Image.Resampling.BILINEAR))
    except (OSError, UnidentifiedImageError, ValueError) as error:
        raise ClVizError(f"{path} is not an image cl-viz can read ({first_line(error)}).") from None
    return pixels if mode == "L" else pixels.transpose(2, 0, 1)


class StreamedImages:
    """N image files read on demand as uint8 images of one shape; stays on the CPU (`to` returns itself)."""

    dtype = torch.uint8
    device = torch.device("cpu")

    def __init__(self, paths: Sequence[str] | np.ndarray, image_size: int, channels: int):
        self.paths = np.asarray(paths, dtype=object).reshape(-1)
        self.image_size, self.channels = image_size, channels
        self.mode = "L" if channels == 1 else "RGB"

    @property
    def image_shape(self) -> tuple[int, ...]:
        size = self.image_size
        return (size, size) if self.channels == 1 else (3, size, size)

    @property
    def shape(self) -> torch.Size:
        return torch.Size((len(self.paths), *self.image_shape))

    @property
    def ndim(self) -> int:
        return 1 + len(self.image_shape)

    @property
    def nbytes(self) -> int:
        """The bytes these images would take in memory as uint8."""
        return len(self.paths) * int(np.prod(self.image_shape))

    def __len__(self) -> int:
        return len(self.paths)

    def __repr__(self) -> str:
        return f"StreamedImages({len(self)} files, {tuple(self.shape)})"

    def __getitem__(self, index) -> torch.Tensor:
        """Pixels of one image (an int) or of a batch (indices or a boolean mask, as a tensor, array or list)."""
        if isinstance(index, (int, np.integer)) or (isinstance(index, torch.Tensor) and index.ndim == 0):
            return self[[int(index)]][0]
        return self.subset(index).read()

    def read(self, each: Callable[[], None] | None = None) -> torch.Tensor:
        """Every file decoded into one uint8 tensor; `each()` after each image (a progress bar)."""
        images = np.empty(tuple(self.shape), dtype=np.uint8)
        for row, path in enumerate(self.paths):
            images[row] = read_pixels(path, self.image_size, self.mode)
            if each is not None:
                each()
        return torch.from_numpy(images)

    def subset(self, index) -> StreamedImages:
        """The files that `index` (indices, a boolean mask or a slice) picks, still unread."""
        return StreamedImages(self._chosen(index), self.image_size, self.channels)

    def resized(self, image_size: int, channels: int) -> StreamedImages:
        """The same files read at another shape (from the files themselves, not from these pixels)."""
        return StreamedImages(self.paths, image_size, channels)

    def to(self, device=None, *args, **kwargs) -> StreamedImages:
        return self  # read on the CPU; batches go to the device as they are read

    def contiguous(self, *args, **kwargs) -> StreamedImages:
        return self

    def cpu(self) -> StreamedImages:
        return self

    def _chosen(self, index) -> np.ndarray:
        if isinstance(index, slice):
            return self.paths[index]
        if isinstance(index, torch.Tensor):
            index = index.cpu().numpy()
        index = np.asarray(index)
        if index.dtype == bool and index.shape != self.paths.shape:
            raise IndexError(f"a mask of {index.shape} for {len(self)} images")
        return self.paths[index if index.dtype == bool else index.astype(np.int64)]


def select_images(images: torch.Tensor | StreamedImages, index) -> torch.Tensor | StreamedImages:
    """The images `index` picks: a tensor's rows, or a stream's files still unread."""
    return images.subset(index) if isinstance(images, StreamedImages) else images[index]


def concat_images(parts: Sequence[torch.Tensor | StreamedImages]) -> torch.Tensor | StreamedImages:
    """Images one after another: files still unread when every part is streamed, else pixels in memory."""
    if parts and all(isinstance(part, StreamedImages) for part in parts):
        first = parts[0]
        return StreamedImages(np.concatenate([part.paths for part in parts]), first.image_size, first.channels)
    return torch.cat([part[torch.arange(len(part))] if isinstance(part, StreamedImages) else part
                      for part in parts])
