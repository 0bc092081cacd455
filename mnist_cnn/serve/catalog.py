"""The runs folder as the Runs page sees it: read only, everything found by name.

The browser names a run as the listing shows it and a figure by a fixed word ("curves",
"confusion"); both are looked up here among what the listing holds, so no text from the
browser is ever joined into a path.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

from ..backends import FRAMEWORKS, display_name
from ..runs import list_runs, run_framework

# The figures every run has (run_report.write_training_figures) and every comparison has.
FIGURES = {"curves": "curves.png", "confusion": "confusion.png"}


def _json(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def runs_listing(root: Path) -> list[dict]:
    """The complete runs, newest first, with what the table shows."""
    out = []
    for run in reversed(list_runs(root)):
        metrics, config = _json(run / "metrics.json"), _json(run / "config.json")
        framework = run_framework(run)
        accuracy = metrics.get("test_accuracy")
        out.append({
            "name": run.name,
            "framework": framework,
            "framework_name": display_name(framework) if framework in FRAMEWORKS else framework,
            "recipe": config.get("recipe") or metrics.get("recipe"),
            "test_accuracy": accuracy,
            "epochs": metrics.get("epochs"),
            "train_seconds": metrics.get("train_seconds"),
            "parameters": metrics.get("parameters"),
            "figures": [word for word, file in FIGURES.items() if (run / "plots" / file).is_file()],
        })
    return out


def run_figure(root: Path, name: str, figure: str) -> Optional[Path]:
    """The figure file of the run called `name` in the listing, or None."""
    if figure not in FIGURES:
        return None
    runs = {run.name: run for run in list_runs(root)}
    if name not in runs:
        return None
    path = runs[name] / "plots" / FIGURES[figure]
    return path if path.is_file() else None


def latest_comparison_folder(root: Path) -> Optional[Path]:
    """The newest `compare-<time>-<recipe>` folder with a compare.json (names sort by time)."""
    if not root.is_dir():
        return None
    found = sorted(p for p in root.iterdir()
                   if p.is_dir() and p.name.startswith("compare-") and (p / "compare.json").is_file())
    return found[-1] if found else None


def latest_comparison(root: Path) -> Optional[dict]:
    folder = latest_comparison_folder(root)
    if folder is None:
        return None
    result = _json(folder / "compare.json")
    markdown = folder / "compare.md"
    return {"name": folder.name, "title": result.get("title"), "models": result.get("models", []),
            "agreement": result.get("agreement", {}),
            "markdown": markdown.read_text() if markdown.is_file() else "",
            "figures": [word for word, file in FIGURES.items() if (folder / file).is_file()]}


def comparison_figure(root: Path, figure: str) -> Optional[Path]:
    folder = latest_comparison_folder(root)
    if folder is None or figure not in FIGURES:
        return None
    path = folder / FIGURES[figure]
    return path if path.is_file() else None
