"""Export a trained Keras model: TFLite (float32, float16, full-integer int8) and ONNX.

Both start from `pixels_model`: the network in inference form (batch norm folded, ReLUs
fused: mnist_cnn.models.folding) behind a Rescaling layer that
does mnist_cnn.data.normalize, taking raw pixels (N, 28, 28) and returning {"logits": ...}
(the dict names the output in the TFLite signature and the ONNX graph).

- TFLite: tf.lite.TFLiteConverter.from_keras_model. float16 stores the weights as float16
  (the interpreter computes in float32); int8 is full-integer post-training quantization,
  calibrated on training images as the representative data set, with int8 input and
  output (the pixels quantize exactly: scale 1, zero point -128).
- ONNX: tf2onnx.convert.from_function on a tf.function of the model.
  tf2onnx.convert.from_keras fails on Keras 3 models (tf2onnx 1.17, Keras 3.15):
  "KeyError: 'keras_tensor_...'" (it looks output names up in a graph Keras 3 no longer
  names that way); from_function converts the same graph.
"""

from __future__ import annotations

import contextlib
import io
import logging
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from mnist_cnn.data.mnist import PIXEL_MEAN, PIXEL_STD
from mnist_cnn.deploy.pixels import INPUT_NAME, METADATA_KEY, OUTPUT_NAME
from mnist_cnn.models.folding import inference_form
from mnist_cnn.runs import atomic_write_bytes, temporary_path_for

from . import _quiet_native_stderr
from .model_utils import build_model, get_weights, set_weights
from .test import KerasClassifier

ONNX_OPSET = 17
CALIBRATION_BATCH = 100


def pixels_model(classifier: KerasClassifier) -> keras.Model:
    fold = inference_form(classifier.spec, get_weights(classifier.model, classifier.spec))
    net = build_model(fold.spec)
    set_weights(net, fold.spec, fold.weights)
    pixels = keras.Input((28, 28), name=INPUT_NAME)
    x = keras.layers.Rescaling(1.0 / (255.0 * PIXEL_STD), offset=-PIXEL_MEAN / PIXEL_STD, name="normalize")(pixels)
    x = keras.layers.Reshape((28, 28, 1), name="channel")(x)
    for layer in net.layers:
        x = layer(x)
    return keras.Model(pixels, {OUTPUT_NAME: x}, name=f"{fold.spec.name}_pixels")


def _with_metadata(content: bytes, metadata: str) -> bytes:
    """Add the "mnist_cnn" metadata entry to a TFLite flatbuffer (TF's own flatbuffer tools)."""
    from tensorflow.lite.python import schema_py_generated as schema
    from tensorflow.lite.tools import flatbuffer_utils

    model = flatbuffer_utils.convert_bytearray_to_object(bytearray(content))
    buffer = schema.BufferT()
    buffer.data = np.frombuffer(metadata.encode("utf-8"), dtype=np.uint8)
    model.buffers.append(buffer)
    entry = schema.MetadataT()
    entry.name = METADATA_KEY.encode()
    entry.buffer = len(model.buffers) - 1
    model.metadata = [*(model.metadata or []), entry]
    return bytes(flatbuffer_utils.convert_object_to_bytearray(model))


def tflite_bytes(classifier: KerasClassifier, quantize: str, calibration: np.ndarray) -> bytes:
    converter = tf.lite.TFLiteConverter.from_keras_model(pixels_model(classifier))
    if quantize == "float16":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.target_spec.supported_types = [tf.float16]
    elif quantize == "int8":
        pixels = calibration.astype(np.float32)

        def representative():
            for start in range(0, len(pixels), CALIBRATION_BATCH):
                yield [pixels[start:start + CALIBRATION_BATCH]]

        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.representative_dataset = representative
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        converter.inference_input_type = tf.int8
        converter.inference_output_type = tf.int8
    elif quantize != "none":
        raise ValueError(f"TFLite quantization {quantize!r}: choose none, float16 or int8")
    # The converter prints a SavedModel notice and MLIR logs; a CLI user needs neither.
    with contextlib.redirect_stdout(io.StringIO()), _quiet_native_stderr():
        return converter.convert()


def export_tflite(classifier: KerasClassifier, path: Path, metadata: str, quantize: str,
                  calibration: np.ndarray) -> None:
    atomic_write_bytes(path, _with_metadata(tflite_bytes(classifier, quantize, calibration), metadata))


def export_onnx(classifier: KerasClassifier, path: Path, metadata: str) -> None:
    import onnx
    import tf2onnx

    logging.getLogger("tf2onnx").setLevel(logging.ERROR)
    model = pixels_model(classifier)
    signature = [tf.TensorSpec([None, 28, 28], tf.float32, name=INPUT_NAME)]

    @tf.function(input_signature=signature)
    def logits(pixels):
        return model(pixels, training=False)

    with contextlib.redirect_stdout(io.StringIO()), _quiet_native_stderr():
        proto, _ = tf2onnx.convert.from_function(logits, input_signature=signature, opset=ONNX_OPSET,
                                                 output_path=None)
    if [o.name for o in proto.graph.output] != [OUTPUT_NAME]:
        raise RuntimeError(f"tf2onnx named the outputs {[o.name for o in proto.graph.output]}, not {OUTPUT_NAME!r}")
    entry = proto.metadata_props.add()
    entry.key, entry.value = METADATA_KEY, metadata
    with temporary_path_for(path) as tmp:
        onnx.save_model(proto, str(tmp))


def export_variant(variant: str, classifier: KerasClassifier, path: Path, metadata: str,
                   calibration: np.ndarray) -> None:
    """Write one variant (names from mnist_cnn.deploy.variants) of `classifier` to `path`."""
    if variant == "onnx":
        export_onnx(classifier, path, metadata)
    elif variant in ("tflite", "tflite-float16", "tflite-int8"):
        export_tflite(classifier, path, metadata, variant.partition("-")[2] or "none", calibration)
    else:
        raise ValueError(f"Keras cannot export variant {variant!r}")
