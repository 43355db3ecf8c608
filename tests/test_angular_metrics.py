import math
import warnings

import numpy as np
import pytest

from cl_viz.core.angles import AngularMetrics, angular_fisher_score, angular_metrics
from cl_viz.core.metrics import FeatureMetrics, feature_metrics

SQUARE = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [0.0, -1.0]])


def rotation_2d(angle: float) -> np.ndarray:
    return np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])


def rotation_3d(seed: int) -> np.ndarray:
    q, r = np.linalg.qr(np.random.default_rng(seed).normal(size=(3, 3)))
    return q * np.sign(np.diag(r))


def clusters(directions: np.ndarray, per_class: int, spread: float, seed: int = 0):
    """`per_class` features around each direction, at random lengths 0.5–5."""
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(len(directions)), per_class)
    points = directions[labels] + spread * rng.normal(size=(len(labels), directions.shape[1]))
    return points * rng.uniform(0.5, 5.0, size=(len(labels), 1)), labels


def cos(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def angle(a: np.ndarray, b: np.ndarray) -> float:
    return math.acos(max(-1.0, min(1.0, cos(a, b))))


def no_value(metrics: AngularMetrics) -> bool:
    return all(math.isnan(v) for v in (metrics.angular_ratio, metrics.angular_fisher, metrics.min_angular_gap))


def fisher_by_loop(features: np.ndarray, labels: np.ndarray) -> float:
    """SphereFace appendix E, eq. 11, written out term by term."""
    overall = features.mean(axis=0)
    within = between = 0.0
    for label in sorted(set(labels.tolist())):
        members = features[labels == label]
        mean = members.mean(axis=0)
        for x in members:
            within += 1 - cos(x, mean)
        between += len(members) * (1 - cos(mean, overall))
    return within / between


def ratio_by_loop(features: np.ndarray, labels: np.ndarray) -> float:
    units = features / np.linalg.norm(features, axis=1, keepdims=True)
    classes = sorted(set(labels.tolist()))
    directions = {c: units[labels == c].mean(axis=0) for c in classes}
    intra = np.mean([angle(u, directions[c]) for u, c in zip(units, labels)])
    inter = np.mean([angle(directions[a], directions[b]) for i, a in enumerate(classes) for b in classes[i + 1:]])
    return intra / inter


def test_four_classes_at_right_angles_without_spread():
    features, labels = clusters(SQUARE, per_class=5, spread=0.0)
    metrics = angular_metrics(features, labels)
    assert metrics.angular_ratio == 0.0 and metrics.angular_fisher == 0.0
    assert metrics.min_angular_gap == pytest.approx(math.pi / 2, abs=1e-12)


def test_known_angles_in_three_dimensions():
    """Three orthogonal classes, each split ±0.1 rad about its axis: 0.1 rad to the own direction."""
    features, labels = [], []
    for c, (axis, other) in enumerate(((0, 1), (1, 2), (2, 0))):
        for sign in (1, -1):
            x = np.zeros(3)
            x[axis], x[other] = math.cos(0.1), sign * math.sin(0.1)
            features.append(x)
            labels.append(c)
    metrics = angular_metrics(np.array(features), np.array(labels))
    assert metrics.angular_ratio == pytest.approx(0.1 / (math.pi / 2))
    assert metrics.min_angular_gap == pytest.approx(math.pi / 2)


@pytest.mark.parametrize("dim", [2, 3])
def test_the_vectorised_metrics_match_a_direct_loop(dim):
    directions = SQUARE if dim == 2 else np.eye(3)
    features, labels = clusters(directions, per_class=30, spread=0.4, seed=dim)
    metrics = angular_metrics(features, labels)
    assert metrics.angular_fisher == pytest.approx(fisher_by_loop(features, labels), rel=1e-9)
    assert metrics.angular_ratio == pytest.approx(ratio_by_loop(features, labels), rel=1e-7)  # acos near 1
    assert 0 < metrics.angular_fisher < 1 and 0 < metrics.angular_ratio < 1


@pytest.mark.parametrize("dim", [2, 3])
def test_rotating_or_scaling_all_features_changes_nothing(dim):
    directions = SQUARE if dim == 2 else np.eye(3)
    features, labels = clusters(directions, per_class=20, spread=0.3, seed=7)
    turn = rotation_2d(1.234) if dim == 2 else rotation_3d(3)
    original = angular_metrics(features, labels)
    for changed in (features @ turn.T, features * 1e-150, features * 1e150, features @ turn.T * 7.0):
        metrics = angular_metrics(changed, labels)
        for name in ("angular_ratio", "angular_fisher", "min_angular_gap"):
            assert getattr(metrics, name) == pytest.approx(getattr(original, name), rel=1e-9), name


def test_the_angular_ratio_ignores_each_feature_length():
    features, labels = clusters(SQUARE, per_class=20, spread=0.3, seed=2)
    lengths = np.random.default_rng(9).uniform(0.01, 100, size=(len(features), 1))
    assert angular_metrics(features * lengths, labels).angular_ratio == pytest.approx(
        angular_metrics(features, labels).angular_ratio, rel=1e-12)


def test_the_closest_pair_of_classes_sets_the_minimum_gap():
    directions = np.array([[math.cos(t), math.sin(t)] for t in (0.0, 0.3, 2.0, 4.0)])
    features, labels = clusters(directions, per_class=3, spread=0.0)
    assert angular_metrics(features, labels).min_angular_gap == pytest.approx(0.3)


def test_zero_features_are_left_out_without_warnings():
    features, labels = clusters(SQUARE, per_class=5, spread=0.2, seed=4)
    with_zeros = np.vstack([features, np.zeros((3, 2))])
    with_labels = np.concatenate([labels, [0, 1, 3]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert angular_metrics(with_zeros, with_labels) == angular_metrics(features, labels)
        assert no_value(angular_metrics(np.zeros((6, 2)), np.arange(6) % 3))  # nothing has a direction


def test_a_class_of_zero_features_counts_as_absent():
    features, labels = clusters(SQUARE[:3], per_class=5, spread=0.0)
    with_empty = np.vstack([features, np.zeros((4, 2))])
    metrics = angular_metrics(with_empty, np.concatenate([labels, [3] * 4]))
    assert metrics.min_angular_gap == pytest.approx(math.pi / 2)
    assert metrics == angular_metrics(features, labels)


def test_one_class_has_no_angular_values_and_one_sample_classes_do():
    features, labels = clusters(SQUARE, per_class=6, spread=0.3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert no_value(angular_metrics(features[labels == 0], labels[labels == 0]))
        single = angular_metrics(SQUARE[:3] * 2.0, np.arange(3))
    assert single.angular_ratio == 0.0 and single.angular_fisher == 0.0
    assert single.min_angular_gap == pytest.approx(math.pi / 2)


def test_a_class_whose_features_cancel_has_no_direction():
    """Two opposite features of class 1 average to zero: no direction, so class 1 is left out."""
    features = np.array([[1.0, 0.0], [1.0, 0.1], [0.0, 1.0], [0.0, -1.0], [-1.0, 0.0]])
    labels = np.array([0, 0, 1, 1, 2])
    metrics = angular_metrics(features, labels)
    assert metrics.min_angular_gap == pytest.approx(math.pi - math.atan(0.1) / 2)
    assert math.isfinite(metrics.angular_fisher)


def test_classes_in_one_direction_have_no_angular_separation():
    features = np.array([[1.0, 0.0], [2.0, 0.0], [1.0, 0.01], [1.0, -0.01]])
    metrics = angular_metrics(features, np.array([0, 0, 1, 1]))
    assert metrics.min_angular_gap == 0.0 and metrics.angular_ratio == math.inf
    assert math.isnan(angular_metrics(features[:2], np.array([0, 1])).angular_fisher)  # neither scatter


def test_a_balanced_ring_has_a_zero_overall_mean_and_still_a_score():
    """The mean of all features is zero: taken as orthogonal to every class mean, so S_b = n."""
    features, labels = clusters(SQUARE, per_class=1, spread=0.0)
    assert angular_fisher_score(features * 3.0, labels) == 0.0
    spread = np.array([[1.0, 0.1], [1.0, -0.1], [-1.0, 0.1], [-1.0, -0.1]])
    within = 4 * (1 - math.cos(math.atan(0.1)))
    assert angular_fisher_score(spread, np.array([0, 0, 1, 1])) == pytest.approx(within / 4)


def test_non_finite_or_empty_features_give_no_value():
    features, labels = clusters(SQUARE, per_class=4, spread=0.1)
    for bad in (np.where(np.arange(len(features))[:, None] == 2, np.nan, features), features * np.inf,
                np.zeros((0, 2))):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert no_value(angular_metrics(bad, labels[:len(bad)]))


def test_feature_metrics_carries_the_angular_values_and_old_constructions_still_work():
    features, labels = clusters(SQUARE, per_class=5, spread=0.0)
    metrics = feature_metrics(features, labels, SQUARE, np.eye(4)[labels])
    assert metrics.angular_ratio == 0.0 and metrics.min_angular_gap == pytest.approx(math.pi / 2)
    assert list(metrics.to_dict())[-3:] == ["angular_ratio", "angular_fisher", "min_angular_gap"]
    old = FeatureMetrics(0.9, 0.9, 1.0, 4.0, 0.25, 3.0)  # as recordings and tests made them before
    assert math.isnan(old.angular_ratio) and math.isnan(old.angular_fisher) and math.isnan(old.min_angular_gap)
