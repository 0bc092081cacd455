"""Export a trained PyTorch model: ONNX, TorchScript, a torch.export program, int8.

Every export starts from the network in inference form (batch norm folded into the
convolutions, ReLUs fused into them: mnist_cnn.models.folding); the float ones wrap it in
`PixelsNet`, which takes raw pixels and normalises them itself (the contract in mnist_cnn/deploy/pixels.py). The
int8 file keeps the framework model's input (normalised images): it is run by this
project's own loader, not deployed elsewhere.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import warnings
from pathlib import Path

import numpy as np
import torch
from torch import nn

from mnist_cnn.data.mnist import PIXEL_MEAN, PIXEL_STD
from mnist_cnn.deploy.pixels import INPUT_NAME, METADATA_KEY, OUTPUT_NAME
from mnist_cnn.models.folding import inference_form
from mnist_cnn.runs import temporary_path_for

from . import quantized
from .model_utils import build_model, get_weights, set_weights
from .test import TorchClassifier

EXTRA_FILE = f"{METADATA_KEY}.json"  # name of the metadata inside .torchscript.pt and .pt2 archives
ONNX_OPSET = 18


class PixelsNet(nn.Module):
    """pixels (N, 28, 28) float 0..255 -> logits: mnist_cnn.data.normalize, then the network."""

    def __init__(self, net: nn.Module):
        super().__init__()
        self.net = net

    def forward(self, pixels: torch.Tensor) -> torch.Tensor:
        x = pixels.unsqueeze(1) * (1.0 / (255.0 * PIXEL_STD)) - (PIXEL_MEAN / PIXEL_STD)
        return self.net(x)


def folded(classifier: TorchClassifier):
    return inference_form(classifier.spec, get_weights(classifier.model, classifier.spec))


def pixels_net(classifier: TorchClassifier) -> PixelsNet:
    fold = folded(classifier)
    net = build_model(fold.spec)
    set_weights(net, fold.spec, fold.weights)
    return PixelsNet(net).eval()


def _example() -> torch.Tensor:
    # Two images: a batch of one would let the exporters specialise the batch size to 1.
    return torch.zeros(2, 28, 28)


def _batch_dim():
    return {INPUT_NAME: {0: torch.export.Dim("batch", min=1)}}


def export_onnx(classifier: TorchClassifier, path: Path, metadata: str) -> None:
    """The dynamo-based exporter (torch.export -> ONNX via onnxscript), batch size dynamic."""
    import onnx

    model = pixels_net(classifier)
    # The exporter reports progress with print() and logs that torchvision's ops are skipped
    # (torchvision is not needed); keep both off the user's terminal.
    quiet = logging.getLogger("torch.onnx")
    level = quiet.level
    quiet.setLevel(logging.ERROR)
    try:
        with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            program = torch.onnx.export(model, (_example(),), None, dynamo=True, opset_version=ONNX_OPSET,
                                        input_names=[INPUT_NAME], output_names=[OUTPUT_NAME],
                                        dynamic_shapes=_batch_dim(), optimize=True, verbose=False)
    finally:
        quiet.setLevel(level)
    proto = program.model_proto
    for node in proto.graph.node:
        # The exporter annotates every node with Python stack traces (paths on this machine,
        # ~12 KB here): no use to a runtime, and nothing a shipped model should carry.
        del node.metadata_props[:]
        node.doc_string = ""
    entry = proto.metadata_props.add()
    entry.key, entry.value = METADATA_KEY, metadata
    with temporary_path_for(path) as tmp:
        onnx.save_model(proto, str(tmp))


def export_torchscript(classifier: TorchClassifier, path: Path, metadata: str) -> None:
    """torch.jit.trace of the pixels network; the file is a program (see deploy/trust.py)."""
    model = pixels_net(classifier)
    with warnings.catch_warnings():
        # torch 2.13 deprecates torch.jit in favour of torch.export; TorchScript is still what
        # libtorch (C++) and older mobile runtimes load, so it is offered with the warning muted.
        warnings.simplefilter("ignore", category=DeprecationWarning)
        warnings.filterwarnings("ignore", message=r".*torch\.jit.*deprecated.*")
        with torch.inference_mode(False), torch.no_grad():
            traced = torch.jit.trace(model, _example())
        with temporary_path_for(path) as tmp:
            torch.jit.save(traced, str(tmp), _extra_files={EXTRA_FILE: metadata})


def export_program(classifier: TorchClassifier, path: Path, metadata: str) -> None:
    """torch.export.export + torch.export.save (.pt2), batch size dynamic."""
    model = pixels_net(classifier)
    program = torch.export.export(model, (_example(),), dynamic_shapes=_batch_dim())
    with temporary_path_for(path) as tmp:
        torch.export.save(program, tmp, extra_files={EXTRA_FILE: metadata})


def export_int8(classifier: TorchClassifier, path: Path, metadata: str, calibration: np.ndarray) -> None:
    fold = folded(classifier)
    model, engine = quantized.quantize(fold.spec, fold.weights, calibration)
    # The file stores the (folded) spec itself; a second copy in the metadata would cost ~2%.
    meta = {key: value for key, value in json.loads(metadata).items() if key != "spec"}
    quantized.save_quantized(quantized.pack(model, fold.spec, engine, json.dumps(meta, separators=(",", ":"))), path)


def export_variant(variant: str, classifier: TorchClassifier, path: Path, metadata: str,
                   calibration: np.ndarray) -> None:
    """Write one variant (names from mnist_cnn.deploy.variants) of `classifier` to `path`."""
    if variant == "onnx":
        export_onnx(classifier, path, metadata)
    elif variant == "torchscript":
        export_torchscript(classifier, path, metadata)
    elif variant == "exported-program":
        export_program(classifier, path, metadata)
    elif variant == "int8":
        export_int8(classifier, path, metadata, calibration)
    else:
        raise ValueError(f"PyTorch cannot export variant {variant!r}")
