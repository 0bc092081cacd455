"""`--device` and `--precision` as TensorFlow sees them: what is really there, or a one-line why not.

TensorFlow names GPUs /GPU:N whatever drives them: CUDA on Linux, the tensorflow-metal
plugin on Apple silicon (what PyTorch calls "mps").
"""

from __future__ import annotations

import sys
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator, Optional

import keras
import tensorflow as tf

from mnist_cnn.runtime import DeviceError, parse_device, parse_precision

POLICIES = {"fp32": "float32", "bf16": "mixed_bfloat16", "fp16": "mixed_float16"}


@dataclass(frozen=True)
class Placement:
    label: str                  # as the user types it: "cpu", "cuda:0", "mps"
    tf_device: Optional[str]    # "/GPU:0", "/CPU:0", or None: TensorFlow's own choice (the CPU here)
    name: str = ""              # the GPU's name, where TensorFlow tells it


def _gpus() -> list:
    return tf.config.list_physical_devices("GPU")


def _gpu_name(index: int) -> str:
    try:
        return tf.config.experimental.get_device_details(_gpus()[index]).get("device_name", "")
    except (IndexError, ValueError, RuntimeError):
        return ""


def _gpu_kind() -> str:
    return "mps" if sys.platform == "darwin" else "cuda"


def resolve_device(requested: str) -> Placement:
    """auto -> a GPU if TensorFlow sees one, else the CPU."""
    wanted = parse_device(requested)
    gpus = _gpus()
    if wanted == "auto":
        wanted = _gpu_kind() if gpus else "cpu"
    if wanted == "cpu":
        # Pin to the CPU only where a GPU would otherwise be chosen; else leave TensorFlow be.
        return Placement("cpu", "/CPU:0" if gpus else None)
    if wanted == "mps":
        if sys.platform != "darwin" or not gpus:
            raise DeviceError("--device mps: TensorFlow reaches Apple GPUs through the tensorflow-metal plugin, "
                              "and none is available here; use --device cpu or auto")
        return Placement("mps", "/GPU:0", _gpu_name(0))
    if not gpus or sys.platform == "darwin":
        why = ("a build without CUDA" if not tf.test.is_built_with_cuda()
               else "no GPU visible: check the driver and CUDA_VISIBLE_DEVICES")
        raise DeviceError(f"--device {requested}: no CUDA device is available to TensorFlow {tf.__version__} "
                          f"({why}); use --device cpu or auto")
    index = int(wanted.split(":")[1]) if ":" in wanted else 0
    if index >= len(gpus):
        raise DeviceError(f"--device {requested}: TensorFlow sees {len(gpus)} GPU(s) (cuda:0 to cuda:{len(gpus) - 1})")
    return Placement(f"cuda:{index}", f"/GPU:{index}", _gpu_name(index))


def check_precision(precision: str, placement: Placement) -> str:
    """fp32 anywhere; Keras mixed precision only where the device computes it natively."""
    precision = parse_precision(precision)
    if precision == "fp32":
        return precision
    if placement.label == "cpu":
        if precision == "fp16":
            raise DeviceError("--precision fp16: mixed precision in float16 needs a GPU; on the CPU use "
                              "--precision bf16 (where the CPU supports it) or fp32")
        return precision  # oneDNN runs bfloat16 on the CPU
    if placement.label.startswith("cuda") and precision == "bf16":
        index = int(placement.tf_device.split(":")[1])
        try:
            capability = tf.config.experimental.get_device_details(_gpus()[index]).get("compute_capability")
        except (IndexError, ValueError, RuntimeError):
            capability = None
        if capability is not None and tuple(capability) < (8, 0):
            raise DeviceError(f"--precision bf16: this GPU (compute capability {capability[0]}.{capability[1]}) "
                              f"has no bfloat16 support; use --precision fp16")
    return precision


@contextmanager
def on_device(tf_device: Optional[str]) -> Iterator[None]:
    """Place what is built or traced inside on `tf_device`; nothing at all when it is None."""
    if tf_device is None:
        yield
    else:
        with tf.device(tf_device):
            yield


@contextmanager
def dtype_policy(precision: str) -> Iterator[None]:
    """Build layers under a mixed-precision policy, then put the global policy back."""
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(POLICIES[precision])
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)
