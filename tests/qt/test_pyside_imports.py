"""PySide6's import hook answers from the file's bytes: no module source is tokenised or kept."""

from __future__ import annotations

import linecache
import sys

import cl_viz.qt  # noqa: F401 (replaces the hook)
from cl_viz.qt.common.pyside_imports import HOOK_MODULE, make_imports_cheap


def test_a_module_imported_after_pyside6_is_classified_without_keeping_its_source(tmp_path, monkeypatch):
    feature = sys.modules[HOOK_MODULE]
    (tmp_path / "plain_module_for_the_hook.py").write_text("VALUE = 1\n")
    (tmp_path / "qt_module_for_the_hook.py").write_text("import PySide6.QtCore\nVALUE = 2\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    plain = __import__("plain_module_for_the_hook")  # an import statement: the hook sits on __import__
    qt_user = __import__("qt_module_for_the_hook")
    assert feature.pyside_feature_dict["plain_module_for_the_hook"] == -1  # "ignore this module"
    assert feature.pyside_feature_dict["qt_module_for_the_hook"] == 0  # uses PySide6: features may switch
    assert plain.__file__ not in linecache.cache and qt_user.__file__ not in linecache.cache
    assert make_imports_cheap()  # idempotent
