"""cl_viz/core is torch + numpy only: it must never import Qt or pyqtgraph."""

import ast
import pkgutil
import subprocess
import sys
from pathlib import Path

import cl_viz.core

FORBIDDEN = ("PySide6", "pyqtgraph", "shiboken6", "cl_viz.qt")
CORE = Path(cl_viz.core.__file__).parent


def test_no_core_module_names_qt_in_an_import():
    for path in CORE.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            assert not any(name.startswith(FORBIDDEN) for name in names), f"{path.name}: {names}"


def test_importing_the_whole_core_loads_no_qt():
    modules = [f"cl_viz.core.{m.name}" for m in pkgutil.iter_modules([str(CORE)])]
    code = (f"import importlib, sys\nfor m in {modules!r}: importlib.import_module(m)\n"
            f"print(sorted(n for n in sys.modules if n.startswith({FORBIDDEN!r})))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
    assert len(modules) >= 8
