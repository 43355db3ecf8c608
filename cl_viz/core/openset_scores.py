"""Open-set scores: how known a feature looks (higher: more likely a known class) and the class it would
be given, from a snapshot's features, centers and classifier in numpy (no torch, no stored logits).

  max_softmax      log of the largest softmax probability of the head's logits (the probability's order,
                   without its rounding to 1 for the far-out features of a 2-D softmax)
  max_logit        the largest logit
  center_distance  −‖x − c_j‖ to the nearest center (Euclidean); class: that center's
  center_cosine    cos(x, c_j) of the best-aligned center; class: that center's
  weight_angle     −θ_j to the nearest class direction W_j, in radians (the angular heads)
The logits are those the head classifies with, margin-free: W·x + b (softmax), s·cos θ_j (normface,
cosface, arcface), ‖x‖·cos θ_j (sphereface). The logit scores and weight_angle classify by the
largest logit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cl_viz.core.errors import ClVizError
from cl_viz.core.margins import ANGULAR_HEADS
from cl_viz.core.snapshot import Snapshot

SCORES = ("max_softmax", "max_logit", "center_distance", "center_cosine", "weight_angle")
SCORE_TITLES = {
    "max_softmax": "max softmax probability (log)",
    "max_logit": "max logit",
    "center_distance": "−distance to the nearest center",
    "center_cosine": "cosine to the nearest center",
    "weight_angle": "−angle to the nearest W_j (rad)",
}
_TINY = 1e-12  # the norm of a zero vector, so that its cosines are 0 rather than NaN


@dataclass(frozen=True, eq=False)
class Scored:
    scores: np.ndarray  # (N,) higher: more likely known
    predictions: np.ndarray  # (N,) the known class (0..K-1) each would be given


@dataclass(frozen=True)
class OperatingPoint:
    threshold: float
    ccr: float  # fraction of the knowns accepted (score ≥ threshold) and classified correctly
    fpr: float  # fraction of the unknowns accepted


def available_scores(head: str) -> tuple[str, ...]:
    return SCORES if head in ANGULAR_HEADS else SCORES[:-1]


def head_logits(features: np.ndarray, snapshot: Snapshot) -> np.ndarray:
    """(N, K) logits of `features` with the snapshot's classifier, as the session's model gives them."""
    features = np.asarray(features, dtype=np.float64)
    weight = np.asarray(snapshot.classifier_weight, dtype=np.float64)
    if snapshot.head == "softmax":
        bias = 0.0 if snapshot.classifier_bias is None else snapshot.classifier_bias
        return features @ weight.T + bias
    cosines = _unit(features) @ _unit(weight).T
    magnitude = np.linalg.norm(features, axis=1, keepdims=True) if snapshot.head == "sphereface" else snapshot.scale
    return magnitude * cosines


def open_set_score(name: str, features: np.ndarray, snapshot: Snapshot) -> Scored:
    if name not in available_scores(snapshot.head):
        raise ClVizError(f"unknown open-set score {name!r} for the {snapshot.head} head; "
                         f"choose one of: {', '.join(available_scores(snapshot.head))}")
    features = np.asarray(features, dtype=np.float64)
    if name in ("center_distance", "center_cosine"):
        centers = np.asarray(snapshot.centers, dtype=np.float64)
        if name == "center_cosine":
            return _best(_unit(features) @ _unit(centers).T)
        distances = np.linalg.norm(features[:, None, :] - centers[None, :, :], axis=2)
        return _best(-distances)
    logits = head_logits(features, snapshot)
    predictions = logits.argmax(axis=1)
    if name == "max_logit":
        return Scored(logits.max(axis=1), predictions)
    if name == "weight_angle":
        cosines = _unit(features) @ _unit(np.asarray(snapshot.classifier_weight, dtype=np.float64)).T
        return Scored(-np.arccos(np.clip(cosines.max(axis=1), -1.0, 1.0)), predictions)
    return Scored(-_log_sum_exp(logits - logits.max(axis=1, keepdims=True)), predictions)


def snapshot_scores(name: str, snapshot: Snapshot) -> tuple[Scored, Scored]:
    """The score of the known probe points and of the unknown ones; ClVizError if the run has no unknowns."""
    if snapshot.unknown_features is None or len(snapshot.unknown_features) == 0:
        raise ClVizError("this run holds no classes out: set unknown classes or an unknowns' dataset")
    return open_set_score(name, snapshot.features, snapshot), open_set_score(name, snapshot.unknown_features, snapshot)


def operating_point(known: Scored, known_labels: np.ndarray, unknown_scores: np.ndarray,
                    threshold: float) -> OperatingPoint:
    """The correct-classification and false-positive rates of accepting every score ≥ `threshold`."""
    accepted = known.scores >= threshold
    correct = known.predictions == np.asarray(known_labels)
    return OperatingPoint(float(threshold), float(np.mean(accepted & correct)),
                          float(np.mean(np.asarray(unknown_scores) >= threshold)))


def threshold_for_share(known_scores: np.ndarray, share: float) -> float:
    """The threshold that accepts `share` (0..1] of the known probe points: the ⌈share·N⌉-th largest score."""
    ordered = np.sort(np.asarray(known_scores, dtype=np.float64))[::-1]
    if len(ordered) == 0:
        raise ClVizError("a threshold needs known probe points")
    count = min(len(ordered), max(1, int(np.ceil(share * len(ordered) - 1e-9))))
    return float(ordered[count - 1])


def _best(similarities: np.ndarray) -> Scored:
    return Scored(similarities.max(axis=1), similarities.argmax(axis=1))


def _unit(vectors: np.ndarray) -> np.ndarray:
    return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), _TINY)


def _log_sum_exp(shifted: np.ndarray) -> np.ndarray:
    """log Σ_j exp(l_j − max l) = −log p_max: 1 for the largest logit, log1p of the others' sum."""
    terms = np.exp(shifted)
    terms[np.arange(len(terms)), shifted.argmax(axis=1)] = 0.0
    return np.log1p(terms.sum(axis=1))
