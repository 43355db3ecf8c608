"""MNIST one click away: the banner's offer, the download strip's progress and Cancel, the reset onto MNIST,
and a window closed mid-download (fake mirrors: no network)."""

import threading

import pytest
from fake_mirror import FIRST, SECOND, FakeMirrors

from cl_viz.core.dataset_files import cached_folder
from cl_viz.core.downloads import download_dataset
from cl_viz.qt.window.main_window import DOWNLOAD_OFFER


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """A cache of this test's own: what it downloads no other test sees."""
    monkeypatch.setenv("CL_VIZ_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.fixture
def mirrors(cache, monkeypatch):
    return FakeMirrors().install(monkeypatch)


def fetch_through(mirrors, hold=None):
    """A downloader over the fake mirrors whose transfers stop after their first chunk until `hold` is set
    (by default until the download is cancelled: a read that returns only when the window gives up)."""

    def fetch(name, progress=None, cancel=None):
        mirrors.hold = hold if hold is not None else cancel
        return download_dataset(name, progress=progress, cancel=cancel, transport=mirrors)

    return fetch


def final_files(mirrors) -> list[str]:
    raw = cached_folder("mnist") / "raw"
    return [path.name for path in raw.iterdir() if path.name in mirrors.files] if raw.is_dir() else []


def ready_on(window, name):
    return {"signal": window.worker_thread.events.run_ready, "timeout": 60000,
            "check_params_cb": lambda info: info.dataset_name == name}


def test_without_mnist_the_banner_offers_to_download_it(open_window, cache, small_config):
    window = open_window(small_config.replace(dataset="auto"))
    assert window.info.dataset_name == "digits"
    assert window.banner.isVisible() and window.banner.topic == DOWNLOAD_OFFER
    assert window.banner.action.isVisible() and window.banner.action.text() == "Download MNIST (≈ 11 MB)"
    assert "MNIST is not cached" in window.banner.text.text()
    assert not window.download_strip.isVisible()


def test_a_chosen_dataset_shows_no_offer(open_window, cache):
    assert not open_window().banner.isVisible()  # digits chosen, not fallen back to


def test_the_download_shows_progress_then_the_run_resets_onto_mnist(qtbot, open_window, mirrors, small_config):
    window = open_window(small_config.replace(dataset="auto"))
    strip, gate = window.download_strip, threading.Event()
    strip.fetch = fetch_through(mirrors, hold=gate)
    window.banner.action.click()
    qtbot.waitUntil(lambda: strip.bar.value() > 0, timeout=10000)
    assert strip.isVisible() and not window.banner.isVisible()
    assert strip.text.text().startswith("Downloading MNIST: ") and strip.cancel_button.isEnabled()
    assert window.info.dataset_name == "digits"  # the worker never waits for the network
    with qtbot.waitSignal(**ready_on(window, "mnist")):
        gate.set()
    assert not strip.isVisible() and not window.banner.isVisible()
    assert "dataset: mnist (64 train" in window.status["dataset"].text()
    assert sorted(final_files(mirrors)) == sorted(mirrors.files)
    qtbot.waitUntil(lambda: not strip.download_thread.isRunning(), timeout=10000)


def test_cancel_stops_the_download_and_leaves_no_final_file(qtbot, open_window, mirrors, small_config):
    window = open_window(small_config.replace(dataset="auto"))
    strip = window.download_strip
    strip.fetch = fetch_through(mirrors)
    window.banner.action.click()
    qtbot.waitUntil(lambda: strip.bar.value() > 0, timeout=10000)
    with qtbot.waitSignal(strip.cancelled, timeout=10000):
        strip.cancel_button.click()
    qtbot.waitUntil(lambda: not strip.download_thread.isRunning(), timeout=10000)
    assert not strip.isVisible() and final_files(mirrors) == []
    assert "cancelled" in window.statusBar().currentMessage()
    assert window.info.dataset_name == "digits" and not window._reset_after_download


def test_closing_the_window_mid_download_leaves_no_thread_running(qtbot, open_window, mirrors, small_config):
    window = open_window(small_config.replace(dataset="auto"))
    strip = window.download_strip
    strip.fetch = fetch_through(mirrors)
    window.banner.action.click()
    qtbot.waitUntil(lambda: strip.bar.value() > 0, timeout=10000)
    thread = strip.download_thread
    window.close()
    assert not thread.isRunning() and final_files(mirrors) == []


def test_choosing_mnist_under_setup_downloads_it_first(qtbot, open_window, mirrors):
    window = open_window()
    strip, gate = window.download_strip, threading.Event()
    strip.fetch = fetch_through(mirrors, hold=gate)
    window.controls.dataset.setCurrentIndex(window.controls.dataset.findData("mnist"))
    window.controls.apply.click()
    qtbot.waitUntil(lambda: strip.bar.value() > 0, timeout=10000)
    window.request_reset()  # pressing R again while it downloads changes nothing
    assert window.info.dataset_name == "digits" and strip.downloading() == "mnist"
    with qtbot.waitSignal(**ready_on(window, "mnist")):
        gate.set()
    assert window.controls.dataset.currentData() == "mnist" and not window.controls.needs_reset()


def test_offline_the_banner_says_where_the_four_files_go(qtbot, open_window, mirrors, small_config):
    mirrors.down.update({FIRST, SECOND})
    window = open_window(small_config.replace(dataset="auto"))
    window.download_strip.fetch = fetch_through(mirrors)
    window.banner.action.click()
    qtbot.waitUntil(lambda: window.banner.isVisible() and window.banner.topic is None, timeout=10000)
    text = window.banner.text.text()
    assert "MNIST could not be downloaded" in text and str(cached_folder("mnist") / "raw") in text
    assert not window.download_strip.isVisible() and window.info.dataset_name == "digits"
    qtbot.waitUntil(lambda: not window.download_strip.download_thread.isRunning(), timeout=10000)


def test_a_dismissed_offer_is_not_repeated_at_the_next_reset(qtbot, open_window, cache, small_config):
    window = open_window(small_config.replace(dataset="auto"))
    window.banner.dismiss.click()
    with qtbot.waitSignal(**ready_on(window, "digits")):
        window.request_reset()
    assert not window.banner.isVisible()
