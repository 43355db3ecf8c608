"""A folder of images over the memory limit is left on disk and streamed, batch for batch as in memory."""

import copy
import multiprocessing

import numpy as np
import pytest
import torch
from PIL import Image

from cl_viz.core import batch_stream
from cl_viz.core.batch_stream import BatchStream
from cl_viz.core.data import fit_dataset, image_shape
from cl_viz.core.errors import ClVizError
from cl_viz.core.image_folder import load_image_folder, streaming_note
from cl_viz.core.openset_data import split_open_set
from cl_viz.core.session import TrainingSession
from cl_viz.core.streamed_images import StreamedImages, concat_images, select_images

STREAM = 1_000  # bytes: a memory limit that no folder here fits in


def noise_folder(root, counts=(14, 12, 10), size=20, mode="L"):
    """Classes of random-noise images (distinct pixels, so that a wrong order cannot pass)."""
    generator = np.random.default_rng(0)
    for label, count in enumerate(counts):
        (root / f"class{label}").mkdir(parents=True)
        for index in range(count):
            shape = (size, size) if mode == "L" else (size, size, 3)
            Image.fromarray(generator.integers(0, 256, shape, dtype=np.uint8), mode).save(
                root / f"class{label}" / f"{index}.png")
    return root


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return noise_folder(tmp_path_factory.mktemp("noise"))


@pytest.fixture
def config(small_config, folder):
    return small_config.replace(dataset="auto", data_dir=str(folder), batch_size=8, probe_size=10, image_size=16,
                                channels=1)


def stop_workers():
    for child in multiprocessing.active_children():
        child.join(timeout=10)
    return multiprocessing.active_children()


def test_a_folder_over_the_limit_is_streamed_and_says_what_it_would_need(folder):
    held = load_image_folder(folder, 16)
    streamed = load_image_folder(folder, 16, memory_limit=STREAM)
    assert isinstance(held.train_images, torch.Tensor) and "streamed" not in held.source
    store = streamed.train_images
    assert isinstance(store, StreamedImages) and len(store) == 29 and store.shape == (29, 16, 16)
    assert store.dtype == torch.uint8 and store.device == torch.device("cpu") and store.to("cuda") is store
    assert torch.equal(streamed.train_labels, held.train_labels) and torch.equal(streamed.test_labels, held.test_labels)
    assert "the 36 images would need 9,216 bytes in memory as 16×16 grey uint8 (256 bytes each), over the 1,000 " \
           "bytes held in memory: the training and test images are streamed from disk" in streamed.source
    assert torch.equal(store[torch.arange(29)], held.train_images)
    assert torch.equal(streamed.test_images[torch.tensor([4, 0])], held.test_images[[4, 0]])
    assert image_shape(store) == (16, 1) and streamed.input_shape == (16, 1)


def test_the_test_split_stays_in_memory_when_it_alone_fits(folder):
    dataset = load_image_folder(folder, 16, channels=3, memory_limit=7 * 768)
    assert isinstance(dataset.train_images, StreamedImages) and dataset.train_images.shape == (29, 3, 16, 16)
    assert isinstance(dataset.test_images, torch.Tensor) and dataset.test_images.shape == (7, 3, 16, 16)
    assert "the training images are streamed" in dataset.source


def test_progress_counts_only_the_images_read_into_memory(folder):
    calls = []
    load_image_folder(folder, 16, memory_limit=7 * 256, progress=lambda done, total: calls.append((done, total)))
    assert calls[-1] == (7, 7) and len(calls) == 7


def test_an_imagenet_sized_folder_is_told_in_gibibytes():
    assert streaming_note(1_281_167, 64, 3, 2 * 1024**3, test_held=True) == (
        "; the 1,281,167 images would need 14.66 GiB in memory as 64×64 colour uint8 (12,288 bytes each), over the "
        "2.00 GiB held in memory: the training images are streamed from disk, batch by batch")
    assert streaming_note(10, 28, 1, 2 * 1024**3, True, True) == ""


def test_masks_indices_and_slices_pick_files_without_reading_them(folder):
    store = load_image_folder(folder, 16, memory_limit=STREAM).train_images
    pixels = store[torch.arange(len(store))]
    mask = torch.arange(len(store)) % 3 == 0
    for index in (mask, torch.tensor([5, 1, 5]), np.array([2, 3]), [0, 28], slice(3, 9)):
        chosen = select_images(store, index)
        assert isinstance(chosen, StreamedImages) and torch.equal(chosen[torch.arange(len(chosen))], pixels[index])
        assert torch.equal(store[index], pixels[index])
    assert torch.equal(store[7], pixels[7]) and torch.equal(store[torch.tensor(7)], pixels[7])
    with pytest.raises(IndexError):
        store[torch.ones(3, dtype=torch.bool)]
    both = concat_images([store.subset([1]), store.subset([2])])
    assert isinstance(both, StreamedImages) and torch.equal(both[[0, 1]], pixels[[1, 2]])
    assert torch.equal(concat_images([store.subset([1]), pixels[:2]]), pixels[[1, 0, 1]])


def test_another_input_shape_reads_the_files_at_that_shape(folder):
    dataset = fit_dataset(load_image_folder(folder, 16, memory_limit=STREAM), 24, 3)
    assert dataset.train_images.shape == (29, 3, 24, 24) and isinstance(dataset.train_images, StreamedImages)
    assert torch.equal(dataset.test_images[[0, 1]], load_image_folder(folder, 24, 3).test_images[[0, 1]])
    same = load_image_folder(folder, 16, memory_limit=STREAM)
    assert fit_dataset(same, 16, 1) is same


@pytest.mark.parametrize("context", ["fork", "spawn"])
def test_streamed_training_matches_the_in_memory_one_bit_for_bit_and_its_workers_end(folder, config, context,
                                                                                      monkeypatch):
    monkeypatch.setattr(batch_stream, "LOADER_CONTEXT", context)
    monkeypatch.setattr(batch_stream, "LOADER_WORKERS", 2 if context == "fork" else 1)  # spawn: each imports torch
    held = TrainingSession(config, load_image_folder(folder, 16))
    streamed = TrainingSession(config, load_image_folder(folder, 16, memory_limit=STREAM))
    assert torch.equal(held.probe_images, streamed.probe_images)
    for _ in range(5):  # 3 steps an epoch: past an epoch's end
        held.train_step()
        streamed.train_step()
    assert streamed._stream.workers == batch_stream.LOADER_WORKERS
    assert len(multiprocessing.active_children()) >= streamed._stream.workers
    state = held.state_dict()
    for name, value in state["model"].items():
        assert torch.equal(streamed.model.state_dict()[name], value), name
    assert torch.equal(streamed.center_loss.centers, held.center_loss.centers)
    streamed.close()
    assert stop_workers() == []


def test_a_resume_restarts_the_stream_at_its_step(folder, config):
    held = TrainingSession(config, load_image_folder(folder, 16))
    streamed = TrainingSession(config, load_image_folder(folder, 16, memory_limit=STREAM))
    streamed.train_step()  # the loader now reads steps 1, 2, ... ahead
    for _ in range(4):
        held.train_step()
    streamed.load_state_dict(copy.deepcopy(held.state_dict()))  # as from a file: no tensor shared
    held.train_step()
    streamed.train_step()
    assert torch.equal(streamed.center_loss.centers, held.center_loss.centers)
    for name, value in held.model.state_dict().items():
        assert torch.equal(streamed.model.state_dict()[name], value), name
    del streamed  # the finalizer ends the workers
    assert stop_workers() == []


def test_held_out_classes_keep_the_streamed_images_on_disk(folder, config):
    dataset = load_image_folder(folder, 16, memory_limit=STREAM)
    open_set = split_open_set(dataset, config.replace(unknown_classes=(1,)), None)
    known = open_set.known
    assert isinstance(known.train_images, StreamedImages) and len(known.train_images) == len(known.train_labels)
    expected = dataset.train_images.subset(dataset.train_labels != 1)
    assert list(known.train_images.paths) == list(expected.paths)
    assert isinstance(open_set.unknown_images, StreamedImages) and len(open_set.unknown_images) == 2
    session = TrainingSession(config.replace(unknown_classes=(1,)), dataset)
    session.train_step()
    session.close()
    assert stop_workers() == []


def test_a_file_that_breaks_while_streaming_gets_the_one_clear_line(tmp_path, config):
    folder = noise_folder(tmp_path / "noise", counts=(6, 6))
    dataset = load_image_folder(folder, 16, memory_limit=STREAM)
    broken = dataset.train_images.paths[3]
    with open(broken, "w") as file:
        file.write("not a PNG")
    session = TrainingSession(config.replace(batch_size=9), dataset)  # one batch: every training image
    with pytest.raises(ClVizError, match=r"^\S+\.png is not an image cl-viz can read \(.*\)\.$") as caught:
        session.train_step()
    assert str(caught.value).startswith(f"{broken} is not an image cl-viz can read") and "\n" not in str(caught.value)
    session.close()
    assert stop_workers() == []


def test_without_worker_processes_the_batches_are_read_here(folder, monkeypatch):
    def no_processes(*args, **kwargs):
        raise AssertionError("daemonic processes are not allowed to have children")

    monkeypatch.setattr(batch_stream, "_MultiProcessingDataLoaderIter", no_processes, raising=False)
    monkeypatch.setattr("torch.utils.data.dataloader._MultiProcessingDataLoaderIter", no_processes)
    store = load_image_folder(folder, 16, memory_limit=STREAM).train_images
    stream = BatchStream(store, lambda step: torch.tensor([step, 0]) if step < 3 else None)
    indices, images = stream.batch(1)
    assert stream.workers == 0 and "daemonic" in stream.startup_error
    assert indices.tolist() == [1, 0] and torch.equal(images, store[[1, 0]])
    assert stream.batch(2)[0].tolist() == [2, 0]
    with pytest.raises(ClVizError, match="no training batch for step 3"):
        stream.batch(3)
    assert torch.equal(stream.batch(0)[1], store[[0, 0]])  # any step again, from the start
