"""`mnist-cnn compare`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from ..config import DEFAULT_RECIPE, RECIPES
from .common import console, data_dir_option, friendly_errors, runs_dir_option


@click.command()
@click.option("--recipe", "-r", type=click.Choice(list(RECIPES)), default=None,
              help=f"The recipe both frameworks train. Default: {DEFAULT_RECIPE}.")
@click.option("--epochs", type=click.IntRange(min=1), default=None, help="Override the recipe's epochs.")
@click.option("--seed", type=int, default=None, help="Random seed for both (split, batch order, initial weights).")
@click.option("--train-limit", type=click.IntRange(min=1), default=None,
              help="Train on only the first N training images (quick experiments).")
@click.option("--runs", "runs", nargs=2, metavar="RUN_A RUN_B", default=None,
              help="Compare two existing run folders instead of training (any two runs: two frameworks, "
                   "two recipes or two seeds).")
@click.option("--out", type=click.Path(file_okay=False), default=None,
              help="Folder for the comparison. Default: <runs dir>/compare-<time>-<recipe>/.")
@data_dir_option
@runs_dir_option
@friendly_errors
def compare(recipe, epochs, seed, train_limit, runs, out, data_dir, runs_dir):
    """Train one recipe in PyTorch and in Keras and compare them side by side.

    Both frameworks get the same architecture, initial weights, data split, batch order and
    learning rates, and each trains in a process of its own. Then both are evaluated on the
    10,000 test images and timed, and one table shows accuracy, loss, training time and
    speed, single-image latency, batch throughput, parameters, model size, peak memory,
    how often the two agree, and McNemar's exact test on the accuracy difference.

    Writes compare.json, compare.md, curves.png and confusion.png.

    \b
    Examples:
      mnist-cnn compare                       # recipe fast, 2 epochs each
      mnist-cnn compare -r lab7 --epochs 1
      mnist-cnn compare --runs runs/A runs/B  # no training
    """
    from ..side_by_side import CompareError
    from ..side_by_side import compare as run_compare

    if runs and any(v is not None for v in (recipe, epochs, seed, train_limit)):
        raise click.UsageError("--runs compares two existing runs; --recipe, --epochs, --seed and "
                               "--train-limit apply only when compare trains")
    overrides = dict(epochs=epochs, seed=seed, train_limit=train_limit)
    try:
        run_compare(console(), recipe or DEFAULT_RECIPE, overrides, runs, out, data_dir, runs_dir)
    except CompareError as exc:
        raise click.ClickException(str(exc)) from None


def child_main() -> None:
    """Entry point of a training child: `python -c ... RESULT_FILE ARGS_JSON`.

    Trains like `mnist-cnn train` (same progress display, same errors) and writes the run
    folder's path to RESULT_FILE for the parent.
    """
    from .. import workflows
    from ..config import TrainConfig

    result_file, args = sys.argv[1], json.loads(sys.argv[2])
    try:
        outcome = friendly_errors(workflows.train)(
            args["framework"], TrainConfig.from_dict(args["config"]), console(), args["data_dir"], args["runs_dir"])
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    Path(result_file).write_text(str(outcome.run_dir))
