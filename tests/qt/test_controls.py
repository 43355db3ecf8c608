"""The control panel's number boxes and setup controls hold every value TrainConfig accepts that a
lecture needs: λ = 1e-6 stays 1e-6, a learning rate below the slider's range, batches of 1 and 8192."""

import pytest
from PySide6.QtCore import Qt

from cl_viz.qt.common.sliders import TICKS, ValueSlider
from cl_viz.qt.window import control_panel
from cl_viz.qt.window.control_panel import ControlPanel
from cl_viz.qt.window.settings import DEFAULTS


@pytest.fixture
def panel(qtbot):
    widget = ControlPanel()
    qtbot.addWidget(widget)
    return widget


def lambda_slider(qtbot):
    slider = ValueSlider(1e-5, 1.0, 0.01, log=True, decimals=5, allow_zero=True, box_maximum=100.0)
    qtbot.addWidget(slider)
    return slider


def type_into(qtbot, box, text):
    box.lineEdit().selectAll()
    qtbot.keyClicks(box, text)
    qtbot.keyClick(box, Qt.Key.Key_Return)


@pytest.mark.parametrize("value, text", [(1e-6, "1e-06"), (3e-9, "3e-09"), (0.01, "0.01"), (0.0, "0"),
                                         (100.0, "100"), (0.123456, "0.123456")])
def test_the_lambda_box_shows_and_keeps_small_values_exactly(qtbot, value, text):
    slider = lambda_slider(qtbot)
    slider.set_value(value)
    assert slider.value() == value and slider.box.text() == text


def test_a_small_lambda_typed_in_the_box_reaches_the_listeners(qtbot):
    slider = lambda_slider(qtbot)
    with qtbot.waitSignal(slider.value_changed, check_params_cb=lambda value: value == 1e-6):
        type_into(qtbot, slider.box, "1e-6")
    assert slider.box.text() == "1e-06"
    assert slider.slider.value() == 1  # below the slider's range: its first position after 0


def test_the_box_takes_a_decimal_comma(qtbot):
    slider = lambda_slider(qtbot)
    type_into(qtbot, slider.box, "0,02")
    assert slider.value() == 0.02 and slider.box.text() == "0.02"


def test_the_box_refuses_what_is_not_a_number_and_keeps_its_value(qtbot):
    slider = lambda_slider(qtbot)
    type_into(qtbot, slider.box, "abc")
    assert slider.value() == 0.01
    type_into(qtbot, slider.box, "1e-")  # unfinished: the box returns to the value it had
    assert slider.value() == 0.01 and slider.box.text() == "0.01"


def test_zero_is_the_leftmost_position_of_a_log_slider_with_zero(qtbot):
    slider = lambda_slider(qtbot)
    with qtbot.waitSignal(slider.value_changed, check_params_cb=lambda value: value == 0.0):
        slider.slider.setValue(0)
    assert slider.box.text() == "0"
    slider.set_value(0.5)
    type_into(qtbot, slider.box, "0")
    assert slider.value() == 0.0 and slider.slider.value() == 0


def test_the_log_slider_still_moves_in_round_numbers(qtbot):
    slider = lambda_slider(qtbot)
    slider.slider.setValue(TICKS)
    assert slider.value() == 1.0
    slider.slider.setValue(1)
    assert slider.value() == 1e-5 and slider.box.text() == "1e-05"
    slider.slider.setValue(600)
    assert float(slider.box.text()) == slider.value() == float(f"{slider.value():.2g}")


def test_the_linear_alpha_slider_rounds_to_its_decimals(panel):
    panel.alpha.slider.setValue(333)
    assert panel.alpha.value() == 0.333 and panel.alpha.box.text() == "0.333"


def test_a_learning_rate_below_the_sliders_range_stays_in_the_box(panel):
    panel.lr.set_value(1e-6)
    assert panel.lr.value() == 1e-6 and panel.lr.box.text() == "1e-06"
    assert panel.config(DEFAULTS).lr == 1e-6
    panel.lr.set_value(1e-7)
    assert panel.lr.value() == 1e-7


@pytest.mark.parametrize("batch_size", [1, 8192, 65536])
def test_the_batch_size_box_takes_what_a_lecture_needs(panel, batch_size):
    config = DEFAULTS.replace(batch_size=batch_size)
    panel.set_config(config, False)
    assert panel.batch_size.value() == batch_size and panel.config(DEFAULTS) == config


def test_a_config_with_small_values_round_trips_through_the_panel(panel):
    config = DEFAULTS.replace(lam=1e-6, lr=1e-7, alpha=0.0, batch_size=1, seed=2**31 - 1, bias=False,
                                  optimizer="adam", center_update="sgd", model="lenet++", dataset="kmnist",
                                  probe_split="train")
    panel.set_config(config, True)
    assert panel.config(DEFAULTS) == config and panel.compare.isChecked()


def test_the_panel_describes_exactly_its_setup_fields(panel):
    assert set(panel.values()) == set(control_panel.SETUP_FIELDS)
    for name, (low, high) in control_panel.CONTROL_RANGES.items():
        widget = getattr(panel, name)
        box = getattr(widget, "box", widget)
        assert (box.minimum(), box.maximum()) == (low, high), name
