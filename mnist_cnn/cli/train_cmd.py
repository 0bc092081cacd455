"""`mnist-cnn train`."""

from __future__ import annotations

import click

from ..config import DEFAULT_RECIPE, RECIPE_NOTES, RECIPES
from .common import FRAMEWORK_CHOICE, console, data_dir_option, friendly_errors, runs_dir_option

RECIPE_HELP = "; ".join(f"{name}: {note}" for name, note in RECIPE_NOTES.items())


@click.command()
@click.option("--framework", "-f", type=FRAMEWORK_CHOICE, default="torch", show_default=True,
              help="Which framework trains the network.")
@click.option("--recipe", "-r", type=click.Choice(list(RECIPES)), default=DEFAULT_RECIPE, show_default=True,
              help=f"Architecture plus training settings. {RECIPE_HELP}.")
@click.option("--epochs", type=click.IntRange(min=1), default=None, help="Override the recipe's epochs.")
@click.option("--batch-size", type=click.IntRange(min=1), default=None, help="Override the batch size.")
@click.option("--lr", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Override the (peak) learning rate.")
@click.option("--seed", type=int, default=None, help="Random seed (split, batch order, initial weights, dropout).")
@click.option("--val-split", type=click.FloatRange(0, 1, max_open=True), default=None,
              help="Fraction of the 60,000 training images held out for validation.")
@click.option("--label-smoothing", type=click.FloatRange(0, 1, max_open=True), default=None,
              help="Override the label smoothing.")
@click.option("--train-limit", type=click.IntRange(min=1), default=None,
              help="Train on only the first N training images (quick experiments).")
@click.option("--ensemble", type=click.IntRange(min=1), default=1, show_default=True,
              help="Train N models (seeds S, S+1, ...), each its own run, and report their averaged "
                   "predictions; recorded in an extra '<...>-ensembleN' folder.")
@data_dir_option
@runs_dir_option
@friendly_errors
def train(framework, recipe, epochs, batch_size, lr, seed, val_split, label_smoothing, train_limit, ensemble,
          data_dir, runs_dir):
    """Train a recipe on MNIST, test it, and save a run folder.

    Shows live progress, prints the test accuracy, and writes
    runs/<time>-<framework>-<recipe>/ with the model, config.json, history.csv and
    metrics.json. Ctrl-C stops cleanly and leaves no partial run.

    \b
    Examples:
      mnist-cnn train                          # PyTorch, recipe "fast"
      mnist-cnn train -f keras -r kids
      mnist-cnn train -r lab7 --epochs 5 --seed 1
      mnist-cnn train -r accurate --ensemble 5     # five seeds, averaged
    """
    from .. import workflows

    overrides = dict(epochs=epochs, batch_size=batch_size, lr=lr, seed=seed, val_split=val_split,
                     label_smoothing=label_smoothing, train_limit=train_limit)
    workflows.train(framework, recipe, overrides, console(), data_dir, runs_dir, ensemble=ensemble)
