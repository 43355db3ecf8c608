"""cl_viz.watch: a loop that is not cl-viz's records frames that `cl-viz replay` reads and draws."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from cl_viz.core.errors import ClVizError
from cl_viz.core.recording import load_recording
from cl_viz.watch import Watch

CLASSES = [str(digit) for digit in range(10)]


def watched_loop(path, steps=30, every=10):
    """A hand-written loop on random data with the README's CenterLoss, watched every `every` steps."""
    from cl_viz.core.losses import CenterLoss

    torch.manual_seed(0)
    probe, probe_labels = torch.randn(40, 16), torch.arange(40) % 10
    net, classifier = torch.nn.Linear(16, 2), torch.nn.Linear(2, 10, bias=False)
    center_loss = CenterLoss(10, 2)
    optimizer = torch.optim.SGD([*net.parameters(), *classifier.parameters()], lr=0.1)
    watch = Watch(path, CLASSES, every=every, lam=0.1)
    for step in range(steps + 1):
        if watch.due(step):
            with torch.no_grad():
                features = net(probe)
            watch(step, features, probe_labels, center_loss.centers, logits=classifier(features),
                  classifier_weight=classifier.weight, loss_softmax=1.0, loss_center=0.5)
        images, labels = torch.randn(32, 16), torch.randint(0, 10, (32,))
        features = net(images)
        loss = torch.nn.functional.cross_entropy(classifier(features), labels) + 0.1 * center_loss(features, labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        center_loss.update_centers(features, labels)
    return watch


def test_a_watched_loop_writes_a_recording_that_plays(tmp_path):
    path = watched_loop(tmp_path / "mine.clviz").save()
    recording = load_recording(path)
    assert [frame.step for frame in recording.frames] == [0, 10, 20, 30]
    assert recording.class_names == tuple(CLASSES) and recording.run.dataset_source == "your loop"
    last = recording.frames[-1].primary
    assert last.features.shape == (40, 2) and last.centers.shape == (10, 2) and last.loss_center == 0.5
    assert not np.array_equal(recording.frames[0].primary.centers, last.centers)


def test_the_app_draws_a_watched_recording(qtbot, tmp_path):
    from cl_viz.qt.export.animation import export_animation

    recording = load_recording(watched_loop(tmp_path / "mine.clviz").save())
    assert export_animation(recording.frames, recording.class_names, tmp_path / "mine.gif", fps=5, size=(300, 200))


def test_the_watched_points_must_stay_the_same(tmp_path):
    watch = Watch(tmp_path / "x.clviz", CLASSES)
    watch(0, np.zeros((4, 2)), np.array([0, 1, 2, 3]), np.zeros((10, 2)))
    with pytest.raises(ClVizError, match="the watched points changed"):
        watch(10, np.zeros((4, 2)), np.array([3, 2, 1, 0]), np.zeros((10, 2)))
    with pytest.raises(ClVizError, match=r"centers must be \(10, 2\)"):
        watch(20, np.zeros((4, 2)), np.array([0, 1, 2, 3]), np.zeros((9, 2)))


def test_nothing_watched_is_nothing_to_save(tmp_path):
    with pytest.raises(ClVizError, match="nothing to record"):
        Watch(tmp_path / "x.clviz", CLASSES).save()
