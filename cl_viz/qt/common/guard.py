"""A fence around Python code that Qt calls: paint(), boundingRect(), event filters, event handlers, slots.

An exception that escapes such a method goes back into PySide6, which with 6.11 can end the
process (a segfault while it reports a failed paint override from QGraphicsView::paintEvent).
`guarded` catches it, logs it once per method with its traceback, records it in `caught` (the test
suite fails a test that leaves anything there) and returns a harmless value instead: the item
skips that paint, the filter lets the event pass, the slot does nothing more.
"""

from __future__ import annotations

import functools
import inspect
import logging
import traceback
from collections.abc import Callable
from typing import Any, TypeVar

LOG = logging.getLogger("cl_viz")
MARK = "__cl_viz_guarded__"

F = TypeVar("F", bound=Callable[..., Any])

CAUGHT_KEPT = 1000
caught: list[str] = []  # "module.Class.method: Type: message", one per caught exception (the first CAUGHT_KEPT)
_logged: set[str] = set()


def guarded(fallback: Any = None, *, recover: Callable | None = None) -> Callable[[F], F]:
    """Decorate a method that Qt calls. After a failure it returns `fallback` (a callable such as QRectF
    is called to make a fresh value each time), or `recover(*arguments)` when the answer depends on them."""

    def decorate(function: F) -> F:
        where = f"{function.__module__}.{function.__qualname__}"

        def call(*args, **kwargs):
            try:
                return function(*args, **kwargs)
            except Exception as error:  # noqa: BLE001 (the whole point: nothing may reach Qt)
                report(where, error)
                if recover is not None:
                    return recover(*args, **kwargs)
                return fallback() if callable(fallback) else fallback

        fenced = functools.wraps(function)(_with_arguments_of(function, call))
        setattr(fenced, MARK, True)
        return fenced  # type: ignore[return-value]

    return decorate


def _with_arguments_of(function: Callable, call: Callable) -> Callable:
    """A function with `function`'s own parameter list that passes its arguments to `call`.

    PySide6 counts a slot's parameters on its code object to decide how many of a signal's
    arguments to pass: a plain (*args, **kwargs) wrapper would receive none of them."""
    parameters, forwarded, defaults = [], [], {}
    for name, parameter in inspect.signature(function).parameters.items():
        text = name
        if parameter.default is not inspect.Parameter.empty:
            defaults[f"_default_{name}"] = parameter.default
            text += f"=_default_{name}"
        kind = parameter.kind
        if kind is inspect.Parameter.VAR_POSITIONAL:
            text, passed = f"*{name}", f"*{name}"
        elif kind is inspect.Parameter.VAR_KEYWORD:
            text, passed = f"**{name}", f"**{name}"
        elif kind is inspect.Parameter.KEYWORD_ONLY:
            if not any(p.startswith("*") for p in parameters):
                parameters.append("*")
            passed = f"{name}={name}"
        else:
            passed = name
        parameters.append(text)
        forwarded.append(passed)
    source = f"def fenced({', '.join(parameters)}):\n    return _call({', '.join(forwarded)})\n"
    namespace = {"_call": call, **defaults}
    exec(source, namespace)  # built from the signature's own parameter names
    return namespace["fenced"]


def report(where: str, error: BaseException) -> None:
    """Record a caught exception; log its traceback the first time this place fails."""
    if len(caught) < CAUGHT_KEPT:
        caught.append(f"{where}: {type(error).__name__}: {error}")
    if where not in _logged:
        _logged.add(where)
        LOG.error("cl-viz: %s failed and was skipped (reported once):\n%s", where,
                  "".join(traceback.format_exception(error)).rstrip())


def is_guarded(function: Callable) -> bool:
    return bool(getattr(function, MARK, False))


def take_caught() -> list[str]:
    """The exceptions caught since the last call, and forget them."""
    taken = caught[:]
    caught.clear()
    return taken
