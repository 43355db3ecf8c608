"""Training throughput of `TrainingSession.train_step()` against a bare PyTorch loop.

Both contestants train the same model (same seed, same memory format) on the same batches:
the bare loop is what one would write by hand from pytorch/examples' mnist/main.py, with the
center loss (Eq. 2) and the paper's center update (Eq. 4) inline. Each round measures both
contestants for --seconds, interleaved in short chunks whose order alternates; rates are the
median round and session/bare the median over adjacent chunk pairs, because this machine is
shared and its numbers are noisy.

    .venv/bin/python benchmarks/train_throughput.py
    .venv/bin/python benchmarks/train_throughput.py --models tiny --rounds 9 --threads 2
"""

from __future__ import annotations

import argparse
import math
import statistics
import time

import torch
import torch.nn.functional as F

from cl_viz.core.config import MODELS, TrainConfig
from cl_viz.core.data import load_dataset, to_model_input
from cl_viz.core.devices import describe_device
from cl_viz.core.models import build_model
from cl_viz.core.session import TrainingSession

TOLERANCE = 0.05  # the session may be at most 5% slower than the bare loop


class BareLoop:
    """The session's arithmetic without its structure: model, SGD, centers and the step, inline."""

    def __init__(self, session: TrainingSession):
        config, device = session.config, session.device
        self.device = device
        self.channels_last = device.type == "cpu"
        self.lam, self.alpha = config.lam, config.alpha
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(config.seed)
            model = build_model(config.model, config.feat_dim, session.dataset.num_classes)
        model = model.to(device)
        if self.channels_last:
            model = model.to(memory_format=torch.channels_last)
        self.model = model.train()
        self.optimizer = torch.optim.SGD(model.parameters(), lr=config.lr, momentum=config.momentum,
                                         weight_decay=config.weight_decay)
        self.centers = torch.zeros(session.dataset.num_classes, config.feat_dim, device=device)
        self.images = session.dataset.train_images.to(device)  # uint8, like the session's copy
        self.labels = session.dataset.train_labels.to(device)

    def train_step(self, indices: torch.Tensor) -> None:
        images = to_model_input(self.images[indices])
        if self.channels_last:
            images = images.contiguous(memory_format=torch.channels_last)
        labels = self.labels[indices]
        features, logits = self.model(images)
        # L = L_S + λ L_C, L_C = Σ‖x − c_y‖² / 2m with the centers held fixed
        loss_center = (features - self.centers[labels]).pow(2).sum() / (2 * features.shape[0])
        loss = F.cross_entropy(logits, labels) + self.lam * loss_center
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        with torch.no_grad():  # Eq. 4: Δc_j = Σ_{y_i=j}(c_j − x_i) / (1 + n_j); c_j ← c_j − α Δc_j
            x = features.detach()
            counts = torch.bincount(labels, minlength=len(self.centers)).unsqueeze(1).to(x.dtype)
            sums = torch.zeros_like(self.centers).index_add_(0, labels, x)
            self.centers -= self.alpha * (counts * self.centers - sums) / (1 + counts)


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def time_steps(step, first: int, count: int, device: torch.device) -> float:
    """Seconds for `count` steps starting at step number `first`."""
    synchronize(device)
    start = time.perf_counter()
    for number in range(first, first + count):
        step(number)
    synchronize(device)
    return time.perf_counter() - start


def benchmark_model(name: str, dataset, args) -> dict:
    # The bare loop is plain SGD: the session's warm-up and clipping (defaults, not in the paper) are off.
    config = TrainConfig(dataset="digits", model=name, device=args.device, batch_size=args.batch_size,
                         warmup_steps=0, clip_norm=0.0)
    session = TrainingSession(config, dataset)
    bare = BareLoop(session)
    batch = session.batch_size
    # The same batch order for both, taken from the session itself before timing starts.
    order: list[torch.Tensor] = []

    def indices(number: int) -> torch.Tensor:
        while len(order) <= number:
            order.append(session.batch_indices(len(order)).clone())
        return order[number]

    def session_step(number: int) -> None:
        assert session.step == number
        session.train_step()

    def bare_step(number: int) -> None:
        bare.train_step(indices(number))

    # Warm-up (excluded): allocator, kernels, thread pool. The fastest warm-up step sets the grain.
    fastest = math.inf
    for number in range(args.warmup):
        indices(number)
        for step in (session_step, bare_step):
            fastest = min(fastest, time_steps(step, number, 1, session.device))
    chunk = args.chunk or max(1, round(args.chunk_seconds / fastest))

    # A round interleaves the contestants in chunks of `chunk` steps, the order alternating
    # (ABBA...), so that bursts of other work on the machine hit both alike, until each has run
    # for --seconds. Both run the same steps on the same batches.
    position = {"session": args.warmup, "bare": args.warmup}
    rates: dict[str, list[float]] = {"session": [], "bare": []}
    round_steps: list[int] = []
    chunk_ratios: list[float] = []  # session speed / bare speed, one per pair of adjacent chunks
    contestants = [("session", session_step), ("bare", bare_step)]
    flip = 0
    for _ in range(args.rounds):
        seconds = {"session": 0.0, "bare": 0.0}
        steps = 0
        while min(seconds.values()) < args.seconds or steps < args.min_steps:
            indices(position["session"] + chunk - 1)  # index tensors are made outside the clocks
            elapsed = {}
            for key, step in contestants[::-1] if flip % 2 else contestants:
                elapsed[key] = time_steps(step, position[key], chunk, session.device)
                seconds[key] += elapsed[key]
                position[key] += chunk
            chunk_ratios.append(elapsed["bare"] / elapsed["session"])
            steps += chunk
            flip += 1
        round_steps.append(steps)
        for key in rates:
            rates[key].append(steps * batch / seconds[key])

    drift = max((p - q).abs().max().item()
                for p, q in zip(session.model.parameters(), bare.model.parameters()))
    centers_drift = (session.center_loss.centers - bare.centers).abs().max().item()
    session_rate, bare_rate = statistics.median(rates["session"]), statistics.median(rates["bare"])
    paired = statistics.median(chunk_ratios)
    return {
        "model": name, "steps": int(statistics.median(round_steps)), "chunk": chunk,
        "chunks": len(chunk_ratios), "session": session_rate, "bare": bare_rate,
        "paired": paired, "session_rounds": rates["session"],
        "bare_rounds": rates["bare"], "drift": max(drift, centers_drift), "total_steps": position["bare"],
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", choices=MODELS, default=["tiny", "lenet++", "seed"])
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds per model (median)")
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's)")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--warmup", type=int, default=10, help="untimed steps per contestant")
    parser.add_argument("--seconds", type=float, default=3.0,
                        help="each contestant trains at least this long per round")
    parser.add_argument("--chunk-seconds", type=float, default=0.1,
                        help="interleaving grain: the contestants alternate every this many seconds")
    parser.add_argument("--min-steps", type=int, default=5, help="fewest steps per round")
    parser.add_argument("--chunk", type=int, default=None, help="steps per interleaved chunk (fixed)")
    parser.add_argument("--verbose", action="store_true", help="print every round")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)

    dataset = load_dataset("digits")
    device = TrainingSession(TrainConfig(dataset="digits", device=args.device), dataset).device
    print(f"digits, batch {args.batch_size}, {describe_device(device)}, torch {torch.__version__}, "
          f"{args.rounds} rounds of interleaved measurements, median\n")
    results = []
    for name in args.models:
        result = benchmark_model(name, dataset, args)
        results.append(result)
        if args.verbose:
            print(f"{name}: {result['steps']} steps/measurement in chunks of {result['chunk']}; session "
                  f"{[round(r) for r in result['session_rounds']]}, bare "
                  f"{[round(r) for r in result['bare_rounds']]}")

    # img/s: median over rounds. session/bare: median over adjacent chunk pairs, a ratio that
    # bursts of other work on a shared machine disturb far less than either rate.
    print("| model | session img/s | bare loop img/s | session/bare |")
    print("|---|---:|---:|---:|")
    for r in results:
        print(f"| {r['model']} | {r['session']:,.0f} | {r['bare']:,.0f} | {r['paired']:.3f} |")
    print()
    for r in results:
        verdict = "PASS" if r["paired"] >= 1 - TOLERANCE else "FAIL"
        print(f"{r['model']}: {verdict}: the session runs at {100 * r['paired']:.1f}% of the bare loop "
              f"(limit {100 * (1 - TOLERANCE):.0f}%); {r['chunks']} chunk pairs of {r['chunk']} "
              f"steps; "
              f"weights and centers after {r['total_steps']} steps differ by {r['drift']:.1e}")

if __name__ == "__main__":
    main()
