"""Watch your own training loop: every N steps it hands over a fixed set of points' features, their labels
and the centers, and the recording it writes plays in `cl-viz replay FILE.clviz`.

    watch = Watch("run.clviz", class_names=[str(d) for d in range(10)], every=20, lam=0.01, alpha=0.5)
    for step in range(steps):
        ...  # your step
        if watch.due(step):
            with torch.no_grad():
                features, logits = model(probe_images)
            watch(step, features, probe_labels, center_loss.centers, logits=logits,
                  classifier_weight=model.classifier.weight, loss_softmax=loss_s.item(), loss_center=loss_c.item())
    watch.save()

Tensors or arrays both do (nothing here imports torch); the points must be the same ones every time.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np

from cl_viz.core.config import TrainConfig
from cl_viz.core.errors import ClVizError
from cl_viz.core.frames import Frame, RunInfo
from cl_viz.core.metrics import feature_metrics
from cl_viz.core.recording import Recording, save_recording
from cl_viz.core.snapshot import Snapshot, frozen
from cl_viz.core.timeline import Timeline

NAN = float("nan")


class Watch:
    """Frames of a loop that is not cl-viz's, kept evenly thinned (cl_viz.core.timeline) until `save`."""

    def __init__(self, path: str | os.PathLike, class_names: list[str], *, every: int = 10, lam: float = 0.0,
                 alpha: float = 0.5, batch_size: int = 128, dataset_name: str = "your data",
                 images: np.ndarray | None = None):
        if every < 1:
            raise ClVizError(f"every must be ≥ 1, got {every}")
        self.path, self.every, self.class_names = Path(path), every, tuple(class_names)
        self.lam, self.alpha, self.batch_size, self.dataset_name = lam, alpha, batch_size, dataset_name
        self.images = None if images is None else np.asarray(images, dtype=np.uint8)  # (P, 28, 28), or none
        self.timeline = Timeline()
        self._labels: np.ndarray | None = None

    def due(self, step: int) -> bool:
        return step % self.every == 0

    def __call__(self, step: int, features, labels, centers, *, logits=None, classifier_weight=None,
                 loss_softmax: float = NAN, loss_center: float = NAN, lr: float = NAN) -> None:
        """Keep one frame. Without logits the predictions are the nearest centers; without the classifier's
        weight the drawn class directions are the centers'."""
        features, labels, centers = _array(features), _array(labels).astype(np.int64), _array(centers)
        self._check(features, labels, centers)
        to_centers = np.linalg.norm(features[:, None, :] - centers[None, :, :], axis=2)
        logits = -to_centers if logits is None else _array(logits)
        weight = centers if classifier_weight is None else _array(classifier_weight)
        known = math.isfinite(loss_softmax) or math.isfinite(loss_center)
        with np.errstate(invalid="ignore", divide="ignore"):
            metrics = feature_metrics(features, labels, centers, logits)
        snapshot = Snapshot(
            step=step, epoch=NAN, lam=self.lam, alpha=self.alpha, lr=lr, loss_softmax=loss_softmax,
            loss_center=loss_center, loss_total=loss_softmax + self.lam * loss_center, batch_accuracy=NAN,
            features=frozen(features), labels=frozen(labels), predictions=frozen(logits.argmax(axis=1)),
            centers=frozen(centers), classifier_weight=frozen(weight), classifier_bias=None, metrics=metrics,
            losses_known=known)
        self.timeline.append(Frame(snapshot, None))

    def save(self) -> Path:
        """Write the recording atomically; return its path."""
        frames = list(self.timeline)
        if not frames:
            raise ClVizError("there is nothing to record yet: call the watch at least once")
        first = frames[0].primary
        config = TrainConfig(lam=self.lam, alpha=self.alpha, feat_dim=first.features.shape[1],
                             batch_size=self.batch_size)
        info = RunInfo(config=config, compare=False, dataset_name=self.dataset_name, dataset_source="your loop",
                       class_names=self.class_names, device="your loop", train_size=None,
                       probe_size=len(first.labels), batch_size=self.batch_size, steps_per_epoch=None,
                       probe_images=self.images)
        return save_recording(self.path, Recording(frames, info))

    def _check(self, features: np.ndarray, labels: np.ndarray, centers: np.ndarray) -> None:
        if features.ndim != 2 or features.shape[1] not in (2, 3):
            raise ClVizError(f"features must be (points, 2) or (points, 3), got {features.shape}")
        if centers.shape != (len(self.class_names), features.shape[1]):
            raise ClVizError(f"centers must be ({len(self.class_names)}, {features.shape[1]}), got {centers.shape}")
        if labels.shape != (len(features),) or labels.min() < 0 or labels.max() >= len(self.class_names):
            raise ClVizError(f"labels must be {len(features)} class ids below {len(self.class_names)}")
        if self._labels is None:
            self._labels = labels
        elif not np.array_equal(labels, self._labels):
            raise ClVizError("the watched points changed: pass the same points, in the same order, every time")
        if self.images is not None and len(self.images) != len(labels):
            raise ClVizError(f"{len(self.images)} images for {len(labels)} points")


def _array(value) -> np.ndarray:
    if hasattr(value, "detach"):  # a torch tensor
        value = value.detach().float().cpu().numpy() if value.is_floating_point() else value.detach().cpu().numpy()
    return np.asarray(value)
