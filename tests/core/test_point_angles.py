"""An angular head's view of one feature, in numpy: the same numbers as the heads' torch code."""

import math

import numpy as np
import pytest
import torch

from cl_viz.core.heads import AngularHead
from cl_viz.core.margins import sphere_lambda
from cl_viz.core.point_angles import arcface_term, point_angles, sphereface_psi


def weights(n_classes=10, feat_dim=2, seed=0):
    return np.random.default_rng(seed).normal(size=(n_classes, feat_dim))


def torch_term(head, x, w, label, margin, lam=0.0):
    """The true class's logit from AngularHead.training_logits, divided by its s or ‖x‖."""
    module = AngularHead(head, w.shape[1], w.shape[0], scale=10.0).double()
    features = torch.tensor(x[None], dtype=torch.float64)
    with torch.no_grad():
        module.weight.copy_(torch.tensor(w))
        logits = module.training_logits(features, torch.tensor([label]), margin, lam)
    magnitude = np.linalg.norm(x) if head == "sphereface" else 10.0
    return float(logits[0, label]) / magnitude


def test_the_angles_to_each_class_direction_are_in_degrees():
    w = np.array([[1.0, 0.0], [0.0, 2.0], [-3.0, 0.0], [1.0, 1.0]])
    angles = point_angles(np.array([5.0, 0.0]), w, 0, "normface", 0.0, 0.0, step=0)
    np.testing.assert_allclose(angles.degrees, [0.0, 90.0, 180.0, 45.0], atol=1e-6)
    assert angles.cos_target == pytest.approx(1.0)
    assert angles.margin_term is None  # NormFace has no margin


@pytest.mark.parametrize("head, margin", [("cosface", 0.1), ("cosface", 0.35), ("arcface", 0.3), ("arcface", 1.2)])
def test_the_margin_term_is_the_heads_own(head, margin):
    w = weights(feat_dim=3)
    rng = np.random.default_rng(1)
    for label in range(10):
        x = rng.normal(size=3)
        angles = point_angles(x, w, label, head, margin + 1.0, margin, step=0)  # the effective m is what counts
        assert angles.margin == margin
        assert angles.margin_term == pytest.approx(torch_term(head, x, w, label, margin), abs=1e-9)


def test_sphereface_blends_psi_with_the_annealed_lambda():
    w, x = weights(), np.array([0.3, -1.2])
    for step in (0, 100, 5000):
        angles = point_angles(x, w, 2, "sphereface", 4.0, 1.5, step)
        lam = sphere_lambda(step)
        assert (angles.margin, angles.sphere_lambda) == (4.0, lam)
        assert angles.margin_term == pytest.approx(torch_term("sphereface", x, w, 2, 4.0, lam), abs=1e-9)


def test_arcface_past_pi_falls_back_to_the_guard():
    assert arcface_term(math.cos(0.2), 0.5) == pytest.approx(math.cos(0.7))
    assert arcface_term(math.cos(3.0), 0.5) == pytest.approx(math.cos(3.0) - 0.5 * math.sin(0.5))


@pytest.mark.parametrize("margin", [1, 2, 4])
def test_psi_is_cos_m_theta_on_its_first_piece(margin):
    theta = 0.9 * math.pi / margin
    assert sphereface_psi(math.cos(theta), margin) == pytest.approx(math.cos(margin * theta))
    assert sphereface_psi(-1.0, margin) == pytest.approx(-2 * margin + 1)  # ψ(π) = −2m + 1, its lowest


@pytest.mark.parametrize("feature, head", [([0.0, 0.0], "arcface"), ([np.nan, 1.0], "cosface"),
                                           ([1.0, 0.0], "softmax")])
def test_no_direction_or_no_angular_head_gives_nothing(feature, head):
    assert point_angles(np.array(feature), weights(), 0, head, 0.3, 0.3, step=0) is None
