"""What kind of model file is this? Decided from the bytes, never from the name, never by
loading it (so deciding runs no code from the file).

- ONNX: a protobuf ModelProto. Serialised fields come in field order, so the file starts
  with field 1 (ir_version, a small varint) and then another ModelProto field.
- TFLite: a flatbuffer whose file identifier, bytes 4..8, is "TFL3".
- zip archives, told apart by their member names: Keras (.keras), TorchScript (has code/),
  a torch.export program (.pt2: archive_format + models/), and torch.save files, where the
  mnist-cnn header string in data.pkl separates the int8 file from the float one (read as
  bytes; the pickle is not run).
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Optional

# format -> (framework that writes it, or None for either; what it is, for messages)
FORMATS: dict[str, tuple[Optional[str], str]] = {
    "torch": ("torch", "PyTorch model file (.pt)"),
    "keras": ("keras", "Keras model file (.keras)"),
    "torch-int8": ("torch", "int8 PyTorch model file (.int8.pt)"),
    "torchscript": ("torch", "TorchScript file (.torchscript.pt)"),
    "exported-program": ("torch", "torch.export program (.pt2)"),
    "onnx": (None, "ONNX model (.onnx)"),
    "tflite": ("keras", "TFLite model (.tflite)"),
}
EXPORTED_FORMATS = ("torch-int8", "torchscript", "exported-program", "onnx", "tflite")
# Loading these runs code stored in the file (TorchScript programs; pickled objects in .pt2).
CODE_FORMATS = ("torchscript", "exported-program")

INT8_HEADER = b"mnist-cnn/torch-int8"
_ONNX_NEXT_FIELDS = {0x12, 0x1A, 0x22, 0x2A, 0x32, 0x3A, 0x42, 0x4A, 0x52, 0x62, 0x72, 0x7A}


def format_framework(fmt: str) -> Optional[str]:
    """The framework whose models a format holds (None: ONNX holds either)."""
    return FORMATS[fmt][0] if fmt in FORMATS else None


def describe(fmt: str) -> str:
    return FORMATS[fmt][1]


def _looks_like_onnx(head: bytes) -> bool:
    # 0x08: field 1 (ir_version), varint; ONNX IR versions are small numbers.
    return len(head) >= 3 and head[0] == 0x08 and 1 <= head[1] <= 64 and head[2] in _ONNX_NEXT_FIELDS


def _zip_format(path: Path) -> Optional[str]:
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            if any("/code/" in n for n in names) and any(n.endswith("/constants.pkl") for n in names):
                return "torchscript"
            if any(n.endswith("/archive_format") for n in names) and any("/models/" in n for n in names):
                return "exported-program"
            pickles = [n for n in names if n.endswith("/data.pkl")]
            if len(pickles) == 1 and INT8_HEADER in archive.read(pickles[0]):
                return "torch-int8"
    except (zipfile.BadZipFile, OSError, KeyError):
        return None
    return None


def sniff_exported(path: Path) -> Optional[str]:
    """One of EXPORTED_FORMATS, or None (a framework model file, or not a model at all)."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(8)
    except OSError:
        return None
    if head[4:8] == b"TFL3":
        return "tflite"
    if head[:2] == b"PK":
        return _zip_format(path)
    if _looks_like_onnx(head):
        return "onnx"
    return None
