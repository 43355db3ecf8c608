"""The main window's circle and sphere views: a 3-D run on the unit sphere, View > Normalise features,
and the feature dimension as a Setup control."""

from __future__ import annotations

import numpy as np

from cl_viz.qt.window.control_panel import ControlPanel
from cl_viz.qt.window.settings import load_view


def radii(xy: np.ndarray) -> np.ndarray:
    return np.hypot(xy[:, 0], xy[:, 1])


def test_a_3d_run_draws_its_points_inside_the_unit_circle(qtbot, open_window, small_config):
    window = open_window(small_config.replace(feat_dim=3))
    plot = window.plot
    qtbot.waitUntil(lambda: plot.point_count == 100, timeout=10000)
    assert plot.shape == "sphere" and window.controls.feat_dim.currentData() == 3
    assert (radii(plot._points.positions) <= 1.0 + 1e-9).all()
    assert "unit sphere" in plot.plot_item.titleLabel.text
    tips, _ = plot._guide.tips()
    assert tips.shape == (10, 2) and (radii(tips) <= 1.0 + 1e-9).all()


def test_the_normalise_action_puts_every_point_on_the_unit_circle_and_is_remembered(qtbot, open_window, settings):
    window = open_window()
    plot = window.plot
    qtbot.waitUntil(lambda: plot.point_count == 100, timeout=10000)
    assert window.normalise_features in window.menuBar().actions()[1].menu().actions()
    window.normalise_features.trigger()
    assert plot.shape == "circle"
    np.testing.assert_allclose(radii(plot._points.positions), 1.0)
    window.save_settings()
    assert load_view(settings)["normalise_features"] is True
    window.restore_defaults()
    assert not window.normalise_features.isChecked() and plot.shape == "plane"


def test_the_feature_dimension_is_a_setup_control_that_needs_a_reset(qtbot, small_config):
    panel = ControlPanel()
    qtbot.addWidget(panel)
    panel.set_config(small_config, False)
    panel.mark_applied(small_config, False)
    assert panel.values()["feat_dim"] == 2 and not panel.needs_reset()
    panel.feat_dim.setCurrentIndex(panel.feat_dim.findData(3))
    assert panel.config(small_config).feat_dim == 3 and panel.needs_reset()
    assert panel.pending.isVisibleTo(panel)
