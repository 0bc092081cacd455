"""Framework-neutral weights: the layout both backends convert to and from.

Layout per spec layer (PyTorch's conventions, chosen because they are the more explicit):
- Conv:      {"kernel": (out, in, kh, kw), "bias": (out,)}
- Dense:     {"kernel": (out, in), "bias": (out,)}; after a Flatten, `in` is ordered
             (channels, height, width) as PyTorch flattens
- BatchNorm: {"gamma", "beta", "mean", "var"}, each (channels,)
- other layers: {}

`initial_weights` draws the starting point of training here, in NumPy, from the seed, so the
two frameworks start from the very same numbers (Keras' defaults: Glorot-uniform kernels,
zero biases, unit gamma, zero beta).
"""

from __future__ import annotations

import numpy as np

from .architectures import ArchSpec, BatchNorm, Conv, Dense, shapes

NeutralWeights = list[dict[str, np.ndarray]]


def _glorot_uniform(rng: np.random.Generator, shape: tuple[int, ...], fan_in: int, fan_out: int) -> np.ndarray:
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, size=shape).astype(np.float32)


def initial_weights(spec: ArchSpec, seed: int) -> NeutralWeights:
    rng = np.random.default_rng(seed)
    out: NeutralWeights = []
    in_shape: tuple[int, ...] = (28, 28, 1)
    for layer, out_shape in zip(spec.layers, shapes(spec)):
        if isinstance(layer, Conv):
            channels_in = in_shape[-1]
            area = layer.kernel * layer.kernel
            entry = {"kernel": _glorot_uniform(rng, (layer.filters, channels_in, layer.kernel, layer.kernel),
                                               area * channels_in, area * layer.filters)}
            if layer.use_bias:
                entry["bias"] = np.zeros(layer.filters, np.float32)
        elif isinstance(layer, Dense):
            entry = {"kernel": _glorot_uniform(rng, (layer.units, in_shape[0]), in_shape[0], layer.units)}
            if layer.use_bias:
                entry["bias"] = np.zeros(layer.units, np.float32)
        elif isinstance(layer, BatchNorm):
            channels = in_shape[-1]
            entry = {"gamma": np.ones(channels, np.float32), "beta": np.zeros(channels, np.float32),
                     "mean": np.zeros(channels, np.float32), "var": np.ones(channels, np.float32)}
        else:
            entry = {}
        out.append(entry)
        in_shape = out_shape
    return out


def flatten_input_shape(spec: ArchSpec, layer_index: int) -> tuple[int, ...] | None:
    """For a Dense right after a Flatten: the (H, W, C) that was flattened, else None.

    The two frameworks flatten in different orders, so that Dense's kernel rows are permuted
    when weights cross between them.
    """
    if layer_index == 0:
        return None
    from .architectures import Flatten  # local: keeps the module's namespace small

    all_shapes = [(28, 28, 1), *shapes(spec)]
    # Walk back over shape-preserving layers (dropout, activations) to find a Flatten.
    index = layer_index - 1
    while index >= 0 and not isinstance(spec.layers[index], (Flatten, Conv, Dense)):
        index -= 1
    if index < 0 or not isinstance(spec.layers[index], Flatten):
        return None
    flattened = all_shapes[index]  # the input of the Flatten layer
    return flattened if len(flattened) == 3 else None
