"""The layers hold at run time too (import-linter checks the import statements; see pyproject.toml):
the core loads no Qt, plain-data modules load no torch, `--help` and replays load no torch, and the
GUI thread never imports torch."""

from __future__ import annotations

import os
import pkgutil
import subprocess
import sys
import textwrap
from pathlib import Path

import tomllib

import cl_viz.core

ROOT = Path(__file__).resolve().parents[1]
QT = ("PySide6", "pyqtgraph", "shiboken6", "cl_viz.qt")
TORCH = ("torch", "torchvision", "sklearn")


def run_python(code: str, tmp_path: Path | None = None) -> str:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    if tmp_path is not None:
        env.update(XDG_CONFIG_HOME=str(tmp_path / "config"), CL_VIZ_CACHE=str(tmp_path / "cache"))
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                            timeout=180, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout.strip().splitlines()[-1]


def loaded(prefixes: tuple[str, ...]) -> str:
    return f"print(sorted({{n.split('.')[0] for n in sys.modules if n.startswith({prefixes!r})}}))"


def torch_free_modules() -> list[str]:
    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    return next(c["source_modules"] for c in contracts if c["name"].startswith("plain data never imports torch"))


def test_importing_the_whole_core_loads_no_qt():
    modules = [f"cl_viz.core.{m.name}" for m in pkgutil.iter_modules(cl_viz.core.__path__)]
    assert len(modules) >= 20
    assert run_python(f"import importlib, sys\nfor m in {modules!r}: importlib.import_module(m)\n{loaded(QT)}") == "[]"


def test_plain_data_modules_load_no_torch():
    modules = torch_free_modules()
    assert "cl_viz.core.recording" in modules and "cl_viz.core.frames" in modules
    code = f"import importlib, sys\nfor m in {modules!r}: importlib.import_module(m)\n{loaded(TORCH)}"
    assert run_python(code) == "[]"


def test_help_of_every_command_loads_no_torch():
    code = f"""
        import contextlib, io, sys
        from cl_viz.cli.main import main
        for argv in (["--help"], ["train", "--help"], ["figure", "--help"], ["replay", "--help"]):
            with contextlib.redirect_stdout(io.StringIO()):
                try:
                    main(argv)
                except SystemExit:
                    pass
        {loaded(TORCH)}
    """
    assert run_python(code) == "[]"


APP = """
    import sys, threading
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication
    from cl_viz.cli.main import main

    app = QApplication(sys.argv[:1])
    importers = []

    class WatchTorch:
        def find_spec(self, name, path=None, target=None):
            if name == "torch" and not importers:
                importers.append("GUI thread" if threading.current_thread() is threading.main_thread() else "worker")
            return None

    sys.meta_path.insert(0, WatchTorch())

    def close_when(done):
        def check():
            window = next((w for w in app.topLevelWidgets() if w.windowTitle().startswith("cl-viz")), None)
            if window is not None and done(window):
                window.close()
            else:
                QTimer.singleShot(20, check)
        QTimer.singleShot(20, check)
"""


def test_the_gui_thread_never_imports_torch_the_worker_does(tmp_path):
    code = APP + """
    close_when(lambda window: window.playback.latest is not None)
    main(["--dataset", "digits"])
    print(importers)
    """
    assert run_python(code, tmp_path) == "['worker']"


def test_replaying_a_recording_never_imports_torch(tmp_path):
    code = APP + """
    close_when(lambda window: window.scheduler.drawn is not None and not window.scheduler.drawing)
    main(["replay", "--example", "center-vs-softmax"])
    print(importers, sorted({n.split('.')[0] for n in sys.modules if n.startswith(("torch", "sklearn"))}))
    """
    assert run_python(code, tmp_path) == "[] []"
