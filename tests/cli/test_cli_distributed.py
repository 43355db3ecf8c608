"""`cl-viz train --nproc 2` on the CPU: rank 0 writes the outputs once, they match a one-process run
with the same global batch, and the checkpoint resumes in one process."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
import torch

from cl_viz.cli.main import main
from cl_viz.core.checkpoints import load_checkpoint

RUN = ["--dataset", "digits", "--steps", "4", "--device", "cpu", "--probe-size", "100", "--batch-size", "32",
       "--warmup-steps", "0", "--lr", "0.05", "--lambda", "0.1", "--eval-every", "2"]
COMPARED = ("loss_softmax", "loss_center", "batch_accuracy", "probe_accuracy", "intra", "inter")


@pytest.fixture(scope="module")
def two_ranks(tmp_path_factory):
    """One `cl-viz train --nproc 2` (~35 s on two busy cores): its folder, stdout and stderr."""
    folder = tmp_path_factory.mktemp("ranks")
    env = dict(os.environ, OMP_NUM_THREADS="1")
    result = subprocess.run([sys.executable, "-m", "cl_viz", "train", "--nproc", "2", *RUN,
                             "--out", str(folder / "run"), "--record", str(folder / "run.clviz")],
                            capture_output=True, text=True, timeout=240, env=env, cwd=folder)
    assert result.returncode == 0, result.stderr[-3000:]
    return folder, result.stdout, result.stderr


def test_rank_zero_alone_prints_and_writes(two_ranks):
    folder, out, err = two_ranks
    assert out.count("dataset: digits") == 1 and out.count("wrote ") == 1
    assert "data parallel: 2 ranks (gloo), 16 images each per step" in out
    assert sorted(p.name for p in folder.iterdir()) == ["run", "run.clviz"]
    assert sorted(p.name for p in (folder / "run").iterdir()) == ["checkpoint.pt", "features.npz", "metrics.json"]
    assert err.count("step 4/4") == 1


def test_two_ranks_write_what_one_process_writes(two_ranks, tmp_path, capsys):
    folder, _, _ = two_ranks
    assert main(["train", *RUN, "--out", str(tmp_path / "one")]) == 0
    capsys.readouterr()
    ranks = json.loads((folder / "run" / "metrics.json").read_text())
    one = json.loads((tmp_path / "one" / "metrics.json").read_text())
    assert [row["step"] for row in ranks["history"]] == [2, 4]
    for theirs, ours in zip(ranks["history"], one["history"], strict=True):
        for key in COMPARED:  # the batch's losses are the whole global batch's, not rank 0's share
            assert theirs[key] == pytest.approx(ours[key], rel=1e-4, abs=1e-5), key
    saved, reference = load_checkpoint(folder / "run" / "checkpoint.pt"), load_checkpoint(tmp_path / "one" /
                                                                                         "checkpoint.pt")
    torch.testing.assert_close(saved["centers"], reference["centers"], atol=1e-5, rtol=1e-5)
    for name, value in reference["model"].items():
        torch.testing.assert_close(saved["model"][name], value, atol=1e-5, rtol=1e-5, msg=name)
    features = np.load(folder / "run" / "features.npz")
    np.testing.assert_allclose(features["features"], np.load(tmp_path / "one" / "features.npz")["features"],
                               atol=1e-4)


def test_a_checkpoint_of_two_ranks_resumes_in_one_process(two_ranks, tmp_path, capsys):
    folder, _, _ = two_ranks
    assert main(["train", "--resume", str(folder / "run" / "checkpoint.pt"), "--steps", "2",
                 "--out", str(tmp_path / "resumed")]) == 0
    capsys.readouterr()
    assert json.loads((tmp_path / "resumed" / "metrics.json").read_text())["steps"] == 6


def test_a_batch_that_does_not_split_is_one_line_before_any_rank_starts(capsys):
    assert main(["train", "--nproc", "2", "--dataset", "digits", "--batch-size", "33"]) == 2
    err = capsys.readouterr().err
    assert err == ("cl-viz train: error: the batch of 33 does not split evenly over 2 ranks; "
                   "choose a --batch-size that is a multiple of 2\n")
