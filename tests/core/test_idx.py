import gzip

import numpy as np
import pytest
import torch

from cl_viz.core import idx
from cl_viz.core.data import load_idx_folder
from cl_viz.core.errors import ClVizError
from cl_viz.core.idx import read_idx, write_idx


def write_mnist_like(folder, n_train=12, n_test=5, num_classes=3, suffix=".gz"):
    rng = np.random.default_rng(0)
    folder.mkdir(parents=True, exist_ok=True)
    for prefix, count in (("train", n_train), ("t10k", n_test)):
        images = rng.integers(0, 256, size=(count, 28, 28), dtype=np.uint8)
        labels = (np.arange(count) % num_classes).astype(np.uint8)
        write_idx(folder / f"{prefix}-images-idx3-ubyte{suffix}", images)
        write_idx(folder / f"{prefix}-labels-idx1-ubyte{suffix}", labels)


@pytest.mark.parametrize("suffix", ["", ".gz"])
@pytest.mark.parametrize("shape", [(7,), (4, 28, 28)])
def test_ubyte_round_trip(tmp_path, suffix, shape):
    array = np.random.default_rng(1).integers(0, 256, size=shape, dtype=np.uint8)
    path = tmp_path / f"data{suffix}"
    write_idx(path, array)
    loaded = read_idx(path)
    assert loaded.dtype == np.uint8
    np.testing.assert_array_equal(loaded, array)


@pytest.mark.parametrize("dtype", [np.int8, np.int16, np.int32, np.float32, np.float64])
def test_multibyte_round_trip_is_native_and_writable(tmp_path, dtype):
    array = np.arange(-6, 6).reshape(3, 4).astype(dtype)
    write_idx(tmp_path / "data", array)
    loaded = read_idx(tmp_path / "data")
    assert loaded.dtype == np.dtype(dtype) and loaded.flags.writeable
    np.testing.assert_array_equal(loaded, array)


def test_header_is_big_endian_mnist_layout(tmp_path):
    write_idx(tmp_path / "labels", np.array([3, 1, 4], dtype=np.uint8))
    assert (tmp_path / "labels").read_bytes() == bytes([0, 0, 8, 1, 0, 0, 0, 3, 3, 1, 4])


def test_gzip_is_detected_by_content_not_name(tmp_path):
    array = np.arange(10, dtype=np.uint8)
    write_idx(tmp_path / "data.gz", array)
    (tmp_path / "data.gz").rename(tmp_path / "data")
    np.testing.assert_array_equal(read_idx(tmp_path / "data"), array)


def test_wrong_magic_names_the_file(tmp_path):
    path = tmp_path / "picture.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(100))
    with pytest.raises(ClVizError, match="picture.png is not an IDX file"):
        read_idx(path)


def test_truncated_data(tmp_path):
    path = tmp_path / "images"
    write_idx(path, np.zeros((2, 28, 28), dtype=np.uint8))
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(ClVizError, match="images is truncated: expected 1568 bytes of data, found 1468"):
        read_idx(path)


def test_truncated_header(tmp_path):
    path = tmp_path / "images"
    path.write_bytes(bytes([0, 0, 8, 3, 0, 0]))
    with pytest.raises(ClVizError, match="truncated"):
        read_idx(path)


@pytest.mark.parametrize("damage", ["cut", "flip"])
def test_corrupt_gzip(tmp_path, damage):
    path = tmp_path / "labels.gz"
    write_idx(path, np.arange(200, dtype=np.uint8))
    content = bytearray(path.read_bytes())
    if damage == "cut":
        content = content[: len(content) // 2]
    else:
        content[-6] ^= 0xFF  # inside the CRC32 trailer
    path.write_bytes(bytes(content))
    with pytest.raises(ClVizError, match="labels.gz is a corrupt gzip file"):
        read_idx(path)


def test_missing_file(tmp_path):
    with pytest.raises(ClVizError, match="does not exist"):
        read_idx(tmp_path / "nothing")


def test_unsupported_dtype_is_refused(tmp_path):
    with pytest.raises(ClVizError, match="int64"):
        write_idx(tmp_path / "data", np.zeros(3, dtype=np.int64))


@pytest.mark.parametrize("in_raw", [False, True])
def test_folder_loads(tmp_path, in_raw):
    write_mnist_like(tmp_path / "raw" if in_raw else tmp_path)
    dataset = load_idx_folder(tmp_path, name="toy")
    assert dataset.name == "toy" and str(tmp_path) in dataset.source
    assert dataset.train_images.shape == (12, 28, 28) and dataset.train_images.dtype == torch.uint8
    assert dataset.test_images.shape == (5, 28, 28)
    assert dataset.train_labels.dtype == torch.int64
    assert dataset.train_labels.tolist() == [0, 1, 2] * 4
    assert dataset.class_names == ("0", "1", "2") and dataset.num_classes == 3


def test_folder_with_plain_files_and_known_name(tmp_path):
    write_mnist_like(tmp_path, num_classes=10, n_train=20, suffix="")
    dataset = load_idx_folder(tmp_path, name="fashion-mnist")
    assert dataset.class_names[0] == "T-shirt/top" and dataset.num_classes == 10


def test_missing_files_are_listed(tmp_path):
    write_mnist_like(tmp_path)
    (tmp_path / "t10k-labels-idx1-ubyte.gz").unlink()
    (tmp_path / "train-images-idx3-ubyte.gz").unlink()
    with pytest.raises(ClVizError, match="lacks train-images-idx3-ubyte, t10k-labels-idx1-ubyte"):
        load_idx_folder(tmp_path)


def test_missing_folder(tmp_path):
    with pytest.raises(ClVizError, match="does not exist"):
        load_idx_folder(tmp_path / "absent")


def test_mismatched_counts(tmp_path):
    write_mnist_like(tmp_path)
    write_idx(tmp_path / "train-labels-idx1-ubyte.gz", np.zeros(11, dtype=np.uint8))
    with pytest.raises(ClVizError, match="has 12 images but .* has 11 labels"):
        load_idx_folder(tmp_path)


def test_images_must_be_28_by_28(tmp_path):
    write_mnist_like(tmp_path)
    write_idx(tmp_path / "t10k-images-idx3-ubyte.gz", np.zeros((5, 32, 32), dtype=np.uint8))
    with pytest.raises(ClVizError, match="28x28"):
        load_idx_folder(tmp_path)


def test_labels_must_be_below_100(tmp_path):
    write_mnist_like(tmp_path)
    write_idx(tmp_path / "train-labels-idx1-ubyte.gz", np.full(12, 100, dtype=np.uint8))
    with pytest.raises(ClVizError, match="outside 0..99"):
        load_idx_folder(tmp_path)


def test_gzip_module_agrees(tmp_path):
    """Files we write are ordinary gzip files other tools can open."""
    write_idx(tmp_path / "data.gz", np.arange(5, dtype=np.uint8))
    assert gzip.decompress((tmp_path / "data.gz").read_bytes())[-5:] == bytes(range(5))


def test_a_header_whose_sizes_overflow_64_bits_is_truncated_not_a_crash(tmp_path):
    """65536⁴ is 2⁶⁴: a 64-bit product wraps to 0 bytes expected, and the empty data then fails to reshape."""
    path = tmp_path / "images"
    path.write_bytes(bytes([0, 0, 8, 4]) + np.array([65536] * 4, dtype=">u4").tobytes())
    with pytest.raises(ClVizError, match="images is truncated: expected 18446744073709551616 bytes"):
        read_idx(path)


def test_a_gzip_bomb_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(idx, "MAX_BYTES", 1_000_000)
    path = tmp_path / "images.gz"
    path.write_bytes(gzip.compress(bytes([0, 0, 8, 1]) + np.array([2_000_000], ">u4").tobytes() + bytes(2_000_000)))
    assert path.stat().st_size < 10_000
    with pytest.raises(ClVizError, match="images.gz unpacks to more than"):
        read_idx(path)


def test_a_huge_plain_file_is_refused_before_reading(tmp_path, monkeypatch):
    monkeypatch.setattr(idx, "MAX_BYTES", 1000)
    path = tmp_path / "images"
    write_idx(path, np.zeros(2000, dtype=np.uint8))
    with pytest.raises(ClVizError, match="images is larger than"):
        read_idx(path)


def test_a_folder_without_images(tmp_path):
    write_mnist_like(tmp_path)
    write_idx(tmp_path / "t10k-images-idx3-ubyte.gz", np.zeros((0, 28, 28), dtype=np.uint8))
    write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", np.zeros(0, dtype=np.uint8))
    with pytest.raises(ClVizError, match="t10k-images-idx3-ubyte.gz holds no images"):
        load_idx_folder(tmp_path)


def test_negative_labels(tmp_path):
    write_mnist_like(tmp_path)
    write_idx(tmp_path / "train-labels-idx1-ubyte.gz", np.full(12, -1, dtype=np.int8))
    with pytest.raises(ClVizError, match="outside 0..99"):
        load_idx_folder(tmp_path)


def test_labels_that_are_not_integers(tmp_path):
    write_mnist_like(tmp_path)
    write_idx(tmp_path / "train-labels-idx1-ubyte.gz", np.zeros(12, dtype=np.float32))
    with pytest.raises(ClVizError, match="one integer label per image"):
        load_idx_folder(tmp_path)
