"""Deploy-ready models: exported formats (ONNX, TorchScript, exported programs, TFLite, int8
PyTorch), loading them through their own runtimes, and measuring what each costs.

Every file `mnist-cnn export` writes takes the same input and gives the same output, so a
program that deploys one needs nothing from this project:

    input  "pixels": float32 (N, 28, 28), raw grey levels 0..255 (white digit on black)
    output "logits": (N, 10); the predicted digit is the argmax, softmax gives probabilities

(the int8 TFLite file quantizes both: its input and output carry scale and zero point, and
the native int8 PyTorch file takes normalised images, as the framework model does).

`load_any_classifier(path)` is the one entry point for the rest of the project: it reads a
file's format from its content and returns a `Classifier` for any model file the project
knows. Nothing in this package imports a framework or a runtime at module level.
"""

from .loading import load_any_classifier

__all__ = ["load_any_classifier"]
