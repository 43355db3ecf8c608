"""Writing files so that a crash, a kill or a full disk never leaves a half-written one behind."""

from __future__ import annotations

import contextlib
import glob
import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from cl_viz.core.errors import ClVizError

# What follows ".NAME." in a temporary of NAME: the writer's PID, mkstemp's random letters, ".tmp".
_TEMPORARY_TAIL = re.compile(r"(?P<pid>\d+)\.[a-z0-9_]+\.tmp")


def write_atomically(path: str | os.PathLike, write: Callable[[BinaryIO], None]) -> Path:
    """Call `write(file)` on a temporary file beside `path`, flush it to the disk, then rename it into place.

    The file at `path` is either the old one or the complete new one, whenever the writer dies. An OSError
    (a full disk, a read-only folder, a folder in the way) becomes a ClVizError naming `path`.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        remove_stale_temporaries(path)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp")
    except OSError as error:
        raise write_error(path, error) from error
    try:
        with os.fdopen(handle, "wb") as file:
            write(file)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, 0o666 & ~_umask())  # mkstemp creates 0600; give the usual permissions
        os.replace(temporary, path)
    except BaseException as error:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        if isinstance(error, OSError):
            raise write_error(path, error) from error
        raise
    _sync_folder(path.parent)
    return path


def move_into_place(source: str | os.PathLike, path: str | os.PathLike) -> Path:
    """Rename `source`, a complete file already flushed to the disk beside `path`, to `path`, durably.

    For files that grow under a name of their own (a download): `path` is the old file or the complete new one.
    """
    path = Path(path)
    try:
        os.chmod(source, 0o666 & ~_umask())
        os.replace(source, path)
    except OSError as error:
        raise write_error(path, error) from error
    _sync_folder(path.parent)
    return path


def remove_stale_temporaries(path: str | os.PathLike) -> list[Path]:
    """Delete the temporaries of `path` whose writer no longer runs (killed mid-write); return them."""
    path = Path(path)
    prefix = f".{path.name}."
    removed = []
    for sibling in path.parent.glob(glob.escape(prefix) + "*.tmp"):
        match = _TEMPORARY_TAIL.fullmatch(sibling.name[len(prefix):])
        if match and not _is_running(int(match["pid"])) and not sibling.is_symlink() and sibling.is_file():
            with contextlib.suppress(OSError):
                sibling.unlink()
                removed.append(sibling)
    return removed


def prepare_folder(folder: str | os.PathLike) -> list[Path]:
    """Create `folder` if needed and prove it writable with a small file, removed again.

    Returns the folders it created, for `remove_empty_folders` if nothing gets written.
    """
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise ClVizError(f"{folder} is a file, not a folder")
    missing = [candidate for candidate in (folder, *folder.parents) if not os.path.lexists(candidate)]
    try:
        folder.mkdir(parents=True, exist_ok=True)
        _probe_writable(folder)
    except OSError as error:
        remove_empty_folders(missing)
        raise ClVizError(f"cannot write to the folder {folder}: {reason(error)}") from error
    return missing


def prepare_file(path: str | os.PathLike) -> list[Path]:
    """Check that `path` can be written (its folder is created and proved writable); see prepare_folder."""
    path = Path(path)
    if path.is_dir():
        raise ClVizError(f"{path} is a folder; name a file")
    return prepare_folder(path.parent)


def remove_empty_folders(folders: list[Path]) -> None:
    """Remove these folders where they are still empty, deepest first."""
    for folder in sorted(folders, key=lambda folder: len(Path(folder).absolute().parts), reverse=True):
        with contextlib.suppress(OSError):
            folder.rmdir()


def write_error(path: Path, error: OSError) -> ClVizError:
    return ClVizError(f"cannot write {path}: {reason(error)}")


def reason(error: OSError) -> str:
    """"No space left on device", "Read-only file system", …: what the system says, without the errno."""
    return error.strerror or first_line(error)


def first_line(error: BaseException) -> str:
    """The gist of an exception, for one-line messages."""
    text = str(error).strip().splitlines()
    return text[0][:160] if text else type(error).__name__


def _probe_writable(folder: Path) -> None:
    handle, probe = tempfile.mkstemp(dir=folder, prefix=f".cl-viz-probe.{os.getpid()}.", suffix=".tmp")
    try:
        os.write(handle, b"cl-viz")
        os.fsync(handle)
    finally:
        os.close(handle)
        os.unlink(probe)


def _is_running(pid: int) -> bool:
    """Whether process `pid` exists; anywhere this cannot be told (not POSIX), assume it does."""
    if os.name != "posix" or pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # EPERM: it exists, and belongs to someone else
        return True
    return True


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable (POSIX; best effort)."""
    if os.name != "posix":
        return
    with contextlib.suppress(OSError):
        handle = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        try:
            os.fsync(handle)
        finally:
            os.close(handle)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
