"""One training run, advanced one optimizer step at a time."""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from functools import partial
from threading import Event

import numpy as np
import torch
import torch.nn.functional as F

from cl_viz.core.batch_stream import BatchStream
from cl_viz.core.config import LIVE_FIELDS, TrainConfig
from cl_viz.core.data import Dataset, describe_input, fit_dataset, load_dataset, probe_indices, to_model_input
from cl_viz.core.devices import resolve_device
from cl_viz.core.distributed import DataParallel, gather_batch
from cl_viz.core.errors import Cancelled, ClVizError
from cl_viz.core.losses import CenterLoss
from cl_viz.core.margins import ANGULAR_HEADS, effective_margin, sphere_lambda
from cl_viz.core.metrics import feature_metrics
from cl_viz.core.models import build_model
from cl_viz.core.openset_data import split_open_set
from cl_viz.core.snapshot import Snapshot, frozen
from cl_viz.core.streamed_images import StreamedImages

CPU_PROBE_SIZE = 2000
PROBE_CHUNK = 512


@dataclass
class ProbeCache:
    """The probe set's latest embedding, point by point, and the step whose weights made each."""

    features: torch.Tensor
    logits: torch.Tensor
    embedded_at: np.ndarray
    cursor: int  # the next point to re-embed


class TrainingSession:
    """Model, centers, optimizer and batch order of one run; deterministic on CPU for a given seed.

    Two sessions built from configs that differ only in live fields (λ, α, lr) start from identical
    weights and see identical batches, so they can be stepped in lockstep for a comparison.
    """

    def __init__(self, config: TrainConfig, dataset: Dataset | None = None, *, load_data=load_dataset,
                 parallel: DataParallel | None = None):
        self.config = config.validated()
        self.device = resolve_device(config.device)
        self.image_size, self.channels = shape = config.input_shape
        if dataset is None:
            dataset = load_data(config.dataset, config.data_dir, image_size=self.image_size, channels=self.channels)
        dataset = fit_dataset(dataset, *shape)  # itself when loaded at the input shape already
        # None unless classes are held out; another dataset's unknowns come at the same shape
        self.open_set = split_open_set(dataset, config, lambda name, data_dir: load_data(
            name, data_dir, image_size=self.image_size, channels=self.channels))
        self.dataset = dataset = dataset if self.open_set is None else self.open_set.known
        self.train_images, self.train_labels = self._to_device(dataset.train_images, dataset.train_labels)
        self._init_probe()
        self.channels_last = self.device.type == "cpu"
        self.model = self._build_model()
        self.parallel = parallel  # None: this one process trains on the whole of every batch
        self.training_model = self.model if parallel is None else parallel.wrap(self.model)
        self.center_loss = CenterLoss(dataset.num_classes, config.feat_dim, config.alpha,
                                      config.center_update).to(self.device)
        self.optimizer = self._build_optimizer()
        self.center_optimizer = (torch.optim.SGD([self.center_loss.centers], lr=config.alpha)
                                 if config.center_update == "sgd" else None)
        self.batch_size = min(config.batch_size, len(self.train_labels))
        self.steps_per_epoch = len(self.train_labels) // self.batch_size
        self.step = 0
        self._epoch_order: tuple[int, torch.Tensor] | None = None
        self._last_batch: dict[str, torch.Tensor] | None = None
        self._stream: BatchStream | None = None  # images left on disk: their batches, read ahead (_streamed_batch)
        self._apply_learning_rate()

    # ----- construction -------------------------------------------------------------------
    def _to_device(self, images: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        try:
            return images.to(self.device), labels.to(self.device)
        except torch.OutOfMemoryError:
            return images, labels  # batches are then indexed on the CPU and copied per step

    @property
    def probe_source(self) -> tuple:
        """The (uint8 images, labels) the probe is drawn from: the test split, or the training split's own
        images (config.probe_split)."""
        if self.config.probe_split == "train":
            return self.dataset.train_images, self.dataset.train_labels
        return self.dataset.test_images, self.dataset.test_labels

    def probe_pixels(self) -> torch.Tensor:
        """The probe's images as uint8 pixels: what each probe point looks like."""
        return self.probe_source[0][self.probe_indices]

    def _init_probe(self) -> None:
        size = self.config.probe_size
        if size is None:
            size = CPU_PROBE_SIZE if self.device.type == "cpu" else len(self.dataset.test_labels)
        labels = self.probe_source[1]
        indices = probe_indices(labels, size, seed=self.config.seed)
        self.probe_indices = indices
        self.probe_images = to_model_input(self.probe_pixels()).to(self.device)
        self.probe_labels = labels[indices].to(self.device)
        self._probe_labels_np = frozen(self.probe_labels.cpu().numpy())
        self._probe_cache: ProbeCache | None = None
        self._embedded_images = self.probe_images  # the known probe images, then the unknown ones
        self.unknown_indices = self._unknown_labels_np = None
        if self.open_set is not None:
            self.unknown_indices = self.open_set.unknown_probe(len(indices), self.config.seed)
            unknown = to_model_input(self.open_set.unknown_images[self.unknown_indices]).to(self.device)
            self._embedded_images = torch.cat([self.probe_images, unknown])
            self._unknown_labels_np = frozen(self.open_set.unknown_labels[self.unknown_indices].numpy())

    def _build_model(self) -> torch.nn.Module:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.config.seed)
            try:
                model = build_model(self.config.model, self.config.feat_dim, self.dataset.num_classes,
                                    self.config.bias, self.config.relu_features, self.config.init,
                                    self.config.head, self.config.scale, self.channels, self.image_size)
            except ValueError as error:  # images too small for the model's trunk
                raise ClVizError(f"{error}; choose a larger image size or another model") from None
        model = model.to(self.device)
        if self.channels_last:
            model = model.to(memory_format=torch.channels_last)
        return model.train()

    def _build_optimizer(self) -> torch.optim.Optimizer:
        params = self.model.parameters()
        if self.config.optimizer == "adam":
            return torch.optim.Adam(params, lr=self.config.lr, weight_decay=self.config.weight_decay)
        return torch.optim.SGD(params, lr=self.config.lr, momentum=self.config.momentum,
                               weight_decay=self.config.weight_decay)

    # ----- live parameters ----------------------------------------------------------------
    @property
    def epoch(self) -> float:
        return self.step / self.steps_per_epoch

    @property
    def current_lr(self) -> float:
        """The learning rate of the next step: warm-up ramp, then the multistep decays."""
        decays = sum(self.step >= milestone for milestone in self.config.lr_milestones)
        return self.config.lr * self.config.lr_gamma ** decays * self.warmup_factor

    @property
    def warmup_factor(self) -> float:
        warmup = self.config.warmup_steps
        return min(1.0, (self.step + 1) / warmup) if warmup > 0 else 1.0

    @property
    def angular(self) -> bool:
        return self.config.head in ANGULAR_HEADS

    @property
    def effective_margin(self) -> float:
        """The margin of the next step (warm-up and SphereFace's annealing applied)."""
        config = self.config
        return effective_margin(config.head, config.margin, config.margin_warmup_steps, self.step)

    def set_live(self, **changes: float) -> None:
        """Change λ, α, the learning rate or the softmax weight between steps, without a reset."""
        unknown = set(changes) - set(LIVE_FIELDS)
        if unknown:
            raise ValueError(f"{', '.join(sorted(unknown))} cannot change without a reset")
        self.config = self.config.replace(**changes).validated()
        self.center_loss.alpha = self.config.alpha
        if self.angular:
            self.model.classifier.scale = self.config.scale
        if self.center_optimizer is not None:
            self.center_optimizer.param_groups[0]["lr"] = self.config.alpha
        self._apply_learning_rate()

    def _apply_learning_rate(self) -> None:
        lr = self.current_lr
        for group in self.optimizer.param_groups:
            group["lr"] = lr

    # ----- training -----------------------------------------------------------------------
    def batch_indices(self, step: int) -> torch.Tensor:
        """Indices of the training batch at `step`: epoch e uses a permutation seeded by (seed, e)."""
        epoch, position = divmod(step, self.steps_per_epoch)
        if self._epoch_order is None or self._epoch_order[0] != epoch:
            generator = torch.Generator().manual_seed(self.config.seed * 1_000_003 + epoch)
            order = torch.randperm(len(self.train_labels), generator=generator)
            self._epoch_order = (epoch, order.to(self.train_labels.device))
        start = position * self.batch_size
        return self._epoch_order[1][start:start + self.batch_size]

    def train_step(self) -> None:
        """One optimizer step on the next batch; no host synchronisation."""
        if isinstance(self.train_images, StreamedImages):
            indices, pixels = self._streamed_batch()
        else:
            indices = self._batch_part(self.step)
            pixels = self.train_images[indices]
        images = to_model_input(pixels).to(self.device, non_blocking=True)
        labels = self.train_labels[indices].to(self.device, non_blocking=True)
        if self.channels_last:
            images = images.contiguous(memory_format=torch.channels_last)
        if self.step <= self.config.warmup_steps or self.step in self.config.lr_milestones:
            self._apply_learning_rate()
        features, logits = self.training_model(images)
        loss_softmax = F.cross_entropy(self._training_logits(features, logits, labels), labels)
        total, loss_center = self._total_loss(features, labels, loss_softmax)
        self.optimizer.zero_grad(set_to_none=True)
        if self.center_optimizer is not None:
            self.center_optimizer.zero_grad(set_to_none=True)
            total = total + self.center_loss.center_objective(features, labels)
        total.backward()
        if self.config.clip_norm > 0:
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.config.clip_norm)
        self.optimizer.step()
        if self.center_optimizer is not None:
            self.center_loss.average_center_gradient()
            self.center_optimizer.step()
        else:
            self.center_loss.update_centers(features, labels)
        self._last_batch = {"features": features.detach(), "logits": logits.detach(), "labels": labels,
                            "loss_softmax": loss_softmax.detach(), "loss_center": loss_center.detach()}
        self.step += 1

    def _batch_part(self, step: int) -> torch.Tensor:
        """What this process trains on at `step`: the batch, or this rank's share of it."""
        indices = self.batch_indices(step)
        return indices if self.parallel is None else self.parallel.part(indices)

    def _streamed_batch(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Indices and pixels of this step's batch from a DataLoader that reads the next ones meanwhile."""
        if self._stream is None:
            self._stream = BatchStream(self.train_images, partial(_stream_order, weakref.ref(self)),
                                       pin_memory=self.device.type == "cuda")
            weakref.finalize(self, self._stream.close)  # its workers end with the session at the latest
        indices, pixels = self._stream.batch(self.step)  # restarts where self.step has moved (a resume)
        return indices.to(self.train_labels.device), pixels

    def close(self) -> None:
        """Ends the processes that read streamed batches ahead, if any; training again starts new ones."""
        if self._stream is not None:
            self._stream.close()

    def gather_last_batch(self) -> None:
        """Data parallel: the last batch becomes the whole global batch, on every rank (each must call this)."""
        if self.parallel is not None and self._last_batch is not None:
            self._last_batch = gather_batch(self._last_batch)

    def _training_logits(self, features, logits, labels) -> torch.Tensor:
        if not self.angular:
            return logits
        # SphereFace's ψ takes the whole-number m; its annealing is λ_s (effective_margin only describes it)
        margin = self.config.margin if self.config.head == "sphereface" else self.effective_margin
        return self.model.classifier.training_logits(features, labels, margin, sphere_lambda(self.step))

    def _total_loss(self, features, labels, loss_softmax) -> tuple[torch.Tensor, torch.Tensor]:
        """The loss to back-propagate, and L_C against the centers before this step's update."""
        lam, softmax_weight = self.config.lam, self.config.softmax_weight
        total = loss_softmax if softmax_weight == 1 else softmax_weight * loss_softmax
        if lam > 0:
            loss_center = self.center_loss(features, labels)
            return total + lam * loss_center, loss_center
        with torch.no_grad():
            return total, self.center_loss(features, labels)

    # ----- observing ----------------------------------------------------------------------
    @torch.inference_mode()
    def embed(self, images: torch.Tensor, cancel: Event | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Features and logits of normalised images with the current weights (eval mode)."""
        was_training = self.model.training
        self.model.eval()
        outputs = []
        try:
            for chunk in images.split(PROBE_CHUNK):
                if cancel is not None and cancel.is_set():
                    raise Cancelled
                outputs.append(self.model(self._prepare(chunk)))
        finally:
            self.model.train(was_training)
        return torch.cat([f for f, _ in outputs]), torch.cat([lg for _, lg in outputs])

    def _prepare(self, images: torch.Tensor) -> torch.Tensor:
        images = images.to(self.device)
        return images.contiguous(memory_format=torch.channels_last) if self.channels_last else images

    def snapshot(self, include_batch: bool = True, cancel: Event | None = None,
                 refresh: int | None = None) -> Snapshot:
        """Copy everything worth drawing into numpy. The probe set is re-embedded with the current
        weights: all of it, or with `refresh` = n only the next n images in turn, the others keeping
        their last embedding (`oldest_step` says how old the oldest is). Raises Cancelled between
        chunks once `cancel` is set."""
        features, logits, oldest_step = self._embedded_probe(refresh, cancel)
        known = len(self.probe_labels)
        features_np, unknown_np = np.split(features.float().cpu().numpy(), [known])
        logits_np = logits[:known].float().cpu().numpy()
        centers = self.center_loss.centers.detach().float().cpu().numpy()
        classifier = self.model.classifier
        weight = classifier.weight.detach()
        if self.angular:  # only the directions decide: regions and arrows follow W_j / ‖W_j‖
            weight = F.normalize(weight, dim=1)
        losses = self._last_losses()
        batch = self._last_batch if include_batch else None
        return Snapshot(
            step=self.step, epoch=self.epoch, lam=self.config.lam, alpha=self.config.alpha,
            lr=self.current_lr, **losses,
            features=frozen(features_np), labels=self._probe_labels_np,
            predictions=frozen(logits_np.argmax(axis=1)), centers=frozen(centers),
            classifier_weight=frozen(weight.float().cpu().numpy()),
            classifier_bias=None if classifier.bias is None else frozen(classifier.bias.detach().cpu().numpy()),
            metrics=_safe_metrics(features_np, self._probe_labels_np, centers, logits_np),
            batch_features=None if batch is None else frozen(batch["features"].float().cpu().numpy()),
            batch_labels=None if batch is None else frozen(batch["labels"].cpu().numpy()),
            losses_known=self._last_batch is not None,
            oldest_step=None if oldest_step == self.step else oldest_step,
            head=self.config.head, scale=self.config.scale, margin=self.config.margin,
            effective_margin=self.effective_margin,
            unknown_features=None if self.open_set is None else frozen(unknown_np),
            unknown_labels=self._unknown_labels_np,
        )

    @torch.inference_mode()
    def _embedded_probe(self, refresh: int | None, cancel: Event | None) -> tuple[torch.Tensor, torch.Tensor, int]:
        images = self._embedded_images
        size = len(images)
        if refresh is None or refresh >= size or self._probe_cache is None:
            features, logits = self.embed(images, cancel)
            self._probe_cache = ProbeCache(features, logits, np.full(size, self.step), 0)
            return features, logits, self.step
        cache = self._probe_cache
        chosen = (cache.cursor + torch.arange(max(1, refresh))) % size
        features, logits = self.embed(images[chosen.to(images.device)], cancel)
        index = chosen.to(cache.features.device)
        cache.features[index] = features
        cache.logits[index] = logits
        cache.embedded_at[chosen.numpy()] = self.step
        cache.cursor = int(chosen[-1] + 1) % size
        return cache.features, cache.logits, int(cache.embedded_at.min())

    @torch.no_grad()
    def _last_losses(self) -> dict[str, float]:
        if self._last_batch is None:
            return {"loss_softmax": float("nan"), "loss_center": float("nan"),
                    "loss_total": float("nan"), "batch_accuracy": float("nan")}
        batch = self._last_batch
        loss_softmax = float(batch["loss_softmax"])
        loss_center = float(batch["loss_center"])
        accuracy = float((batch["logits"].argmax(1) == batch["labels"]).float().mean())
        total = self.config.softmax_weight * loss_softmax + self.config.lam * loss_center
        return {"loss_softmax": loss_softmax, "loss_center": loss_center, "loss_total": total,
                "batch_accuracy": accuracy}

    # ----- persistence --------------------------------------------------------------------
    def state_dict(self) -> dict:
        state = {"config": self.config.to_dict(), "step": self.step, "model": self.model.state_dict(),
                 "centers": self.center_loss.centers.detach().cpu().clone(),
                 "optimizer": self.optimizer.state_dict()}
        if self.center_optimizer is not None:
            state["center_optimizer"] = self.center_optimizer.state_dict()
        return state

    def load_state_dict(self, state: dict) -> None:
        """Raises ClVizError when `state` was trained on another input shape (image size, channels)."""
        stored = state["config"]
        stored = stored if isinstance(stored, TrainConfig) else TrainConfig.from_dict(stored)
        if stored.input_shape != (self.image_size, self.channels):
            raise ClVizError(f"the checkpoint was trained on {describe_input(*stored.input_shape)} images and this "
                             f"run takes {describe_input(self.image_size, self.channels)} images")
        self.model.load_state_dict(state["model"])
        with torch.no_grad():
            self.center_loss.centers.copy_(state["centers"])
        self.optimizer.load_state_dict(state["optimizer"])
        if self.center_optimizer is not None and "center_optimizer" in state:
            self.center_optimizer.load_state_dict(state["center_optimizer"])
        self.step = int(state["step"])
        self._last_batch = None
        self._probe_cache = None  # embedded by other weights
        self._apply_learning_rate()


def _stream_order(session: weakref.ref, step: int) -> torch.Tensor | None:
    """The CPU indices of `step`'s batch for a BatchStream (None once the session is gone)."""
    alive = session()
    return None if alive is None else alive._batch_part(step).cpu()


def _safe_metrics(features: np.ndarray, labels: np.ndarray, centers: np.ndarray, logits: np.ndarray):
    with np.errstate(invalid="ignore", over="ignore"):
        return feature_metrics(features, labels, centers, logits)
