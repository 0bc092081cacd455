"""The export tools are an optional extra: say which one to install when one is missing."""

from __future__ import annotations

import importlib
import importlib.util

from ..backends import BackendUnavailable

EXTRA_HINT = "pip install -e '.[export]'"

# distribution name (what pip installs) for each module imported
DISTRIBUTIONS = {
    "onnx": "onnx",
    "onnxruntime": "onnxruntime",
    "onnxscript": "onnxscript",
    "tf2onnx": "tf2onnx",
    "ai_edge_litert": "ai-edge-litert",
}


def require(*modules_and_purpose: str) -> None:
    """require("onnx", "onnxscript", "exporting PyTorch to ONNX"): the last argument says what for."""
    *modules, purpose = modules_and_purpose
    missing = []
    for name in modules:
        # find_spec, not import: importing tf2onnx starts TensorFlow (seconds, and log lines
        # on stderr) long before the export that needs it.
        try:
            found = importlib.util.find_spec(name) is not None
        except (ImportError, ValueError):
            found = False
        if not found:
            missing.append(DISTRIBUTIONS.get(name, name))
    if missing:
        raise BackendUnavailable(f"{purpose} needs {', '.join(missing)}, which is not installed; install the "
                                 f"export extra: {EXTRA_HINT} (or `pip install {' '.join(missing)}`)")
