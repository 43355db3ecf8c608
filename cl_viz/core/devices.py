"""Which torch device to train on."""

from __future__ import annotations

import torch

from cl_viz.core.config import DEVICES
from cl_viz.core.errors import ClVizError


def resolve_device(requested: str = "auto") -> torch.device:
    """"auto" picks cuda, then mps, then cpu; a forced device that is missing is an error."""
    if requested == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if _mps_available():
            return torch.device("mps")
        return torch.device("cpu")
    if requested == "cuda" and not torch.cuda.is_available():
        raise ClVizError("device 'cuda' was requested but no CUDA GPU is available; use --device auto or cpu")
    if requested == "mps" and not _mps_available():
        raise ClVizError("device 'mps' was requested but Apple's Metal backend is not available; "
                         "use --device auto or cpu")
    if requested not in ("cpu", "cuda", "mps"):
        raise ClVizError(f"unknown device {requested!r}; choose one of: {', '.join(DEVICES)}")
    return torch.device(requested)


def describe_device(device: torch.device) -> str:
    if device.type == "cuda":
        return f"cuda ({torch.cuda.get_device_name(device)})"
    if device.type == "cpu":
        threads = torch.get_num_threads()
        return f"cpu ({threads} thread{'s' if threads > 1 else ''})"
    return device.type


def _mps_available() -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())
