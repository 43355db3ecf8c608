import json

import numpy as np
import pytest

from cl_viz.cli.main import main

OPEN_SET_KEYS = ("auroc_max_softmax", "auroc_max_logit", "auroc_center_distance", "auroc_center_cosine",
                 "ccr_at_fpr_0.01_max_softmax", "ccr_at_fpr_0.01_center_distance", "eer_euclidean", "eer_cosine",
                 "tar_at_far_0.01_euclidean", "tar_at_far_0.001_euclidean", "tar_at_far_0.01_cosine",
                 "tar_at_far_0.001_cosine")


def test_train_with_unknown_classes_writes_the_open_set_figures_and_points(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "--dataset", "digits", "--unknown-classes", "6", "7", "8", "9", "--steps", "20",
                 "--eval-every", "10", "--batch-size", "32", "--out", str(out)]) == 0
    assert "open set: trains on 6 known classes; unknowns 6, 7, 8, 9, 178 in the probe set" in capsys.readouterr().out
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["config"]["unknown_classes"] == [6, 7, 8, 9]
    assert metrics["dataset"]["known_classes"] == [0, 1, 2, 3, 4, 5]
    assert metrics["dataset"]["unknown_classes"] == [6, 7, 8, 9] and metrics["dataset"]["unknown_probe_size"] == 178
    for record in (*metrics["history"], metrics["final"]):
        for key in OPEN_SET_KEYS:
            assert 0.0 <= record[key] <= 1.0, key
    assert [row["step"] for row in metrics["history"]] == [10, 20]
    features = np.load(out / "features.npz")
    assert features["features"].shape == (272, 2) and features["centers"].shape == (6, 2)
    assert features["unknown_features"].shape == (178, 2)
    assert set(features["unknown_labels"]) == {6, 7, 8, 9} and list(features["known_classes"]) == [0, 1, 2, 3, 4, 5]
    assert len(features["original_class_names"]) == 10


def test_a_run_without_unknowns_writes_no_open_set_figures(tmp_path):
    assert main(["train", "--dataset", "digits", "--steps", "2", "--probe-size", "50", "--batch-size", "32",
                 "--out", str(tmp_path / "run")]) == 0
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert "auroc_max_softmax" not in metrics["final"] and "known_classes" not in metrics["dataset"]
    assert "unknown_features" not in np.load(tmp_path / "run" / "features.npz")


def test_train_losses_side_by_side_with_unknowns(tmp_path):
    assert main(["train", "--dataset", "digits", "--unknown-classes", "8", "9", "--losses", "softmax", "center",
                 "--steps", "3", "--probe-size", "50", "--batch-size", "32", "--out", str(tmp_path / "runs")]) == 0
    for loss in ("softmax", "center"):
        final = json.loads((tmp_path / "runs" / loss / "metrics.json").read_text())["final"]
        assert 0.0 <= final["auroc_center_distance"] <= 1.0


@pytest.mark.parametrize("flags, message", [
    (["--unknown-classes", "12"], "unknown class 12 is not a class of digits"),
    (["--unknown-classes", "0", "1", "2", "3", "4", "5", "6", "7", "8"], "at least 2 classes of digits"),
    (["--unknown-dataset", "digits"], "another dataset than digits"),
])
def test_bad_open_set_flags_get_one_line(tmp_path, capsys, flags, message):
    assert main(["train", "--dataset", "digits", "--steps", "1", "--out", str(tmp_path / "run"), *flags]) != 0
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
