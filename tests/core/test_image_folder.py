import json

import numpy as np
import pytest
import torch
from PIL import Image

from cl_viz.cli.main import main
from cl_viz.core.data import load_dataset, resolve_name
from cl_viz.core.errors import ClVizError
from cl_viz.core.image_folder import load_image_folder, stratified_split
from cl_viz.core.streamed_images import StreamedImages

SIZES_AND_MODES = [((28, 28), "L", "png"), ((40, 31), "RGB", "jpg"), ((17, 50), "RGBA", "png"), ((64, 64), "L", "jpeg")]


def write_images(folder, count, shade, start=0):
    """`count` images of mixed sizes, modes and formats, all of about the grey value `shade`."""
    folder.mkdir(parents=True, exist_ok=True)
    for index in range(start, start + count):
        size, mode, suffix = SIZES_AND_MODES[index % len(SIZES_AND_MODES)]
        colour = shade if mode == "L" else (shade, shade, shade, 255)[:len(mode)]
        Image.new(mode, size, colour).save(folder / f"{index}.{suffix}")


def image_folder(root, counts=(5, 10), names=("cat", "dog")):
    for name, count, shade in zip(names, counts, (30, 220, 120)):
        write_images(root / name, count, shade)
    return root


def test_class_subfolders_load_as_grey_28x28_with_a_stratified_split(tmp_path):
    dataset = load_dataset("auto", str(image_folder(tmp_path)))
    assert dataset.name == "images" and dataset.class_names == ("cat", "dog")
    assert dataset.train_images.dtype == torch.uint8 and dataset.train_images.shape == (12, 28, 28)
    assert dataset.test_images.shape == (3, 28, 28) and dataset.test_labels.dtype == torch.int64
    assert sorted(dataset.test_labels.tolist()) == [0, 1, 1]  # 20% of 5 and of 10
    assert "stratified 80%/20% split (seed 0)" in dataset.source and "2 classes" in dataset.source
    dark = dataset.train_images[dataset.train_labels == 0].float()
    assert (dark - 30).abs().max() <= 2  # jpeg's rounding


def test_colour_and_other_sizes(tmp_path):
    dataset = load_image_folder(image_folder(tmp_path), image_size=32, channels=3)
    assert dataset.train_images.shape == (12, 3, 32, 32) and dataset.test_images.shape == (3, 3, 32, 32)


def test_train_and_test_subfolders_are_the_split(tmp_path):
    image_folder(tmp_path / "train", counts=(4, 6))
    image_folder(tmp_path / "val", counts=(2, 3))
    dataset = load_image_folder(tmp_path)
    assert dataset.train_labels.tolist() == [0] * 4 + [1] * 6 and dataset.test_labels.tolist() == [0, 0, 1, 1, 1]
    assert str(tmp_path / "val") in dataset.source


def test_the_split_is_seeded_stratified_and_disjoint():
    labels = torch.tensor([0] * 10 + [1] * 20 + [2] * 2)
    train, test = stratified_split(labels, 0.2, seed=3)
    assert torch.equal(torch.sort(torch.cat([train, test])).values, torch.arange(32))
    assert torch.bincount(labels[test]).tolist() == [2, 4, 1]
    assert torch.equal(test, stratified_split(labels, 0.2, seed=3)[1])


def test_progress_counts_every_image(tmp_path):
    calls = []
    load_dataset("auto", str(image_folder(tmp_path)), progress=lambda done, total: calls.append((done, total)))
    assert calls[0] == (1, 15) and calls[-1] == (15, 15) and len(calls) == 15


def test_a_folder_of_images_is_not_taken_for_idx_files(tmp_path):
    write_images(tmp_path / "flat", 2, 10)
    assert resolve_name("auto", str(tmp_path / "flat")) == "images"
    assert resolve_name("auto", str(tmp_path / "missing")) == "idx"


def bad_folder(tmp_path, case):
    if case == "flat":
        write_images(tmp_path, 3, 10)
    elif case == "single":
        write_images(tmp_path / "cat", 3, 10)
    elif case == "empty":
        image_folder(tmp_path)
        (tmp_path / "emu").mkdir()
    elif case == "not an image":
        image_folder(tmp_path)
        (tmp_path / "dog" / "3.png").write_text("not a PNG")
    elif case == "truncated":
        image_folder(tmp_path)
        data = (tmp_path / "cat" / "1.jpg").read_bytes()
        (tmp_path / "cat" / "1.jpg").write_bytes(data[:len(data) // 3])
    elif case == "different classes":
        image_folder(tmp_path / "train")
        image_folder(tmp_path / "test", names=("cat", "eel"))
    return tmp_path


@pytest.mark.parametrize("case, message", [
    ("flat", "has no class subfolders"),
    ("single", r"has a single class subfolder \(cat\); cl-viz needs two classes or more"),
    ("empty", r"emu holds no images"),
    ("not an image", r"dog/3\.png is not an image cl-viz can read"),
    ("truncated", r"cat/1\.jpg is not an image cl-viz can read"),
    ("different classes", "must hold the same class subfolders"),
])
def test_bad_folders_get_one_clear_line(tmp_path, case, message):
    with pytest.raises(ClVizError, match=message) as caught:
        load_dataset("auto", str(bad_folder(tmp_path, case)))
    assert "\n" not in str(caught.value)


def test_too_many_pixels_are_streamed_from_disk_saying_the_memory_they_would_need(tmp_path):
    dataset = load_image_folder(image_folder(tmp_path), image_size=32, channels=3, memory_limit=20_000)
    assert isinstance(dataset.train_images, StreamedImages) and dataset.train_images.shape == (12, 3, 32, 32)
    assert dataset.source.endswith(
        "; the 15 images would need 46,080 bytes in memory as 32×32 colour uint8 (3,072 bytes each), over the 20,000 "
        "bytes held in memory: the training images are streamed from disk, batch by batch")
    assert dataset.test_images.shape == (3, 3, 32, 32) and isinstance(dataset.test_images, torch.Tensor)


@pytest.mark.parametrize("size, channels, message", [
    (28, 2, r"channels must be 1 \(grey\) or 3 \(colour\), got 2"), (4, 1, "image size must be 8 to 256 pixels")])
def test_bad_shapes(tmp_path, size, channels, message):
    with pytest.raises(ClVizError, match=message):
        load_image_folder(image_folder(tmp_path), image_size=size, channels=channels)


def test_cl_viz_train_on_a_folder_of_images(tmp_path, capsys):
    folder = image_folder(tmp_path / "pets", counts=(6, 8, 7), names=("cat", "dog", "emu"))
    assert main(["train", "--data-dir", str(folder), "--steps", "3", "--batch-size", "8", "--eval-every", "3",
                 "--out", str(tmp_path / "run")]) == 0
    out = capsys.readouterr()
    assert "dataset: images (images from" in out.out and "read 21 images" in out.err
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["dataset"]["class_names"] == ["cat", "dog", "emu"] and metrics["steps"] == 3
    assert np.load(tmp_path / "run" / "features.npz")["centers"].shape == (3, 2)


def test_cl_viz_train_on_colour_images_at_another_size_and_a_resume_that_asks_for_grey(tmp_path, capsys):
    folder = image_folder(tmp_path / "pets", counts=(6, 8))
    run = tmp_path / "run"
    assert main(["train", "--data-dir", str(folder), "--steps", "2", "--batch-size", "4", "--channels", "3",
                 "--image-size", "36", "--out", str(run)]) == 0
    assert "resized to 36×36 colour" in capsys.readouterr().out
    metrics = json.loads((run / "metrics.json").read_text())
    assert (metrics["config"]["image_size"], metrics["config"]["channels"]) == (36, 3)
    assert main(["train", "--data-dir", str(folder), "--resume", str(run / "checkpoint.pt"), "--steps", "1",
                 "--out", str(tmp_path / "more")]) == 0
    capsys.readouterr()
    assert main(["train", "--data-dir", str(folder), "--resume", str(run / "checkpoint.pt"), "--channels", "1",
                 "--steps", "1", "--out", str(tmp_path / "grey")]) != 0
    error = capsys.readouterr().err
    assert "was trained on 36×36 colour images, not 36×36 grey: drop --image-size and --channels" in error
    assert error.count("\n") == 1


def test_side_by_side_runs_read_a_folder_with_the_image_meter_not_the_download_one(tmp_path, capsys):
    folder = image_folder(tmp_path / "pets", counts=(6, 8))
    assert main(["train", "--data-dir", str(folder), "--losses", "softmax", "center", "--steps", "1",
                 "--batch-size", "4", "--out", str(tmp_path / "runs")]) == 0
    err = capsys.readouterr().err
    assert "read 14 images" in err and "downloading" not in err
