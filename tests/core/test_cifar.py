"""CIFAR-10 offline: a tiny cifar-10-batches-py written in the format torchvision's CIFAR10 reads (pickled dicts of
uint8 rows and labels, batches.meta with label_names), loaded, trained on, downloaded from a fake mirror."""

import hashlib
import io
import json
import pickle
import tarfile

import numpy as np
import pytest
import torch
from fake_mirror import FakeMirrors
from torchvision.datasets import CIFAR10

from cl_viz.cli.main import main
from cl_viz.core.config import TrainConfig
from cl_viz.core.data import load_dataset
from cl_viz.core.dataset_files import CIFAR_FILES, CIFAR_FOLDER, cached_folder, is_available
from cl_viz.core.downloads import download_dataset
from cl_viz.core.errors import ClVizError
from cl_viz.core.session import TrainingSession

NAMES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
PER_BATCH, TEST = 8, 10


def batch(seed: int, count: int) -> dict:
    """Rows of 3,072 bytes (the red plane, the green, the blue, each 32×32 row-major) and a label per row."""
    rng = np.random.default_rng(seed)
    return {"batch_label": f"batch {seed}", "labels": [(seed + index) % 10 for index in range(count)],
            "data": rng.integers(0, 256, (count, 3072), dtype=np.uint8),
            "filenames": [f"{seed}_{index}.png" for index in range(count)]}


def write_cifar(root) -> dict[str, str]:
    """root/cifar-10-batches-py as torchvision unpacks it; returns each file's MD5."""
    folder = root / CIFAR_FOLDER
    folder.mkdir(parents=True)
    contents = {f"data_batch_{n}": batch(n, PER_BATCH) for n in range(1, 6)}
    contents["test_batch"] = batch(0, TEST)
    contents["batches.meta"] = {"label_names": NAMES, "num_cases_per_batch": PER_BATCH, "num_vis": 3072}
    digests = {}
    for name, content in contents.items():
        data = pickle.dumps(content, protocol=2)
        (folder / name).write_bytes(data)
        digests[name] = hashlib.md5(data, usedforsecurity=False).hexdigest()
    return digests


@pytest.fixture
def trust_fixture_md5s(monkeypatch):
    """torchvision checks every batch against its MD5 before reading it: make the fixture's the expected ones."""
    def trust(digests: dict[str, str]) -> None:
        train = [[f"data_batch_{n}", digests[f"data_batch_{n}"]] for n in range(1, 6)]
        monkeypatch.setattr(CIFAR10, "train_list", train)
        monkeypatch.setattr(CIFAR10, "test_list", [["test_batch", digests["test_batch"]]])
        monkeypatch.setattr(CIFAR10, "meta", {**CIFAR10.meta, "md5": digests["batches.meta"]})
    return trust


@pytest.fixture
def cifar_root(tmp_path, trust_fixture_md5s):
    root = tmp_path / "data"
    trust_fixture_md5s(write_cifar(root))
    return root


def test_cifar10_loads_as_colour_32x32_with_its_class_names(cifar_root):
    dataset = load_dataset("cifar10", str(cifar_root))
    assert dataset.name == "cifar10" and dataset.class_names == tuple(NAMES)
    assert dataset.train_images.shape == (5 * PER_BATCH, 3, 32, 32) and dataset.train_images.dtype == torch.uint8
    assert dataset.test_images.shape == (TEST, 3, 32, 32) and dataset.test_labels.tolist() == list(range(10))
    row = batch(1, PER_BATCH)["data"][0]
    assert torch.equal(dataset.train_images[0], torch.from_numpy(row.reshape(3, 32, 32)))  # planes in RGB order
    assert torch.equal(load_dataset("cifar10", str(cifar_root / CIFAR_FOLDER)).test_images, dataset.test_images)


def test_cifar10_as_grey_28x28_for_a_comparison_with_mnist(cifar_root):
    dataset = load_dataset("cifar10", str(cifar_root), image_size=28, channels=1)
    assert dataset.train_images.shape == (5 * PER_BATCH, 28, 28) and "as 28×28 grey" in dataset.source


@pytest.mark.parametrize("model", ["tiny", "lenet++"])
def test_a_few_training_steps_on_three_channels(cifar_root, model):
    config = TrainConfig(dataset="cifar10", data_dir=str(cifar_root), model=model, batch_size=8, probe_size=10,
                         device="cpu")
    session = TrainingSession(config)
    assert (session.image_size, session.channels) == (32, 3) and session.model.trunk[0].in_channels == 3
    assert session.probe_images.shape == (10, 3, 32, 32)
    for _ in range(3):
        session.train_step()
    snapshot = session.snapshot()
    assert snapshot.is_finite and snapshot.step == 3 and snapshot.features.shape == (10, 2)


def test_cl_viz_train_on_cifar10_records_colour_probe_images(cifar_root, tmp_path, capsys):
    record = tmp_path / "run.clviz"
    assert main(["train", "--dataset", "cifar10", "--data-dir", str(cifar_root), "--steps", "2", "--batch-size", "8",
                 "--probe-size", "10", "--record", str(record), "--out", str(tmp_path / "run")]) == 0
    assert "dataset: cifar10 (CIFAR-10 from" in capsys.readouterr().out
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["dataset"]["class_names"] == NAMES
    from cl_viz.core.recording import load_recording

    assert load_recording(record).run.probe_images.shape == (10, 3, 32, 32)


def test_a_batch_that_is_not_torchvisions_is_one_clear_line(tmp_path):
    write_cifar(tmp_path)  # the fixture's MD5s are not the real CIFAR-10's
    with pytest.raises(ClVizError, match=f"{CIFAR_FOLDER} holds a damaged copy of CIFAR-10 .*; delete it") as caught:
        load_dataset("cifar10", str(tmp_path))
    assert "\n" not in str(caught.value)


def test_a_missing_batch_is_named(cifar_root):
    (cifar_root / CIFAR_FOLDER / "test_batch").unlink()
    with pytest.raises(ClVizError, match="lacks CIFAR-10's test_batch"):
        load_dataset("cifar10", str(cifar_root))


def test_offline_and_not_cached_names_the_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("CL_VIZ_CACHE", str(tmp_path / "cache"))
    folder = tmp_path / "cache" / "datasets" / CIFAR_FOLDER
    with pytest.raises(ClVizError) as caught:
        load_dataset("cifar10", download=False)
    assert str(caught.value) == (f"CIFAR-10 is not cached in {folder} and downloading is off. Put torchvision's "
                                 f"cifar-10-python.tar.gz in {folder.parent} (it is unpacked there as it loads), or "
                                 f"unpack it so that {folder} holds data_batch_1 … data_batch_5, test_batch and "
                                 f"batches.meta, or pass --data-dir FOLDER.")


def test_an_archive_put_in_the_cache_by_hand_is_unpacked_without_a_download(tmp_path, monkeypatch,
                                                                           trust_fixture_md5s):
    trust_fixture_md5s(write_cifar(tmp_path / "made"))
    monkeypatch.setenv("CL_VIZ_CACHE", str(tmp_path / "cache"))
    (tmp_path / "cache" / "datasets").mkdir(parents=True)
    (tmp_path / "cache" / "datasets" / "cifar-10-python.tar.gz").write_bytes(tarball(tmp_path / "made"))
    mirrors = FakeMirrors({}, name="cifar10")
    monkeypatch.setattr("cl_viz.core.downloads.open_url", mirrors)
    assert load_dataset("cifar10").class_names == tuple(NAMES) and mirrors.requests == []


def tarball(root) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        tar.add(root / CIFAR_FOLDER, arcname=CIFAR_FOLDER)
    return buffer.getvalue()


def test_the_archive_downloads_verified_and_unpacks_where_torchvision_reads_it(tmp_path, monkeypatch,
                                                                               trust_fixture_md5s):
    trust_fixture_md5s(write_cifar(tmp_path / "made"))
    monkeypatch.setenv("CL_VIZ_CACHE", str(tmp_path / "cache"))
    mirrors = FakeMirrors({"cifar-10-python.tar.gz": tarball(tmp_path / "made")}, name="cifar10").install(monkeypatch)
    reports = []
    assert not is_available("cifar10")
    folder = download_dataset("cifar10", progress=lambda done, total: reports.append(done), transport=mirrors)
    assert folder == cached_folder("cifar10") == tmp_path / "cache" / "datasets" / CIFAR_FOLDER
    assert sorted(path.name for path in folder.iterdir()) == sorted(CIFAR_FILES) and is_available("cifar10")
    assert sorted(path.name for path in folder.parent.iterdir()) == [CIFAR_FOLDER, "cifar-10-python.tar.gz"]
    assert reports[-1] == len(mirrors.files["cifar-10-python.tar.gz"])
    assert load_dataset("cifar10", download=False).class_names == tuple(NAMES)
    mirrors.requests.clear()
    download_dataset("cifar10", transport=mirrors)
    assert mirrors.requests == []
