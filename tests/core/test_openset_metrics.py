import dataclasses
import math

import numpy as np
import pytest
from scipy.special import log_softmax

from cl_viz.core.errors import ClVizError
from cl_viz.core.margins import HEADS
from cl_viz.core.metrics import FeatureMetrics
from cl_viz.core.openset_analysis import analyse_run
from cl_viz.core.openset_metrics import open_set_curves, oscr
from cl_viz.core.openset_report import open_set_record
from cl_viz.core.openset_scores import (
    SCORES,
    Scored,
    available_scores,
    head_logits,
    open_set_score,
    operating_point,
    threshold_for_share,
)
from cl_viz.core.runs import for_head
from cl_viz.core.session import TrainingSession
from cl_viz.core.snapshot import Snapshot
from cl_viz.core.verification import equal_error_rate, verification_curve, verify
from cl_viz.core.verification_pairs import verification_pairs

METRICS = FeatureMetrics(*([0.0] * 6))


def snapshot(features, centers, weight, unknown=None, head="softmax", labels=None, bias=None, scale=10.0):
    features = np.asarray(features, float)
    labels = np.zeros(len(features), int) if labels is None else np.asarray(labels)
    return Snapshot(step=0, epoch=0.0, lam=0.0, alpha=0.5, lr=0.1, loss_softmax=0.0, loss_center=0.0,
                    loss_total=0.0, batch_accuracy=0.0, features=features, labels=labels,
                    predictions=labels, centers=np.asarray(centers, float), classifier_weight=np.asarray(weight, float),
                    classifier_bias=bias, metrics=METRICS, head=head, scale=scale,
                    unknown_features=None if unknown is None else np.asarray(unknown, float),
                    unknown_labels=None if unknown is None else np.arange(len(unknown)) % 2 + 10)


def scored(scores, predictions=None):
    scores = np.asarray(scores, float)
    return Scored(scores, np.zeros(len(scores), int) if predictions is None else np.asarray(predictions))


def test_auroc_is_one_when_every_known_scores_above_every_unknown_and_half_when_interleaved():
    labels = np.zeros(4, int)
    assert oscr(scored([5, 6, 7, 8]), labels, np.array([1, 2, 3, 4.0])).auroc == 1.0
    assert oscr(scored([1, 4, 5, 8]), labels, np.array([2, 3, 6, 7.0])).auroc == 0.5  # 0 + 2 + 2 + 4 of 16 pairs
    assert oscr(scored([1, 2]), labels[:2], np.array([3, 4.0])).auroc == 0.0


def test_auroc_by_hand_counts_the_ordered_pairs_and_half_the_ties():
    # known 1, 3, 3 against unknown 2, 3: pairs in order (3>2, 3>2), ties (3=3, 3=3) count half, 1 < both
    assert oscr(scored([1, 3, 3]), np.zeros(3, int), np.array([2, 3.0])).auroc == pytest.approx(3 / 6)


def test_oscr_counts_only_correct_knowns_and_reads_ccr_at_one_percent_without_interpolation():
    known = scored([0.9, 0.8, 0.7, 0.6], predictions=[0, 1, 0, 0])  # the second known is misclassified
    curve = oscr(known, np.zeros(4, int), np.r_[np.linspace(0.0, 0.5, 99), 0.65])  # 100 unknowns, the top at 0.65
    assert curve.ccr[-1] == 0.75 and curve.fpr[-1] == 1.0
    assert curve.ccr_at_fpr == 0.75  # t = 0.6 accepts 3 correct knowns and 1 unknown of 100: FPR 0.01
    tighter = oscr(known, np.zeros(4, int), np.r_[np.linspace(0.0, 0.5, 98), 0.65, 0.75])
    assert tighter.ccr_at_fpr == 0.5  # at FPR 0.01 (t = 0.75): 0.9 and 0.7 accepted; 0.6 costs FPR 0.02
    point = operating_point(known, np.zeros(4, int), np.r_[np.linspace(0.0, 0.5, 98), 0.65, 0.75], 0.65)
    assert (point.ccr, point.fpr) == (0.5, 0.02)


def test_oscr_when_nothing_is_classified_correctly():
    curve = oscr(scored([1.0, 2.0], predictions=[1, 1]), np.zeros(2, int), np.array([0.5]))
    assert curve.ccr_at_fpr == 0.0 and curve.auroc == 1.0


def test_open_set_metrics_refuse_what_they_cannot_measure():
    with pytest.raises(ClVizError, match="known and unknown"):
        oscr(scored([1.0]), np.zeros(1, int), np.array([]))
    with pytest.raises(ClVizError, match="not all finite"):
        oscr(scored([np.nan]), np.zeros(1, int), np.array([1.0]))
    with pytest.raises(ClVizError, match="holds no classes out"):
        open_set_curves(snapshot([[1, 0]], [[1, 0]], [[1, 0]]))
    with pytest.raises(ClVizError, match="unknown open-set score 'weight_angle' for the softmax head"):
        open_set_score("weight_angle", np.zeros((1, 2)), snapshot([[1, 0]], [[1, 0]], [[1, 0]]))


def test_the_scores_on_a_drawn_example():
    centers = [[2.0, 0.0], [0.0, 2.0]]
    weight = [[1.0, 0.0], [0.0, 1.0]]
    state = snapshot([[2.0, 0.0]], centers, weight, unknown=[[0.5, 0.5], [-3.0, 0.0]])
    points = np.array([[2.0, 0.0], [0.5, 0.5], [-3.0, 0.0]])
    distance = open_set_score("center_distance", points, state)
    np.testing.assert_allclose(distance.scores, [0.0, -math.hypot(1.5, 0.5), -math.hypot(3.0, 2.0)])
    cosine = open_set_score("center_cosine", points, state)
    np.testing.assert_allclose(cosine.scores, [1.0, math.sqrt(0.5), 0.0], atol=1e-12)
    assert cosine.predictions[0] == 0 and distance.predictions[0] == 0
    np.testing.assert_allclose(open_set_score("max_logit", points, state).scores, [2.0, 0.5, 0.0])
    np.testing.assert_allclose(open_set_score("max_softmax", points, state).scores,
                               log_softmax(points @ np.array(weight).T, axis=1).max(axis=1))
    angular = snapshot([[2.0, 0.0]], centers, weight, head="arcface")
    np.testing.assert_allclose(open_set_score("weight_angle", points, angular).scores,
                               [0.0, -math.pi / 4, -math.pi / 2])


def test_the_log_softmax_score_keeps_its_order_where_the_probability_rounds_to_one():
    state = snapshot([[1.0, 0.0]], [[1, 0], [0, 1]], [[1.0, 0.0], [0.0, 1.0]])
    scores = open_set_score("max_softmax", np.array([[60.0, 0.0], [80.0, 0.0]]), state).scores
    assert np.exp(scores).tolist() == [1.0, 1.0] and scores[0] < scores[1] < 0


@pytest.mark.parametrize("head", HEADS)
def test_the_logits_from_a_snapshot_are_the_models(small_config, digits, head):
    session = TrainingSession(for_head(small_config, head).replace(bias=head == "softmax" or None), digits)
    for _ in range(3):
        session.train_step()
    state = session.snapshot()
    _, logits = session.embed(session.probe_images)
    np.testing.assert_allclose(head_logits(state.features, state), logits.double().numpy(), rtol=1e-4, atol=1e-4)
    assert set(available_scores(head)) == (set(SCORES) if head != "softmax" else set(SCORES) - {"weight_angle"})


def test_eer_and_tar_on_distances_computed_by_hand():
    # accept a pair when its distance ≤ t; genuine 0, 1, 2, 3 and impostor 2, 4, 5, 6:
    # at t = 2, FRR = 1/4 (3 rejected) and FAR = 1/4 (the impostor at 2 accepted): EER 0.25
    genuine = np.r_[np.ones(4, bool), np.zeros(4, bool)]
    curve = verification_curve(np.array([0, 1, 2, 3, 2, 4, 5, 6.0]), genuine)
    assert curve.eer == pytest.approx(0.25)
    assert curve.tar_at_far == {1e-2: 0.5, 1e-3: 0.5}  # FAR 0 up to t = 1
    assert verification_curve(np.array([0, 1, 2, 3, 4, 5, 6, 7.0]), genuine).eer == 0.0
    assert verification_curve(np.array([4, 5, 6, 7, 0, 1, 2, 3.0]), genuine).eer == 1.0


def test_eer_interpolates_between_the_points_around_the_crossing():
    far, tar = np.array([0.0, 0.0, 0.5, 1.0]), np.array([0.0, 0.6, 0.8, 1.0])
    # FRR − FAR: 1, 0.4, −0.3: crossing 4/7 of the way from (0, 0.6) to (0.5, 0.8)
    assert equal_error_rate(far, tar) == pytest.approx(0.5 * 4 / 7)


def test_verification_with_distances_on_a_synthetic_embedding():
    generator = np.random.default_rng(1)
    labels = np.repeat(np.arange(4), 30)
    directions = np.array([[1, 0], [0, 1], [-1, 0], [0, -1.0]])
    features = directions[labels] * generator.uniform(1, 5, (len(labels), 1)) + generator.normal(0, 0.05, (120, 2))
    pairs = verification_pairs(labels)
    assert verify(features, pairs, "cosine").eer == 0.0  # the classes are apart by angle alone
    assert verify(features, pairs, "euclidean").eer > 0.05  # but not by distance: the norms spread
    with pytest.raises(ClVizError, match="unknown distance"):
        verify(features, pairs, "manhattan")


def test_verification_needs_both_kinds_of_pairs():
    with pytest.raises(ClVizError, match="genuine and impostor"):
        verify(np.zeros((3, 2)), verification_pairs(np.zeros(3, int)), "euclidean")


def test_small_probes_give_every_pair():
    labels = np.array([0, 0, 0, 1, 1, 2])
    pairs = verification_pairs(labels)
    assert len(pairs) == 15 and pairs.genuine.sum() == 4  # 3 + 1 genuine, 11 impostor
    assert {(a, b) for a, b in zip(pairs.first, pairs.second)} == {(a, b) for a in range(6) for b in range(a + 1, 6)}
    assert (pairs.genuine == (labels[pairs.first] == labels[pairs.second])).all()


def test_large_probes_give_a_fixed_stratified_sample_one_to_one():
    labels = np.repeat([5, 6, 7, 8], [100, 100, 100, 200])
    pairs = verification_pairs(labels)
    assert pairs.genuine.sum() == 3000 and (~pairs.genuine).sum() == 3000
    assert (pairs.genuine == (labels[pairs.first] == labels[pairs.second])).all()
    assert (pairs.first != pairs.second).all()
    assert len({(a, b) for a, b in zip(pairs.first, pairs.second)}) == 6000
    # class 8 has 19,900 of the 34,750 genuine pairs: its share of 3,000 is 1,718
    assert (labels[pairs.first[pairs.genuine]] == 8).sum() == 1718
    again = verification_pairs(labels)
    assert np.array_equal(again.first, pairs.first) and np.array_equal(again.second, pairs.second)
    assert not np.array_equal(verification_pairs(labels, seed=1).first, pairs.first)


def test_the_record_of_an_open_set_run(small_config, digits):
    session = TrainingSession(small_config.replace(unknown_classes=(6, 7, 8, 9)), digits)
    for _ in range(5):
        session.train_step()
    record = open_set_record(session.snapshot())
    assert set(record) == {*(f"auroc_{s}" for s in SCORES[:-1]), *(f"ccr_at_fpr_0.01_{s}" for s in SCORES[:-1]),
                           *(f"{k}_{d}" for k in ("eer", "tar_at_far_0.01", "tar_at_far_0.001")
                             for d in ("euclidean", "cosine"))}
    assert all(0.0 <= value <= 1.0 for value in record.values())
    assert open_set_record(TrainingSession(small_config, digits).snapshot()) == {}


def test_a_single_unknown_class_has_no_verification_figures(small_config, digits):
    record = open_set_record(TrainingSession(small_config.replace(unknown_classes=(9,)), digits).snapshot())
    assert math.isnan(record["eer_euclidean"]) and 0 <= record["auroc_max_logit"] <= 1



# ----- the live view's analysis (cl_viz.core.openset_analysis) and threshold --------------------------
def test_the_live_analysis_on_a_synthetic_embedding_separates_far_unknowns_perfectly():
    centers = np.array([[10.0, 0.0], [-10.0, 0.0]])
    rng = np.random.default_rng(0)
    known = np.r_[centers[0] + rng.normal(0, 0.5, (20, 2)), centers[1] + rng.normal(0, 0.5, (20, 2))]
    unknown = np.r_[np.array([0.0, 30.0]) + rng.normal(0, 0.5, (10, 2)),
                    np.array([0.0, -30.0]) + rng.normal(0, 0.5, (10, 2))]
    snap = snapshot(known, centers, np.eye(2), unknown=unknown, labels=np.repeat([0, 1], 20))
    snap = dataclasses.replace(snap, unknown_labels=np.repeat([6, 7], 10))
    analysis = analyse_run(snap, "center_distance", "euclidean", verification_pairs(snap.unknown_labels))
    assert analysis.aurocs["center_distance"] == 1.0 and analysis.curve.ccr_at_fpr == 1.0
    assert analysis.verification.eer == 0.0  # the two unknown classes are 60 apart, each within ~2
    assert set(analysis.aurocs) == set(available_scores("softmax"))
    with pytest.raises(ClVizError, match="no 'weight_angle' score"):
        analyse_run(snap, "weight_angle", "euclidean", verification_pairs(snap.unknown_labels))


def test_the_threshold_for_a_share_accepts_that_share_of_the_knowns():
    scores = np.arange(100, dtype=float)
    for share in (0.5, 0.95, 1.0, 0.001):
        threshold = threshold_for_share(scores, share)
        assert np.mean(scores >= threshold) == max(0.01, np.ceil(share * 100) / 100)
    with pytest.raises(ClVizError):
        threshold_for_share(np.array([]), 0.5)
