"""Silence what native runtimes print straight to file descriptor 2 (not Python warnings).

LiteRT announces "INFO: Created TensorFlow Lite XNNPACK delegate for CPU." from C++ when a
model is first planned, and TensorFlow prints oneDNN and CUDA-probe notices on import (used by
keras_impl for that); a CLI user has no use for them. Python exceptions are raised, not
printed, so none is hidden. MNIST_CNN_TF_VERBOSE=1 shows everything (as for TensorFlow in
keras_impl).
"""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from typing import Iterator


@contextmanager
def quiet_native_stderr() -> Iterator[None]:
    if os.environ.get("MNIST_CNN_TF_VERBOSE"):
        yield
        return
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)
