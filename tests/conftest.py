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
    from cl_viz.qt.feature_plot import FeaturePlot

    def make(class_names):
        widget = FeaturePlot()
        qtbot.addWidget(widget)
        widget.set_classes(class_names)
        widget.resize(640, 520)
        widget.show()
        qtbot.waitExposed(widget)
        return widget

    return make
