"""Run an exported .onnx file in ONNX Runtime (the CPU execution provider).

The model is handed to ONNX Runtime as bytes, not as a path: a model that points at
external data files then cannot make the runtime read files beside (or outside) it, and no
custom-op library is ever registered, so loading runs no code from the file.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..backends import ModelFileError
from .extras import require
from .pixels import INPUT_NAME, METADATA_KEY, OUTPUT_NAME, PixelsClassifier, check_pixel_count, parse_metadata, \
    read_model_bytes, runtime_threads


def session_options(threads: int):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 3  # errors only: no graph-optimisation chatter on stderr
    return options


def open_session(path: Path, threads: int | None = None):
    """An InferenceSession for `path`, or ModelFileError naming the file and what was expected."""
    require("onnxruntime", "running .onnx models")
    import onnxruntime as ort

    content = read_model_bytes(path)
    try:
        return ort.InferenceSession(content, session_options(threads or runtime_threads()),
                                    providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own types (InvalidProtobuf, Fail, ...)
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelFileError(f"{path}: not a loadable ONNX model (expected an .onnx written by "
                             f"`mnist-cnn export`): {first}") from None


def load_onnx_classifier(path: Path, threads: int | None = None) -> PixelsClassifier:
    import onnxruntime as ort

    session = open_session(path, threads)
    meta = parse_metadata(path, session.get_modelmeta().custom_metadata_map.get(METADATA_KEY), "ONNX model")
    inputs, outputs = session.get_inputs(), session.get_outputs()
    if [i.name for i in inputs] != [INPUT_NAME] or OUTPUT_NAME not in [o.name for o in outputs]:
        raise ModelFileError(f"{path}: ONNX model with inputs {[i.name for i in inputs]} and outputs "
                             f"{[o.name for o in outputs]}; expected one input '{INPUT_NAME}' and an output "
                             f"'{OUTPUT_NAME}'")
    check_pixel_count(path, inputs[0].shape, "ONNX model")

    def run(pixels: np.ndarray) -> np.ndarray:
        return session.run([OUTPUT_NAME], {INPUT_NAME: pixels})[0]

    return PixelsClassifier(path, "onnx", f"ONNX Runtime {ort.__version__}", meta, run)
