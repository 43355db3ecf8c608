import threading

import pytest

from cl_viz.core.runner import LockstepRun
from cl_viz.qt.worker import TrainingWorker, WorkerThread


@pytest.fixture
def worker_thread(qtbot):
    thread = WorkerThread(TrainingWorker(cpu_threads=1))
    thread.start()
    yield thread
    assert thread.shutdown(5000)
    assert not thread.thread.isRunning()


@pytest.fixture
def ready(qtbot, worker_thread, small_config):
    with qtbot.waitSignal(worker_thread.events.frame_ready, timeout=30000):  # the step-0 frame
        worker_thread.worker.reset(small_config)
    return worker_thread


def test_reset_then_start_streams_frames(qtbot, ready):
    frames = []
    ready.events.frame_ready.connect(frames.append)
    ready.worker.start()
    qtbot.waitUntil(lambda: bool(frames) and frames[-1].step >= 5, timeout=30000)
    ready.worker.pause()
    assert frames[-1].primary.features.shape == (100, 2)


def test_single_step_advances_exactly_one(qtbot, ready):
    with qtbot.waitSignal(ready.events.frame_ready, timeout=10000) as first:
        ready.worker.single_step()
    with qtbot.waitSignal(ready.events.frame_ready, timeout=10000) as second:
        ready.worker.single_step()
    assert second.args[0].step == first.args[0].step + 1 == 2


def test_live_lambda_reaches_the_session(qtbot, ready):
    frames = []
    ready.events.frame_ready.connect(frames.append)
    ready.worker.start()
    ready.worker.set_live(lam=0.25)
    qtbot.waitUntil(lambda: bool(frames) and frames[-1].primary.lam == 0.25, timeout=30000)
    ready.worker.pause()


def test_pause_stops_steps(qtbot, ready):
    frames = []
    ready.events.frame_ready.connect(frames.append)
    ready.worker.start()
    qtbot.waitUntil(lambda: bool(frames) and frames[-1].step >= 2, timeout=30000)
    with qtbot.waitSignal(ready.events.state_changed, check_params_cb=lambda s: s == "paused", timeout=10000):
        ready.worker.pause()
    with qtbot.waitSignal(ready.events.frame_ready, timeout=10000) as after_pause:
        ready.worker.set_live(alpha=0.3)  # a paused worker answers a live change with one fresh frame
    stopped_at = after_pause.args[0].step
    with qtbot.waitSignal(ready.events.frame_ready, timeout=10000) as later:
        ready.worker.set_live(alpha=0.4)
    assert later.args[0].step == stopped_at


def test_comparison_runs_start_from_identical_features(qtbot, worker_thread, small_config):
    worker, events = worker_thread.worker, worker_thread.events
    with qtbot.waitSignal(events.frame_ready, timeout=30000) as first:
        worker.reset(small_config, True)
    frame = first.args[0]
    assert frame.comparison is not None and frame.comparison.lam == 0.0
    assert (frame.primary.features == frame.comparison.features).all()


def test_divergence_pauses_and_reports(qtbot, worker_thread, small_config):
    worker, events = worker_thread.worker, worker_thread.events
    with qtbot.waitSignal(events.run_ready, timeout=30000):
        worker.reset(small_config.replace(lr=1e6))
    with qtbot.waitSignal(events.diverged, timeout=30000) as diverged:
        worker.start()
    assert diverged.args[0].lr == 1e6 and diverged.args[0].restored


def test_a_dataset_that_cannot_be_read_is_reported(qtbot, worker_thread, small_config, tmp_path):
    worker, events = worker_thread.worker, worker_thread.events
    with qtbot.waitSignal(events.failed, timeout=30000) as failed:
        worker.reset(small_config.replace(dataset="auto", data_dir=str(tmp_path)))
    assert "lacks" in failed.args[0]


def test_a_worker_that_does_not_stop_in_time_is_parked_until_it_ends(qtbot, small_config):
    """Destroying a running QThread aborts the process: a busy worker is kept alive instead."""
    release = threading.Event()

    def slow_run(config, variant, dataset):  # stands in for a download or a long step
        release.wait(20)
        return LockstepRun(config, variant, dataset)

    thread = WorkerThread(TrainingWorker(cpu_threads=1, make_run=slow_run))
    thread.start()
    thread.worker.reset(small_config)
    qtbot.waitUntil(lambda: thread.worker._commands.empty(), timeout=30000)  # the worker is inside the reset
    assert not thread.shutdown(timeout_ms=50)
    assert thread in WorkerThread._parked and thread.thread.isRunning()
    assert not WorkerThread.wait_for_parked(50)
    release.set()
    assert WorkerThread.wait_for_parked(20000)
    assert not WorkerThread._parked and not thread.thread.isRunning()
