"""The head's controls: choosing a head brings its settings and needs a reset; s, m and the margin
warm-up apply live to the running head; the formula, the margin's unit and the 2-D bound are shown."""

import numpy as np
import pytest

from cl_viz.core.config import DEFAULTS
from cl_viz.core.margins import HEAD_INFO, HEADS, feasible_margin
from cl_viz.core.metrics import FeatureMetrics
from cl_viz.core.runs import for_head
from cl_viz.core.snapshot import Snapshot
from cl_viz.qt.window.control_panel import ControlPanel
from cl_viz.qt.window.head_controls import margin_status, plot_title


@pytest.fixture
def panel(qtbot):
    widget = ControlPanel()
    qtbot.addWidget(widget)
    widget.set_config(DEFAULTS, False)
    widget.mark_applied(DEFAULTS, False)
    return widget


def choose(panel, head):
    panel.head.setCurrentIndex(panel.head.findData(head))


def row_shown(panel, name):
    controls = panel.head_controls
    widget = controls._margin_row if name == "margin" else getattr(controls, name)
    return controls.form.isRowVisible(widget)


def test_choosing_a_head_brings_its_settings_and_needs_a_reset(panel):
    choose(panel, "arcface")
    assert panel.config(DEFAULTS) == for_head(DEFAULTS, "arcface")
    assert (panel.optimizer.currentData(), panel.lr.value(), panel.margin.value()) == ("adam", 3e-3, 0.3)
    assert panel.needs_reset() and panel.pending.isVisibleTo(panel)
    choose(panel, "softmax")
    assert panel.config(DEFAULTS) == DEFAULTS and not panel.needs_reset()


@pytest.mark.parametrize("head, shown", [
    ("softmax", set()), ("normface", {"scale"}), ("sphereface", {"margin", "annealing"}),
    ("cosface", {"scale", "margin", "margin_warmup_steps"}), ("arcface", {"scale", "margin", "margin_warmup_steps"}),
])
def test_only_the_controls_a_head_uses_are_shown(panel, head, shown):
    choose(panel, head)
    rows = {"scale", "margin", "margin_warmup_steps", "annealing"}
    assert {name for name in rows if row_shown(panel, name)} == shown
    assert panel.head_controls.formula.text().endswith(HEAD_INFO[head].formula)


def test_sphereface_takes_whole_numbers_and_arcface_says_degrees(panel):
    choose(panel, "sphereface")
    assert (panel.margin.minimum(), panel.margin.singleStep(), panel.margin.decimals()) == (1.0, 1.0, 0)
    panel.margin.setValue(2.6)
    assert panel.margin.value() == 3.0
    choose(panel, "arcface")
    panel.margin.setValue(0.5)
    assert panel.head_controls.margin_unit.text() == "radians (28.6°)"
    assert panel.margin.maximum() < 3.1416


def test_the_2d_bound_and_its_warning(panel):
    controls = panel.head_controls
    choose(panel, "cosface")
    assert controls.form.isRowVisible(controls.bound)
    assert f"m < {feasible_margin('cosface', 10, 2):.3g}" in controls.bound.text() == \
        "In 2-D, 10 evenly spread classes allow m < 0.191."
    assert not controls.form.isRowVisible(controls.bound_warning)
    panel.margin.setValue(0.35)
    assert controls.form.isRowVisible(controls.bound_warning)
    assert controls.bound_warning.text() == "m too large for 10 classes in 2-D: no arrangement satisfies it."
    panel.feat_dim.setCurrentIndex(panel.feat_dim.findData(3))
    assert not controls.form.isRowVisible(controls.bound) and not controls.form.isRowVisible(controls.bound_warning)


def test_s_m_and_the_warm_up_go_live_only_to_the_running_head(panel, qtbot):
    arcface = for_head(DEFAULTS, "arcface")
    panel.set_config(arcface, False)
    panel.mark_applied(arcface, False)
    sent = []
    panel.live_changed.connect(sent.append)
    panel.margin.setValue(0.2)
    panel.scale.set_value(16.0)
    panel.margin_warmup_steps.setValue(50)
    assert sent == [{"margin": 0.2}, {"scale": 16.0}, {"margin_warmup_steps": 50}]
    sent.clear()
    choose(panel, "cosface")  # pending: its s and m wait for the reset
    panel.margin.setValue(0.15)
    assert sent == [] and panel.needs_reset()
    choose(panel, "arcface")  # back on the running head: its own settings apply at once
    assert sent == [{"lr": 3e-3, "scale": 10.0, "margin": 0.3, "margin_warmup_steps": 300}]
    assert not panel.needs_reset()


@pytest.mark.parametrize("head", HEADS)
def test_every_head_round_trips_through_the_panel(panel, head):
    config = for_head(DEFAULTS, head).replace(margin_warmup_steps=7, scale=4.5)
    panel.set_config(config, False)
    assert panel.config(DEFAULTS) == config


def test_status_and_titles_name_the_head():
    def snapshot(head, step, margin, effective):
        return Snapshot(step=step, epoch=0.0, lam=0.0, alpha=0.5, lr=0.05, loss_softmax=1.0, loss_center=0.0,
                        loss_total=1.0, batch_accuracy=0.5, features=np.zeros((1, 2)), labels=np.zeros(1, int),
                        predictions=np.zeros(1, int), centers=np.zeros((10, 2)), classifier_weight=np.ones((10, 2)),
                        classifier_bias=None, metrics=FeatureMetrics(*[0.0] * 6), head=head, margin=margin,
                        effective_margin=effective)

    assert margin_status(snapshot("softmax", 5, 0.0, 0.0)) == ""
    assert margin_status(snapshot("normface", 5, 0.0, 0.0)) == ""
    assert margin_status(snapshot("arcface", 150, 0.3, 0.15)) == "margin m = 0.15 of 0.3 (warming up)"
    assert margin_status(snapshot("cosface", 400, 0.1, 0.1)) == "margin m = 0.1 of 0.1"
    assert margin_status(snapshot("sphereface", 0, 4.0, 1.003)) == \
        "SphereFace annealing: λ_s = 1000.0, effective m = 1 of 4"
    assert plot_title("softmax", 0.01) == "center loss  λ = 0.01"
    assert plot_title("softmax", 0.0) == "softmax only  (λ = 0)"
    assert plot_title("arcface", 0.0) == "ArcFace  (λ = 0)"
    assert plot_title("cosface", 0.1) == "CosFace (LMCL) + center loss  λ = 0.1"


def test_a_margin_changed_mid_run_reaches_the_session_and_the_status_bar(qtbot, open_window, small_config):
    window = open_window(for_head(small_config, "arcface").replace(lam=0.0, margin_warmup_steps=0), autostart=True)
    assert window.plot._title == "ArcFace  (λ = 0)"
    window.controls.margin.setValue(0.2)
    with qtbot.waitSignal(window.worker_thread.events.frame_ready, timeout=30000,
                          check_params_cb=lambda frame: frame.primary.effective_margin == 0.2):
        pass
    qtbot.waitUntil(lambda: window.status["margin"].text() == "margin m = 0.2 of 0.2", timeout=10000)
    choose(window.controls, "softmax")  # pending: the ArcFace run keeps its m
    window.controls.restore_defaults.click()
    with qtbot.waitSignal(window.worker_thread.events.frame_ready, timeout=30000):
        window.controls.margin_warmup_steps.setValue(3)  # not sent: the panel shows another head now
    assert window.playback.latest.primary.margin == 0.2 and window.controls.needs_reset()


def test_a_lesson_can_hide_the_head_choice(panel):
    setup_form = panel.head.parentWidget().layout()
    panel.set_hidden(["head"])
    assert not setup_form.isRowVisible(panel.head)
    panel.set_hidden([])
    assert setup_form.isRowVisible(panel.head)
