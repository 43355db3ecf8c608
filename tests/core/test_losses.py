import pytest
import torch

from cl_viz.core.losses import CenterLoss


def test_center_update_matches_hand_computation_of_eq4():
    loss = CenterLoss(num_classes=3, feat_dim=2, alpha=0.5)
    loss.centers.copy_(torch.tensor([[0.0, 0.0], [1.0, 1.0], [5.0, -5.0]]))
    features = torch.tensor([[2.0, 0.0], [4.0, 2.0], [3.0, 3.0]])
    labels = torch.tensor([0, 0, 1])
    loss.update_centers(features, labels)
    # class 0: n=2, Δc = ((0-2)+(0-4), (0-0)+(0-2)) / 3 = (-2, -2/3); c ← c − 0.5·Δc = (1, 1/3)
    # class 1: n=1, Δc = ((1-3), (1-3)) / 2 = (-1, -1);              c ← (1.5, 1.5)
    # class 2 is absent from the batch and stays where it was.
    expected = torch.tensor([[1.0, 1.0 / 3.0], [1.5, 1.5], [5.0, -5.0]])
    torch.testing.assert_close(loss.centers, expected)


@pytest.mark.parametrize("alpha", [0.0, 1.0])
def test_alpha_bounds(alpha):
    loss = CenterLoss(num_classes=2, feat_dim=2, alpha=alpha)
    features = torch.tensor([[2.0, 4.0], [4.0, 8.0]])
    loss.update_centers(features, torch.tensor([1, 1]))
    if alpha == 0.0:
        assert torch.equal(loss.centers, torch.zeros(2, 2))
    else:  # α = 1 moves the center to n/(1+n) of the batch mean (the prior position counts once)
        torch.testing.assert_close(loss.centers[1], torch.tensor([2.0, 4.0]))
        assert torch.equal(loss.centers[0], torch.zeros(2))


def test_center_loss_value_and_feature_gradient():
    loss = CenterLoss(num_classes=2, feat_dim=2)
    loss.centers.copy_(torch.tensor([[1.0, 0.0], [0.0, 2.0]]))
    features = torch.tensor([[3.0, 0.0], [0.0, 0.0], [1.0, 1.0]], requires_grad=True)
    labels = torch.tensor([0, 1, 0])
    value = loss(features, labels)
    # (‖(2,0)‖² + ‖(0,-2)‖² + ‖(0,1)‖²) / (2·3) = 9/6
    assert value.item() == pytest.approx(1.5)
    value.backward()
    expected = (features.detach() - loss.centers[labels]) / 3
    torch.testing.assert_close(features.grad, expected)
    assert loss.centers.grad is None


def test_paper_mode_centers_are_a_buffer_not_a_parameter():
    loss = CenterLoss(num_classes=10, feat_dim=2)
    assert list(loss.parameters()) == []
    assert "centers" in dict(loss.named_buffers())


def test_sgd_mode_center_gradient_is_the_unscaled_center_loss_gradient():
    loss = CenterLoss(num_classes=2, feat_dim=2, update="sgd")
    with torch.no_grad():
        loss.centers.copy_(torch.tensor([[1.0, 1.0], [0.0, 0.0]]))
    features = torch.tensor([[3.0, 1.0], [1.0, 3.0]])
    loss.center_objective(features, torch.tensor([0, 0])).backward()
    # ∂L_C/∂c_0 = Σ (c_0 − x_i) / m = ((-2, 0) + (0, -2)) / 2
    torch.testing.assert_close(loss.centers.grad, torch.tensor([[-1.0, -1.0], [0.0, 0.0]]))


def test_unknown_update_mode_is_rejected():
    with pytest.raises(ValueError, match="center update"):
        CenterLoss(10, 2, update="momentum")
