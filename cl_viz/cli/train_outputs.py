"""What a `cl-viz train` run prints and writes: progress, metrics.json, features.npz, checkpoint.pt, a recording."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from cl_viz import __version__
from cl_viz.cli.progress import Progress, number
from cl_viz.core.checkpoints import save_checkpoint
from cl_viz.core.config import PROBE_SPLIT_NAMES, TrainConfig
from cl_viz.core.devices import describe_device
from cl_viz.core.errors import ClVizError
from cl_viz.core.files import first_line, write_atomically
from cl_viz.core.margins import HEAD_INFO, MARGIN_HEADS
from cl_viz.core.recording import Recording, save_recording
from cl_viz.core.runner import LockstepRun
from cl_viz.core.session import TrainingSession
from cl_viz.core.snapshot import Snapshot
from cl_viz.core.timeline import Timeline


class Recorder:
    """Frames of a headless run for `cl-viz replay` (with --compare: a softmax-only twin in lockstep)."""

    def __init__(self, run: LockstepRun, path: str, every: int):
        self.run, self.session, self.path, self.every = run, run.primary, path, every
        self.timeline = Timeline()
        self.last_step: int | None = None

    def capture(self, steps_per_second: float) -> None:
        self.last_step = self.session.step
        frame = self.run.frame(steps_per_second, include_batch=False)
        if frame.is_finite:
            self.timeline.append(frame)

    def save(self):
        return save_recording(self.path, Recording(list(self.timeline), self.run.info))


def restore(session: TrainingSession, checkpoint: dict, path: str) -> None:
    try:
        session.load_state_dict(checkpoint)
    except (RuntimeError, KeyError, ValueError, TypeError) as error:
        raise ClVizError(f"{path} does not fit the network of its own configuration ({first_line(error)})") from None


def checked_snapshot(session: TrainingSession) -> Snapshot:
    snapshot = session.snapshot(include_batch=False)
    if not snapshot.is_finite:
        raise ClVizError(f"training diverged at step {snapshot.step}: the loss is no longer finite "
                         f"(L_S {snapshot.loss_softmax:g}, L_C {snapshot.loss_center:g}); "
                         f"lower the learning rate (now {session.config.lr:g}) or λ (now {session.config.lam:g})")
    return snapshot


def evaluation_record(snapshot: Snapshot) -> dict:
    """A row of metrics.json: the snapshot's record and, where classes are held out, the open-set figures."""
    record = snapshot.record()
    if snapshot.unknown_features is not None:
        from cl_viz.core.openset_report import open_set_record  # imports scikit-learn, ~2 s: open-set runs only

        record |= open_set_record(snapshot)
    return clean(record)


def evaluate(session: TrainingSession, progress: Progress, history: list[dict]) -> None:
    snapshot = checked_snapshot(session)
    history.append(evaluation_record(snapshot))
    progress.report(session.step, _summary(snapshot))


def _summary(snapshot: Snapshot) -> str:
    m = snapshot.metrics
    return (f"L_S {number(snapshot.loss_softmax, '.3f')}  λ·L_C {number(snapshot.lam * snapshot.loss_center, '.4f')}  "
            f"probe {number(m.probe_accuracy, '.1%')}  intra/inter {number(m.ratio, '.3f')}")


def final_line(final: dict) -> str:
    return (f"final: probe accuracy {number(final['probe_accuracy'], '.2%')}, "
            f"nearest-center {number(final['nearest_center_accuracy'], '.2%')}, "
            f"intra/inter {number(final['ratio'], '.3f')}")


def print_header(session: TrainingSession, total_steps: int, out: Path) -> None:
    config, dataset = session.config, session.dataset
    print(f"dataset: {dataset.name} ({dataset.source}; {len(dataset.train_labels):,} train, "
          f"{len(dataset.test_labels):,} test, probe {len(session.probe_labels):,} "
          f"{PROBE_SPLIT_NAMES[config.probe_split]})")
    print(f"model: {config.model}, {config.feat_dim}-D features, classifier bias "
          f"{'on' if session.model.classifier.bias is not None else 'off'}; device: {describe_device(session.device)}")
    print(f"loss: L_S + {config.lam:g}·L_C with L_S from the {head_text(config)}; α {config.alpha:g} "
          f"({config.center_update} centers); "
          f"{config.optimizer} lr {config.lr:g}, batch {session.batch_size}; "
          f"steps {session.step}→{total_steps} ({total_steps / session.steps_per_epoch:.1f} epochs); out: {out}")
    print(f"warm-up and clipping (not in the paper): {stabilisers(config)}; initial weights: {config.init}")
    if session.open_set is not None:
        print(f"open set: trains on {len(session.open_set.known_classes)} known classes; unknowns "
              f"{unknowns_text(session.open_set)}, {len(session.unknown_indices):,} in the probe set")


def unknowns_text(open_set) -> str:
    names = [open_set.class_names[label] for label in open_set.unknown_classes]
    return ", ".join(names) if len(names) <= 12 else f"{', '.join(names[:12])} … ({len(names)} classes)"


def head_text(config: TrainConfig) -> str:
    info = HEAD_INFO[config.head]
    if config.head == "softmax":
        return "softmax head (W_j·x + b_j)"
    settings = [] if config.head == "sphereface" else [f"s {config.scale:g}"]
    if config.head in MARGIN_HEADS:
        unit = "" if config.head == "sphereface" else f" {info.margin_unit}"
        ramp = f", ramped in over {config.margin_warmup_steps} steps" if config.margin_warmup_steps and \
            config.head != "sphereface" else ", annealed" if config.head == "sphereface" else ""
        settings.append(f"m {config.margin:g}{unit}{ramp}")
    return f"{info.title} head ({info.formula}; {', '.join(settings)})"


def stabilisers(config: TrainConfig) -> str:
    warmup = f"{config.warmup_steps}-step warm-up" if config.warmup_steps else "no warm-up"
    clipping = f"gradient norm clipped at {config.clip_norm:g}" if config.clip_norm else "no clipping"
    return f"{warmup}, {clipping}"


def write_outputs(out: Path, session: TrainingSession, history: list[dict], elapsed: float, steps: int,
                   interrupted: bool) -> list[str]:
    """metrics.json, features.npz and checkpoint.pt, each written atomically; return what was written."""
    snapshot = session.snapshot(include_batch=False)
    dataset = session.dataset
    metrics = {
        "cl_viz_version": __version__,
        "config": session.config.to_dict(),
        "dataset": {"name": dataset.name, "source": dataset.source, "train_size": len(dataset.train_labels),
                    "test_size": len(dataset.test_labels), "probe_size": len(session.probe_labels),
                    "class_names": list(dataset.class_names)},
        "device": describe_device(session.device),
        "steps": session.step,
        "interrupted": interrupted,
        "elapsed_s": round(elapsed, 3),
        "images_per_s": round(steps * session.batch_size / elapsed, 1) if elapsed > 0 else None,
        "history": history,
        "final": evaluation_record(snapshot),
    }
    if session.open_set is not None:
        metrics["dataset"] |= {"known_classes": list(session.open_set.known_classes),
                               "unknown_classes": list(session.open_set.unknown_classes),
                               "unknown_probe_size": len(session.unknown_indices),
                               "original_class_names": list(session.open_set.class_names)}
    text = json.dumps(metrics, indent=1, allow_nan=False) + "\n"
    features = {"features": snapshot.features, "labels": snapshot.labels, "centers": snapshot.centers,
                "predictions": snapshot.predictions, "classifier_weight": snapshot.classifier_weight,
                "class_names": np.array(dataset.class_names)}
    if session.open_set is not None:  # labels are 0..K-1; unknown_labels, known_classes: original ids
        features |= {"unknown_features": snapshot.unknown_features, "unknown_labels": snapshot.unknown_labels,
                     "known_classes": np.array(session.open_set.known_classes),
                     "original_class_names": np.array(session.open_set.class_names)}
    written = [write_atomically(out / "metrics.json", lambda file: file.write(text.encode())),
               write_atomically(out / "features.npz", lambda file: np.savez_compressed(file, **features)),
               save_checkpoint(session.state_dict(), out / "checkpoint.pt")]
    return [str(path) for path in written]


def clean(record: dict) -> dict:
    """JSON has no NaN: non-finite numbers become null."""
    return {key: (None if isinstance(value, float) and not math.isfinite(value) else value)
            for key, value in record.items()}
