import numpy as np
import pytest

from cl_viz.core.frames import Frame
from cl_viz.core.metrics import FeatureMetrics
from cl_viz.core.snapshot import Snapshot
from cl_viz.qt.window.metrics_panel import GRAPHS, MetricsPanel


def snapshot(step: int, lam: float, loss_softmax: float, probe_accuracy: float, known: bool = True) -> Snapshot:
    return Snapshot(step=step, epoch=0.0, lam=lam, alpha=0.5, lr=0.05, loss_softmax=loss_softmax, loss_center=2.0,
                    loss_total=loss_softmax + lam * 2.0, batch_accuracy=0.5, features=np.zeros((1, 2)),
                    labels=np.zeros(1, int), predictions=np.zeros(1, int), centers=np.zeros((10, 2)),
                    classifier_weight=np.zeros((10, 2)), classifier_bias=None,
                    metrics=FeatureMetrics(probe_accuracy, probe_accuracy / 2, 1.0, 4.0, 0.25, 3.0),
                    losses_known=known)


@pytest.fixture
def panel(qtbot):
    panel = MetricsPanel(capacity=50)
    qtbot.addWidget(panel.graphs)
    qtbot.addWidget(panel.table)
    panel.clear(compare=True)
    return panel


def feed(panel: MetricsPanel, steps) -> None:
    for step in steps:
        panel.add_frame(Frame(snapshot(step, 0.1, 1.0 / (step + 1), step / 100), snapshot(step, 0.0, 2.0, 0.3)))


def curve_data(panel: MetricsPanel, run: str, key: str) -> tuple[np.ndarray, np.ndarray]:
    curve = panel.curves[run][key]  # xData, yData: as given, before the log scale maps them
    return (np.array([]), np.array([])) if curve.xData is None else (curve.xData, curve.yData)


def test_each_graph_plots_both_runs(panel):
    feed(panel, range(1, 11))
    for graph in GRAPHS:
        panel.refresh_graph(graph)
    steps, loss = curve_data(panel, "primary", "loss_softmax")
    assert steps.tolist() == list(range(1, 11))
    assert loss == pytest.approx([1.0 / (s + 1) for s in range(1, 11)])
    assert curve_data(panel, "primary", "weighted_center")[1] == pytest.approx([0.2] * 10)  # λ·L_C
    assert curve_data(panel, "comparison", "probe_accuracy")[1] == pytest.approx([0.3] * 10)
    assert curve_data(panel, "comparison", "ratio")[1] == pytest.approx([0.25] * 10)
    assert "weighted_center" not in panel.curves["comparison"]  # λ = 0: no center-loss curve


def test_refreshing_one_graph_leaves_the_others(panel):
    feed(panel, range(1, 4))
    panel.refresh_graph("accuracy")
    assert len(curve_data(panel, "primary", "probe_accuracy")[0]) == 3
    assert len(curve_data(panel, "primary", "loss_softmax")[0]) == 0


def test_numbers_show_the_latest_values(panel):
    feed(panel, range(1, 6))
    panel.refresh_numbers()
    assert panel.values[("primary", "probe_accuracy")].text() == "5.0%"
    assert panel.values[("comparison", "loss_softmax")].text() == "2.000"


def test_log_scale_losses_skip_zero_and_non_finite_values(panel):
    panel.add_frame(Frame(snapshot(1, 0.1, 0.5, 0.1), None))
    panel.add_frame(Frame(snapshot(2, 0.1, 0.0, 0.1), None))
    panel.add_frame(Frame(snapshot(3, 0.1, float("nan"), float("nan")), None))
    panel.add_frame(Frame(snapshot(4, 0.1, 0.25, 0.2), None))
    for graph in GRAPHS:
        panel.refresh_graph(graph)
    assert curve_data(panel, "primary", "loss_softmax")[0].tolist() == [1, 4]
    assert curve_data(panel, "primary", "probe_accuracy")[0].tolist() == [1, 2, 4]
    panel.refresh_numbers()
    assert panel.values[("primary", "loss_softmax")].text() == "0.250"


def test_frames_before_the_first_step_and_repeated_steps_are_not_recorded(panel):
    panel.add_frame(Frame(snapshot(0, 0.1, float("nan"), 0.1, known=False), None))
    feed(panel, [1, 1, 2])
    assert len(panel.histories["primary"]) == 2


def test_history_stays_bounded_over_a_long_run(panel):
    feed(panel, range(1, 1001))
    panel.refresh_graph("loss")
    steps = curve_data(panel, "primary", "loss_softmax")[0]
    assert len(steps) <= 50 and steps[0] == 1 and steps[-1] > 950  # evenly thinned, recent kept


def test_curves_are_due_a_few_times_a_second(panel):
    assert panel.curves_due()
    assert not panel.curves_due()  # straight after: not yet
    panel.clear(compare=False)
    assert panel.curves_due()  # a new run draws at once
