import numpy as np
import pytest

from cl_viz.core.errors import ClVizError
from cl_viz.core.frames import GridFrame
from cl_viz.core.grid import LambdaGridRun
from cl_viz.core.lambdas import parse_lambdas
from cl_viz.core.metrics import FeatureMetrics
from cl_viz.core.runs import lambda_title
from cl_viz.core.snapshot import Snapshot
from cl_viz.qt.grid.grid_view import RunGridView
from cl_viz.qt.grid.grid_window import GridWindow

NAMES = [str(k) for k in range(10)]


def test_parse_lambdas():
    assert parse_lambdas("0, 1e-4 0.01") == (0.0, 1e-4, 0.01)
    assert parse_lambdas([0, 0.1]) == (0.0, 0.1)
    for bad, message in (("", "at least one"), ("a, b", "numbers"), ("-1", "≥ 0"), (" ".join(["1"] * 10), "at most")):
        with pytest.raises(ClVizError, match=message):
            parse_lambdas(bad)


def test_grid_runs_share_initial_weights_and_batches(small_config, digits):
    run = LambdaGridRun(small_config, (0.0, 0.01, 0.1), digits)
    first = run.frame()
    assert [s.lam for s in first.snapshots] == [0.0, 0.01, 0.1]
    assert all(np.array_equal(first.snapshots[0].features, s.features) for s in first.snapshots)
    for _ in range(3):
        run.train_step()
    later = run.frame()
    assert later.step == 3 and not np.array_equal(later.snapshots[0].features, later.snapshots[2].features)
    run.set_live(alpha=0.2, lam=5.0)
    assert [s.config.alpha for s in run.sessions] == [0.2] * 3
    assert [s.config.lam for s in run.sessions] == [0.0, 0.01, 0.1]  # each keeps its own λ


def test_grid_window_trains_all_networks(qtbot, small_config):
    window = GridWindow(small_config, (0.0, 0.1), cpu_threads=1)
    qtbot.addWidget(window)
    window.show()
    with qtbot.waitSignal(window.worker_thread.events.frame_ready, timeout=30000,
                          check_params_cb=lambda frame: frame.step >= 1):
        window.single_step()
    qtbot.waitUntil(lambda: window.view is not None and window.view.plots[1].point_count == 100, timeout=5000)
    assert len(window.view.plots) == 2
    window.runs_edit.setText("0, 0.01, 0.1")
    with qtbot.waitSignal(window.worker_thread.events.run_ready, timeout=30000):
        window.reset()
    qtbot.waitUntil(lambda: window.view is not None and len(window.view.plots) == 3, timeout=5000)
    window.close()
    assert not window.worker_thread.thread.isRunning()


def grid_frame(radii) -> GridFrame:
    """Ten classes on a ring of each radius, one network per radius (softmax's wide, λ = 0.1's tight)."""
    rng = np.random.default_rng(0)
    labels = np.arange(400) % 10
    angles = 2 * np.pi * np.arange(10) / 10
    snapshots = []
    for radius in radii:
        centers = radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)
        features = centers[labels] + rng.normal(scale=radius / 10, size=(400, 2))
        snapshots.append(Snapshot(
            step=1, epoch=0.0, lam=0.0, alpha=0.5, lr=0.02, loss_softmax=1.0, loss_center=1.0, loss_total=1.0,
            batch_accuracy=0.5, features=features, labels=labels, predictions=labels, centers=centers,
            classifier_weight=np.zeros((10, 2)), classifier_bias=None,
            metrics=FeatureMetrics(0.9, 0.9, 1.0, 4.0, 0.25, 3.0)))
    return GridFrame(tuple(snapshots))


def widths(view: RunGridView) -> list[float]:
    return [float(np.diff(plot.axes.view_range()[0])[0]) for plot in view.plots]


@pytest.fixture
def shown_grid(qtbot):
    """A λ grid of two plots, 900×450, shown, kept until teardown (see shown_feature_plot in conftest.py)."""
    made = []

    def make(**kwargs) -> RunGridView:
        view = RunGridView(NAMES, [lambda_title(lam) for lam in (0.0, 0.1)], **kwargs)
        made.append(view)
        qtbot.addWidget(view)
        view.resize(900, 450)
        view.show()
        qtbot.waitExposed(view)
        return view

    yield make


def test_each_plot_has_its_own_scale_by_default(shown_grid):
    view = shown_grid()
    assert view.scale == "own" and view.link is None
    view.show_frame(grid_frame((60.0, 3.0)), snap=True)
    wide, tight = widths(view)
    assert tight < wide / 10  # the λ = 0.1 features fill their plot instead of being a knot in the middle


def test_the_shared_scale_is_selectable_and_can_be_switched_either_way(shown_grid):
    frame = grid_frame((60.0, 3.0))
    view = shown_grid(scale="shared")
    view.show_frame(frame, snap=True)
    assert widths(view)[0] == pytest.approx(widths(view)[1]) and view.link is not None
    view.set_scale("own")  # at once, on the frame shown
    assert widths(view)[1] < widths(view)[0] / 10 and view.link is None
    view.set_scale("shared")
    assert widths(view)[0] == pytest.approx(widths(view)[1])
    with pytest.raises(ValueError, match="scale must be one of"):
        view.set_scale("log")


def test_the_grid_window_offers_the_shared_scale_and_starts_without_it(qtbot, small_config):
    window = GridWindow(small_config, (0.0, 0.1), cpu_threads=1)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.view is not None, timeout=30000)
    assert not window.shared_scale.isChecked() and window.view.scale == "own"
    window.shared_scale.click()
    assert window.view.scale == "shared"
    with qtbot.waitSignal(window.worker_thread.events.run_ready, timeout=30000):
        window.reset()
    qtbot.waitUntil(lambda: window.view is not None and window.view.scale == "shared", timeout=5000)  # kept
    window.close()


def test_a_loss_grid_trains_each_head_from_the_same_start(small_config, digits):
    from cl_viz.core.grid import GridRun
    from cl_viz.core.runs import loss_entries, parse_runs

    run = GridRun(loss_entries(small_config, parse_runs("softmax center arcface")), digits)
    assert run.info.run_titles == ("Softmax only", "Center loss (softmax + λ·L_C)", "ArcFace")
    assert [s.config.head for s in run.sessions] == ["softmax", "softmax", "arcface"]
    assert [s.config.lam > 0 for s in run.sessions] == [False, True, False]
    first = run.frame()
    assert all(np.array_equal(first.snapshots[0].features, s.features) for s in first.snapshots)
    run.train_step()
    assert [s.head for s in run.frame().snapshots] == ["softmax", "softmax", "arcface"]


def test_the_loss_family_window_shows_one_plot_per_loss(qtbot, small_config):
    window = GridWindow(small_config, cpu_threads=1, losses=("softmax", "cosface"))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.view is not None and len(window.view.plots) == 2, timeout=30000)
    assert window.windowTitle() == "cl-viz — the loss family"
    with qtbot.waitSignal(window.worker_thread.events.frame_ready, timeout=30000,
                          check_params_cb=lambda frame: frame.step >= 1):
        window.single_step()
    qtbot.waitUntil(lambda: "CosFace (LMCL)   m 0.00" in (window.view.plots[1]._title or ""), timeout=5000)
    window.runs_edit.setText("softmax, tanface")
    window.reset()
    assert window.banner.isVisible() and "unknown loss 'tanface'" in window.banner.text.text()
    window.close()


def test_the_grid_saves_an_image_and_a_bad_name_gets_one_message(qtbot, small_config, tmp_path):
    window = GridWindow(small_config, (0.0, 0.1), cpu_threads=1)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.view is not None and window._drawn is not None, timeout=30000)
    window.save_image(str(tmp_path / "grid.png"))
    assert (tmp_path / "grid.png").read_bytes().startswith(b"\x89PNG")
    window.save_image(str(tmp_path / "grid.jpeg"))
    assert window.banner.isVisible() and "must end in .png, .svg" in window.banner.text.text()
    assert sorted(path.name for path in tmp_path.iterdir()) == ["grid.png"]
    window.close()


def test_the_grid_normalises_every_plot_and_turns_spheres_together(qtbot, small_config):
    from cl_viz.core.projection import Rotation

    window = GridWindow(small_config.replace(feat_dim=3), cpu_threads=1, losses=("softmax", "arcface"))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.view is not None and window._drawn is not None, timeout=30000)
    window.view.plots[0].set_rotation(Rotation(yaw=0.7, pitch=0.2))
    window.view.plots[0].rotation_changed.emit(window.view.plots[0].rotation)
    assert window.view.plots[1].rotation == window.view.plots[0].rotation
    window.normalise.click()
    assert all(plot.feature_view.normalise for plot in window.view.plots)
    window.close()
