"""`cl-viz train`: a headless run that writes metrics.json, features.npz and checkpoint.pt."""

from __future__ import annotations

import argparse
import json
import math
import signal
import sys
import threading
import time
from datetime import datetime
from pathlib import Path

import numpy as np

from cl_viz import __version__
from cl_viz.cli.errors import run_reporting_errors
from cl_viz.cli.progress import Progress, loading_meter, number
from cl_viz.core.checkpoints import load_checkpoint, save_checkpoint
from cl_viz.core.config import LIVE_FIELDS, TrainConfig
from cl_viz.core.data import describe_input, load_configured, resolve_name
from cl_viz.core.devices import describe_device
from cl_viz.core.distributed import from_environment
from cl_viz.core.errors import ClVizError
from cl_viz.core.files import first_line, prepare_file, prepare_folder, remove_empty_folders, write_atomically
from cl_viz.core.margins import HEAD_INFO, MARGIN_HEADS
from cl_viz.core.recipes import RECIPES
from cl_viz.core.recording import SUFFIX, Recording, save_recording
from cl_viz.core.runner import LockstepRun
from cl_viz.core.runs import GridEntry, loss_entries, parse_run, parse_runs, run_config
from cl_viz.core.session import TrainingSession
from cl_viz.core.snapshot import Snapshot
from cl_viz.core.timeline import Timeline


def run_train(args: argparse.Namespace) -> int:
    return run_reporting_errors("cl-viz train", lambda: _train(args))


# flag (argparse dest) -> TrainConfig field; a flag left out keeps the recipe's value
RECIPE_OVERRIDES = ("model", "feat_dim", "init", "alpha", "center_update", "optimizer", "lr", "warmup_steps",
                    "clip_norm", "batch_size", "seed", "device", "probe_size", "scale", "margin", "margin_warmup_steps",
                    "unknown_classes", "unknown_dataset", "image_size", "channels")


def config_from_args(args: argparse.Namespace) -> TrainConfig:
    """The run of --loss: the recipe, the head's own settings, then every flag given."""
    return run_config(_base_config(args), parse_run(args.loss), _explicit(args))


def grid_entries_from_args(args: argparse.Namespace) -> tuple[GridEntry, ...]:
    """The runs of --losses, each built as --loss builds its one."""
    return loss_entries(_base_config(args), parse_runs(args.losses), _explicit(args))


def _base_config(args: argparse.Namespace) -> TrainConfig:
    spec_names = args.losses or [args.loss]
    if args.lam and not any(parse_run(name).center_loss for name in spec_names):
        raise ClVizError(f"--loss {spec_names[0]} means λ = 0; drop --lambda or add center loss "
                         f"(--loss center, or HEAD+center)")
    base = RECIPES[args.recipe].config.replace(dataset=args.dataset, data_dir=args.data_dir)
    return base.replace(lam=args.lam) if args.lam is not None else base


def _explicit(args: argparse.Namespace) -> dict:
    if args.bias and args.no_bias:
        raise ClVizError("--bias and --no-bias contradict each other")
    changes = {name: getattr(args, name) for name in RECIPE_OVERRIDES if getattr(args, name) is not None}
    if "unknown_classes" in changes:
        changes["unknown_classes"] = tuple(changes["unknown_classes"])
    if args.bias or args.no_bias:
        changes["bias"] = bool(args.bias)
    return changes


def _train(args: argparse.Namespace) -> int:
    parallel = from_environment()
    if args.nproc or parallel:
        from cl_viz.cli import train_distributed

        return train_distributed.launch(args) if args.nproc else train_distributed.train_data_parallel(args, parallel)
    _check_flags(args)
    if args.losses:
        from cl_viz.cli.train_losses import train_losses

        return train_losses(args, grid_entries_from_args(args))
    checkpoint = load_checkpoint(args.resume) if args.resume else None
    config = _resumed_config(checkpoint["config"], args) if checkpoint else config_from_args(args)
    out = Path(args.out or _default_out(resolve_name(config.dataset, config.data_dir), config))
    created = prepare_folder(out)
    try:
        if args.record:
            created += prepare_file(args.record)
        return _train_into(out, args, config, checkpoint)
    except BaseException:
        remove_empty_folders(created)  # leave no empty output folder behind
        raise


def _check_flags(args: argparse.Namespace) -> None:
    """What can be told from the flags alone, before any data is loaded."""
    if args.losses:
        for flag, given in (("--compare", args.compare), ("--resume", args.resume), ("--record", args.record)):
            if given:
                raise ClVizError(f"--losses trains every run from scratch and records none; {flag} works with --loss")
    if args.compare and args.resume:
        raise ClVizError("--compare starts both runs from scratch; it cannot be combined with --resume")
    if args.eval_every < 1:
        raise ClVizError(f"--eval-every must be ≥ 1, got {args.eval_every}")
    if args.record_every < 1:
        raise ClVizError(f"--record-every must be ≥ 1, got {args.record_every}")
    if args.record and not args.record.endswith(SUFFIX):
        raise ClVizError(f"--record must name a {SUFFIX} file, got {args.record!r}")


def _train_into(out: Path, args: argparse.Namespace, config: TrainConfig, checkpoint: dict | None) -> int:
    dataset = load_configured(config, progress=loading_meter(resolve_name(config.dataset, config.data_dir)))
    run = LockstepRun(config, args.compare, dataset)
    session = run.primary
    if checkpoint:
        _restore(session, checkpoint, args.resume)
    total_steps = steps_to_train(args, session)
    _print_header(session, total_steps, out)
    recorder = Recorder(run, args.record, args.record_every) if args.record else None
    progress = Progress(total_steps, session.batch_size, start_step=session.step)
    started, start_step = time.perf_counter(), session.step
    if recorder:
        recorder.capture(progress.steps_per_second(session.step))
    history: list[dict] = []
    interrupted = _fit(run, total_steps, args.eval_every, recorder, progress, history)
    elapsed = time.perf_counter() - started
    written = write_outputs(out, session, history, elapsed, session.step - start_step, interrupted)
    if recorder:
        written.append(f"{recorder.save()} ({len(recorder.timeline)} frames)")
    if interrupted:
        print(f"cl-viz train: interrupted at step {session.step}/{total_steps}: wrote {', '.join(written)}",
              file=sys.stderr)
    else:
        print(f"wrote {', '.join(written)}")
    print(final_line(history[-1]))
    return 130 if interrupted else 0


def _fit(run: LockstepRun, total_steps: int, eval_every: int, recorder: Recorder | None, progress: Progress,
         history: list[dict]) -> bool:
    """Train to `total_steps`, or until Ctrl+C ends the step under way; return whether it was interrupted."""
    session = run.primary
    with StopRequest() as stop:
        while session.step < total_steps and not stop.requested:
            run.train_step()
            if recorder and session.step % recorder.every == 0:
                recorder.capture(progress.steps_per_second(session.step))
            if session.step % eval_every == 0:
                _evaluate(session, progress, history)
            else:
                progress.tick(session.step)
        if recorder and recorder.last_step != session.step:
            recorder.capture(progress.steps_per_second(session.step))
        if not history or history[-1]["step"] != session.step:
            _evaluate(session, progress, history)
    return session.step < total_steps


def _evaluate(session: TrainingSession, progress: Progress, history: list[dict]) -> None:
    snapshot = checked_snapshot(session)
    history.append(evaluation_record(snapshot))
    progress.report(session.step, _summary(snapshot))


class StopRequest:
    """The first Ctrl+C asks the training loop to stop after its step; a second one interrupts at once."""

    def __init__(self):
        self.requested = False
        self._installed = False

    def __enter__(self) -> StopRequest:
        # Only where Python's own handler is in place: not in a thread, nor where SIGINT is ignored (nohup).
        if threading.current_thread() is threading.main_thread() and \
                signal.getsignal(signal.SIGINT) is signal.default_int_handler:
            signal.signal(signal.SIGINT, self._request)
            self._installed = True
        return self

    def __exit__(self, *exc) -> None:
        if self._installed:
            signal.signal(signal.SIGINT, signal.default_int_handler)

    def _request(self, signum, frame) -> None:
        self.requested = True
        signal.signal(signal.SIGINT, signal.default_int_handler)


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


def _resumed_config(saved: TrainConfig, args: argparse.Namespace) -> TrainConfig:
    """Structure comes from the checkpoint; the live fields (λ, α, the learning rate, warm-up, clipping)
    and the device may be overridden. An input shape other than the checkpoint's is refused."""
    size, channels = saved.input_shape
    asked = (size if args.image_size is None else args.image_size, channels if args.channels is None else args.channels)
    if asked != (size, channels):
        raise ClVizError(f"{args.resume} was trained on {describe_input(size, channels)} images, not "
                         f"{describe_input(*asked)}: drop --image-size and --channels to resume it")
    changes = {name: getattr(args, name) for name in (*LIVE_FIELDS, "device")
               if getattr(args, name, None) is not None}
    return saved.replace(**changes).validated()


def _restore(session: TrainingSession, checkpoint: dict, path: str) -> None:
    try:
        session.load_state_dict(checkpoint)
    except (RuntimeError, KeyError, ValueError, TypeError) as error:
        raise ClVizError(f"{path} does not fit the network of its own configuration ({first_line(error)})") from None


def steps_to_train(args: argparse.Namespace, session: TrainingSession) -> int:
    if args.epochs is not None:
        if args.epochs <= 0:
            raise ClVizError(f"--epochs must be > 0, got {args.epochs:g}")
        requested = math.ceil(args.epochs * session.steps_per_epoch)
    else:
        requested = RECIPES[args.recipe].steps if args.steps is None else args.steps
        if requested < 1:
            raise ClVizError(f"--steps must be ≥ 1, got {requested}")
    return session.step + requested if args.resume else requested


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


def _summary(snapshot: Snapshot) -> str:
    m = snapshot.metrics
    return (f"L_S {number(snapshot.loss_softmax, '.3f')}  λ·L_C {number(snapshot.lam * snapshot.loss_center, '.4f')}  "
            f"probe {number(m.probe_accuracy, '.1%')}  intra/inter {number(m.ratio, '.3f')}")


def final_line(final: dict) -> str:
    return (f"final: probe accuracy {number(final['probe_accuracy'], '.2%')}, "
            f"nearest-center {number(final['nearest_center_accuracy'], '.2%')}, "
            f"intra/inter {number(final['ratio'], '.3f')}")


def _print_header(session: TrainingSession, total_steps: int, out: Path) -> None:
    config, dataset = session.config, session.dataset
    print(f"dataset: {dataset.name} ({dataset.source}; {len(dataset.train_labels):,} train, "
          f"{len(dataset.test_labels):,} test, probe {len(session.probe_labels):,})")
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


def _default_out(dataset_name: str, config: TrainConfig) -> str:
    parts = ([] if config.head == "softmax" else [config.head]) + ([f"center-{config.lam:g}"] if config.lam > 0 else [])
    loss = "-".join(parts) or "softmax"
    return f"cl-viz-runs/{dataset_name}-{loss}-{datetime.now():%Y%m%d-%H%M%S}"


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
