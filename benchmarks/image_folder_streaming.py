"""Training images/s on a folder of images held in memory against the same folder streamed from disk.

Writes a temporary folder of --images random-noise PNGs (28×28 grey by default) in 10 class folders, loads it
once into memory and once with a memory limit of 1 byte (streamed: StreamedImages + a DataLoader with
--workers worker processes reading the session's batches ahead), and trains the same configuration on
both, alternating rounds of --steps steps; rates are the median round. The streamed sessions' first step
(starting the workers) is timed apart. Both runs are checked to end with identical weights.

    .venv/bin/python benchmarks/image_folder_streaming.py
    .venv/bin/python benchmarks/image_folder_streaming.py --size 64 --channels 3 --threads 1
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from cl_viz.core import batch_stream
from cl_viz.core.config import TrainConfig
from cl_viz.core.image_folder import load_image_folder
from cl_viz.core.session import TrainingSession


def write_folder(root: Path, count: int, size: int, channels: int, classes: int = 10) -> None:
    generator = np.random.default_rng(0)
    shape = (size, size) if channels == 1 else (size, size, 3)
    for index in range(count):
        folder = root / f"class{index % classes}"
        folder.mkdir(exist_ok=True)
        pixels = generator.integers(0, 256, shape, dtype=np.uint8)
        Image.fromarray(pixels, "L" if channels == 1 else "RGB").save(folder / f"{index}.png")


def timed(call):
    start = time.perf_counter()
    result = call()
    return result, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=3000)
    parser.add_argument("--size", type=int, default=28)
    parser.add_argument("--channels", type=int, default=1, choices=(1, 3))
    parser.add_argument("--model", default="tiny")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--steps", type=int, default=20, help="steps a round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--workers", type=int, default=batch_stream.LOADER_WORKERS)
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's own)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    batch_stream.LOADER_WORKERS = args.workers
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        _, written = timed(lambda: write_folder(folder, args.images, args.size, args.channels))
        held, held_load = timed(lambda: load_image_folder(folder, args.size, args.channels))
        streamed, streamed_load = timed(lambda: load_image_folder(folder, args.size, args.channels, memory_limit=1))
        config = TrainConfig(dataset="auto", data_dir=str(folder), model=args.model, device="cpu",
                             batch_size=args.batch_size, probe_size=100, image_size=args.size,
                             channels=args.channels)
        sessions = {"in memory": TrainingSession(config, held), "streamed": TrainingSession(config, streamed)}
        _, first_step = timed(sessions["streamed"].train_step)
        sessions["in memory"].train_step()
        rates: dict[str, list[float]] = {name: [] for name in sessions}
        for round_ in range(args.rounds):
            for name in (list(sessions) if round_ % 2 == 0 else list(reversed(sessions))):
                session = sessions[name]
                _, seconds = timed(lambda session=session: [session.train_step() for _ in range(args.steps)])
                rates[name].append(args.steps * session.batch_size / seconds)
        same = all(torch.equal(value, sessions["streamed"].model.state_dict()[key])
                   for key, value in sessions["in memory"].model.state_dict().items())
        workers = sessions["streamed"]._stream.workers
        for session in sessions.values():
            session.close()
    print(f"{args.images:,} PNGs of {args.size}×{args.size} {'grey' if args.channels == 1 else 'colour'} "
          f"(written in {written:.1f} s), {args.model}, batch {args.batch_size}, {torch.get_num_threads()} torch "
          f"threads, {os.cpu_count()} CPUs, {args.rounds} rounds of {args.steps} steps")
    print(f"load: in memory {held_load:.2f} s (every image decoded), streamed {streamed_load:.2f} s (file list "
          f"only); the streamed run's first step {first_step:.2f} s ({workers} workers starting)")
    memory, disk = statistics.median(rates["in memory"]), statistics.median(rates["streamed"])
    print(f"training images/s: in memory {memory:,.0f}, streamed {disk:,.0f} ({disk / memory:.2f} of in memory); "
          f"identical weights: {same}")


if __name__ == "__main__":
    main()
