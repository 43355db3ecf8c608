"""`cl-viz train --loss/--losses` and `cl-viz figure --losses`: the angular heads from the command line."""

import json

import numpy as np
import pytest
from PIL import Image

from cl_viz.cli.arguments import build_parser
from cl_viz.cli.main import main
from cl_viz.cli.train_config import config_from_args
from cl_viz.core.margins import HEAD_INFO

QUICK = ["--dataset", "digits", "--steps", "4", "--eval-every", "2", "--probe-size", "60", "--batch-size", "32",
         "--device", "cpu"]


def parse(argv):
    return build_parser().parse_args(argv)


def test_a_head_brings_its_settings_and_flags_win():
    config = config_from_args(parse(["train", "--loss", "arcface"]))
    assert config.head == "arcface" and config.lam == 0
    assert (config.optimizer, config.lr, config.margin) == ("adam", HEAD_INFO["arcface"].settings["lr"],
                                                            HEAD_INFO["arcface"].settings["margin"])
    config = config_from_args(parse(["train", "--loss", "arcface+center", "--margin", "0.2", "--lambda", "0.1",
                                     "--optimizer", "sgd"]))
    assert (config.margin, config.lam, config.optimizer) == (0.2, 0.1, "sgd")


@pytest.mark.parametrize("argv, message", [
    (["--loss", "cosface", "--lambda", "0.1"], "λ = 0"),
    (["--loss", "sphereface", "--margin", "2.5"], "whole number"),
    (["--loss", "arcface", "--margin", "4"], "below π"),
    (["--losses", "softmax", "arcface", "--record", "x.clviz"], "--record works with --loss"),
    (["--losses", "softmax", "softmax"], "once"),
])
def test_bad_loss_flags_get_one_line(tmp_path, capsys, argv, message):
    assert main(["train", *QUICK, "--out", str(tmp_path / "run"), *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("cl-viz train: error: ") and message in err and err.count("\n") == 1
    assert not (tmp_path / "run").exists()


def test_losses_train_side_by_side_and_write_each_run(tmp_path, capsys):
    out = tmp_path / "family"
    assert main(["train", *QUICK, "--losses", "softmax", "center", "cosface", "--out", str(out)]) == 0
    assert sorted(path.name for path in out.iterdir()) == ["center", "cosface", "softmax"]
    metrics = {name: json.loads((out / name / "metrics.json").read_text()) for name in ("softmax", "center", "cosface")}
    assert [metrics[name]["config"]["head"] for name in ("softmax", "center", "cosface")] == \
        ["softmax", "softmax", "cosface"]
    assert metrics["softmax"]["config"]["lam"] == 0 and metrics["center"]["config"]["lam"] > 0
    assert [record["step"] for record in metrics["cosface"]["history"]] == [2, 4]
    assert "effective_margin" in metrics["cosface"]["final"] and "angular_ratio" in metrics["cosface"]["final"]
    features = np.load(out / "cosface" / "features.npz")
    np.testing.assert_allclose(np.linalg.norm(features["classifier_weight"], axis=1), 1.0, rtol=1e-5)
    assert "cosface" in capsys.readouterr().out


def test_figure_renders_one_plot_per_loss(tmp_path):
    out = tmp_path / "family.png"
    assert main(["figure", "--out", str(out), "--dataset", "digits", "--steps", "2", "--device", "cpu",
                 "--size", "800x400", "--losses", "softmax", "arcface", "--feat-dim", "3"]) == 0
    image = np.asarray(Image.open(out).convert("RGB"))
    assert image.shape == (400, 800, 3) and image.std() > 10
