"""Run an exported .tflite file in the LiteRT interpreter (ai-edge-litert; tf.lite.Interpreter
is deprecated). A TFLite file is a flatbuffer of tensors and built-in ops: no code runs
from it, and an op the interpreter does not know makes loading fail rather than load
anything extra.

The "mnist_cnn" metadata is a named buffer in the flatbuffer's metadata list; it is read
with the schema module that ships with LiteRT.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import numpy as np

from ..backends import ModelFileError
from .extras import require
from .quiet import quiet_native_stderr
from .pixels import INPUT_NAME, METADATA_KEY, OUTPUT_NAME, PixelsClassifier, check_pixel_count, parse_metadata, \
    read_model_bytes, runtime_threads


def read_metadata(content: bytes) -> Optional[str]:
    from ai_edge_litert import schema_py_generated as schema

    model = schema.Model.GetRootAs(content, 0)
    for i in range(model.MetadataLength()):
        entry = model.Metadata(i)
        if entry.Name() == METADATA_KEY.encode():
            return model.Buffers(entry.Buffer()).DataAsNumpy().tobytes().decode("utf-8")
    return None


def _quantize(x: np.ndarray, detail: dict) -> np.ndarray:
    """float input -> the integer type the model wants, with its scale and zero point."""
    if detail["dtype"] == np.float32:
        return x
    scale, zero = detail["quantization"]
    info = np.iinfo(detail["dtype"])
    return np.clip(np.round(x / scale + zero), info.min, info.max).astype(detail["dtype"])


def _dequantize(y: np.ndarray, detail: dict) -> np.ndarray:
    if detail["dtype"] == np.float32:
        return y
    scale, zero = detail["quantization"]
    return (y.astype(np.float32) - zero) * scale


def load_tflite_classifier(path: Path, threads: int | None = None) -> PixelsClassifier:
    require("ai_edge_litert", "running .tflite models")
    import ai_edge_litert
    from ai_edge_litert.interpreter import Interpreter

    content = read_model_bytes(path)
    try:
        text = read_metadata(content)
        with quiet_native_stderr():
            interpreter = Interpreter(model_content=content, num_threads=threads or runtime_threads())
            interpreter.allocate_tensors()
        signature = interpreter.get_signature_list()
    except Exception as exc:  # flatbuffer and interpreter errors come as ValueError/RuntimeError/IndexError
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelFileError(f"{path}: not a loadable TFLite model (expected a .tflite written by "
                             f"`mnist-cnn export`): {first}") from None
    meta = parse_metadata(path, text, "TFLite model")
    names = next(iter(signature.values()), {}) if signature else {}
    if names.get("inputs") != [INPUT_NAME] or OUTPUT_NAME not in names.get("outputs", []):
        raise ModelFileError(f"{path}: TFLite model with signature {signature}; expected one input "
                             f"'{INPUT_NAME}' and an output '{OUTPUT_NAME}'")
    runner = interpreter.get_signature_runner()
    inp = runner.get_input_details()[INPUT_NAME]
    out = runner.get_output_details()[OUTPUT_NAME]
    # The runner holds a reference to the interpreter, and allocate_tensors refuses to run
    # while anything but the Interpreter itself does; only its tensor details are needed.
    del runner
    check_pixel_count(path, [int(d) for d in inp["shape_signature"]], "TFLite model")

    layout = tuple(int(d) for d in inp["shape"][1:])
    allocated = {"batch": -1}

    def run(pixels: np.ndarray) -> np.ndarray:
        x = np.ascontiguousarray(_quantize(pixels.reshape((len(pixels),) + layout), inp))
        # Resize and re-plan memory only when the batch size changes (the signature runner
        # would do it on every call, which costs more than the network for one image).
        if allocated["batch"] != len(x):
            interpreter.resize_tensor_input(inp["index"], x.shape)
            interpreter.allocate_tensors()
            allocated["batch"] = len(x)
        interpreter.set_tensor(inp["index"], x)
        interpreter.invoke()
        return _dequantize(interpreter.get_tensor(out["index"]), out)

    return PixelsClassifier(path, "tflite", f"LiteRT {ai_edge_litert.__version__}", meta, run)
