"""The MNIST-family downloader against fake mirrors (no network): progress, cancel, resume, MD5, mirrors, errors."""

import http.server
import io
import threading
from pathlib import Path

import pytest
from fake_mirror import FIRST, SECOND, FakeMirrors

from cl_viz.cli.progress import DownloadMeter
from cl_viz.core import downloads
from cl_viz.core.data import load_dataset
from cl_viz.core.dataset_files import cached_folder, is_available
from cl_viz.core.downloads import download_dataset, open_url, partial_path
from cl_viz.core.errors import Cancelled, ClVizError

TRAIN_IMAGES = "train-images-idx3-ubyte.gz"


@pytest.fixture
def mirrors(tmp_path, monkeypatch):
    monkeypatch.setenv("CL_VIZ_CACHE", str(tmp_path / "cache"))
    return FakeMirrors().install(monkeypatch)


def raw() -> Path:
    return cached_folder("mnist") / "raw"


def test_the_four_files_arrive_verified_where_the_loader_reads_them(mirrors):
    reports = []
    assert download_dataset("mnist", progress=lambda done, total: reports.append((done, total)),
                            transport=mirrors) == cached_folder("mnist")
    total = sum(len(content) for content in mirrors.files.values())
    assert reports[-1] == (total, total)
    dones = [done for done, _ in reports]
    assert dones == sorted(dones) and all(seen == total for _, seen in reports)
    assert len(reports) > 4 * 2  # chunk by chunk, not file by file
    assert sorted(path.name for path in raw().iterdir()) == sorted(mirrors.files)  # no partial file left
    assert {(raw() / file).read_bytes() for file in mirrors.files} == set(mirrors.files.values())
    dataset = load_dataset("mnist", download=False)
    assert dataset.train_images.shape == (64, 28, 28) and dataset.test_labels.shape == (32,)


def test_files_already_cached_are_not_fetched_again(mirrors):
    download_dataset("mnist", transport=mirrors)
    mirrors.requests.clear()
    download_dataset("mnist", transport=mirrors)
    assert mirrors.requests == []


def test_cancel_mid_way_leaves_nothing_at_the_final_path_and_the_next_try_resumes(mirrors):
    cancel = threading.Event()

    def cancel_after_two_chunks(done, total):
        if done >= 2 * 1024:
            cancel.set()

    with pytest.raises(Cancelled):
        download_dataset("mnist", progress=cancel_after_two_chunks, cancel=cancel, transport=mirrors)
    final = raw() / TRAIN_IMAGES
    assert not final.exists() and not is_available("mnist")
    kept = partial_path(final).stat().st_size
    assert 0 < kept < len(mirrors.files[TRAIN_IMAGES])
    reports = []
    download_dataset("mnist", progress=lambda done, total: reports.append(done), transport=mirrors)
    assert mirrors.urls_of(TRAIN_IMAGES)[-1] == (FIRST + TRAIN_IMAGES, kept)
    assert reports[0] == kept and reports == sorted(reports)
    assert final.read_bytes() == mirrors.files[TRAIN_IMAGES]


def test_a_partial_file_resumes_with_a_range(mirrors):
    content = mirrors.files[TRAIN_IMAGES]
    raw().mkdir(parents=True)
    partial_path(raw() / TRAIN_IMAGES).write_bytes(content[:5000])
    download_dataset("mnist", transport=mirrors)
    assert mirrors.urls_of(TRAIN_IMAGES) == [(FIRST + TRAIN_IMAGES, 5000)]
    assert (raw() / TRAIN_IMAGES).read_bytes() == content


def test_a_server_that_ignores_the_range_restarts_the_file(mirrors):
    mirrors.ignores_range = True
    content = mirrors.files[TRAIN_IMAGES]
    raw().mkdir(parents=True)
    partial_path(raw() / TRAIN_IMAGES).write_bytes(content[:5000])
    download_dataset("mnist", transport=mirrors)
    assert (raw() / TRAIN_IMAGES).read_bytes() == content


def test_a_partial_file_complete_before_an_interruption_needs_no_request(mirrors):
    raw().mkdir(parents=True)
    partial_path(raw() / TRAIN_IMAGES).write_bytes(mirrors.files[TRAIN_IMAGES])
    download_dataset("mnist", transport=mirrors)
    assert mirrors.urls_of(TRAIN_IMAGES) == []
    assert (raw() / TRAIN_IMAGES).read_bytes() == mirrors.files[TRAIN_IMAGES]


def test_a_corrupt_file_is_refused_and_the_next_mirror_tried(mirrors):
    mirrors.corrupt.add(FIRST)
    download_dataset("mnist", transport=mirrors)
    assert [url for url, _ in mirrors.urls_of(TRAIN_IMAGES)] == [FIRST + TRAIN_IMAGES, SECOND + TRAIN_IMAGES]
    assert mirrors.urls_of(TRAIN_IMAGES)[1][1] == 0  # the refused copy was thrown away, not resumed
    assert {(raw() / file).read_bytes() for file in mirrors.files} == set(mirrors.files.values())


def test_a_corrupt_partial_file_is_fetched_afresh_from_the_same_mirror(mirrors):
    raw().mkdir(parents=True)
    partial_path(raw() / TRAIN_IMAGES).write_bytes(b"\0" * 5000)  # not the file's first bytes
    download_dataset("mnist", transport=mirrors)
    assert mirrors.urls_of(TRAIN_IMAGES) == [(FIRST + TRAIN_IMAGES, 5000), (FIRST + TRAIN_IMAGES, 0)]
    assert (raw() / TRAIN_IMAGES).read_bytes() == mirrors.files[TRAIN_IMAGES]


def test_a_transfer_cut_short_resumes_from_the_next_mirror(mirrors):
    mirrors.cut_short.add(FIRST)
    download_dataset("mnist", transport=mirrors)
    (first, start_first), (second, start_second) = mirrors.urls_of(TRAIN_IMAGES)
    assert (first, start_first) == (FIRST + TRAIN_IMAGES, 0)
    assert second == SECOND + TRAIN_IMAGES and start_second == len(mirrors.files[TRAIN_IMAGES]) // 2
    assert (raw() / TRAIN_IMAGES).read_bytes() == mirrors.files[TRAIN_IMAGES]


def test_every_mirror_failing_is_one_line_naming_the_folder(mirrors):
    mirrors.down.update({FIRST, SECOND})
    with pytest.raises(ClVizError) as failure:
        download_dataset("mnist", transport=mirrors)
    message = str(failure.value)
    assert "\n" not in message and message.startswith("MNIST could not be downloaded (")
    assert str(raw()) in message and "t10k-labels-idx1-ubyte.gz" in message
    assert "first.invalid: [Errno -3] Temporary failure in name resolution" in message
    assert "second.invalid" in message
    assert not cached_folder("mnist").exists()  # not even an empty folder is left


def test_load_dataset_downloads_with_progress_through_the_default_transport(mirrors, monkeypatch):
    monkeypatch.setattr(downloads, "open_url", mirrors)
    reports = []
    dataset = load_dataset("mnist", progress=lambda done, total: reports.append((done, total)))
    assert dataset.name == "mnist" and len(dataset.train_labels) == 64
    assert reports[-1][0] == reports[-1][1]


def test_a_folder_that_cannot_be_written_is_said_so(mirrors):
    cached_folder("mnist").mkdir(parents=True)
    raw().write_text("a file where the folder should be")
    with pytest.raises(ClVizError, match=f"{raw()} is a file, not a folder"):
        download_dataset("mnist", transport=mirrors)


def test_the_sizes_in_the_table_add_up_to_the_banners_figure():
    assert round(downloads.download_size("mnist") / 2**20) == 11
    assert set(downloads.RESOURCES) == set(downloads.MIRRORS) == {"mnist", "fashion-mnist", "kmnist", "cifar10"}
    assert round(downloads.download_size("cifar10") / 2**20) == 163  # torchvision: "170 MB" (decimal)


def test_the_terminal_meter_says_when_it_starts_and_ends():
    stream = io.StringIO()
    meter = DownloadMeter("mnist", stream)
    for done in (0, 2**20, 2 * 2**20):
        meter(done, 2 * 2**20)
    assert stream.getvalue() == "downloading mnist (2.0 MB)\ndownloaded mnist\n"


# ----- the real transport, against a server on this machine's loopback ----------------------------
class RangeHandler(http.server.BaseHTTPRequestHandler):
    content = bytes(range(256)) * 40
    honours_range = True

    def do_GET(self):  # noqa: N802 (http.server's name)
        first = 0
        asked = self.headers.get("Range", "")
        if asked.startswith("bytes=") and self.honours_range:
            first = int(asked.removeprefix("bytes=").rstrip("-"))
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {first}-{len(self.content) - 1}/{len(self.content)}")
        else:
            self.send_response(200)
        self.send_header("Content-Length", str(len(self.content) - first))
        self.end_headers()
        self.wfile.write(self.content[first:])

    def log_message(self, *args):
        pass


@pytest.fixture
def server(monkeypatch):
    for variable in ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(variable, raising=False)  # urllib would send even a loopback request to a proxy
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), RangeHandler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/file.gz"
    httpd.shutdown()
    httpd.server_close()
    thread.join()


@pytest.mark.parametrize("honours_range", [True, False])
def test_open_url_asks_for_a_range_and_says_where_the_body_starts(server, monkeypatch, honours_range):
    monkeypatch.setattr(RangeHandler, "honours_range", honours_range)
    whole = open_url(server)
    with whole.stream:
        assert (whole.offset, whole.size, whole.stream.read()) == (0, len(RangeHandler.content), RangeHandler.content)
    resumed = open_url(server, 1000)
    with resumed.stream:
        body = resumed.stream.read()
    assert resumed.size == len(RangeHandler.content)
    assert resumed.offset == (1000 if honours_range else 0)
    assert body == RangeHandler.content[resumed.offset:]
