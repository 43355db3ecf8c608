"""Checkpoint files: one plain dict of tensors and Python scalars, written atomically."""

from __future__ import annotations

import io
import os
from pathlib import Path

import torch

from cl_viz.core.config import TrainConfig
from cl_viz.core.errors import ClVizError
from cl_viz.core.files import first_line, write_atomically

FORMAT = "cl-viz-checkpoint"
VERSION = 1
REQUIRED_KEYS = ("config", "step", "model", "centers", "optimizer")


def save_checkpoint(state: dict, path: str | os.PathLike) -> Path:
    """Write `state` (a session's state_dict) so that a crash never leaves a half-written file."""
    buffer = io.BytesIO()  # torch.save hides a full disk behind a RuntimeError; it never sees the file
    torch.save({"format": FORMAT, "version": VERSION, **state}, buffer)
    return write_atomically(path, lambda file: file.write(buffer.getbuffer()))


def load_checkpoint(path: str | os.PathLike) -> dict:
    """Read and check a checkpoint; anything else raises ClVizError with one clear sentence."""
    path = Path(path)
    if not path.is_file():
        raise ClVizError(f"checkpoint {path} does not exist")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # noqa: BLE001 (torch.load raises many types on foreign bytes; all mean "not ours")
        raise ClVizError(f"{path} is not a cl-viz checkpoint (it could not be read: {first_line(error)})") from None
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise ClVizError(f"{path} is not a cl-viz checkpoint")
    if state.get("version") != VERSION:
        raise ClVizError(f"{path} is a cl-viz checkpoint of version {state.get('version')!r}; "
                         f"this cl-viz reads version {VERSION}")
    missing = [key for key in REQUIRED_KEYS if key not in state]
    if missing:
        raise ClVizError(f"{path} is an incomplete cl-viz checkpoint (missing {', '.join(missing)})")
    state["config"] = TrainConfig.from_dict(state["config"])
    return state
