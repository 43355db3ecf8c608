"""Open-set splits of the literature as data: which classes a run holds out, or which dataset's images it
shows as unknowns (no torch: the app lists them).

MNIST's standard protocol keeps 6 digits known and 4 unknown over 5 random splits; these are the ones
of dimitymiller/cac-openset (datasets/MNIST/class_splits/0.json … 4.json), known classes in its order.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class OpenSetSplit:
    name: str
    title: str
    unknown_classes: tuple[int, ...] = ()  # TrainConfig.unknown_classes
    unknown_dataset: str | None = None  # TrainConfig.unknown_dataset

    def config_changes(self) -> dict:
        """The TrainConfig fields this split sets."""
        return {"unknown_classes": self.unknown_classes, "unknown_dataset": self.unknown_dataset}


CAC_MNIST_KNOWN = ((3, 0, 2, 9, 1, 6), (7, 5, 9, 8, 3, 2), (9, 5, 0, 2, 7, 3), (4, 1, 5, 7, 0, 3), (8, 6, 0, 9, 2, 4))
CAC_MNIST_UNKNOWN = ((5, 4, 7, 8), (0, 4, 6, 1), (6, 8, 4, 1), (9, 8, 2, 6), (3, 1, 7, 5))

OPEN_SET_SPLITS = (
    OpenSetSplit("digits-6789", "unknown digits 6, 7, 8, 9", (6, 7, 8, 9)),
    *(OpenSetSplit(f"cac-{index}", f"cac-openset split {index}: unknown {', '.join(map(str, sorted(unknown)))}",
                   unknown)
      for index, unknown in enumerate(CAC_MNIST_UNKNOWN)),
    OpenSetSplit("fashion-mnist", "all digits known, Fashion-MNIST unknown", unknown_dataset="fashion-mnist"),
    OpenSetSplit("kmnist", "all digits known, KMNIST unknown", unknown_dataset="kmnist"),
)
SPLITS_BY_NAME = {split.name: split for split in OPEN_SET_SPLITS}
