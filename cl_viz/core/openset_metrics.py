"""How well an open-set score tells the known probe points from the unknown ones: AUROC and the OSCR
curve, with scikit-learn's roc_auc_score and roc_curve.

OSCR (Dhamija et al. 2018, Chen et al. 2021): over thresholds t, the correct-classification rate
CCR(t) = #{known: score ≥ t and classified correctly} / #known against the false-positive rate
FPR(t) = #{unknown: score ≥ t} / #unknown. Knowns that are misclassified move neither, so the curve is
roc_curve's of correct knowns against unknowns, its true-positive rate scaled by #correct / #known.
CCR at FPR 10⁻² is the highest CCR of a threshold whose FPR is at most 10⁻², without interpolation:
with U unknowns FPR moves in steps of 1/U, and no threshold is credited with a point it does not reach.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.metrics import roc_auc_score, roc_curve

from cl_viz.core.errors import ClVizError
from cl_viz.core.openset_scores import Scored, available_scores, snapshot_scores
from cl_viz.core.snapshot import Snapshot

FPR_TARGET = 1e-2


@dataclass(frozen=True, eq=False)
class OpenSetCurve:
    score: str
    auroc: float  # knowns (right or wrong) against unknowns
    fpr: np.ndarray  # the OSCR curve, FPR ascending
    ccr: np.ndarray
    thresholds: np.ndarray  # accept score ≥ threshold; the first is +inf (nothing accepted)
    ccr_at_fpr: float  # at FPR_TARGET


def oscr(known: Scored, known_labels: np.ndarray, unknown_scores: np.ndarray, score: str = "") -> OpenSetCurve:
    known_scores, unknown_scores = np.asarray(known.scores), np.asarray(unknown_scores)
    if len(known_scores) == 0 or len(unknown_scores) == 0:
        raise ClVizError("AUROC and OSCR need known and unknown probe points")
    if not (np.isfinite(known_scores).all() and np.isfinite(unknown_scores).all()):
        raise ClVizError(f"the {score or 'open-set'} scores are not all finite")
    is_known = np.r_[np.ones(len(known_scores), bool), np.zeros(len(unknown_scores), bool)]
    auroc = float(roc_auc_score(is_known, np.r_[known_scores, unknown_scores]))
    correct = known_scores[known.predictions == np.asarray(known_labels)]
    if len(correct) == 0:  # nothing is ever classified correctly: CCR is 0 at every threshold
        fpr, ccr, thresholds = np.array([0.0, 1.0]), np.zeros(2), np.array([np.inf, unknown_scores.min()])
    else:
        labels = np.r_[np.ones(len(correct), bool), np.zeros(len(unknown_scores), bool)]
        fpr, tpr, thresholds = roc_curve(labels, np.r_[correct, unknown_scores])
        ccr = tpr * len(correct) / len(known_scores)
    return OpenSetCurve(score, auroc, fpr, ccr, thresholds, float(ccr[fpr <= FPR_TARGET].max()))


def open_set_curves(snapshot: Snapshot, scores: tuple[str, ...] | None = None) -> dict[str, OpenSetCurve]:
    """The OSCR curve and AUROC of each score (default: every score the snapshot's head has)."""
    curves = {}
    for name in scores or available_scores(snapshot.head):
        known, unknown = snapshot_scores(name, snapshot)
        curves[name] = oscr(known, snapshot.labels, unknown.scores, name)
    return curves
