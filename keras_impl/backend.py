"""The Keras backend object the core's registry returns."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Optional

import keras
import numpy as np
import tensorflow as tf

from mnist_cnn.config import TrainConfig
from mnist_cnn.models.architectures import ArchSpec
from mnist_cnn.models.weights import NeutralWeights
from mnist_cnn.runtime import Runtime, World

from . import engine as engines
from .devices import on_device, resolve_device
from .model_utils import build_model, get_weights, set_weights, trainable_counts
from .test import KerasClassifier, layer_outputs, load_classifier
from .train import KerasTrainer


class KerasBackend:
    name = "keras"
    display_name = "TensorFlow/Keras"
    model_suffix = ".keras"
    exported_formats = ()  # TFLite and ONNX run in their own runtimes (mnist_cnn/deploy)

    def create_trainer(self, config: TrainConfig, images: np.ndarray, labels: np.ndarray,
                       initial_weights: NeutralWeights, runtime: Optional[Runtime] = None) -> KerasTrainer:
        if runtime is None:
            return KerasTrainer(config, images, labels, initial_weights)
        engine = engines.active()
        if engine is None or engine.runtime != runtime:  # a library call that named a device itself
            engine = engines.start_engine(runtime.device, runtime.precision)
        if engine.strategy is None:
            return KerasTrainer(config, images, labels, initial_weights)  # the plain path, untouched
        from .distributed_train import StrategyTrainer  # tf.distribute only when asked for

        return StrategyTrainer(config, images, labels, initial_weights, engine.runtime, engine)

    def start_engine(self, device: str, precision: str, world: World = World(), timeout_s: float = 300.0,
                     local_replicas: int = 1) -> engines.KerasEngine:
        return engines.start_engine(device, precision, world, timeout_s, local_replicas)

    def check_device(self, device: str, world: World = World()) -> int:
        """A GPU named by index is one replica; `auto` or `cuda` train on every GPU TensorFlow sees."""
        placement = resolve_device(device)
        if placement.tf_device is None or "GPU" not in placement.tf_device:
            return 0
        return 1 if ":" in device else len(tf.config.list_physical_devices("GPU"))

    def on_device(self, classifier: KerasClassifier, device: str) -> KerasClassifier:
        """The classifier running on `device` (`--device` of evaluate); the same one where TensorFlow
        would place it anyway."""
        placement = resolve_device(device)
        if placement.tf_device is None:
            return classifier
        from .distributed_train import _PlacedKerasClassifier

        with on_device(placement.tf_device):
            model = build_model(classifier.spec)
            set_weights(model, classifier.spec, get_weights(classifier.model, classifier.spec))
        return _PlacedKerasClassifier(model, classifier.spec, placement.tf_device)

    def use_threads(self, threads: int) -> None:
        try:
            tf.config.threading.set_intra_op_parallelism_threads(threads)
            tf.config.threading.set_inter_op_parallelism_threads(1)
        except RuntimeError:
            pass  # TensorFlow already started in this process: it keeps its own setting

    def exporter(self) -> ModuleType:
        from . import export

        return export

    def load_exported(self, path: Path, fmt: str):
        raise ValueError(f"{fmt} files are not loaded by the Keras backend")

    def runtime_label(self, versions: dict[str, str]) -> str:
        return f"Keras {versions.get('keras', '?')} / TensorFlow {versions.get('tensorflow', '?')}"

    def build(self, spec: ArchSpec, weights: Optional[NeutralWeights] = None) -> KerasClassifier:
        model = build_model(spec)
        if weights is not None:
            set_weights(model, spec, weights)
        return KerasClassifier(model, spec)

    def load(self, path: Path) -> KerasClassifier:
        return load_classifier(path)

    # For the reports and `explain`: what happens inside the network.
    channels_first = False  # layer_outputs gives images as (N, H, W, C)

    def layer_outputs(self, classifier: KerasClassifier, images: np.ndarray) -> list[np.ndarray]:
        return layer_outputs(classifier, images)

    def weights(self, classifier: KerasClassifier) -> NeutralWeights:
        return get_weights(classifier.model, classifier.spec)

    def parameter_counts(self, classifier: KerasClassifier) -> list[int]:
        return trainable_counts(classifier.model)

    def versions(self) -> dict[str, str]:
        return {"tensorflow": tf.__version__, "keras": keras.__version__}


BACKEND = KerasBackend()
