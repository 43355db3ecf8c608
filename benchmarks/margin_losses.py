"""Do the heads train in 2-D and 3-D? Divergences, probe accuracy and angular compactness per loss.

Every cell trains a fresh session headless for --steps steps: losses × datasets × feature dimensions ×
seeds, each loss with the settings the app gives it (cl_viz.core.runs.run_config: the head's optimizer,
lr, s, m and margin warm-up; --set changes fields of every run). A run has diverged when a probe
snapshot (every --check-every steps, and at the end) holds a non-finite loss, feature or center.

    .venv/bin/python benchmarks/margin_losses.py                      # seeds 0-4, digits + Fashion, 2-D + 3-D
    .venv/bin/python benchmarks/margin_losses.py --losses arcface --set margin=0.5 --seeds 0 1 --dims 2
    .venv/bin/python benchmarks/margin_losses.py --jobs 2 --from-log benchmarks/results-margin-losses-….txt

Runs are independent; --jobs N trains N at a time in separate processes, each on one thread.
"""

from __future__ import annotations

import argparse
import multiprocessing
import re
import time
from collections import defaultdict

from stability_grid import mean_text, parse_overrides, train_until

from cl_viz.core.config import DEFAULTS
from cl_viz.core.runs import RUN_NAMES, parse_run, run_config

LOSSES = ("softmax", "center", "normface", "sphereface", "cosface", "arcface")


def train_cell(cell: tuple) -> dict:
    import torch

    from cl_viz.core.session import TrainingSession

    torch.set_num_threads(1)
    loss, config, steps, check_every = cell
    start = time.perf_counter()
    session = TrainingSession(config)
    result = {"loss": loss, "dataset": config.dataset, "dim": config.feat_dim, "seed": config.seed,
              "diverged_at": None}
    snapshot, result["diverged_at"] = train_until(session, steps, check_every)
    if result["diverged_at"] is None and snapshot is not None:
        metrics = snapshot.metrics
        result["accuracy"] = metrics.probe_accuracy
        result["angular"] = getattr(metrics, "angular_ratio", float("nan"))
    result["seconds"] = time.perf_counter() - start
    return result


def summarise(results: list[dict]) -> list[str]:
    by_cell = defaultdict(list)
    for result in results:
        by_cell[(result["dataset"], result["dim"], result["loss"])].append(result)
    lines = ["| dataset | dim | loss | diverged | probe accuracy | angular intra/inter |", "|---|---|---|---|---|---|"]
    for (dataset, dim, loss), runs in sorted(by_cell.items(), key=lambda item: (*item[0][:2],
                                                                                 RUN_NAMES.index(item[0][2]))):
        finished = [run for run in runs if run["diverged_at"] is None]
        diverged = [run for run in runs if run["diverged_at"] is not None]
        where = f" (steps {', '.join(str(run['diverged_at']) for run in diverged)})" if diverged else ""
        lines.append(f"| {dataset} | {dim}-D | {loss} | {len(diverged)}/{len(runs)}{where} | "
                     f"{mean_text([run['accuracy'] for run in finished], percent=True)} | "
                     f"{mean_text([run['angular'] for run in finished])} |")
    return lines


LOG_LINE = re.compile(r"\[\d+/\d+\] (?P<loss>\S+) (?P<dataset>\S+) (?P<dim>\d)-D seed (?P<seed>\d+): "
                      r"(?:diverged at step (?P<diverged>\d+)|accuracy (?P<accuracy>[\d.]+)%, "
                      r"angular (?P<angular>\S+?),? )")


def results_from_log(path: str) -> list[dict]:
    results = []
    for match in LOG_LINE.finditer(open(path, encoding="utf-8").read()):
        result = {"loss": match["loss"], "dataset": match["dataset"], "dim": int(match["dim"]),
                  "seed": int(match["seed"]), "diverged_at": int(match["diverged"]) if match["diverged"] else None}
        if match["accuracy"]:
            result["accuracy"], result["angular"] = float(match["accuracy"]) / 100, float(match["angular"])
        results.append(result)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--losses", nargs="+", default=list(LOSSES), choices=RUN_NAMES)
    parser.add_argument("--set", nargs="*", default=[], metavar="FIELD=VALUE",
                        help="TrainConfig fields changed in every run, over the head's settings (e.g. margin=0.5)")
    parser.add_argument("--seeds", nargs="+", type=int, default=list(range(5)))
    parser.add_argument("--datasets", nargs="+", default=["digits", "fashion-mnist"])
    parser.add_argument("--dims", nargs="+", type=int, default=[2, 3])
    parser.add_argument("--model", default=DEFAULTS.model)
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--check-every", type=int, default=100)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--from-log", metavar="FILE", help="only print the table of the runs a saved output lists")
    args = parser.parse_args()
    if args.from_log:
        print("\n".join(summarise(results_from_log(args.from_log))))
        return

    explicit = parse_overrides(args.set)
    cells = []
    for dataset in args.datasets:
        for dim in args.dims:
            for loss in args.losses:
                for seed in args.seeds:
                    base = DEFAULTS.replace(dataset=dataset, feat_dim=dim, seed=seed, model=args.model, device="cpu")
                    cells.append((loss, run_config(base, parse_run(loss), explicit), args.steps, args.check_every))
    print(f"{len(cells)} runs of {args.steps} steps, {args.jobs} at a time")
    for loss in args.losses:
        config = run_config(DEFAULTS, parse_run(loss), explicit)
        print(f"  {loss}: head {config.head}, {config.optimizer} lr {config.lr:g}, s {config.scale:g}, "
              f"m {config.margin:g} (warm-up {config.margin_warmup_steps}), λ {config.lam:g}, "
              f"lr warm-up {config.warmup_steps}, clip {config.clip_norm:g}")
    start = time.perf_counter()
    results = []
    with multiprocessing.get_context("spawn").Pool(args.jobs) as pool:
        for result in pool.imap_unordered(train_cell, cells):
            results.append(result)
            outcome = (f"diverged at step {result['diverged_at']}" if result["diverged_at"] is not None
                       else f"accuracy {100 * result['accuracy']:.1f}%, angular {result['angular']:.3f},")
            print(f"  [{len(results)}/{len(cells)}] {result['loss']} {result['dataset']} {result['dim']}-D "
                  f"seed {result['seed']}: {outcome} ({result['seconds']:.0f} s)", flush=True)
    print(f"\n{time.perf_counter() - start:.0f} s in all\n")
    print("\n".join(summarise(results)))


if __name__ == "__main__":
    main()
