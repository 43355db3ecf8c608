"""What cl-viz remembers between launches (QSettings): the last setup and the view options."""

from __future__ import annotations

import json

from PySide6.QtCore import QByteArray, QSettings

from cl_viz.core.config import DEFAULTS, TrainConfig
from cl_viz.qt.window.control_panel import CONTROL_RANGES, SETUP_FIELDS


def load_setup(settings: QSettings) -> tuple[TrainConfig, bool]:
    """The last setup: the fields the window has a control for, each one that cannot be read or used
    replaced by its default; every other field is the app's default. Never raises."""
    config, _ = DEFAULTS.with_valid(_usable_fields(_stored_setup(settings)))
    return config, _bool(settings.value("setup/compare", False))


def save_setup(settings: QSettings, config: TrainConfig, compare: bool) -> None:
    settings.setValue("setup/config", json.dumps({name: getattr(config, name) for name in SETUP_FIELDS}))
    settings.setValue("setup/compare", compare)


def _stored_setup(settings: QSettings) -> dict:
    try:
        data = json.loads(str(settings.value("setup/config", "{}")))
    except (ValueError, RecursionError):  # not JSON, a number of 5,000 digits, lists nested 100,000 deep
        return {}
    return data if isinstance(data, dict) else {}


def _usable_fields(data: dict) -> dict:
    """The stored fields a control has, with a value that control can hold."""
    return {name: value for name, value in data.items() if name in SETUP_FIELDS and _fits_control(name, value)}


def _fits_control(name: str, value) -> bool:
    if name not in CONTROL_RANGES:
        return True
    low, high = CONTROL_RANGES[name]
    return isinstance(value, (int, float)) and low <= value <= high


VIEW_SWITCHES = ("show_batch", "link_axes", "decision_regions", "weight_arrows")  # check boxes of the panel
MENU_SWITCHES = ("normalise_features",)  # checkable actions of the window's View menu
DEFAULT_VIEW = {"axis_mode": "follow", "show_batch": False, "link_axes": True, "decision_regions": False,
                "weight_arrows": False, "normalise_features": False}


def load_view(settings: QSettings) -> dict:
    view = {"axis_mode": str(settings.value("view/axis_mode", DEFAULT_VIEW["axis_mode"]))}
    for name in VIEW_SWITCHES + MENU_SWITCHES:
        view[name] = _bool(settings.value(f"view/{name}", DEFAULT_VIEW[name]))
    return view


def save_view(settings: QSettings, view: dict) -> None:
    for key, value in view.items():
        settings.setValue(f"view/{key}", value)


def load_bytes(settings: QSettings, key: str) -> QByteArray | None:
    value = settings.value(key)
    return value if isinstance(value, QByteArray) and not value.isEmpty() else None


def _bool(value) -> bool:
    return value in (True, "true", "1", 1)
