"""The architecture and the model files (the design's model_utils): spec -> keras.Sequential,
neutral weights in and out, and safe save/load. pytorch_impl/model_utils.py is its twin."""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np

from mnist_cnn.backends import ModelFileError
from mnist_cnn.models.architectures import (ARCHITECTURES, BN_EPSILON, BN_TORCH_MOMENTUM, ArchSpec, BatchNorm, Conv,
                                            Dense, Dropout, Flatten, MaxPool, ReLU, shapes)
from mnist_cnn.models.weights import NeutralWeights, flatten_input_shape
from mnist_cnn.runs import temporary_path_for


def build_model(spec: ArchSpec) -> keras.Sequential:
    """One Keras layer per spec layer, in the same order (so index i is spec layer i)."""
    shapes(spec)  # refuses a spec that PyTorch would build differently (unequal "same" padding)
    layers: list[keras.layers.Layer] = []
    for i, layer in enumerate(spec.layers):
        name = f"l{i:02d}_{type(layer).__name__.lower()}"
        if isinstance(layer, Conv):
            layers.append(keras.layers.Conv2D(layer.filters, layer.kernel, strides=layer.stride, padding=layer.padding,
                                              activation=layer.activation, use_bias=layer.use_bias, name=name))
        elif isinstance(layer, Dense):
            layers.append(keras.layers.Dense(layer.units, activation=layer.activation,
                                             use_bias=layer.use_bias, name=name))
        elif isinstance(layer, BatchNorm):
            layers.append(keras.layers.BatchNormalization(momentum=1.0 - BN_TORCH_MOMENTUM,
                                                          epsilon=BN_EPSILON, name=name))
        elif isinstance(layer, ReLU):
            layers.append(keras.layers.ReLU(name=name))
        elif isinstance(layer, MaxPool):
            layers.append(keras.layers.MaxPooling2D(layer.size, name=name))
        elif isinstance(layer, Dropout):
            layers.append(keras.layers.Dropout(layer.rate, name=name))
        elif isinstance(layer, Flatten):
            layers.append(keras.layers.Flatten(name=name))
        else:  # pragma: no cover - the spec's types are closed
            raise TypeError(f"unsupported layer {layer!r}")
    return keras.Sequential([keras.Input((28, 28, 1)), *layers], name=spec.name)


def spec_from_model(model: keras.Model) -> ArchSpec:
    """Read the spec back from a Keras model, so a bare .keras file describes itself."""
    layers = []
    for layer in model.layers:
        if isinstance(layer, keras.layers.Conv2D):
            activation = keras.activations.serialize(layer.activation)
            layers.append(Conv(layer.filters, layer.kernel_size[0], layer.padding,
                               "relu" if activation == "relu" else None, layer.use_bias, layer.strides[0]))
        elif isinstance(layer, keras.layers.Dense):
            activation = keras.activations.serialize(layer.activation)
            layers.append(Dense(layer.units, "relu" if activation == "relu" else None, layer.use_bias))
        elif isinstance(layer, keras.layers.BatchNormalization):
            layers.append(BatchNorm())
        elif isinstance(layer, keras.layers.ReLU):
            layers.append(ReLU())
        elif isinstance(layer, keras.layers.MaxPooling2D):
            layers.append(MaxPool(layer.pool_size[0]))
        elif isinstance(layer, keras.layers.Dropout):
            layers.append(Dropout(float(layer.rate)))
        elif isinstance(layer, keras.layers.Flatten):
            layers.append(Flatten())
        else:
            raise ModelFileError(f"layer {layer.name!r} ({type(layer).__name__}) is not one mnist-cnn builds")
    known = ARCHITECTURES.get(model.name)
    if known is not None and known.layers == tuple(layers):
        return known  # keeps the description
    return ArchSpec(name=model.name, layers=tuple(layers))


def trainable_counts(model: keras.Model) -> list[int]:
    return [sum(int(np.prod(w.shape)) for w in layer.trainable_weights) for layer in model.layers]


def _dense_to_keras(kernel: np.ndarray, flattened: tuple[int, ...] | None) -> np.ndarray:
    # neutral (out, in) with `in` in PyTorch's (C, H, W) order -> Keras (in, out) in (H, W, C) order
    if flattened is not None:
        h, w, c = flattened
        kernel = kernel.reshape(-1, c, h, w).transpose(0, 2, 3, 1).reshape(kernel.shape[0], -1)
    return np.ascontiguousarray(kernel.T)


def _dense_from_keras(kernel: np.ndarray, flattened: tuple[int, ...] | None) -> np.ndarray:
    out = kernel.T  # (out, in) in (H, W, C) order
    if flattened is not None:
        h, w, c = flattened
        out = out.reshape(-1, h, w, c).transpose(0, 3, 1, 2).reshape(out.shape[0], -1)
    return np.ascontiguousarray(out)


def set_weights(model: keras.Model, spec: ArchSpec, weights: NeutralWeights) -> None:
    for i, (layer, klayer, entry) in enumerate(zip(spec.layers, model.layers, weights)):
        if isinstance(layer, Conv):
            values = [entry["kernel"].transpose(2, 3, 1, 0)]
        elif isinstance(layer, Dense):
            values = [_dense_to_keras(entry["kernel"], flatten_input_shape(spec, i))]
        elif isinstance(layer, BatchNorm):
            klayer.set_weights([entry["gamma"], entry["beta"], entry["mean"], entry["var"]])
            continue
        else:
            continue
        if layer.use_bias:
            values.append(entry["bias"])
        klayer.set_weights(values)


def get_weights(model: keras.Model, spec: ArchSpec) -> NeutralWeights:
    out: NeutralWeights = []
    for i, (layer, klayer) in enumerate(zip(spec.layers, model.layers)):
        values = [np.asarray(v) for v in klayer.get_weights()]
        if isinstance(layer, Conv):
            entry = {"kernel": np.ascontiguousarray(values[0].transpose(3, 2, 0, 1))}
        elif isinstance(layer, Dense):
            entry = {"kernel": _dense_from_keras(values[0], flatten_input_shape(spec, i))}
        elif isinstance(layer, BatchNorm):
            entry = dict(zip(("gamma", "beta", "mean", "var"), values))
        else:
            entry = {}
        if isinstance(layer, (Conv, Dense)) and layer.use_bias:
            entry["bias"] = values[1]
        out.append(entry)
    return out


def save_model(model: keras.Model, path: Path) -> None:
    with temporary_path_for(path) as tmp:
        model.save(tmp)


def load_model(path: Path) -> tuple[keras.Model, ArchSpec]:
    if not path.is_file():
        raise ModelFileError(f"{path}: no such model file")
    try:
        # safe_mode=True: refuse lambda layers and other deserialised code.
        model = keras.saving.load_model(path, compile=False, safe_mode=True)
    except Exception as exc:  # Keras raises many types for corrupt or foreign archives
        raise ModelFileError(f"{path}: not a loadable Keras model file "
                             f"(expected a .keras written by mnist-cnn): {str(exc).splitlines()[0]}") from None
    try:
        spec = spec_from_model(model)
    except ModelFileError as exc:
        raise ModelFileError(f"{path}: {exc}") from None
    return model, spec
