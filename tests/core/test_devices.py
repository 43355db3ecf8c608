import torch

from cl_viz.core import devices


def test_auto_prefers_cuda_then_mps_then_cpu(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert devices.resolve_device("auto").type == "cuda"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(devices, "_mps_available", lambda: True)
    assert devices.resolve_device("auto").type == "mps"
    monkeypatch.setattr(devices, "_mps_available", lambda: False)
    assert devices.resolve_device("auto").type == "cpu"


def test_forced_cpu():
    assert devices.resolve_device("cpu") == torch.device("cpu")
    assert devices.describe_device(torch.device("cpu")).startswith("cpu (")
