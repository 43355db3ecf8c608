"""The verification pairs of an open-set run (the LFW setting): pairs of unknown probe images, genuine
when both show one class, impostor when they show two. Numpy only.

How they are drawn, from the probe's unknown labels alone (so every run of one probe set shares them):
- genuine: every unordered pair of two images of one class if there are at most GENUINE_PAIRS of them,
  else GENUINE_PAIRS of them, each class's share proportional to its number of such pairs (largest
  remainder), drawn uniformly without replacement within the class;
- impostor: likewise with IMPOSTOR_PAIRS, the strata being the pairs of classes (c, d), c < d, each with
  n_c·n_d pairs;
- one numpy Generator seeded with `seed` draws all strata in order (genuine by class, then impostor by
  pair of classes); the pairs come genuine first, in that order, each stratum's sorted.
So the genuine:impostor ratio is 1:1 once both kinds are sampled (3,000 each by default), and the
natural one when a probe set is small enough for all pairs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cl_viz.core.errors import ClVizError

GENUINE_PAIRS = 3000
IMPOSTOR_PAIRS = 3000
PAIR_SEED = 0
DISTANCES = ("euclidean", "cosine")
FAR_TARGETS = (1e-2, 1e-3)
_TINY = 1e-12


@dataclass(frozen=True, eq=False)
class Pairs:
    first: np.ndarray  # (N,) index of a probe point
    second: np.ndarray  # (N,)
    genuine: np.ndarray  # (N,) bool: both of one class

    def __len__(self) -> int:
        return len(self.genuine)


def verification_pairs(labels: np.ndarray, seed: int = PAIR_SEED, genuine: int = GENUINE_PAIRS,
                       impostor: int = IMPOSTOR_PAIRS) -> Pairs:
    labels = np.asarray(labels)
    classes = np.unique(labels)
    members = [np.flatnonzero(labels == label) for label in classes]
    generator = np.random.default_rng(seed)
    counts = np.array([len(m) for m in members], dtype=np.int64)
    same = [_within(m, k, generator) for m, k in zip(members, _quotas(counts * (counts - 1) // 2, genuine))]
    couples = [(c, d) for c in range(len(classes)) for d in range(c + 1, len(classes))]
    sizes = np.array([counts[c] * counts[d] for c, d in couples], dtype=np.int64)
    other = [_across(members[c], members[d], k, generator) for (c, d), k in zip(couples, _quotas(sizes, impostor))]
    first, second = (np.concatenate([pair[side] for pair in same + other] + [np.empty(0, np.int64)])
                     for side in (0, 1))
    kinds = np.r_[np.ones(sum(len(a) for a, _ in same), bool), np.zeros(sum(len(a) for a, _ in other), bool)]
    return Pairs(first, second, kinds)


def pair_distances(features: np.ndarray, pairs: Pairs, distance: str) -> np.ndarray:
    features = np.asarray(features, dtype=np.float64)
    a, b = features[pairs.first], features[pairs.second]
    if distance == "euclidean":
        return np.linalg.norm(a - b, axis=1)
    if distance == "cosine":
        norms = np.maximum(np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1), _TINY)
        return 1.0 - np.einsum("ij,ij->i", a, b) / norms
    raise ClVizError(f"unknown distance {distance!r}; choose one of: {', '.join(DISTANCES)}")


def _quotas(sizes: np.ndarray, total: int) -> np.ndarray:
    """All of every stratum when they hold at most `total`, else shares of `total` proportional to size."""
    if sizes.sum() <= total:
        return sizes
    exact = sizes * (total / sizes.sum())
    quotas = np.floor(exact).astype(np.int64)
    by_remainder = np.argsort(-(exact - quotas), kind="stable")
    quotas[by_remainder[:total - quotas.sum()]] += 1
    return quotas


def _within(members: np.ndarray, count: int, generator: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    rows, columns = np.triu_indices(len(members), k=1)
    chosen = np.sort(generator.choice(len(rows), size=count, replace=False))
    return members[rows[chosen]], members[columns[chosen]]


def _across(left: np.ndarray, right: np.ndarray, count: int,
            generator: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    chosen = np.sort(generator.choice(len(left) * len(right), size=count, replace=False))
    return left[chosen // len(right)], right[chosen % len(right)]
