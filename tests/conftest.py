import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import shutil  # noqa: E402
import subprocess  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from cl_viz.core.config import WORKER_MODE_VARIABLE, TrainConfig  # noqa: E402
from cl_viz.core.data import load_dataset  # noqa: E402

torch.set_num_threads(2)


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path_factory, monkeypatch):
    """No test reads or writes the user's dataset cache: "auto" resolves to the built-in digits."""
    monkeypatch.setenv("CL_VIZ_CACHE", str(tmp_path_factory.getbasetemp() / "cache"))


@pytest.fixture(autouse=True)
def training_in_threads(monkeypatch):
    """Windows train in a thread of the test's own process: the app's default, a child process per window,
    imports torch anew in each (seconds). tests/qt/test_worker_process.py tests the child process."""
    monkeypatch.setenv(WORKER_MODE_VARIABLE, "thread")


@pytest.fixture(scope="session")
def digits():
    return load_dataset("digits")


@pytest.fixture
def small_config():
    """Small and fast; plain SGD (no warm-up, no clipping), so tests can compare with hand-written loops."""
    return TrainConfig(dataset="digits", model="tiny", device="cpu", batch_size=32, probe_size=100, lr=0.05,
                       warmup_steps=0, clip_norm=0.0)


@pytest.fixture
def shown_feature_plot(qtbot):
    """A FeaturePlot with these classes, 640×520, shown and exposed; kept until the test's teardown.

    qtbot holds its widgets weakly. A shown top-level plot that only a reference cycle keeps alive
    (the plot and its axes' bound methods) is collected by whatever garbage collection runs next:
    after the test body, that is inside its own paint event, whose painter then writes into the
    freed backing store (a segfault in AxisItem.paint, depending on what ran before)."""
    from cl_viz.qt.plot.feature_plot import FeaturePlot

    made = []

    def make(class_names):
        widget = FeaturePlot()
        made.append(widget)
        qtbot.addWidget(widget)
        widget.set_classes(class_names)
        widget.resize(640, 520)
        widget.show()
        qtbot.waitExposed(widget)
        return widget

    yield make


@pytest.fixture(autouse=True)
def nothing_left_behind(request, monkeypatch):
    """A test that uses Qt must end with no QThread running, no QTimer active, no top-level widget of
    its own alive, and no exception caught by a guard (cl_viz.qt.common.guard)."""
    from cl_viz.qt.common import guard

    guard.take_caught()
    uses_qt = bool({"qtbot", "qapp"} & set(request.fixturenames))
    watch = None
    if uses_qt:
        from qt_leaks import LeakWatch

        watch = LeakWatch()
        watch.install(monkeypatch)
    yield
    caught = guard.take_caught()
    leaks = watch.leaks() if watch is not None else []
    if leaks:
        watch.clean_up()
    problems = [f"caught by a guard: {entry}" for entry in caught] + leaks
    assert not problems, "this test left something behind:\n  " + "\n  ".join(problems)


@pytest.fixture
def settings(tmp_path):
    """The app's remembered settings, in a file of this test's own."""
    from PySide6.QtCore import QSettings

    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def open_window(qtbot, settings, small_config):
    """Open main windows (one training thread each, the step-0 frame drawn); all closed at the end."""
    from cl_viz.qt.window.main_window import MainWindow
    from cl_viz.qt.worker import TrainingWorker, WorkerThread

    windows = []

    def open_(config=small_config, compare=False, **kwargs):
        worker_thread = WorkerThread(TrainingWorker(cpu_threads=1))
        with qtbot.waitSignal(worker_thread.events.frame_ready, timeout=90000):
            window = MainWindow(settings, config, compare, worker_thread=worker_thread, **kwargs)
            qtbot.addWidget(window)
            window.show()
        windows.append(window)
        return window

    yield open_
    for window in windows:
        window.close()
        assert not window.worker_thread.thread.isRunning()


@pytest.fixture
def decode_mp4():
    """ffmpeg's stream description and the RGB frames of an MP4 (imageio's ffmpeg reader leaks its pipes)."""
    import imageio_ffmpeg

    def decode(path, width: int, height: int) -> tuple[str, np.ndarray]:
        decoded = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-i", str(path), "-f",
                                  "rawvideo", "-pix_fmt", "rgb24", "-"], capture_output=True, check=True)
        assert len(decoded.stdout) % (width * height * 3) == 0
        return decoded.stderr.decode(), np.frombuffer(decoded.stdout, np.uint8).reshape(-1, height, width, 3)

    return decode


# ----- tiny file systems for tests of full and read-only disks (skipped where mounting is not allowed) -----
def _mounted(folder, options):
    folder.mkdir()
    if getattr(os, "geteuid", lambda: 1)() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a tmpfs needs root")
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)], capture_output=True,
                            text=True, timeout=30)
    if result.returncode:
        pytest.skip(f"cannot mount a tmpfs here: {result.stderr.strip()}")
    return folder


def _unmount(folder):
    subprocess.run(["umount", str(folder)], check=True, timeout=30)


@pytest.fixture
def tiny_tmpfs(tmp_path):
    """A 64 KiB file system: full after the first few writes."""
    folder = _mounted(tmp_path / "tiny", "size=64k")
    yield folder
    _unmount(folder)


@pytest.fixture
def read_only_tmpfs(tmp_path):
    folder = _mounted(tmp_path / "read-only", "ro,size=64k")
    yield folder
    _unmount(folder)
