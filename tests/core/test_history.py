import numpy as np
import pytest

from cl_viz.core.history import BoundedHistory


def test_keeps_everything_until_full():
    history = BoundedHistory(("step", "loss"), capacity=8)
    for step in range(8):
        history.append({"step": step, "loss": 1.0 / (step + 1)})
    np.testing.assert_array_equal(history.column("step"), np.arange(8))


def test_memory_stays_bounded_and_evenly_spaced_over_a_long_run():
    history = BoundedHistory(("step",), capacity=100)
    for step in range(100_000):
        history.append({"step": step})
    steps = history.column("step")
    assert 50 <= len(steps) <= 100
    assert steps[0] == 0
    assert len(set(np.diff(steps))) == 1  # evenly thinned
    assert steps[-1] > 99_000 - history.stride
    assert history.latest == {"step": 99_999.0}


def test_missing_values_are_nan_and_clear_resets():
    history = BoundedHistory(("step", "ratio"))
    history.append({"step": 1})
    assert np.isnan(history.column("ratio")[0])
    history.clear()
    assert len(history) == 0 and history.latest is None


def test_capacity_must_be_useful():
    with pytest.raises(ValueError):
        BoundedHistory(("step",), capacity=2)
