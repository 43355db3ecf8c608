"""IDX files (the MNIST format), plain or gzip-compressed."""

from __future__ import annotations

import gzip
import zlib
from os import PathLike
from pathlib import Path

import numpy as np

from cl_viz.core.errors import ClVizError

GZIP_MAGIC = b"\x1f\x8b"

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
    expected = dtype.itemsize * int(np.prod(shape))
    found = len(content) - offset
    if found < expected:
        raise ClVizError(f"{path} is truncated: expected {expected} bytes of data, found {found}.")
    if found > expected:
        raise ClVizError(f"{path} is damaged: {found - expected} unexpected bytes follow its data.")
    data = np.frombuffer(content, dtype=dtype, count=int(np.prod(shape)), offset=offset)
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
    path.write_bytes(content)


def _read_bytes(path: Path) -> bytes:
    try:
        content = path.read_bytes()
    except FileNotFoundError:
        raise ClVizError(f"{path} does not exist.") from None
    except OSError as error:
        raise ClVizError(f"Cannot read {path}: {error.strerror or error}.") from error
    if not content.startswith(GZIP_MAGIC):
        return content
    try:
        return gzip.decompress(content)
    except (OSError, EOFError, zlib.error) as error:
        raise ClVizError(f"{path} is a corrupt gzip file ({error}).") from error


def _parse_header(path: Path, content: bytes) -> tuple[np.dtype, tuple[int, ...], int]:
    if len(content) < 4 or content[:2] != b"\x00\x00" or content[2] not in _DTYPES:
        raise ClVizError(f"{path} is not an IDX file.")
    ndim = content[3]
    offset = 4 + 4 * ndim
    if len(content) < offset:
        raise ClVizError(f"{path} is truncated: its header needs {offset} bytes, found {len(content)}.")
    shape = tuple(int(size) for size in np.frombuffer(content, dtype=">u4", count=ndim, offset=4))
    return _DTYPES[content[2]], shape, offset
