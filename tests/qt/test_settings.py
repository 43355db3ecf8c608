"""What the app remembers: a stored setup that is damaged, edited by hand or from another version
never stops a launch; each field that cannot be used falls back to the app's default on its own."""

import json

import pytest
from PySide6.QtCore import QByteArray, QSettings

from cl_viz.core.config import TrainConfig
from cl_viz.qt.window.control_panel import SETUP_FIELDS
from cl_viz.qt.window.settings import DEFAULTS, load_setup, save_setup


def stored(settings, value, compare=None):
    settings.setValue("setup/config", value)
    if compare is not None:
        settings.setValue("setup/compare", compare)
    settings.sync()
    return load_setup(settings)


def test_nothing_stored_gives_the_defaults(settings):
    assert load_setup(settings) == (DEFAULTS, False)


@pytest.mark.parametrize("value", [
    "not json {", "", "[1, 2]", '"text"', "null", "3", "true", '{"lam": "big"}', '{"lam": NaN}',
    '{"lr": Infinity}', '{"batch_size": 1e999}', '{"seed": 1e400}', '{"seed": 100000000000000000000000000000}',
    '{"batch_size": 32.0}', '{"bias": "yes"}', '{"dataset": ["digits"]}', '{"model": "resnet"}',
    '{"feat_dim": 4}', '{"feat_dim": "3"}', '{"relu_features": true}',
    '{"probe_size": 100.5}', '{"lr_milestones": "x"}', '{"colour": "red"}', '{"1": {}}',
    "[" * 100_000, '{"seed": ' + "1" * 5000 + "}", 5, ["a", "b"], QByteArray(b"\xff\x00"),
])
def test_a_garbage_setup_gives_the_defaults_and_never_raises(settings, value):
    assert stored(settings, value) == (DEFAULTS, False)


@pytest.mark.parametrize("value", ["maybe", "", "2", ["true"]])
def test_a_garbage_compare_flag_is_off(settings, value):
    assert stored(settings, json.dumps({"lam": 0.2}), compare=value) == (DEFAULTS.replace(lam=0.2), False)


def test_a_bad_field_falls_back_alone_and_keeps_the_good_ones(settings):
    text = '{"lam": 0.2, "batch_size": "x", "seed": 7, "model": "resnet", "alpha": NaN, "bias": false}'
    config, _ = stored(settings, text)
    assert config == DEFAULTS.replace(lam=0.2, seed=7, bias=False)


@pytest.mark.parametrize("name, value", [("lam", 500.0), ("lr", 1e-9), ("lr", 50.0), ("batch_size", 100_000),
                                         ("batch_size", 0), ("seed", 2**31), ("seed", -1)])
def test_a_value_the_control_cannot_show_falls_back_to_the_default(settings, name, value):
    config, _ = stored(settings, json.dumps({name: value, "lam": 0.3} if name != "lam" else {name: value}))
    assert getattr(config, name) == getattr(DEFAULTS, name)


def test_only_fields_the_window_has_a_control_for_are_remembered(settings):
    config = DEFAULTS.replace(lam=0.3, probe_size=100, momentum=0.5, relu_features=True,
                                  data_dir="/somewhere", lr_milestones=(10,))
    save_setup(settings, config, True)
    assert set(json.loads(settings.value("setup/config"))) == set(SETUP_FIELDS)
    assert load_setup(settings) == (DEFAULTS.replace(lam=0.3), True)


def test_fields_without_a_control_stored_by_an_older_version_are_ignored(settings):
    text = json.dumps(TrainConfig(relu_features=True, probe_size=50, lam=0.3, lr=0.2).to_dict())
    assert stored(settings, text) == (DEFAULTS.replace(lam=0.3, lr=0.2), False)


def test_every_control_round_trips(settings):
    config = DEFAULTS.replace(lam=1e-6, alpha=0.25, lr=1e-7, dataset="kmnist", model="lenet++", feat_dim=3,
                                  batch_size=1, optimizer="adam", center_update="sgd", bias=True, device="cpu",
                                  seed=2**31 - 1)
    save_setup(settings, config, False)
    assert load_setup(settings) == (config, False)
    save_setup(settings, config.replace(lam=0, batch_size=65536, bias=None), True)
    assert load_setup(settings) == (config.replace(lam=0.0, batch_size=65536, bias=None), True)


@pytest.mark.qt_log_ignore("QVariant::load")
def test_a_settings_file_edited_into_garbage_gives_the_defaults(tmp_path):
    path = tmp_path / "settings.ini"
    path.write_bytes(b'[setup]\nconfig={"lam": 0.2, "seed": 3}\ncompare=@Variant(\\0\\0\\0\\x7f\\0junk)\n'
                     b"\xff\xfe\x00junk\n")
    assert load_setup(QSettings(str(path), QSettings.Format.IniFormat)) == (DEFAULTS, False)


@pytest.mark.parametrize("head", ["sphereface", "arcface", "normface"])
def test_the_head_and_its_s_m_and_warm_up_are_remembered(settings, head):
    from cl_viz.core.runs import for_head

    config = for_head(DEFAULTS, head).replace(scale=16.0, margin_warmup_steps=50)
    save_setup(settings, config, False)
    assert load_setup(settings) == (config, False)
