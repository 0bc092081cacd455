"""Inference with a PyTorch model: the Classifier the rest of the project talks to."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from mnist_cnn.architectures import ArchSpec
from mnist_cnn.data import normalize

from .model_utils import load_model, save_model


class TorchClassifier:
    framework = "torch"

    def __init__(self, model: torch.nn.Sequential, spec: ArchSpec):
        self.model = model
        self.spec = spec

    def predict_proba(self, images: np.ndarray) -> np.ndarray:
        """(N, 28, 28) uint8 -> (N, 10) float32; eval mode, no autograd."""
        was_training = self.model.training
        self.model.eval()
        try:
            with torch.inference_mode():
                x = torch.from_numpy(normalize(np.asarray(images))).unsqueeze(1)
                return torch.softmax(self.model(x), dim=1).numpy()
        finally:
            self.model.train(was_training)

    def save(self, path: Path) -> None:
        save_model(self.model, self.spec, path)


def layer_outputs(classifier: TorchClassifier, images: np.ndarray) -> list[np.ndarray]:
    """The output of every spec layer for `images`, as PyTorch computes it: (N, C, H, W) or (N, F).

    Walks the Sequential one spec layer at a time (each module is one spec layer), so the
    reports can show what the convolutions see; eval mode, as in predict_proba.
    """
    model = classifier.model
    was_training = model.training
    model.eval()
    outputs = []
    try:
        with torch.inference_mode():
            x = torch.from_numpy(normalize(np.asarray(images))).unsqueeze(1)
            for module in model:
                x = module(x)
                outputs.append(x.contiguous().numpy().copy())
    finally:
        model.train(was_training)
    return outputs


def load_classifier(path: Path) -> TorchClassifier:
    model, spec = load_model(path)
    model.eval()
    return TorchClassifier(model, spec)
