"""`mnist-cnn explain`."""

from __future__ import annotations

from pathlib import Path

import click

from ..config import DEFAULT_RECIPE, RECIPES
from .common import console, data_dir_option, friendly_errors

KERNEL_NAMES = ("outline", "vertical", "horizontal")  # mnist_cnn.explain.KERNELS, without importing it


@click.command()
@click.option("--recipe", "-r", type=click.Choice(list(RECIPES)), default=DEFAULT_RECIPE, show_default=True,
              help="Whose architecture to explain.")
@click.option("--kernel-demo", type=click.Path(dir_okay=False), default=None, metavar="OUT.png",
              help="Also save what a hand-made 3x3 edge kernel does to a test digit (before and after).")
@click.option("--kernel", type=click.Choice(KERNEL_NAMES), default="outline", show_default=True,
              help="Which edge kernel the demo slides over the digit.")
@click.option("--image", "image_index", type=click.IntRange(min=0), default=0, show_default=True,
              help="Index of the test digit used by the kernel demo.")
@data_dir_option
@friendly_errors
def explain(recipe, kernel_demo, kernel, image_index, data_dir):
    """Show a recipe's network layer by layer in PyTorch and Keras side by side.

    For every layer: its output shape, from the 28x28x1 input to the 10 probabilities, and
    its trainable parameters, as each framework builds it.

    \b
    Examples:
      mnist-cnn explain
      mnist-cnn explain -r lab7 --kernel-demo edge.png
    """
    from ..explain import explain as run_explain

    run_explain(recipe, console(), Path(kernel_demo) if kernel_demo else None, kernel, image_index, data_dir)
