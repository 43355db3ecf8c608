"""`cl-viz check`: is this machine ready for the lecture?

A table (or, with --json, one JSON object) of the Qt platform and screen, the versions, the device
`auto` picks, the datasets that load without the network, and a measured run of the default lesson:
about a third of --seconds headless, the rest in the app's real window. Then a verdict: ready, not
ready with what to change (one line each), or broken. Exit status 1 when broken (no usable Qt
platform, torch does not import, the measured run fails or diverges), else 0; 2 for bad flags.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import subprocess
import sys
from importlib import metadata

from cl_viz.core.config import DEFAULTS
from cl_viz.core.errors import ClVizError
from cl_viz.core.readiness import (
    MAX_GUI_GAP_MS,
    MIN_FRAMES_PER_SECOND,
    MIN_GUI_RATIO,
    Measured,
    advice,
    dataset_facts,
    training_threads,
)

PROG = "cl-viz check"
HEADLESS_SHARE = 1 / 3  # of --seconds; the rest is the window's
WARMUP_SHARE = 0.2  # of each part, before its measurement starts
QT_PROBE = ("import sys\nfrom PySide6.QtGui import QGuiApplication\n"
            "app = QGuiApplication(sys.argv[:1])\nprint(app.platformName())\n")
QT_PROBE_TIMEOUT_S = 60
LABEL_WIDTH = 16
WORKER_TEXT = {"process": "training in a child process", "thread": "training in a thread of the window's process"}


def run_check(args: argparse.Namespace) -> int:
    try:
        report = build_report(args.seconds, args.model, args.device, progress=not args.json)
    except KeyboardInterrupt:
        print(f"\n{PROG}: interrupted", file=sys.stderr)
        return 130
    print(json.dumps(report, indent=2) if args.json else format_report(report))
    sys.stdout.flush()
    if report["problems"]:
        more = len(report["problems"]) - 1
        print(f"{PROG}: error: {report['problems'][0]}" + (f" (and {more} more above)" if more else ""),
              file=sys.stderr)
    if report["run"] is not None and not report["run"]["window"].get("worker_stopped", True):
        sys.stderr.flush()
        os._exit(1)  # Qt aborts a process whose QThread is destroyed while it runs
    return 1 if report["problems"] else 0


def build_report(seconds: float, model: str, device: str, progress: bool = False) -> dict:
    problems: list[str] = []
    forced = choose_qt_platform(os.environ)
    import cl_viz.qt  # noqa: F401 (makes PySide6's import hook cheap before torch's thousands of modules load)

    system = {"qt_platform": None, "offscreen_set_by_check": forced, "screen": None,
              "versions": {"python": platform.python_version(), "PySide6": None, "Qt": None, "pyqtgraph": None,
                           "torch": None, "torchvision": None, "numpy": _version("numpy")}}
    app = None
    qt_problem = probe_qt_platform()
    if qt_problem is not None:
        problems.append(qt_problem)
        system["versions"].update(qt_versions())
    else:
        app = make_app()
        from cl_viz.qt.readiness import qt_facts

        facts = qt_facts(app)
        system.update(qt_platform=facts["platform"], screen=facts["screen"])
        system["versions"].update(facts["versions"])
    device_report = None
    threads = training_threads()
    try:
        system["versions"].update(import_torch())
    except Exception as error:  # noqa: BLE001 (a broken install fails in many ways; each is one line here)
        problems.append(f"torch fails to import: {type(error).__name__}: {error}")
    else:
        try:
            from cl_viz.core.readiness import device_facts

            device_report = device_facts(device, threads)
        except ClVizError as error:
            problems.append(str(error))
    report = {"system": system, "device": device_report, "datasets": dataset_facts(), "run": None,
              "thresholds": {"min_frames_per_second": MIN_FRAMES_PER_SECOND, "max_gui_gap_ms": MAX_GUI_GAP_MS,
                             "min_gui_headless_ratio": MIN_GUI_RATIO},
              "verdict": "broken", "advice": [], "problems": problems}
    if not problems:
        report["run"] = measured_run(app, seconds, model, device, threads, problems, progress)
    if not problems:
        run = report["run"]
        report["advice"] = advice(Measured(
            model=model, device=device_report["type"], cuda_available=device_report["cuda_available"],
            probe_size=run["window"]["probe_size"], cores=os.cpu_count() or 1,
            headless_steps_per_second=run["headless"]["steps_per_second"],
            gui_steps_per_second=run["window"]["steps_per_second"],
            frames_per_second=run["window"]["frames_per_second"], worst_gap_ms=run["window"]["worst_gap_ms"]))
        report["verdict"] = "not ready" if report["advice"] else "ready"
    return report


def choose_qt_platform(environ) -> bool:
    """Offscreen where Linux has no display to open and the user chose no platform; True if set here."""
    if environ.get("QT_QPA_PLATFORM") or environ.get("DISPLAY") or environ.get("WAYLAND_DISPLAY"):
        return False
    if sys.platform in ("darwin", "win32"):
        return False
    environ["QT_QPA_PLATFORM"] = "offscreen"
    return True


def probe_qt_platform() -> str | None:
    """None if Qt can open its platform here; else one line saying why not. Tried in a child process:
    Qt ends a process that has no usable platform plugin."""
    try:
        result = subprocess.run([sys.executable, "-c", QT_PROBE], capture_output=True, text=True,
                                timeout=QT_PROBE_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return f"no usable Qt platform: starting Qt took over {QT_PROBE_TIMEOUT_S} s"
    if result.returncode == 0:
        return None
    lines = [line.strip() for line in result.stderr.splitlines() if line.strip()]
    why = next((line for line in lines if "could not" in line.lower()), lines[0] if lines else
               f"exit status {result.returncode}")
    chosen = os.environ.get("QT_QPA_PLATFORM") or "Qt's default"
    return f"no usable Qt platform ({chosen}): {why[:200]}"


def qt_versions() -> dict:
    """PySide6, Qt and pyqtgraph versions without starting Qt (its platform may be what is broken)."""
    from PySide6 import __version__ as pyside_version
    from PySide6.QtCore import qVersion

    return {"PySide6": pyside_version, "Qt": qVersion(), "pyqtgraph": _version("pyqtgraph")}


def make_app():
    import pyqtgraph as pg
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv[:1])
    pg.setConfigOptions(antialias=True)  # as the app draws (cl_viz.qt.app.run_app)
    return app


def import_torch() -> dict:
    from cl_viz.core.readiness import torch_versions

    return torch_versions()


def measured_run(app, seconds: float, model: str, device: str, threads: int, problems: list[str],
                 progress: bool) -> dict:
    """The default lesson (with `model` and `device`), headless then in the window; a failure goes to
    `problems` and ends the run there."""
    from cl_viz.core.dataset_files import resolve_name

    config = DEFAULTS.replace(model=model, device=device)
    headless_s = seconds * HEADLESS_SHARE
    window_s = seconds - headless_s
    run = {"dataset": resolve_name(config.dataset), "model": model, "batch_size": config.batch_size,
           "threads": threads, "seconds": seconds, "headless": {}, "window": {}, "gui_headless_ratio": None}
    if progress:
        print(f"measuring the default lesson ({run['dataset']}, {model}): {headless_s:.0f} s headless, then "
              f"{window_s:.0f} s in the app's window…", flush=True)
    try:
        headless = measure_headless(config, headless_s * (1 - WARMUP_SHARE), headless_s * WARMUP_SHARE)
    except Exception as error:  # noqa: BLE001 (whatever breaks the run is the finding)
        problems.append(f"the headless run failed: {_describe(error)}")
        return run
    run["headless"] = {"steps_per_second": headless.steps_per_second,
                       "images_per_second": headless.images_per_second, "seconds": headless.seconds,
                       "steps": headless.steps}
    try:
        window = measure_window(app, config, window_s * (1 - WARMUP_SHARE), window_s * WARMUP_SHARE, threads)
    except Exception as error:  # noqa: BLE001
        problems.append(f"the run in the window failed: {_describe(error)}")
        return run
    run["window"] = dataclasses.asdict(window)
    run["gui_headless_ratio"] = window.steps_per_second / headless.steps_per_second
    if not window.worker_stopped:
        problems.append("the training thread did not stop when the window closed")
    return run


def measure_headless(config, seconds: float, warmup: float):
    from cl_viz.core.readiness import measure_headless as measure

    return measure(config, seconds, warmup)


def measure_window(app, config, seconds: float, warmup: float, threads: int):
    from cl_viz.qt.readiness import measure_window as measure

    return measure(app, config, seconds, warmup, threads)


def _describe(error: BaseException) -> str:
    return str(error) if isinstance(error, ClVizError) else f"{type(error).__name__}: {error}"


def _version(distribution: str) -> str | None:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


# ----- the table ---------------------------------------------------------------------------------
def format_report(report: dict) -> str:
    lines = ["system"]
    system = report["system"]
    lines.append(_row("Qt platform", _platform_text(system)))
    lines.append(_row("screen", _screen_text(system)))
    for name in ("python", "PySide6", "Qt", "pyqtgraph", "torch", "torchvision", "numpy"):
        lines.append(_row(name if name != "python" else "Python", system["versions"][name] or "not installed"))
    lines.append("device")
    lines.extend(_device_rows(report["device"]))
    datasets = report["datasets"]
    lines.append(f"datasets (cache: {datasets['cache']})")
    for name, entry in datasets["datasets"].items():
        if entry["folder"] is None:
            lines.append(_row(name, entry["note"]))
        else:
            where = f": {entry['folder']}" if entry["available"] else f" (would be in {entry['folder']})"
            lines.append(_row(name, entry["note"] + where))
    auto = datasets["auto"]
    if auto == "digits":
        auto += " (MNIST is not cached: the app's Download MNIST button or `cl-viz train --dataset mnist` gets it)"
    lines.append(_row("--dataset auto", auto))
    lines.extend(_run_rows(report["run"], report["thresholds"]))
    if report["verdict"] == "ready":
        lines.append("verdict: ready")
    elif report["verdict"] == "not ready":
        lines.append("verdict: not ready — change:")
        lines.extend(f"  - {line}" for line in report["advice"])
    else:
        lines.append(f"verdict: broken — {'; '.join(report['problems'])}")
    return "\n".join(lines)


def _row(label: str, value: str) -> str:
    return f"  {label:<{LABEL_WIDTH}} {value}"


def _platform_text(system: dict) -> str:
    name = system["qt_platform"]
    if name is None:
        return "none usable"
    if system["offscreen_set_by_check"]:
        return f"{name} (no DISPLAY or WAYLAND_DISPLAY: QT_QPA_PLATFORM=offscreen set by cl-viz check)"
    if name == "offscreen":
        return f"{name} (QT_QPA_PLATFORM=offscreen: no window is shown)"
    return name


def _screen_text(system: dict) -> str:
    screen = system["screen"]
    if screen is None:
        return "none"
    size = (f"{screen['width']}×{screen['height']} (available {screen['available_width']}×"
            f"{screen['available_height']}), device pixel ratio {screen['device_pixel_ratio']:g}")
    return f"{size} — offscreen, not a real screen" if system["qt_platform"] == "offscreen" else size


def _device_rows(device: dict | None) -> list[str]:
    if device is None:
        return [_row("auto picks", "unknown (torch did not import)")]
    rows = [_row(f"{device['requested']} picks", device["description"])]
    if device["type"] == "cuda":
        rows.append(_row("GPU", f"{device['cuda_name']}, {device['cuda_memory_bytes'] / 2**30:.1f} GiB"))
    elif device["type"] == "mps":
        rows.append(_row("GPU", "Apple Metal (MPS)"))
    else:
        rows.append(_row("CPU", f"{device['threads']} training thread{'s' if device['threads'] != 1 else ''} "
                                f"(all cores but one) of os.cpu_count() = {device['cpu_count']}"))
        if device["cuda_available"]:
            rows.append(_row("GPU", f"{device['cuda_name']} (not used: --device {device['requested']})"))
    return rows


def _run_rows(run: dict | None, thresholds: dict) -> list[str]:
    if run is None:
        return ["measured run", _row("not run", "see the problems below")]
    rows = [f"measured run ({run['dataset']}, model {run['model']}, batch {run['batch_size']}, "
            f"{run['threads']} training thread{'s' if run['threads'] != 1 else ''}, {run['seconds']:g} s)"]
    headless, window = run["headless"], run["window"]
    if headless:
        rows.append(_row("headless", f"{headless['steps_per_second']:.1f} steps/s, "
                                     f"{headless['images_per_second']:,.0f} images/s"))
    if window:
        rows.append(_row("in the window", f"{window['steps_per_second']:.1f} steps/s, "
                                          f"{window['images_per_second']:,.0f} images/s on {window['device']}, "
                                          f"{WORKER_TEXT.get(window.get('worker'), 'training')}"))
        rows.append(_row("GUI / headless", f"{run['gui_headless_ratio']:.2f}  "
                                           f"(ready: ≥ {thresholds['min_gui_headless_ratio']:g})"))
        rows.append(_row("new frames/s", f"{window['frames_per_second']:.1f}  "
                                         f"(ready: ≥ {thresholds['min_frames_per_second']:g}; probe "
                                         f"{window['probe_size']:,} points)"))
        rows.append(_row("worst GUI gap", f"{window['worst_gap_ms']:.0f} ms, 99th percentile "
                                          f"{window['p99_gap_ms']:.0f} ms  (ready: ≤ "
                                          f"{thresholds['max_gui_gap_ms']:g} ms)"))
        if window["oldest_point_median_s"] is not None:
            rows.append(_row("oldest point", f"{window['oldest_point_median_s']:.1f} s median, "
                                             f"{window['oldest_point_worst_s']:.1f} s worst"))
    return rows
