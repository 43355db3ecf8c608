"""Tiny file systems for tests of full and read-only disks; skipped where mounting is not allowed (no root)."""

import os
import shutil
import subprocess

import pytest


def _mounted(folder, options):
    folder.mkdir()
    if getattr(os, "geteuid", lambda: 1)() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a tmpfs needs root")
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)], capture_output=True,
                            text=True, timeout=30)
    if result.returncode:
        pytest.skip(f"cannot mount a tmpfs here: {result.stderr.strip()}")
    return folder


def _unmount(folder):
    subprocess.run(["umount", str(folder)], check=True, timeout=30)


@pytest.fixture
def tiny_tmpfs(tmp_path):
    """A 64 KiB file system: full after the first few writes."""
    folder = _mounted(tmp_path / "tiny", "size=64k")
    yield folder
    _unmount(folder)


@pytest.fixture
def read_only_tmpfs(tmp_path):
    folder = _mounted(tmp_path / "read-only", "ro,size=64k")
    yield folder
    _unmount(folder)
