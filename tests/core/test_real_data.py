"""Real Fashion-MNIST (Debian's dataset-fashion-mnist): center loss makes classes compact."""

import pytest

from cl_viz.core.config import TrainConfig
from cl_viz.core.data import DEBIAN_FASHION_MNIST, load_dataset
from cl_viz.core.session import TrainingSession

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not DEBIAN_FASHION_MNIST.is_dir(),
                       reason=f"Debian's dataset-fashion-mnist is not installed ({DEBIAN_FASHION_MNIST} missing)"),
]
STEPS = 300


def train_ratio(dataset, lam):
    # The paper's plain SGD, as measured below: the default 100-step warm-up takes a third of these 300
    # steps (with it, center loss ended at 0.87x softmax's ratio here; at 1,000 steps, see the README).
    config = TrainConfig(dataset="fashion-mnist", model="tiny", lam=lam, lr=0.05, probe_size=1000, device="cpu",
                         warmup_steps=0, clip_norm=0.0)
    session = TrainingSession(config, dataset)
    for _ in range(STEPS):
        session.train_step()
    return session.snapshot().metrics


def test_center_loss_gives_a_clearly_smaller_intra_inter_ratio_than_softmax_only():
    """λ = 0.1: at the paper's 0.01, 300 steps of the tiny net only begin to show it, and how far
    depends on the CPU's float rounding (0.83x softmax's ratio on an AMD EPYC, under 0.8x on
    earlier machines). At 0.1 seeds 0, 1, 2 gave 0.70x, 0.76x, 0.75x there."""
    dataset = load_dataset("fashion-mnist", download=False)
    softmax = train_ratio(dataset, lam=0.0)
    center = train_ratio(dataset, lam=0.1)
    assert center.ratio < 0.85 * softmax.ratio, (softmax, center)
    assert center.probe_accuracy > 0.6 and softmax.probe_accuracy > 0.6
