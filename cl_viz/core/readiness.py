"""`cl-viz check`'s core: what this machine trains on and with, a headless measured run, and the verdict.

The verdict and the dataset facts are plain data; torch is imported only inside the functions that
need it, so a broken torch installation is something `cl-viz check` reports, not a crash.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

from cl_viz.core.config import DATASET_NAMES, TrainConfig
from cl_viz.core.dataset_files import (
    DEBIAN_FASHION_MNIST,
    cache_dir,
    cached_folder,
    missing_files,
    missing_idx_files,
    resolve_name,
)

# "ready" when all three hold (measured in the app's window while it trains).
MIN_FRAMES_PER_SECOND = 5.0  # new real frames (fresh embeddings) drawn per second
MAX_GUI_GAP_MS = 100.0  # the longest the GUI thread was unable to handle input
MIN_GUI_RATIO = 0.8  # training speed in the window over training speed headless
SLOW_STEPS_PER_SECOND = 10.0  # below this, steps are slow (a GPU would help, where there is one)
SMALLER_PROBE = 1000  # the probe size to suggest when drawing cannot keep up


def training_threads() -> int:
    """The app's training worker's thread count: all cores but one (cl_viz.qt.worker.TrainingWorker)."""
    return max(1, (os.cpu_count() or 2) - 1)


def dataset_facts() -> dict:
    """Which datasets load without the network, and from where; what `--dataset auto` picks."""
    datasets = {}
    for name in DATASET_NAMES:
        if name == "digits":
            datasets[name] = {"available": True, "folder": None, "note": "built in (scikit-learn's 1,797 digits)"}
            continue
        folder = cached_folder(name)
        if not missing_files(name, folder):
            datasets[name] = {"available": True, "folder": str(folder), "note": "cached"}
        elif name == "fashion-mnist" and not missing_idx_files(DEBIAN_FASHION_MNIST):
            datasets[name] = {"available": True, "folder": str(DEBIAN_FASHION_MNIST),
                              "note": "Debian's dataset-fashion-mnist"}
        else:
            datasets[name] = {"available": False, "folder": str(folder), "note": "not cached"}
    return {"cache": str(cache_dir()), "auto": resolve_name("auto"), "datasets": datasets}


def device_facts(requested: str, threads: int) -> dict:
    """The device `requested` resolves to, described; sets torch's thread count to `threads` as the
    worker does. Raises ClVizError for a forced device that is not there."""
    import torch

    from cl_viz.core.devices import describe_device, resolve_device

    torch.set_num_threads(threads)
    device = resolve_device(requested)
    facts = {"requested": requested, "type": device.type, "description": describe_device(device),
             "cuda_available": torch.cuda.is_available(), "cpu_count": os.cpu_count(), "threads": threads,
             "cuda_name": None, "cuda_memory_bytes": None}
    if torch.cuda.is_available():
        properties = torch.cuda.get_device_properties(0 if device.type != "cuda" else device)
        facts["cuda_name"], facts["cuda_memory_bytes"] = properties.name, int(properties.total_memory)
    return facts


def torch_versions() -> dict:
    """Imports torch (an ImportError or worse is the caller's to report)."""
    import torch

    versions = {"torch": torch.__version__}
    try:
        import torchvision
        versions["torchvision"] = torchvision.__version__
    except Exception:  # noqa: BLE001 (an optional extra: any failure to import is "not installed")
        versions["torchvision"] = None
    return versions


@dataclass(frozen=True)
class Headless:
    steps_per_second: float
    images_per_second: float
    seconds: float
    steps: int


def measure_headless(config: TrainConfig, seconds: float, warmup: float) -> Headless:
    """Step a LockstepRun of `config` as fast as it goes, as the worker does but without a window:
    `warmup` seconds first, then `seconds` measured. Raises ClVizError when training diverges."""
    from cl_viz.core.data import load_configured
    from cl_viz.core.errors import ClVizError
    from cl_viz.core.runner import LockstepRun

    dataset = load_configured(config, download=False)
    run = LockstepRun(config, False, dataset)
    deadline = time.perf_counter() + warmup
    while time.perf_counter() < deadline:
        run.train_step()
    start_step, started = run.step, time.perf_counter()
    while time.perf_counter() - started < seconds or run.step == start_step:
        run.train_step()
    elapsed = time.perf_counter() - started
    if not run.frame(include_batch=False).is_finite:
        raise ClVizError(f"the headless run diverged by step {run.step} (a loss or feature is no longer finite)")
    steps = run.step - start_step
    return Headless(steps / elapsed, steps * run.primary.batch_size / elapsed, elapsed, steps)


@dataclass(frozen=True)
class Measured:
    """What the verdict looks at."""

    model: str
    device: str  # "cpu", "cuda", "mps"
    cuda_available: bool
    probe_size: int
    cores: int
    headless_steps_per_second: float
    gui_steps_per_second: float
    frames_per_second: float  # new real frames drawn in the window
    worst_gap_ms: float  # of a 5 ms heartbeat on the GUI thread

    @property
    def ratio(self) -> float:
        return self.gui_steps_per_second / self.headless_steps_per_second if self.headless_steps_per_second else 0.0


def advice(measured: Measured) -> list[str]:
    """What to change, one line each; empty when the laptop is ready."""
    few_frames = measured.frames_per_second < MIN_FRAMES_PER_SECOND
    gaps = measured.worst_gap_ms > MAX_GUI_GAP_MS
    slow_window = measured.ratio < MIN_GUI_RATIO
    if not (few_frames or gaps or slow_window):
        return []
    lines = []
    cores = f"{measured.cores} core{'s' if measured.cores != 1 else ''}"
    if few_frames:
        frames = f"only {measured.frames_per_second:.1f} new frames/s (want ≥ {MIN_FRAMES_PER_SECOND:g})"
        if measured.model != "tiny":
            lines.append(f"{frames}: use the tiny model (--model tiny, or Setup > model)")
        elif measured.gui_steps_per_second < MIN_FRAMES_PER_SECOND:
            lines.append(f"{frames}: a new frame comes at most once per training step, and steps ran at "
                         f"{measured.gui_steps_per_second:.1f}/s: close other programs (a smaller batch size "
                         f"under Setup gives more, smaller steps)")
        elif measured.probe_size > SMALLER_PROBE:
            lines.append(f"{frames}: a smaller probe: probe_size = {SMALLER_PROBE} in a lesson preset's [config] "
                         f"(now {measured.probe_size:,} points; the app has no --probe-size flag)")
        else:
            lines.append(f"{frames} with the tiny model and {measured.probe_size:,} probe points: close other "
                         f"programs, the {cores} are too busy to draw")
    if gaps:
        lines.append(f"the window froze for up to {measured.worst_gap_ms:.0f} ms (want ≤ {MAX_GUI_GAP_MS:g}): close "
                     f"other programs (drawing and training share the {cores}; the app has no setting for fewer "
                     f"training threads)")
    if slow_window:
        lines.append(f"training in the window ran at {measured.ratio:.2f} of its headless speed (want ≥ "
                     f"{MIN_GUI_RATIO:g}): close other programs, the window's drawing competes with training "
                     f"for the {cores}")
    if measured.device == "cpu" and measured.cuda_available and (
            few_frames or measured.gui_steps_per_second < SLOW_STEPS_PER_SECOND):
        lines.append(f"training ran on the CPU at {measured.gui_steps_per_second:.1f} steps/s and a CUDA GPU is "
                     f"here: --device cuda (or Setup > device)")
    return lines
