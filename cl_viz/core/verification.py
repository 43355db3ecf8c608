"""Verification on classes never trained on (the paper's LFW setting): the ROC of a distance threshold
over genuine and impostor pairs (cl_viz.core.verification_pairs), with scikit-learn's roc_curve.

A pair is called "same class" when its distance is at most the threshold: Euclidean ‖a − b‖ or cosine
1 − cos(a, b). TAR (true accept rate) against FAR (false accept rate) is the ROC. The EER is where the
ROC, linearly interpolated between its points, has FAR = 1 − TAR. TAR at a FAR is the highest TAR of a
threshold whose FAR is at most that, without interpolation (with N impostor pairs FAR moves in steps of
1/N: 3,000 pairs resolve 10⁻³ by 3 pairs).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.metrics import roc_curve

from cl_viz.core.errors import ClVizError
from cl_viz.core.verification_pairs import FAR_TARGETS, Pairs, pair_distances


@dataclass(frozen=True, eq=False)
class VerificationCurve:
    distance: str
    far: np.ndarray  # the ROC, FAR ascending
    tar: np.ndarray
    thresholds: np.ndarray  # distances: a pair at most this far apart is accepted
    eer: float
    tar_at_far: dict[float, float]  # FAR_TARGETS -> TAR


def verification_curve(distances: np.ndarray, genuine: np.ndarray, distance: str = "") -> VerificationCurve:
    distances, genuine = np.asarray(distances, dtype=np.float64), np.asarray(genuine, bool)
    if genuine.all() or not genuine.any():
        raise ClVizError("verification needs genuine and impostor pairs: at least two unknown classes, "
                         "one of them with two images")
    if not np.isfinite(distances).all():
        raise ClVizError(f"the {distance or 'pair'} distances are not all finite")
    far, tar, thresholds = roc_curve(genuine, -distances)
    return VerificationCurve(distance, far, tar, -thresholds, equal_error_rate(far, tar),
                             {target: float(tar[far <= target].max()) for target in FAR_TARGETS})


def verify(features: np.ndarray, pairs: Pairs, distance: str) -> VerificationCurve:
    return verification_curve(pair_distances(features, pairs, distance), pairs.genuine, distance)


def equal_error_rate(far: np.ndarray, tar: np.ndarray) -> float:
    """Where FAR = FRR (1 − TAR) on the ROC, linearly interpolated between the points around the crossing."""
    gap = (1.0 - tar) - far  # falls from 1 at (0, 0) to −1 at (1, 1)
    after = int(np.argmax(gap <= 0))
    if after == 0:
        return float(far[0])
    before = after - 1
    share = gap[before] / (gap[before] - gap[after])
    return float(far[before] + share * (far[after] - far[before]))
