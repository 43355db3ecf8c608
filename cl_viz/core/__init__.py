"""Training core: torch and numpy only, never Qt.

The public API, for use in your own code, is the names below (`from cl_viz.core import CenterLoss`, or
from the module each comes from); everything else may change between versions. Importing this package
imports nothing heavy: each name loads its module, and torch with it, on first use.
"""

from __future__ import annotations

import importlib

PUBLIC_API = {
    # center loss in your own training loop, one process or DistributedDataParallel
    "CenterLoss": "cl_viz.core.losses",
    "DataParallel": "cl_viz.core.distributed",
    "assert_replicas_equal": "cl_viz.core.distributed",
    "from_environment": "cl_viz.core.distributed",
    "init_process_group": "cl_viz.core.distributed",
    # cl-viz's own runs
    "TrainConfig": "cl_viz.core.config",
    "TrainingSession": "cl_viz.core.session",
    "load_dataset": "cl_viz.core.data",
    "build_model": "cl_viz.core.models",
    "feature_metrics": "cl_viz.core.metrics",
    # recordings that `cl-viz replay` opens
    "Recording": "cl_viz.core.recording",
    "save_recording": "cl_viz.core.recording",
    "load_recording": "cl_viz.core.recording",
    "ClVizError": "cl_viz.core.errors",
}
__all__ = sorted(PUBLIC_API)


def __getattr__(name: str):
    if name not in PUBLIC_API:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(PUBLIC_API[name]), name)
