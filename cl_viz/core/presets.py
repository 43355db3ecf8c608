"""Lesson presets: TOML files that each set up one effect of the paper for a lecture.

Built-in presets ship in resources/presets; a lecturer's own go in `user_preset_dir()` and override
built-in ones of the same name. resources/presets/README.md documents every field.
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
import typing
from dataclasses import dataclass, field
from pathlib import Path
from types import UnionType

import numpy as np

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: the same parser, from PyPI
    import tomli as tomllib

from cl_viz.core.config import DEFAULTS, TrainConfig
from cl_viz.core.errors import ClVizError
from cl_viz.core.metrics import FeatureMetrics
from cl_viz.core.resources import resource_dir
from cl_viz.core.runs import parse_runs
from cl_viz.core.snapshot import Snapshot

PRESET_BASE = DEFAULTS  # a preset's config table changes what the app starts with
DEFAULT_STEPS_HINT = 500
CONFIG_FIELDS = typing.get_type_hints(TrainConfig)
HIDEABLE_CONTROLS = frozenset(CONFIG_FIELDS) | {"compare"}
PRESET_FIELDS = ("title", "description", "config", "compare", "hide", "steps_hint", "expect", "losses")


@dataclass(frozen=True)
class Preset:
    name: str  # the file name without .toml, e.g. "01-softmax-only"
    title: str
    description: str
    config: TrainConfig
    compare: bool = False  # train a softmax-only twin (λ = 0) beside it
    hide: tuple[str, ...] = ()  # controls the GUI hides for this lesson
    steps_hint: int = DEFAULT_STEPS_HINT  # steps worth watching
    expect: dict = field(default_factory=dict, hash=False)  # the effect, machine-checkable; see check_effect
    losses: tuple[str, ...] = ()  # runs to open side by side in the loss family window (cl_viz.core.runs)
    path: Path | None = field(default=None, compare=False)


class PresetError(ClVizError):
    """A preset file (or folder) that cannot be used: its `path`, and the `reason` in one sentence."""

    def __init__(self, path: Path, reason: str, what: str = "preset"):
        super().__init__(f"{what} {path}: {reason}")
        self.path, self.reason = path, reason


# ----- finding and loading --------------------------------------------------------------------
def builtin_preset_dir() -> Path:
    return resource_dir("presets")


def user_preset_dir() -> Path:
    """$CL_VIZ_PRESETS, else $XDG_CONFIG_HOME/cl-viz/presets, else ~/.config/cl-viz/presets."""
    if os.environ.get("CL_VIZ_PRESETS"):
        return Path(os.environ["CL_VIZ_PRESETS"]).expanduser()
    config_home = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(config_home) / "cl-viz" / "presets"


def list_presets(folder: str | Path | None = None) -> list[Preset]:
    """Presets of `folder`, or the built-in ones merged with the user's; raises on the first broken file."""
    presets, problems = scan_presets(folder)
    if problems:
        raise problems[0]
    return presets


def scan_presets(folder: str | Path | None = None) -> tuple[list[Preset], list[PresetError]]:
    """Like list_presets, but a broken file (or a folder that cannot be listed) is skipped and its
    problem returned, in file order (for a menu)."""
    files, problems = _scan_files(folder)
    presets = []
    for path in sorted(files.values(), key=lambda path: _order(path.stem)):
        try:
            presets.append(_load(path))
        except PresetError as error:
            problems.append(error)
    return presets, problems


def load_preset(path_or_name: str | Path) -> Preset:
    """A preset file, or a preset by name ("01-softmax-only", or "softmax-only" without the number)."""
    path = Path(path_or_name).expanduser()
    if path.suffix != ".toml" and os.sep not in str(path_or_name):
        path = _find_by_name(str(path_or_name))
    return _load(path)


def _load(path: Path) -> Preset:
    try:
        with open(path, "rb") as file:
            data = tomllib.load(file)
    except OSError as error:
        raise PresetError(path, f"cannot be read ({error.strerror or error})") from error
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise PresetError(path, f"not valid TOML: {error}") from error
    except RecursionError:
        raise PresetError(path, "not valid TOML: nested too deeply") from None
    try:
        return _parse(path, data)
    except ClVizError as error:
        raise PresetError(path, str(error)) from error


def _scan_files(folder: str | Path | None) -> tuple[dict[str, Path], list[PresetError]]:
    folders = [Path(folder)] if folder is not None else [builtin_preset_dir(), user_preset_dir()]
    files, problems = {}, []
    for directory in folders:  # later folders override earlier ones
        try:
            if directory.is_dir():
                files.update({path.stem: path for path in directory.glob("*.toml")})
        except OSError as error:
            problems.append(PresetError(directory, f"cannot be read ({error.strerror or error})", "preset folder"))
    return files, problems


def _find_by_name(name: str) -> Path:
    files, _ = _scan_files(None)  # a user folder that cannot be listed still leaves the built-in presets
    for stem in sorted(files, key=_order):
        if name in (stem, _without_number(stem)):
            return files[stem]
    available = ", ".join(sorted(files, key=_order)) or "none"
    raise ClVizError(f"no preset named {name!r}; available: {available}")


def _without_number(stem: str) -> str:
    return re.sub(r"^\d+[-_ ]*", "", stem)


def _order(stem: str) -> tuple[float, str]:
    number = re.match(r"\d+", stem)
    return (int(number.group()) if number else math.inf, stem.lower())


# ----- checking the fields --------------------------------------------------------------------
def _parse(path: Path, data: dict) -> Preset:
    unknown = sorted(set(data) - set(PRESET_FIELDS))
    if unknown:
        raise ClVizError(f"unknown field(s) {', '.join(unknown)}; a preset has: {', '.join(PRESET_FIELDS)}")
    for required in ("title", "description"):
        if required not in data:
            raise ClVizError(f"missing field {required!r}")
    compare = _typed("compare", data.get("compare", False), bool)
    hide = tuple(_typed("hide", data.get("hide", []), list))
    for name in hide:
        if name not in HIDEABLE_CONTROLS:
            raise ClVizError(f"hide: unknown control {name!r}; use TrainConfig field names or 'compare'")
    steps_hint = _typed("steps_hint", data.get("steps_hint", DEFAULT_STEPS_HINT), int)
    if steps_hint < 1:
        raise ClVizError(f"steps_hint must be ≥ 1, got {steps_hint}")
    expect = _check_expect(_typed("expect", data.get("expect", {}), dict), compare, steps_hint)
    losses = tuple(_typed("losses", data.get("losses", []), list))
    if losses:
        losses = tuple(spec.name for spec in parse_runs(losses))
    return Preset(name=path.stem, title=_typed("title", data["title"], str).strip(),
                  description=" ".join(_typed("description", data["description"], str).split()),
                  config=_config(_typed("config", data.get("config", {}), dict)), compare=compare,
                  hide=hide, steps_hint=steps_hint, expect=expect, losses=losses, path=path)


def _config(table: dict) -> TrainConfig:
    unknown = sorted(set(table) - set(CONFIG_FIELDS))
    if unknown:
        raise ClVizError(f"config: unknown field(s) {', '.join(unknown)}")
    values = {name: _config_value(name, value) for name, value in table.items()}
    return PRESET_BASE.replace(**values).validated()


def _config_value(name: str, value):
    wanted = CONFIG_FIELDS[name]
    if isinstance(wanted, UnionType):  # "X | None": TOML has no null, so only X can be written
        wanted = next(option for option in typing.get_args(wanted) if option is not type(None))
    if typing.get_origin(wanted) is tuple:  # lr_milestones
        return tuple(_typed(f"config.{name} item", item, int) for item in _typed(f"config.{name}", value, list))
    return _typed(f"config.{name}", value, wanted)


_TYPE_WORDS = {bool: "true or false", int: "a whole number", float: "a number", str: "a string",
               list: "a list", dict: "a table"}


def _typed(what: str, value, wanted: type):
    if wanted is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, wanted) and not (wanted is int and isinstance(value, bool)):
        if wanted is list and not all(isinstance(item, (str, int, float)) for item in value):
            raise ClVizError(f"{what} must be a list of plain values")
        return value
    raise ClVizError(f"{what} must be {_TYPE_WORDS.get(wanted, wanted.__name__)}, got {value!r}")


# ----- the expected effect --------------------------------------------------------------------
EXTRA_MEASURES = {
    "center_shift": "largest distance any center moved since the start",
    "min_feature": "smallest coordinate of any probe feature",
    "center_norm_cv": "spread of the centers' distances from the origin (std / mean)",
    "loss_softmax": "L_S of the latest training batch (with the head's margin)",
    "unknown_separation": "median distance of the unknown probe points to the nearest center over the known "
                          "points' median distance to their own center (open set)",
}
MEASURES = tuple(f.name for f in dataclasses.fields(FeatureMetrics)) + tuple(EXTRA_MEASURES)
EXPECT_FIELDS = ("metric", "relative_to", "at_most", "at_least", "steps")


def _check_expect(expect: dict, compare: bool, steps_hint: int) -> dict:
    if not expect:
        return {}
    unknown = sorted(set(expect) - set(EXPECT_FIELDS))
    if unknown:
        raise ClVizError(f"expect: unknown field(s) {', '.join(unknown)}; use: {', '.join(EXPECT_FIELDS)}")
    metric = _typed("expect.metric", expect.get("metric"), str)
    if metric not in MEASURES:
        raise ClVizError(f"expect.metric: unknown measure {metric!r}; choose one of: {', '.join(MEASURES)}")
    relative_to = expect.get("relative_to")
    if relative_to not in (None, "start", "twin"):
        raise ClVizError(f"expect.relative_to must be 'start' or 'twin', got {relative_to!r}")
    if relative_to == "twin" and not compare:
        raise ClVizError("expect.relative_to = 'twin' needs compare = true")
    if relative_to == "start" and metric == "center_shift":
        raise ClVizError("expect: center_shift is already measured from the start; drop relative_to")
    bounds = {key: _typed(f"expect.{key}", expect[key], float) for key in ("at_most", "at_least") if key in expect}
    if not bounds:
        raise ClVizError("expect needs at_most, at_least or both")
    checked = {"metric": metric, **bounds}
    if relative_to is not None:
        checked["relative_to"] = relative_to
    checked["steps"] = _typed("expect.steps", expect.get("steps", steps_hint), int)
    if checked["steps"] < 0:
        raise ClVizError(f"expect.steps must be ≥ 0, got {checked['steps']}")
    return checked


def measure(metric: str, snapshot: Snapshot, start: Snapshot | None = None) -> float:
    """One number describing the geometry of `snapshot` (a FeatureMetrics field or an EXTRA_MEASURES key)."""
    if metric == "center_shift":
        if start is None:
            raise ValueError("center_shift needs the snapshot at the start")
        return float(np.linalg.norm(snapshot.centers - start.centers, axis=1).max())
    if metric == "min_feature":
        return float(snapshot.features.min())
    if metric == "loss_softmax":
        return float(snapshot.loss_softmax)
    if metric == "unknown_separation":
        return unknown_separation(snapshot)
    if metric == "center_norm_cv":
        norms = np.linalg.norm(snapshot.centers, axis=1)
        return float(norms.std() / norms.mean()) if norms.mean() > 0 else math.inf
    return float(getattr(snapshot.metrics, metric))


def unknown_separation(snapshot: Snapshot) -> float:
    if snapshot.unknown_features is None or len(snapshot.unknown_features) == 0:
        raise ValueError("unknown_separation needs a run that holds classes out")
    centers = np.asarray(snapshot.centers, dtype=np.float64)
    own = np.linalg.norm(snapshot.features - centers[snapshot.labels], axis=1)
    nearest = np.linalg.norm(snapshot.unknown_features[:, None, :] - centers[None], axis=2).min(axis=1)
    spread = float(np.median(own))
    return float(np.median(nearest)) / spread if spread > 0 else math.inf


@dataclass(frozen=True)
class EffectCheck:
    value: float
    passed: bool
    text: str  # e.g. "feature_norm / its value at the start = 0.021 (expected ≤ 0.1)"


def check_effect(expect: dict, start: Snapshot, end: Snapshot, twin: Snapshot | None = None) -> EffectCheck:
    """Whether `end` (and its softmax-only `twin`) shows the effect a preset's `expect` names."""
    metric, relative_to = expect["metric"], expect.get("relative_to")
    value = measure(metric, end, start)
    label = metric
    if relative_to is not None:
        reference = start if relative_to == "start" else twin
        if reference is None:
            raise ValueError("this expectation compares with the softmax-only twin; pass its snapshot")
        value = _ratio(value, measure(metric, reference, start))
        label = f"{metric} / {'its value at the start' if relative_to == 'start' else 'softmax-only twin'}"
    passed = expect.get("at_least", -math.inf) <= value <= expect.get("at_most", math.inf)  # NaN fails
    bounds = " and ".join(f"{'≤' if key == 'at_most' else '≥'} {expect[key]:g}"
                          for key in ("at_least", "at_most") if key in expect)
    return EffectCheck(value, bool(passed), f"{label} = {value:.4g} (expected {bounds})")


def _ratio(value: float, base: float) -> float:
    if base != 0:
        return value / base
    return math.nan if value == 0 else math.copysign(math.inf, value)
