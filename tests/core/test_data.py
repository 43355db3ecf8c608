import subprocess
import sys
from pathlib import Path
from urllib.error import URLError

import numpy as np
import pytest
import torch

from cl_viz.core import downloads
from cl_viz.core.data import (
    DEBIAN_FASHION_MNIST,
    cache_dir,
    is_available,
    load_dataset,
    probe_indices,
    resolve_name,
    to_model_input,
)
from cl_viz.core.errors import ClVizError
from cl_viz.core.idx import write_idx


@pytest.fixture
def empty_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("CL_VIZ_CACHE", str(tmp_path))
    return tmp_path


@pytest.fixture(scope="module")
def digits():
    return load_dataset("digits")


def cache_fake_mnist(cache: Path) -> None:
    raw = cache / "datasets" / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for prefix, count in (("train", 20), ("t10k", 10)):
        write_idx(raw / f"{prefix}-images-idx3-ubyte", np.zeros((count, 28, 28), dtype=np.uint8))
        write_idx(raw / f"{prefix}-labels-idx1-ubyte", (np.arange(count) % 10).astype(np.uint8))


def test_cache_dir_precedence(monkeypatch, tmp_path):
    monkeypatch.delenv("CL_VIZ_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg" / "cl-viz"
    monkeypatch.setenv("CL_VIZ_CACHE", str(tmp_path / "mine"))
    assert cache_dir() == tmp_path / "mine"


def test_digits_shapes_and_splits(digits):
    assert digits.name == "digits" and digits.num_classes == 10
    assert digits.train_images.dtype == torch.uint8 and digits.train_images.shape[1:] == (28, 28)
    assert digits.test_images.shape[1:] == (28, 28)
    assert digits.train_labels.dtype == torch.int64
    assert len(digits.train_labels) + len(digits.test_labels) == 1797
    assert len(digits.test_labels) == 450
    for labels in (digits.train_labels, digits.test_labels):
        assert set(labels.tolist()) == set(range(10))


def test_digits_sit_in_a_centred_20x20_box(digits):
    images = digits.train_images
    assert images[:, :4].max() == 0 and images[:, 24:].max() == 0
    assert images[:, :, :4].max() == 0 and images[:, :, 24:].max() == 0
    assert images.max() == 255 and images.is_contiguous()


def test_digits_are_deterministic(digits):
    again = load_dataset("digits")
    assert torch.equal(again.train_images, digits.train_images)
    assert torch.equal(again.test_labels, digits.test_labels)


def test_auto_is_digits_without_cached_mnist(empty_cache):
    assert not is_available("mnist") and not is_available("kmnist") and is_available("digits")
    assert resolve_name("auto") == "digits"
    assert resolve_name("auto", data_dir="/some/folder") == "idx"
    assert resolve_name("kmnist") == "kmnist"


def test_auto_is_mnist_when_cached(empty_cache):
    cache_fake_mnist(empty_cache)
    assert resolve_name("auto") == "mnist"
    dataset = load_dataset("auto", download=False)
    assert dataset.name == "mnist" and dataset.train_images.shape == (20, 28, 28)
    assert dataset.source == f"MNIST from {empty_cache / 'datasets' / 'MNIST'}"


def test_uncached_mnist_without_download_names_the_folder(empty_cache):
    with pytest.raises(ClVizError, match=str(empty_cache / "datasets" / "MNIST")):
        load_dataset("mnist", download=False)


def test_failed_download_is_a_clear_error(empty_cache, monkeypatch):
    def offline(url, start=0):
        raise URLError("Temporary failure in name resolution")

    monkeypatch.setattr(downloads, "open_url", offline)
    with pytest.raises(ClVizError, match=r"could not be downloaded \(.*name resolution.*--data-dir"):
        load_dataset("mnist", download=True)


def test_unknown_name(empty_cache):
    with pytest.raises(ClVizError, match="Unknown dataset 'cifar'"):
        load_dataset("cifar")


def test_digits_take_no_folder(tmp_path):
    with pytest.raises(ClVizError, match="no data folder"):
        load_dataset("digits", data_dir=str(tmp_path))


def test_probe_is_stratified_exact_and_sorted():
    labels = torch.tensor([0] * 500 + [1] * 300 + [2] * 200)[torch.randperm(1000)]
    chosen = probe_indices(labels, 101, seed=3)
    assert len(chosen) == 101 and chosen.dtype == torch.int64
    assert torch.equal(chosen, chosen.sort().values) and len(chosen.unique()) == 101
    counts = torch.bincount(labels[chosen], minlength=3).tolist()
    assert counts in ([51, 30, 20], [50, 31, 20], [50, 30, 21])


def test_probe_is_fixed_by_seed():
    labels = torch.arange(1000) % 7
    assert torch.equal(probe_indices(labels, 100, seed=1), probe_indices(labels, 100, seed=1))
    assert not torch.equal(probe_indices(labels, 100, seed=1), probe_indices(labels, 100, seed=2))


def test_probe_larger_than_the_set_is_everything():
    labels = torch.tensor([2, 0, 1, 1])
    assert probe_indices(labels, 4).tolist() == [0, 1, 2, 3]
    assert probe_indices(labels, 10).tolist() == [0, 1, 2, 3]


def test_model_input_scale():
    images = torch.tensor([[[0, 255], [128, 127]]], dtype=torch.uint8)
    scaled = to_model_input(images)
    assert scaled.shape == (1, 1, 2, 2) and scaled.dtype == torch.float32
    assert scaled[0, 0, 0].tolist() == pytest.approx([-127.5 / 128, 127.5 / 128])
    assert scaled.abs().max() < 1


@pytest.mark.skipif(not DEBIAN_FASHION_MNIST.is_dir(), reason="Debian's dataset-fashion-mnist is not installed")
def test_fashion_mnist_from_debian(empty_cache):
    assert is_available("fashion-mnist")
    dataset = load_dataset("fashion-mnist", download=False)
    assert dataset.train_images.shape == (60000, 28, 28) and dataset.test_images.shape == (10000, 28, 28)
    assert dataset.num_classes == 10 and dataset.class_names[0] == "T-shirt/top"
    assert dataset.class_names[-1] == "Ankle boot"
    assert torch.equal(torch.bincount(dataset.test_labels), torch.full((10,), 1000))
    assert str(DEBIAN_FASHION_MNIST) in dataset.source


def test_digits_are_scikit_learns_own_images_and_split_without_importing_it():
    """The built-in dataset reads the file scikit-learn ships and a stored copy of its split."""
    code = ("import sys; from cl_viz.core.data import load_dataset; d = load_dataset('digits'); "
            "print(len(d.train_labels), len(d.test_labels), 'sklearn' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["1347", "450", "False"]
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    from cl_viz.core.digits import digits_split, load_digit_arrays

    bunch = load_digits()
    images, labels = load_digit_arrays()
    assert np.array_equal(images, bunch.images) and np.array_equal(labels, bunch.target)
    expected = train_test_split(np.arange(len(labels)), test_size=0.25, random_state=0, stratify=bunch.target)
    assert all(np.array_equal(mine, theirs) for mine, theirs in zip(digits_split(), expected))
