"""A snapshot's open-set and verification figures as one flat record (a row of metrics.json's history):
auroc_SCORE and ccr_at_fpr_0.01_SCORE for each score of its head, eer_DISTANCE and
tar_at_far_0.01_DISTANCE, tar_at_far_0.001_DISTANCE for each distance. NaN where a figure is undefined
(verification with a single unknown class)."""

from __future__ import annotations

import math

from cl_viz.core.errors import ClVizError
from cl_viz.core.openset_metrics import FPR_TARGET, open_set_curves
from cl_viz.core.snapshot import Snapshot
from cl_viz.core.verification import verify
from cl_viz.core.verification_pairs import DISTANCES, FAR_TARGETS, Pairs, verification_pairs


def open_set_record(snapshot: Snapshot, pairs: Pairs | None = None) -> dict[str, float]:
    """Empty when the run holds no class out; `pairs` default to verification_pairs of its unknown labels."""
    if snapshot.unknown_features is None:
        return {}
    record = {}
    for name, curve in open_set_curves(snapshot).items():
        record[f"auroc_{name}"] = curve.auroc
        record[f"ccr_at_fpr_{FPR_TARGET:g}_{name}"] = curve.ccr_at_fpr
    pairs = verification_pairs(snapshot.unknown_labels) if pairs is None else pairs
    for distance in DISTANCES:
        try:
            curve = verify(snapshot.unknown_features, pairs, distance)
            figures = {"eer": curve.eer, **{f"tar_at_far_{far:g}": curve.tar_at_far[far] for far in FAR_TARGETS}}
        except ClVizError:
            figures = dict.fromkeys(["eer", *(f"tar_at_far_{far:g}" for far in FAR_TARGETS)], math.nan)
        record.update({f"{key}_{distance}": value for key, value in figures.items()})
    return record
