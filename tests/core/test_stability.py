"""The switches that keep training stable (warm-up, gradient clipping, caffe-face's initialisation) and the
recipes: each does what it says and leaves the paper's L, L_C and Eq. 4 alone."""

import math

import pytest
import torch

from cl_viz.core.config import DEFAULTS, TrainConfig
from cl_viz.core.errors import ClVizError
from cl_viz.core.models import build_model
from cl_viz.core.recipes import OFFICIAL, RECIPES
from cl_viz.core.session import TrainingSession


def gradient_norms(session: TrainingSession, steps: int) -> list[float]:
    """The norm of the network's gradient as the optimizer applies it, for each of `steps` steps."""
    norms = []
    step = session.optimizer.step

    def recording_step(*args, **kwargs):
        grads = [p.grad for p in session.model.parameters() if p.grad is not None]
        norms.append(float(torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g) for g in grads]))))
        return step(*args, **kwargs)

    session.optimizer.step = recording_step
    for _ in range(steps):
        session.train_step()
    return norms


def test_warm_up_ramps_the_learning_rate_linearly_then_holds(small_config, digits):
    session = TrainingSession(small_config.replace(lr=0.04, warmup_steps=4), digits)
    applied = []  # the rate each step used
    for _ in range(6):
        session.train_step()
        applied.append(session.optimizer.param_groups[0]["lr"])
    assert applied == pytest.approx([0.01, 0.02, 0.03, 0.04, 0.04, 0.04])


def test_warm_up_combines_with_the_milestones(small_config, digits):
    session = TrainingSession(small_config.replace(lr=0.04, warmup_steps=4, lr_milestones=(2,), lr_gamma=0.5),
                              digits)
    for _ in range(3):
        session.train_step()
    assert session.optimizer.param_groups[0]["lr"] == pytest.approx(0.04 * 0.5 * 3 / 4)


def test_clipping_bounds_the_applied_gradient_norm(small_config, digits):
    free = gradient_norms(TrainingSession(small_config.replace(clip_norm=0.0), digits), 3)
    limit = min(free) / 4
    clipped = gradient_norms(TrainingSession(small_config.replace(clip_norm=limit), digits), 3)
    assert min(free) > limit
    assert clipped == pytest.approx([limit] * 3, rel=1e-4)


def test_clipping_leaves_eq4_exact(small_config, digits):
    """Centers move by Eq. 4 on the features of the batch, whatever happens to the network's gradient."""
    session = TrainingSession(small_config.replace(clip_norm=1e-3, alpha=0.5), digits)
    before = session.center_loss.centers.detach().clone()
    session.train_step()
    features = session._last_batch["features"]
    labels = session._last_batch["labels"]
    expected = before.clone()
    for j in range(len(before)):
        members = features[labels == j]
        delta = (before[j] - members).sum(0) / (1 + len(members))
        expected[j] = before[j] - 0.5 * delta
    torch.testing.assert_close(session.center_loss.centers.detach(), expected)


def test_warm_up_and_clipping_change_live(small_config, digits):
    session = TrainingSession(small_config.replace(warmup_steps=0, clip_norm=0.0), digits)
    session.set_live(warmup_steps=10, clip_norm=2.0)
    assert session.current_lr == pytest.approx(small_config.lr / 10)
    norms = gradient_norms(session, 2)
    assert max(norms) <= 2.0 + 1e-5


def test_caffe_initialisation_is_caffes_xavier_filler():
    model = build_model("lenet++", init="caffe")
    for layer in model.modules():
        if isinstance(layer, (torch.nn.Conv2d, torch.nn.Linear)):
            fan_in = layer.weight[0].numel()
            bound = math.sqrt(3 / fan_in)
            assert layer.weight.abs().max() <= bound
            assert layer.weight.std().item() == pytest.approx(math.sqrt(1 / fan_in), rel=0.2)  # uniform: bound/√3
            assert layer.bias is None or not layer.bias.any()


def test_initialisations_differ_and_each_is_seeded(small_config, digits):
    caffe = TrainingSession(small_config.replace(init="caffe"), digits).model.state_dict()
    again = TrainingSession(small_config.replace(init="caffe"), digits).model.state_dict()
    default = TrainingSession(small_config.replace(init="pytorch"), digits).model.state_dict()
    key = "trunk.0.weight"
    assert torch.equal(caffe[key], again[key]) and not torch.equal(caffe[key], default[key])


@pytest.mark.parametrize(("field", "value"), [("warmup_steps", -1), ("clip_norm", -0.5), ("clip_norm", math.inf),
                                              ("init", "he")])
def test_bad_stability_settings_are_refused_in_one_line(field, value):
    with pytest.raises(ClVizError, match=r"warm-up|clipping|initialisation"):
        TrainConfig().replace(**{field: value}).validated()


def test_the_defaults_are_the_stable_recipe_and_official_is_caffe_face():
    assert RECIPES["defaults"].config == DEFAULTS
    assert DEFAULTS.clip_norm > 0 and DEFAULTS.warmup_steps > 0
    official = OFFICIAL.config
    assert (official.model, official.lr, official.momentum, official.weight_decay, official.batch_size) == \
        ("lenet++", 0.01, 0.9, 5e-4, 128)
    assert (official.lam, official.alpha, official.lr_milestones, official.lr_gamma) == \
        (0.01, 0.5, (5000, 8000, 10000), 0.8)
    assert (official.warmup_steps, official.clip_norm, official.init, OFFICIAL.steps) == (0, 0.0, "caffe", 10_000)
    assert "not in the paper" in RECIPES["defaults"].title


def test_a_stored_configuration_from_before_these_switches_ran_without_them():
    old = {name: value for name, value in TrainConfig().to_dict().items()
           if name not in ("warmup_steps", "clip_norm", "init")}
    config = TrainConfig.from_dict(old)
    assert (config.warmup_steps, config.clip_norm, config.init) == (0, 0.0, "pytorch")
