"""`mnist-cnn robustness`."""

from __future__ import annotations

from pathlib import Path

import click

from .common import console, data_dir_option, friendly_errors, runs_dir_option


@click.command()
@click.argument("runs", nargs=-1, metavar="[RUN ...]")
@click.option("--seed", type=int, default=0, show_default=True,
              help="Seed of the corruptions (noise, angles, lines): the same seed gives the same images.")
@click.option("--limit", type=click.IntRange(min=1), default=None,
              help="Use only the first N test images (quick checks).")
@click.option("--out", type=click.Path(file_okay=False), default=None,
              help="Folder for robustness.md/.json and corruptions.png. Default: <runs dir>/robustness-<time>/.")
@data_dir_option
@runs_dir_option
@friendly_errors
def robustness(runs, seed, limit, out, data_dir, runs_dir):
    """Test runs on the test set under 15 corruptions modelled on MNIST-C.

    Noise, blur, shear, scale, rotation, brightness, translation, a stripe, fog, spatter, a
    dotted line, a zigzag and edges: each run's accuracy under each corruption and their
    mean, side by side, and a picture of one digit under each corruption. Runs of one
    framework and recipe (several seeds) are shown as mean ± sd. RUN: run folders or names;
    none: the newest run of each framework.

    \b
    Examples:
      mnist-cnn robustness                          # newest PyTorch and Keras runs
      mnist-cnn robustness runs/A runs/B runs/C
      mnist-cnn robustness --limit 1000 latest
    """
    from ..reports.robustness import check_runs, default_runs, result_table
    from ..runs import runs_root

    root = runs_root(runs_dir)
    out_console = console()
    report, result = check_runs(out_console, list(runs) or default_runs(root),
                                Path(out).expanduser() if out else None, root, data_dir, seed, limit)
    out_console.print(result_table(result))
    out_console.print(f"Written to [bold]{report.parent}[/]: robustness.md, robustness.json, corruptions.png")
