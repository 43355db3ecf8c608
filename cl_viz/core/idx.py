"""IDX files (the MNIST format), plain or gzip-compressed."""

from __future__ import annotations

import gzip
import io
import math
import zlib
from os import PathLike
from pathlib import Path

import numpy as np

from cl_viz.core.errors import ClVizError
from cl_viz.core.files import write_atomically

GZIP_MAGIC = b"\x1f\x8b"
MAX_BYTES = 2 * 2**30  # far above any MNIST-style file (EMNIST's largest is 0.55 GB); bounds a gzip bomb

# IDX type codes; all multi-byte values are big-endian.
_DTYPES = {
    0x08: np.dtype("u1"),
    0x09: np.dtype("i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_CODES = {dtype.newbyteorder("="): code for code, dtype in _DTYPES.items()}


def read_idx(path: str | PathLike) -> np.ndarray:
    """Read an IDX file into a writable array in native byte order."""
    path = Path(path)
    content = _read_bytes(path)
    dtype, shape, offset = _parse_header(path, content)
    count = math.prod(shape)
    expected = dtype.itemsize * count
    found = len(content) - offset
    if found < expected:
        raise ClVizError(f"{path} is truncated: expected {expected} bytes of data, found {found}.")
    if found > expected:
        raise ClVizError(f"{path} is damaged: {found - expected} unexpected bytes follow its data.")
    data = np.frombuffer(content, dtype=dtype, count=count, offset=offset)
    return data.astype(dtype.newbyteorder("=")).reshape(shape)


def write_idx(path: str | PathLike, array: np.ndarray) -> None:
    """Write an array as an IDX file, gzip-compressed when the name ends in .gz."""
    path = Path(path)
    array = np.asarray(array)
    code = _CODES.get(array.dtype.newbyteorder("="))
    if code is None:
        raise ClVizError(f"IDX files cannot hold {array.dtype} values.")
    if array.ndim == 0:
        raise ClVizError("IDX files hold arrays of at least one dimension.")
    header = bytes([0, 0, code, array.ndim]) + np.array(array.shape, dtype=">u4").tobytes()
    content = header + array.astype(_DTYPES[code]).tobytes()
    if path.name.endswith(".gz"):
        content = gzip.compress(content, compresslevel=6)
    write_atomically(path, lambda file: file.write(content))


def _read_bytes(path: Path) -> bytes:
    try:
        if path.stat().st_size > MAX_BYTES:
            raise ClVizError(f"{path} is larger than {MAX_BYTES / 2**30:g} GiB; it is no MNIST-style IDX file.")
        content = path.read_bytes()
    except FileNotFoundError:
        raise ClVizError(f"{path} does not exist.") from None
    except OSError as error:
        raise ClVizError(f"Cannot read {path}: {error.strerror or error}.") from error
    if not content.startswith(GZIP_MAGIC):
        return content
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(content)) as stream:
            content = stream.read(MAX_BYTES + 1)
    except (OSError, EOFError, zlib.error) as error:
        raise ClVizError(f"{path} is a corrupt gzip file ({error}).") from error
    if len(content) > MAX_BYTES:
        raise ClVizError(f"{path} unpacks to more than {MAX_BYTES / 2**30:g} GiB; it is no MNIST-style IDX file.")
    return content


def _parse_header(path: Path, content: bytes) -> tuple[np.dtype, tuple[int, ...], int]:
    if len(content) < 4 or content[:2] != b"\x00\x00" or content[2] not in _DTYPES:
        raise ClVizError(f"{path} is not an IDX file.")
    ndim = content[3]
    offset = 4 + 4 * ndim
    if len(content) < offset:
        raise ClVizError(f"{path} is truncated: its header needs {offset} bytes, found {len(content)}.")
    shape = tuple(int(size) for size in np.frombuffer(content, dtype=">u4", count=ndim, offset=4))
    return _DTYPES[content[2]], shape, offset
