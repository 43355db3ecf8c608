"""Known and unknown classes of an open-set run: the network trains on the known classes only.

The known classes keep the order of their ids and are renumbered 0..K-1 (the classifier has K outputs,
the centers K rows). Unknowns keep an original id: a held-out class its own, a class of another dataset
its id plus the known dataset's class count, so that every id names one entry of `OpenSet.class_names`.
Unknowns are test images only: the training split keeps the known classes' images alone, and the other
dataset's training split is never used.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from cl_viz.core.config import TrainConfig
from cl_viz.core.data import Dataset, load_dataset, probe_indices
from cl_viz.core.errors import ClVizError
from cl_viz.core.streamed_images import concat_images, select_images

MIN_KNOWN_CLASSES = 2


@dataclass(frozen=True, eq=False)
class OpenSet:
    known: Dataset  # the known classes alone, labels 0..K-1
    known_classes: tuple[int, ...]  # the original id of each known label
    unknown_classes: tuple[int, ...]  # original ids, ascending
    unknown_images: torch.Tensor  # uint8 (U, S, S) or (U, 3, S, S), test images (StreamedImages: left on disk)
    unknown_labels: torch.Tensor  # int64 (U,), original ids
    class_names: tuple[str, ...]  # the name of every original id

    def unknown_probe(self, known_probe_size: int, seed: int) -> torch.Tensor:
        """Indices of the unknown probe images: as many per unknown class as the known probe holds per known
        class (at most all of them), class-stratified and fixed by `seed`."""
        per_class = known_probe_size / len(self.known_classes)
        size = max(1, round(per_class * len(self.unknown_classes)))
        return probe_indices(self.unknown_labels, size, seed=seed)


def split_open_set(dataset: Dataset, config: TrainConfig, load_data=load_dataset) -> OpenSet | None:
    """The open set `config` asks for (None when it holds nothing out); ClVizError where it does not fit
    the data."""
    held_out = tuple(sorted(config.unknown_classes))
    if not held_out and config.unknown_dataset is None:
        return None
    outside = [label for label in held_out if label >= dataset.num_classes]
    if outside:
        raise ClVizError(f"unknown class {outside[0]} is not a class of {dataset.name} "
                         f"(its classes are 0 to {dataset.num_classes - 1})")
    known_classes = tuple(label for label in range(dataset.num_classes) if label not in held_out)
    if len(known_classes) < MIN_KNOWN_CLASSES:
        raise ClVizError(f"at least {MIN_KNOWN_CLASSES} classes of {dataset.name} must stay known; "
                         f"{len(held_out)} of its {dataset.num_classes} are unknown")
    is_held_out = torch.isin(dataset.test_labels, torch.tensor(held_out, dtype=torch.int64))
    images, labels = [select_images(dataset.test_images, is_held_out)], [dataset.test_labels[is_held_out]]
    class_names, unknown_classes = tuple(dataset.class_names), list(held_out)
    if config.unknown_dataset is not None:
        other = _other_dataset(dataset, config.unknown_dataset, load_data)
        offset = len(class_names)
        images.append(other.test_images)
        labels.append(other.test_labels + offset)
        class_names += tuple(other.class_names)
        unknown_classes += [offset + label for label in range(other.num_classes)]
    unknown_labels = torch.cat(labels)
    if len(unknown_labels) == 0:
        raise ClVizError(f"the test split of {dataset.name} holds no image of the unknown classes")
    return OpenSet(known=_known_only(dataset, known_classes), known_classes=known_classes,
                   unknown_classes=tuple(unknown_classes), unknown_images=concat_images(images).contiguous(),
                   unknown_labels=unknown_labels.contiguous(), class_names=class_names)


def _other_dataset(dataset: Dataset, name: str, load_data) -> Dataset:
    if name == dataset.name:
        raise ClVizError(f"the unknowns must come from another dataset than {dataset.name}")
    return load_data(name, None)


def _known_only(dataset: Dataset, known_classes: tuple[int, ...]) -> Dataset:
    renumber = torch.full((dataset.num_classes,), -1, dtype=torch.int64)
    renumber[list(known_classes)] = torch.arange(len(known_classes))

    def keep(images: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        chosen = renumber[labels] >= 0
        return select_images(images, chosen).contiguous(), renumber[labels[chosen]].contiguous()

    train_images, train_labels = keep(dataset.train_images, dataset.train_labels)
    test_images, test_labels = keep(dataset.test_images, dataset.test_labels)
    return Dataset(name=dataset.name, source=f"{dataset.source}; known classes {_ids(known_classes)}",
                   train_images=train_images, train_labels=train_labels, test_images=test_images,
                   test_labels=test_labels,
                   class_names=tuple(dataset.class_names[label] for label in known_classes))


def _ids(labels) -> str:
    return " ".join(str(label) for label in labels)
