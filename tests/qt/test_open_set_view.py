"""The open-set view in the main window: unknowns drawn hollow, the analysis thread's figures, the
threshold and its shaded region, the pair inspector, the Setup choice and the app's flags."""

import argparse

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt

from cl_viz.cli.arguments import build_parser
from cl_viz.core.openset_scores import open_set_score, operating_point, threshold_for_share
from cl_viz.qt.app import initial_setup
from cl_viz.qt.openset.openset_panel import table_rows
from cl_viz.qt.window.settings import DEFAULTS

pytestmark = pytest.mark.usefixtures("qapp")


@pytest.fixture
def open_set_config(small_config):
    return small_config.replace(unknown_classes=(6, 7, 8, 9), probe_size=120)


def trained_window(qtbot, open_window, config, compare=True, steps=40):
    window = open_window(config, compare)
    with qtbot.waitSignal(window.worker_thread.events.frame_ready, timeout=60000,
                          check_params_cb=lambda frame: frame.step >= steps):
        qtbot.keyClick(window, Qt.Key.Key_Space)
    qtbot.keyClick(window, Qt.Key.Key_Space)  # pause: the next frame re-embeds every point
    qtbot.waitUntil(lambda: not window.running, timeout=10000)
    return window


def analysed(window):
    panel = window.open_set
    return panel.analyses is not None and all(run is not None for run in panel.analyses.runs)


def test_a_run_with_unknowns_draws_them_hollow_and_opens_the_panel(qtbot, open_window, open_set_config):
    window = open_window(open_set_config)
    assert window.open_set_dock.isVisible()
    frame = window.playback.shown()
    unknowns = frame.primary.unknown_features
    assert unknowns is not None and len(unknowns) > 0
    assert set(frame.primary.unknown_labels) <= {6, 7, 8, 9}
    qtbot.waitUntil(lambda: len(window.plot.unknown_points.positions) == len(unknowns), timeout=5000)
    assert window.plot.n_classes == 6  # the classifier has the known classes only
    rows = [label.text for _sample, label in window.plot.legend.items]
    assert rows[-1] == "unknown"
    assert "6, 7, 8, 9" in window.open_set.status.text()


def test_a_run_without_unknowns_keeps_the_panel_closed(open_window, small_config):
    window = open_window(small_config)
    assert not window.open_set_dock.isVisible()
    assert len(window.plot.unknown_points.positions) == 0
    assert window.playback.shown().primary.unknown_features is None


def test_the_analysis_arrives_from_its_thread_for_both_runs_and_matches_the_core(qtbot, open_window,
                                                                                open_set_config):
    window = trained_window(qtbot, open_window, open_set_config)
    qtbot.waitUntil(lambda: analysed(window), timeout=20000)
    panel = window.open_set
    analysis = panel.run_analysis("primary")
    assert set(analysis.aurocs) == {"max_softmax", "max_logit", "center_distance", "center_cosine"}
    assert all(0.0 <= value <= 1.0 for value in analysis.aurocs.values())
    assert analysis.score == "center_distance" and analysis.verification is not None
    assert panel.oscr_plot.getPlotItem().listDataItems()[0].xData is not None
    assert analysis.curve.fpr[0] == 0.0 and analysis.curve.fpr[-1] == 1.0


def settled(window):
    """The analysis of the frame on screen has arrived (paused: no newer frame comes)."""
    panel = window.open_set
    return (panel.analyses is not None and not panel._awaiting
            and panel.analyses.step == window.playback.shown().step)


def test_moving_the_threshold_changes_ccr_fpr_and_the_shaded_region(qtbot, open_window, open_set_config):
    window = trained_window(qtbot, open_window, open_set_config, compare=False)
    qtbot.waitUntil(lambda: settled(window), timeout=20000)
    panel, acceptance = window.open_set, window.plot.acceptance
    analysis = panel.run_analysis("primary")

    def point(share):
        return operating_point(analysis.known, analysis.known_labels, analysis.unknown_scores,
                               threshold_for_share(analysis.known.scores, share))

    with qtbot.waitSignal(acceptance.recomputed, timeout=5000):
        panel.share.setValue(99)
    assert panel.operating_points()["primary"] == point(0.99)
    loose_accepted = acceptance.accepted.sum()
    with qtbot.waitSignal(acceptance.recomputed, timeout=5000):
        panel.share.setValue(60)
    strict, loose = panel.operating_points()["primary"], point(0.99)
    assert strict == point(0.6)
    assert strict.threshold > loose.threshold
    assert strict.fpr <= loose.fpr and strict.ccr <= loose.ccr
    assert acceptance.image_item.isVisible()
    assert 0 < acceptance.accepted.sum() < loose_accepted  # a stricter threshold accepts less of the plane
    snapshot = panel._analysed_snapshot("primary")
    center = snapshot.centers[:1].astype(np.float64)
    assert open_set_score("center_distance", center, snapshot).scores[0] >= strict.threshold  # a center is accepted


def test_clicking_two_unknown_points_inspects_the_pair(qtbot, open_window, open_set_config):
    window = trained_window(qtbot, open_window, open_set_config)
    qtbot.waitUntil(lambda: analysed(window), timeout=20000)
    labels = window.playback.shown().primary.unknown_labels
    same = np.flatnonzero(labels == labels[0])[:2]
    window.plot.unknown_clicked.emit(int(same[0]))
    assert "second" in window.open_set.pair_text.text()
    window.plot.unknown_clicked.emit(int(same[1]))
    text = window.open_set.pair_text.text()
    assert "Truth: same class" in text and "d = " in text and "FAR 0.01" in text
    assert window.open_set_pair == (int(same[0]), int(same[1]))
    qtbot.waitUntil(lambda: window.plot._pair.isVisible(), timeout=5000)
    other = int(np.flatnonzero(labels != labels[0])[0])
    window.plot.unknown_clicked.emit(other)  # a third click starts a new pair
    window.plot.unknown_clicked.emit(int(same[0]))
    assert "different classes" in window.open_set.pair_text.text()


def test_a_real_click_on_an_unknown_point_picks_it(qtbot, open_window, open_set_config):
    window = open_window(open_set_config)
    plot = window.plot
    qtbot.waitUntil(lambda: len(plot.unknown_points.positions) > 0, timeout=5000)
    x, y = plot.unknown_points.positions[0]
    scene = plot.view_box.mapViewToScene(QPointF(float(x), float(y)))
    view_pos = plot.graphics_view.mapFromScene(scene)
    with qtbot.waitSignal(plot.unknown_clicked, timeout=5000) as blocker:
        qtbot.mouseClick(plot.graphics_view.viewport(), Qt.MouseButton.LeftButton, pos=view_pos)
    picked = plot.unknown_points.positions[list(plot.unknown_points.indices).index(blocker.args[0])]
    pixel = plot.view_box.viewPixelSize()
    assert abs(picked[0] - x) <= 8 * pixel[0] and abs(picked[1] - y) <= 8 * pixel[1]


def test_changing_the_score_reanalyses_with_it(qtbot, open_window, open_set_config):
    window = trained_window(qtbot, open_window, open_set_config, compare=False)
    qtbot.waitUntil(lambda: window.open_set.run_analysis("primary") is not None, timeout=20000)
    panel = window.open_set
    panel.score.setCurrentIndex(panel.score.findData("max_softmax"))
    qtbot.waitUntil(lambda: panel.run_analysis("primary").score == "max_softmax", timeout=20000)
    rows = table_rows("max_softmax", "euclidean", {"primary": panel.run_analysis("primary")},
                      panel.operating_points(), ("max_softmax", "center_distance"))
    bold = [title for title, _cells, is_bold in rows if is_bold]
    assert bold[0].startswith("AUROC, max softmax")


def test_setup_lists_the_splits_and_a_reset_applies_one(qtbot, open_window, small_config):
    window = open_window(small_config)
    combo = window.controls.open_set
    titles = [combo.itemText(i) for i in range(combo.count())]
    assert titles[0].startswith("None") and any("6, 7, 8, 9" in title for title in titles)
    combo.setCurrentIndex(next(i for i, title in enumerate(titles) if "6, 7, 8, 9" in title))
    assert window.controls.needs_reset()
    with qtbot.waitSignal(window.worker_thread.events.run_ready, timeout=60000):
        window.request_reset()
    qtbot.waitUntil(lambda: window.open_set_dock.isVisible(), timeout=10000)
    assert window.info.config.unknown_classes == (6, 7, 8, 9)


def test_a_config_with_an_unlisted_split_shows_it_in_setup(open_window, small_config):
    window = open_window(small_config.replace(unknown_classes=(0, 1)))
    assert window.controls.open_set.currentText() == "Unknown classes 0, 1"
    assert window.controls.config().unknown_classes == (0, 1)


def test_the_app_flags_hold_classes_out():
    args = build_parser().parse_args(["--unknown-classes", "6", "7", "8", "9", "--unknown-dataset", "kmnist"])
    config, _ = initial_setup(DEFAULTS, False, args)
    assert config.unknown_classes == (6, 7, 8, 9) and config.unknown_dataset == "kmnist"
    config, _ = initial_setup(DEFAULTS, False, argparse.Namespace())
    assert config.unknown_classes == () and config.unknown_dataset is None
