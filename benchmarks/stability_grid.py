"""Do the defaults ever diverge? Divergences, probe accuracy and intra/inter over a grid of runs.

Every cell trains a fresh session headless for --steps steps: seeds × λ × datasets × models, under one
or more recipes (a recipe is a set of TrainConfig fields: the app's defaults, caffe-face's official
settings, or any fields given on the command line). A run has diverged when a probe snapshot (every
--check-every steps, and at the end) holds a non-finite loss, feature or center; it then stops.
The table gives, per recipe, dataset, model and λ: diverged runs, mean final probe accuracy and
intra/inter of the runs that did not diverge, and "vs softmax" = that intra/inter over the same
seeds' λ = 0 intra/inter (the compactness that center loss adds; the issue's target is ≤ 0.5 at λ 0.1).
The probe is the held-out test images, as in the app; "train" columns measure the same on as many training
images (stratified, the same for every run of a seed), which tells the 2-D bottleneck apart from generalisation.

    .venv/bin/python benchmarks/stability_grid.py                      # the full grid (hours on 2 CPU cores)
    .venv/bin/python benchmarks/stability_grid.py --seeds 0 1 2 --models tiny --jobs 2
    .venv/bin/python benchmarks/stability_grid.py --recipes defaults before --lambdas 0 0.1 --steps 300
    .venv/bin/python benchmarks/stability_grid.py --recipes custom --set lr=0.05 warmup_steps=200

Runs are independent; --jobs N trains N at a time in separate processes, each on one thread.
"""

from __future__ import annotations

import argparse
import ast
import math
import multiprocessing
import re
import time
from collections import defaultdict

from cl_viz.core.config import DEFAULTS, TrainConfig
from cl_viz.core.recipes import RECIPES

# The app's defaults before this benchmark existed: lr 0.05, nothing to keep it stable.
BEFORE = TrainConfig(lr=0.05, warmup_steps=0, clip_norm=0.0)


def recipe_config(name: str, overrides: dict) -> TrainConfig:
    if name == "defaults":
        return DEFAULTS.replace(**overrides)
    if name == "before":
        return BEFORE.replace(**overrides)
    if name == "custom":
        return TrainConfig().replace(**overrides)
    return RECIPES[name].config.replace(**overrides)


def train_cell(cell: tuple) -> dict:
    import torch

    from cl_viz.core.session import TrainingSession

    torch.set_num_threads(1)
    recipe, config, steps, check_every = cell
    start = time.perf_counter()
    session = TrainingSession(config)
    result = {"recipe": recipe, "dataset": config.dataset, "model": config.model, "lam": config.lam,
              "seed": config.seed, "diverged_at": None}
    snapshot, result["diverged_at"] = train_until(session, steps, check_every)
    if result["diverged_at"] is None and snapshot is not None:
        result["accuracy"] = snapshot.metrics.probe_accuracy
        result["ratio"] = snapshot.metrics.ratio
        train = training_metrics(session, len(snapshot.labels))
        result["train_accuracy"], result["train_ratio"] = train.probe_accuracy, train.ratio
    result["seconds"] = time.perf_counter() - start
    return result


def train_until(session, steps: int, check_every: int):
    """Train to `steps`, probing every `check_every` steps: the last snapshot, and the step where one first
    held a non-finite loss, feature or center (None if none did)."""
    snapshot = None
    while session.step < steps:
        for _ in range(min(check_every, steps - session.step)):
            session.train_step()
        snapshot = session.snapshot(include_batch=False)
        if not snapshot.is_finite:
            return snapshot, session.step
    return snapshot, None


def training_metrics(session, size: int):
    """The probe's metrics on `size` training images instead of test images, under the same weights and centers."""
    from cl_viz.core.data import probe_indices, to_model_input
    from cl_viz.core.metrics import feature_metrics

    labels = session.dataset.train_labels
    indices = probe_indices(labels, size, seed=session.config.seed)
    features, logits = session.embed(to_model_input(session.dataset.train_images[indices]))
    centers = session.center_loss.centers.detach().cpu().numpy()
    return feature_metrics(features.numpy(), labels[indices].numpy(), centers, logits.numpy())


def summarise(results: list[dict], seeds: list[int]) -> list[str]:
    by_cell = defaultdict(list)
    for result in results:
        by_cell[(result["recipe"], result["dataset"], result["model"], result["lam"])].append(result)
    lines = ["| recipe | dataset | model | λ | diverged | probe accuracy | intra/inter | vs softmax "
             "| train accuracy | train intra/inter | train vs softmax |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for (recipe, dataset, model, lam), runs in sorted(by_cell.items()):
        finished = [run for run in runs if run["diverged_at"] is None]
        diverged = [run for run in runs if run["diverged_at"] is not None]
        softmax = {run["seed"]: run for run in by_cell.get((recipe, dataset, model, 0.0), [])
                   if run["diverged_at"] is None}
        where = f" (steps {', '.join(str(run['diverged_at']) for run in diverged)})" if diverged else ""
        columns = []
        for prefix in ("", "train_"):
            measured = [run for run in finished if prefix + "ratio" in run]
            paired = [run[prefix + "ratio"] / softmax[run["seed"]][prefix + "ratio"] for run in measured
                      if prefix + "ratio" in softmax.get(run["seed"], {})]
            columns += [mean_text([run[prefix + "accuracy"] for run in measured], percent=True),
                        mean_text([run[prefix + "ratio"] for run in measured]),
                        "—" if lam == 0 else mean_text(paired)]
        lines.append(f"| {recipe} | {dataset} | {model} | {lam:g} | {len(diverged)}/{len(runs)}{where} | "
                     + " | ".join(columns) + " |")
    return lines


def mean_text(values: list[float], percent: bool = False) -> str:
    if not values:
        return "n/a"
    mean = sum(values) / len(values)
    spread = math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1)) if len(values) > 1 else 0.0
    return f"{100 * mean:.1f}% ± {100 * spread:.1f}" if percent else f"{mean:.3f} ± {spread:.3f}"


LOG_LINE = re.compile(r"\[\d+/\d+\] (?P<recipe>\S+) (?P<dataset>\S+) (?P<model>\S+) λ (?P<lam>\S+) seed (?P<seed>\d+): "
                      r"(?:diverged at step (?P<diverged>\d+)|accuracy (?P<accuracy>[\d.]+)%, "
                      r"intra/inter (?P<ratio>[\d.]+)(?:; train accuracy (?P<train_accuracy>[\d.]+)%, "
                      r"intra/inter (?P<train_ratio>[\d.]+))?)")


def results_from_log(path: str) -> list[dict]:
    """The runs a previous (perhaps interrupted) invocation printed, for --from-log."""
    results = []
    for match in LOG_LINE.finditer(open(path, encoding="utf-8").read()):
        result = {"recipe": match["recipe"], "dataset": match["dataset"], "model": match["model"],
                  "lam": float(match["lam"]), "seed": int(match["seed"]),
                  "diverged_at": int(match["diverged"]) if match["diverged"] else None}
        if match["accuracy"]:
            result["accuracy"], result["ratio"] = float(match["accuracy"]) / 100, float(match["ratio"])
        if match["train_accuracy"]:
            result["train_accuracy"] = float(match["train_accuracy"]) / 100
            result["train_ratio"] = float(match["train_ratio"])
        results.append(result)
    return results


def parse_overrides(pairs: list[str]) -> dict:
    overrides = {}
    for pair in pairs:
        name, _, text = pair.partition("=")
        try:
            overrides[name] = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            overrides[name] = text
    return overrides


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipes", nargs="+", default=["defaults"],
                        help=f"defaults (the app's), before (lr 0.05 alone), custom, or {', '.join(RECIPES)}")
    parser.add_argument("--set", nargs="*", default=[], metavar="FIELD=VALUE",
                        help="TrainConfig fields changed in every recipe (e.g. lr=0.02 clip_norm=0)")
    parser.add_argument("--seeds", nargs="+", type=int, default=list(range(10)))
    parser.add_argument("--lambdas", nargs="+", type=float, default=[0.0, 1e-3, 1e-2, 1e-1, 1.0])
    parser.add_argument("--datasets", nargs="+", default=["digits", "fashion-mnist"])
    parser.add_argument("--models", nargs="+", default=["tiny", "lenet++"])
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--check-every", type=int, default=100)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--from-log", metavar="FILE", help="only print the table of the runs a saved output lists")
    args = parser.parse_args()
    if args.from_log:
        print("\n".join(summarise(results_from_log(args.from_log), args.seeds)))
        return

    overrides = parse_overrides(args.set)
    cells = []
    for recipe in args.recipes:
        for dataset in args.datasets:
            for model in args.models:
                for lam in args.lambdas:
                    for seed in args.seeds:
                        config = recipe_config(recipe, overrides).replace(
                            dataset=dataset, model=model, lam=lam, seed=seed, device="cpu").validated()
                        cells.append((recipe, config, args.steps, args.check_every))
    print(f"{len(cells)} runs of {args.steps} steps, {args.jobs} at a time")
    for recipe in args.recipes:
        config = recipe_config(recipe, overrides)
        print(f"  {recipe}: lr {config.lr:g}, {config.optimizer}, warm-up {config.warmup_steps} steps, "
              f"clip {config.clip_norm:g}, init {config.init}, batch {config.batch_size}")
    start = time.perf_counter()
    results = []
    with multiprocessing.get_context("spawn").Pool(args.jobs) as pool:
        for result in pool.imap_unordered(train_cell, cells):
            results.append(result)
            outcome = (f"diverged at step {result['diverged_at']}" if result["diverged_at"] is not None
                       else f"accuracy {100 * result['accuracy']:.1f}%, intra/inter {result['ratio']:.3f}; "
                            f"train accuracy {100 * result['train_accuracy']:.1f}%, "
                            f"intra/inter {result['train_ratio']:.3f}")
            print(f"  [{len(results)}/{len(cells)}] {result['recipe']} {result['dataset']} {result['model']} "
                  f"λ {result['lam']:g} seed {result['seed']}: {outcome} ({result['seconds']:.0f} s)", flush=True)
    print(f"\n{time.perf_counter() - start:.0f} s in all\n")
    print("\n".join(summarise(results, args.seeds)))


if __name__ == "__main__":
    main()
