"""Two trained runs side by side: one table, agreement and McNemar, compare.json, compare.md, figures.

The training figures (seconds, images per second, parameters, model size, peak memory)
come from each run's metrics.json, written by the process that trained it. Accuracy, loss,
agreement and inference timing are measured here, afresh, on the 10,000 test images.

Numbers are stored in compare.json rounded to the precision compare.md shows, so the two
files carry the very same numbers.
"""

from __future__ import annotations

import json
import os
import platform
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import numpy as np

from ..backends import Classifier, ModelFileError, display_name, get_backend
from ..data.mnist import Mnist
from ..evaluation import metrics
from ..evaluation.agreement import agreement
from ..evaluation.predict import predict_proba_batched
from ..evaluation.timing import measure_inference
from ..runs import atomic_write_text, load_run_summary, read_csv, resolve_model, write_json
from . import figures
from .step_history import read_steps

# (key in compare.json, label in the table, decimals; None: text)
ROWS: list[tuple[str, str, Optional[int]]] = [
    ("recipe", "recipe", None),
    ("seed", "seed", None),
    ("test_accuracy_percent", "test accuracy (%)", 2),
    ("test_loss", "test loss", 4),
    ("epochs", "epochs", 0),
    ("train_seconds", "training time (s)", 1),
    ("seconds_per_epoch", "training time per epoch (s)", 1),
    ("train_images_per_second", "training images per second", 0),
    ("latency_ms_median", "single-image latency, median (ms)", 3),
    ("latency_ms_p95", "single-image latency, 95th percentile (ms)", 3),
    ("batch_images_per_second", "batch inference (images per second)", 0),
    ("parameters", "trainable parameters", 0),
    ("model_bytes", "model file (bytes)", 0),
    ("peak_memory_mb", "peak memory of training (MB)", 0),
]
P_VALUE_DIGITS = 4  # significant digits of McNemar's p
CURVES = "curves.png"
CONFUSION = "confusion.png"


def rounded(value, decimals: Optional[int]):
    if decimals is None:
        return value
    return int(round(value)) if decimals == 0 else round(float(value), decimals)


def format_cell(value, decimals: Optional[int]) -> str:
    if decimals is None:
        return str(value)
    return f"{value:,}" if decimals == 0 else f"{value:,.{decimals}f}"


def format_p(p: float) -> str:
    return f"{p:.{P_VALUE_DIGITS}g}"


@dataclass
class ComparedModel:
    label: str
    run_dir: Path
    framework: str
    classifier: Classifier
    config: dict           # the run's config.json
    summary: dict          # the run's metrics.json
    history: list[dict]    # the run's history.csv
    steps: list[dict] = field(default_factory=list)  # the run's steps.csv (none for older runs)


def load_compared(run: str, root: Path) -> ComparedModel:
    path, framework, run_dir = resolve_model(run, None, root)
    if run_dir is None or not (run_dir / "metrics.json").is_file():
        raise ModelFileError(f"{run}: not a complete run folder; compare needs runs (with metrics.json), "
                             f"not bare model files")
    return ComparedModel(display_name(framework), run_dir, framework, get_backend(framework).load(path),
                         json.loads((run_dir / "config.json").read_text()), load_run_summary(run_dir),
                         read_csv(run_dir / "history.csv"), read_steps(run_dir))


def _labels(a: ComparedModel, b: ComparedModel) -> None:
    # Framework names say it all unless both runs are of one framework.
    if a.framework == b.framework:
        a.label = f"{a.label} ({a.run_dir.name})"
        b.label = f"{b.label} ({b.run_dir.name})"


def model_row(model: ComparedModel, report: metrics.Report, timing: dict) -> dict:
    summary = model.summary
    values = {
        "recipe": summary["recipe"],
        "seed": model.config.get("seed", ""),
        "test_accuracy_percent": 100 * report.accuracy,
        "test_loss": report.loss,
        "epochs": summary["epochs"],
        "train_seconds": summary["train_seconds"],
        "seconds_per_epoch": summary["train_seconds"] / summary["epochs"],
        "train_images_per_second": summary["train_images_per_second"],
        "latency_ms_median": timing["latency_ms_median"],
        "latency_ms_p95": timing["latency_ms_p95"],
        "batch_images_per_second": timing["batch_images_per_second"],
        "parameters": summary["parameters"],
        "model_bytes": summary["model_bytes"],
        "peak_memory_mb": summary["peak_memory_mb"],
    }
    return {"label": model.label, "framework": model.framework, "run": str(model.run_dir),
            **{key: rounded(values[key], decimals) for key, _, decimals in ROWS}}


def compare_models(a: ComparedModel, b: ComparedModel, data: Mnist, trained_here: bool = False) -> dict:
    """Evaluate, time and set side by side two loaded runs; returns what compare.json holds."""
    if a.run_dir.resolve() == b.run_dir.resolve():
        raise ValueError(f"both runs are {a.run_dir}: give two different runs to compare")
    _labels(a, b)
    images, labels = data.test_images, data.test_labels
    # On a shared machine the other processes decide much of the timing: record how busy it was.
    load_before = os.getloadavg()[0]
    proba = [predict_proba_batched(m.classifier, images) for m in (a, b)]
    reports = [metrics.report(labels, p) for p in proba]
    timings = [t.to_dict() for t in measure_inference([a.classifier, b.classifier], images)]
    agree = agreement(labels, proba[0].argmax(axis=1), proba[1].argmax(axis=1)).to_dict()
    agree["mcnemar_p"] = float(format_p(agree["mcnemar_p"]))
    method = {key: timings[0][key]
              for key in ("latency_warmup", "latency_repeats", "batch_size", "batch_repeats", "rounds")}
    return {
        "title": f"{a.label} vs {b.label}",
        "trained_by_compare": trained_here,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": {"platform": platform.platform(), "processor": platform.machine(), "cpu_count": os.cpu_count(),
                    "load_average_1min": [round(load_before, 2), round(os.getloadavg()[0], 2)]},
        "models": [model_row(m, r, t) for m, r, t in zip((a, b), reports, timings)],
        "agreement": agree,
        "timing_method": method,
        "confusion_matrices": [r.confusion.tolist() for r in reports],
        "figures": [CURVES, CONFUSION],
    }


def agreement_rows(result: dict) -> list[tuple[str, int]]:
    a, b = (m["label"] for m in result["models"])
    agree = result["agreement"]
    return [("test images", agree["total"]),
            ("same digit predicted by both", agree["same_prediction"]),
            ("both right", agree["both_right"]),
            (f"only {a} right", agree["only_a_right"]),
            (f"only {b} right", agree["only_b_right"]),
            ("both wrong", agree["both_wrong"])]


def verdict(result: dict) -> str:
    p = result["agreement"]["mcnemar_p"]
    if p < 0.05:
        better = max(result["models"], key=lambda m: m["test_accuracy_percent"])["label"]
        return f"p = {format_p(p)} < 0.05: the difference is unlikely to be chance; {better} is more accurate."
    return (f"p = {format_p(p)} ≥ 0.05: the difference in accuracy could well be chance; "
            f"these 10,000 images do not show that either model is more accurate.")


def to_markdown(result: dict) -> str:
    a, b = result["models"]
    method = result["timing_method"]
    load = result["machine"]["load_average_1min"]
    lines = [f"# {result['title']}", ""]
    if result["trained_by_compare"]:
        lines += ["Both models were trained by `mnist-cnn compare` with the same architecture, initial "
                  "weights, train/validation split, batch order, augmentation (if the recipe has any) and "
                  "learning rates, each framework in a process of its own (so peak memory is each "
                  "framework's own).", ""]
    lines += [f"| | {a['label']} | {b['label']} |", "|---|---:|---:|"]
    for key, label, decimals in ROWS:
        lines.append(f"| {label} | {format_cell(a[key], decimals)} | {format_cell(b[key], decimals)} |")
    lines += ["", "## Agreement on the test images", "", "| | images |", "|---|---:|"]
    lines += [f"| {label} | {count:,} |" for label, count in agreement_rows(result)]
    lines += ["", f"McNemar's exact test (on the images only one model gets right): {verdict(result)}", "",
              "## Figures", "",
              f"![Training curves of both models]({CURVES})", "",
              f"![Confusion matrices side by side]({CONFUSION})", "",
              "## How it was measured", "",
              f"Single-image latency: {method['latency_warmup']} warm-up calls, then the median and 95th "
              f"percentile of {method['latency_repeats']} calls with one image each (as the camera calls "
              f"the model). Batch inference: the median of {method['batch_repeats']} batches of "
              f"{method['batch_size']} images after warm-up. The two models took turns in "
              f"{method['rounds']} rounds, so that both saw the same background load. Each framework "
              f"uses its default number of threads. Training figures come from each run's "
              f"metrics.json. Runs: `{a['run']}` and `{b['run']}`. Machine: {result['machine']['platform']}, "
              f"{result['machine']['cpu_count']} CPU(s), load average {load[0]:.2f} before and {load[1]:.2f} "
              f"after the inference timing (above the CPU count, other processes were competing for "
              f"the CPUs).", ""]
    return "\n".join(lines)


def write_comparison(result: dict, a: ComparedModel, b: ComparedModel, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    figures.training_curves_compared([(a.label, a.history, a.steps), (b.label, b.history, b.steps)], folder / CURVES)
    figures.confusion_compared([(m["label"], np.array(cm)) for m, cm in
                                zip(result["models"], result["confusion_matrices"])], folder / CONFUSION)
    write_json(folder / "compare.json", result)
    atomic_write_text(folder / "compare.md", to_markdown(result))


def publish_compare_folder(staging: Path, root: Path, recipe: str) -> Path:
    """Rename a complete staging folder (from runs.new_run) to compare-<time>-<recipe>."""
    base = f"compare-{time.strftime('%Y%m%d-%H%M%S')}-{recipe}"
    final, counter = root / base, 2
    while True:
        try:
            os.rename(staging, final)  # fails on an existing non-empty folder: never overwrites
            return final
        except OSError:
            if not final.exists():
                raise
            final, counter = root / f"{base}-{counter}", counter + 1


def read_comparison(folder: Path) -> dict:
    return json.loads((folder / "compare.json").read_text())
