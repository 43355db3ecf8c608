"""Training in a child process (--worker process): the same commands and signals as the thread worker."""

import os
import signal

import numpy as np
import pytest
from PIL import Image

from cl_viz.core.config import DEFAULT_WORKER_MODE
from cl_viz.qt.worker import TrainingWorker, WorkerThread
from cl_viz.qt.worker_process import ProcessWorker, make_worker, worker_mode


def test_the_mode_comes_from_the_flag_then_the_environment_then_the_default(monkeypatch):
    monkeypatch.delenv("CL_VIZ_WORKER")  # the suite's own conftest sets it to thread
    assert worker_mode() == DEFAULT_WORKER_MODE == "process" and isinstance(make_worker(), ProcessWorker)
    monkeypatch.setenv("CL_VIZ_WORKER", "thread")
    assert worker_mode() == "thread" and isinstance(make_worker(), TrainingWorker)
    monkeypatch.setenv("CL_VIZ_WORKER", "process")
    assert worker_mode() == "process" and isinstance(make_worker(), ProcessWorker)
    assert worker_mode("thread") == "thread" and isinstance(make_worker("thread"), TrainingWorker)
    monkeypatch.setenv("CL_VIZ_WORKER", "fork")
    with pytest.raises(ValueError, match="choose one of process, thread"):
        worker_mode()


def test_a_stop_before_any_command_starts_no_process(qtbot):
    thread = WorkerThread(ProcessWorker(cpu_threads=1))
    thread.start()
    assert thread.shutdown(5000)
    assert thread.worker.exit_code is None  # no child was started


def test_the_child_trains_streams_frames_and_ends_with_the_window(qtbot, small_config):
    thread = WorkerThread(ProcessWorker(cpu_threads=1))
    frames, states = [], []
    thread.events.frame_ready.connect(frames.append)
    thread.events.state_changed.connect(states.append)
    thread.start()
    with qtbot.waitSignal(thread.events.frame_ready, timeout=120000):  # the child imports torch itself
        thread.worker.reset(small_config)
    thread.worker.start()
    qtbot.waitUntil(lambda: frames[-1].step >= 3, timeout=60000)
    thread.worker.set_live(lam=0.05)
    qtbot.waitUntil(lambda: frames[-1].primary.lam == 0.05, timeout=30000)
    thread.worker.pause()
    qtbot.waitUntil(lambda: states[-1] == "paused", timeout=30000)
    assert frames[-1].primary.features.shape == (100, 2)
    assert thread.shutdown(10000)
    assert thread.worker.exit_code == 0
    qtbot.waitUntil(lambda: states[-1] == "stopped", timeout=5000)


def test_a_child_that_dies_is_one_message_not_a_hang(qtbot, small_config):
    thread = WorkerThread(ProcessWorker(cpu_threads=1))
    failures = []
    thread.events.failed.connect(failures.append)
    thread.start()
    with qtbot.waitSignal(thread.events.frame_ready, timeout=120000):
        thread.worker.reset(small_config)
    os.kill(thread.worker.child_pid, signal.SIGKILL)
    qtbot.waitUntil(lambda: bool(failures), timeout=30000)
    assert failures == [f"The training process ended unexpectedly (exit code {-signal.SIGKILL}). "
                        f"Reset to start a new one."]
    assert thread.shutdown(5000)


def test_the_window_trains_in_a_child_and_closes_it(qtbot, settings, small_config):
    from cl_viz.qt.window.main_window import MainWindow

    window = MainWindow(settings, small_config, True, autostart=True, worker_mode="process")
    qtbot.addWidget(window)
    window.show()
    assert isinstance(window.worker, ProcessWorker)
    qtbot.waitUntil(lambda: window.playback.latest is not None and window.playback.latest.step >= 3, timeout=120000)
    assert window.playback.latest.comparison is not None
    window.close()
    assert not window.worker_thread.thread.isRunning() and window.worker.exit_code == 0


def streamed_run(config, compare, _dataset):
    """In the child: the folder streamed (a tiny memory limit), and its DataLoader's worker processes started."""
    from cl_viz.core.image_folder import load_image_folder
    from cl_viz.core.runner import LockstepRun

    dataset = load_image_folder(config.data_dir, config.image_size, memory_limit=1_000)
    run = LockstepRun(config, compare, dataset)
    run.train_step()
    stream = run.primary._stream
    if stream.workers != 2:
        raise RuntimeError(f"the streamed batches are read without worker processes: {stream.startup_error}")
    return run


def test_the_child_can_start_the_processes_that_stream_an_image_folder(qtbot, tmp_path, small_config):
    for label in range(2):
        (tmp_path / f"class{label}").mkdir()
        for index in range(30):
            pixels = np.full((16, 16), 100 * label + index, np.uint8)
            Image.fromarray(pixels).save(tmp_path / f"class{label}" / f"{index}.png")
    config = small_config.replace(dataset="auto", data_dir=str(tmp_path), batch_size=4, probe_size=10, image_size=16,
                                  channels=1)
    thread = WorkerThread(ProcessWorker(cpu_threads=1, make_run=streamed_run))
    failures, frames = [], []
    thread.events.failed.connect(failures.append)
    thread.events.frame_ready.connect(frames.append)
    thread.start()
    thread.worker.reset(config)
    thread.worker.start()
    qtbot.waitUntil(lambda: bool(failures) or bool(frames) and frames[-1].step >= 5, timeout=120000)
    assert failures == [] and frames[-1].step >= 5
    assert thread.shutdown(10000)
    assert thread.worker.exit_code == 0
