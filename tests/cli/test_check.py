"""`cl-viz check`: the environment report, the verdict, the JSON, a real run end to end, and broken cases."""

import json
import os
import subprocess
import sys
import textwrap

import pytest
import torch

from cl_viz.cli import check
from cl_viz.cli.main import main
from cl_viz.core import dataset_files, readiness
from cl_viz.core.errors import ClVizError
from cl_viz.core.readiness import Measured, advice
from cl_viz.qt.readiness import WindowRun

READY = Measured(model="tiny", device="cpu", cuda_available=False, probe_size=2000, cores=2,
                 headless_steps_per_second=20.0, gui_steps_per_second=18.0, frames_per_second=12.0,
                 worst_gap_ms=40.0)


# ----- the environment ---------------------------------------------------------------------------
def fake_cache_with_mnist(tmp_path, monkeypatch):
    monkeypatch.setenv("CL_VIZ_CACHE", str(tmp_path / "cache"))
    raw = tmp_path / "cache" / "datasets" / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for stem in dataset_files.IDX_FILES:
        (raw / f"{stem}.gz").write_bytes(b"")
    nowhere = tmp_path / "no-debian-package"
    monkeypatch.setattr(dataset_files, "DEBIAN_FASHION_MNIST", nowhere)
    monkeypatch.setattr(readiness, "DEBIAN_FASHION_MNIST", nowhere)


def test_dataset_facts_say_what_is_cached_where_and_what_auto_picks(tmp_path, monkeypatch):
    fake_cache_with_mnist(tmp_path, monkeypatch)
    facts = readiness.dataset_facts()
    assert facts["cache"] == str(tmp_path / "cache") and facts["auto"] == "mnist"
    datasets = facts["datasets"]
    assert list(datasets) == ["mnist", "fashion-mnist", "kmnist", "digits", "cifar10"]
    assert datasets["cifar10"] == {"available": False, "note": "not cached",
                                   "folder": str(tmp_path / "cache" / "datasets" / "cifar-10-batches-py")}
    assert datasets["mnist"] == {"available": True, "folder": str(tmp_path / "cache" / "datasets" / "MNIST"),
                                 "note": "cached"}
    assert not datasets["fashion-mnist"]["available"] and not datasets["kmnist"]["available"]
    assert datasets["kmnist"]["folder"] == str(tmp_path / "cache" / "datasets" / "KMNIST")
    assert datasets["digits"]["available"] and datasets["digits"]["folder"] is None


def test_without_a_cache_auto_is_digits_and_debian_fashion_mnist_counts(tmp_path, monkeypatch):
    monkeypatch.setenv("CL_VIZ_CACHE", str(tmp_path / "empty"))
    debian = tmp_path / "debian"
    debian.mkdir()
    for stem in dataset_files.IDX_FILES:
        (debian / stem).write_bytes(b"")
    monkeypatch.setattr(dataset_files, "DEBIAN_FASHION_MNIST", debian)
    monkeypatch.setattr(readiness, "DEBIAN_FASHION_MNIST", debian)
    facts = readiness.dataset_facts()
    assert facts["auto"] == "digits" and not facts["datasets"]["mnist"]["available"]
    assert facts["datasets"]["fashion-mnist"] == {"available": True, "folder": str(debian),
                                                  "note": "Debian's dataset-fashion-mnist"}


def test_device_facts_on_the_cpu_use_the_workers_thread_count():
    before = torch.get_num_threads()
    try:
        facts = readiness.device_facts("cpu", 1)
    finally:
        torch.set_num_threads(before)
    assert facts["type"] == "cpu" and facts["threads"] == 1 and facts["cpu_count"] == os.cpu_count()
    assert facts["description"] == "cpu (1 thread)"
    assert readiness.training_threads() == max(1, (os.cpu_count() or 2) - 1)


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_a_forced_cuda_without_a_gpu_is_a_problem():
    with pytest.raises(ClVizError, match="no CUDA GPU"):
        readiness.device_facts("cuda", 1)


@pytest.mark.parametrize("environ, forced", [
    ({}, True),
    ({"DISPLAY": ":0"}, False),
    ({"WAYLAND_DISPLAY": "wayland-0"}, False),
    ({"QT_QPA_PLATFORM": "xcb"}, False),
])
def test_offscreen_only_where_there_is_no_display_and_no_choice(environ, forced, monkeypatch):
    monkeypatch.setattr(sys, "platform", "linux")
    before = dict(environ)
    assert check.choose_qt_platform(environ) is forced
    assert environ == (before | {"QT_QPA_PLATFORM": "offscreen"} if forced else before)


def test_a_qt_platform_that_cannot_start_is_one_line(monkeypatch):
    monkeypatch.setattr(check, "QT_PROBE", "import sys\nprint('qt.qpa.xcb: could not connect to display :9', "
                                           "file=sys.stderr)\nprint('Aborted', file=sys.stderr)\nsys.exit(134)\n")
    monkeypatch.setenv("QT_QPA_PLATFORM", "xcb")
    assert check.probe_qt_platform() == "no usable Qt platform (xcb): qt.qpa.xcb: could not connect to display :9"


# ----- the verdict -------------------------------------------------------------------------------
def test_ready_when_every_threshold_holds():
    assert advice(READY) == []
    edge = READY.__class__(**{**READY.__dict__, "frames_per_second": readiness.MIN_FRAMES_PER_SECOND,
                              "worst_gap_ms": readiness.MAX_GUI_GAP_MS,
                              "gui_steps_per_second": readiness.MIN_GUI_RATIO * 20.0})
    assert advice(edge) == []


def changed(**fields) -> Measured:
    return Measured(**{**READY.__dict__, **fields})


@pytest.mark.parametrize("fields, expected", [
    ({"frames_per_second": 2.0, "model": "lenet++"}, "use the tiny model"),
    ({"frames_per_second": 2.0}, "a smaller probe: probe_size = 1000"),
    ({"frames_per_second": 2.0, "probe_size": 450}, "close other programs, the 2 cores are too busy to draw"),
    ({"frames_per_second": 4.0, "gui_steps_per_second": 4.0, "headless_steps_per_second": 4.5},
     "at most once per training step, and steps ran at 4.0/s: close other programs"),
    ({"worst_gap_ms": 180.0}, "the window froze for up to 180 ms"),
    ({"gui_steps_per_second": 12.0}, "0.60 of its headless speed"),
])
def test_each_failure_gives_its_advice(fields, expected):
    lines = advice(changed(**fields))
    assert len(lines) == 1 and expected in lines[0], lines


def test_a_gap_says_close_other_programs_as_the_app_takes_no_thread_count():
    (line,) = advice(changed(worst_gap_ms=250.0))
    assert "close other programs" in line and "no setting for fewer training threads" in line


def test_slow_steps_on_the_cpu_beside_a_cuda_gpu_suggest_it():
    lines = advice(changed(cuda_available=True, gui_steps_per_second=4.0, headless_steps_per_second=4.5,
                           frames_per_second=3.0))
    assert any("--device cuda" in line for line in lines) and any("once per training step" in line for line in lines)
    assert not any("--device cuda" in line for line in advice(changed(cuda_available=True, worst_gap_ms=150.0)))
    assert not any("--device cuda" in line for line in advice(changed(frames_per_second=3.0)))  # no GPU here


def test_several_failures_give_one_line_each():
    assert len(advice(changed(frames_per_second=1.0, worst_gap_ms=300.0, gui_steps_per_second=5.0))) == 3


# ----- the command, with the measured run faked ----------------------------------------------------
def window_run(**fields) -> WindowRun:
    values = {"dataset": "digits", "device": "cpu (1 thread)", "probe_size": 450, "batch_size": 128, "seconds": 8.0,
              "steps": 120, "steps_per_second": 15.0, "images_per_second": 1920.0, "frames_drawn": 80,
              "frames_per_second": 10.0, "beats": 1500, "worst_gap_ms": 45.0, "p99_gap_ms": 20.0,
              "oldest_point_median_s": 0.5, "oldest_point_worst_s": 1.2, "worker_stopped": True,
              "worker": "process"}
    return WindowRun(**{**values, **fields})


@pytest.fixture
def faked(monkeypatch, qapp, tmp_path):
    """Everything but the measured run is real; the run returns what the test sets."""
    monkeypatch.setenv("CL_VIZ_CACHE", str(tmp_path / "empty"))
    monkeypatch.setattr(check, "probe_qt_platform", lambda: None)
    monkeypatch.setattr(check, "make_app", lambda: qapp)
    before = torch.get_num_threads()
    results = {"headless": readiness.Headless(16.0, 2048.0, 4.0, 64), "window": window_run()}

    def fake(part):
        def measure(*args):
            result = results[part]
            if isinstance(result, BaseException):
                raise result
            return result
        return measure

    monkeypatch.setattr(check, "measure_headless", fake("headless"))
    monkeypatch.setattr(check, "measure_window", fake("window"))
    yield results
    torch.set_num_threads(before)


def test_json_has_every_section_with_numbers_as_numbers(faked, capsys):
    assert main(["check", "--json", "--seconds", "3"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert set(report) == {"system", "device", "datasets", "run", "thresholds", "verdict", "advice", "problems"}
    assert report["verdict"] == "ready" and report["advice"] == [] and report["problems"] == []
    system = report["system"]
    assert system["qt_platform"] == "offscreen" and system["screen"]["width"] > 0
    assert set(system["versions"]) == {"python", "PySide6", "Qt", "pyqtgraph", "torch", "torchvision", "numpy"}
    assert system["versions"]["torch"] == torch.__version__
    assert report["device"]["type"] in ("cpu", "cuda", "mps") and isinstance(report["device"]["threads"], int)
    assert report["datasets"]["auto"] == "digits"
    run = report["run"]
    assert run["dataset"] == "digits" and run["model"] == "tiny" and run["seconds"] == 3.0
    assert run["headless"]["images_per_second"] == 2048.0 and run["window"]["frames_per_second"] == 10.0
    assert run["gui_headless_ratio"] == pytest.approx(15.0 / 16.0)
    assert report["thresholds"] == {"min_frames_per_second": 5.0, "max_gui_gap_ms": 100.0,
                                    "min_gui_headless_ratio": 0.8}


def test_the_table_has_its_sections_and_the_verdict(faked, capsys):
    assert main(["check", "--seconds", "3"]) == 0
    out = capsys.readouterr().out
    for heading in ("system", "device", "datasets (cache:", "measured run (digits, model tiny"):
        assert any(line.startswith(heading) for line in out.splitlines()), heading
    assert "  new frames/s     10.0" in out and "  worst GUI gap    45 ms, 99th percentile 20 ms" in out
    assert out.rstrip().endswith("verdict: ready")


def test_not_ready_lists_what_to_change_and_still_exits_0(faked, capsys):
    faked["window"] = window_run(frames_per_second=2.0, worst_gap_ms=400.0)
    assert main(["check", "--seconds", "3"]) == 0
    out = capsys.readouterr().out
    verdict = out[out.index("verdict:"):].splitlines()
    assert verdict[0] == "verdict: not ready — change:" and len(verdict) == 3
    assert "400 ms" in verdict[2] and "close other programs" in verdict[1]


def test_a_run_that_raises_is_broken_exit_1_with_one_line(faked, capsys):
    faked["headless"] = RuntimeError("the CPU caught fire")
    assert main(["check", "--json", "--seconds", "3"]) == 1
    captured = capsys.readouterr()
    assert captured.err == "cl-viz check: error: the headless run failed: RuntimeError: the CPU caught fire\n"
    report = json.loads(captured.out)
    assert report["verdict"] == "broken" and report["advice"] == []


def test_a_run_that_diverges_in_the_window_is_broken(faked, capsys):
    faked["window"] = ClVizError("training in the window diverged at step 40 (lr 0.05)")
    assert main(["check", "--seconds", "3"]) == 1
    captured = capsys.readouterr()
    assert "verdict: broken — the run in the window failed: training in the window diverged" in captured.out
    assert captured.err.count("\n") == 1


def test_torch_that_fails_to_import_is_broken_and_nothing_is_measured(faked, monkeypatch, capsys):
    def no_torch():
        raise ImportError("libtorch_cpu.so: cannot open shared object file")

    monkeypatch.setattr(check, "import_torch", no_torch)
    faked["headless"] = AssertionError("must not run")
    assert main(["check", "--json"]) == 1
    captured = capsys.readouterr()
    assert captured.err.startswith("cl-viz check: error: torch fails to import: ImportError: libtorch_cpu.so")
    report = json.loads(captured.out)
    assert report["run"] is None and report["device"] is None and report["datasets"]["auto"] == "digits"


@pytest.mark.parametrize("flags", [["--seconds", "0"], ["--seconds", "soon"], ["--model", "resnet"]])
def test_bad_flags_exit_2_with_one_line(flags, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["check", *flags])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("cl-viz check: error: argument") and err.count("\n") == 1


def test_check_help_loads_no_torch():
    code = textwrap.dedent("""
        import contextlib, io, sys
        from cl_viz.cli.main import main
        with contextlib.redirect_stdout(io.StringIO()):
            try:
                main(["check", "--help"])
            except SystemExit:
                pass
        print(sorted({n.split('.')[0] for n in sys.modules if n.startswith(("torch", "torchvision", "sklearn"))}))
    """)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and result.stdout.strip() == "[]", result.stderr[-2000:]


# ----- the window, measured for real -----------------------------------------------------------------
def test_the_window_is_measured_and_closed_with_its_worker(qapp, small_config):
    from cl_viz.qt.readiness import measure_window

    run = measure_window(qapp, small_config, seconds=0.8, warmup=0.2, threads=1)
    assert run.worker_stopped and run.dataset == "digits" and run.probe_size == 100
    assert run.steps > 0 and run.steps_per_second > 0 and run.beats > 10
    assert 0 < run.p99_gap_ms <= run.worst_gap_ms


def test_cl_viz_check_end_to_end_on_digits(tmp_path):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", CL_VIZ_CACHE=str(tmp_path / "empty-cache"),
               XDG_CONFIG_HOME=str(tmp_path / "config"))
    result = subprocess.run([sys.executable, "-m", "cl_viz", "check", "--seconds", "3", "--json"],
                            capture_output=True, text=True, timeout=300, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout)
    assert report["verdict"] in ("ready", "not ready") and report["problems"] == []
    assert report["system"]["qt_platform"] == "offscreen" and not report["system"]["offscreen_set_by_check"]
    assert report["datasets"]["auto"] == "digits" and report["run"]["dataset"] == "digits"
    window = report["run"]["window"]
    assert window["frames_per_second"] > 0 and window["steps"] > 0 and window["worker_stopped"]
    assert window["worker"] == "thread"  # the suite's CL_VIZ_WORKER
    assert report["run"]["headless"]["steps_per_second"] > 0 and report["run"]["gui_headless_ratio"] > 0
    assert 0 < window["worst_gap_ms"] < 10_000
