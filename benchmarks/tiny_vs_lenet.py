"""Is the CPU preset `tiny` a fair stand-in for LeNet++? Accuracy and speed after the same steps.

Both models train with identical configs (TrainConfig defaults, seed 0: same batches, same λ, α,
lr) for the same number of steps on each dataset, then are scored on the session's default probe
(2,000 test images on CPU; digits has only 450 test images, so all of them). Their steps are
interleaved in chunks whose order alternates, so that other work on a shared machine slows both
alike. Requirement: tiny trains ≥ 5× faster and ends within 2 points of LeNet++'s probe accuracy.

    .venv/bin/python benchmarks/tiny_vs_lenet.py
    .venv/bin/python benchmarks/tiny_vs_lenet.py --datasets fashion-mnist --steps 1000 --lr 0.02
"""

from __future__ import annotations

import argparse
import time

import torch

from cl_viz.core.config import TrainConfig
from cl_viz.core.data import load_dataset
from cl_viz.core.devices import describe_device
from cl_viz.core.session import TrainingSession

MODELS = ("tiny", "lenet++")
MIN_SPEEDUP = 5.0
MAX_ACCURACY_GAP = 0.02  # 2 points


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def train_pair(dataset_name: str, args) -> list[dict]:
    dataset = load_dataset(dataset_name)
    base = TrainConfig(dataset=dataset_name, lr=args.lr, lam=args.lam)
    sessions, wall, train_seconds = {}, {}, {}
    for model in MODELS:
        start = time.perf_counter()
        sessions[model] = TrainingSession(base.replace(model=model), dataset)
        wall[model] = time.perf_counter() - start
        train_seconds[model] = 0.0

    done, flip = 0, 0
    while done < args.steps:
        count = min(args.chunk, args.steps - done)
        for model in MODELS[::-1] if flip % 2 else MODELS:
            session = sessions[model]
            synchronize(session.device)
            start = time.perf_counter()
            for _ in range(count):
                session.train_step()
            synchronize(session.device)
            train_seconds[model] += time.perf_counter() - start
        done += count
        flip += 1
        if args.eval_every and (done % args.eval_every < count or done == args.steps):
            accuracies = {m: sessions[m].snapshot(include_batch=False).metrics.probe_accuracy for m in MODELS}
            print(f"  {dataset_name} step {done}: " + ", ".join(
                f"{m} {100 * a:.1f}%" for m, a in accuracies.items()), flush=True)

    rows = []
    for model in MODELS:
        session = sessions[model]
        start = time.perf_counter()
        snapshot = session.snapshot(include_batch=False)
        wall[model] += train_seconds[model] + time.perf_counter() - start
        metrics = snapshot.metrics
        rows.append({
            "dataset": dataset_name, "model": model, "steps": session.step,
            "epochs": session.epoch, "probe": metrics.probe_accuracy,
            "probe_size": len(snapshot.labels), "nearest": metrics.nearest_center_accuracy,
            "ratio": metrics.ratio, "rate": session.step * session.batch_size / train_seconds[model],
            "wall": wall[model], "device": session.device, "finite": snapshot.is_finite,
        })
    return rows


def main(argv: list[str] | None = None) -> None:
    defaults = TrainConfig()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=500, help="training steps per model and dataset")
    parser.add_argument("--datasets", nargs="+", default=["digits", "fashion-mnist"],
                        choices=("digits", "fashion-mnist", "mnist", "kmnist"))
    parser.add_argument("--lr", type=float, default=defaults.lr)
    parser.add_argument("--lam", type=float, default=defaults.lam, help="λ, the center-loss weight")
    parser.add_argument("--chunk", type=int, default=10, help="steps per interleaved chunk")
    parser.add_argument("--eval-every", type=int, default=0, help="also print probe accuracy every N steps")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's)")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)

    rows = []
    for name in args.datasets:
        rows += train_pair(name, args)
    print(f"\n{describe_device(rows[0]['device'])}, torch {torch.__version__}, batch {defaults.batch_size}, "
          f"seed {defaults.seed}, lr {args.lr:g}, λ {args.lam:g}, α {defaults.alpha:g}\n")
    print("| dataset | model | steps | probe accuracy | nearest-center acc | intra/inter | img/s | wall s |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        if not r["finite"]:
            r["model"] += " (diverged: non-finite)"
        print(f"| {r['dataset']} | {r['model']} | {r['steps']} ({r['epochs']:.1f} ep) "
              f"| {100 * r['probe']:.1f}% (n={r['probe_size']}) | {100 * r['nearest']:.1f}% "
              f"| {r['ratio']:.3f} | {r['rate']:,.0f} | {r['wall']:.0f} |")
    print()
    passed = True
    for name in args.datasets:
        tiny, lenet = (r for r in rows if r["dataset"] == name)
        if not (tiny["finite"] and lenet["finite"]):
            passed = False
            print(f"{name}: NO VERDICT: training diverged (non-finite features or losses); try a lower --lr")
            continue
        speedup = tiny["rate"] / lenet["rate"]
        gap = lenet["probe"] - tiny["probe"]
        fast, close = speedup >= MIN_SPEEDUP, gap <= MAX_ACCURACY_GAP
        passed &= fast and close
        print(f"{name}: speed {'PASS' if fast else 'FAIL'} (tiny {speedup:.1f}x faster, need "
              f"{MIN_SPEEDUP:g}x); accuracy {'PASS' if close else 'FAIL'} (tiny {100 * -gap:+.1f} points "
              f"vs lenet++, need ≥ {-100 * MAX_ACCURACY_GAP:+.0f})")
    print(f"verdict: {'PASS' if passed else 'FAIL'}")


if __name__ == "__main__":
    main()
