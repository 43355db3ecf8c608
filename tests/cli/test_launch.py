import subprocess
import sys

import pytest
from PySide6.QtCore import QSettings

from cl_viz.cli.arguments import build_parser
from cl_viz.core.config import DEFAULTS, TrainConfig
from cl_viz.core.errors import ClVizError
from cl_viz.qt.app import initial_setup
from cl_viz.qt.window.settings import load_setup


def test_gui_flags_preset_the_controls():
    args = build_parser().parse_args(["--dataset", "digits", "--model", "lenet++", "--lambda", "0.003",
                                      "--alpha", "0.2", "--lr", "0.01", "--compare", "--device", "cpu",
                                      "--seed", "7"])
    config, compare = initial_setup(TrainConfig(), False, args)
    assert (config.dataset, config.model, config.lam, config.alpha, config.lr, config.device, config.seed) == \
        ("digits", "lenet++", 0.003, 0.2, 0.01, "cpu", 7)
    assert compare


def test_the_input_shape_is_an_app_flag_and_cifar10_a_dataset_to_preselect():
    args = build_parser().parse_args(["--dataset", "cifar10", "--image-size", "48", "--channels", "1"])
    config, _ = initial_setup(TrainConfig(), False, args)
    assert (config.dataset, config.image_size, config.channels, config.input_shape) == ("cifar10", 48, 1, (48, 1))
    assert initial_setup(TrainConfig(), False, build_parser().parse_args(["--dataset", "cifar10"]))[0].input_shape \
        == (32, 3)


def test_flags_override_remembered_settings_only_where_given():
    saved = TrainConfig(model="seed", lam=0.1)
    config, compare = initial_setup(saved, True, build_parser().parse_args(["--lambda", "0.5"]))
    assert config.model == "seed" and config.lam == 0.5 and compare


def test_invalid_gui_flags_are_rejected():
    with pytest.raises(ClVizError, match="α"):
        initial_setup(TrainConfig(), False, build_parser().parse_args(["--alpha", "2"]))


def test_an_invalid_remembered_field_gives_way_to_its_default_and_the_flags_still_apply():
    saved = TrainConfig(probe_size=100.5, lam=0.2, seed=True, model="seed")
    config, _ = initial_setup(saved, False, build_parser().parse_args(["--alpha", "0.2", "--model", "lenet++"]))
    assert config == TrainConfig(lam=0.2, alpha=0.2, model="lenet++")


def test_a_garbage_settings_file_with_good_flags_launches_with_the_flags(tmp_path):
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    settings.setValue("setup/config", '{"probe_size": 100.5, "feat_dim": 4, "lam": "x", "seed": 4, "lr": NaN}')
    settings.setValue("setup/compare", "perhaps")
    args = build_parser().parse_args(["--lambda", "0.5", "--dataset", "digits", "--compare"])
    assert initial_setup(*load_setup(settings), args) == (DEFAULTS.replace(lam=0.5, dataset="digits", seed=4),
                                                          True)


def test_a_bad_flag_is_an_error_even_with_a_bad_remembered_setup():
    with pytest.raises(ClVizError, match="α"):
        initial_setup(TrainConfig(probe_size=100.5), False, build_parser().parse_args(["--alpha", "2"]))


def test_invalid_flag_exits_with_one_line_before_any_window(tmp_path):
    result = subprocess.run([sys.executable, "-m", "cl_viz", "--alpha", "1.5"], capture_output=True, text=True,
                            timeout=120, env=_env(tmp_path))
    assert result.returncode == 2
    assert result.stderr.strip() == "cl-viz: error: α (alpha) must be in [0, 1], got 1.5"


def _env(tmp_path):
    import os
    return dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path))


def test_train_starts_from_the_stable_defaults_and_official_is_one_flag_away():
    from cl_viz.cli.train_config import config_from_args
    from cl_viz.core.recipes import OFFICIAL

    parse = build_parser().parse_args
    assert config_from_args(parse(["train"])) == DEFAULTS
    official = config_from_args(parse(["train", "--recipe", "official"]))
    assert official == OFFICIAL.config
    tuned = config_from_args(parse(["train", "--recipe", "official", "--model", "tiny", "--clip-norm", "2",
                                    "--warmup-steps", "0", "--init", "pytorch", "--loss", "softmax"]))
    assert tuned == OFFICIAL.config.replace(model="tiny", clip_norm=2.0, init="pytorch", lam=0.0)


def test_the_app_takes_a_recipe_and_flags_on_top_of_it():
    from cl_viz.core.recipes import OFFICIAL

    config, _ = initial_setup(DEFAULTS.replace(lam=0.3), False, build_parser().parse_args(["--recipe", "official",
                                                                                          "--seed", "3"]))
    assert config == OFFICIAL.config.replace(seed=3)


def test_the_feature_dimension_flag_overrides_the_remembered_one(tmp_path):
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    settings.setValue("setup/config", '{"feat_dim": 2}')
    args = build_parser().parse_args(["--feat-dim", "3"])
    assert initial_setup(*load_setup(settings), args)[0].feat_dim == 3


def test_loss_starts_with_its_heads_settings_and_flags_beside_it_win():
    from cl_viz.core.runs import for_head

    parse = build_parser().parse_args
    config, _ = initial_setup(DEFAULTS.replace(seed=5), False, parse(["--loss", "arcface", "--lr", "0.01"]))
    assert config == for_head(DEFAULTS, "arcface").replace(seed=5, lam=0.0, lr=0.01)
    config, _ = initial_setup(DEFAULTS, False, parse(["--loss", "sphereface"]))
    assert (config.head, config.margin, config.optimizer, config.lam) == ("sphereface", 4.0, "adam", 0.0)
    config, _ = initial_setup(for_head(DEFAULTS, "cosface"), False, parse(["--loss", "center", "--lambda", "0.1"]))
    assert config == DEFAULTS.replace(lam=0.1)
    assert initial_setup(DEFAULTS, False, parse(["--loss", "softmax"]))[0] == DEFAULTS.replace(lam=0.0)


def test_lambda_with_a_loss_without_center_loss_is_an_error():
    with pytest.raises(ClVizError, match="--lambda needs a loss with center loss"):
        initial_setup(DEFAULTS, False, build_parser().parse_args(["--loss", "cosface", "--lambda", "0.1"]))
    config, _ = initial_setup(DEFAULTS, False, build_parser().parse_args(["--loss", "cosface+center",
                                                                          "--lambda", "0.1"]))
    assert (config.head, config.lam) == ("cosface", 0.1)


def test_the_app_takes_a_heads_scale_and_margin_from_the_command_line():
    config, _ = initial_setup(DEFAULTS, False, build_parser().parse_args(
        ["--loss", "cosface", "--scale", "16", "--margin", "0.05", "--margin-warmup-steps", "0"]))
    assert (config.head, config.scale, config.margin, config.margin_warmup_steps) == ("cosface", 16.0, 0.05, 0)
