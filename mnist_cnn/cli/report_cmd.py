"""`mnist-cnn report`."""

from __future__ import annotations

import click

from .common import FRAMEWORK_CHOICE, console, data_dir_option, friendly_errors, runs_dir_option


@click.command()
@click.argument("run", default="latest")
@click.option("--framework", "-f", type=FRAMEWORK_CHOICE, default=None,
              help="With 'latest': whose newest run.")
@click.option("--image", "image_index", type=click.IntRange(min=0), default=0, show_default=True,
              help="Index of the test image shown in the feature maps and the single prediction.")
@data_dir_option
@runs_dir_option
@friendly_errors
def report(run, framework, image_index, data_dir, runs_dir):
    """Draw the figures of a run and write <run>/report.md that shows them in order.

    RUN is a run folder or 'latest' (the default). Figures, under <run>/plots/: training
    curves, confusion matrix, the most confident mistakes, the first layer's filters, the
    feature maps of one test image, and the probabilities of one prediction.

    \b
    Examples:
      mnist-cnn report
      mnist-cnn report --framework keras
      mnist-cnn report runs/20261121-120000-torch-fast --image 7
    """
    from ..reports.run_report import make_report

    make_report(run, framework, console(), data_dir, runs_dir, image_index)
