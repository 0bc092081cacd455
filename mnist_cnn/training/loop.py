"""The training loop, written once for both frameworks.

The core decides everything that could make the two frameworks differ for reasons other
than the framework itself: the train/validation split, the batch order of every epoch,
the learning rate of every step, the initial weights. A backend only executes steps.
"""

from __future__ import annotations

import math
import platform
import resource
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional, Protocol

import numpy as np

from .. import runs
from ..backends import Classifier, display_name, get_backend
from ..config import TrainConfig
from ..data.augment import augment_epoch
from ..data.mnist import Mnist
from ..evaluation import metrics
from ..evaluation.predict import evaluate_classifier, predict_proba_batched
from ..interrupts import raise_if_interrupted
from ..models.architectures import trainable_parameter_counts
from ..models.weights import initial_weights
from ..runtime import Runtime
from .allocator import keep_freed_memory
from .schedules import Plateau, one_cycle
from .machine_info import describe_machine
from ..reports.step_history import STEPS_FILE, StepRecorder


class TrainListener(Protocol):
    """What the progress display implements; every method is called by the loop below."""

    def on_start(self, info: dict) -> None: ...
    def on_epoch_start(self, epoch: int) -> None: ...
    def on_step(self, step: int, loss: float, accuracy: float) -> None: ...
    def on_epoch_end(self, row: dict) -> None: ...
    def on_test(self) -> None: ...


class SilentListener:
    def on_start(self, info: dict) -> None: pass
    def on_epoch_start(self, epoch: int) -> None: pass
    def on_step(self, step: int, loss: float, accuracy: float) -> None: pass
    def on_epoch_end(self, row: dict) -> None: pass
    def on_test(self) -> None: pass


@dataclass
class Split:
    train_index: np.ndarray
    val_index: np.ndarray


def split_indices(n: int, val_split: float, seed: int, train_limit: Optional[int] = None) -> Split:
    """Seeded train/validation split of the 60,000 training images (sorted index arrays)."""
    order = np.random.default_rng(seed).permutation(n)
    n_val = int(round(val_split * n))
    val_index = np.sort(order[:n_val])
    train_index = np.sort(order[n_val:])
    if train_limit is not None:
        train_index = train_index[:train_limit]
    return Split(train_index, val_index)


def epoch_batches(n: int, batch_size: int, seed: int, epoch: int) -> list[np.ndarray]:
    """The batches of one epoch: a permutation seeded by (seed, epoch), cut into batches."""
    order = np.random.default_rng([seed, epoch]).permutation(n)
    return [order[start:start + batch_size] for start in range(0, n, batch_size)]


@dataclass
class TrainedModel:
    classifier: Classifier
    history: list[dict]
    train_seconds: float     # time spent in optimisation steps
    total_seconds: float     # the whole loop, validation included
    n_train: int
    n_val: int
    steps_per_epoch: int = 0
    steps: list[dict] = field(default_factory=list)       # points within the epoch (step_history.py)
    step_trace: dict = field(default_factory=dict)        # every step's loss, accuracy, lr (TensorBoard)


@dataclass
class TrainOutcome:
    run_dir: Path
    model_path: Path
    report: metrics.Report
    trained: TrainedModel
    summary: dict = field(default_factory=dict)


def train_model(config: TrainConfig, framework: str, data: Mnist,
                listener: Optional[TrainListener] = None,
                after_epoch: Optional[Callable[[int, Classifier], bool]] = None,
                runtime: Optional[Runtime] = None) -> TrainedModel:
    """Train `config` with one framework; no files written (see `train_and_save`).

    `after_epoch(epoch, classifier)` runs after each epoch, outside the timed part (the
    benchmarks score the model there); returning True stops training early.
    """
    config.validate()
    listener = listener or SilentListener()
    backend = get_backend(framework)
    keep_freed_memory()  # no page faults for the activation buffers every step (see allocator.py)
    split = split_indices(len(data.train_images), config.val_split, config.seed, config.train_limit)
    train_x, train_y = data.train_images[split.train_index], data.train_labels[split.train_index]
    val_x, val_y = data.train_images[split.val_index], data.train_labels[split.val_index]

    # runtime: the device, precision and replicas (None: this CPU, fp32, one process)
    trainer = backend.create_trainer(config, train_x, train_y, initial_weights(config.spec, config.seed),
                                     **({"runtime": runtime} if runtime is not None else {}))
    steps_per_epoch = math.ceil(len(train_x) / config.batch_size)
    total_steps = steps_per_epoch * config.epochs
    plateau = Plateau(config.lr, config.plateau_patience, config.plateau_factor, config.min_lr)

    listener.on_start({
        "framework": backend.name, "framework_name": backend.display_name, "recipe": config.recipe,
        "epochs": config.epochs, "steps_per_epoch": steps_per_epoch,
        "n_train": len(train_x), "n_val": len(val_x), "batch_size": config.batch_size,
    })
    history: list[dict] = []
    recorder = StepRecorder(steps_per_epoch, listener.on_step)  # every step's own loss, for the curves
    train_seconds = 0.0
    augmentation = config.augmentation
    augmented = np.empty_like(train_x) if augmentation else None
    loop_start = time.perf_counter()
    for epoch in range(config.epochs):
        raise_if_interrupted()  # a Ctrl-C swallowed while the framework started (interrupts.py)
        listener.on_epoch_start(epoch)
        lr_at = epoch_rates(config, plateau, epoch, steps_per_epoch, total_steps)
        epoch_start = time.perf_counter()
        if augmentation:
            # Augmenting is part of training, so it is inside the timed epoch.
            trainer.replace_images(augment_epoch(train_x, augmentation, config.seed, epoch, out=augmented))
        batches = epoch_batches(len(train_x), config.batch_size, config.seed, epoch)
        recorder.start_epoch(batches, lr_at)
        loss, acc = trainer.train_epoch(batches, lr_at, recorder.on_step)
        step_seconds = time.perf_counter() - epoch_start
        train_seconds += step_seconds
        row = {"epoch": epoch + 1, "train_loss": loss, "train_accuracy": acc,
               "val_loss": "", "val_accuracy": "", "lr": lr_at(steps_per_epoch - 1)}
        if len(val_x):
            row.update(validation_scores(trainer.classifier(), val_x, val_y))
        if config.schedule == "plateau":
            plateau.update(row["val_accuracy"] if len(val_x) else acc)
        row["train_seconds"] = step_seconds
        row["seconds"] = time.perf_counter() - epoch_start
        history.append(row)
        listener.on_epoch_end(row)
        raise_if_interrupted()
        if after_epoch is not None and after_epoch(epoch, trainer.classifier()):
            break
    return TrainedModel(trainer.classifier(), history, train_seconds, time.perf_counter() - loop_start,
                        len(train_x), len(val_x), steps_per_epoch, recorder.rows(),
                        {"loss": recorder.loss, "accuracy": recorder.accuracy, "lr": recorder.lr})


def epoch_rates(config: TrainConfig, plateau: Plateau, epoch: int, steps_per_epoch: int,
                total_steps: int) -> Callable[[int], float]:
    """The learning rate of each step of `epoch`: one-cycle over the whole run, else constant within
    the epoch (the plateau's current rate, times step_gamma per epoch for the step schedule)."""
    if config.schedule == "onecycle":
        first_step = epoch * steps_per_epoch
        return lambda step: one_cycle(first_step + step, total_steps, config.lr)
    current = plateau.lr * (config.step_gamma ** epoch if config.schedule == "step" else 1.0)
    return lambda step: current


def validation_scores(classifier: Classifier, val_x: np.ndarray, val_y: np.ndarray) -> dict:
    """Loss and accuracy on the held-out images after an epoch."""
    val_proba = predict_proba_batched(classifier, val_x)
    return {"val_loss": metrics.log_loss(val_y, val_proba),
            "val_accuracy": metrics.accuracy(val_y, val_proba.argmax(axis=1))}


def peak_memory_mb() -> float:
    """Peak resident memory of this process (Linux reports kilobytes, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def train_and_save(config: TrainConfig, framework: str, data: Mnist, root: Path,
                   listener: Optional[TrainListener] = None, command: str = "",
                   runtime: Optional[Runtime] = None, tensorboard: bool = False) -> TrainOutcome:
    """Train, test on the 10,000 test images, and publish a complete run folder.

    tensorboard: also write a TensorBoard event file into the run folder (tensorboard_events.py).

    Nothing is left behind if this is interrupted: the run is assembled in a hidden
    staging folder and renamed into place only when every file is written.
    """
    listener = listener or SilentListener()
    backend = get_backend(framework)
    with runs.new_run(root, backend.name, config.recipe) as staging:
        trained = train_model(config, framework, data, listener, runtime=runtime)
        listener.on_test()
        report = evaluate_classifier(trained.classifier, data.test_images, data.test_labels)
        model_file = runs.model_path(staging, backend.name)
        trained.classifier.save(model_file)
        versions = {"python": platform.python_version(), "numpy": np.__version__, **backend.versions()}
        runs.write_json(staging / "config.json", {
            "framework": backend.name,
            "framework_name": display_name(backend.name),
            **config.to_dict(),
            "spec": config.spec.to_dict(),
            "data_source": data.source,
            "n_train": trained.n_train,
            "n_val": trained.n_val,
            "versions": versions,
            "runtime": (runtime or Runtime()).to_dict(),  # device, precision, processes: where it ran
            # CPU model, vector extensions, threads, math libraries: what can differ between machines
            "machine": describe_machine(),
            "command": command,
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        })
        runs.write_csv(staging / "history.csv", trained.history)
        if trained.steps:
            runs.write_csv(staging / STEPS_FILE, trained.steps)
        summary = {
            "framework": backend.name,
            "recipe": config.recipe,
            "test_accuracy": report.accuracy,
            "test_loss": report.loss,
            "epochs": config.epochs,
            "train_seconds": trained.train_seconds,
            "total_seconds": trained.total_seconds,
            "train_images_per_second": trained.n_train * config.epochs / trained.train_seconds,
            "parameters": sum(trainable_parameter_counts(config.spec)),
            "model_file": model_file.name,
            "model_bytes": model_file.stat().st_size,
            "peak_memory_mb": peak_memory_mb(),
            "device": (runtime or Runtime()).device,
            "processes": (runtime or Runtime()).processes,
        }
        # Every run gets its learning curves and confusion matrix as pictures (plots/),
        # drawn after peak_memory_mb was read so that plotting does not count as training.
        # Imported here: matplotlib is loaded only once a model has been trained.
        from ..reports.run_report import PLOTS, write_training_figures
        write_training_figures(staging / PLOTS, trained.history, report, display_name(backend.name), trained.steps)
        if tensorboard:
            from .tensorboard_events import write_run_events

            write_run_events(staging, trained.history, trained.steps_per_epoch, trained.step_trace, report.to_dict(),
                             data.test_images, report.misclassified)
        # metrics.json is written last: its presence marks a complete run.
        runs.write_json(staging / "metrics.json", {**summary, "test": report.to_dict()})
        final = runs.publish_run(staging, root, backend.name, config.recipe)
    return TrainOutcome(final, runs.model_path(final, backend.name), report, trained, summary)
