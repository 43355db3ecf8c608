import json
import subprocess
import sys

import numpy as np
import pytest

from cl_viz.cli import main


def train(tmp_path, *flags):
    return main(["train", "--dataset", "digits", "--probe-size", "200", "--batch-size", "32",
                 "--out", str(tmp_path / "run"), *flags])


def test_train_writes_metrics_features_and_checkpoint(tmp_path, capsys):
    assert train(tmp_path, "--steps", "30", "--eval-every", "10", "--lr", "0.05") == 0
    out = capsys.readouterr()
    assert "dataset: digits" in out.out and "step 30/30" in out.err
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["config"]["lam"] == 0.01 and metrics["dataset"]["name"] == "digits"
    assert [row["step"] for row in metrics["history"]] == [10, 20, 30]
    for key in ("loss_softmax", "loss_center", "probe_accuracy", "intra", "inter", "ratio"):
        assert isinstance(metrics["history"][-1][key], float)
    features = np.load(tmp_path / "run" / "features.npz")
    assert features["features"].shape == (200, 2) and features["labels"].shape == (200,)
    assert features["centers"].shape == (10, 2)
    assert (tmp_path / "run" / "checkpoint.pt").is_file()


def test_resume_continues_from_the_checkpoint(tmp_path, capsys):
    assert train(tmp_path, "--steps", "10", "--eval-every", "5") == 0
    checkpoint = tmp_path / "run" / "checkpoint.pt"
    assert main(["train", "--resume", str(checkpoint), "--steps", "5", "--eval-every", "5",
                 "--lambda", "0.1", "--out", str(tmp_path / "more")]) == 0
    metrics = json.loads((tmp_path / "more" / "metrics.json").read_text())
    assert metrics["steps"] == 15 and metrics["config"]["lam"] == 0.1
    assert metrics["config"]["batch_size"] == 32


def test_epochs_and_softmax_only(tmp_path):
    assert train(tmp_path, "--epochs", "0.5", "--loss", "softmax", "--eval-every", "100") == 0
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["config"]["lam"] == 0.0 and metrics["steps"] == 21  # 1,347 images / 32 = 42 steps per epoch


@pytest.mark.parametrize("flags, message", [
    (["--lambda", "-1"], "λ (lambda) must be ≥ 0"),
    (["--alpha", "1.5"], "α (alpha) must be in [0, 1]"),
    (["--lr", "0"], "learning rate must be > 0"),
    (["--lr", "nan"], "learning rate must be a finite number"),
    (["--steps", "0"], "--steps must be ≥ 1"),
    (["--dataset", "cifar"], "invalid choice: 'cifar'"),
    (["--data-dir", "/nonexistent/folder"], "does not exist"),
    (["--resume", "/nonexistent/checkpoint.pt"], "does not exist"),
])
def test_invalid_input_is_one_clear_line(tmp_path, capsys, flags, message):
    with pytest.raises(SystemExit) if flags[0] == "--dataset" else _returns_two():
        assert main(["train", *flags, "--out", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_corrupt_data_folder(tmp_path, capsys):
    folder = tmp_path / "data"
    folder.mkdir()
    for name in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
                 "t10k-labels-idx1-ubyte"):
        (folder / name).write_bytes(b"\x00\x00\x08\x03\x00\x00")
    assert main(["train", "--data-dir", str(folder), "--out", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err
    assert "train-images-idx3-ubyte" in err and len(err.strip().splitlines()) == 1


def test_a_checkpoint_that_is_not_one(tmp_path, capsys):
    bogus = tmp_path / "checkpoint.pt"
    bogus.write_text("not a checkpoint")
    assert main(["train", "--resume", str(bogus)]) == 2
    assert "is not a cl-viz checkpoint" in capsys.readouterr().err


def test_divergence_is_reported_not_raised(tmp_path, capsys):
    assert train(tmp_path, "--steps", "40", "--eval-every", "5", "--lr", "1e6") == 2
    err = capsys.readouterr().err
    assert "diverged" in err and "lower the learning rate" in err and "Traceback" not in err


def test_module_entry_point_runs():
    result = subprocess.run([sys.executable, "-m", "cl_viz", "train", "--help"], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0 and "--center-update" in result.stdout


class _returns_two:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False
