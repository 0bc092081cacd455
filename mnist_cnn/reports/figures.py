"""Figures of training and evaluation: learning curves and confusion matrices, as PNG files.

matplotlib is imported inside the functions (never at module level) so that `mnist-cnn
--help` and every command that draws nothing stay fast. Figures are drawn on the Agg
canvas directly, with no pyplot and no display: this works on a server, in CI and in a
thread, and never changes the user's matplotlib backend. Each PNG is written atomically.
"""

from __future__ import annotations

import io
import math
from pathlib import Path
from typing import Sequence

import numpy as np

from ..runs import atomic_write_bytes

DPI = 100
# One colour per model in the side-by-side figures (matplotlib's first two default colours),
# and a thinner line with smaller markers for the second: two frameworks trained alike often
# draw the same curve, and the first must still show under the second.
MODEL_COLOURS = ("#1f77b4", "#ff7f0e")
MODEL_LINES = ({"marker": "o", "linewidth": 3.0, "markersize": 8}, {"marker": "s", "linewidth": 1.3, "markersize": 4})


def new_figure(width: float, height: float):
    """A matplotlib Figure on an Agg canvas (inches); no global state touched."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def save_png(figure, path: Path) -> Path:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, buffer.getvalue())
    return path


def history_column(history: Sequence[dict], key: str) -> np.ndarray:
    """A column of a training history as floats; missing values ("" in history.csv) become NaN.

    Works on the rows `train_model` returns and on rows read back from history.csv (strings).
    """
    values = []
    for row in history:
        value = row.get(key, "")
        values.append(float(value) if value not in ("", None) else math.nan)
    return np.array(values, dtype=np.float64)


def _plot_history(axes_loss, axes_acc, history: Sequence[dict], label: str, colour: str, line: dict,
                  steps: Sequence[dict] = ()) -> None:
    epochs = history_column(history, "epoch")
    for key, style, kind in (("train", "-", "training"), ("val", "--", "validation")):
        loss, acc = history_column(history, f"{key}_loss"), history_column(history, f"{key}_accuracy")
        if np.all(np.isnan(loss)):
            continue  # no validation set in this run
        name = f"{label} {kind}".strip()
        if key == "train" and steps:
            # points within the epoch (x: epochs done, so the end of epoch 1 is at 1): a thin line
            at = history_column(steps, "epoch")
            thin = {**line, "marker": None, "linewidth": max(1.0, line.get("linewidth", 1.5) / 2)}
            axes_loss.plot(at, history_column(steps, "train_loss"), style, color=colour, label=name, **thin)
            axes_acc.plot(at, 100 * history_column(steps, "train_accuracy"), style, color=colour, label=name,
                          **thin)
            continue
        axes_loss.plot(epochs, loss, style, color=colour, label=name, **line)
        axes_acc.plot(epochs, 100 * acc, style, color=colour, label=name, **line)


def _decorate_curves(figure, axes_loss, axes_acc, epochs: int, title: str) -> None:
    for axes, ylabel in ((axes_loss, "loss (cross-entropy)"), (axes_acc, "accuracy (%)")):
        axes.set_xlabel("epoch")
        axes.set_ylabel(ylabel)
        axes.set_xticks(range(0 if axes.get_xlim()[0] < 0.9 else 1, max(epochs, 1) + 1))
        axes.grid(True, alpha=0.3)
        axes.legend(fontsize="small")
    axes_loss.set_title("Loss")
    axes_acc.set_title("Accuracy")
    figure.suptitle(title)


def training_curves(history: Sequence[dict], path: Path, title: str = "Training curves",
                    steps: Sequence[dict] = ()) -> Path:
    """Loss and accuracy, training (solid; within the epoch when `steps` are given) against
    validation after each epoch (dashed)."""
    figure = new_figure(10, 4)
    axes_loss, axes_acc = figure.subplots(1, 2)
    _plot_history(axes_loss, axes_acc, history, "", MODEL_COLOURS[0], {"marker": "o"}, steps)
    _decorate_curves(figure, axes_loss, axes_acc, len(history), title)
    return save_png(figure, path)


def training_curves_compared(histories: Sequence[tuple], path: Path,
                             title: str = "Training curves side by side") -> Path:
    """Several models' curves on one chart: one colour per model, solid training, dashed validation.

    histories: (label, history) or (label, history, steps) per model."""
    figure = new_figure(11, 4.5)
    axes_loss, axes_acc = figure.subplots(1, 2)
    for (label, history, *steps), colour, line in zip(histories, MODEL_COLOURS, MODEL_LINES):
        _plot_history(axes_loss, axes_acc, history, label, colour, line, steps[0] if steps else ())
    _decorate_curves(figure, axes_loss, axes_acc, max(len(h[1]) for h in histories), title)
    return save_png(figure, path)


def _draw_confusion(figure, axes, confusion: np.ndarray, title: str) -> None:
    confusion = np.asarray(confusion)
    classes = confusion.shape[0]
    # Colour by the share of each true digit, so that the few mistakes are visible next to
    # ~1,000 correct answers per digit; the printed numbers are the counts.
    share = confusion / np.maximum(confusion.sum(axis=1, keepdims=True), 1)
    axes.imshow(np.sqrt(share), cmap="Blues", vmin=0, vmax=1)
    for i in range(classes):
        for j in range(classes):
            count = int(confusion[i, j])
            if count or i == j:
                axes.text(j, i, str(count), ha="center", va="center", fontsize=7,
                          color="white" if share[i, j] > 0.5 else ("black" if i == j else "#b00000"))
    axes.set_xticks(range(classes))
    axes.set_yticks(range(classes))
    axes.set_xlabel("predicted digit")
    axes.set_ylabel("true digit")
    accuracy = np.trace(confusion) / max(confusion.sum(), 1)
    axes.set_title(f"{title} ({100 * accuracy:.2f}% correct)" if title else f"{100 * accuracy:.2f}% correct")


def confusion_heatmap(confusion: np.ndarray, path: Path, title: str = "Confusion matrix") -> Path:
    """The confusion matrix as a heat map with the count in every non-empty cell."""
    figure = new_figure(6.5, 6)
    _draw_confusion(figure, figure.subplots(), confusion, title)
    return save_png(figure, path)


def confusion_compared(confusions: Sequence[tuple[str, np.ndarray]], path: Path) -> Path:
    """Two (or more) confusion matrices side by side, same colour scale."""
    figure = new_figure(6 * len(confusions), 6)
    axes = np.atleast_1d(figure.subplots(1, len(confusions)))
    for ax, (label, confusion) in zip(axes, confusions):
        _draw_confusion(figure, ax, confusion, label)
    figure.suptitle("Confusion matrices on the 10,000 test images (rows: true digit)")
    return save_png(figure, path)
