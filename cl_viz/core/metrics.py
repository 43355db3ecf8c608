"""Geometry of the feature space: how separable and how compact the classes are."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from cl_viz.core.angles import angular_metrics


@dataclass(frozen=True)
class FeatureMetrics:
    probe_accuracy: float  # argmax of the classifier
    nearest_center_accuracy: float  # label of the closest center, no classifier
    intra: float  # mean ‖x − c_y‖
    inter: float  # mean distance between pairs of centers
    ratio: float  # intra / inter: lower is more discriminative
    feature_norm: float  # mean ‖x‖
    # cl_viz.core.angles, in radians; NaN where not measured (recordings made before they were)
    angular_ratio: float = math.nan  # mean angle to the class direction / mean angle between class directions
    angular_fisher: float = math.nan  # SphereFace's Angular Fisher Score: lower is more discriminative
    min_angular_gap: float = math.nan  # smallest angle between two class directions

    def to_dict(self) -> dict[str, float]:
        return asdict(self)


def feature_metrics(features: np.ndarray, labels: np.ndarray, centers: np.ndarray,
                    logits: np.ndarray) -> FeatureMetrics:
    features = np.asarray(features, dtype=np.float64)
    centers = np.asarray(centers, dtype=np.float64)
    labels = np.asarray(labels)
    to_centers = np.linalg.norm(features[:, None, :] - centers[None, :, :], axis=2)
    intra = float(to_centers[np.arange(len(labels)), labels].mean())
    inter = mean_pairwise_distance(centers)
    return FeatureMetrics(
        probe_accuracy=float((np.argmax(logits, axis=1) == labels).mean()),
        nearest_center_accuracy=float((np.argmin(to_centers, axis=1) == labels).mean()),
        intra=intra,
        inter=inter,
        ratio=intra / inter if inter > 0 else float("inf"),
        feature_norm=float(np.linalg.norm(features, axis=1).mean()),
        **asdict(angular_metrics(features, labels)),
    )


def mean_pairwise_distance(points: np.ndarray) -> float:
    if len(points) < 2:
        return 0.0
    distances = np.linalg.norm(points[:, None, :] - points[None, :, :], axis=2)
    return float(distances[np.triu_indices(len(points), k=1)].mean())
