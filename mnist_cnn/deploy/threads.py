"""How many CPU threads the measured runtimes use.

The export table is measured single-threaded by default. It is the fair comparison (every
runtime gets the same one core), it is how a single image is best run (splitting a 29k-
parameter network over threads costs more in synchronisation than it saves), and it is the
only setting that gives stable numbers on a shared machine: with two threads on two busy
cores, PyTorch's OpenMP threads wait for each other and one image took 30-80 ms instead of
2 ms here, while ONNX Runtime stayed near 0.2 ms.

ONNX Runtime and LiteRT take the number per model (load_any_classifier's `threads`);
PyTorch and TensorFlow only per process, so `use_threads` sets them, before TensorFlow
runs its first op.
"""

from __future__ import annotations

from ..backends import get_backend
from .pixels import runtime_threads


def resolve(threads: int) -> int:
    """0 means every CPU this process may use."""
    return runtime_threads() if threads <= 0 else threads


def use_threads(framework: str, threads: int) -> None:
    """The framework's own thread count for this process (its backend knows how)."""
    get_backend(framework).use_threads(threads)
