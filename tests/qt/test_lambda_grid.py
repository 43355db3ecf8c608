import numpy as np
import pytest

from cl_viz.core.errors import ClVizError
from cl_viz.core.grid import LambdaGridRun
from cl_viz.core.lambdas import parse_lambdas
from cl_viz.qt.grid.grid_window import GridWindow


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
    window.lambda_edit.setText("0, 0.01, 0.1")
    with qtbot.waitSignal(window.worker_thread.events.run_ready, timeout=30000):
        window.reset()
    qtbot.waitUntil(lambda: window.view is not None and len(window.view.plots) == 3, timeout=5000)
    window.close()
    assert not window.worker_thread.thread.isRunning()
