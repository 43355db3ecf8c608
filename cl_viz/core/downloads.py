"""Downloading MNIST, Fashion-MNIST and KMNIST (their four .gz files) and CIFAR-10 (one .tar.gz, unpacked beside
it, as torchvision does) from torchvision's mirrors into the cache.

A file grows under a hidden partial name that the loader never reads, resumes where an interrupted download
stopped (HTTP Range; from the start where a server ignores it), must match torchvision's MD5 and only then is
renamed into place: raw/ holds complete, verified files and nothing else. The transport is a parameter, so
tests serve files without a network.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import os
import shutil
import tarfile
import threading
import urllib.error
import urllib.parse
import urllib.request
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from cl_viz.core.dataset_files import CIFAR_FOLDER, cached_folder, find_idx_file, missing_files, placement_hint, title
from cl_viz.core.errors import Cancelled, ClVizError
from cl_viz.core.files import first_line, move_into_place, prepare_folder, remove_empty_folders, write_error

CHUNK_BYTES = 64 * 1024
TIMEOUT_S = 15  # per connection attempt and per read: a dead mirror gives way to the next in bounded time

# torchvision.datasets.MNIST, FashionMNIST and KMNIST: their `mirrors` and `resources` (file name, MD5);
# CIFAR10: its `url` and `tgz_md5`; with each file's size as the mirrors serve it, the progress total until a
# server gives the length.
MIRRORS = {
    "mnist": ("https://ossci-datasets.s3.amazonaws.com/mnist/", "http://yann.lecun.com/exdb/mnist/"),
    "fashion-mnist": ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",),
    "kmnist": ("http://codh.rois.ac.jp/kmnist/dataset/kmnist/",),
    "cifar10": ("https://www.cs.toronto.edu/~kriz/",),
}
RESOURCES = {
    "mnist": (
        ("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873", 9_912_422),
        ("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432", 28_881),
        ("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3", 1_648_877),
        ("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c", 4_542),
    ),
    "fashion-mnist": (
        ("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d", 26_421_880),
        ("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe", 29_515),
        ("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79", 4_422_102),
        ("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310", 5_148),
    ),
    "kmnist": (
        ("train-images-idx3-ubyte.gz", "bdb82020997e1d708af4cf47b453dcf7", 18_165_135),
        ("train-labels-idx1-ubyte.gz", "e144d726b3acfaa3e44228e80efcd344", 29_497),
        ("t10k-images-idx3-ubyte.gz", "5c965bf0a639b31b8f53240b1b52f4d7", 3_041_136),
        ("t10k-labels-idx1-ubyte.gz", "7320c461ea6c1c855c0b718fb2a4b134", 5_120),
    ),
    "cifar10": (("cifar-10-python.tar.gz", "c58f30108f718f92721af3b95e74349a", 170_498_071),),
}
ARCHIVES = {"cifar10": CIFAR_FOLDER}  # a dataset downloaded as one .tar.gz -> the folder inside it


@dataclass(frozen=True)
class Opened:
    """What a transport gives for a URL: the body, the byte of the file it starts at, the file's length."""

    stream: BinaryIO  # read(n) -> up to n bytes, b"" at the end; closed by the downloader
    offset: int  # the start asked for, or 0 where the server sends the whole file anyway
    size: int | None  # the whole file's length in bytes, where the server says


Transport = Callable[[str, int], Opened]  # (url, start byte) -> Opened; raises OSError when it cannot
Progress = Callable[[int, int], None]  # (bytes done, bytes in all)

_NETWORK_ERRORS = (OSError, http.client.HTTPException, ValueError)


def open_url(url: str, start: int = 0) -> Opened:
    """The real transport: urllib, asking for the bytes from `start` on when it is not 0."""
    headers = {"User-Agent": "cl-viz"}
    if start:
        headers["Range"] = f"bytes={start}-"
    response = urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=TIMEOUT_S)
    if response.status == 206:  # Content-Range: bytes FIRST-LAST/SIZE
        span, _, size = response.headers.get("Content-Range", "").rpartition("/")
        first = span.removeprefix("bytes").strip().partition("-")[0]
        return Opened(response, int(first) if first.isdigit() else start, int(size) if size.isdigit() else None)
    length = response.headers.get("Content-Length", "")
    return Opened(response, 0, int(length) if length.isdigit() else None)


def download_size(name: str) -> int:
    """Bytes of the whole dataset as the mirrors serve it."""
    return sum(size for _, _, size in RESOURCES[name])


def download_dataset(name: str, progress: Progress | None = None, cancel: threading.Event | None = None,
                     transport: Transport | None = None) -> Path:
    """Fetch whichever of `name`'s files the cache lacks; return the folder that its loader reads.

    Raises Cancelled once `cancel` is set (a partial file stays, hidden, for the next try to resume) and a
    one-line ClVizError, naming where the files go, when every mirror fails.
    """
    folder = cached_folder(name)
    if not missing_files(name, folder):
        return folder
    into = folder.parent if name in ARCHIVES else folder / "raw"  # torchvision's root, or MNIST's raw/
    wanted = [(file, md5) for file, md5, _ in RESOURCES[name] if not _in_place(name, folder, into / file)]
    created = prepare_folder(into)
    meter = _Meter(progress, [size for file, _, size in RESOURCES[name] if file in dict(wanted)])
    fetch = _Fetch(transport or open_url, cancel or threading.Event(), meter)
    try:
        for index, (file, md5) in enumerate(wanted):
            reasons = fetch.file(index, [mirror + file for mirror in MIRRORS[name]], into / file, md5)
            if reasons is not None:
                raise ClVizError(f"{title(name)} could not be downloaded ({'; '.join(reasons)}). "
                                 f"{placement_hint(name, folder)}")
    except BaseException:
        remove_empty_folders(created)  # nothing fetched: no empty folders left behind
        raise
    if name in ARCHIVES:
        unpack(into / RESOURCES[name][0][0], ARCHIVES[name], folder)
    return folder


def unpack(archive: Path, inner: str, folder: Path) -> None:
    """Move the files of `archive`'s folder `inner` into `folder`, each complete before it is in place: they
    are unpacked into a hidden folder beside it first (tarfile's "data" filter: no links out, no devices)."""
    staging = folder.with_name(f".{folder.name}.unpacking")
    shutil.rmtree(staging, ignore_errors=True)
    try:
        with tarfile.open(archive, "r:gz") as tar:
            members = [member for member in tar.getmembers() if member.name.startswith(f"{inner}/")]
            tar.extractall(staging, members=members, filter="data")
        prepare_folder(folder)
        for path in sorted((staging / inner).iterdir()):
            move_into_place(path, folder / path.name)
    except (OSError, tarfile.TarError, EOFError, zlib.error) as error:
        raise ClVizError(f"{archive} could not be unpacked into {folder} ({first_line(error)})") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _in_place(name: str, folder: Path, path: Path) -> bool:
    """Whether a file of `name` needs no download: an IDX file plain or .gz, an archive complete and verified
    (partial files grow under another name)."""
    return path.is_file() if name in ARCHIVES else find_idx_file(folder, _stem(path.name)) is not None


def partial_path(final: Path) -> Path:
    """Where `final` grows until it is complete and verified (a name the loader never reads)."""
    return final.with_name(f".{final.name}.part")


class _Corrupt(Exception):
    """The bytes on disk cannot become the file (wrong MD5, a server refusing the range): start afresh."""


class _Fetch:
    def __init__(self, transport: Transport, cancel: threading.Event, meter: _Meter):
        self.transport = transport
        self.cancel = cancel
        self.meter = meter

    def file(self, index: int, urls: list[str], final: Path, md5: str) -> list[str] | None:
        """Download one file, mirror after mirror; None when it is in place, else why each attempt failed."""
        partial = partial_path(final)
        attempts, reasons = list(urls), []
        while attempts:
            url = attempts.pop(0)
            resumed = _size(partial) > 0
            try:
                self._from(url, index, partial, md5)
            except _Corrupt as error:
                _remove(partial)
                reasons.append(f"{_host(url)}: {error}")
                if resumed:
                    attempts.insert(0, url)  # what was resumed may be what was wrong: once more from the start
                continue
            except _NETWORK_ERRORS as error:
                reasons.append(f"{_host(url)}: {_reason(error)}")
                continue
            move_into_place(partial, final)
            self.meter.finish(index, _size(final))
            return None
        return _unique(reasons)

    def _from(self, url: str, index: int, partial: Path, md5: str) -> None:
        start = _size(partial)
        if start and _md5(partial) == md5:  # complete before an interruption: no need to ask again
            self.meter.begin(index, start, start)
            return
        self._check_cancel()
        try:
            opened = self.transport(url, start)
        except urllib.error.HTTPError as error:
            if error.code == 416 and start:  # the range is past the end: the partial file is longer than the file
                raise _Corrupt(f"HTTP 416 for a range from byte {start:,}") from error
            raise
        with contextlib.closing(opened.stream):
            if not 0 <= opened.offset <= start:
                raise OSError(f"the server resumed at byte {opened.offset:,}, not {start:,}")
            self.meter.begin(index, opened.offset, opened.size)
            self._write(opened, partial)
        size = _size(partial)
        if opened.size is not None and size != opened.size:
            raise OSError(f"the transfer ended after {size:,} of {opened.size:,} bytes")
        digest = _md5(partial)
        if digest != md5:
            raise _Corrupt(f"the file's MD5 is {digest}, not {md5}")

    def _write(self, opened: Opened, partial: Path) -> None:
        """Append the stream to the partial file from `opened.offset` on (0: start it afresh)."""
        try:
            file = open(partial, "r+b" if partial.exists() else "wb")
        except OSError as error:
            raise write_error(partial, error) from error
        with file:
            _on_disk(partial, file.truncate, opened.offset)
            file.seek(opened.offset)
            while chunk := opened.stream.read(CHUNK_BYTES):
                _on_disk(partial, file.write, chunk)
                self.meter.add(len(chunk))
                self._check_cancel()
            _on_disk(partial, file.flush)
            _on_disk(partial, os.fsync, file.fileno())

    def _check_cancel(self) -> None:
        if self.cancel.is_set():
            raise Cancelled("download cancelled")


class _Meter:
    """Bytes done and in all, over the files being fetched, for the progress callback."""

    def __init__(self, progress: Progress | None, sizes: list[int]):
        self.progress = progress
        self.sizes = sizes  # expected, each replaced by the server's length once known
        self.finished = 0  # bytes of the files already in place
        self.current = 0  # bytes of the file being fetched, on disk

    def begin(self, index: int, offset: int, size: int | None) -> None:
        if size is not None:
            self.sizes[index] = size
        self.current = offset
        self._report()

    def add(self, count: int) -> None:
        self.current += count
        self._report()

    def finish(self, index: int, size: int) -> None:
        self.sizes[index] = size
        self.finished += size
        self.current = 0
        self._report()

    def _report(self) -> None:
        if self.progress is not None:
            done = self.finished + self.current
            self.progress(done, max(done, sum(self.sizes)))


def _on_disk(partial: Path, action, *args):
    """A failure to write the partial file is the disk's, not the mirror's: no other mirror can help."""
    try:
        return action(*args)
    except OSError as error:
        raise write_error(partial, error) from error


def _stem(file: str) -> str:
    return file.removesuffix(".gz")


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _md5(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as file:
        while block := file.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _remove(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()


def _host(url: str) -> str:
    return urllib.parse.urlsplit(url).netloc or url


def _reason(error: BaseException) -> str:
    if isinstance(error, urllib.error.HTTPError):
        return f"HTTP {error.code} {error.reason}"
    if isinstance(error, urllib.error.URLError):
        return first_line(error.reason) if isinstance(error.reason, BaseException) else str(error.reason)
    return first_line(error)


def _unique(reasons: list[str]) -> list[str]:
    return list(dict.fromkeys(reasons))
