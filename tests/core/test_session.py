import pickle

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from cl_viz.core.data import to_model_input
from cl_viz.core.errors import ClVizError
from cl_viz.core.models import build_model
from cl_viz.core.session import TrainingSession


def run(session, steps):
    for _ in range(steps):
        session.train_step()
    return session


def test_lambda_zero_gives_the_weights_of_a_plain_cross_entropy_loop(small_config, digits):
    session = run(TrainingSession(small_config.replace(lam=0.0), digits), 5)
    torch.manual_seed(small_config.seed)
    model = build_model("tiny").to(memory_format=torch.channels_last)
    optimizer = torch.optim.SGD(model.parameters(), lr=small_config.lr, momentum=0.9, weight_decay=5e-4)
    for step in range(5):
        indices = session.batch_indices(step)
        images = to_model_input(digits.train_images[indices]).contiguous(memory_format=torch.channels_last)
        _, logits = model(images)
        optimizer.zero_grad()
        F.cross_entropy(logits, digits.train_labels[indices]).backward()
        optimizer.step()
    for name, value in model.state_dict().items():
        torch.testing.assert_close(session.model.state_dict()[name], value, rtol=0, atol=0, msg=name)


def test_training_is_deterministic_on_cpu(small_config, digits):
    first = run(TrainingSession(small_config, digits), 6).snapshot()
    second = run(TrainingSession(small_config, digits), 6).snapshot()
    np.testing.assert_array_equal(first.features, second.features)
    np.testing.assert_array_equal(first.centers, second.centers)
    assert first.loss_softmax == second.loss_softmax


def test_different_seeds_differ(small_config, digits):
    first = TrainingSession(small_config, digits).snapshot()
    second = TrainingSession(small_config.replace(seed=1), digits).snapshot()
    assert not np.array_equal(first.features, second.features)


def test_lockstep_runs_start_identical_and_see_the_same_batches(small_config, digits):
    center = TrainingSession(small_config, digits)
    softmax = TrainingSession(small_config.replace(lam=0.0), digits)
    np.testing.assert_array_equal(center.snapshot().features, softmax.snapshot().features)
    for step in (0, 1, center.steps_per_epoch + 3):
        assert torch.equal(center.batch_indices(step), softmax.batch_indices(step))
    run(center, 3), run(softmax, 3)
    assert not np.array_equal(center.snapshot().features, softmax.snapshot().features)


def test_paper_mode_centers_are_moved_by_eq4_only(small_config, digits):
    session = TrainingSession(small_config, digits)
    assert all(p is not session.center_loss.centers for p in session.optimizer.param_groups[0]["params"])
    before = session.center_loss.centers.clone()
    session.train_step()
    moved = session.center_loss.centers
    assert not torch.equal(before, moved)
    assert moved.grad is None


def test_alpha_zero_freezes_centers(small_config, digits):
    session = run(TrainingSession(small_config.replace(alpha=0.0), digits), 3)
    assert torch.equal(session.center_loss.centers, torch.zeros_like(session.center_loss.centers))


def test_softmax_only_still_tracks_centers(small_config, digits):
    session = run(TrainingSession(small_config.replace(lam=0.0), digits), 3)
    assert session.center_loss.centers.abs().sum() > 0


def test_sgd_center_mode_uses_its_own_optimizer(small_config, digits):
    session = TrainingSession(small_config.replace(center_update="sgd"), digits)
    run(session, 3)
    assert session.center_optimizer.param_groups[0]["lr"] == small_config.alpha
    assert session.center_loss.centers.abs().sum() > 0
    session.set_live(alpha=0.1)
    assert session.center_optimizer.param_groups[0]["lr"] == 0.1


def test_live_changes_apply_without_reset(small_config, digits):
    session = run(TrainingSession(small_config, digits), 2)
    session.set_live(lam=0.1, alpha=0.2, lr=0.001)
    assert session.step == 2
    assert session.optimizer.param_groups[0]["lr"] == 0.001
    assert session.center_loss.alpha == 0.2
    assert session.snapshot().lam == 0.1
    with pytest.raises(ValueError, match="reset"):
        session.set_live(model="lenet++")
    with pytest.raises(ClVizError, match="α"):
        session.set_live(alpha=2.0)


def test_snapshot_is_an_immutable_copy_with_metrics(small_config, digits):
    session = run(TrainingSession(small_config, digits), 2)
    snapshot = session.snapshot()
    assert snapshot.features.shape == (100, 2) and snapshot.labels.shape == (100,)
    assert snapshot.centers.shape == (10, 2) and snapshot.classifier_weight.shape == (10, 2)
    assert snapshot.batch_features.shape == (32, 2)
    with pytest.raises(ValueError):
        snapshot.features[0, 0] = 1.0
    session.train_step()
    assert not np.array_equal(snapshot.centers, session.snapshot().centers)
    assert snapshot.step == 2 and snapshot.is_finite
    assert 0 <= snapshot.metrics.probe_accuracy <= 1
    assert snapshot.metrics.ratio == pytest.approx(snapshot.metrics.intra / snapshot.metrics.inter)


def test_a_snapshot_stays_immutable_through_pickle_as_frames_from_the_training_process_come(small_config, digits):
    snapshot = pickle.loads(pickle.dumps(run(TrainingSession(small_config, digits), 1).snapshot()))
    arrays = [value for value in vars(snapshot).values() if isinstance(value, np.ndarray)]
    assert len(arrays) >= 7 and not any(array.flags.writeable for array in arrays)
    with pytest.raises(ValueError):
        snapshot.centers[0, 0] = 1.0
    assert snapshot.step == 1 and snapshot.metrics.ratio > 0


def test_probe_is_stratified_and_defaults_to_2000_on_cpu(small_config, digits):
    session = TrainingSession(small_config.replace(probe_size=None), digits)
    assert len(session.probe_labels) == min(2000, len(digits.test_labels))
    assert set(session.probe_labels.tolist()) == set(range(10))


def test_a_training_probe_embeds_the_images_the_network_learns_from(small_config, digits):
    session = run(TrainingSession(small_config.replace(probe_split="train"), digits), 3)
    indices = session.probe_indices
    assert torch.equal(session.probe_labels, digits.train_labels[indices])
    assert torch.equal(session.probe_pixels(), digits.train_images[indices])
    features, _ = session.embed(to_model_input(digits.train_images[indices]))
    np.testing.assert_allclose(session.snapshot().features, features.numpy(), rtol=1e-5, atol=1e-6)
    held_out = TrainingSession(small_config, digits)
    assert torch.equal(held_out.probe_pixels(), digits.test_images[held_out.probe_indices])


def test_learning_rate_milestones(small_config, digits):
    session = TrainingSession(small_config.replace(lr_milestones=(2,), lr_gamma=0.5), digits)
    run(session, 3)
    assert session.optimizer.param_groups[0]["lr"] == pytest.approx(small_config.lr * 0.5)


def test_adam_optimizer(small_config, digits):
    session = run(TrainingSession(small_config.replace(optimizer="adam", lr=1e-3), digits), 2)
    assert isinstance(session.optimizer, torch.optim.Adam)
    assert session.snapshot().is_finite


def test_seed_model_with_batchnorm_trains(small_config, digits):
    session = run(TrainingSession(small_config.replace(model="seed", batch_size=8, probe_size=20), digits), 1)
    assert session.snapshot().is_finite


def test_forcing_a_missing_device_is_a_clear_error(small_config, digits, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ClVizError, match="no CUDA GPU"):
        TrainingSession(small_config.replace(device="cuda"), digits)


def test_a_partial_refresh_re_embeds_the_next_slice_with_the_current_weights(small_config, digits):
    session = run(TrainingSession(small_config, digits), 1)
    full = session.snapshot()
    assert full.oldest_step is None and full.steps_behind == 0
    run(session, 2)
    partial = session.snapshot(refresh=30)
    current, _ = session.embed(session.probe_images)
    fresh = slice(0, 30)
    np.testing.assert_allclose(partial.features[fresh], current[fresh].numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(partial.features[30:], full.features[30:])  # still from step 1
    assert (partial.oldest_step, partial.steps_behind) == (1, 2)
    assert partial.metrics.probe_accuracy == pytest.approx(
        float((partial.predictions == partial.labels).mean()))


def test_partial_refreshes_go_round_the_whole_probe_set(small_config, digits):
    session = run(TrainingSession(small_config, digits), 1)
    session.snapshot()
    size = len(session.probe_labels)
    rounds = -(-size // 30)
    ages = []
    for _ in range(rounds):
        run(session, 1)
        ages.append(session.snapshot(refresh=30).oldest_step)
    assert ages[:-1] == [1] * (rounds - 1)  # some point is still from the full snapshot at step 1
    assert ages[-1] == 2  # every point has been re-embedded since; the oldest at the first refresh


def test_a_restore_forgets_embeddings_made_by_other_weights(small_config, digits):
    session = run(TrainingSession(small_config, digits), 2)
    state = session.state_dict()
    session.snapshot()
    run(session, 3)
    session.load_state_dict(state)
    restored = session.snapshot(refresh=10)
    current, _ = session.embed(session.probe_images)
    np.testing.assert_allclose(restored.features, current.numpy(), rtol=1e-5, atol=1e-6)
    assert restored.steps_behind == 0
