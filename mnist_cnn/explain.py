"""`mnist-cnn explain`: a recipe's network layer by layer in both frameworks, and a kernel demo.

The shapes and parameter counts are measured on each framework's real model (one image
pushed through it), not computed from the spec, so the table shows what PyTorch and Keras
actually build; the tests check both against the spec.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import numpy as np
from rich.console import Console
from rich.table import Table

from .backends import FRAMEWORKS, BackendUnavailable, get_backend, short_name
from .config import get_recipe
from .models.architectures import ArchSpec, BatchNorm, Conv, Dense, Dropout, Flatten, Layer, MaxPool, ReLU

# Hand-made 3x3 kernels of the classic first lesson. Each output pixel is the sum of the
# pixel's 3x3 neighbourhood weighted by the kernel: flat regions give 0, edges do not.
KERNELS: dict[str, np.ndarray] = {
    "outline": np.array([[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]], dtype=np.float32),
    "vertical": np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=np.float32),    # Sobel x
    "horizontal": np.array([[-1, -2, -1], [0, 0, 0], [1, 2, 1]], dtype=np.float32),  # Sobel y
}


def slide_kernel(image: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Slide `kernel` over `image` as a convolution layer does (cross-correlation, zero "same" padding).

    The image is scaled to [0, 1] if it is uint8; the output has the image's size.
    """
    image = np.asarray(image, dtype=np.float32) / (255.0 if np.asarray(image).dtype == np.uint8 else 1.0)
    kernel = np.asarray(kernel, dtype=np.float32)
    kh, kw = kernel.shape
    if kh % 2 == 0 or kw % 2 == 0:
        raise ValueError(f"the kernel needs odd sides to have a centre (got {kh}x{kw})")
    padded = np.pad(image, ((kh // 2, kh // 2), (kw // 2, kw // 2)))
    out = np.zeros_like(image)
    for i in range(kh):
        for j in range(kw):
            out += kernel[i, j] * padded[i:i + image.shape[0], j:j + image.shape[1]]
    return out


def describe(layer: Layer) -> str:
    if isinstance(layer, Conv):
        extra = f", {layer.activation}" if layer.activation else ""
        stride = f" stride={layer.stride}" if layer.stride != 1 else ""
        return f"Conv {layer.filters}@{layer.kernel}×{layer.kernel} {layer.padding}{stride}{extra}"
    if isinstance(layer, Dense):
        return f"Dense {layer.units}" + (f", {layer.activation}" if layer.activation else ", logits")
    if isinstance(layer, MaxPool):
        return f"MaxPool {layer.size}×{layer.size}"
    if isinstance(layer, Dropout):
        return f"Dropout {layer.rate:g}"
    if isinstance(layer, (BatchNorm, ReLU, Flatten)):
        return type(layer).__name__
    return repr(layer)  # pragma: no cover - the spec's types are closed


@dataclass
class FrameworkLayers:
    framework: str
    shapes: list[tuple[int, ...]]   # per spec layer, without the batch axis, in the framework's order
    parameters: list[int]           # trainable, per spec layer, as the framework counts them
    channels_first: bool


@dataclass
class Explanation:
    spec: ArchSpec
    frameworks: list[FrameworkLayers]
    missing: list[str] = field(default_factory=list)  # messages of frameworks not installed


def measure(spec: ArchSpec, framework: str) -> FrameworkLayers:
    """Build `spec` in `framework` and push one blank image through it, layer by layer."""
    backend = get_backend(framework)
    classifier = backend.build(spec)
    outputs = backend.layer_outputs(classifier, np.zeros((1, 28, 28), np.uint8))
    return FrameworkLayers(backend.name, [tuple(o.shape[1:]) for o in outputs],
                           [int(c) for c in backend.parameter_counts(classifier)], backend.channels_first)


def explain_spec(spec: ArchSpec) -> Explanation:
    measured, missing = [], []
    for framework in FRAMEWORKS:
        try:
            measured.append(measure(spec, framework))
        except BackendUnavailable as exc:
            missing.append(str(exc))
    return Explanation(spec, measured, missing)


def _shape(shape: tuple[int, ...]) -> str:
    return "×".join(str(d) for d in shape)


def explanation_table(explanation: Explanation) -> Table:
    spec = explanation.spec
    table = Table(title=f"Recipe architecture {spec.name!r}: {spec.description}", show_edge=False)
    table.add_column("#", justify="right", no_wrap=True, min_width=2)
    table.add_column("layer")  # the one column that may wrap in a narrow terminal
    for fw in explanation.frameworks:
        layout = "C×H×W" if fw.channels_first else "H×W×C"
        table.add_column(f"{short_name(fw.framework)} {layout}", justify="right", no_wrap=True)
        table.add_column("params", justify="right", no_wrap=True)

    def per_framework(shape_of, params_of) -> list[str]:
        return [cell for fw in explanation.frameworks for cell in (shape_of(fw), params_of(fw))]

    table.add_row("", "input image", *per_framework(
        lambda fw: _shape((1, 28, 28) if fw.channels_first else (28, 28, 1)), lambda fw: ""))
    for index, layer in enumerate(spec.layers):
        table.add_row(str(index + 1), describe(layer), *per_framework(
            lambda fw: _shape(fw.shapes[index]),
            lambda fw: f"{fw.parameters[index]:,}" if fw.parameters[index] else "·"))
    table.add_row("", "softmax → probabilities", *per_framework(lambda fw: _shape(fw.shapes[-1]), lambda fw: ""))
    table.add_row("", "trainable parameters", *per_framework(lambda fw: "", lambda fw: f"{sum(fw.parameters):,}"),
                  style="bold")
    return table


def explain(recipe: str, console: Console, kernel_demo: Optional[Path] = None, kernel: str = "outline",
            image_index: int = 0, data_dir: Optional[str] = None) -> Explanation:
    """Print the layer table of `recipe`; with `kernel_demo`, also save the kernel demo there."""
    spec = get_recipe(recipe).spec
    if kernel not in KERNELS:
        raise ValueError(f"unknown kernel {kernel!r}; choose one of: {', '.join(KERNELS)}")
    if kernel_demo is not None and kernel_demo.suffix.lower() != ".png":
        raise ValueError(f"--kernel-demo writes a PNG image: give a file name ending in .png (got {kernel_demo})")
    explanation = explain_spec(spec)
    console.print(explanation_table(explanation))
    console.print("PyTorch orders an image's axes channels × height × width, Keras height × width × "
                  "channels: the same numbers, stored differently. The last Dense layer gives 10 "
                  "scores (logits); softmax turns them into probabilities.")
    for message in explanation.missing:
        console.print(f"[yellow]Not shown:[/] {message}")
    if kernel_demo is not None:
        from .data.loading import load_data
        from .reports import figures_model

        data = load_data(data_dir, console)
        if not 0 <= image_index < len(data.test_images):
            raise ValueError(f"test image index must be between 0 and {len(data.test_images) - 1} "
                             f"(got {image_index})")
        image = data.test_images[image_index]
        figures_model.kernel_demo(image, KERNELS[kernel], slide_kernel(image, KERNELS[kernel]), kernel_demo,
                                  kernel_name=f"'{kernel}' edge kernel")
        console.print(f"Kernel demo (test image #{image_index}, '{kernel}' kernel) written to [bold]{kernel_demo}[/]")
    return explanation
