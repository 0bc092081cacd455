"""Accuracy off the clean test set: trained runs on the test images under the corruption suite.

`mnist-cnn robustness [RUN ...]` and `compare --robustness` both come here. Each corruption of
corruptions.SUITE is applied once to the test images (seeded, so every model sees the very
same corrupted images) and every run's model classifies them. The result: each run's
accuracy per corruption and their mean, side by side; runs of one framework, recipe and
epoch count (the seeds of `compare --seeds`) are summarised as mean ± sd. robustness.json
holds every run's figures, robustness.md the table, corruptions.png one digit under each
corruption.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

from ..data import corruptions
from ..evaluation import metrics
from ..backends import Classifier, ModelFileError, display_name, get_backend
from ..runs import atomic_write_text, resolve_model, write_json
from ..evaluation.predict import predict_proba_batched

PICTURE = "corruptions.png"
PICTURE_INDEX = 0  # test image #0, a 7: the digit shown under every corruption


@dataclass
class RobustnessModel:
    label: str
    run_dir: Path
    framework: str
    recipe: str
    epochs: int
    seed: object
    classifier: Classifier

    @property
    def group(self) -> str:
        return f"{display_name(self.framework)} {self.recipe}, {self.epochs} epoch(s)"


def load_model(run: str, root: Path) -> RobustnessModel:
    path, framework, run_dir = resolve_model(run, None, root)
    if run_dir is None or not (run_dir / "metrics.json").is_file():
        raise ModelFileError(f"{run}: not a complete run folder (robustness needs runs, with metrics.json)")
    config = json.loads((run_dir / "config.json").read_text())
    summary = json.loads((run_dir / "metrics.json").read_text())
    model = RobustnessModel("", run_dir, framework, summary["recipe"], int(summary["epochs"]), config.get("seed"),
                            get_backend(framework).load(path))
    model.label = f"{model.group} ({run_dir.name})"
    return model


def evaluate(models: Sequence[RobustnessModel], images: np.ndarray, labels: np.ndarray,
             seed: int = corruptions.DEFAULT_SEED, names: Sequence[str] = corruptions.NAMES,
             on_corruption=None) -> dict:
    """Every model's accuracy on the clean images and under each corruption; what robustness.json holds."""
    rows = [{"label": m.label, "run": str(m.run_dir), "framework": m.framework, "recipe": m.recipe,
             "epochs": m.epochs, "seed": m.seed, "group": m.group, "accuracy": {}} for m in models]

    def score(name: str, corrupted: np.ndarray) -> None:
        for row, model in zip(rows, models):
            row["accuracy"][name] = metrics.accuracy(labels, predict_proba_batched(model.classifier, corrupted)
                                                     .argmax(axis=1))

    score("clean", images)
    for name in names:
        if on_corruption is not None:
            on_corruption(name)
        score(name, corruptions.corrupt(images, name, seed))  # one corrupted set at a time: little memory
    for row in rows:
        row["mean_corrupted"] = float(np.mean([row["accuracy"][n] for n in names]))
    return {
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "seed": seed,
        "test_images": int(len(images)),
        "corruptions": [{"name": c.name, "strength": c.strength, "description": c.description}
                        for c in corruptions.SUITE if c.name in names],
        "runs": rows,
        "groups": group_summary(rows, names),
        "figures": [PICTURE],
    }


def group_summary(rows: Sequence[dict], names: Sequence[str]) -> list[dict]:
    """Runs of one framework, recipe and epoch count: mean and standard deviation per corruption."""
    groups: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        groups[row["group"]].append(row)
    summary = []
    for group, members in groups.items():
        keys = ["clean", *names, "mean_corrupted"]
        values = {k: np.array([m["mean_corrupted"] if k == "mean_corrupted" else m["accuracy"][k] for m in members])
                  for k in keys}
        summary.append({"group": group, "runs": len(members),
                        "mean": {k: float(v.mean()) for k, v in values.items()},
                        "sd": {k: float(v.std(ddof=1)) if len(v) > 1 else 0.0 for k, v in values.items()}})
    return summary


def _columns(result: dict) -> list[tuple[str, dict, Optional[dict]]]:
    """(heading, values, sds): one column per group of several runs, one per single run."""
    columns = []
    for group in result["groups"]:
        if group["runs"] > 1:
            columns.append((f"{group['group']}, mean ± sd of {group['runs']} runs", group["mean"], group["sd"]))
        else:
            row = next(r for r in result["runs"] if r["group"] == group["group"])
            columns.append((row["label"], {**row["accuracy"], "mean_corrupted": row["mean_corrupted"]}, None))
    return columns


def _cell(values: dict, sds: Optional[dict], key: str) -> str:
    text = f"{100 * values[key]:.2f}"
    return f"{text} ± {100 * sds[key]:.2f}" if sds is not None else text


def table_rows(result: dict) -> list[tuple[str, str, list[str]]]:
    """(corruption, strength, cells): the table robustness.md and the terminal show."""
    columns = _columns(result)
    rows = [("clean test set", "", [_cell(v, s, "clean") for _, v, s in columns])]
    for c in result["corruptions"]:
        rows.append((c["name"], f"{c['strength']:g}", [_cell(v, s, c["name"]) for _, v, s in columns]))
    rows.append((f"mean of the {len(result['corruptions'])} corruptions", "",
                 [_cell(v, s, "mean_corrupted") for _, v, s in columns]))
    return rows


def to_markdown(result: dict) -> str:
    columns = _columns(result)
    lines = ["# Robustness to corrupted digits", "",
             f"Test accuracy (%) on the {result['test_images']:,} test images, clean and under each corruption "
             f"of the suite (seed {result['seed']}; every model sees the same corrupted images). The corruptions "
             "are modelled on MNIST-C; `mnist_cnn/corruptions.py` describes each one and its strength.", "",
             "| corruption | strength | " + " | ".join(h for h, _, _ in columns) + " |",
             "|---|---:|" + "---:|" * len(columns)]
    for name, strength, cells in table_rows(result):
        lines.append(f"| {name} | {strength} | " + " | ".join(cells) + " |")
    lines += ["", "| corruption | what it does |", "|---|---|"]
    lines += [f"| {c['name']} | {c['description']} |" for c in result["corruptions"]]
    lines += ["", f"![One test digit under each corruption]({PICTURE})", "",
              "Runs: " + ", ".join(f"`{r['run']}`" for r in result["runs"]), ""]
    return "\n".join(lines)


def corruption_picture(image: np.ndarray, path: Path, seed: int = corruptions.DEFAULT_SEED) -> Path:
    """One digit, clean and under each corruption, in a 4 × 4 grid with the names and strengths."""
    from .figures import new_figure, save_png

    figure = new_figure(8, 8.8)
    axes = figure.subplots(4, 4)
    panels = [("clean", image)] + [(f"{c.name}\n({c.strength:g})", corruptions.corrupt(image[None], c.name, seed)[0])
                                   for c in corruptions.SUITE]
    for ax, (title, pixels) in zip(axes.flat, panels):
        ax.imshow(pixels, cmap="gray", vmin=0, vmax=255)
        ax.set_title(title, fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    figure.suptitle("One test digit under each corruption (strength in brackets)")
    return save_png(figure, path)


def write_robustness(result: dict, folder: Path, images: np.ndarray) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    corruption_picture(images[PICTURE_INDEX], folder / PICTURE, result["seed"])
    write_json(folder / "robustness.json", result)
    atomic_write_text(folder / "robustness.md", to_markdown(result))
    return folder / "robustness.md"


def default_runs(root: Path) -> list[str]:
    """No runs named: the newest run of each framework in the runs folder."""
    from ..runs import latest_run

    found = [str(run) for run in (latest_run(root, "torch"), latest_run(root, "keras")) if run is not None]
    if not found:
        raise ModelFileError(f"no runs in {root}: train one first (mnist-cnn train), or name run folders")
    return found


def check_runs(console, runs: Sequence[str], folder: Optional[Path], root: Path, data_dir: Optional[str] = None,
               seed: int = corruptions.DEFAULT_SEED, limit: Optional[int] = None) -> tuple[Path, dict]:
    """Load the runs and the test set, evaluate under the suite, write robustness.* into `folder`
    (None: a new <runs dir>/robustness-<time>/); returns robustness.md and the result."""
    from ..data.loading import load_data

    models = [load_model(run, root) for run in runs]
    if len({m.run_dir.resolve() for m in models}) < len(models):
        raise ValueError("a run is named twice: give each run once")
    data = load_data(data_dir, console)
    images, labels = data.test_images[:limit], data.test_labels[:limit]
    console.print(f"Classifying {len(images):,} test images under {len(corruptions.SUITE)} corruptions "
                  f"with {len(models)} model(s)…")
    result = evaluate(models, images, labels, seed,
                      on_corruption=lambda name: console.print(f"  {name}", style="dim"))
    if folder is None:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        folder, counter = root / f"robustness-{stamp}", 2
        while folder.exists():
            folder, counter = root / f"robustness-{stamp}-{counter}", counter + 1
    return write_robustness(result, folder, images), result


def result_table(result: dict):
    from rich.table import Table

    table = Table(title="Test accuracy (%) under each corruption", show_edge=False)
    table.add_column("corruption")
    table.add_column("strength", justify="right")
    for heading, _, _ in _columns(result):
        table.add_column(heading, justify="right")
    rows = table_rows(result)
    for n, (name, strength, cells) in enumerate(rows):
        if n == len(rows) - 1:
            table.add_section()
        table.add_row(name, strength, *cells, style="bold" if n in (0, len(rows) - 1) else None)
    return table
