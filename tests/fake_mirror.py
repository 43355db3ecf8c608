"""Torchvision's mirrors, faked for cl_viz.core.downloads: tiny real IDX .gz files served without a network."""

from __future__ import annotations

import gzip
import hashlib
import io
import socket
import threading
from urllib.error import URLError

import numpy as np

from cl_viz.core import downloads
from cl_viz.core.downloads import Opened

FIRST, SECOND = "http://first.invalid/mnist/", "http://second.invalid/mnist/"
HOLD_TIMEOUT_S = 60  # a held stream gives up waiting after this (a test that forgot to release it)
CHUNK_BYTES = 1024


def idx_gz(array: np.ndarray) -> bytes:
    header = bytes([0, 0, 0x08, array.ndim]) + np.array(array.shape, dtype=">u4").tobytes()
    return gzip.compress(header + array.astype(np.uint8).tobytes(), mtime=0)


def tiny_mnist(train: int = 64, test: int = 32) -> dict[str, bytes]:
    """The four files of an MNIST-shaped dataset: noise images (so they do not compress away), labels 0..9."""
    rng = np.random.default_rng(0)
    arrays = {
        "train-images-idx3-ubyte.gz": rng.integers(0, 256, (train, 28, 28), dtype=np.uint8),
        "train-labels-idx1-ubyte.gz": (np.arange(train) % 10).astype(np.uint8),
        "t10k-images-idx3-ubyte.gz": rng.integers(0, 256, (test, 28, 28), dtype=np.uint8),
        "t10k-labels-idx1-ubyte.gz": (np.arange(test) % 10).astype(np.uint8),
    }
    return {file: idx_gz(array) for file, array in arrays.items()}


def md5(content: bytes) -> str:
    return hashlib.md5(content, usedforsecurity=False).hexdigest()


class HeldStream(io.BytesIO):
    """A response body; with `hold`, the second read waits for that event (a download caught mid-way)."""

    def __init__(self, content: bytes, hold: threading.Event | None):
        super().__init__(content)
        self.hold = hold
        self.reads = 0

    def read(self, size: int = -1) -> bytes:
        self.reads += 1
        if self.hold is not None and self.reads == 2:
            self.hold.wait(HOLD_TIMEOUT_S)
        return super().read(size)


class FakeMirrors:
    """A transport (url, start) -> Opened over `files`, at the mirrors FIRST and SECOND, with faults to order."""

    def __init__(self, files: dict[str, bytes] | None = None, name: str = "mnist"):
        self.files = files or tiny_mnist()
        self.name = name
        self.down: set[str] = set()  # mirrors that cannot be reached
        self.corrupt: set[str] = set()  # mirrors that serve a damaged copy
        self.cut_short: set[str] = set()  # mirrors whose transfers stop half-way
        self.ignores_range = False
        self.hold: threading.Event | None = None
        self.requests: list[tuple[str, int]] = []

    def install(self, monkeypatch) -> FakeMirrors:
        """Point the downloader's tables at these files and mirrors, in small chunks."""
        resources = tuple((file, md5(content), len(content)) for file, content in self.files.items())
        monkeypatch.setitem(downloads.RESOURCES, self.name, resources)
        monkeypatch.setitem(downloads.MIRRORS, self.name, (FIRST, SECOND))
        monkeypatch.setattr(downloads, "CHUNK_BYTES", CHUNK_BYTES)
        return self

    def __call__(self, url: str, start: int = 0) -> Opened:
        self.requests.append((url, start))
        mirror, _, file = url.rpartition("/")
        mirror += "/"
        if mirror in self.down:
            raise URLError(socket.gaierror(-3, "Temporary failure in name resolution"))
        content = self.files[file]
        if mirror in self.corrupt:
            content = content[:-1] + bytes([content[-1] ^ 0xFF])
        offset = 0 if self.ignores_range else start
        body = content[offset:]
        if mirror in self.cut_short:
            body = body[: len(body) // 2]
        return Opened(HeldStream(body, self.hold), offset, len(content))

    def urls_of(self, file: str) -> list[tuple[str, int]]:
        return [(url, start) for url, start in self.requests if url.endswith("/" + file)]
