"""Recordings: a run's frames in one versioned file that plays back anywhere, without torch.

The file is a NumPy .npz archive (a zip of .npy arrays, read with allow_pickle=False) holding a
JSON header and one stacked array per quantity. Suffix: .clviz. Version 2 keeps the description of
the run it came from (RunInfo: configuration, dataset, device, sizes); version 3 names the columns of
the metrics in its header. Older files still play, with what they did not record marked so (metrics
they did not measure are NaN). An open-set run adds its unknown probe points (unknown_labels,
unknown_images, RUN/unknown_features): members that files without them, and older readers, do without.
"""

from __future__ import annotations

import json
import math
import os
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cl_viz import __version__
from cl_viz.core.config import STORED_DEFAULTS
from cl_viz.core.errors import ClVizError
from cl_viz.core.files import first_line, write_atomically
from cl_viz.core.frames import NOT_RECORDED, Frame, RunInfo
from cl_viz.core.margins import HEADS
from cl_viz.core.metrics import FeatureMetrics
from cl_viz.core.snapshot import Snapshot, frozen

FORMAT = "cl-viz-recording"
VERSION = 3
READABLE_VERSIONS = (1, 2, 3)
SUFFIX = ".clviz"
SCALARS = ("step", "epoch", "lam", "alpha", "lr", "loss_softmax", "loss_center", "loss_total", "batch_accuracy",
           "steps_per_second")
METRICS = tuple(FeatureMetrics.__dataclass_fields__)
# the columns of versions 1 and 2, which did not name them
UNNAMED_METRICS = ("probe_accuracy", "nearest_center_accuracy", "intra", "inter", "ratio", "feature_norm")
RUNS = ("primary", "comparison")
MARGINS = ("scale", "margin", "effective_margin")  # per frame; recordings without them are softmax runs
QUANTITIES = ("scalars", "metrics", "features", "predictions", "centers", "classifier_weight", "losses_known",
              "margins", "classifier_bias")
MEMBERS = ("header", "labels", "steps_per_second", "probe_images", "unknown_labels", "unknown_images",
           *(f"{run}/{quantity}" for run in RUNS for quantity in (*QUANTITIES, "unknown_features")))
MAX_UNPACKED_BYTES = 4 * 2**30
# An archive that unpacks to more than this must not be more than BOMB_RATIO times smaller (zip bombs).
BOMB_MIN_BYTES = 256 * 2**20
BOMB_RATIO = 100


@dataclass(frozen=True, eq=False)
class Recording:
    """Frames of one run (and its twin), and what the run was."""

    frames: list[Frame]
    run: RunInfo
    created_by: str = ""  # "cl-viz 0.1.0": the version that wrote the file

    @property
    def class_names(self) -> tuple[str, ...]:
        return self.run.class_names

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
    if recording.run.probe_images is not None:
        arrays["probe_images"] = np.asarray(recording.run.probe_images, dtype=np.uint8)
    if recording.frames[0].primary.unknown_labels is not None:
        arrays["unknown_labels"] = recording.frames[0].primary.unknown_labels
        if recording.run.unknown_images is not None:
            arrays["unknown_images"] = np.asarray(recording.run.unknown_images, dtype=np.uint8)
    return write_atomically(path, lambda file: np.savez_compressed(file, **arrays))


def load_recording(path: str | os.PathLike) -> Recording:
    """Read and check a recording; anything else raises ClVizError with one sentence."""
    path = Path(path)
    if not path.is_file():
        raise ClVizError(f"recording {path} does not exist")
    try:
        arrays = _read_arrays(path)
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, KeyError, zlib.error, RuntimeError,
            NotImplementedError) as error:  # zipfile: encrypted members, unknown compression methods
        raise ClVizError(f"{path} is not a cl-viz recording (it could not be read: {first_line(error)})") from None
    header = _read_header(path, arrays)
    try:
        _check_header(header)
        _check_arrays(arrays, header)
        run = _run_info(header, arrays)
        frames = _unstack(arrays, run.batch_size, _metric_names(header), header.get("heads"))
    except (KeyError, IndexError, ValueError) as error:
        raise ClVizError(f"{path} is a damaged cl-viz recording ({first_line(error)})") from None
    return Recording(frames=frames, run=run, created_by=header.get("created_by", ""))


def _read_arrays(path: Path) -> dict[str, np.ndarray]:
    """The members cl-viz knows, each checked against its declared size before any memory is taken."""
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        members = {name: archive.getinfo(f"{name}.npy") for name in MEMBERS if f"{name}.npy" in names}
        _check_unpacked_size(path, list(members.values()))
        for name, info in members.items():
            _check_member(path, archive, name, info)
        return {name: _read_member(archive, info) for name, info in members.items()}


def _check_unpacked_size(path: Path, members: list[zipfile.ZipInfo]) -> None:
    total = sum(info.file_size for info in members)
    if total > MAX_UNPACKED_BYTES:
        raise ClVizError(f"{path} would unpack to {_size(total)}, more than the {_size(MAX_UNPACKED_BYTES)} "
                         f"a cl-viz recording may hold")
    packed = max(path.stat().st_size, 1)
    if total > BOMB_MIN_BYTES and total > BOMB_RATIO * packed:
        raise ClVizError(f"{path} would unpack to {_size(total)} from {_size(packed)}, "
                         f"{total // packed:,} times its size: no recording compresses so well")


def _check_member(path: Path, archive: zipfile.ZipFile, name: str, info: zipfile.ZipInfo) -> None:
    """Its .npy header must declare plain numbers and exactly the bytes the member holds."""
    with archive.open(info) as member:
        version = np.lib.format.read_magic(member)
        if version == (1, 0):
            shape, _, dtype = np.lib.format.read_array_header_1_0(member)
        elif version == (2, 0):
            shape, _, dtype = np.lib.format.read_array_header_2_0(member)
        else:
            raise ValueError(f"{name} is stored in .npy format {version}, which cl-viz does not write")
        held = info.file_size - member.tell()
    if dtype.hasobject:
        raise ClVizError(f"{path} is not a cl-viz recording ({name} holds Python objects, which cl-viz never loads)")
    declared = math.prod(shape) * dtype.itemsize
    if declared != held:
        raise ClVizError(f"{path} is a damaged cl-viz recording ({name} declares {_size(declared)} of data "
                         f"but holds {_size(held)})")


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> np.ndarray:
    with archive.open(info) as member:
        array = np.lib.format.read_array(member, allow_pickle=False)
    return array.astype(array.dtype.newbyteorder("="), copy=False)


def _size(count: int) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if count < 1024:
            return f"{count:,.0f} {unit}" if unit == "bytes" else f"{count:.1f} {unit}"
        count /= 1024
    return f"{count:.1f} TiB"


def _header(recording: Recording) -> dict:
    run = recording.run
    return {"format": FORMAT, "version": VERSION, "created_by": f"cl-viz {__version__}",
            "class_names": list(run.class_names), "config": run.config.to_dict(), "dataset": run.dataset_name,
            "frames": len(recording.frames), "compare": recording.compare, "run": run.to_dict(),
            "metrics": list(METRICS),
            "heads": {name: getattr(recording.frames[0], name).head for name in RUNS[:1 + recording.compare]}}


def _run_info(header: dict, arrays: dict) -> RunInfo:
    """The recorded description (version 2), or what a version 1 header says, the rest marked unknown."""
    images = arrays.get("probe_images")
    if "run" in header:
        run = RunInfo.from_dict(header["run"], images, arrays.get("unknown_images"))
        if list(run.class_names) != header["class_names"] or run.probe_size != len(arrays["labels"]):
            raise ValueError("its run description disagrees with its frames")
        return run
    config, _ = STORED_DEFAULTS.with_valid(header.get("config", {}))
    return RunInfo(config=config, compare=bool(header.get("compare", False)),
                   dataset_name=header.get("dataset", "") or NOT_RECORDED, dataset_source=NOT_RECORDED,
                   class_names=tuple(header["class_names"]), device=NOT_RECORDED, train_size=None,
                   probe_size=len(arrays["labels"]), batch_size=_batch_size(header.get("config", {})),
                   steps_per_epoch=None, probe_images=images)


def _read_header(path: Path, arrays: dict) -> dict:
    try:
        header = json.loads(str(arrays["header"]))
    except (KeyError, ValueError):
        raise ClVizError(f"{path} is not a cl-viz recording") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise ClVizError(f"{path} is not a cl-viz recording")
    version = header.get("version")
    if version not in READABLE_VERSIONS:
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
        f"{run}/margins": np.array([[getattr(s, name) for name in MARGINS] for s in snapshots], np.float64),
    }
    if snapshots[0].classifier_bias is not None:
        arrays[f"{run}/classifier_bias"] = np.stack([s.classifier_bias for s in snapshots]).astype(np.float32)
    if snapshots[0].unknown_features is not None:
        arrays[f"{run}/unknown_features"] = np.stack([s.unknown_features for s in snapshots]).astype(np.float32)
    return arrays


def _scalar(snapshot: Snapshot, name: str) -> float:
    return float(getattr(snapshot, name))


def _check_header(header: dict) -> None:
    names = header.get("class_names")
    if not isinstance(names, list) or not names or not all(isinstance(name, str) for name in names):
        raise ValueError("its header names no classes")
    if not isinstance(header.get("config", {}), dict):
        raise ValueError("its header holds no configuration table")
    for key in ("dataset", "created_by"):
        if not isinstance(header.get(key, ""), str):
            raise ValueError(f"its header's {key} is not text")
    heads = header.get("heads", {})
    if not isinstance(heads, dict) or not all(run in RUNS and head in HEADS for run, head in heads.items()):
        raise ValueError("its header's heads are not a table of known heads")
    names = header.get("metrics", list(UNNAMED_METRICS))
    if not isinstance(names, list) or not all(isinstance(name, str) for name in names) or len(set(names)) < len(names):
        raise ValueError("its header's metrics are not a list of distinct names")


def _metric_names(header: dict) -> tuple[str, ...]:
    return tuple(header.get("metrics", UNNAMED_METRICS))


def _check_arrays(arrays: dict, header: dict) -> None:
    """Every array's shape and type against the header and the others, so that any frame can be drawn."""
    classes = len(header["class_names"])
    labels = _checked(arrays, "labels", (None,), "iu")
    rates = _checked(arrays, "steps_per_second", (None,), "f")
    frames, probe = len(rates), len(labels)
    if frames == 0:
        raise ValueError("it holds no frames")
    if probe == 0:
        raise ValueError("it holds no probe points")
    if header.get("frames", frames) != frames:
        raise ValueError(f"its header counts {header['frames']!r} frames but it holds {frames}")
    _check_classes("labels", labels, classes)
    runs = [run for run in RUNS if run == "primary" or f"{run}/scalars" in arrays]
    if header.get("compare", len(runs) == 2) != (len(runs) == 2):
        raise ValueError("its header and its runs disagree about the comparison")
    dim = _checked(arrays, "primary/features", (None, None, None), "f").shape[2]
    if dim not in (2, 3):
        raise ValueError(f"its features have {dim} dimensions, not 2 or 3")
    for run in runs:
        _check_run(arrays, run, frames, probe, classes, dim, len(_metric_names(header)))
    if "probe_images" in arrays:
        _check_images(arrays, "probe_images", probe)
    _check_unknowns(arrays, runs, frames, dim)


def _check_unknowns(arrays: dict, runs: list[str], frames: int, dim: int) -> None:
    recorded = [run for run in runs if f"{run}/unknown_features" in arrays]
    if "unknown_labels" not in arrays:
        if recorded or "unknown_images" in arrays:
            raise ValueError("it holds unknown probe points without their labels")
        return
    unknown = len(_checked(arrays, "unknown_labels", (None,), "iu"))
    if recorded != runs:
        raise ValueError("its runs do not all hold the unknown probe points")
    for run in runs:
        _checked(arrays, f"{run}/unknown_features", (frames, unknown, dim), "f")
    if "unknown_images" in arrays:
        _check_images(arrays, "unknown_images", unknown)


def _check_images(arrays: dict, name: str, count: int) -> None:
    """uint8 images, grey (count, S, S) or colour (count, 3, S, S)."""
    shape = (count, 3, None, None) if arrays.get(name, np.empty(0)).ndim == 4 else (count, None, None)
    _checked(arrays, name, shape, "u", itemsize=1)


def _check_run(arrays: dict, run: str, frames: int, probe: int, classes: int, dim: int, metrics: int) -> None:
    scalars = _checked(arrays, f"{run}/scalars", (frames, len(SCALARS) - 1), "f")
    steps = scalars[:, SCALARS.index("step")]
    if not (np.isfinite(steps).all() and (steps >= 0).all()):
        raise ValueError(f"{run} has steps that are not counts")
    _checked(arrays, f"{run}/metrics", (frames, metrics), "f")
    _checked(arrays, f"{run}/features", (frames, probe, dim), "f")
    _check_classes(f"{run}/predictions", _checked(arrays, f"{run}/predictions", (frames, probe), "iu"), classes)
    _checked(arrays, f"{run}/centers", (frames, classes, dim), "f")
    _checked(arrays, f"{run}/classifier_weight", (frames, classes, dim), "f")
    _checked(arrays, f"{run}/losses_known", (frames,), "b")
    if f"{run}/classifier_bias" in arrays:
        _checked(arrays, f"{run}/classifier_bias", (frames, classes), "f")
    if f"{run}/margins" in arrays:
        _checked(arrays, f"{run}/margins", (frames, len(MARGINS)), "f")


def _checked(arrays: dict, name: str, shape: tuple[int | None, ...], kinds: str, itemsize: int = 0) -> np.ndarray:
    """arrays[name], if it has `shape` (None: any length) and a dtype of one of `kinds` (numpy's kind letters)."""
    if name not in arrays:
        raise ValueError(f"{name} is missing")
    array = arrays[name]
    fits = array.ndim == len(shape) and all(want is None or have == want for have, want in zip(array.shape, shape))
    if not fits:
        wanted = "(" + ", ".join("any" if want is None else str(want) for want in shape) + ")"
        raise ValueError(f"{name} has shape {array.shape}, not {wanted}")
    if array.dtype.kind not in kinds or (itemsize and array.dtype.itemsize != itemsize):
        raise ValueError(f"{name} holds {array.dtype} values")
    return array


def _check_classes(name: str, values: np.ndarray, classes: int) -> None:
    if values.size and (values.min() < 0 or values.max() >= classes):
        raise ValueError(f"{name} has classes outside 0..{classes - 1}")


def _unstack(arrays: dict, batch: int, metric_names: tuple[str, ...], heads: dict | None = None) -> list[Frame]:
    labels = frozen(arrays["labels"].astype(np.int64))
    heads = heads or {}
    runs = {run: _snapshots(arrays, run, labels, metric_names, heads.get(run, "softmax"))
            for run in RUNS if f"{run}/scalars" in arrays}
    rates = arrays["steps_per_second"]
    count = len(runs["primary"])
    comparison = runs.get("comparison", [None] * count)
    return [Frame(p, c, float(r), float(r) * batch) for p, c, r in zip(runs["primary"], comparison, rates)]


def _batch_size(config: dict) -> int:
    batch = config.get("batch_size")
    return batch if isinstance(batch, int) and not isinstance(batch, bool) and batch > 0 else 0


def _snapshots(arrays: dict, run: str, labels: np.ndarray, metric_names: tuple[str, ...],
               head: str = "softmax") -> list[Snapshot]:
    scalars, metrics = arrays[f"{run}/scalars"], arrays[f"{run}/metrics"]
    features, centers = arrays[f"{run}/features"], arrays[f"{run}/centers"]
    weights, predictions = arrays[f"{run}/classifier_weight"], arrays[f"{run}/predictions"]
    biases = arrays.get(f"{run}/classifier_bias")
    known = arrays[f"{run}/losses_known"]
    margins = arrays.get(f"{run}/margins")
    unknown = arrays.get(f"{run}/unknown_features")
    unknown_labels = None if unknown is None else frozen(arrays["unknown_labels"].astype(np.int64))
    snapshots = []
    for t in range(len(scalars)):
        values = dict(zip(SCALARS[:-1], scalars[t].tolist()))
        values["step"] = int(values["step"])
        if margins is not None:
            values.update(zip(MARGINS, margins[t].tolist()))
        snapshots.append(Snapshot(
            **values, features=frozen(features[t]), labels=labels, predictions=frozen(predictions[t].astype(np.int64)),
            centers=frozen(centers[t]), classifier_weight=frozen(weights[t]),
            classifier_bias=None if biases is None else frozen(biases[t]),
            metrics=_metrics(metric_names, metrics[t]), losses_known=bool(known[t]), head=head,
            unknown_features=None if unknown is None else frozen(unknown[t]), unknown_labels=unknown_labels))
    return snapshots


def _metrics(names: tuple[str, ...], values: np.ndarray) -> FeatureMetrics:
    """The recorded values by name: what the file did not measure is NaN, what this cl-viz does not know is dropped."""
    recorded = dict(zip(names, values.tolist()))
    return FeatureMetrics(**{name: recorded.get(name, math.nan) for name in METRICS})
