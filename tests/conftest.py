import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402
import torch  # noqa: E402

from cl_viz.core.config import TrainConfig  # noqa: E402
from cl_viz.core.data import load_dataset  # noqa: E402

torch.set_num_threads(2)


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path_factory, monkeypatch):
    """No test reads or writes the user's dataset cache: "auto" resolves to the built-in digits."""
    monkeypatch.setenv("CL_VIZ_CACHE", str(tmp_path_factory.getbasetemp() / "cache"))


@pytest.fixture(scope="session")
def digits():
    return load_dataset("digits")


@pytest.fixture
def small_config():
    return TrainConfig(dataset="digits", model="tiny", device="cpu", batch_size=32, probe_size=100, lr=0.05)


@pytest.fixture
def shown_feature_plot(qtbot):
    """A FeaturePlot with these classes, 640×520, shown and exposed."""
    from cl_viz.qt.plot.feature_plot import FeaturePlot

    def make(class_names):
        widget = FeaturePlot()
        qtbot.addWidget(widget)
        widget.set_classes(class_names)
        widget.resize(640, 520)
        widget.show()
        qtbot.waitExposed(widget)
        return widget

    return make


@pytest.fixture(autouse=True)
def nothing_left_behind(request, monkeypatch):
    """A test that uses Qt must end with no QThread running, no QTimer active, no top-level widget of
    its own alive, and no exception caught by a guard (cl_viz.qt.common.guard)."""
    from cl_viz.qt.common import guard

    guard.take_caught()
    uses_qt = bool({"qtbot", "qapp"} & set(request.fixturenames))
    watch = None
    if uses_qt:
        from qt_leaks import LeakWatch

        watch = LeakWatch()
        watch.install(monkeypatch)
    yield
    caught = guard.take_caught()
    leaks = watch.leaks() if watch is not None else []
    if leaks:
        watch.clean_up()
    problems = [f"caught by a guard: {entry}" for entry in caught] + leaks
    assert not problems, "this test left something behind:\n  " + "\n  ".join(problems)
