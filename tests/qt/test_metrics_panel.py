import dataclasses
import math

import numpy as np
import pytest

from cl_viz.core.frames import Frame
from cl_viz.core.metrics import FeatureMetrics
from cl_viz.core.snapshot import Snapshot
from cl_viz.qt.window.metrics_panel import GRAPHS, NEUTRAL, RUN_COLORS, MetricsPanel


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


@pytest.fixture
def shown_panel(qtbot):
    """A panel as in the main window: the graphs inside a shown holder, 1000×220, kept until teardown
    (see shown_feature_plot in conftest.py)."""
    from PySide6.QtWidgets import QLayout, QVBoxLayout, QWidget

    made = []

    def make(compare: bool) -> MetricsPanel:
        panel = MetricsPanel(capacity=50)
        holder = QWidget()
        made.append((panel, holder))
        layout = QVBoxLayout(holder)
        layout.setSizeConstraint(QLayout.SizeConstraint.SetNoConstraint)
        layout.addWidget(panel.graphs)
        qtbot.addWidget(holder)
        holder.resize(1000, 220)
        holder.show()
        qtbot.waitExposed(holder)
        panel.clear(compare=compare)
        return panel

    yield make


def drawn_names(panel: MetricsPanel) -> dict[str, list[str]]:
    for graph in GRAPHS:
        panel.refresh_graph(graph)
    return {graph: legend.names for graph, legend in panel.legends.items()}


def test_the_legends_list_only_what_is_drawn(shown_panel):
    alone = shown_panel(compare=False)
    assert drawn_names(alone) == {"loss": [], "accuracy": [], "ratio": []}  # nothing drawn yet
    feed(alone, range(1, 6))  # the comparison's frames arrive, but it is not drawn
    assert drawn_names(alone) == {"loss": ["L_S", "λ·L_C"], "accuracy": ["probe (classifier)", "nearest center"],
                                  "ratio": []}
    assert all(entry.color == RUN_COLORS["primary"] for legend in alone.legends.values() for entry in legend.entries)
    compared = shown_panel(compare=True)
    feed(compared, range(1, 6))
    names = drawn_names(compared)
    assert names["ratio"] == ["center loss", "softmax only"]
    assert names["loss"] == ["L_S", "λ·L_C"] and all(e.color == NEUTRAL for e in compared.legends["loss"].entries)
    compared.clear(compare=False)
    assert drawn_names(compared)["ratio"] == []


def test_a_legend_leaves_out_a_curve_with_nothing_to_draw(shown_panel):
    panel = shown_panel(compare=False)
    panel.add_frame(Frame(snapshot(1, 0.0, 0.5, 0.1), None))  # λ = 0: λ·L_C is 0, nothing on a log scale
    assert drawn_names(panel)["loss"] == ["L_S"]


def test_no_legend_covers_the_data(shown_panel, qtbot):
    panel = shown_panel(compare=True)
    feed(panel, range(1, 30))
    drawn_names(panel)
    qtbot.waitUntil(lambda: all(legend.item.sceneBoundingRect().height() > 0 for legend in panel.legends.values()))
    for graph, plot in panel.plots.items():
        legend = panel.legends[graph].item
        data_area = plot.getViewBox().sceneBoundingRect()
        assert not legend.sceneBoundingRect().intersects(data_area), graph
        assert legend.sceneBoundingRect().bottom() <= data_area.top() and plot.titleLabel.sceneBoundingRect().bottom() \
            <= legend.sceneBoundingRect().top() + 1


def test_a_legend_sample_click_does_not_hide_its_curve(shown_panel):
    panel = shown_panel(compare=False)
    feed(panel, range(1, 4))
    drawn_names(panel)
    from cl_viz.qt.common.pyqtgraph_private import legend_rows

    sample, _ = legend_rows(panel.legends["loss"].item)[0]

    class Click:
        accepted = False

        def accept(self):
            self.accepted = True

    sample.mouseClickEvent(Click())
    assert all(curve.isVisible() for curve in panel.curves["primary"].values())


def test_the_intra_inter_ratio_is_on_a_log_scale(panel):
    assert panel.plots["ratio"].getAxis("left").logMode and panel.plots["loss"].getAxis("left").logMode
    assert not panel.plots["accuracy"].getAxis("left").logMode


@pytest.mark.parametrize("graph, key", [("ratio", "ratio"), ("loss", "loss_softmax")])
def test_log_graphs_skip_zero_negative_and_non_finite_values_and_still_paint(shown_panel, graph, key):
    panel = shown_panel(compare=False)
    values = [4.0, 0.0, -1.0, float("nan"), float("inf"), float("-inf"), 1e-300, 0.2]
    for step, value in enumerate(values, start=1):
        base = snapshot(step, 0.1, value, 0.5)
        metrics = dataclasses.replace(base.metrics, ratio=value)
        panel.add_frame(Frame(dataclasses.replace(base, metrics=metrics), None))
    panel.refresh_graph(graph)
    assert curve_data(panel, "primary", key)[0].tolist() == [1, 7, 8]
    panel.graphs.grab()  # paints: a guard that caught anything fails the test (conftest)
    for value in values:  # a graph that only ever saw one kind of bad value
        panel.clear(compare=False)
        base = snapshot(1, 0.1, value, 0.5)
        panel.add_frame(Frame(dataclasses.replace(base, metrics=dataclasses.replace(base.metrics, ratio=value)), None))
        panel.refresh_graph(graph)
        panel.graphs.grab()


def test_a_log_axis_of_few_decades_labels_decades_first():
    from cl_viz.qt.plot.log_axis import few_decade_ticks

    levels = few_decade_ticks(math.log10(0.095), math.log10(8))  # the ratio graph early in a run
    assert [10 ** v for v in levels[0][1]] == pytest.approx([0.1, 1.0])
    assert [10 ** v for v in levels[1][1]] == pytest.approx([0.2, 0.5, 2, 5])
    assert len(levels[2][1]) == 11
    for low, high in ((0.0, 0.0), (1.0, float("nan")), (-float("inf"), 1.0), (0.0, 5.0)):
        assert few_decade_ticks(low, high) == []  # nothing to tick, or pyqtgraph's own above 3 decades


def test_angular_rows_show_degrees_and_a_dash_where_not_measured(panel):
    base = snapshot(1, 0.1, 0.5, 0.9)
    measured = dataclasses.replace(base.metrics, angular_ratio=0.0834, angular_fisher=0.01234,
                                   min_angular_gap=math.radians(31.04))
    panel.add_frame(Frame(dataclasses.replace(base, metrics=measured), snapshot(1, 0.0, 2.0, 0.3)))  # NaN: old file
    panel.refresh_numbers()
    shown = {key: (panel.values[("primary", key)].text(), panel.values[("comparison", key)].text())
             for key in ("angular_ratio", "angular_fisher", "min_angular_gap")}
    assert shown == {"angular_ratio": ("0.083", "–"), "angular_fisher": ("0.0123", "–"),
                     "min_angular_gap": ("31.0°", "–")}


def test_the_columns_are_named_after_the_runs(panel):
    panel.set_run_names({"primary": "ArcFace"})
    assert "ArcFace" in panel.headers["primary"].text() and "softmax only" in panel.headers["comparison"].text()


def test_the_accuracy_graph_names_the_images_its_probe_holds(panel):
    assert "test images" in panel.plots["accuracy"].titleLabel.text
    panel.set_probe_split("train")
    assert "training images" in panel.plots["accuracy"].titleLabel.text
