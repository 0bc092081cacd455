"""`mnist-cnn evaluate`."""

from __future__ import annotations

import click

from .common import FRAMEWORK_CHOICE, console, data_dir_option, device_option, friendly_errors, runs_dir_option


@click.command()
@click.argument("model_args", metavar="[MODEL]...", nargs=-1)
@click.option("--model", "-m", default=None,
              help="'latest' (the newest run), a run folder, or a model file (.pt / .keras). Default: latest.")
@click.option("--framework", "-f", type=FRAMEWORK_CHOICE, default=None,
              help="With 'latest': whose newest run. With a file: checked against the file's real format.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@device_option
@data_dir_option
@runs_dir_option
@friendly_errors
def evaluate(model_args, model, framework, as_json, device, data_dir, runs_dir):
    """Evaluate a saved model on the 10,000 MNIST test images.

    Prints accuracy, per-class precision / recall / F1 with macro averages, the confusion
    matrix and the most common confusions. The accuracy equals the one printed when the
    model was trained. Several models are evaluated as an ensemble (averaged probabilities).

    \b
    Examples:
      mnist-cnn evaluate --framework keras --model latest
      mnist-cnn evaluate runs/20261121-120000-torch-fast
      mnist-cnn evaluate path/to/model.pt
      mnist-cnn evaluate runs/*-torch-accurate          # an ensemble of those runs
    """
    from .. import workflows

    if model_args and model:
        raise click.UsageError("give the model either as an argument or with --model, not both")
    models = list(model_args) or [model or "latest"]
    workflows.evaluate(models, framework, console(), data_dir, runs_dir, as_json, device=device)
