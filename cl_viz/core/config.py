"""Run configuration: what a training session needs to know, in the paper's units."""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from dataclasses import dataclass, field

from cl_viz.core.errors import ClVizError
from cl_viz.core.margins import HEADS

DATASET_NAMES = ("mnist", "fashion-mnist", "kmnist", "digits", "cifar10")  # by name; a data folder: "idx" or "images"
DATASETS = ("auto", *DATASET_NAMES)
MODELS = ("lenet++", "seed", "tiny")
OPTIMIZERS = ("sgd", "adam")
CENTER_UPDATES = ("paper", "sgd")
INITS = ("pytorch", "caffe")  # caffe: caffe-face's Xavier filler (uniform ±√(3/fan_in)), zero biases
PROBE_SPLITS = ("test", "train")  # the images the plots and metrics embed: held out, or the ones trained on
PROBE_SPLIT_NAMES = {"test": "test images", "train": "training images"}
DEVICES = ("auto", "cpu", "cuda", "mps")
WORKER_MODES = ("process", "thread")  # where the app trains: a child process, or a thread of the GUI's process
DEFAULT_WORKER_MODE = "process"  # the GUI never stalls a step (PySide6 holds the GIL while it paints)
WORKER_MODE_VARIABLE = "CL_VIZ_WORKER"  # the mode when no --worker flag gives one
CHANNELS = (1, 3)  # grey or colour input
IMAGE_SIZES = (8, 256)  # the smallest and largest side of the square input, in pixels
# (side, channels) of a dataset's own images, where the config leaves them to it (None); any other: 28×28 grey
NATIVE_INPUTS = {"cifar10": (32, 3)}
DEFAULT_INPUT = (28, 1)

# Changing one of these needs a fresh session; every other field applies between steps.
STRUCTURAL_FIELDS = (
    "dataset", "data_dir", "model", "feat_dim", "bias", "relu_features",
    "center_update", "optimizer", "seed", "device", "probe_size", "probe_split", "batch_size", "init", "head",
    "unknown_classes", "unknown_dataset", "image_size", "channels",
)
LIVE_FIELDS = ("lam", "alpha", "lr", "softmax_weight", "warmup_steps", "clip_norm", "scale", "margin",
               "margin_warmup_steps")
MAX_SEED = 2**32 - 1  # numpy's and torch's generators all take seeds up to here


@dataclass(frozen=True)
class TrainConfig:
    """Defaults follow the official caffe-face MNIST example except for the CPU-sized model, a higher learning
    rate, a short warm-up and gradient clipping (benchmarks/stability_grid.py measures why; the official
    recipe is cl_viz.core.recipes.OFFICIAL)."""

    dataset: str = "auto"
    data_dir: str | None = None
    model: str = "tiny"
    feat_dim: int = 2
    bias: bool | None = None  # None: the model's own default
    relu_features: bool = False  # ReLU instead of PReLU on the feature layer (a lesson, not a default)
    lam: float = 0.01
    alpha: float = 0.5
    lr: float = 0.05
    softmax_weight: float = 1.0  # 0 gives center loss alone (paper §3.3: everything collapses)
    momentum: float = 0.9
    weight_decay: float = 5e-4
    optimizer: str = "sgd"
    center_update: str = "paper"
    batch_size: int = 128
    seed: int = 0
    device: str = "auto"
    probe_size: int | None = None  # None: 2,000 images on CPU, the whole test split on GPU
    probe_split: str = "test"  # "train": the probe shows training images (the paper's Fig. 2 shows both)
    lr_milestones: tuple[int, ...] = field(default_factory=tuple)
    lr_gamma: float = 0.8
    # Not in the paper: they change how the network's weights move, never L, L_C or Eq. 4.
    warmup_steps: int = 100  # the learning rate ramps linearly from lr/N to lr over the first N steps
    clip_norm: float = 5.0  # the network's gradient norm is clipped to this before each step (0: off)
    init: str = "pytorch"
    # The classification head (cl_viz.core.margins): L_S is the cross-entropy of its logits; λ > 0 adds L_C.
    head: str = "softmax"
    scale: float = 10.0  # s of normface, cosface and arcface
    margin: float = 0.0  # m: cosine (cosface), radians (arcface), an integer multiple of the angle (sphereface)
    margin_warmup_steps: int = 0  # m ramps linearly from 0 over the first N steps (cosface, arcface)
    # Open set (cl_viz.core.openset_data): classes held out of training, and another dataset's test images
    # as unknowns; the network trains on the other classes only, the probe set holds both.
    unknown_classes: tuple[int, ...] = field(default_factory=tuple)
    unknown_dataset: str | None = None
    # The network's input, S×S with 1 or 3 channels; None: the dataset's own (input_shape). Any dataset is
    # resized and converted to it (grey repeated into 3 channels, colour to grey by luminance).
    image_size: int | None = None
    channels: int | None = None

    def replace(self, **changes) -> TrainConfig:
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        data = dataclasses.asdict(self)
        data["lr_milestones"] = list(self.lr_milestones)
        data["unknown_classes"] = list(self.unknown_classes)
        return data

    @classmethod
    def from_dict(cls, data: dict) -> TrainConfig:
        """A configuration from stored fields (a checkpoint, a recording); raises ClVizError if any is wrong."""
        if not isinstance(data, dict):
            raise ClVizError(f"a configuration must be a table of fields, got {type(data).__name__}")
        unknown = sorted(str(name) for name in set(data) - FIELD_NAMES)
        if unknown:
            raise ClVizError(f"unknown configuration field(s): {', '.join(unknown)}")
        stored = {name: _stored(name, value) for name, value in data.items()}
        return cls(**(FIELDS_ADDED_LATER | stored)).validated()

    def with_valid(self, data: dict) -> tuple[TrainConfig, list[str]]:
        """This configuration changed by each field of `data` that is valid on its own or once the others
        are in (SphereFace needs its whole-number m first, whatever the order); the others are left as
        they are and their problems returned, one sentence each."""
        config, pending = self, dict(data)
        while True:
            problems = {}
            for name, value in pending.items():
                try:
                    if name not in FIELD_NAMES:
                        raise ClVizError(f"unknown configuration field {name!r}")
                    config = config.replace(**{name: _stored(name, value)}).validated()
                except ClVizError as error:
                    problems[name] = str(error)
            if len(problems) in (0, len(pending)):
                return config, list(problems.values())
            pending = {name: pending[name] for name in problems}

    def validated(self) -> TrainConfig:
        """Return self, or raise ClVizError naming the first invalid field."""
        _check_types(self)
        _check_choice("dataset", self.dataset, DATASETS)
        _check_choice("model", self.model, MODELS)
        _check_choice("optimizer", self.optimizer, OPTIMIZERS)
        _check_choice("center update", self.center_update, CENTER_UPDATES)
        _check_choice("device", self.device, DEVICES)
        _check_choice("initialisation", self.init, INITS)
        _check_choice("probe split", self.probe_split, PROBE_SPLITS)
        _check_choice("head", self.head, HEADS)
        _check_head(self)
        _check_unknowns(self)
        _check_input(self)
        _check_finite("λ (lambda)", self.lam)
        if self.lam < 0:
            raise ClVizError(f"λ (lambda) must be ≥ 0, got {self.lam:g}")
        _check_finite("α (alpha)", self.alpha)
        if not 0.0 <= self.alpha <= 1.0:
            raise ClVizError(f"α (alpha) must be in [0, 1], got {self.alpha:g}")
        _check_finite("learning rate", self.lr)
        if self.lr <= 0:
            raise ClVizError(f"learning rate must be > 0, got {self.lr:g}")
        _check_finite("softmax weight", self.softmax_weight)
        if self.softmax_weight < 0:
            raise ClVizError(f"softmax weight must be ≥ 0, got {self.softmax_weight:g}")
        _check_finite("momentum", self.momentum)
        if not 0.0 <= self.momentum < 1.0:
            raise ClVizError(f"momentum must be in [0, 1), got {self.momentum:g}")
        _check_finite("weight decay", self.weight_decay)
        if self.weight_decay < 0:
            raise ClVizError(f"weight decay must be ≥ 0, got {self.weight_decay:g}")
        if self.batch_size < 1:
            raise ClVizError(f"batch size must be ≥ 1, got {self.batch_size}")
        if self.feat_dim not in (2, 3):
            raise ClVizError(f"feature dimension must be 2 or 3, got {self.feat_dim}")
        if self.probe_size is not None and self.probe_size < 10:
            raise ClVizError(f"probe size must be ≥ 10, got {self.probe_size}")
        if not 0 <= self.seed <= MAX_SEED:
            raise ClVizError(f"seed must be in [0, {MAX_SEED}], got {self.seed}")
        _check_finite("learning-rate decay factor", self.lr_gamma)
        if not 0 < self.lr_gamma <= 1:
            raise ClVizError(f"learning-rate decay factor must be in (0, 1], got {self.lr_gamma:g}")
        if self.warmup_steps < 0:
            raise ClVizError(f"warm-up steps must be ≥ 0, got {self.warmup_steps}")
        _check_finite("gradient clipping norm", self.clip_norm)
        if self.clip_norm < 0:
            raise ClVizError(f"gradient clipping norm must be ≥ 0 (0: off), got {self.clip_norm:g}")
        return self

    def structural_changes(self, other: TrainConfig) -> list[str]:
        """Names of fields that differ from `other` and need a reset."""
        return [name for name in STRUCTURAL_FIELDS if getattr(self, name) != getattr(other, name)]

    @property
    def input_shape(self) -> tuple[int, int]:
        """(S, channels) of the network's input: the fields, or the dataset's own where they are None."""
        size, channels = NATIVE_INPUTS.get(self.dataset, DEFAULT_INPUT)
        return (size if self.image_size is None else self.image_size,
                channels if self.channels is None else self.channels)


FIELD_TYPES = typing.get_type_hints(TrainConfig)
FIELD_NAMES = frozenset(FIELD_TYPES)
# What the app and `cl-viz train` start with.
DEFAULTS = TrainConfig()
# Stored configurations (checkpoints, recordings) without these fields come from runs that had none of them.
FIELDS_ADDED_LATER = {"warmup_steps": 0, "clip_norm": 0.0, "init": "pytorch", "head": "softmax", "scale": 10.0,
                      "margin": 0.0, "margin_warmup_steps": 0, "unknown_classes": (), "unknown_dataset": None,
                      "image_size": None, "channels": None, "probe_split": "test"}
STORED_DEFAULTS = DEFAULTS.replace(**FIELDS_ADDED_LATER)


def _stored(name: str, value):
    """A stored value as the field holds it: JSON and TOML have lists where the field has a tuple."""
    if name in ("lr_milestones", "unknown_classes") and isinstance(value, list):
        return tuple(value)
    return value


_TYPE_WORDS = {int: "a whole number", float: "a number", bool: "true or false", str: "a string",
               type(None): "None"}


def _check_types(config: TrainConfig) -> None:
    for name, wanted in FIELD_TYPES.items():
        value = getattr(config, name)
        if not _has_type(value, wanted):
            raise ClVizError(f"{name} must be {_describe(wanted)}, got {value!r}")


def _has_type(value, wanted) -> bool:
    if isinstance(wanted, types.UnionType):
        return any(_has_type(value, option) for option in typing.get_args(wanted))
    if typing.get_origin(wanted) is tuple:
        return isinstance(value, tuple) and all(_has_type(item, int) for item in value)
    if isinstance(value, bool):
        return wanted is bool
    if wanted is float:
        return isinstance(value, (int, float))
    return isinstance(value, wanted)


def _describe(wanted) -> str:
    if isinstance(wanted, types.UnionType):
        return " or ".join(_describe(option) for option in typing.get_args(wanted))
    if typing.get_origin(wanted) is tuple:
        return "a list of whole numbers"
    return _TYPE_WORDS[wanted]


def _check_head(config: TrainConfig) -> None:
    _check_finite("scale s", config.scale)
    if config.scale <= 0:
        raise ClVizError(f"scale s must be > 0, got {config.scale:g}")
    _check_finite("margin m", config.margin)
    if config.margin < 0:
        raise ClVizError(f"margin m must be ≥ 0, got {config.margin:g}")
    if config.head == "sphereface" and (config.margin != int(config.margin) or config.margin < 1):
        raise ClVizError(f"SphereFace's margin m is a whole number ≥ 1 (a multiple of the angle), "
                         f"got {config.margin:g}")
    if config.head == "arcface" and config.margin >= math.pi:
        raise ClVizError(f"ArcFace's margin m is an angle in radians below π, got {config.margin:g}")
    if config.head == "cosface" and config.margin >= 2:
        raise ClVizError(f"CosFace's margin m is subtracted from a cosine and must be below 2, got {config.margin:g}")
    if config.margin_warmup_steps < 0:
        raise ClVizError(f"margin warm-up steps must be ≥ 0, got {config.margin_warmup_steps}")


def _check_unknowns(config: TrainConfig) -> None:
    """What can be told without the data; the class ids' range and the classes left are checked at load."""
    classes = config.unknown_classes
    if any(label < 0 for label in classes):
        raise ClVizError(f"unknown classes are class ids ≥ 0, got {', '.join(map(str, classes))}")
    if len(set(classes)) != len(classes):
        raise ClVizError(f"each unknown class can appear once, got {', '.join(map(str, classes))}")
    if config.unknown_dataset is not None:
        if config.unknown_dataset not in DATASET_NAMES:
            raise ClVizError(f"the unknowns' dataset must be one of: {', '.join(DATASET_NAMES)}; "
                             f"got {config.unknown_dataset!r}")
        if config.unknown_dataset == config.dataset:
            raise ClVizError(f"the unknowns must come from another dataset than {config.dataset}")


def _check_input(config: TrainConfig) -> None:
    low, high = IMAGE_SIZES
    if config.image_size is not None and not low <= config.image_size <= high:
        raise ClVizError(f"image size must be {low} to {high} pixels, got {config.image_size}")
    if config.channels is not None and config.channels not in CHANNELS:
        raise ClVizError(f"channels must be 1 (grey) or 3 (colour), got {config.channels}")


def _check_choice(what: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ClVizError(f"unknown {what} {value!r}; choose one of: {', '.join(choices)}")


def _check_finite(what: str, value: float) -> None:
    if not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ClVizError(f"{what} must be a finite number, got {value!r}")
