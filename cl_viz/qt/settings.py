"""What cl-viz remembers between launches (QSettings): the last setup and the view options."""

from __future__ import annotations

import json

from PySide6.QtCore import QByteArray, QSettings

from cl_viz.core.config import TrainConfig
from cl_viz.core.errors import ClVizError

APP_DEFAULTS = TrainConfig(lr=0.05)  # the CPU preset forms its petals within a few hundred steps at 0.05


def load_setup(settings: QSettings) -> tuple[TrainConfig, bool]:
    """The last setup, or the defaults when there is none or it cannot be read."""
    if not settings.contains("setup/config"):
        return APP_DEFAULTS, False
    try:
        config = TrainConfig.from_dict(json.loads(str(settings.value("setup/config"))))
    except (ClVizError, TypeError, ValueError):
        config = APP_DEFAULTS
    return config, _bool(settings.value("setup/compare", False))


def save_setup(settings: QSettings, config: TrainConfig, compare: bool) -> None:
    settings.setValue("setup/config", json.dumps(config.to_dict()))
    settings.setValue("setup/compare", compare)


VIEW_SWITCHES = ("show_batch", "link_axes", "decision_regions", "weight_arrows")
DEFAULT_VIEW = {"axis_mode": "follow", "show_batch": False, "link_axes": True, "decision_regions": False,
                "weight_arrows": False}


def load_view(settings: QSettings) -> dict:
    view = {"axis_mode": str(settings.value("view/axis_mode", DEFAULT_VIEW["axis_mode"]))}
    for name in VIEW_SWITCHES:
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
