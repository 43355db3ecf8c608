"""Sessions with the angular heads: W in the model, live s and m, the same start as softmax."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from cl_viz.core.checkpoints import load_checkpoint, save_checkpoint
from cl_viz.core.config import TrainConfig
from cl_viz.core.errors import ClVizError
from cl_viz.core.heads import AngularHead
from cl_viz.core.runs import for_head, parse_run, parse_runs, run_config
from cl_viz.core.session import TrainingSession


@pytest.mark.parametrize("head", ["normface", "sphereface", "cosface", "arcface"])
def test_each_head_trains_and_reports_itself(small_config, digits, head):
    config = for_head(small_config, head)
    session = TrainingSession(config, digits)
    assert isinstance(session.model.classifier, AngularHead)
    for _ in range(5):
        session.train_step()
    snapshot = session.snapshot()
    assert snapshot.is_finite
    assert snapshot.head == head
    assert snapshot.margin == config.margin
    np.testing.assert_allclose(np.linalg.norm(snapshot.classifier_weight, axis=1), 1.0, rtol=1e-5)
    assert snapshot.classifier_bias is None


def test_margin_ramps_in_over_its_warm_up(small_config, digits):
    config = for_head(small_config, "arcface").replace(margin=0.3, margin_warmup_steps=10)
    session = TrainingSession(config, digits)
    assert session.effective_margin == 0.0
    for _ in range(5):
        session.train_step()
    assert session.snapshot().effective_margin == pytest.approx(0.15)
    for _ in range(10):
        session.train_step()
    assert session.effective_margin == pytest.approx(0.3)


def test_scale_and_margin_change_live(small_config, digits):
    session = TrainingSession(for_head(small_config, "cosface"), digits)
    session.train_step()
    session.set_live(scale=4.0, margin=0.05)
    assert session.model.classifier.scale == 4.0
    assert session.effective_margin == pytest.approx(0.05 * 1 / 300)
    with pytest.raises(ClVizError, match="below 2"):
        session.set_live(margin=3.0)


def test_every_head_starts_from_the_same_trunk_and_sees_the_same_batches(small_config, digits):
    specs = parse_runs("softmax arcface sphereface")
    sessions = [TrainingSession(run_config(small_config, spec), digits) for spec in specs]
    reference = sessions[0].model.state_dict()
    for session in sessions[1:]:
        for name, tensor in session.model.state_dict().items():
            torch.testing.assert_close(tensor, reference[name], msg=name)
        assert torch.equal(session.batch_indices(7), sessions[0].batch_indices(7))


def test_center_loss_combines_with_a_margin_head(small_config, digits):
    config = run_config(small_config.replace(lam=0.1), parse_run("arcface+center"))
    assert config.head == "arcface" and config.lam == 0.1
    session = TrainingSession(config, digits)
    before = session.center_loss.centers.clone()
    session.train_step()
    assert not torch.equal(session.center_loss.centers, before)  # Eq. 4 moved them
    assert session.snapshot().loss_center > 0


def test_runs_without_center_loss_train_with_lambda_zero(small_config):
    assert run_config(small_config.replace(lam=0.1), parse_run("cosface")).lam == 0.0
    assert run_config(small_config.replace(lam=0.0), parse_run("center")).lam > 0


def test_explicit_flags_win_over_a_heads_settings(small_config):
    config = run_config(small_config, parse_run("arcface"), {"margin": 0.5, "optimizer": "sgd"})
    assert config.margin == 0.5 and config.optimizer == "sgd"


@pytest.mark.parametrize("text, problem", [("softmax, nonsense", "unknown loss"), ("arcface arcface", "once"),
                                           ("", "at least one")])
def test_bad_run_lists_get_one_clear_message(text, problem):
    with pytest.raises(ClVizError, match=problem):
        parse_runs(text)


@pytest.mark.parametrize("changes, problem", [({"head": "sphereface", "margin": 2.5}, "whole number"),
                                              ({"head": "arcface", "margin": 3.2}, "below π"),
                                              ({"head": "cosface", "scale": 0.0}, "scale s"),
                                              ({"head": "cosface", "margin": -0.1}, "≥ 0"),
                                              ({"head": "tanface"}, "unknown head")])
def test_invalid_head_settings_are_refused(changes, problem):
    with pytest.raises(ClVizError, match=problem):
        TrainConfig(**changes).validated()


def test_a_margin_head_checkpoint_resumes_exactly(small_config, digits, tmp_path):
    config = for_head(small_config, "arcface")
    session = TrainingSession(config, digits)
    for _ in range(3):
        session.train_step()
    path = tmp_path / "checkpoint.pt"
    save_checkpoint(session.state_dict(), path)
    resumed = TrainingSession(config, digits)
    resumed.load_state_dict(load_checkpoint(path))
    session.train_step()
    resumed.train_step()
    torch.testing.assert_close(resumed.model.classifier.weight, session.model.classifier.weight)


def test_old_configurations_load_as_softmax():
    stored = TrainConfig().to_dict()
    for name in ("head", "scale", "margin", "margin_warmup_steps"):
        del stored[name]
    assert TrainConfig.from_dict(stored).head == "softmax"


def test_sphereface_trains_with_its_whole_number_margin_and_the_annealed_lambda(small_config, digits):
    session = TrainingSession(for_head(small_config, "sphereface"), digits)
    head, calls = session.model.classifier, []
    original = head.training_logits

    def spy(features, labels, margin, sphere_lambda=0.0):
        calls.append((margin, sphere_lambda))
        return original(features, labels, margin, sphere_lambda)

    head.training_logits = spy
    session.train_step()
    session.train_step()
    assert calls == [(4.0, 1000.0), (4.0, pytest.approx(1000 / 1.12))]
    assert 1.0 < session.effective_margin < 1.01  # what the annealing's share of ψ amounts to


def test_the_softmax_twin_of_an_angular_run_is_softmax_with_its_own_rate(small_config, digits):
    from cl_viz.core.runner import LockstepRun

    run = LockstepRun(for_head(small_config, "cosface"), compare=True, dataset=digits)
    twin = run.comparison.config
    assert (twin.head, twin.lam, twin.optimizer) == ("softmax", 0.0, "sgd")
    run.set_live(lr=1e-3, margin=0.05, alpha=0.3)
    assert run.primary.config.lr == 1e-3 and run.comparison.config.lr == twin.lr
    assert run.comparison.config.alpha == 0.3 and run.comparison.config.margin == twin.margin


def test_a_loss_list_from_a_remembered_angular_setup_starts_softmax_from_the_defaults():
    from cl_viz.core.config import DEFAULTS
    from cl_viz.core.runs import loss_entries

    remembered = for_head(DEFAULTS, "arcface")
    softmax, arcface = loss_entries(remembered, parse_runs("softmax arcface"), {"lr": 0.01}, defaults=DEFAULTS)
    assert (softmax.config.optimizer, softmax.config.lr, softmax.config.head) == ("sgd", 0.01, "softmax")
    assert (arcface.config.optimizer, arcface.config.lr, arcface.title) == ("adam", 0.01, "ArcFace")


def test_each_run_has_a_short_name_for_headers_and_legends(small_config):
    from cl_viz.core.runs import short_name, softmax_twin

    assert short_name(small_config) == "center loss"
    assert short_name(small_config.replace(lam=0.0)) == "softmax only"
    arcface = for_head(small_config, "arcface").replace(lam=0.0)
    assert short_name(arcface) == "ArcFace" and short_name(arcface.replace(lam=0.1)) == "ArcFace + L_C"
    assert short_name(softmax_twin(arcface)) == "softmax only"
