"""`mnist-cnn recipes` and `mnist-cnn runs`: what can be trained, what has been."""

from __future__ import annotations

import json

import click
from rich.table import Table

from ..config import DEFAULT_RECIPE, RECIPE_NOTES, RECIPES
from ..models.architectures import trainable_parameter_counts
from ..runs import list_runs, runs_root
from .common import FRAMEWORK_CHOICE, console, runs_dir_option


@click.command()
def recipes():
    """List the training recipes with their settings."""
    table = Table(show_edge=False)
    for column in ("recipe", "parameters", "epochs", "batch", "lr", "optimizer", "schedule", "val"):
        table.add_column(column, no_wrap=True)
    for name, config in RECIPES.items():
        table.add_row(name + ("*" if name == DEFAULT_RECIPE else ""),
                      f"{sum(trainable_parameter_counts(config.spec)):,}", str(config.epochs),
                      str(config.batch_size), f"{config.lr:g}", config.optimizer, config.schedule,
                      f"{config.val_split:g}")
    out = console()
    out.print(table)
    for name, note in RECIPE_NOTES.items():
        out.print(f"  {name}: {note}")
    out.print("* the default. Any setting can be overridden: mnist-cnn train --recipe kids --epochs 5")


@click.command()
@click.option("--framework", "-f", type=FRAMEWORK_CHOICE, default=None, help="Only this framework's runs.")
@runs_dir_option
def runs(framework, runs_dir):
    """List the complete runs, newest last, with their test accuracy."""
    root = runs_root(runs_dir)
    found = list_runs(root, framework)
    out = console()
    if not found:
        out.print(f"No runs in {root} yet: train one with `mnist-cnn train`.")
        return
    table = Table(show_edge=False)
    for column in ("run", "test accuracy", "train s", "epochs"):
        table.add_column(column)
    for run in found:
        summary = json.loads((run / "metrics.json").read_text())
        table.add_row(run.name, f"{100 * summary['test_accuracy']:.2f}%", f"{summary['train_seconds']:.1f}",
                      str(summary["epochs"]))
    out.print(table)
