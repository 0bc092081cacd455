"""int8 post-training quantization with PyTorch's quantized CPU kernels, in a file with no code.

Quantizing: batch norm is folded first (mnist_cnn.models.folding), a convolution or linear layer
with its ReLU is fused into one int8 kernel, and PyTorch's eager-mode post-training
quantization (torch.ao.quantization prepare / calibrate / convert) measures activation
ranges on training images: per-channel symmetric int8 weights, uint8 activations. PyTorch
2.13 marks that API deprecated in favour of torchao, which offers no int8 convolution
kernels for CPU; the eager API still works, and only its calibration step is used here.

The file: torch.save of a plain dict whose numbers are three tensors (all int8 values, all
float32 values, all float64 scales) plus a JSON layout, loaded with
torch.load(weights_only=True) and rebuilt into quantized modules made from the spec. Packing
into three tensors matters on a 29k-parameter net: a state dict would add ~16 bytes of scale
and zero point per channel and a zip entry per tensor, a quarter of the int8 weights' size.
"""

from __future__ import annotations

import hashlib
import io
import json
import warnings
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import numpy as np
import torch
import torch.ao.nn.intrinsic.quantized as nniq
import torch.ao.nn.quantized as nnq
from torch import nn

from mnist_cnn.backends import ModelFileError
from mnist_cnn.data.mnist import normalize
from mnist_cnn.model_formats import INT8_HEADER
from mnist_cnn.models.architectures import ArchSpec, BatchNorm, Conv, Dense, Dropout, Flatten, MaxPool, ReLU
from mnist_cnn.models.weights import NeutralWeights
from mnist_cnn.runs import atomic_write_bytes

from .model_utils import build_model, set_weights

FILE_FORMAT = INT8_HEADER.decode()
FILE_FORMAT_VERSION = 1
CALIBRATION_BATCH = 500


@contextmanager
def _quiet_deprecations() -> Iterator[None]:
    # torch.ao.quantization warns on every call that it will move to torchao (see above).
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"torch\.ao")
        warnings.filterwarnings("ignore", category=UserWarning, module=r"torch\.ao")
        warnings.filterwarnings("ignore", message=r".*torch\.ao\.quantization.*")
        yield


def preferred_engine() -> str:
    """x86 (fbgemm + oneDNN) on Intel/AMD, qnnpack on ARM."""
    engines = torch.backends.quantized.supported_engines
    for engine in ("x86", "fbgemm", "qnnpack"):
        if engine in engines:
            return engine
    raise ModelFileError(f"this PyTorch build has no quantized CPU engine (supported: {engines})")


def _use_engine(engine: str) -> str:
    if engine not in torch.backends.quantized.supported_engines:
        engine = preferred_engine()  # the numbers in the file run on any engine
    torch.backends.quantized.engine = engine
    return engine


# --------------------------------------------------------------------------- quantizing

def _fuse(net: nn.Sequential, spec: ArchSpec) -> None:
    """Conv/Linear + ReLU -> one fused module; a kept BatchNorm + the ReLU after it likewise."""
    from torch.ao.quantization import fuse_modules

    for i, (layer, module) in enumerate(zip(spec.layers, net)):
        if isinstance(module, nn.Sequential) and len(module) == 2 and isinstance(module[1], nn.ReLU):
            fuse_modules(module, [["0", "1"]], inplace=True)
        elif isinstance(layer, BatchNorm) and i + 1 < len(spec.layers) and isinstance(spec.layers[i + 1], ReLU):
            fuse_modules(net, [[str(i), str(i + 1)]], inplace=True)


def quantize(spec: ArchSpec, weights: NeutralWeights, calibration: np.ndarray) -> tuple[nn.Module, str]:
    """A converted int8 model (Quantize -> layers -> DeQuantize) calibrated on uint8 images."""
    from torch.ao.quantization import DeQuantStub, QuantStub, convert, get_default_qconfig, prepare

    for i, layer in enumerate(spec.layers):
        # A batch norm left after folding runs as a quantized BatchNorm2d: images only.
        if isinstance(layer, BatchNorm) and any(isinstance(x, (Flatten, Dense)) for x in spec.layers[:i]):
            raise ValueError("int8 export supports batch norm on convolution outputs only")
    engine = _use_engine(preferred_engine())
    net = build_model(spec)
    set_weights(net, spec, weights)
    net.eval()
    _fuse(net, spec)
    model = nn.Sequential(QuantStub(), net, DeQuantStub()).eval()
    with _quiet_deprecations():
        model.qconfig = get_default_qconfig(engine)
        prepare(model, inplace=True)
        with torch.inference_mode():
            for start in range(0, len(calibration), CALIBRATION_BATCH):
                model(torch.from_numpy(normalize(calibration[start:start + CALIBRATION_BATCH])).unsqueeze(1))
        convert(model, inplace=True)
    return model, engine


# --------------------------------------------------------------------------- packing

class _Blobs:
    """Appends arrays to three flat buffers and remembers where each went."""

    def __init__(self) -> None:
        self.parts: dict[str, list[np.ndarray]] = {"int8": [], "float32": [], "float64": []}
        self.sizes = {"int8": 0, "float32": 0, "float64": 0}

    def put(self, kind: str, array: np.ndarray) -> list:
        array = np.ascontiguousarray(array, dtype=kind).ravel()
        where = [kind, self.sizes[kind], list(np.shape(array))]
        self.parts[kind].append(array)
        self.sizes[kind] += array.size
        return where

    def tensors(self) -> dict[str, torch.Tensor]:
        return {kind: torch.from_numpy(np.concatenate(parts) if parts else np.zeros(0, kind))
                for kind, parts in self.parts.items()}


def _put_qweight(blobs: _Blobs, weight: torch.Tensor) -> dict:
    entry = {"shape": list(weight.shape), "values": blobs.put("int8", weight.int_repr().numpy())}
    if weight.qscheme() in (torch.per_channel_affine, torch.per_channel_symmetric):
        entry["scales"] = blobs.put("float64", weight.q_per_channel_scales().numpy())
        entry["zero_points"] = blobs.put("int8", weight.q_per_channel_zero_points().numpy())
        entry["axis"] = int(weight.q_per_channel_axis())
    else:
        entry["scale"] = float(weight.q_scale())
        entry["zero_point"] = int(weight.q_zero_point())
    return entry


def _core(module: nn.Module) -> nn.Module:
    return module[0] if isinstance(module, nn.Sequential) else module


def pack(model: nn.Module, spec: ArchSpec, engine: str, metadata: str) -> dict:
    """The converted model -> a dict of strings and three tensors (what the file holds)."""
    quant, net = model[0], model[1]
    blobs = _Blobs()
    layers: list[dict] = []
    for layer, module in zip(spec.layers, net):
        core = _core(module)
        if isinstance(core, (nnq.Conv2d, nnq.Linear)):  # the fused ReLU variants subclass these
            entry = {"kind": "conv" if isinstance(core, nnq.Conv2d) else "linear",
                     "relu": isinstance(core, (nniq.ConvReLU2d, nniq.LinearReLU)),
                     "weight": _put_qweight(blobs, core.weight()),
                     "bias": None if core.bias() is None else blobs.put("float32", core.bias().detach().numpy()),
                     "scale": float(core.scale), "zero_point": int(core.zero_point)}
        elif isinstance(core, nnq.BatchNorm2d):
            entry = {"kind": "batchnorm", "relu": isinstance(core, nniq.BNReLU2d), "eps": float(core.eps),
                     "scale": float(core.scale), "zero_point": int(core.zero_point),
                     **{name: blobs.put("float32", getattr(core, name).detach().numpy())
                        for name in ("weight", "bias", "running_mean", "running_var")}}
        elif isinstance(core, nn.Identity):
            entry = {"kind": "identity"}  # a ReLU fused into the layer before it
        else:
            entry = {"kind": "float"}  # pooling, ReLU, flatten, dropout: rebuilt from the spec
        layers.append(entry)
    tensors = blobs.tensors()
    return {
        "format": FILE_FORMAT,
        "format_version": FILE_FORMAT_VERSION,
        "sha256": _checksum(tensors),
        "spec": json.dumps(spec.to_dict(), separators=(",", ":")),
        "engine": engine,
        "input": json.dumps({"scale": float(quant.scale), "zero_point": int(quant.zero_point)}),
        "layers": json.dumps(layers, separators=(",", ":")),
        "metadata": metadata,
        **tensors,
    }


def _checksum(tensors: dict[str, torch.Tensor]) -> str:
    """torch.load does not check the zip's CRCs: a flipped weight byte would load silently."""
    digest = hashlib.sha256()
    for kind in ("int8", "float32", "float64"):
        digest.update(tensors[kind].numpy().tobytes())
    return digest.hexdigest()


# --------------------------------------------------------------------------- rebuilding

def _take(blobs: dict[str, np.ndarray], where: list) -> np.ndarray:
    kind, offset, shape = where
    size = int(np.prod(shape)) if shape else 1
    flat = blobs[kind][offset:offset + size]
    if flat.size != size:
        raise ValueError(f"{kind} data ends before offset {offset + size}")
    return flat.reshape(shape)


def _qweight(blobs: dict[str, np.ndarray], entry: dict) -> torch.Tensor:
    values = _take(blobs, entry["values"]).astype(np.float64).reshape(entry["shape"])
    if "scales" in entry:
        scales = torch.from_numpy(_take(blobs, entry["scales"]).copy())
        zeros = torch.from_numpy(_take(blobs, entry["zero_points"]).astype(np.int64))
        axis = entry["axis"]
        view = [-1 if d == axis else 1 for d in range(values.ndim)]
        real = (values - zeros.numpy().reshape(view)) * scales.numpy().reshape(view)
        # Re-quantizing q * s with the same s gives back exactly q.
        return torch.quantize_per_channel(torch.from_numpy(real).float(), scales, zeros, axis, torch.qint8)
    real = (values - entry["zero_point"]) * entry["scale"]
    return torch.quantize_per_tensor(torch.from_numpy(real).float(), entry["scale"], entry["zero_point"], torch.qint8)


def _build(spec: ArchSpec, layers: list[dict], blobs: dict[str, np.ndarray], input_q: dict) -> nn.Module:
    modules: list[nn.Module] = []
    float_net = build_model(spec)  # shapes and float layers (pooling, flatten) come from the spec
    for layer, entry, float_module in zip(spec.layers, layers, float_net, strict=True):
        kind = entry["kind"]
        if kind in ("conv", "linear"):
            core = _core(float_module)
            if kind == "conv" and isinstance(layer, Conv):
                cls = nniq.ConvReLU2d if entry["relu"] else nnq.Conv2d
                module = cls(core.in_channels, core.out_channels, core.kernel_size, stride=core.stride,
                             padding=core.padding)
            elif kind == "linear" and isinstance(layer, Dense):
                module = (nniq.LinearReLU if entry["relu"] else nnq.Linear)(core.in_features, core.out_features)
            else:
                raise ValueError(f"layout says {kind} where the spec has {type(layer).__name__}")
            bias = None if entry["bias"] is None else torch.from_numpy(_take(blobs, entry["bias"]).copy())
            module.set_weight_bias(_qweight(blobs, entry["weight"]), bias)
            module.scale, module.zero_point = float(entry["scale"]), int(entry["zero_point"])
        elif kind == "batchnorm" and isinstance(layer, BatchNorm):
            module = (nniq.BNReLU2d if entry["relu"] else nnq.BatchNorm2d)(
                len(_take(blobs, entry["weight"])), eps=entry["eps"])
            with torch.no_grad():
                for name in ("weight", "bias", "running_mean", "running_var"):
                    getattr(module, name).copy_(torch.from_numpy(_take(blobs, entry[name]).copy()))
                module.scale.fill_(entry["scale"])
                module.zero_point.fill_(entry["zero_point"])
        elif kind == "identity" and isinstance(layer, ReLU):
            module = nn.Identity()
        elif kind == "float" and isinstance(layer, (MaxPool, ReLU, Flatten, Dropout)):
            module = float_module
        else:
            raise ValueError(f"layout entry {kind!r} does not fit spec layer {type(layer).__name__}")
        modules.append(module)
    return nn.Sequential(nnq.Quantize(input_q["scale"], input_q["zero_point"], torch.quint8),
                         nn.Sequential(*modules), nnq.DeQuantize()).eval()


def save_quantized(payload: dict, path: Path) -> None:
    # Through memory: torch.save names the archive's root folder after the file, which would
    # otherwise be the temporary name.
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    atomic_write_bytes(path, buffer.getvalue())


def load_quantized(path: Path) -> tuple[nn.Module, ArchSpec, str, dict]:
    """(int8 model, its spec, engine, metadata) from a file written by save_quantized."""
    try:
        # weights_only=True: only tensors and plain containers are unpickled, never code.
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise ModelFileError(f"{path}: not a loadable int8 PyTorch file (expected a .int8.pt written by "
                             f"`mnist-cnn export`): {str(exc).splitlines()[0]}") from None
    if not isinstance(payload, dict) or payload.get("format") != FILE_FORMAT:
        raise ModelFileError(f"{path}: a PyTorch file, but not an mnist-cnn int8 model (no '{FILE_FORMAT}' header)")
    if payload.get("format_version") != FILE_FORMAT_VERSION:
        raise ModelFileError(f"{path}: int8 file version {payload.get('format_version')!r}; this mnist-cnn reads "
                             f"version {FILE_FORMAT_VERSION}")
    try:
        spec = ArchSpec.from_dict(json.loads(payload["spec"]))
        engine = _use_engine(str(payload["engine"]))
        if _checksum(payload) != payload["sha256"]:
            raise ValueError("its numbers do not match their SHA-256 (the file was changed or damaged)")
        blobs = {kind: payload[kind].numpy() for kind in ("int8", "float32", "float64")}
        with _quiet_deprecations():
            model = _build(spec, json.loads(payload["layers"]), blobs, json.loads(payload["input"]))
        metadata = json.loads(payload.get("metadata") or "{}")
    except (KeyError, ValueError, TypeError, RuntimeError, AttributeError) as exc:
        raise ModelFileError(f"{path}: int8 model file is damaged or does not match its architecture: "
                             f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}") from None
    return model, spec, engine, metadata


class QuantizedClassifier:
    """The int8 model as a Classifier: same input as TorchClassifier (normalised images).

    It runs as a traced, frozen TorchScript graph of the int8 modules (as TorchClassifier does
    for the float model): a call then skips a dozen Python module calls, measured here 0.5
    instead of 0.9 ms for one image. The graph is traced from the modules this loader built,
    never loaded from a file.
    """

    format = "torch-int8"

    def __init__(self, model: nn.Module, spec: ArchSpec, engine: str, metadata: dict, path: Path | None = None):
        self.model = model
        self.spec = spec
        self.engine = engine
        self.metadata = metadata
        self.framework = "torch"
        self.variant = metadata.get("variant", "int8")
        self.runtime = f"PyTorch {torch.__version__.split('+')[0]} quantized kernels ({engine})"
        self.path = path
        self._graph: torch.jit.ScriptModule | None = None

    def _inference_graph(self) -> torch.nn.Module:
        if self._graph is None:
            with torch.no_grad(), warnings.catch_warnings():
                warnings.simplefilter("ignore")  # torch.jit's deprecation notices are not for users
                self._graph = torch.jit.freeze(torch.jit.trace(self.model, torch.zeros(1, 1, 28, 28)))
        return self._graph

    def predict_proba(self, images: np.ndarray) -> np.ndarray:
        graph = self._inference_graph()
        with torch.inference_mode():
            x = torch.from_numpy(normalize(np.asarray(images).reshape(-1, 28, 28))).unsqueeze(1)
            return torch.softmax(graph(x), dim=1).numpy()

    def save(self, path: Path) -> None:
        if self.path is None:
            raise ValueError("an int8 model is saved by the export that made it")
        atomic_write_bytes(path, self.path.read_bytes())


def load_classifier(path: Path) -> QuantizedClassifier:
    model, spec, engine, metadata = load_quantized(path)
    return QuantizedClassifier(model, spec, engine, metadata, path)
