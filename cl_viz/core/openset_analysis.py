"""One run's open-set and verification figures at one snapshot, as the live view shows them: the AUROC of
every score, the OSCR curve of the chosen score with the scores themselves (so a threshold can move without
a new analysis), and the verification ROC of the chosen distance with every pair's distance (the pair
inspector's threshold). scikit-learn computes the curves (cl_viz.core.openset_metrics, .verification).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cl_viz.core.errors import ClVizError
from cl_viz.core.openset_metrics import OpenSetCurve, oscr
from cl_viz.core.openset_scores import Scored, available_scores, snapshot_scores
from cl_viz.core.snapshot import Snapshot
from cl_viz.core.verification import VerificationCurve, verification_curve
from cl_viz.core.verification_pairs import Pairs, pair_distances


@dataclass(frozen=True, eq=False)
class RunAnalysis:
    step: int
    score: str
    distance: str
    aurocs: dict[str, float]  # every score of the run's head
    curve: OpenSetCurve  # of `score`
    known: Scored  # `score` of the known probe points
    known_labels: np.ndarray
    unknown_scores: np.ndarray
    verification: VerificationCurve | None  # None where there are no genuine or no impostor pairs
    verification_problem: str = ""  # why `verification` is None


def analyse_run(snapshot: Snapshot, score: str, distance: str, pairs: Pairs) -> RunAnalysis:
    """ClVizError when the run holds no unknowns or its scores are not finite."""
    aurocs, chosen = {}, None
    for name in available_scores(snapshot.head):
        known, unknown = snapshot_scores(name, snapshot)
        curve = oscr(known, snapshot.labels, unknown.scores, name)
        aurocs[name] = curve.auroc
        if name == score:
            chosen = (curve, known, unknown.scores)
    if chosen is None:
        raise ClVizError(f"the {snapshot.head} head has no {score!r} score; "
                         f"choose one of: {', '.join(available_scores(snapshot.head))}")
    try:
        verification = verification_curve(pair_distances(snapshot.unknown_features, pairs, distance),
                                          pairs.genuine, distance)
        problem = ""
    except ClVizError as error:
        verification, problem = None, str(error)
    curve, known, unknown_scores = chosen
    return RunAnalysis(snapshot.step, score, distance, aurocs, curve, known, np.asarray(snapshot.labels),
                       unknown_scores, verification, problem)

