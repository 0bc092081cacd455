"""Load TorchScript (.torchscript.pt) and torch.export (.pt2) files written by `mnist-cnn export`.

Both hold code: torch.jit.load runs the TorchScript program inside the file, and
torch.export.load unpickles with weights_only=False. mnist_cnn.deploy.loading therefore
calls this module only for files whose SHA-256 this tool recorded when it wrote them (or
when the user set MNIST_CNN_TRUST_CODE=1); see mnist_cnn/deploy/trust.py.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import torch

from mnist_cnn.backends import ModelFileError
from mnist_cnn.deploy.pixels import PixelsClassifier, parse_metadata
from mnist_cnn.model_formats import sniff_exported

from .export import EXTRA_FILE


def _load(path: Path, fmt: str) -> tuple[torch.nn.Module, str]:
    extra = {EXTRA_FILE: ""}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=DeprecationWarning)  # torch.jit is deprecated in 2.13
        warnings.filterwarnings("ignore", message=r".*torch\.jit.*deprecated.*")
        if fmt == "torchscript":
            module = torch.jit.load(str(path), map_location="cpu", _extra_files=extra)
        else:
            module = torch.export.load(path, extra_files=extra).module()
    text = extra[EXTRA_FILE]
    return module, text.decode("utf-8") if isinstance(text, bytes) else text


def load_classifier(path: Path) -> PixelsClassifier:
    fmt = sniff_exported(path)
    if fmt not in ("torchscript", "exported-program"):
        raise ModelFileError(f"{path}: not a TorchScript or .pt2 file")
    what = "TorchScript file" if fmt == "torchscript" else "torch.export program"
    try:
        module, text = _load(path, fmt)
    except Exception as exc:  # both loaders raise many types for damaged archives
        raise ModelFileError(f"{path}: not a loadable {what} (expected one written by `mnist-cnn export`): "
                             f"{str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__}") from None
    meta = parse_metadata(path, text, what)

    def run(pixels: np.ndarray) -> np.ndarray:
        with torch.inference_mode():
            return module(torch.from_numpy(pixels)).numpy()

    runtime = f"PyTorch {torch.__version__.split('+')[0]} " + ("TorchScript" if fmt == "torchscript" else "torch.export")
    return PixelsClassifier(path, fmt, runtime, meta, run)
