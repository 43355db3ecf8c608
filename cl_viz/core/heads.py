"""The angular classification heads (NormFace, SphereFace, CosFace, ArcFace): W lives in the model, the
logits are a few lines each. Formulas and units: cl_viz.core.margins."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from cl_viz.core.margins import ANGULAR_HEADS

_EPS = 1e-7  # keeps sin θ and acos away from their infinite slopes at cos θ = ±1


class AngularHead(nn.Module):
    """W (C, D), no bias. `forward` gives the logits without margin, which decide the class:
    s·cos θ_j (normface, cosface, arcface) or ‖x‖·cos θ_j (sphereface)."""

    bias = None

    def __init__(self, kind: str, feat_dim: int, num_classes: int, scale: float = 10.0):
        super().__init__()
        if kind not in ANGULAR_HEADS:
            raise ValueError(f"unknown angular head {kind!r}; choose one of: {', '.join(ANGULAR_HEADS)}")
        self.kind = kind
        self.scale = scale
        self.weight = nn.Parameter(torch.empty(num_classes, feat_dim))
        nn.init.kaiming_uniform_(self.weight, a=math.sqrt(5))  # nn.Linear's, so both heads start alike

    def cosines(self, features: torch.Tensor) -> torch.Tensor:
        return F.normalize(features, dim=1) @ F.normalize(self.weight, dim=1).t()

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self._magnitude(features) * self.cosines(features)

    def training_logits(self, features: torch.Tensor, labels: torch.Tensor, margin: float,
                        sphere_lambda: float = 0.0) -> torch.Tensor:
        """The logits L_S is the cross-entropy of: the true class's cosine replaced by its margin term."""
        cosines = self.cosines(features)
        if self.kind == "normface" or margin == 0 and self.kind != "sphereface":
            return self._magnitude(features) * cosines
        target = cosines.gather(1, labels[:, None])
        margin_term = self._margin_term(target.clamp(-1 + _EPS, 1 - _EPS), margin, sphere_lambda)
        one_hot = F.one_hot(labels, cosines.shape[1]).to(cosines.dtype)
        return self._magnitude(features) * (cosines + one_hot * (margin_term - target))

    def _magnitude(self, features: torch.Tensor) -> torch.Tensor | float:
        return features.norm(dim=1, keepdim=True) if self.kind == "sphereface" else self.scale

    def _margin_term(self, cos_y: torch.Tensor, margin: float, sphere_lambda: float) -> torch.Tensor:
        if self.kind == "cosface":
            return cos_y - margin
        if self.kind == "arcface":
            return arcface_term(cos_y, margin)
        psi = sphereface_psi(cos_y, int(margin))
        return (sphere_lambda * cos_y + psi) / (1.0 + sphere_lambda)


def arcface_term(cos_y: torch.Tensor, margin: float) -> torch.Tensor:
    """cos(θ + m) while θ + m ≤ π, else cos θ − m·sin m (monotonic in θ)."""
    sin_y = (1.0 - cos_y * cos_y).clamp_min(1e-12).sqrt()
    shifted = cos_y * math.cos(margin) - sin_y * math.sin(margin)
    return torch.where(cos_y >= math.cos(math.pi - margin), shifted, cos_y - margin * math.sin(margin))


def sphereface_psi(cos_y: torch.Tensor, margin: int) -> torch.Tensor:
    """ψ(θ) = (−1)^k cos(mθ) − 2k for θ in [kπ/m, (k+1)π/m]; cos(mθ) by Chebyshev's recurrence."""
    previous, current = torch.ones_like(cos_y), cos_y
    for _ in range(margin - 1):
        previous, current = current, 2 * cos_y * current - previous
    cos_m_theta = current if margin >= 1 else previous
    with torch.no_grad():
        k = torch.floor(torch.acos(cos_y) * margin / math.pi).clamp(0, margin - 1)
    sign = 1.0 - 2.0 * torch.remainder(k, 2)
    return sign * cos_m_theta - 2 * k
