"""Named training recipes: the stable defaults and caffe-face's exact MNIST settings, one flag away."""

from __future__ import annotations

from dataclasses import dataclass

from cl_viz.core.config import DEFAULTS, TrainConfig

DEFAULT_STEPS = 1000


@dataclass(frozen=True)
class Recipe:
    name: str
    title: str
    config: TrainConfig
    steps: int


STABLE = Recipe(
    name="defaults",
    title=f"cl-viz's defaults: {DEFAULTS.model}, SGD lr {DEFAULTS.lr:g}, a {DEFAULTS.warmup_steps}-step warm-up "
          f"and the gradient norm clipped at {DEFAULTS.clip_norm:g} (both not in the paper)",
    config=DEFAULTS,
    steps=DEFAULT_STEPS,
)
OFFICIAL = Recipe(
    name="official",
    title="caffe-face mnist_example: LeNet++, Xavier filler, SGD lr 0.01, ×0.8 at 5k/8k/10k, 10k steps, no warm-up, "
          "no clipping",
    config=TrainConfig(model="lenet++", lr=0.01, lr_milestones=(5000, 8000, 10000), lr_gamma=0.8,
                       warmup_steps=0, clip_norm=0.0, init="caffe", lam=0.01, alpha=0.5, batch_size=128),
    steps=10_000,
)
RECIPES = {recipe.name: recipe for recipe in (STABLE, OFFICIAL)}
DEFAULT_RECIPE = STABLE.name
