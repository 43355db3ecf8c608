"""Center loss in the paper's units (Wen et al. 2016, Eqs. 2 and 4, with Caffe's 1/m)."""

from __future__ import annotations

import torch
from torch import nn

from cl_viz.core.config import CENTER_UPDATES
from cl_viz.core.distributed import all_reduce_sum, average_gradient


class CenterLoss(nn.Module):
    """L_C = (1/2m) Σ_i ‖x_i − c_{y_i}‖².

    update="paper": centers are a buffer moved by Eq. 4 (`update_centers`), never by an optimizer.
    update="sgd": centers are an nn.Parameter that the session steps with plain SGD at rate α on
    `center_objective` (the common PyTorch-repo way, made independent of λ).

    Under torch.distributed (an initialised process group of several ranks, each with its equal share of
    the global batch of m) both modes stay exact: Eq. 4 sums and counts over every rank's samples, and
    `average_center_gradient` averages the centers' gradient as DistributedDataParallel averages the
    model's, so each rank's (1/(2·m/N)) Σ over its own samples averages to the global (1/2m) Σ. Keep this
    module outside the DistributedDataParallel wrapper: its broadcast of buffers would copy rank 0's centers.

    In your own loop (one process, or a DDP rank)::

        center_loss = CenterLoss(num_classes=10, feat_dim=2, alpha=0.5)
        features, logits = model(images)
        loss = F.cross_entropy(logits, labels) + 0.01 * center_loss(features, labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        center_loss.update_centers(features, labels)  # Eq. 4, after the step
    """

    def __init__(self, num_classes: int, feat_dim: int, alpha: float = 0.5, update: str = "paper"):
        super().__init__()
        if update not in CENTER_UPDATES:
            raise ValueError(f"unknown center update {update!r}; choose one of: {', '.join(CENTER_UPDATES)}")
        self.alpha = alpha
        self.update = update
        initial = torch.zeros(num_classes, feat_dim)
        if update == "paper":
            self.register_buffer("centers", initial)
        else:
            self.centers = nn.Parameter(initial)

    def forward(self, features: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """L_C, with its gradient reaching the features only."""
        return _half_mean_squared_distance(features, self.centers.detach()[labels])

    def center_objective(self, features: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """L_C as a function of the centers alone: what sgd mode back-propagates, unscaled by λ."""
        return _half_mean_squared_distance(features.detach(), self.centers[labels])

    @torch.no_grad()
    def update_centers(self, features: torch.Tensor, labels: torch.Tensor) -> None:
        """Eq. 4: Δc_j = Σ_i δ(y_i=j)(c_j − x_i) / (1 + n_j); c_j ← c_j − α·Δc_j. Absent classes stay.
        Under torch.distributed every rank must call it at the same step (it all-reduces)."""
        features = features.detach().to(self.centers.dtype)
        counts = torch.bincount(labels, minlength=self.centers.shape[0]).to(features.dtype).unsqueeze(1)
        sums = torch.zeros_like(self.centers).index_add_(0, labels, features)
        all_reduce_sum(counts, sums)  # over every rank's samples; nothing in one process
        delta = (counts * self.centers - sums) / (1.0 + counts)
        self.centers.sub_(self.alpha * delta)

    def average_center_gradient(self) -> None:
        """sgd mode under torch.distributed: call between backward() and the centers' optimizer step."""
        if self.update == "sgd":
            average_gradient(self.centers)


def _half_mean_squared_distance(features: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    return (features - targets).pow(2).sum() / (2 * features.shape[0])
