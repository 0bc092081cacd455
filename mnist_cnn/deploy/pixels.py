"""The contract of every exported file, and a Classifier over any runtime that honours it.

Input "pixels": float32 (N, 28, 28), grey levels 0..255; output "logits": (N, 10). The
normalisation of mnist_cnn.data.normalize is inside the exported graph, so a deployed model
needs no preprocessing code beyond resizing the digit to 28 x 28. Logits rather than
probabilities: the argmax is the same, and an int8 output keeps its resolution for the
scores that matter instead of spending it on probabilities near 0 and 1.

Each exported file also carries a small JSON record ("mnist_cnn" metadata) saying who wrote
it, from which run and architecture, and that it follows this contract; a file without it is
refused, because its input convention cannot be known.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Callable, Optional

import numpy as np

from ..backends import ModelFileError
from ..models.architectures import ArchSpec
from ..runs import atomic_write_bytes

INPUT_NAME = "pixels"
OUTPUT_NAME = "logits"
METADATA_KEY = "mnist_cnn"
CONTRACT = "pixels float32 (N,28,28) 0..255 -> logits (N,10)"


def runtime_threads() -> int:
    """The CPUs this process may use; every runtime gets the same number, so timings compare."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS
        return max(1, os.cpu_count() or 1)


def read_model_bytes(path: Path) -> bytes:
    """The whole file, for a runtime that is handed bytes rather than a path; ModelFileError
    naming the file if it cannot be read."""
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ModelFileError(f"{path}: cannot be read ({exc.strerror})") from None


def make_metadata(framework: str, spec: ArchSpec, variant: str, source: dict) -> str:
    """The compact JSON stored in every exported file (compact: it counts in the int8 size)."""
    return json.dumps({"writer": "mnist-cnn", "contract": CONTRACT, "framework": framework, "variant": variant,
                       "spec": spec.to_dict(), "source": source}, separators=(",", ":"))


def parse_metadata(path: Path, text: Optional[str], what: str) -> dict:
    if not text:
        raise ModelFileError(f"{path}: a {what}, but not one written by `mnist-cnn export` (no '{METADATA_KEY}' "
                             f"metadata), so its input convention is unknown; expected a file with input "
                             f"{CONTRACT}")
    try:
        meta = json.loads(text)
        if meta.get("writer") != "mnist-cnn" or meta.get("contract") != CONTRACT:
            raise ValueError("different writer or contract")
        if meta.get("framework") not in ("torch", "keras"):
            raise ValueError(f"unknown framework {meta.get('framework')!r}")
    except (ValueError, AttributeError) as exc:
        raise ModelFileError(f"{path}: its '{METADATA_KEY}' metadata is not what mnist-cnn writes ({exc})") from None
    return meta


def spec_of(meta: dict) -> Optional[ArchSpec]:
    try:
        return ArchSpec.from_dict(meta["spec"])
    except (KeyError, TypeError, ValueError):
        return None


def softmax(logits: np.ndarray) -> np.ndarray:
    z = logits.astype(np.float64)
    z -= z.max(axis=1, keepdims=True)
    np.exp(z, out=z)
    z /= z.sum(axis=1, keepdims=True)
    return z.astype(np.float32)


def check_pixel_count(path: Path, shape: list, what: str) -> None:
    """The model's input must hold 784 pixels per image (any layout of 28 x 28)."""
    per_image = [d for d in shape[1:]]
    if not all(isinstance(d, int) for d in per_image) or int(np.prod(per_image)) != 784:
        raise ModelFileError(f"{path}: this {what} takes input of shape {shape}; expected {CONTRACT}")


class PixelsClassifier:
    """A Classifier over `run(pixels float32 (N, 28, 28)) -> logits (N, 10)` of some runtime."""

    def __init__(self, path: Path, fmt: str, runtime: str, meta: dict,
                 run: Callable[[np.ndarray], np.ndarray]):
        self.path = path
        self.format = fmt
        self.runtime = runtime              # e.g. "ONNX Runtime 1.31.1"
        self.metadata = meta
        self.framework: str = meta["framework"]  # the framework that trained the network
        self.spec: Optional[ArchSpec] = spec_of(meta)
        self.variant: str = meta.get("variant", fmt)
        self._run = run
        # A damaged file can parse and still fail when run (a weight buffer cut short): find
        # out now, while loading, and say so in the one clear error.
        self.predict_proba(np.zeros((2, 28, 28), np.uint8))

    def _logits(self, pixels: np.ndarray) -> np.ndarray:
        try:
            logits = np.asarray(self._run(pixels))
        except Exception as exc:  # the runtimes raise RuntimeError, ValueError, their own types
            text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ModelFileError(f"{self.path}: {self.runtime} failed to run this model: {text}") from None
        if logits.shape != (len(pixels), 10):
            raise ModelFileError(f"{self.path}: the model returned shape {logits.shape} for {len(pixels)} images; "
                                 f"expected {CONTRACT}")
        return logits

    def predict_proba(self, images: np.ndarray) -> np.ndarray:
        """(N, 28, 28) uint8 -> (N, 10) float32, through the file's own runtime."""
        pixels = np.ascontiguousarray(np.asarray(images).reshape(-1, 28, 28), dtype=np.float32)
        if len(pixels) == 0:
            return np.zeros((0, 10), np.float32)
        return softmax(self._logits(pixels))

    def save(self, path: Path) -> None:
        """An exported model is its file: saving copies it."""
        atomic_write_bytes(path, self.path.read_bytes())
