"""Run configuration: what a training session needs to know, in the paper's units."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

from cl_viz.core.errors import ClVizError

DATASETS = ("auto", "mnist", "fashion-mnist", "kmnist", "digits")
MODELS = ("lenet++", "seed", "tiny")
OPTIMIZERS = ("sgd", "adam")
CENTER_UPDATES = ("paper", "sgd")
DEVICES = ("auto", "cpu", "cuda", "mps")

# Changing one of these needs a fresh session; every other field applies between steps.
STRUCTURAL_FIELDS = (
    "dataset", "data_dir", "model", "feat_dim", "bias", "relu_features",
    "center_update", "optimizer", "seed", "device", "probe_size", "batch_size",
)
LIVE_FIELDS = ("lam", "alpha", "lr", "softmax_weight")


@dataclass(frozen=True)
class TrainConfig:
    """Defaults follow the official caffe-face MNIST example, except the CPU-sized model."""

    dataset: str = "auto"
    data_dir: str | None = None
    model: str = "tiny"
    feat_dim: int = 2
    bias: bool | None = None  # None: the model's own default
    relu_features: bool = False  # ReLU instead of PReLU on the feature layer (a lesson, not a default)
    lam: float = 0.01
    alpha: float = 0.5
    lr: float = 0.01
    softmax_weight: float = 1.0  # 0 gives center loss alone (paper §3.3: everything collapses)
    momentum: float = 0.9
    weight_decay: float = 5e-4
    optimizer: str = "sgd"
    center_update: str = "paper"
    batch_size: int = 128
    seed: int = 0
    device: str = "auto"
    probe_size: int | None = None  # None: 2,000 images on CPU, the whole test split on GPU
    lr_milestones: tuple[int, ...] = field(default_factory=tuple)
    lr_gamma: float = 0.8

    def replace(self, **changes) -> TrainConfig:
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        data = dataclasses.asdict(self)
        data["lr_milestones"] = list(self.lr_milestones)
        return data

    @classmethod
    def from_dict(cls, data: dict) -> TrainConfig:
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ClVizError(f"unknown configuration field(s): {', '.join(unknown)}")
        values = dict(data)
        if "lr_milestones" in values:
            values["lr_milestones"] = tuple(int(m) for m in values["lr_milestones"])
        return cls(**values).validated()

    def validated(self) -> TrainConfig:
        """Return self, or raise ClVizError naming the first invalid field."""
        _check_choice("dataset", self.dataset, DATASETS)
        _check_choice("model", self.model, MODELS)
        _check_choice("optimizer", self.optimizer, OPTIMIZERS)
        _check_choice("center update", self.center_update, CENTER_UPDATES)
        _check_choice("device", self.device, DEVICES)
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
        if not 0.0 <= self.momentum < 1.0:
            raise ClVizError(f"momentum must be in [0, 1), got {self.momentum:g}")
        if self.weight_decay < 0:
            raise ClVizError(f"weight decay must be ≥ 0, got {self.weight_decay:g}")
        if self.batch_size < 1:
            raise ClVizError(f"batch size must be ≥ 1, got {self.batch_size}")
        if self.feat_dim not in (2, 3):
            raise ClVizError(f"feature dimension must be 2 or 3, got {self.feat_dim}")
        if self.probe_size is not None and self.probe_size < 10:
            raise ClVizError(f"probe size must be ≥ 10, got {self.probe_size}")
        if not 0 < self.lr_gamma <= 1:
            raise ClVizError(f"learning-rate decay factor must be in (0, 1], got {self.lr_gamma:g}")
        return self

    def structural_changes(self, other: TrainConfig) -> list[str]:
        """Names of fields that differ from `other` and need a reset."""
        return [name for name in STRUCTURAL_FIELDS if getattr(self, name) != getattr(other, name)]


def _check_choice(what: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ClVizError(f"unknown {what} {value!r}; choose one of: {', '.join(choices)}")


def _check_finite(what: str, value: float) -> None:
    if not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ClVizError(f"{what} must be a finite number, got {value!r}")
