"""Angular geometry of the feature space: what the normalised (NormFace, CosFace, ArcFace, SphereFace) heads shape.

Angles are in radians. Zero-length features have no direction and are left out; a class none of whose
features has a direction is left out as absent. Fewer than two classes left: no value (NaN).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from cl_viz.core.projection import unit_rows

NO_VALUE = math.nan
TINY = 1e-12  # a mean of unit vectors shorter than this has no direction worth the name


@dataclass(frozen=True)
class AngularMetrics:
    angular_ratio: float = NO_VALUE  # mean angle to the own class direction / mean angle between class directions
    angular_fisher: float = NO_VALUE  # SphereFace's Angular Fisher Score: lower is more discriminative
    min_angular_gap: float = NO_VALUE  # smallest angle between two class directions


def angular_metrics(features: np.ndarray, labels: np.ndarray) -> AngularMetrics:
    features = np.asarray(features, dtype=np.float64)
    if features.ndim != 2 or not np.isfinite(features).all():
        return AngularMetrics()
    scaled, units, kept = _directions(features)
    labels = np.asarray(labels)[kept]
    means, class_of, counts = class_means(units, labels)
    directions, has_direction = unit_rows(means)
    has_direction &= np.linalg.norm(means, axis=1) > TINY
    gaps = pairwise_angles(directions[has_direction])
    return AngularMetrics(
        angular_ratio=_angular_ratio(units, class_of, directions, has_direction, gaps),
        angular_fisher=_fisher_score(scaled, units, labels),
        min_angular_gap=float(gaps.min()) if gaps.size else NO_VALUE,
    )


def angular_fisher_score(features: np.ndarray, labels: np.ndarray) -> float:
    """AFS = S_w / S_b, Liu et al., "SphereFace", CVPR 2017, appendix E (eq. 11; the appendix that
    github.com/wy1iu/sphereface's README points to for evaluating angular margins):
    S_w = Σ_i Σ_{x_j ∈ X_i} (1 − cos⟨x_j, m_i⟩), S_b = Σ_i n_i (1 − cos⟨m_i, m⟩), with m_i the mean
    feature of class i (the features as they are, not normalised: the paper's definition), m the mean
    of all features and n_i the size of class i.

    Zero features are left out. A zero mean (a class, or the whole set, symmetric about the origin) is
    taken as orthogonal to everything (cos 0). Fewer than two classes: NaN."""
    features = np.asarray(features, dtype=np.float64)
    if features.ndim != 2 or not np.isfinite(features).all():
        return NO_VALUE
    scaled, units, kept = _directions(features)
    return _fisher_score(scaled, units, np.asarray(labels)[kept])


def class_means(points: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The mean point of each class present in `labels`, each row's index into them, and their sizes."""
    _, class_of, counts = np.unique(labels, return_inverse=True, return_counts=True)
    class_of = class_of.reshape(-1)
    sums = [np.bincount(class_of, weights=column, minlength=len(counts)) for column in points.T]
    return np.stack(sums, axis=1) / counts[:, None], class_of, counts


def angle_between(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Angles between rows of unit vectors: 2·atan2(‖a − b‖, ‖a + b‖), exact near 0 and π, unlike arccos."""
    return 2 * np.arctan2(_row_norms(a - b), _row_norms(a + b))


def pairwise_angles(directions: np.ndarray) -> np.ndarray:
    first, second = np.triu_indices(len(directions), k=1)
    return angle_between(directions[first], directions[second])


def _directions(features: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(features with a direction, divided by the largest entry of all; those scaled to length 1; which rows).

    One common scale keeps the sums finite and changes no angle; a row 1e154 times shorter than the
    longest one counts as zero."""
    largest = np.abs(features).max(initial=0.0)
    scaled = features / largest if largest > 0 else features
    norms = _row_norms(scaled)
    kept = norms > 0
    return scaled[kept], scaled[kept] / norms[kept, None], kept


def _row_norms(rows: np.ndarray) -> np.ndarray:
    return np.sqrt(np.einsum("ij,ij->i", rows, rows))


def _angular_ratio(units: np.ndarray, class_of: np.ndarray, directions: np.ndarray, has_direction: np.ndarray,
                   gaps: np.ndarray) -> float:
    if not gaps.size:
        return NO_VALUE
    counted = has_direction[class_of]
    intra = float(angle_between(units[counted], directions[class_of[counted]]).mean())
    inter = float(gaps.mean())
    return intra / inter if inter > 0 else math.inf


def _fisher_score(scaled: np.ndarray, units: np.ndarray, labels: np.ndarray) -> float:
    """AFS of features (`scaled`, none zero, with their `units`)."""
    means, class_of, counts = class_means(scaled, labels)
    if len(counts) < 2:
        return NO_VALUE
    mean_units, has_direction = unit_rows(means)
    overall, overall_has_direction = unit_rows(scaled.mean(axis=0, keepdims=True))
    within = np.where(has_direction[class_of], _row_norms(units - mean_units[class_of]) ** 2 / 2, 1.0).sum()
    between = np.where(has_direction & overall_has_direction, _row_norms(mean_units - overall) ** 2 / 2, 1.0)
    within, between = float(within), float((counts * between).sum())
    if between > 0:
        return within / between
    return math.inf if within > 0 else NO_VALUE
