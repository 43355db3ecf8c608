"""What a training session shows the outside world: immutable numpy copies."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cl_viz.core.metrics import FeatureMetrics


@dataclass(frozen=True, eq=False)
class Snapshot:
    step: int
    epoch: float
    lam: float
    alpha: float
    lr: float
    loss_softmax: float  # L_S of the latest training batch
    loss_center: float  # L_C of the latest training batch (unweighted)
    loss_total: float  # softmax_weight·L_S + λ·L_C
    batch_accuracy: float
    features: np.ndarray  # (P, D) probe features
    labels: np.ndarray  # (P,) probe labels
    predictions: np.ndarray  # (P,) classifier argmax
    centers: np.ndarray  # (C, D)
    classifier_weight: np.ndarray  # (C, D); W_j / ‖W_j‖ for the angular heads, whose class is the angle's
    classifier_bias: np.ndarray | None  # (C,)
    metrics: FeatureMetrics
    batch_features: np.ndarray | None = None  # (B, D) latest training batch
    batch_labels: np.ndarray | None = None
    losses_known: bool = True  # False before the first step (and right after a restore): losses are NaN
    oldest_step: int | None = None  # the step whose weights embedded the oldest probe point (None: all at `step`)
    head: str = "softmax"  # cl_viz.core.margins.HEADS
    scale: float = 10.0  # s (angular heads but sphereface)
    margin: float = 0.0  # m as configured
    effective_margin: float = 0.0  # m as applied at this step (warm-up, SphereFace's annealing)
    unknown_features: np.ndarray | None = None  # (U, D) probe images of classes never trained on (open set)
    unknown_labels: np.ndarray | None = None  # (U,) their original class ids (cl_viz.core.openset_data)

    def __setstate__(self, state: dict) -> None:
        """Unpickled (a frame from the training process): numpy arrays come back writeable; freeze them again."""
        for name, value in state.items():
            if isinstance(value, np.ndarray):
                value.setflags(write=False)
            object.__setattr__(self, name, value)

    @property
    def steps_behind(self) -> int:
        """How many steps old the oldest drawn probe point is (0: every point embedded just now)."""
        return 0 if self.oldest_step is None else self.step - self.oldest_step

    @property
    def is_finite(self) -> bool:
        losses = [self.loss_softmax, self.loss_center, self.loss_total] if self.losses_known else []
        unknown = () if self.unknown_features is None else self.unknown_features
        return bool(np.isfinite(losses).all() and np.isfinite(self.features).all()
                    and np.isfinite(self.centers).all() and np.isfinite(unknown).all())

    def record(self) -> dict[str, float]:
        """One row of a run's history."""
        return {
            "step": self.step, "epoch": round(self.epoch, 4), "lambda": self.lam, "alpha": self.alpha,
            "lr": self.lr, "loss_softmax": self.loss_softmax, "loss_center": self.loss_center,
            "loss_total": self.loss_total, "batch_accuracy": self.batch_accuracy,
            "effective_margin": self.effective_margin, **self.metrics.to_dict(),
        }


def frozen(array: np.ndarray) -> np.ndarray:
    array = np.array(array, copy=True)
    array.setflags(write=False)
    return array
