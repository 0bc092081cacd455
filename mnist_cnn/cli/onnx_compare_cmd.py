"""`mnist-cnn onnx-compare`."""

from __future__ import annotations

import json

import click

from .common import console, data_dir_option, friendly_errors, runs_dir_option


@click.command("onnx-compare")
@click.argument("first", required=False, metavar="[A]")
@click.argument("second", required=False, metavar="[B]")
@click.option("--threads", type=click.IntRange(min=0), default=1, show_default=True,
              help="ONNX Runtime threads for both models (0: all CPUs).")
@click.option("--json", "as_json", is_flag=True, help="Print the comparison as JSON.")
@data_dir_option
@runs_dir_option
@friendly_errors
def onnx_compare(first, second, threads, as_json, data_dir, runs_dir):
    """Compare two trained networks with the framework taken out: both ONNX exports run in
    the same ONNX Runtime on the 10,000 test images.

    A and B are .onnx files or run folders holding model.onnx (from `mnist-cnn export RUN
    --format onnx`). Default: the latest PyTorch run against the latest Keras run.

    \b
    Examples:
      mnist-cnn onnx-compare
      mnist-cnn onnx-compare runs/…-torch-fast runs/…-keras-fast
    """
    from .. import workflows
    from ..deploy.compare import compare_onnx, print_comparison, resolve_onnx
    from ..runs import runs_root

    root = runs_root(runs_dir)
    path_a = resolve_onnx(first, "torch", root)
    path_b = resolve_onnx(second, "keras", root)
    out = console()
    result = compare_onnx(path_a, path_b, workflows.load_data(data_dir, out), threads=threads)
    if as_json:
        out.print_json(json.dumps(result))
    else:
        print_comparison(result, out)
