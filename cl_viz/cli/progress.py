"""Terminal progress for headless runs: steps/s, images/s, ETA; dataset downloads; images read from a folder."""

from __future__ import annotations

import math
import sys
import time
from typing import TextIO


class Progress:
    def __init__(self, total_steps: int, batch_size: int, start_step: int = 0, stream: TextIO | None = None):
        self.total_steps = total_steps
        self.batch_size = batch_size
        self.start_step = start_step
        self.stream = stream or sys.stderr
        self.interactive = self.stream.isatty()
        self.started = time.perf_counter()
        self._last_draw = 0.0

    def steps_per_second(self, step: int) -> float:
        elapsed = time.perf_counter() - self.started
        return (step - self.start_step) / elapsed if elapsed > 0 else 0.0

    def line(self, step: int, detail: str = "") -> str:
        rate = self.steps_per_second(step)
        remaining = (self.total_steps - step) / rate if rate > 0 else float("nan")
        eta = _clock(remaining) if math.isfinite(remaining) else "--:--"
        text = (f"step {step:>{len(str(self.total_steps))}}/{self.total_steps}  {number(rate, '6.1f')} steps/s  "
                f"{number(rate * self.batch_size, '7.0f')} img/s  ETA {eta}")
        return f"{text}  {detail}" if detail else text

    def tick(self, step: int, detail: str = "") -> None:
        """Redraw the status line at most 10 times a second (interactive terminals only)."""
        now = time.perf_counter()
        if self.interactive and now - self._last_draw >= 0.1:
            self._last_draw = now
            self.stream.write("\r" + self.line(step, detail).ljust(100)[:160])
            self.stream.flush()

    def report(self, step: int, detail: str) -> None:
        """A permanent line (at every evaluation)."""
        prefix = "\r" if self.interactive else ""
        self.stream.write(prefix + self.line(step, detail).ljust(100 if self.interactive else 0) + "\n")
        self.stream.flush()


class DownloadMeter:
    """A dataset download's progress, as cl_viz.core.downloads reports it: redrawn in place at most 10 times a
    second on a terminal; elsewhere one line as it starts and one when it is done."""

    def __init__(self, name: str, stream: TextIO | None = None):
        self.name = name
        self.stream = stream or sys.stderr
        self.interactive = self.stream.isatty()
        self._started = False
        self._last_draw = 0.0

    def __call__(self, done: int, total: int) -> None:
        now = time.perf_counter()
        finished = done >= total
        if self.interactive and (finished or now - self._last_draw >= 0.1):
            self._last_draw = now
            self.stream.write(f"\rdownloading {self.name}: {_megabytes(done)} of {_megabytes(total)}"
                              + ("\n" if finished else ""))
        if not self.interactive and not self._started:
            self.stream.write(f"downloading {self.name} ({_megabytes(total)})\n")
        if not self.interactive and finished:
            self.stream.write(f"downloaded {self.name}\n")
        self._started = True
        self.stream.flush()


def loading_meter(dataset_name: str, stream: TextIO | None = None) -> DownloadMeter | ReadMeter:
    """What loading `dataset_name` reports: images read from a folder of images, else a download's bytes."""
    return ReadMeter(stream) if dataset_name == "images" else DownloadMeter(dataset_name, stream)


class ReadMeter:
    """Images read from a folder, as cl_viz.core.image_folder reports them: redrawn in place at most 10 times a
    second on a terminal; elsewhere one line when they are all read."""

    def __init__(self, stream: TextIO | None = None):
        self.stream = stream or sys.stderr
        self.interactive = self.stream.isatty()
        self._last_draw = 0.0

    def __call__(self, done: int, total: int) -> None:
        now = time.perf_counter()
        finished = done >= total
        if self.interactive and (finished or now - self._last_draw >= 0.1):
            self._last_draw = now
            self.stream.write(f"\rreading images: {done:,} of {total:,}" + ("\n" if finished else ""))
        elif not self.interactive and finished:
            self.stream.write(f"read {total:,} images\n")
        self.stream.flush()


def number(value: float | None, spec: str) -> str:
    """`value` in the format `spec`, or "n/a" where there is no number (None, NaN, ±inf)."""
    if value is None or not math.isfinite(value):
        return "n/a"
    return format(value, spec)


def _clock(seconds: float) -> str:
    minutes, seconds = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


def _megabytes(count: int) -> str:
    return f"{count / 2**20:.1f} MB"
