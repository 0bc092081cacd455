"""The report of one run: the figures the source notebooks show, under `<run>/plots/`, and report.md.

Training writes the first two figures itself (`write_training_figures`); `mnist-cnn report
RUN` writes all six and a report.md that shows them in order. Everything framework
specific goes through the backend (weights, layer outputs), so one code path serves both.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from ..backends import Classifier, ModelFileError, display_name, get_backend
from ..data.loading import load_data
from ..data.mnist import Mnist
from ..evaluation import metrics
from ..evaluation.metrics import Report
from ..evaluation.predict import predict_proba_batched
from ..models.architectures import Conv
from ..runs import atomic_write_text, load_run_summary, read_csv, resolve_model, runs_root
from . import figures, figures_model
from .step_history import read_steps

PLOTS = "plots"
CURVES = "curves.png"
CONFUSION = "confusion.png"
MISTAKES = "misclassified.png"
FILTERS = "filters.png"
FEATURE_MAPS = "feature_maps.png"
PREDICTION = "prediction.png"


def write_training_figures(plots_dir: Path, history: Sequence[dict], report: Report, label: str,
                           steps: Sequence[dict] = ()) -> list[Path]:
    """The two figures every training run gets: learning curves and the confusion matrix.

    steps: the points within the epoch (steps.csv); runs trained before them have none."""
    return [
        figures.training_curves(history, plots_dir / CURVES, title=f"{label}: training curves", steps=steps),
        figures.confusion_heatmap(report.confusion, plots_dir / CONFUSION, title=f"{label} on the test set"),
    ]


def channels_last(array: np.ndarray, channels_first: bool) -> np.ndarray:
    """(N, C, H, W) -> (N, H, W, C) when the framework puts channels first; else unchanged."""
    return array.transpose(0, 2, 3, 1) if channels_first and array.ndim == 4 else array


@dataclass
class Section:
    title: str
    file: str
    text: str


def _conv_indices(classifier: Classifier) -> list[int]:
    return [i for i, layer in enumerate(classifier.spec.layers) if isinstance(layer, Conv)]


def write_report(run_dir: Path, classifier: Classifier, data: Mnist, image_index: int = 0) -> Path:
    """Write every figure of `run_dir`'s model into `<run>/plots/` and `<run>/report.md`; return report.md."""
    if not 0 <= image_index < len(data.test_images):
        raise ValueError(f"test image index must be between 0 and {len(data.test_images) - 1} (got {image_index})")
    name = display_name(classifier.framework)
    plots = run_dir / PLOTS
    summary = load_run_summary(run_dir)
    history = read_csv(run_dir / "history.csv")
    steps = read_steps(run_dir)
    proba = predict_proba_batched(classifier, data.test_images)
    report = metrics.report(data.test_labels, proba)  # the same evaluation as `evaluate`
    sections = evaluation_sections(plots, history, report, proba, data, name, steps)
    has_conv = bool(_conv_indices(classifier))
    if has_conv:
        sections += inside_sections(plots, classifier, data.test_images[image_index], image_index)
    else:
        # An architecture without convolutions (mlp) has no filters or feature maps to show;
        # remove figures a previous report may have left.
        for stale in (FILTERS, FEATURE_MAPS):
            (plots / stale).unlink(missing_ok=True)
    sections.append(prediction_section(plots, proba, data, image_index, name))
    path = run_dir / "report.md"
    atomic_write_text(path, report_markdown(run_dir, summary, report, sections, name, has_conv))
    return path


def evaluation_sections(plots: Path, history: list[dict], report: Report, proba: np.ndarray, data: Mnist,
                        name: str, steps: Sequence[dict] = ()) -> list[Section]:
    """The figures of how training went and how the model does on the test set."""
    write_training_figures(plots, history, report, name, steps)
    figures_model.misclassified_gallery(data.test_images, data.test_labels, proba, plots / MISTAKES)
    return [
        Section("Training curves", CURVES,
                "Loss and accuracy on the training images (solid: every few dozen steps, or per epoch for "
                "older runs) and on the held-out validation images after each epoch (dashed). Validation "
                "far worse than training means overfitting."),
        Section("Confusion matrix", CONFUSION,
                "Rows are the true digits, columns the predictions: the diagonal is right, every "
                "other number is a mistake of that kind."),
        Section("Most confident mistakes", MISTAKES,
                "The test images the model got wrong while being most sure of itself. Many are "
                "digits a person would hesitate over too."),
    ]


def inside_sections(plots: Path, classifier: Classifier, image: np.ndarray, image_index: int) -> list[Section]:
    """Inside the network: the first layer's filters and every convolution's feature maps of one image."""
    backend = get_backend(classifier.framework)
    conv = _conv_indices(classifier)
    kernel = backend.weights(classifier)[conv[0]]["kernel"]
    figures_model.conv_filters(kernel, plots / FILTERS)
    outputs = backend.layer_outputs(classifier, image[None])
    layers = classifier.spec.layers
    maps = [(f"conv {n + 1}: {layers[i].filters}@{layers[i].kernel}×{layers[i].kernel}",
             channels_last(outputs[i], backend.channels_first)[0]) for n, i in enumerate(conv)]
    figures_model.feature_maps(image, maps, plots / FEATURE_MAPS)
    return [
        Section("First convolution layer: learned filters", FILTERS,
                "Each small square is one filter of the first layer, the pattern it responds to. "
                "Many look like stroke or edge detectors."),
        Section(f"Feature maps of test image #{image_index}", FEATURE_MAPS,
                "What the convolution layers make of one digit: each map is one filter's response. "
                "Deeper layers are smaller and more abstract."),
    ]


def prediction_section(plots: Path, proba: np.ndarray, data: Mnist, image_index: int, name: str) -> Section:
    """The ten probabilities of one test image."""
    figures_model.prediction_bars(data.test_images[image_index], proba[image_index], plots / PREDICTION,
                                  true_label=int(data.test_labels[image_index]),
                                  title=f"{name}: one prediction (test image #{image_index})")
    return Section(f"One prediction (test image #{image_index})", PREDICTION,
                   "The ten probabilities the model gives one image; the prediction is the largest.")


def report_markdown(run_dir: Path, summary: dict, report: Report, sections: list[Section], name: str,
                    has_conv: bool) -> str:
    """report.md: the run in one paragraph, then every figure in order with what it shows."""
    lines = [f"# Report: {run_dir.name}", "",
             f"{name}, recipe `{summary['recipe']}`, {summary['epochs']} epoch(s): test accuracy "
             f"**{100 * report.accuracy:.2f}%** ({report.correct:,} of {report.total:,}), "
             f"loss {report.loss:.4f}; {summary['parameters']:,} parameters, trained in "
             f"{summary['train_seconds']:.1f} s.", ""]
    if not has_conv:
        lines += ["This architecture has no convolution layers, so there are no filters or feature maps.", ""]
    for number, section in enumerate(sections, start=1):
        lines += [f"## {number}. {section.title}", "", section.text, "",
                  f"![{section.title}]({PLOTS}/{section.file})", ""]
    return "\n".join(lines)


def report_figures(report_md: Path) -> list[Path]:
    """The figure files report.md shows, in order (for printing and for the tests)."""
    folder = report_md.parent
    found = []
    for line in report_md.read_text().splitlines():
        if line.startswith("![") and "](" in line:
            found.append(folder / line.split("](", 1)[1].rstrip(")"))
    return found


def make_report(model: str, framework: str | None, console, data_dir=None, runs_dir=None,
                image_index: int = 0) -> Path:
    """`mnist-cnn report RUN`: resolve the run, load its model and the test set, write the report."""
    path, found, run_dir = resolve_model(model, framework, runs_root(runs_dir))
    if run_dir is None or not (run_dir / "metrics.json").is_file():
        raise ModelFileError(f"{path}: a report needs a complete run folder (with metrics.json and "
                             f"history.csv), not a bare model file")
    classifier = get_backend(found).load(path)
    data = load_data(data_dir, console)
    report_md = write_report(run_dir, classifier, data, image_index)
    console.print(f"Report written to [bold]{report_md}[/]")
    for figure in report_figures(report_md):
        console.print(f"  {figure}")
    return report_md
