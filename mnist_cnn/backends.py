"""The contract between the core and the two framework backends, and a lazy registry.

The core owns the training loop (batches, learning-rate schedule, validation, history,
progress, run folders); a backend only turns a spec into its framework's model and runs
one optimisation step after another on the batches it is handed. Both frameworks therefore
see the same data order, the same rates and the same initial weights, and everything
downstream speaks only to `Classifier.predict_proba`.

Nothing here imports torch or tensorflow: `get_backend("torch")` imports
`pytorch_impl.backend` on first use.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType
from typing import Callable, Iterable, NamedTuple, Optional, Protocol

import numpy as np

from .config import TrainConfig
from .errors import MnistCnnError
from .models.architectures import ArchSpec
from .runtime import Runtime, World

StepCallback = Callable[[int, float, float], None]  # (step in epoch, running loss, running accuracy)


class Classifier(Protocol):
    framework: str
    spec: Optional[ArchSpec]

    def predict_proba(self, images: np.ndarray) -> np.ndarray:
        """(N, 28, 28) uint8 -> (N, 10) float32 probabilities."""

    def save(self, path: Path) -> None:
        """Write the model to `path` atomically (a temporary file, then a rename)."""


class Trainer(Protocol):
    def train_epoch(self, batches: Iterable[np.ndarray], lr_at: Callable[[int], float],
                    on_step: StepCallback) -> tuple[float, float]:
        """One pass over `batches` (index arrays into the training images).

        `lr_at(step)` gives the rate for each step of this epoch. Returns the epoch's mean
        training loss and accuracy (as measured during the pass, dropout on).
        """

    def classifier(self) -> Classifier:
        """The model being trained, as a Classifier (a live view, not a copy)."""

    def replace_images(self, images: np.ndarray) -> None:
        """Train on these uint8 images (same count, same labels) from now on: an augmented epoch."""


class Engine(Protocol):
    """A framework's own distributed engine as one process sees it (PyTorch: a DDP process
    group; Keras: a tf.distribute strategy), or just the device of a single process."""

    runtime: Runtime

    def barrier(self) -> None:
        """Wait until every process of the run gets here (nothing to wait for in a single process)."""

    def close(self) -> None: ...

    @staticmethod
    def communication_failure(exc: BaseException) -> Optional[str]:
        """One line saying how talking to the other processes failed, or None if `exc` is not that."""


class Backend(Protocol):
    name: str          # "torch" | "keras"
    display_name: str  # "PyTorch" | "TensorFlow/Keras"
    model_suffix: str  # ".pt" | ".keras"
    exported_formats: tuple[str, ...]  # the exported files it loads itself (model_formats names)

    def create_trainer(self, config: TrainConfig, images: np.ndarray, labels: np.ndarray,
                       initial_weights: list[dict[str, np.ndarray]],
                       runtime: Optional[Runtime] = None) -> Trainer:
        """A trainer on `runtime`'s device and precision, one replica of its run; None: the CPU, fp32."""

    def start_engine(self, device: str, precision: str, world: World = World(), timeout_s: float = 300.0,
                     local_replicas: int = 1) -> Engine:
        """Resolve `--device` / `--precision` (DeviceError if unavailable) and, in a multi-process
        `world`, join the other processes (DistributedError if that fails within `timeout_s`).
        `local_replicas`: replicas this one process drives (Keras on several GPUs; PyTorch: 1)."""

    def check_device(self, device: str, world: World = World()) -> int:
        """Resolve `--device` for one process of `world` (DeviceError if it is not there), before any
        process starts; return how many GPUs one process would train on (0: the CPU)."""

    def on_device(self, classifier: Classifier, device: str) -> Classifier:
        """The same model, running its inference on `device`."""

    def use_threads(self, threads: int) -> None:
        """Compute on `threads` CPU threads in this process (TensorFlow: only before its first op)."""

    def exporter(self) -> ModuleType:
        """The module whose `export_variant(name, classifier, target, metadata, calibration)` writes
        this framework's deploy variants (imported on first use)."""

    def load_exported(self, path: Path, fmt: str) -> Classifier:
        """A Classifier for an exported file of one of `exported_formats`."""

    def runtime_label(self, versions: dict[str, str]) -> str:
        """Who runs this framework's own models, from a run's recorded `versions` ("PyTorch 2.13")."""

    def build(self, spec: ArchSpec, weights: Optional[list[dict[str, np.ndarray]]] = None) -> Classifier: ...

    def load(self, path: Path) -> Classifier: ...

    # Looking inside a model (reports, `mnist-cnn explain`); `classifier` is one of this backend's.
    channels_first: bool  # True: layer_outputs gives images as (N, C, H, W); False: (N, H, W, C)

    def layer_outputs(self, classifier: Classifier, images: np.ndarray) -> list[np.ndarray]:
        """The output of every spec layer for (N, 28, 28) uint8 images, in eval mode."""

    def weights(self, classifier: Classifier) -> list[dict[str, np.ndarray]]:
        """The model's weights in the neutral layout of mnist_cnn.models.weights."""

    def parameter_counts(self, classifier: Classifier) -> list[int]:
        """Trainable parameters per spec layer, as the framework counts them."""

    def versions(self) -> dict[str, str]: ...


class BackendUnavailable(MnistCnnError):
    """The framework is not installed; the message says which extra to install."""


class ModelFileError(MnistCnnError):
    """A model file is missing, corrupt or of the other framework; the message names the file."""


class Framework(NamedTuple):
    """What the core knows of a framework without importing it; everything else is its Backend's."""
    module: str        # the backend module, imported by get_backend on first use
    display_name: str  # in sentences and titles
    extra: str         # the pip extra that installs it
    short_name: str    # in table columns and variant labels


FRAMEWORKS = {
    "torch": Framework("pytorch_impl.backend", "PyTorch", "torch", "PyTorch"),
    "keras": Framework("keras_impl.backend", "TensorFlow/Keras", "keras", "Keras"),
}
ALIASES = {"torch": "torch", "pytorch": "torch", "pt": "torch",
           "keras": "keras", "tensorflow": "keras", "tf": "keras"}
MODEL_SUFFIXES = {"torch": ".pt", "keras": ".keras"}


def canonical_framework(name: str) -> str:
    try:
        return ALIASES[name.lower()]
    except KeyError:
        raise ValueError(f"unknown framework {name!r}; choose torch or keras") from None


def display_name(framework: str) -> str:
    return FRAMEWORKS[canonical_framework(framework)].display_name


def short_name(framework: str) -> str:
    """"PyTorch" or "Keras": where a table has room for one word."""
    return FRAMEWORKS[canonical_framework(framework)].short_name


_loaded: dict[str, Backend] = {}


def get_backend(name: str) -> Backend:
    framework = canonical_framework(name)
    if framework not in _loaded:
        module_name, pretty, extra, _ = FRAMEWORKS[framework]
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            raise BackendUnavailable(
                f"{pretty} is not installed ({exc}); install it with: pip install -e '.[{extra}]' "
                f"(or `make install`)") from None
        _loaded[framework] = module.BACKEND
    return _loaded[framework]
