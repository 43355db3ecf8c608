"""write_atomically: a kill, a full disk or a read-only folder never leaves a damaged or stray file."""

import errno
import hashlib
import os
import random
import signal
import subprocess
import sys
import textwrap

import pytest

from cl_viz.core import files
from cl_viz.core.errors import ClVizError
from cl_viz.core.files import prepare_file, prepare_folder, remove_stale_temporaries, write_atomically

# Writes PATH over and over: 8-byte length, a body of that length, its SHA-256. Prints "ready" first.
WRITER = textwrap.dedent("""
    import hashlib, os, sys
    from cl_viz.core.files import write_atomically

    def write(file, round):
        body = os.urandom((1 << 19) + round % 1000)  # made here, so that nearly all the time is inside a write
        file.write(len(body).to_bytes(8, "big"))
        for start in range(0, len(body), 65536):
            file.write(body[start:start + 65536])
        file.write(hashlib.sha256(body).digest())

    print("ready", flush=True)
    for round in range(1_000_000):
        write_atomically(sys.argv[1], lambda file: write(file, round))
""")


def is_complete(content: bytes) -> bool:
    size = int.from_bytes(content[:8], "big")
    body, digest = content[8:8 + size], content[8 + size:]
    return len(content) == 8 + size + 32 and hashlib.sha256(body).digest() == digest


def temporaries(folder):
    return sorted(path.name for path in folder.iterdir() if path.name.endswith(".tmp"))


def test_a_killed_writer_never_leaves_a_damaged_file_and_its_leftovers_are_cleaned(tmp_path):
    target = tmp_path / "data.bin"
    chance = random.Random(9)
    leftovers = set()
    for _ in range(30):
        child = subprocess.Popen([sys.executable, "-c", WRITER, str(target)], stdout=subprocess.PIPE)
        assert child.stdout.readline() == b"ready\n"
        try:
            child.wait(timeout=chance.uniform(0.0, 0.12))
        except subprocess.TimeoutExpired:
            pass
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
        child.stdout.close()
        assert child.returncode == -signal.SIGKILL, "the writer stopped by itself"
        if target.exists():
            assert is_complete(target.read_bytes())
        leftovers.update(temporaries(tmp_path))
    assert leftovers, "no kill landed in the middle of a write: the test proved nothing"
    assert all(".data.bin." in name for name in leftovers)
    write_atomically(target, lambda file: file.write(b"after"))
    assert target.read_bytes() == b"after" and temporaries(tmp_path) == []


def test_only_temporaries_of_dead_writers_are_removed(tmp_path):
    target = tmp_path / "run.clviz"
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                              text=True, check=True)
    dead = tmp_path / f".run.clviz.{int(finished.stdout)}.abc123.tmp"
    alive = tmp_path / f".run.clviz.{os.getppid()}.abc123.tmp"  # pytest's parent is running
    mine = tmp_path / f".run.clviz.{os.getpid()}.xyz789.tmp"  # another thread of this process may be writing
    other_file = tmp_path / f".run.clviz.old.{int(finished.stdout)}.abc123.tmp"  # a temporary of run.clviz.old
    for path in (dead, alive, mine, other_file):
        path.write_bytes(b"partial")
    assert remove_stale_temporaries(target) == [dead]
    assert not dead.exists() and alive.exists() and mine.exists() and other_file.exists()


def test_the_file_reaches_the_disk_before_it_replaces_the_old_one(tmp_path, monkeypatch):
    events = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(os, "fsync", lambda fd: (events.append("fsync"), real_fsync(fd))[1])
    monkeypatch.setattr(os, "replace", lambda *paths: (events.append("replace"), real_replace(*paths))[1])
    write_atomically(tmp_path / "a.json", lambda file: file.write(b"{}"))
    assert events[:2] == ["fsync", "replace"]
    assert events[2:] == ["fsync"]  # then the folder, so that the rename survives a power cut


def test_a_full_disk_keeps_the_previous_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "features.npz"
    target.write_bytes(b"previous")

    def fill_the_disk(file):
        file.write(b"x" * 10000)
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    with pytest.raises(ClVizError, match=r"cannot write .*features.npz: No space left on device"):
        write_atomically(target, fill_the_disk)
    assert target.read_bytes() == b"previous" and [p.name for p in tmp_path.iterdir()] == ["features.npz"]


def test_an_interrupted_write_leaves_no_temporary(tmp_path):
    def interrupted(file):
        file.write(b"half")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_atomically(tmp_path / "metrics.json", interrupted)
    assert list(tmp_path.iterdir()) == []


def test_a_folder_in_the_way_is_a_clear_error(tmp_path):
    (tmp_path / "x.clviz").mkdir()
    with pytest.raises(ClVizError, match="cannot write .*x.clviz"):
        write_atomically(tmp_path / "x.clviz", lambda file: file.write(b"data"))
    assert temporaries(tmp_path) == []
    with pytest.raises(ClVizError, match="is a folder"):
        prepare_file(tmp_path / "x.clviz")


def test_prepare_folder_creates_proves_and_reports(tmp_path):
    created = prepare_folder(tmp_path / "a" / "b")
    assert created == [tmp_path / "a" / "b", tmp_path / "a"] and (tmp_path / "a" / "b").is_dir()
    assert list((tmp_path / "a" / "b").iterdir()) == []  # the probe file is gone again
    files.remove_empty_folders(created)
    assert not (tmp_path / "a").exists()
    (tmp_path / "file").write_text("x")
    with pytest.raises(ClVizError, match="is a file, not a folder"):
        prepare_folder(tmp_path / "file")
    with pytest.raises(ClVizError, match="cannot write to the folder .*file/sub: Not a directory"):
        prepare_folder(tmp_path / "file" / "sub")


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="needs Linux's /proc")
def test_prepare_folder_under_proc_is_refused():
    with pytest.raises(ClVizError, match="cannot write to the folder /proc/cl-viz-run"):
        prepare_folder("/proc/cl-viz-run")


def test_a_full_tmpfs_keeps_the_previous_file(tiny_tmpfs):
    target = tiny_tmpfs / "checkpoint.pt"
    write_atomically(target, lambda file: file.write(b"small"))
    with pytest.raises(ClVizError, match="No space left on device"):
        write_atomically(target, lambda file: file.write(os.urandom(1 << 20)))
    assert target.read_bytes() == b"small" and temporaries(tiny_tmpfs) == []


def test_a_read_only_tmpfs_is_refused_up_front(read_only_tmpfs):
    with pytest.raises(ClVizError, match="Read-only file system"):
        prepare_folder(read_only_tmpfs / "run")
