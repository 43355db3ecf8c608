import errno
import json
import os
import re
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import torch

from cl_viz.cli.errors import run_reporting_errors
from cl_viz.cli.main import main
from cl_viz.core.checkpoints import load_checkpoint
from cl_viz.core.idx import write_idx
from cl_viz.core.recording import load_recording

TINY_RUN = ["--dataset", "digits", "--probe-size", "100", "--batch-size", "32"]


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


def test_the_probe_can_show_the_training_images(tmp_path, capsys):
    assert train(tmp_path, "--steps", "5", "--eval-every", "5", "--probe", "train") == 0
    assert "probe 200 training images" in capsys.readouterr().out
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["config"]["probe_split"] == "train"
    with pytest.raises(SystemExit):
        main(["train", "--probe", "validation", "--out", str(tmp_path / "other")])
    assert "--probe: invalid choice" in capsys.readouterr().err


def test_resume_continues_from_the_checkpoint(tmp_path, capsys):
    assert train(tmp_path, "--steps", "10", "--eval-every", "5") == 0
    checkpoint = tmp_path / "run" / "checkpoint.pt"
    assert main(["train", "--resume", str(checkpoint), "--steps", "5", "--eval-every", "5",
                 "--lambda", "0.1", "--out", str(tmp_path / "more")]) == 0
    metrics = json.loads((tmp_path / "more" / "metrics.json").read_text())
    assert metrics["steps"] == 15 and metrics["config"]["lam"] == 0.1
    assert metrics["config"]["batch_size"] == 32


@pytest.mark.parametrize("flags, named", [
    (["--model", "lenet++"], "--model lenet++ (it has tiny)"),
    (["--batch-size", "64"], "--batch-size 64 (it has 32)"),
    (["--loss", "arcface"], "--loss arcface (it has softmax)"),
    (["--no-bias", "--seed", "3"], "--seed 3 (it has 0)"),
    (["--recipe", "official"], "--model lenet++ (it has tiny)"),
    (["--dataset", "fashion-mnist"], "--dataset fashion-mnist (it has digits)"),
])
def test_resume_refuses_a_flag_that_asks_for_another_structure(tmp_path, capsys, flags, named):
    assert train(tmp_path, "--steps", "2", "--model", "tiny") == 0
    capsys.readouterr()
    checkpoint = tmp_path / "run" / "checkpoint.pt"
    assert main(["train", "--resume", str(checkpoint), "--steps", "1", *flags, "--out", str(tmp_path / "more")]) == 2
    err = capsys.readouterr().err
    assert f"{checkpoint} keeps its own network, data and loss" in err and named in err
    assert "drop that flag" in err or "drop those flags" in err
    assert len(err.strip().splitlines()) == 1 and not (tmp_path / "more").exists()


def test_resume_takes_flags_that_repeat_the_checkpoints_structure_or_change_live_settings(tmp_path, capsys):
    assert train(tmp_path, "--steps", "2", "--model", "tiny") == 0
    checkpoint = tmp_path / "run" / "checkpoint.pt"
    assert main(["train", "--resume", str(checkpoint), "--steps", "1", "--model", "tiny", "--batch-size", "32",
                 "--dataset", "digits", "--lr", "0.02", "--alpha", "0.3", "--out", str(tmp_path / "more")]) == 0
    config = json.loads((tmp_path / "more" / "metrics.json").read_text())["config"]
    assert (config["model"], config["batch_size"], config["lr"], config["alpha"]) == ("tiny", 32, 0.02, 0.3)


def test_epochs_and_softmax_only(tmp_path):
    assert train(tmp_path, "--epochs", "0.5", "--loss", "softmax", "--eval-every", "100") == 0
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["config"]["lam"] == 0.0 and metrics["steps"] == 21  # 1,347 images / 32 = 42 steps per epoch


@pytest.mark.parametrize("flags, message", [
    (["--lambda", "-1"], "λ (lambda) must be ≥ 0"),
    (["--alpha", "1.5"], "α (alpha) must be in [0, 1]"),
    (["--alpha", "-0.5"], "α (alpha) must be in [0, 1]"),
    (["--lr", "0"], "learning rate must be > 0"),
    (["--lr", "nan"], "learning rate must be a finite number"),
    (["--steps", "0"], "--steps must be ≥ 1"),
    (["--epochs", "0"], "--epochs must be > 0"),
    (["--batch-size", "0"], "batch size must be ≥ 1"),
    (["--eval-every", "0"], "--eval-every must be ≥ 1"),
    (["--record", "x.clviz", "--record-every", "0"], "--record-every must be ≥ 1"),
    (["--record", "x.npz"], "--record must name a .clviz file"),
    (["--probe-size", "9"], "probe size must be ≥ 10"),
    (["--dataset", "cifar"], "invalid choice: 'cifar'"),
    (["--data-dir", "/nonexistent/folder"], "does not exist"),
    (["--resume", "/nonexistent/checkpoint.pt"], "does not exist"),
])
def test_invalid_input_is_one_clear_line(tmp_path, capsys, flags, message):
    with pytest.raises(SystemExit) if flags[0] == "--dataset" else ReturnsTwo():
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


class ReturnsTwo:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def one_class_folder(folder):
    folder.mkdir()
    rng = np.random.default_rng(0)
    for prefix, count in (("train", 40), ("t10k", 12)):
        write_idx(folder / f"{prefix}-images-idx3-ubyte", rng.integers(0, 256, (count, 28, 28), dtype=np.uint8))
        write_idx(folder / f"{prefix}-labels-idx1-ubyte", np.zeros(count, dtype=np.uint8))
    return folder


@pytest.mark.parametrize("data", ["alpha 0", "alpha -0.0", "one class"])
def test_centers_that_never_part_print_n_a_for_their_ratio(tmp_path, capsys, data):
    """Inter-center distance 0 (centers that never move, or a single class): intra/inter has no value."""
    flags = (["--data-dir", str(one_class_folder(tmp_path / "data")), "--batch-size", "8"] if data == "one class"
             else [*TINY_RUN, "--alpha", data.split()[1]])
    assert main(["train", *flags, "--steps", "3", "--eval-every", "1", "--out", str(tmp_path / "run")]) == 0
    out = capsys.readouterr()
    assert "final: probe accuracy" in out.out and "intra/inter n/a" in out.out
    assert out.err.count("intra/inter n/a") == 3 and "Traceback" not in out.err
    assert json.loads((tmp_path / "run" / "metrics.json").read_text())["final"]["ratio"] is None


@pytest.mark.parametrize("place, message", [
    ("out=a file", "is a file, not a folder"),
    ("out=/proc/cl-viz-run", "cannot write to the folder /proc/cl-viz-run"),
    ("out=a file/run", "cannot write to the folder .*: Not a directory"),
    ("record=a folder.clviz", "is a folder; name a file"),
    ("record=/proc/cl-viz.clviz", "cannot write to the folder /proc"),
])
def test_output_places_are_checked_before_training(tmp_path, capsys, place, message):
    (tmp_path / "a file").write_text("not a folder")
    (tmp_path / "a folder.clviz").mkdir()
    flag, where = place.split("=")
    where = where if where.startswith("/") else str(tmp_path / where)
    places = {"out": str(tmp_path / "run"), "record": None, flag: where}
    record = ["--record", places["record"]] if places["record"] else []
    assert main(["train", *TINY_RUN, "--steps", "3", "--eval-every", "1", "--out", places["out"], *record]) == 2
    out = capsys.readouterr()
    assert out.out == "", "training started before the output place was checked"
    assert re.fullmatch(f"cl-viz train: error: .*{message}.*\n", out.err)
    assert not (tmp_path / "run").exists() or place.startswith("out")


def test_a_read_only_output_folder_is_refused_before_training(read_only_tmpfs, capsys):
    assert main(["train", *TINY_RUN, "--steps", "3", "--out", str(read_only_tmpfs / "run")]) == 2
    out = capsys.readouterr()
    assert out.out == "" and out.err == f"cl-viz train: error: cannot write to the folder {read_only_tmpfs / 'run'}: " \
                                        f"Read-only file system\n"


def test_a_disk_that_fills_while_writing_is_one_line(tiny_tmpfs, capsys):
    assert main(["train", *TINY_RUN, "--steps", "2", "--out", str(tiny_tmpfs / "run")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert re.fullmatch(r"cl-viz train: error: cannot write .*: No space left on device", err[-1])
    assert "Traceback" not in "".join(err)
    assert not [path for path in (tiny_tmpfs / "run").iterdir() if path.name.endswith(".tmp")]


def test_a_write_error_keeps_the_previous_file(tmp_path, capsys, monkeypatch):
    run = tmp_path / "run"
    run.mkdir()
    (run / "features.npz").write_bytes(b"previous run")

    def full_disk(file, **arrays):
        file.write(b"PK\x03\x04 half an archive")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(np, "savez_compressed", full_disk)
    assert train(tmp_path, "--steps", "2") == 2
    err = capsys.readouterr().err
    assert err.endswith(f"cl-viz train: error: cannot write {run / 'features.npz'}: No space left on device\n")
    assert (run / "features.npz").read_bytes() == b"previous run"
    assert sorted(path.name for path in run.iterdir()) == ["features.npz", "metrics.json"]


def test_compare_with_resume_is_refused_before_anything_loads(tmp_path, capsys):
    assert main(["train", "--resume", str(tmp_path / "absent.pt"), "--compare"]) == 2
    out = capsys.readouterr()
    assert out.out == "" and "--compare starts both runs from scratch" in out.err


def test_a_checkpoint_that_does_not_fit_its_network(tmp_path, capsys):
    assert train(tmp_path, "--steps", "1") == 0
    checkpoint = tmp_path / "run" / "checkpoint.pt"
    state = torch.load(checkpoint, weights_only=True)
    state["model"] = {name: torch.zeros(3) for name in state["model"]}
    torch.save(state, checkpoint)
    capsys.readouterr()
    assert main(["train", "--resume", str(checkpoint), "--steps", "1", "--out", str(tmp_path / "more")]) == 2
    err = capsys.readouterr().err
    assert "does not fit the network" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "more").exists()


def test_an_os_error_anywhere_is_one_line(capsys):
    def body():
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), "/mnt/run/metrics.json")

    assert run_reporting_errors("cl-viz train", body) == 2
    assert capsys.readouterr().err == "cl-viz train: error: /mnt/run/metrics.json: Read-only file system\n"


def test_ctrl_c_stops_after_the_step_and_writes_what_was_trained(tmp_path):
    out, record, log = tmp_path / "run", tmp_path / "run.clviz", tmp_path / "stderr.txt"
    with open(log, "wb") as stderr:
        child = subprocess.Popen([sys.executable, "-m", "cl_viz", "train", *TINY_RUN, "--steps", "100000",
                                  "--eval-every", "1", "--record", str(record), "--out", str(out)],
                                 stdout=subprocess.PIPE, stderr=stderr)
        try:
            _wait_for(lambda: re.search(r"step +3/100000", log.read_text()), child)
            child.send_signal(signal.SIGINT)
            stdout, _ = child.communicate(timeout=120)
        finally:
            child.kill()
    err = log.read_text()
    assert child.returncode == 130 and "Traceback" not in err
    step = int(re.search(r"cl-viz train: interrupted at step (\d+)/100000: wrote .*metrics.json.*features.npz"
                         r".*checkpoint.pt.*run.clviz", err)[1])
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["steps"] == step and metrics["interrupted"] and metrics["history"][-1]["step"] == step
    assert np.load(out / "features.npz")["features"].shape == (100, 2)
    assert load_checkpoint(out / "checkpoint.pt")["step"] == step
    assert load_recording(record).frames[-1].step == step
    assert "final: probe accuracy" in stdout.decode()
    assert not [path.name for path in (*out.iterdir(), *tmp_path.iterdir()) if path.name.endswith(".tmp")]


def test_a_second_ctrl_c_while_writing_leaves_no_half_written_file(tmp_path, capsys, monkeypatch):
    from cl_viz.cli.progress import Progress

    report, savez = Progress.report, np.savez_compressed

    def report_then_press(self, step, detail):
        report(self, step, detail)
        if step == 3:
            os.kill(os.getpid(), signal.SIGINT)

    def press_while_writing(file, **arrays):
        file.write(b"PK\x03\x04 the start of the archive")
        os.kill(os.getpid(), signal.SIGINT)
        savez(file, **arrays)

    monkeypatch.setattr(Progress, "report", report_then_press)
    monkeypatch.setattr(np, "savez_compressed", press_while_writing)
    assert train(tmp_path, "--steps", "100", "--eval-every", "1") == 130
    assert capsys.readouterr().err.endswith("cl-viz train: interrupted\n")
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    run = tmp_path / "run"
    assert [path.name for path in run.iterdir()] == ["metrics.json"]  # written whole before the second press
    assert json.loads((run / "metrics.json").read_text())["steps"] == 3


def _wait_for(condition, child, timeout=120.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert child.poll() is None, f"the run ended early (status {child.returncode})"
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)
