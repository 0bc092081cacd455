"""Fold inference-mode batch norm into the layer before it, in framework-neutral weights.

In inference a batch norm is a fixed per-channel affine map, y = s * x + t with
s = gamma / sqrt(var + eps) and t = beta - mean * s, so it can be merged into the
convolution or dense layer that feeds it: kernel * s, bias * s + t. Exporters and
quantizers want that: one op fewer to run, and no separate batch-norm op to quantize
(int8 batch norm loses more accuracy than int8 convolution with the norm folded in).

The `fast` net puts a max-pool between its convolution and its batch norm (cheaper while
training). Max-pooling commutes with an increasing map, max(s*x + t) = s*max(x) + t for
s > 0, so the fold across a pool is exact when every channel's s is positive; a channel
with s <= 0 would turn the max into a min, and then that batch norm is kept as it is.

After folding, `fuse_relu` moves a ReLU that follows a max-pool to before it and into the
convolution (relu(max(x)) = max(relu(x)), as ReLU never decreases), so runtimes can run
convolution and ReLU as one kernel, and an int8 convolution's output range starts at 0
instead of spending half its 256 levels on negative values the ReLU would discard.

Nothing here imports a framework: the folded spec and weights are built by either backend.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from .architectures import BN_EPSILON, ArchSpec, BatchNorm, Conv, Dense, MaxPool, ReLU
from .weights import NeutralWeights


@dataclass
class Folded:
    spec: ArchSpec
    weights: NeutralWeights
    folded: int   # batch norms merged into the layer before them
    kept: int     # batch norms that could not be folded (left in the network)


def _producer(spec: ArchSpec, bn_index: int) -> int | None:
    """Index of the Conv/Dense whose output reaches this batch norm through max-pools only."""
    index = bn_index - 1
    while index >= 0 and isinstance(spec.layers[index], MaxPool):
        index -= 1
    if index < 0:
        return None
    layer = spec.layers[index]
    # A ReLU (or any activation) in between would make the fold wrong.
    if isinstance(layer, (Conv, Dense)) and layer.activation is None:
        return index
    return None


def fold_batchnorm(spec: ArchSpec, weights: NeutralWeights) -> Folded:
    """A spec without the foldable batch norms, and weights that compute the same function."""
    layers = list(spec.layers)
    entries = [dict(entry) for entry in weights]
    drop: set[int] = set()
    kept = 0
    for i, layer in enumerate(spec.layers):
        if not isinstance(layer, BatchNorm):
            continue
        j = _producer(spec, i)
        bn = entries[i]
        scale = (bn["gamma"].astype(np.float64) / np.sqrt(bn["var"].astype(np.float64) + BN_EPSILON))
        shift = bn["beta"].astype(np.float64) - bn["mean"].astype(np.float64) * scale
        through_pool = j is not None and j < i - 1
        if j is None or (through_pool and not np.all(scale > 0)):
            kept += 1
            continue
        producer = entries[j]
        kernel = producer["kernel"].astype(np.float64)
        kernel = kernel * scale.reshape((-1,) + (1,) * (kernel.ndim - 1))
        bias = producer.get("bias", np.zeros(len(scale), np.float32)).astype(np.float64) * scale + shift
        entries[j] = {"kernel": kernel.astype(np.float32), "bias": bias.astype(np.float32)}
        layers[j] = replace(layers[j], use_bias=True)
        drop.add(i)
    folded_spec = ArchSpec(name=spec.name, description=spec.description,
                           layers=tuple(layer for i, layer in enumerate(layers) if i not in drop))
    folded_weights = [entry for i, entry in enumerate(entries) if i not in drop]
    return Folded(folded_spec, folded_weights, folded=len(drop), kept=kept)


def fuse_relu(spec: ArchSpec, weights: NeutralWeights) -> tuple[ArchSpec, NeutralWeights]:
    """Conv/Dense (no activation) [-> MaxPool] -> ReLU  =>  Conv/Dense (relu) [-> MaxPool]."""
    layers, entries = list(spec.layers), list(weights)
    drop: set[int] = set()
    for i, layer in enumerate(spec.layers):
        if not isinstance(layer, ReLU):
            continue
        j = i - 1
        while j >= 0 and isinstance(layers[j], MaxPool):
            j -= 1
        if j >= 0 and isinstance(layers[j], (Conv, Dense)) and layers[j].activation is None and j not in drop:
            layers[j] = replace(layers[j], activation="relu")
            drop.add(i)
    fused = ArchSpec(name=spec.name, description=spec.description,
                     layers=tuple(layer for i, layer in enumerate(layers) if i not in drop))
    return fused, [entry for i, entry in enumerate(entries) if i not in drop]


def inference_form(spec: ArchSpec, weights: NeutralWeights) -> Folded:
    """What every exporter starts from: batch norm folded, ReLUs fused into their layer."""
    folded = fold_batchnorm(spec, weights)
    fused_spec, fused_weights = fuse_relu(folded.spec, folded.weights)
    return Folded(fused_spec, fused_weights, folded.folded, folded.kept)
