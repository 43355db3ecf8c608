"""Open set on held-out classes: AUROC per score, CCR at FPR 10⁻², verification EER and TAR@FAR, per loss,
mean ± sample standard deviation over the runs that `cl-viz train` wrote (their final records).

    for dataset in digits fashion-mnist; do for seed in 0 1 2 3 4; do
      cl-viz train --dataset $dataset --unknown-classes 6 7 8 9 --steps 1000 \\
          --losses softmax center cosface arcface --seed $seed --out runs/open-set/$dataset/seed$seed
    done; done
    .venv/bin/python benchmarks/open_set.py runs/open-set
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path

from stability_grid import mean_text

COLUMNS = (("probe_accuracy", "known acc."), ("auroc_max_softmax", "AUROC MSP"), ("auroc_max_logit", "AUROC logit"),
           ("auroc_center_distance", "AUROC center dist."), ("auroc_center_cosine", "AUROC center cos"),
           ("auroc_weight_angle", "AUROC W_j angle"),
           ("ccr_at_fpr_0.01_center_distance", "CCR@FPR 1e-2 (center dist.)"),
           ("ccr_at_fpr_0.01_max_softmax", "CCR@FPR 1e-2 (MSP)"),
           ("eer_euclidean", "EER eucl."), ("eer_cosine", "EER cos"),
           ("tar_at_far_0.01_euclidean", "TAR@1e-2 eucl."), ("tar_at_far_0.01_cosine", "TAR@1e-2 cos"),
           ("tar_at_far_0.001_cosine", "TAR@1e-3 cos"))


def loss_name(config: dict) -> str:
    center = config["lam"] > 0
    if config["head"] == "softmax":
        return "center" if center else "softmax"
    return f"{config['head']}+center" if center else config["head"]


def summarise(folders: list[str]) -> list[str]:
    runs = defaultdict(list)
    for folder in folders:
        for path in sorted(Path(folder).rglob("metrics.json")):
            metrics = json.loads(path.read_text())
            config = metrics["config"]
            unknowns = " ".join(map(str, config.get("unknown_classes", []))) + \
                (f" + {config['unknown_dataset']}" if config.get("unknown_dataset") else "")
            key = (metrics["dataset"]["name"], unknowns, metrics["steps"], loss_name(config))
            runs[key].append(metrics["final"])
    lines = ["| dataset | unknown | steps | loss | runs | " + " | ".join(title for _, title in COLUMNS) + " |",
             "|---" * (5 + len(COLUMNS)) + "|"]
    for (dataset, unknowns, steps, loss), finals in sorted(runs.items()):
        cells = [mean_text([final[key] for final in finals if final.get(key) is not None]) for key, _ in COLUMNS]
        lines.append(f"| {dataset} | {unknowns} | {steps} | {loss} | {len(finals)} | " + " | ".join(cells) + " |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="+", help="folders searched for metrics.json")
    print("\n".join(summarise(parser.parse_args().folders)))


if __name__ == "__main__":
    main()
