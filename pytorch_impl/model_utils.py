"""The architecture and the model files (the design's model_utils): spec -> torch.nn.Sequential,
neutral weights in and out, and safe save/load. keras_impl/model_utils.py is its twin."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
from torch import nn

from mnist_cnn.backends import ModelFileError
from mnist_cnn.models.architectures import (BN_EPSILON, BN_TORCH_MOMENTUM, ArchSpec, BatchNorm, Conv, Dense, Dropout,
                                            Flatten, MaxPool, ReLU, conv_padding, shapes)
from mnist_cnn.models.weights import NeutralWeights
from mnist_cnn.runs import temporary_path_for

FILE_FORMAT = "mnist-cnn/torch"
FILE_FORMAT_VERSION = 1


def build_model(spec: ArchSpec) -> nn.Sequential:
    """One nn.Module per spec layer (plus an nn.ReLU after a layer with activation="relu")."""
    modules: list[nn.Module] = []
    in_shape: tuple[int, ...] = (28, 28, 1)  # (H, W, C) or (features,): what the layer receives
    for layer, out_shape in zip(spec.layers, shapes(spec)):
        if isinstance(layer, Conv):
            block: nn.Module = nn.Conv2d(in_shape[-1], layer.filters, layer.kernel, stride=layer.stride,
                                         padding=conv_padding(in_shape[0], layer), bias=layer.use_bias)
        elif isinstance(layer, Dense):
            block = nn.Linear(in_shape[0], layer.units, bias=layer.use_bias)
        elif isinstance(layer, BatchNorm):
            block = (nn.BatchNorm2d if len(in_shape) == 3 else nn.BatchNorm1d)(
                in_shape[-1], eps=BN_EPSILON, momentum=BN_TORCH_MOMENTUM)
        elif isinstance(layer, ReLU):
            block = nn.ReLU()
        elif isinstance(layer, MaxPool):
            block = nn.MaxPool2d(layer.size)
        elif isinstance(layer, Dropout):
            block = nn.Dropout(layer.rate)
        elif isinstance(layer, Flatten):
            block = nn.Flatten()
        else:  # pragma: no cover - the spec's types are closed
            raise TypeError(f"unsupported layer {layer!r}")
        if getattr(layer, "activation", None) == "relu":
            block = nn.Sequential(block, nn.ReLU())
        modules.append(block)
        in_shape = out_shape
    return nn.Sequential(*modules)


def _core(module: nn.Module) -> nn.Module:
    """The layer itself, unwrapping the (layer, ReLU) pairs made by build_model."""
    return module[0] if isinstance(module, nn.Sequential) else module


def trainable_counts(model: nn.Sequential) -> list[int]:
    return [sum(p.numel() for p in module.parameters() if p.requires_grad) for module in model]


def set_weights(model: nn.Sequential, spec: ArchSpec, weights: NeutralWeights) -> None:
    """Load neutral weights (PyTorch's own layout: no conversion needed)."""
    with torch.no_grad():
        for layer, module, entry in zip(spec.layers, model, weights):
            core = _core(module)
            if isinstance(layer, (Conv, Dense)):
                core.weight.copy_(torch.from_numpy(entry["kernel"]))
                if layer.use_bias:
                    core.bias.copy_(torch.from_numpy(entry["bias"]))
            elif isinstance(layer, BatchNorm):
                core.weight.copy_(torch.from_numpy(entry["gamma"]))
                core.bias.copy_(torch.from_numpy(entry["beta"]))
                core.running_mean.copy_(torch.from_numpy(entry["mean"]))
                core.running_var.copy_(torch.from_numpy(entry["var"]))


def get_weights(model: nn.Sequential, spec: ArchSpec) -> NeutralWeights:
    out: NeutralWeights = []
    for layer, module in zip(spec.layers, model):
        core = _core(module)
        entry: dict[str, np.ndarray] = {}
        if isinstance(layer, (Conv, Dense)):
            entry["kernel"] = core.weight.detach().numpy().copy()
            if layer.use_bias:
                entry["bias"] = core.bias.detach().numpy().copy()
        elif isinstance(layer, BatchNorm):
            entry = {"gamma": core.weight.detach().numpy().copy(), "beta": core.bias.detach().numpy().copy(),
                     "mean": core.running_mean.numpy().copy(), "var": core.running_var.numpy().copy()}
        out.append(entry)
    return out


def save_model(model: nn.Sequential, spec: ArchSpec, path: Path) -> None:
    """A plain dict of tensors and strings: loadable with weights_only=True, no code inside."""
    payload = {
        "format": FILE_FORMAT,
        "format_version": FILE_FORMAT_VERSION,
        "spec": json.dumps(spec.to_dict()),
        "state_dict": model.state_dict(),
    }
    with temporary_path_for(path) as tmp:
        torch.save(payload, tmp)


def load_model(path: Path) -> tuple[nn.Sequential, ArchSpec]:
    """Load a file written by save_model, refusing anything that is not plain data."""
    if not path.is_file():
        raise ModelFileError(f"{path}: no such model file")
    try:
        # weights_only=True: the unpickler accepts tensors and plain containers only, so a
        # hostile file cannot run code here.
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises several types for corrupt or foreign files
        raise ModelFileError(f"{path}: not a loadable PyTorch model file "
                             f"(expected a .pt written by mnist-cnn): {str(exc).splitlines()[0]}") from None
    if not isinstance(payload, dict) or payload.get("format") != FILE_FORMAT:
        raise ModelFileError(f"{path}: a PyTorch file, but not an mnist-cnn model (no '{FILE_FORMAT}' header)")
    try:
        spec = ArchSpec.from_dict(json.loads(payload["spec"]))
        model = build_model(spec)
        model.load_state_dict(payload["state_dict"])
    except (KeyError, ValueError, TypeError, RuntimeError) as exc:
        raise ModelFileError(f"{path}: model file is damaged or does not match its architecture: "
                             f"{str(exc).splitlines()[0]}") from None
    return model, spec
