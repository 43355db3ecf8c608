"""Named runs of a comparison ("softmax", "center", "cosface", "arcface+center", …) and the configuration
each trains with. Plain data, no torch.

A run is a head (cl_viz.core.margins) with or without center loss: "center" is the paper's joint
supervision (softmax + λ·L_C), "<head>+center" adds L_C to any head, every other name trains with λ = 0.
All runs of a comparison share the seed, so they start from the same trunk weights and see the same
batches; each head brings the settings it trains with (HEAD_INFO[head].settings).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from cl_viz.core.config import DEFAULTS, TrainConfig
from cl_viz.core.errors import ClVizError
from cl_viz.core.lambdas import MAX_RUNS
from cl_viz.core.margins import HEAD_INFO, HEADS

CENTER = "center"
DEFAULT_LOSS = CENTER  # `cl-viz train` without --loss
WITH_CENTER = "+center"
RUN_NAMES = ("softmax", CENTER, *HEADS[1:], *(f"{head}{WITH_CENTER}" for head in HEADS[1:]))
LOSS_FAMILY = ("softmax", CENTER, "cosface", "arcface")
HEAD_SETTING_FIELDS = ("optimizer", "lr", "scale", "margin", "margin_warmup_steps")


@dataclass(frozen=True)
class RunSpec:
    name: str
    head: str
    center_loss: bool

    @property
    def title(self) -> str:
        if self.head == "softmax":
            return "Center loss (softmax + λ·L_C)" if self.center_loss else "Softmax only"
        title = HEAD_INFO[self.head].title
        return f"{title} + center loss" if self.center_loss else title


def parse_run(name: str) -> RunSpec:
    text = name.strip().lower()
    if text not in RUN_NAMES:
        raise ClVizError(f"unknown loss {name!r}; choose from: {', '.join(RUN_NAMES)}")
    if text == CENTER:
        return RunSpec(text, "softmax", True)
    head, _, center = text.partition("+")
    return RunSpec(text, head, bool(center))


def parse_runs(names) -> tuple[RunSpec, ...]:
    """Runs from names or text like "softmax, center cosface"; at most MAX_RUNS, none twice."""
    if isinstance(names, str):
        names = names.replace(",", " ").split()
    specs = tuple(parse_run(name) for name in names)
    if not specs:
        raise ClVizError("give at least one loss")
    if len(specs) > MAX_RUNS:
        raise ClVizError(f"at most {MAX_RUNS} runs fit side by side, got {len(specs)}")
    seen = [spec.name for spec in specs]
    repeated = sorted({name for name in seen if seen.count(name) > 1})
    if repeated:
        raise ClVizError(f"each loss can appear once, got {', '.join(repeated)} twice")
    return specs


def for_head(config: TrainConfig, head: str, defaults: TrainConfig = DEFAULTS) -> TrainConfig:
    """`config` with `head` and the settings that head trains with (its optimizer, lr, s, m, margin warm-up);
    the ones it does not name come from `defaults` (switching back to softmax restores SGD at its rate)."""
    if head not in HEAD_INFO:
        raise ClVizError(f"unknown head {head!r}; choose one of: {', '.join(HEADS)}")
    fallback = {name: getattr(defaults, name) for name in HEAD_SETTING_FIELDS}
    return config.replace(head=head, **(fallback | HEAD_INFO[head].settings))


def run_config(base: TrainConfig, spec: RunSpec, explicit: dict | None = None,
               defaults: TrainConfig | None = None) -> TrainConfig:
    """The configuration of one run: `base` with the run's head settings, then the fields in `explicit` (a
    user's flags, which win over the head's settings), and λ = 0 unless the run adds center loss (then
    base's λ, or the default λ when base has none). Settings the head does not name come from `defaults`
    (None: from base, as when base is a recipe)."""
    if explicit and "lam" in explicit:
        raise ValueError("λ comes from base: only the runs with center loss take it")
    config = for_head(base, spec.head, defaults=base if defaults is None else defaults)
    lam = (base.lam if base.lam != 0 else DEFAULTS.lam) if spec.center_loss else 0.0
    return config.replace(lam=lam, **(explicit or {})).validated()


def softmax_twin(config: TrainConfig) -> TrainConfig:
    """The comparison run: softmax only. Beside a softmax head only λ differs; beside an angular head the
    twin has the softmax head with the default optimizer and learning rate."""
    if config.head == "softmax":
        return config.replace(lam=0.0)
    return for_head(config, "softmax").replace(lam=0.0).validated()


def short_name(config: TrainConfig) -> str:
    """What a run is called in a column header or a legend: "center loss", "softmax only", "ArcFace",
    "ArcFace + L_C"."""
    if config.head == "softmax":
        return "center loss" if config.lam > 0 else "softmax only"
    name = HEAD_INFO[config.head].title.split(" ")[0]
    return f"{name} + L_C" if config.lam > 0 else name


@dataclass(frozen=True)
class GridEntry:
    """One plot of a grid of runs: what its title says and what it trains."""

    title: str
    config: TrainConfig


def lambda_title(lam: float) -> str:
    if lam == 0:
        return "λ = 0 (softmax only)"
    exponent = math.log10(lam)
    return f"λ = 1e{exponent:.0f}" if exponent == round(exponent) else f"λ = {lam:g}"


def lambda_entries(base: TrainConfig, lambdas) -> tuple[GridEntry, ...]:
    """The paper's Fig. 3: one run per λ, everything else as in `base`."""
    return tuple(GridEntry(lambda_title(lam), base.replace(lam=lam).validated()) for lam in lambdas)


def loss_entries(base: TrainConfig, specs, explicit: dict | None = None,
                 defaults: TrainConfig | None = None) -> tuple[GridEntry, ...]:
    """One run per loss, each with its head's settings (see run_config)."""
    return tuple(GridEntry(spec.title, run_config(base, spec, explicit, defaults)) for spec in specs)
