"""The README's "Center loss in your own training loop" example, run as it is: in one process, and
under torchrun with 2 gloo ranks, which end with the one process's centers. And the public API."""

from __future__ import annotations

import importlib
import os
import re
import subprocess
import sys
from pathlib import Path

import torch

import cl_viz.core

README = Path(__file__).resolve().parents[2] / "README.md"
BLOCK = re.compile(r"<!-- library-example -->\s*```python\n(.*?)```\s*<!-- /library-example -->", re.S)
SAVE_CENTERS = '\ntorch.save(center_loss.centers, os.path.join(os.environ["CENTERS_DIR"], f"{rank}.pt"))\n'


def example() -> str:
    found = BLOCK.findall(README.read_text(encoding="utf-8"))
    assert len(found) == 1, "README.md needs exactly one library-example block"
    return found[0]


def run_in_one_process() -> dict:
    namespace: dict = {"__name__": "__main__"}
    exec(compile(example(), "README.md (library example)", "exec"), namespace)
    return namespace


def test_the_example_trains_in_one_process():
    namespace = run_in_one_process()
    centers = namespace["center_loss"].centers
    assert centers.shape == (10, 2) and centers.abs().sum() > 0
    assert not namespace["distributed"]


def test_the_example_runs_under_torchrun_and_ends_with_the_one_process_centers(tmp_path):
    script = tmp_path / "example.py"
    script.write_text(example().replace("\nif distributed:\n    dist.destroy_process_group()",
                                        SAVE_CENTERS + "if distributed:\n    dist.destroy_process_group()"))
    env = dict(os.environ, OMP_NUM_THREADS="1", CENTERS_DIR=str(tmp_path))
    result = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node=2",
                             str(script)], capture_output=True, text=True, timeout=240, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    reference = run_in_one_process()["center_loss"].centers
    for rank in range(2):
        torch.testing.assert_close(torch.load(tmp_path / f"{rank}.pt", weights_only=True), reference,
                                   atol=1e-5, rtol=1e-5)


def test_every_public_name_is_what_its_module_defines():
    assert cl_viz.core.__all__ == sorted(cl_viz.core.PUBLIC_API)
    for name, module in cl_viz.core.PUBLIC_API.items():
        assert getattr(cl_viz.core, name) is getattr(importlib.import_module(module), name)


def test_importing_the_core_package_loads_no_torch():
    code = "import sys, cl_viz.core; print(sorted(n for n in sys.modules if n.split('.')[0] == 'torch'))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.stdout.strip() == "[]", result.stderr
