"""`load_any_classifier(path)`: any model file the project knows -> a Classifier.

The format comes from the file's content (runs.sniff_model_format); each format is run by
its own runtime: the framework backends for .pt / .keras, PyTorch's quantized kernels for
.int8.pt, ONNX Runtime for .onnx, the LiteRT interpreter for .tflite, and TorchScript /
torch.export for their files, the last two only for files this tool wrote (see trust.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from ..backends import Classifier, get_backend
from ..model_formats import describe


def load_any_classifier(path: Path | str, fmt: Optional[str] = None, threads: Optional[int] = None) -> Classifier:
    """A Classifier for the model file at `path`; ModelFileError / BackendUnavailable otherwise.

    `fmt` is the format if the caller already knows it (from runs.resolve_model); `threads`
    the CPU threads for ONNX Runtime and LiteRT (default: all this process may use; PyTorch
    and TensorFlow threads are process-wide, see deploy/threads.py).
    """
    from ..runs import sniff_model_format

    path = Path(path)
    fmt = fmt or sniff_model_format(path)
    if fmt in ("torch", "keras"):
        return get_backend(fmt).load(path)
    if fmt == "onnx":
        from .onnx_runtime import load_onnx_classifier

        return load_onnx_classifier(path, threads)
    if fmt == "tflite":
        from .litert_runtime import load_tflite_classifier

        return load_tflite_classifier(path, threads)
    if fmt in ("torch-int8", "torchscript", "exported-program"):
        if fmt != "torch-int8":
            from .trust import require_trusted

            require_trusted(path, describe(fmt))
        return get_backend("torch").load_exported(path, fmt)  # says which extra to install if PyTorch is missing
    raise ValueError(f"unknown model format {fmt!r}")
