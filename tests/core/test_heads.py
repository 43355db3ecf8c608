"""The angular heads against pytorch-metric-learning (the oracle) and against the hand formulas."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from cl_viz.core.heads import AngularHead, arcface_term, sphereface_psi
from cl_viz.core.margins import HEAD_INFO, effective_margin, feasible_margin, sphere_lambda

pml_losses = pytest.importorskip("pytorch_metric_learning.losses")


def _inputs(feat_dim: int, seed: int, classes: int = 10, batch: int = 64):
    generator = torch.Generator().manual_seed(seed)
    features = torch.randn(batch, feat_dim, generator=generator, dtype=torch.float64) * 3
    labels = torch.randint(0, classes, (batch,), generator=generator)
    return features, labels


def _head(kind: str, feat_dim: int, scale: float = 10.0, classes: int = 10, seed: int = 0) -> AngularHead:
    torch.manual_seed(seed)
    return AngularHead(kind, feat_dim, classes, scale).double()


def _oracle(loss, head: AngularHead):
    with torch.no_grad():
        loss.W.copy_(head.weight.t())  # pytorch-metric-learning keeps W as (embedding_size, num_classes)
    return loss.double()


def _ours(head: AngularHead, features, labels, margin: float, sphere_lambda: float = 0.0):
    return F.cross_entropy(head.training_logits(features, labels, margin, sphere_lambda), labels)


def _both_with_gradients(head, oracle, features, labels, margin, sphere_lambda=0.0):
    ours_in = features.clone().requires_grad_()
    theirs_in = features.clone().requires_grad_()
    ours = _ours(head, ours_in, labels, margin, sphere_lambda)
    theirs = oracle(theirs_in, labels)
    ours.backward()
    theirs.backward()
    return ours, theirs, ours_in.grad, theirs_in.grad


@pytest.mark.parametrize("feat_dim", [2, 3, 16])
@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("margin", [0.1, 0.35, 0.5])
def test_cosface_matches_pytorch_metric_learning(feat_dim, seed, margin):
    features, labels = _inputs(feat_dim, seed)
    head = _head("cosface", feat_dim, scale=16.0, seed=seed)
    oracle = _oracle(pml_losses.CosFaceLoss(10, feat_dim, margin=margin, scale=16.0), head)
    ours, theirs, grad_ours, grad_theirs = _both_with_gradients(head, oracle, features, labels, margin)
    torch.testing.assert_close(ours, theirs)
    torch.testing.assert_close(grad_ours, grad_theirs)


@pytest.mark.parametrize("feat_dim", [2, 3, 16])
@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("margin", [0.1, 0.5, 1.2])
def test_arcface_matches_pytorch_metric_learning(feat_dim, seed, margin):
    features, labels = _inputs(feat_dim, seed)
    head = _head("arcface", feat_dim, scale=8.0, seed=seed)
    # its margin is in degrees
    oracle = _oracle(pml_losses.ArcFaceLoss(10, feat_dim, margin=math.degrees(margin), scale=8.0), head)
    ours, theirs, grad_ours, grad_theirs = _both_with_gradients(head, oracle, features, labels, margin)
    torch.testing.assert_close(ours, theirs)
    torch.testing.assert_close(grad_ours, grad_theirs, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("feat_dim", [2, 3, 16])
@pytest.mark.parametrize("margin", [1, 2, 3, 4])
def test_sphereface_without_annealing_matches_pytorch_metric_learning(feat_dim, margin):
    features, labels = _inputs(feat_dim, seed=margin)
    head = _head("sphereface", feat_dim, seed=margin)
    oracle = _oracle(pml_losses.SphereFaceLoss(10, feat_dim, margin=margin, scale=1), head)
    ours, theirs, grad_ours, grad_theirs = _both_with_gradients(head, oracle, features, labels, margin)
    torch.testing.assert_close(ours, theirs)
    torch.testing.assert_close(grad_ours, grad_theirs, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("feat_dim", [2, 3, 16])
@pytest.mark.parametrize("scale", [1.0, 10.0, 64.0])
def test_normface_matches_normalized_softmax(feat_dim, scale):
    features, labels = _inputs(feat_dim, seed=int(scale))
    head = _head("normface", feat_dim, scale=scale)
    oracle = _oracle(pml_losses.NormalizedSoftmaxLoss(10, feat_dim, temperature=1 / scale), head)
    ours, theirs, grad_ours, grad_theirs = _both_with_gradients(head, oracle, features, labels, margin=0.0)
    torch.testing.assert_close(ours, theirs)
    torch.testing.assert_close(grad_ours, grad_theirs)


@pytest.mark.parametrize("kind", ["normface", "cosface", "arcface"])
def test_logits_without_margin_are_the_oracles(kind):
    features, _ = _inputs(3, seed=5)
    head = _head(kind, 3, scale=12.0)
    oracle = _oracle(pml_losses.CosFaceLoss(10, 3, margin=0.2, scale=12.0), head)
    torch.testing.assert_close(head(features), oracle.get_logits(features))


def test_sphereface_logits_without_margin_are_the_oracles():
    features, _ = _inputs(2, seed=6)
    head = _head("sphereface", 2)
    oracle = _oracle(pml_losses.SphereFaceLoss(10, 2, margin=4, scale=1), head)
    torch.testing.assert_close(head(features), oracle.get_logits(features))


def _at_angle(theta: float) -> torch.Tensor:
    return torch.tensor([math.cos(theta)], dtype=torch.float64)


@pytest.mark.parametrize("degrees", [0.0, 10.0, 45.0, 90.0, 150.0])
@pytest.mark.parametrize("margin", [0.1, 0.5])
def test_arcface_term_is_cos_of_theta_plus_m_within_pi(degrees, margin):
    theta = math.radians(degrees)
    assert theta + margin <= math.pi
    got = float(arcface_term(_at_angle(theta), margin))
    assert got == pytest.approx(math.cos(theta + margin), abs=1e-6)


@pytest.mark.parametrize("degrees", [165.0, 175.0, 179.0])
def test_arcface_term_past_pi_is_the_monotonic_fallback(degrees):
    theta, margin = math.radians(degrees), 0.5
    assert theta + margin > math.pi  # cos(θ + m) would rise again here
    got = float(arcface_term(_at_angle(theta), margin))
    assert got == pytest.approx(math.cos(theta) - margin * math.sin(margin), abs=1e-9)


def test_arcface_term_decreases_with_the_angle_everywhere():
    thetas = torch.linspace(0.01, math.pi - 0.01, 2000, dtype=torch.float64)
    values = arcface_term(torch.cos(thetas), 0.5)
    assert bool((values[1:] <= values[:-1] + 1e-12).all())


@pytest.mark.parametrize("margin", [1, 2, 3, 4])
def test_sphereface_psi_is_the_papers_piecewise_function(margin):
    for theta in np.linspace(0.0, math.pi, 181)[1:-1]:
        k = math.floor(theta * margin / math.pi)
        expected = (-1) ** k * math.cos(margin * theta) - 2 * k
        assert float(sphereface_psi(_at_angle(theta), margin)) == pytest.approx(expected, abs=1e-9)


def test_sphereface_psi_decreases_monotonically():
    thetas = torch.linspace(0.0, math.pi, 3000, dtype=torch.float64)
    values = sphereface_psi(torch.cos(thetas), 4)
    assert bool((values[1:] <= values[:-1] + 1e-9).all())
    assert float(values[-1]) == pytest.approx(-7.0)  # ψ(π) = −(2m − 1)


def test_cosface_margin_subtracts_from_the_true_class_only():
    head = _head("cosface", 2, scale=4.0)
    features, labels = _inputs(2, seed=3, batch=8)
    with_margin = head.training_logits(features, labels, 0.25)
    without = head(features)
    difference = (without - with_margin).detach()
    expected = torch.zeros_like(difference)
    expected[torch.arange(8), labels] = 4.0 * 0.25
    torch.testing.assert_close(difference, expected)


def test_sphereface_annealing_blends_cos_and_psi():
    head = _head("sphereface", 2)
    features, labels = _inputs(2, seed=4, batch=16)
    norms = features.norm(dim=1)
    cos_y = head.cosines(features).gather(1, labels[:, None]).squeeze(1)
    lam = 7.0
    logits = head.training_logits(features, labels, 4, lam).gather(1, labels[:, None]).squeeze(1)
    expected = norms * (lam * cos_y + sphereface_psi(cos_y, 4)) / (1 + lam)
    torch.testing.assert_close(logits, expected)


def test_sphere_lambda_follows_the_prototxt_schedule():
    assert sphere_lambda(0) == 1000.0
    assert sphere_lambda(100) == pytest.approx(1000 / 13)
    assert sphere_lambda(10**6) == 5.0


def test_margin_warms_up_linearly_and_sphereface_anneals():
    assert effective_margin("arcface", 0.3, 300, 0) == 0.0
    assert effective_margin("arcface", 0.3, 300, 150) == pytest.approx(0.15)
    assert effective_margin("cosface", 0.1, 300, 10_000) == pytest.approx(0.1)
    assert effective_margin("cosface", 0.1, 0, 0) == pytest.approx(0.1)
    assert effective_margin("normface", 0.3, 300, 150) == 0.0
    assert effective_margin("sphereface", 4, 0, 0) == pytest.approx(1 + 3 / 1001)
    assert effective_margin("sphereface", 4, 0, 10**6) == pytest.approx(1.5)


def test_feasible_margins_for_ten_classes_in_2d():
    assert feasible_margin("cosface", 10, 2) == pytest.approx(0.191, abs=1e-3)
    assert feasible_margin("arcface", 10, 2) == pytest.approx(0.628, abs=1e-3)
    assert feasible_margin("arcface", 10, 3) is None
    assert feasible_margin("normface", 10, 2) is None


def test_every_margin_head_default_is_feasible_in_2d():
    for name in ("cosface", "arcface"):
        assert HEAD_INFO[name].settings["margin"] < feasible_margin(name, 10, 2)


def test_gradients_stay_finite_at_the_class_direction():
    head = _head("arcface", 2)
    features = head.weight.detach()[:3].clone().requires_grad_()  # θ_y = 0 exactly
    labels = torch.arange(3)
    _ours(head, features, labels, 0.5).backward()
    assert torch.isfinite(features.grad).all()
