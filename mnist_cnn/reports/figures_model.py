"""Figures that look inside a model: mistakes, filters, feature maps, one prediction, a kernel.

Framework-free: every function takes NumPy arrays (images as (28, 28) uint8, feature maps
as (H, W, C), filters in the neutral (out, in, kh, kw) layout) and writes one PNG.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

from ..evaluation.metrics import misclassified_by_confidence
from .figures import new_figure, save_png


def _grid(count: int, columns: int) -> tuple[int, int]:
    columns = max(1, min(columns, count))
    return math.ceil(count / columns), columns


def _hide_ticks(axes) -> None:
    axes.set_xticks([])
    axes.set_yticks([])


def misclassified_gallery(images: np.ndarray, labels: np.ndarray, proba: np.ndarray, path: Path,
                          count: int = 24) -> Path:
    """The test images the model got wrong with the highest confidence: true, predicted, confidence."""
    wrong = misclassified_by_confidence(labels, proba)[:count]
    if len(wrong) == 0:
        figure = new_figure(6, 2)
        figure.text(0.5, 0.5, "No misclassified test images.", ha="center", va="center", fontsize=14)
        return save_png(figure, path)
    rows, columns = _grid(len(wrong), 8)
    figure = new_figure(1.5 * columns, 1.75 * rows + 0.4)
    axes = np.atleast_1d(figure.subplots(rows, columns)).ravel()
    for ax in axes:
        ax.axis("off")
    for ax, index in zip(axes, wrong):
        predicted = int(proba[index].argmax())
        ax.imshow(images[index], cmap="gray_r", vmin=0, vmax=255)
        ax.set_title(f"#{index}: {int(labels[index])} → {predicted}\n{100 * proba[index, predicted]:.1f}%",
                     fontsize=8, color="#b00000")
    figure.suptitle(f"The {len(wrong)} most confident mistakes (test image: true → predicted, confidence)")
    return save_png(figure, path)


def conv_filters(kernel: np.ndarray, path: Path, title: str = "First convolution layer: learned filters") -> Path:
    """Each filter of a convolution (neutral (out, in, kh, kw) kernel; input channel 0 shown)."""
    kernel = np.asarray(kernel)
    filters = kernel[:, 0]
    limit = float(np.abs(filters).max()) or 1.0
    rows, columns = _grid(len(filters), 8)
    figure = new_figure(1.3 * columns + 0.8, 1.4 * rows + 0.6)
    axes = np.atleast_1d(figure.subplots(rows, columns)).ravel()
    image = None
    for ax in axes:
        ax.axis("off")
    for number, (ax, weights) in enumerate(zip(axes, filters)):
        # One symmetric scale for all filters: red weights excite, blue ones inhibit.
        image = ax.imshow(weights, cmap="RdBu_r", vmin=-limit, vmax=limit)
        ax.set_title(f"filter {number + 1}", fontsize=8)
    figure.colorbar(image, ax=list(axes), shrink=0.8, label="weight")
    figure.suptitle(f"{title} ({len(filters)} × {kernel.shape[2]}×{kernel.shape[3]})")
    return save_png(figure, path)


def feature_maps(image: np.ndarray, layers: Sequence[tuple[str, np.ndarray]], path: Path,
                 per_layer: int = 8) -> Path:
    """One image and, per row, the first `per_layer` channels of each (H, W, C) layer output."""
    columns = 1 + per_layer
    figure = new_figure(1.4 * columns, 1.6 * len(layers) + 0.5)
    axes = np.atleast_2d(figure.subplots(len(layers), columns))
    for row, (label, maps) in enumerate(layers):
        for ax in axes[row]:
            ax.axis("off")
        first = axes[row, 0]
        first.imshow(image, cmap="gray_r", vmin=0, vmax=255)
        first.set_title("input" if row == 0 else "", fontsize=8)
        first.text(-4, 14, label, ha="right", va="center", fontsize=8, rotation=90)
        for channel in range(min(per_layer, maps.shape[-1])):
            ax = axes[row, 1 + channel]
            ax.imshow(maps[..., channel], cmap="viridis")
            ax.set_title(f"channel {channel + 1}", fontsize=7)
    figure.suptitle("Feature maps of one test image through the convolution layers "
                    f"(first {per_layer} channels of each; bright = strong response)")
    return save_png(figure, path)


def prediction_bars(image: np.ndarray, proba: np.ndarray, path: Path, true_label: Optional[int] = None,
                    title: str = "") -> Path:
    """An image next to the bar chart of its ten class probabilities, the prediction highlighted."""
    proba = np.asarray(proba, dtype=np.float64)
    predicted = int(proba.argmax())
    figure = new_figure(9, 3.5)
    left, right = figure.subplots(1, 2, width_ratios=[1, 2.2])
    left.imshow(image, cmap="gray_r", vmin=0, vmax=255)
    _hide_ticks(left)
    left.set_title("input" if true_label is None else f"input (true digit {true_label})")
    colours = ["#2ca02c" if digit == predicted else "#9aa5b1" for digit in range(len(proba))]
    bars = right.bar(range(len(proba)), 100 * proba, color=colours)
    for bar, value in zip(bars, proba):
        if value >= 0.005:
            right.text(bar.get_x() + bar.get_width() / 2, 100 * value + 1, f"{100 * value:.1f}",
                       ha="center", va="bottom", fontsize=8)
    right.set_xticks(range(len(proba)))
    right.set_xlabel("digit")
    right.set_ylabel("probability (%)")
    right.set_ylim(0, 110)
    right.set_title(f"prediction: {predicted} ({100 * proba[predicted]:.1f}%)")
    if title:
        figure.suptitle(title)
    return save_png(figure, path)


def kernel_demo(image: np.ndarray, kernel: np.ndarray, result: np.ndarray, path: Path,
                kernel_name: str = "edge kernel") -> Path:
    """Before and after: a digit, the 3x3 kernel with its numbers, and the kernel slid over the digit."""
    figure = new_figure(10, 3.6)
    before, middle, after = figure.subplots(1, 3)
    before.imshow(image, cmap="gray_r", vmin=0, vmax=255)
    before.set_title("before: the digit (28×28)")
    limit = float(np.abs(kernel).max()) or 1.0
    middle.imshow(kernel, cmap="RdBu_r", vmin=-limit, vmax=limit)
    for (i, j), value in np.ndenumerate(kernel):
        middle.text(j, i, f"{value:g}", ha="center", va="center", fontsize=14,
                    color="white" if abs(value) > limit / 2 else "black")
    middle.set_title(f"the {kernel.shape[0]}×{kernel.shape[1]} {kernel_name}")
    reach = float(np.abs(result).max()) or 1.0
    shown = after.imshow(result, cmap="RdBu_r", vmin=-reach, vmax=reach)
    after.set_title("after: kernel slid over every pixel")
    figure.colorbar(shown, ax=after, shrink=0.8)
    for ax in (before, middle, after):
        _hide_ticks(ax)
    figure.suptitle("What a convolution does: each output pixel is the sum of the 3×3 neighbourhood "
                    "times the kernel")
    return save_png(figure, path)
