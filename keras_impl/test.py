"""Test-set evaluation and inference (the design's test.py): the Keras Classifier the rest of the
project talks to, loaded from a model file or wrapped around a trained model.

`model.predict` costs tens of milliseconds per call (it builds a data pipeline each time);
a tf.function with a fixed input signature is traced once and then costs about the
network's own compute, which is what a camera loop needs.
"""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from mnist_cnn.data.mnist import normalize
from mnist_cnn.models.architectures import ArchSpec

from .model_utils import load_model, save_model


class KerasClassifier:
    framework = "keras"

    def __init__(self, model: keras.Model, spec: ArchSpec):
        self.model = model
        self.spec = spec

        @tf.function(input_signature=[tf.TensorSpec([None, 28, 28, 1], tf.float32)])
        def _probabilities(x):
            return tf.nn.softmax(model(x, training=False), axis=-1)

        self._probabilities = _probabilities

    def predict_proba(self, images: np.ndarray) -> np.ndarray:
        x = normalize(np.asarray(images))[..., None]
        return self._probabilities(tf.constant(x)).numpy()

    def save(self, path: Path) -> None:
        save_model(self.model, path)


def layer_outputs(classifier: KerasClassifier, images: np.ndarray) -> list[np.ndarray]:
    """The output of every spec layer for `images`, as Keras computes it: (N, H, W, C) or (N, F).

    Calls the layers one by one (eagerly, no model.predict): model.layers[i] is spec layer i.
    """
    x = tf.constant(normalize(np.asarray(images))[..., None])
    outputs = []
    for layer in classifier.model.layers:
        x = layer(x, training=False)
        outputs.append(np.array(x))
    return outputs


def load_classifier(path: Path) -> KerasClassifier:
    model, spec = load_model(path)
    return KerasClassifier(model, spec)
