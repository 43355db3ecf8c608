"""Recordings: a run's frames in one versioned file that plays back anywhere, without torch.

The file is a NumPy .npz archive (a zip of .npy arrays, read with allow_pickle=False) holding a
JSON header and one stacked array per quantity. Suffix: .clviz.
"""

from __future__ import annotations

import json
import os
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from cl_viz import __version__
from cl_viz.core.errors import ClVizError
from cl_viz.core.files import first_line, write_atomically
from cl_viz.core.metrics import FeatureMetrics
from cl_viz.core.runner import Frame
from cl_viz.core.snapshot import Snapshot, frozen

FORMAT = "cl-viz-recording"
VERSION = 1
SUFFIX = ".clviz"
SCALARS = ("step", "epoch", "lam", "alpha", "lr", "loss_softmax", "loss_center", "loss_total", "batch_accuracy",
           "steps_per_second")
METRICS = tuple(FeatureMetrics.__dataclass_fields__)
RUNS = ("primary", "comparison")


@dataclass(frozen=True, eq=False)
class Recording:
    frames: list[Frame]
    class_names: tuple[str, ...]
    config: dict = field(default_factory=dict)
    dataset: str = ""
    probe_images: np.ndarray | None = None  # (P, 28, 28) uint8, for the inspector
    created_by: str = ""

    @property
    def compare(self) -> bool:
        return bool(self.frames) and self.frames[0].comparison is not None


def save_recording(path: str | os.PathLike, recording: Recording) -> Path:
    """Write atomically; the frames must share one probe set (and all have a comparison, or none)."""
    if not recording.frames:
        raise ClVizError("there is nothing to record yet: no frame has been drawn")
    path = Path(path)
    arrays = {"header": np.array(json.dumps(_header(recording)))}
    for run in RUNS if recording.compare else RUNS[:1]:
        snapshots = [getattr(frame, run) for frame in recording.frames]
        arrays.update(_stack(run, snapshots))
    arrays["steps_per_second"] = np.array([f.steps_per_second for f in recording.frames], dtype=np.float32)
    arrays["labels"] = recording.frames[0].primary.labels
    if recording.probe_images is not None:
        arrays["probe_images"] = np.asarray(recording.probe_images, dtype=np.uint8)
    return write_atomically(path, lambda file: np.savez_compressed(file, **arrays))


def load_recording(path: str | os.PathLike) -> Recording:
    """Read and check a recording; anything else raises ClVizError with one sentence."""
    path = Path(path)
    if not path.is_file():
        raise ClVizError(f"recording {path} does not exist")
    try:
        with open(path, "rb") as file, np.load(file, allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in archive.files}
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, KeyError) as error:
        raise ClVizError(f"{path} is not a cl-viz recording (it could not be read: {first_line(error)})") from None
    header = _read_header(path, arrays)
    try:
        frames = _unstack(arrays, header)
    except (KeyError, IndexError, ValueError) as error:
        raise ClVizError(f"{path} is a damaged cl-viz recording ({first_line(error)})") from None
    images = arrays.get("probe_images")
    return Recording(frames=frames, class_names=tuple(header["class_names"]), config=header.get("config", {}),
                     dataset=header.get("dataset", ""), probe_images=images,
                     created_by=header.get("created_by", ""))


def _header(recording: Recording) -> dict:
    return {"format": FORMAT, "version": VERSION, "created_by": f"cl-viz {__version__}",
            "class_names": list(recording.class_names), "config": recording.config,
            "dataset": recording.dataset, "frames": len(recording.frames), "compare": recording.compare}


def _read_header(path: Path, arrays: dict) -> dict:
    try:
        header = json.loads(str(arrays["header"]))
    except (KeyError, ValueError):
        raise ClVizError(f"{path} is not a cl-viz recording") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise ClVizError(f"{path} is not a cl-viz recording")
    version = header.get("version")
    if version != VERSION:
        newer = isinstance(version, int) and version > VERSION
        raise ClVizError(f"{path} is a cl-viz recording of version {version!r}"
                         f"{' (made by a newer cl-viz)' if newer else ''}; this cl-viz reads version {VERSION}")
    return header


def _stack(run: str, snapshots: list[Snapshot]) -> dict[str, np.ndarray]:
    arrays = {
        f"{run}/scalars": np.array([[_scalar(s, name) for name in SCALARS[:-1]] for s in snapshots], np.float64),
        f"{run}/metrics": np.array([[getattr(s.metrics, name) for name in METRICS] for s in snapshots], np.float64),
        f"{run}/features": np.stack([s.features for s in snapshots]).astype(np.float32),
        f"{run}/predictions": np.stack([s.predictions for s in snapshots]).astype(np.int16),
        f"{run}/centers": np.stack([s.centers for s in snapshots]).astype(np.float32),
        f"{run}/classifier_weight": np.stack([s.classifier_weight for s in snapshots]).astype(np.float32),
        f"{run}/losses_known": np.array([s.losses_known for s in snapshots]),
    }
    if snapshots[0].classifier_bias is not None:
        arrays[f"{run}/classifier_bias"] = np.stack([s.classifier_bias for s in snapshots]).astype(np.float32)
    return arrays


def _scalar(snapshot: Snapshot, name: str) -> float:
    return float(getattr(snapshot, name))


def _unstack(arrays: dict, header: dict) -> list[Frame]:
    labels = frozen(arrays["labels"].astype(np.int64))
    runs = {run: _snapshots(arrays, run, labels) for run in RUNS if f"{run}/scalars" in arrays}
    if "primary" not in runs:
        raise KeyError("primary run missing")
    rates = arrays["steps_per_second"]
    batch = int(header.get("config", {}).get("batch_size", 0) or 0)
    count = len(runs["primary"])
    if any(len(snapshots) != count for snapshots in runs.values()) or len(rates) != count:
        raise ValueError("runs of different lengths")
    comparison = runs.get("comparison", [None] * count)
    return [Frame(p, c, float(r), float(r) * batch) for p, c, r in zip(runs["primary"], comparison, rates)]


def _snapshots(arrays: dict, run: str, labels: np.ndarray) -> list[Snapshot]:
    scalars, metrics = arrays[f"{run}/scalars"], arrays[f"{run}/metrics"]
    features, centers = arrays[f"{run}/features"], arrays[f"{run}/centers"]
    if features.ndim != 3 or features.shape[1] != len(labels):
        raise ValueError(f"features of shape {features.shape} do not match {len(labels)} labels")
    weights, predictions = arrays[f"{run}/classifier_weight"], arrays[f"{run}/predictions"]
    biases = arrays.get(f"{run}/classifier_bias")
    known = arrays[f"{run}/losses_known"]
    snapshots = []
    for t in range(len(scalars)):
        values = dict(zip(SCALARS[:-1], scalars[t].tolist()))
        values["step"] = int(values["step"])
        snapshots.append(Snapshot(
            **values, features=frozen(features[t]), labels=labels, predictions=frozen(predictions[t].astype(np.int64)),
            centers=frozen(centers[t]), classifier_weight=frozen(weights[t]),
            classifier_bias=None if biases is None else frozen(biases[t]),
            metrics=FeatureMetrics(**dict(zip(METRICS, metrics[t].tolist()))), losses_known=bool(known[t])))
    return snapshots
