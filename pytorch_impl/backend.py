"""The PyTorch backend object the core's registry returns."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Optional

import numpy as np
import torch

from mnist_cnn.config import TrainConfig
from mnist_cnn.models.architectures import ArchSpec
from mnist_cnn.models.weights import NeutralWeights
from mnist_cnn.runtime import Runtime, World

from .devices import device_label, resolve_device
from .engine import TorchEngine, start_engine
from .model_utils import build_model, get_weights, set_weights, trainable_counts
from .test import TorchClassifier, layer_outputs, load_classifier
from .train import TorchTrainer


class TorchBackend:
    name = "torch"
    display_name = "PyTorch"
    model_suffix = ".pt"
    exported_formats = ("torch-int8", "torchscript", "exported-program")

    def create_trainer(self, config: TrainConfig, images: np.ndarray, labels: np.ndarray,
                       initial_weights: NeutralWeights, runtime: Optional[Runtime] = None) -> TorchTrainer:
        if runtime is None or (runtime.device == "cpu" and runtime.precision == "fp32" and not runtime.distributed):
            return TorchTrainer(config, images, labels, initial_weights)  # the plain path, untouched
        from .distributed_train import PlacedTorchTrainer  # DDP and autocast only when asked for

        return PlacedTorchTrainer(config, images, labels, initial_weights, runtime)

    def start_engine(self, device: str, precision: str, world: World = World(), timeout_s: float = 300.0,
                     local_replicas: int = 1) -> TorchEngine:
        return start_engine(device, precision, world, timeout_s, local_replicas)

    def check_device(self, device: str, world: World = World()) -> int:
        return 1 if resolve_device(device, world).type == "cuda" else 0

    def on_device(self, classifier: TorchClassifier, device: str) -> TorchClassifier:
        """The classifier running on `device` (`--device` of evaluate); the same one on the CPU."""
        target = resolve_device(device)
        if device_label(target) == "cpu" and classifier.device.type == "cpu":
            return classifier
        return TorchClassifier(classifier.model.to(target), classifier.spec, device=target)

    def use_threads(self, threads: int) -> None:
        torch.set_num_threads(threads)

    def exporter(self) -> ModuleType:
        from . import export

        return export

    def load_exported(self, path: Path, fmt: str):
        if fmt == "torch-int8":
            from .quantized import load_classifier as load_int8

            return load_int8(path)
        from .programs import load_classifier as load_program  # TorchScript, torch.export

        return load_program(path)

    def runtime_label(self, versions: dict[str, str]) -> str:
        return f"PyTorch {versions.get('torch', '?').split('+')[0]}"

    def build(self, spec: ArchSpec, weights: Optional[NeutralWeights] = None) -> TorchClassifier:
        model = build_model(spec)
        if weights is not None:
            set_weights(model, spec, weights)
        model.eval()
        return TorchClassifier(model, spec)

    def load(self, path: Path) -> TorchClassifier:
        return load_classifier(path)

    # For the reports and `explain`: what happens inside the network.
    channels_first = True  # layer_outputs gives images as (N, C, H, W)

    def layer_outputs(self, classifier: TorchClassifier, images: np.ndarray) -> list[np.ndarray]:
        return layer_outputs(classifier, images)

    def weights(self, classifier: TorchClassifier) -> NeutralWeights:
        return get_weights(classifier.model, classifier.spec)

    def parameter_counts(self, classifier: TorchClassifier) -> list[int]:
        return trainable_counts(classifier.model)

    def versions(self) -> dict[str, str]:
        return {"torch": torch.__version__, "torch_threads": str(torch.get_num_threads())}


BACKEND = TorchBackend()
