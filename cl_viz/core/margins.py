"""The classification heads in paper units: names, formulas, units of the margin, per-head settings and
how the margin ramps in. Plain data, no torch (the logits themselves are in cl_viz.core.heads).

With cos θ_j = x·W_j / (‖x‖‖W_j‖) and y the true class:
  softmax     W_j·x (+ b_j)                                     (the paper's L_S)
  normface    s·cos θ_j                                          (Wang et al. 2017)
  sphereface  ‖x‖·ψ(θ_y), ψ(θ) = (−1)^k cos(mθ) − 2k, integer m  (Liu et al. 2017), annealed:
              f = (λ_s‖x‖cos θ_y + ‖x‖ψ(θ_y)) / (1 + λ_s), λ_s = max(λ_min, base·(1 + γ·step)^−power)
  cosface     s·(cos θ_y − m)                                    (Wang et al. 2018)
  arcface     s·cos(θ_y + m), cos θ_y − m·sin m where θ_y + m > π (Deng et al. 2019)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

HEADS = ("softmax", "normface", "sphereface", "cosface", "arcface")
ANGULAR_HEADS = HEADS[1:]  # W normalised, no bias: the class is decided by the angle alone
MARGIN_HEADS = ("sphereface", "cosface", "arcface")

# SphereFace's annealing, from wy1iu/sphereface's prototxt (MarginInnerProduct: base 1000, gamma 0.12,
# power 1, lambda_min 5)
SPHERE_BASE, SPHERE_GAMMA, SPHERE_POWER, SPHERE_LAMBDA_MIN = 1000.0, 0.12, 1.0, 5.0


@dataclass(frozen=True)
class HeadInfo:
    name: str
    title: str
    formula: str
    margin_unit: str  # "" where the head has no margin
    settings: dict  # TrainConfig fields this head trains with by default (cl_viz.core.runs.for_head)


# Measured: benchmarks/margin_losses.py (README "The loss family"). The angular heads barely move with
# SGD at lr 0.05 in 2-D; Adam with the margin ramped in trains them.
_ANGULAR = {"optimizer": "adam", "lr": 3e-3}
HEAD_INFO = {info.name: info for info in (
    HeadInfo("softmax", "Softmax", "W_j·x + b_j", "", {}),
    HeadInfo("normface", "NormFace", "s·cos θ_j", "", {**_ANGULAR, "scale": 10.0, "margin": 0.0}),
    HeadInfo("sphereface", "SphereFace (A-Softmax)", "‖x‖·ψ(θ_y), ψ(θ) = (−1)^k cos(mθ) − 2k",
             "integer multiple of the angle", {**_ANGULAR, "margin": 4.0}),
    HeadInfo("cosface", "CosFace (LMCL)", "s·(cos θ_y − m)", "cosine", {**_ANGULAR, "scale": 10.0, "margin": 0.1,
                                                                       "margin_warmup_steps": 300}),
    HeadInfo("arcface", "ArcFace", "s·cos(θ_y + m)", "radians", {**_ANGULAR, "scale": 10.0, "margin": 0.3,
                                                                 "margin_warmup_steps": 300}),
)}


def sphere_lambda(step: int) -> float:
    """SphereFace's λ_s at `step`: starts at 1000 (almost plain ‖x‖cos θ) and falls to λ_min = 5."""
    return max(SPHERE_LAMBDA_MIN, SPHERE_BASE * (1.0 + SPHERE_GAMMA * step) ** -SPHERE_POWER)


def effective_margin(head: str, margin: float, warmup_steps: int, step: int) -> float:
    """The margin the head applies at `step`.

    cosface, arcface: m ramps linearly from 0 to m over `warmup_steps` (0: m from the start).
    sphereface: the annealing's share of ψ, as a multiplicative margin: 1 + (m − 1)/(1 + λ_s).
    Heads without a margin: 0.
    """
    if head == "sphereface":
        return 1.0 + (margin - 1.0) / (1.0 + sphere_lambda(step))
    if head not in ("cosface", "arcface"):
        return 0.0
    if warmup_steps <= 0:
        return margin
    return margin * min(1.0, step / warmup_steps)


def feasible_margin(head: str, num_classes: int, feat_dim: int) -> float | None:
    """The largest margin that C classes spread evenly on a circle can satisfy, each feature on its own
    class direction against the neighbour 2π/C away (2-D only; None where there is no such bound):
    CosFace 1 − cos(2π/C) (0.19 for ten classes), ArcFace 2π/C (0.63 rad)."""
    if feat_dim != 2 or num_classes < 2:
        return None
    gap = 2 * math.pi / num_classes
    if head == "cosface":
        return 1.0 - math.cos(gap)
    if head == "arcface":
        return gap
    return None
