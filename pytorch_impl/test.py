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


def load_classifier(path: Path) -> TorchClassifier:
    model, spec = load_model(path)
    model.eval()
    return TorchClassifier(model, spec)
