"""Training (the design's train.py): Keras training steps (a compiled tf.function), one process on
the CPU in fp32; the loop, batches and rates come from mnist_cnn.training.loop. distributed_train.py:
the same off that path."""

from __future__ import annotations

from typing import Callable, Iterable

import keras
import numpy as np
import tensorflow as tf

from mnist_cnn.config import TrainConfig
from mnist_cnn.data.mnist import normalize
from mnist_cnn.models.weights import NeutralWeights

from .model_utils import build_model, set_weights
from .test import KerasClassifier


def make_optimizer(config: TrainConfig) -> keras.optimizers.Optimizer:
    if config.optimizer == "adadelta":
        return keras.optimizers.Adadelta(learning_rate=config.lr, rho=0.9, epsilon=1e-6)
    if config.optimizer == "adamw":
        return keras.optimizers.AdamW(learning_rate=config.lr, weight_decay=config.weight_decay, epsilon=1e-7)
    return keras.optimizers.Adam(learning_rate=config.lr, epsilon=1e-7)


class KerasTrainer:
    def __init__(self, config: TrainConfig, images: np.ndarray, labels: np.ndarray, initial: NeutralWeights):
        keras.utils.set_random_seed(config.seed)  # dropout masks
        self.config = config
        self.model = build_model(config.spec)
        set_weights(self.model, config.spec, initial)
        # The whole training set as one tensor, converted once; a batch is a gather.
        self._x_host = normalize(images)[..., None]
        self.x = tf.Variable(self._x_host, trainable=False)
        self.y = tf.constant(labels.astype(np.int32))
        self.optimizer = make_optimizer(config)
        self.optimizer.build(self.model.trainable_variables)
        self.loss_fn = keras.losses.CategoricalCrossentropy(from_logits=True,
                                                            label_smoothing=config.label_smoothing)
        self._classifier = KerasClassifier(self.model, config.spec)
        model, optimizer, loss_fn, x, y = self.model, self.optimizer, self.loss_fn, self.x, self.y

        @tf.function(input_signature=[tf.TensorSpec([None], tf.int64)])
        def train_step(index):
            xb, yb = tf.gather(x, index), tf.gather(y, index)
            with tf.GradientTape() as tape:
                logits = model(xb, training=True)
                loss = loss_fn(tf.one_hot(yb, 10), logits)
            grads = tape.gradient(loss, model.trainable_variables)
            optimizer.apply_gradients(zip(grads, model.trainable_variables))
            correct = tf.reduce_sum(tf.cast(tf.equal(tf.argmax(logits, axis=1, output_type=tf.int32), yb), tf.int32))
            return loss, correct

        self._train_step = train_step

    def train_epoch(self, batches: Iterable[np.ndarray], lr_at: Callable[[int], float],
                    on_step: Callable[[int, float, float], None]) -> tuple[float, float]:
        loss_sum, correct, seen = 0.0, 0, 0
        for step, index in enumerate(batches):
            self.optimizer.learning_rate.assign(lr_at(step))
            loss, right = self._train_step(tf.constant(index, dtype=tf.int64))
            n = len(index)
            loss_sum += float(loss) * n
            correct += int(right)
            seen += n
            on_step(step, loss_sum / seen, correct / seen)
        return loss_sum / seen, correct / seen

    def replace_images(self, images: np.ndarray) -> None:
        normalize(images, out=self._x_host[..., 0])  # reuses the host buffer
        self.x.assign(self._x_host)

    def classifier(self) -> KerasClassifier:
        return self._classifier
