"""What a `cl-viz train` command line asks for: the run's configuration, or its checkpoint's."""

from __future__ import annotations

import argparse
import math
from dataclasses import fields
from datetime import datetime

from cl_viz.core.checkpoints import load_checkpoint
from cl_viz.core.config import DEFAULTS, LIVE_FIELDS, TrainConfig
from cl_viz.core.data import describe_input, resolve_name
from cl_viz.core.errors import ClVizError
from cl_viz.core.recipes import DEFAULT_RECIPE, RECIPES
from cl_viz.core.recording import SUFFIX
from cl_viz.core.runs import DEFAULT_LOSS, GridEntry, loss_entries, parse_run, parse_runs, run_config
from cl_viz.core.session import TrainingSession

# flag (argparse dest) -> TrainConfig field; a flag left out keeps the recipe's value
RECIPE_OVERRIDES = ("model", "feat_dim", "init", "alpha", "center_update", "optimizer", "lr", "warmup_steps",
                    "clip_norm", "batch_size", "seed", "device", "probe_size", "probe_split", "scale", "margin",
                    "margin_warmup_steps", "unknown_classes", "unknown_dataset", "image_size", "channels")


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


def check_flags(args: argparse.Namespace) -> None:
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


def configured_run(args: argparse.Namespace) -> tuple[dict | None, TrainConfig]:
    """The checkpoint that --resume names (None without it) and the configuration to train."""
    check_flags(args)
    checkpoint = load_checkpoint(args.resume) if args.resume else None
    return checkpoint, resumed_config(checkpoint["config"], args) if checkpoint else config_from_args(args)


def resumed_config(saved: TrainConfig, args: argparse.Namespace) -> TrainConfig:
    """Structure comes from the checkpoint; the live fields (λ, α, the learning rate, warm-up, clipping)
    and the device may be overridden. A flag that asks for another structure is refused, not ignored."""
    size, channels = saved.input_shape
    asked = (size if args.image_size is None else args.image_size, channels if args.channels is None else args.channels)
    if asked != (size, channels):
        raise ClVizError(f"{args.resume} was trained on {describe_input(size, channels)} images, not "
                         f"{describe_input(*asked)}: drop --image-size and --channels to resume it")
    contradictions = [f"{_flag(name)} {_shown(value)} (it has {_shown(getattr(saved, name))})"
                      for name, value in _structure_asked(args, saved).items() if value != getattr(saved, name)]
    if contradictions:
        raise ClVizError(f"{args.resume} keeps its own network, data and loss; {'; '.join(contradictions)}: "
                         f"drop {'that flag' if len(contradictions) == 1 else 'those flags'} to resume it "
                         f"(λ, α, the learning rate, warm-up, clipping and the device may change)")
    changes = {name: getattr(args, name) for name in (*LIVE_FIELDS, "device")
               if getattr(args, name, None) is not None}
    return saved.replace(**changes).validated()


def _structure_asked(args: argparse.Namespace, saved: TrainConfig) -> dict:
    """The structural fields that the flags name explicitly: a flag, a recipe's own settings, --loss's head."""
    kept = (*LIVE_FIELDS, "device", "image_size", "channels", "dataset", "data_dir")
    asked = {}
    if args.recipe != DEFAULT_RECIPE:
        recipe = RECIPES[args.recipe].config
        asked |= {field.name: getattr(recipe, field.name) for field in fields(TrainConfig)
                  if field.name not in kept and getattr(recipe, field.name) != getattr(DEFAULTS, field.name)}
    asked |= {name: value for name, value in _explicit(args).items() if name not in kept}
    if args.loss != DEFAULT_LOSS:
        asked["head"] = parse_run(args.loss).head
    if args.dataset != DEFAULTS.dataset:
        folder = args.data_dir or saved.data_dir
        if resolve_name(args.dataset, folder) != resolve_name(saved.dataset, saved.data_dir):
            asked["dataset"] = args.dataset
    return asked


def _flag(field: str) -> str:
    return {"lam": "--lambda", "bias": "--bias/--no-bias", "head": "--loss"}.get(field, "--" + field.replace("_", "-"))


def _shown(value) -> str:
    if isinstance(value, tuple):
        return " ".join(map(str, value)) or "none"
    return "none" if value is None else f"{value:g}" if isinstance(value, float) else str(value)


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


def default_out(dataset_name: str, config: TrainConfig) -> str:
    parts = ([] if config.head == "softmax" else [config.head]) + ([f"center-{config.lam:g}"] if config.lam > 0 else [])
    loss = "-".join(parts) or "softmax"
    return f"cl-viz-runs/{dataset_name}-{loss}-{datetime.now():%Y%m%d-%H%M%S}"
