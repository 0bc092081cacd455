"""Training (the design's train.py): PyTorch training steps, one process on the CPU in fp32; the loop,
batches and rates come from mnist_cnn.training.loop. distributed_train.py: the same off that path."""

from __future__ import annotations

from typing import Callable, Iterable

import numpy as np
import torch
import torch.nn.functional as F

from mnist_cnn.config import TrainConfig
from mnist_cnn.data.mnist import normalize
from mnist_cnn.models.weights import NeutralWeights

from .model_utils import build_model, set_weights
from .test import TorchClassifier


def make_optimizer(config: TrainConfig, params) -> torch.optim.Optimizer:
    # Adam's eps as Keras' default and Adadelta's as PyTorch's (the canonical example), the same in both.
    # foreach: one update over all parameters at once instead of a loop of small ops per tensor
    # (the same arithmetic; PyTorch turns it on by default on GPUs only): the step costs half.
    if config.optimizer == "adadelta":
        return torch.optim.Adadelta(params, lr=config.lr, rho=0.9, eps=1e-6, foreach=True)
    if config.optimizer == "adamw":
        return torch.optim.AdamW(params, lr=config.lr, weight_decay=config.weight_decay, eps=1e-7, foreach=True)
    return torch.optim.Adam(params, lr=config.lr, weight_decay=config.weight_decay, eps=1e-7, foreach=True)


class TorchTrainer:
    def __init__(self, config: TrainConfig, images: np.ndarray, labels: np.ndarray, initial: NeutralWeights):
        torch.manual_seed(config.seed)  # dropout masks
        self.config = config
        self.model = build_model(config.spec)
        set_weights(self.model, config.spec, initial)
        # channels-last lets oneDNN pick its fastest convolution kernels on CPU (measured
        # 30-40% less time per step for the fast net); the weights' values are unchanged.
        self.model = self.model.to(memory_format=torch.channels_last)
        # The whole training set as one tensor, converted once: a batch is an index lookup,
        # no per-sample loader and no copy of the data set per epoch.
        self.x = torch.from_numpy(normalize(images)).unsqueeze(1)
        self.y = torch.from_numpy(labels.astype(np.int64))
        self.optimizer = make_optimizer(config, self.model.parameters())

    def train_epoch(self, batches: Iterable[np.ndarray], lr_at: Callable[[int], float],
                    on_step: Callable[[int, float, float], None]) -> tuple[float, float]:
        self.model.train()
        loss_sum, correct, seen = 0.0, 0, 0
        for step, index in enumerate(batches):
            for group in self.optimizer.param_groups:
                group["lr"] = lr_at(step)
            index_t = torch.from_numpy(index)
            xb = self.x[index_t].contiguous(memory_format=torch.channels_last)
            yb = self.y[index_t]
            logits = self.model(xb)
            loss = F.cross_entropy(logits, yb, label_smoothing=self.config.label_smoothing)
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            self.optimizer.step()
            n = len(index)
            loss_sum += loss.item() * n
            correct += int((logits.argmax(dim=1) == yb).sum())
            seen += n
            on_step(step, loss_sum / seen, correct / seen)
        return loss_sum / seen, correct / seen

    def replace_images(self, images: np.ndarray) -> None:
        # in place: the tensor's memory is reused, no copy of the data set per epoch
        normalize(images, out=self.x.numpy()[:, 0])

    def classifier(self) -> TorchClassifier:
        return TorchClassifier(self.model, self.config.spec)
