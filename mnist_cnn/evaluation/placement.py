"""`--device` for commands that run a saved model: the backend moves its own models.

Exported files (.onnx, .tflite, TorchScript, ...) run on their runtime's CPU build, so a
GPU asked for them is an error that says so rather than a silent CPU run.
"""

from __future__ import annotations

from ..backends import Classifier, get_backend
from ..runtime import DeviceError, parse_device


def place(classifier: Classifier, device: str) -> Classifier:
    """`classifier` running on `device`; DeviceError if that device is not available."""
    wanted = parse_device(device)
    framework = getattr(classifier, "framework", "")
    members = getattr(classifier, "members", None)
    if members is not None:  # an ensemble: place each member
        classifier.members = [place(m, wanted) for m in members]
        return classifier
    if framework in ("torch", "keras") and not getattr(classifier, "runtime", None):
        return get_backend(framework).on_device(classifier, wanted)
    if wanted in ("auto", "cpu"):
        return classifier
    raise DeviceError(f"--device {device}: this model file runs on its own runtime's CPU build; --device applies "
                      f"to .pt and .keras models")
