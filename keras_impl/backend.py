"""The Keras backend object the core's registry returns."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import keras
import numpy as np
import tensorflow as tf

from mnist_cnn.architectures import ArchSpec
from mnist_cnn.config import TrainConfig
from mnist_cnn.weights import NeutralWeights

from .model_utils import build_model, get_weights, set_weights, trainable_counts
from .test import KerasClassifier, layer_outputs, load_classifier
from .train import KerasTrainer


class KerasBackend:
    name = "keras"
    display_name = "TensorFlow/Keras"
    model_suffix = ".keras"

    def create_trainer(self, config: TrainConfig, images: np.ndarray, labels: np.ndarray,
                       initial_weights: NeutralWeights) -> KerasTrainer:
        return KerasTrainer(config, images, labels, initial_weights)

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
