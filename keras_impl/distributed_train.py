"""Keras training steps under a tf.distribute strategy: a GPU, mixed precision, or one replica of many.

The plain CPU trainer (train.py) stays as it is; this one runs the same steps inside
`strategy.run`. Every replica is handed the core's global batch (a short index vector),
takes its share of it, and returns its loss *summed* over that share divided by the global
batch size: the optimizer all-reduces (sums) the gradients across replicas through the
strategy, which makes exactly the gradient of the mean over the global batch.

At the end of an epoch the replicas agree on the batch-norm moving statistics (their mean)
and on the epoch's loss and accuracy, as the PyTorch replicas do. Inference and saving use a
float32 copy of the model outside the strategy, so a saved model is the same file however
it was trained.
"""

from __future__ import annotations

from typing import Callable, Iterable

import keras
import numpy as np
import tensorflow as tf

from mnist_cnn.config import TrainConfig
from mnist_cnn.data.mnist import normalize
from mnist_cnn.models.weights import NeutralWeights
from mnist_cnn.runtime import Runtime

from .devices import dtype_policy, on_device
from .engine import KerasEngine
from .model_utils import build_model, get_weights, set_weights
from .test import KerasClassifier
from .train import make_optimizer


class StrategyTrainer:
    def __init__(self, config: TrainConfig, images: np.ndarray, labels: np.ndarray, initial: NeutralWeights,
                 runtime: Runtime, engine: KerasEngine):
        keras.utils.set_random_seed(config.seed + runtime.rank)  # each replica its own dropout masks
        self.config = config
        self.runtime = runtime
        self.engine = engine
        strategy = self.strategy = engine.strategy
        replicas = runtime.replicas
        self._x_host = normalize(images)[..., None]
        with strategy.scope(), dtype_policy(runtime.precision):
            self.model = build_model(config.spec)
            set_weights(self.model, config.spec, initial)
            optimizer = make_optimizer(config)
            if runtime.precision == "fp16":
                optimizer = keras.optimizers.LossScaleOptimizer(optimizer)  # float16 gradients underflow
            self.optimizer = optimizer
            self.optimizer.build(self.model.trainable_variables)
        # The training set on the replicas' devices, once; a batch is a gather there. Every
        # process loads the same data, so across processes it is a plain local variable:
        # created under MultiWorkerMirroredStrategy it would be broadcast from the chief.
        with (on_device(engine.placement.tf_device) if engine.world.distributed else strategy.scope()):
            self.x = tf.Variable(self._x_host, trainable=False)
            self.y = tf.Variable(labels.astype(np.int32), trainable=False)
        self._stats = [v for layer in self.model.layers if isinstance(layer, keras.layers.BatchNormalization)
                       for v in (layer.moving_mean, layer.moving_variance)]
        model, x, y, smoothing, fp16 = self.model, self.x, self.y, config.label_smoothing, runtime.precision == "fp16"

        def replica_step(index, global_n):
            context = tf.distribute.get_replica_context()
            mine = index[context.replica_id_in_sync_group::replicas]
            xb, yb = tf.gather(x, mine), tf.gather(y, mine)
            with tf.GradientTape() as tape:
                logits = tf.cast(model(xb, training=True), tf.float32)
                per_image = keras.losses.categorical_crossentropy(
                    tf.one_hot(yb, 10), logits, from_logits=True, label_smoothing=smoothing)
                summed = tf.reduce_sum(per_image)
                loss = summed / global_n
                scaled = optimizer.scale_loss(loss) if fp16 else loss
            grads = tape.gradient(scaled, model.trainable_variables)
            optimizer.apply_gradients(zip(grads, model.trainable_variables))
            right = tf.reduce_sum(tf.cast(tf.equal(tf.argmax(logits, axis=1, output_type=tf.int32), yb), tf.int32))
            return summed, right, tf.size(mine)

        @tf.function(input_signature=[tf.TensorSpec([None], tf.int64), tf.TensorSpec([], tf.float32)])
        def train_step(index, global_n):
            return strategy.run(replica_step, args=(index, global_n))

        def replica_mean_stats():
            context = tf.distribute.get_replica_context()
            for v in self._stats:
                v.assign(context.all_reduce(tf.distribute.ReduceOp.MEAN, tf.identity(v.value)))

        @tf.function
        def agree_stats():
            strategy.run(replica_mean_stats)

        self._train_step = train_step
        self._agree_stats = agree_stats

    def train_epoch(self, batches: Iterable[np.ndarray], lr_at: Callable[[int], float],
                    on_step: Callable[[int, float, float], None]) -> tuple[float, float]:
        loss_sum, correct, seen = 0.0, 0, 0
        local = self.strategy.experimental_local_results
        for step, index in enumerate(batches):
            self.optimizer.learning_rate.assign(lr_at(step))
            summed, right, count = self._train_step(tf.constant(index, dtype=tf.int64),
                                                    tf.constant(len(index), tf.float32))
            loss_sum += float(sum(float(v) for v in local(summed)))
            correct += sum(int(v) for v in local(right))
            seen += sum(int(v) for v in local(count))
            on_step(step, loss_sum / seen, correct / seen)
        if self.runtime.distributed:
            self._agree_stats()
            if self.engine.world.distributed:  # other processes' shares too
                loss_sum, correct, seen = self.engine.all_sum(np.array([loss_sum, correct, seen])).tolist()
        return loss_sum / seen, correct / seen

    def replace_images(self, images: np.ndarray) -> None:
        normalize(images, out=self._x_host[..., 0])  # reuses the host buffer
        self.x.assign(self._x_host)

    def classifier(self) -> KerasClassifier:
        """A float32 copy outside the strategy, on this run's device (a snapshot, taken when asked)."""
        with on_device(self.engine.placement.tf_device), dtype_policy("fp32"):
            copy = build_model(self.config.spec)
            set_weights(copy, self.config.spec, get_weights(self.model, self.config.spec))
        return _PlacedKerasClassifier(copy, self.config.spec, self.engine.placement.tf_device)


class _PlacedKerasClassifier(KerasClassifier):
    """A KerasClassifier whose inference graph is traced (so placed) on a chosen device."""

    def __init__(self, model: keras.Model, spec, tf_device):
        super().__init__(model, spec)
        self._tf_device = tf_device

    def predict_proba(self, images: np.ndarray) -> np.ndarray:
        with on_device(self._tf_device):
            return super().predict_proba(images)
