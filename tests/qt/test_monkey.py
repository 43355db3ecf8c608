"""The real main window and λ grid under random user actions (tests/monkey.py), in a child process so
that a segfault or an abort counts as a failure instead of ending the test run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

MONKEY = Path(__file__).with_name("monkey.py")
BAD_OUTPUT = ("Traceback", "Fatal Python error", "QThread: Destroyed", "Segmentation fault")


def run_monkey(tmp_path: Path, seed: int, seconds: float, max_rss_mb: float = 3000.0) -> dict:
    report = tmp_path / "monkey.json"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path / "config"),
               CL_VIZ_CACHE=str(tmp_path / "cache"))
    result = subprocess.run([sys.executable, str(MONKEY), "--seed", str(seed), "--seconds", str(seconds),
                             "--max-rss-mb", str(max_rss_mb), "--report", str(report)],
                            capture_output=True, text=True, timeout=seconds + 300, env=env)
    last_actions = "\n".join(line for line in result.stdout.splitlines() if line.startswith("action"))
    replay = f"replay: python {MONKEY} --seed {seed} --seconds {seconds}\nlast actions:\n{last_actions[-3000:]}"
    assert result.returncode == 0, (f"exit status {result.returncode}\n{result.stdout[-3000:]}\n"
                                    f"{result.stderr[-4000:]}\n{replay}")
    for bad in BAD_OUTPUT:
        assert bad not in result.stderr, f"{bad!r} on stderr:\n{result.stderr[-4000:]}\n{replay}"
    return json.loads(report.read_text())


def test_random_actions_on_the_real_windows_for_30_seconds(tmp_path):
    report = run_monkey(tmp_path, seed=20261201, seconds=30)
    assert report["problems"] == []
    assert len(report["actions"]) >= 30 and report["windows"] >= 1


@pytest.mark.soak
def test_soak(tmp_path):
    """Minutes of random actions: `pytest -m soak`, with CL_VIZ_SOAK_SEED and CL_VIZ_SOAK_SECONDS."""
    seed = int(os.environ.get("CL_VIZ_SOAK_SEED", "1"))
    seconds = float(os.environ.get("CL_VIZ_SOAK_SECONDS", "600"))
    report = run_monkey(tmp_path, seed=seed, seconds=seconds)
    samples = report["rss_mb"]
    print(f"soak: seed {seed}, {seconds:g} s, {len(report['actions'])} actions, {report['windows']} windows; "
          f"RSS (s, MB): {samples[::max(1, len(samples) // 20)]}")
    assert report["problems"] == []
