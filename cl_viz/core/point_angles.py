"""One feature seen by an angular head: its angle to each class direction W_j and the true class's
margin term, in numpy (the heads' own torch code is cl_viz.core.heads; the formulas are in
cl_viz.core.margins)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from cl_viz.core.margins import ANGULAR_HEADS, MARGIN_HEADS, sphere_lambda


@dataclass(frozen=True)
class PointAngles:
    head: str
    degrees: np.ndarray  # (C,) angle θ_j between x and W_j
    cos_target: float  # cos θ_y
    margin_term: float | None  # what replaces cos θ_y in the true class's logit; None without a margin
    margin: float  # m as applied (cosface, arcface) or the integer m of ψ (sphereface)
    sphere_lambda: float | None  # SphereFace's λ_s at this step


def point_angles(feature: np.ndarray, weight: np.ndarray, label: int, head: str, margin: float,
                 effective_margin: float, step: int) -> PointAngles | None:
    """The angles of `feature` (D,) to the rows of `weight` (C, D) and the margin term of class `label`,
    with the margin the head applied at `step`. None for softmax, or where x or W_y has no direction."""
    if head not in ANGULAR_HEADS:
        return None
    x = np.asarray(feature, dtype=np.float64)
    w = np.asarray(weight, dtype=np.float64)
    x_norm, w_norms = np.linalg.norm(x), np.linalg.norm(w, axis=1)
    if not (np.isfinite(x).all() and x_norm > 0 and 0 <= label < len(w) and w_norms[label] > 0):
        return None
    with np.errstate(invalid="ignore", divide="ignore"):
        cosines = np.clip((w @ x) / (w_norms * x_norm), -1.0, 1.0)
    cos_y = float(cosines[label])
    lam = sphere_lambda(step) if head == "sphereface" else None
    applied = float(margin) if head == "sphereface" else float(effective_margin)
    term = _margin_term(head, cos_y, applied, lam) if head in MARGIN_HEADS else None
    return PointAngles(head, np.degrees(np.arccos(cosines)), cos_y, term, applied, lam)


def _margin_term(head: str, cos_y: float, margin: float, lam: float | None) -> float:
    if head == "cosface":
        return cos_y - margin
    if head == "arcface":
        return arcface_term(cos_y, margin)
    return (lam * cos_y + sphereface_psi(cos_y, int(margin))) / (1.0 + lam)


def arcface_term(cos_y: float, margin: float) -> float:
    """cos(θ + m) while θ + m ≤ π, else cos θ − m·sin m (the guard keeps it falling as θ grows)."""
    if cos_y >= math.cos(math.pi - margin):
        return math.cos(math.acos(cos_y) + margin)
    return cos_y - margin * math.sin(margin)


def sphereface_psi(cos_y: float, margin: int) -> float:
    """ψ(θ) = (−1)^k cos(mθ) − 2k for θ in [kπ/m, (k+1)π/m]."""
    theta = math.acos(cos_y)
    k = min(max(math.floor(theta * margin / math.pi), 0), margin - 1)
    return (-1) ** k * math.cos(margin * theta) - 2 * k
