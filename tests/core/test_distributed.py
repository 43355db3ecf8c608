"""Two gloo ranks on the CPU (torchrun, tests/distributed_ranks.py) against one process with the same
global batch: the same weights and centers, centers identical on both ranks every step, and a nudged
replica caught by assert_replicas_equal."""

from __future__ import annotations

import os
import subprocess
import sys

import distributed_ranks
import pytest
import torch

from cl_viz.core import distributed
from cl_viz.core.errors import ClVizError
from cl_viz.core.session import TrainingSession

RANKS = 2


@pytest.fixture(scope="module")
def ranks(tmp_path_factory):
    """What each rank wrote: {(mode, rank): saved dict}; one torchrun for the whole module (~25 s)."""
    out = tmp_path_factory.mktemp("ranks")
    env = dict(os.environ, OMP_NUM_THREADS="1")
    result = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone",
                             f"--nproc-per-node={RANKS}", distributed_ranks.__file__, str(out)],
                            capture_output=True, text=True, timeout=240, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    return {(mode, rank): torch.load(out / f"{mode}-rank{rank}.pt", weights_only=True)
            for mode in distributed_ranks.MODES for rank in range(RANKS)}


def one_process(mode: str, digits) -> tuple[TrainingSession, list[torch.Tensor]]:
    session = TrainingSession(distributed_ranks.config(mode), digits)
    centers = []
    for _ in range(distributed_ranks.STEPS):
        session.train_step()
        centers.append(session.center_loss.centers.detach().clone())
    return session, centers


@pytest.mark.parametrize("mode", distributed_ranks.MODES)
def test_two_ranks_train_as_one_process_with_the_whole_batch(ranks, mode, digits):
    session, centers = one_process(mode, digits)
    for rank in range(RANKS):
        saved = ranks[mode, rank]
        for name, value in session.model.state_dict().items():
            torch.testing.assert_close(saved["model"][name], value, atol=1e-5, rtol=1e-5, msg=name)
        for step, (theirs, ours) in enumerate(zip(saved["centers"], centers)):
            torch.testing.assert_close(theirs, ours, atol=1e-5, rtol=1e-5, msg=f"centers at step {step + 1}")
    assert not torch.equal(centers[-1], torch.zeros_like(centers[-1]))  # they did move


@pytest.mark.parametrize("mode", distributed_ranks.MODES)
def test_centers_are_identical_on_every_rank_at_every_step(ranks, mode):
    for theirs, ours in zip(ranks[mode, 1]["centers"], ranks[mode, 0]["centers"], strict=True):
        assert torch.equal(theirs, ours)


@pytest.mark.parametrize("what", ["centers", "weight"])
def test_a_desynchronised_replica_is_caught_on_every_rank(ranks, what):
    name = "centers" if what == "centers" else "the first weight"
    for rank in range(RANKS):
        message = ranks["paper", rank][f"desync_{what}"]
        assert message.startswith(f"{name} differs between ranks: rank 1 is 0.001 away from rank 0")


def test_one_process_makes_no_distributed_call(monkeypatch, digits):
    def refuse(*args, **kwargs):
        raise AssertionError("a collective in a single process")

    monkeypatch.setattr(torch.distributed, "all_reduce", refuse)
    monkeypatch.setattr(torch.distributed, "all_gather", refuse)
    session, _ = one_process("sgd", digits)
    session.center_loss.update_centers(torch.zeros(2, 2), torch.tensor([0, 1]))
    distributed.assert_replicas_equal(session.center_loss.centers, "centers")


def test_a_batch_that_does_not_split_evenly_is_refused():
    with pytest.raises(ClVizError, match="multiple of 3"):
        distributed.DataParallel(rank=0, world_size=3).part(torch.arange(32))


def test_each_rank_takes_a_disjoint_share_and_together_the_whole_batch():
    batch = torch.randperm(12)
    shares = [distributed.DataParallel(rank, 3).part(batch) for rank in range(3)]
    assert sorted(torch.cat(shares).tolist()) == sorted(batch.tolist())
