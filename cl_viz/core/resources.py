"""Where the shipped data files are (installed as the package cl_viz.resources)."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def resource_dir(name: str = "") -> Path:
    return Path(str(files("cl_viz.resources"))) / name
