"""A log-scale axis whose labels never pile up on a range of only one or two decades.

pyqtgraph labels a log axis at its decades, but when fewer than three of its standard tick levels are
a decade or more apart, it makes the 1…9 multiples the first level, and a first level is always
labelled: on a graph ~100 px tall from 0.1 to 8, that is sixteen overlapping labels. Here the decades
come first, then 2 and 5, then the other multiples; pyqtgraph labels a later level only where there
is room for it (style textFillLimits). A span of three decades or more keeps pyqtgraph's ticks.
"""

from __future__ import annotations

import math

from cl_viz.qt.common.guard import guarded
from cl_viz.qt.plot.lean_axis import LeanAxisItem

PLAIN_DECADES = 4  # labels from 1e-4 to 1e4 as plain numbers ("10", not "10¹")
FEW_DECADES = 3.0  # below this span 2× and 5× ticks help to read the values
HALVES = (2, 5)
OTHERS = (3, 4, 6, 7, 8, 9)


class LogAxisItem(LeanAxisItem):
    """Pass it in PlotWidget's axisItems for an axis that is shown in log mode."""

    @guarded(fallback=list)
    def logTickValues(self, minVal, maxVal, size, stdTicks):  # noqa: N802, N803 (pyqtgraph override)
        if abs(maxVal - minVal) >= FEW_DECADES:
            return super().logTickValues(minVal, maxVal, size, stdTicks)
        return few_decade_ticks(minVal, maxVal)

    @guarded(fallback=list)
    def logTickStrings(self, values, scale, spacing):  # noqa: N802 (pyqtgraph override)
        if scale != 1 or any(not math.isfinite(v) or abs(v) > PLAIN_DECADES for v in values):
            return super().logTickStrings(values, scale, spacing)
        return [f"{10 ** v:.4g}" for v in values]


def few_decade_ticks(low: float, high: float) -> list[tuple[float | None, list[float]]]:
    """Tick levels, as (spacing, values in log10 units), for a log10 range low…high of a few decades."""
    low, high = sorted((float(low), float(high)))
    if not (math.isfinite(low) and math.isfinite(high)) or not 0 < high - low < FEW_DECADES:
        return []
    first, last = math.floor(low), math.ceil(high)
    decades = [float(v) for v in range(first, last + 1) if low <= v <= high]

    def multiples(factors: tuple[int, ...]) -> list[float]:
        values = (v + math.log10(f) for v in range(first, last) for f in factors)
        return [value for value in values if low <= value <= high]

    return [(1.0, decades), (None, multiples(HALVES)), (None, multiples(OTHERS))]
