"""`mnist-cnn compare`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from ..config import DEFAULT_RECIPE, RECIPES
from .common import FRAMEWORKS, console, data_dir_option, friendly_errors, runs_dir_option


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
@click.option("--seeds", type=click.IntRange(min=1), default=1, show_default=True,
              help="Train each framework with N seeds (S, S+1, ...; the same for both) and report mean ± sd, "
                   "min/max, the difference next to the seed spread with paired tests, and per-class recall. "
                   "The runs go into <compare folder>/runs/.")
@click.option("--robustness", is_flag=True,
              help="Also test the compared runs under the 15 corruptions (as `mnist-cnn robustness`), into the "
                   "compare folder.")
@click.option("--tensorboard", is_flag=True,
              help="The runs trained here also write TensorBoard event files (tensorboard --logdir runs).")
@click.option("--out", type=click.Path(file_okay=False), default=None,
              help="Folder for the comparison. Default: <runs dir>/compare-<time>-<recipe>/.")
@data_dir_option
@runs_dir_option
@friendly_errors
def compare(recipe, epochs, seed, train_limit, runs, seeds, robustness, tensorboard, out, data_dir, runs_dir):
    """Train one recipe in PyTorch and in Keras and compare them side by side.

    Both frameworks get the same architecture, initial weights, data split, batch order and
    learning rates, and each trains in a process of its own. Then both are evaluated on the
    10,000 test images and timed, and one table shows accuracy, loss, training time and
    speed, single-image latency, batch throughput, parameters, model size, peak memory,
    how often the two agree, and McNemar's exact test on the accuracy difference.

    Writes compare.json, compare.md, curves.png and confusion.png. With --seeds N each
    framework trains N times (same seeds for both): mean ± sd of every figure, the
    difference next to the seed-to-seed spread with a paired t-test and a Wilcoxon
    signed-rank test, per-digit recall, seeds.png and curves as mean and band.

    \b
    Examples:
      mnist-cnn compare                       # recipe fast, 2 epochs each
      mnist-cnn compare -r lab7 --epochs 1
      mnist-cnn compare --runs runs/A runs/B  # no training
      mnist-cnn compare --seeds 5             # five seeds per framework, with their spread
      mnist-cnn compare --robustness --tensorboard
    """
    from ..side_by_side import CompareError
    from ..side_by_side import compare as run_compare

    if runs and any(v is not None for v in (recipe, epochs, seed, train_limit)):
        raise click.UsageError("--runs compares two existing runs; --recipe, --epochs, --seed and "
                               "--train-limit apply only when compare trains")
    if runs and (seeds > 1 or tensorboard):
        raise click.UsageError("--seeds and --tensorboard apply only when compare trains; leave out --runs")
    overrides = dict(epochs=epochs, seed=seed, train_limit=train_limit)
    try:
        if seeds > 1:
            from ..seed_compare import compare_seeds

            folder = compare_seeds(console(), recipe or DEFAULT_RECIPE, overrides, seeds, out, data_dir, runs_dir,
                                   tensorboard)
        else:
            folder = run_compare(console(), recipe or DEFAULT_RECIPE, overrides, runs, out, data_dir, runs_dir,
                                 tensorboard)
    except CompareError as exc:
        raise click.ClickException(str(exc)) from None
    if robustness:
        _robustness_of(folder, data_dir, runs_dir)


def _robustness_of(folder, data_dir, runs_dir) -> None:
    """The compared runs under the corruption suite, written into the compare folder."""
    from ..reports.robustness import check_runs, result_table
    from ..runs import runs_root

    result = json.loads((Path(folder) / "compare.json").read_text())
    if "models" in result:  # one seed: the two runs of the table
        compared = [model["run"] for model in result["models"]]
    else:  # several seeds: every run, PyTorch's first
        compared = [str(Path(folder) / row["run"]) for fw in FRAMEWORKS for row in result["runs"][fw]]
    out = console()
    out.rule("[bold]Robustness to corrupted digits[/]")
    report, robust = check_runs(out, compared, Path(folder), runs_root(runs_dir), data_dir)
    out.print(result_table(robust))
    out.print(f"Written to [bold]{report}[/] (and robustness.json, corruptions.png)")


def child_main() -> None:
    """Entry point of a training child: `python -c ... RESULT_FILE ARGS_JSON`.

    Trains like `mnist-cnn train` (same progress display, same errors) and writes the run
    folder's path to RESULT_FILE for the parent.
    """
    from .. import workflows
    from ..config import TrainConfig
    from ..interrupts import remember_ctrl_c

    remember_ctrl_c()
    result_file, args = sys.argv[1], json.loads(sys.argv[2])
    try:
        outcome = friendly_errors(workflows.train)(
            args["framework"], TrainConfig.from_dict(args["config"]), console(), args["data_dir"], args["runs_dir"],
            tensorboard=args.get("tensorboard", False))
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    Path(result_file).write_text(str(outcome.run_dir))
