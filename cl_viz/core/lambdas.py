"""The λ values of a λ grid (the paper's Fig. 3): defaults, limits, parsing. Plain data, no torch."""

from __future__ import annotations

from cl_viz.core.config import TrainConfig
from cl_viz.core.errors import ClVizError

DEFAULT_LAMBDAS = (0.0, 1e-4, 1e-3, 1e-2, 1e-1)
MAX_RUNS = 9
# own: each plot zoomed to its own features, so that the shapes compare (the default); shared: one
# scale for all, so that the feature norm is seen to shrink as λ grows
GRID_SCALES = ("own", "shared")


def parse_lambdas(values) -> tuple[float, ...]:
    """λ values from numbers or text like "0, 1e-4, 0.01"; each ≥ 0, at most MAX_RUNS."""
    if isinstance(values, str):
        values = [part for part in values.replace(",", " ").split() if part]
    try:
        lambdas = tuple(float(value) for value in values)
    except ValueError:
        raise ClVizError(f"λ values must be numbers, got {values!r}") from None
    if not lambdas:
        raise ClVizError("give at least one λ")
    if len(lambdas) > MAX_RUNS:
        raise ClVizError(f"at most {MAX_RUNS} λ values fit in a grid, got {len(lambdas)}")
    for lam in lambdas:
        TrainConfig(lam=lam).validated()
    return lambdas
