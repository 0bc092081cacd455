"""The `mnist-cnn` command: a click group whose commands delegate to the core.

Only the core is imported here; torch and tensorflow are imported by a command that needs
them, so `mnist-cnn --help` stays fast.
"""

from __future__ import annotations

import os
import sys

import click

from .. import __version__
from ..interrupts import remember_ctrl_c
from .compare_cmd import compare
from .data_cmd import data
from .evaluate_cmd import evaluate
from .export_cmd import export
from .explain_cmd import explain
from .report_cmd import report
from .listing_cmd import recipes, runs
from .menu_cmd import menu
from .camera_cmd import camera
from .predict_cmd import predict
from .serve_cmd import serve
from .robustness_cmd import robustness
from .onnx_compare_cmd import onnx_compare
from .train_cmd import train


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="mnist-cnn")
def cli():
    """Train, evaluate and compare MNIST convolutional networks in PyTorch and
    TensorFlow/Keras side by side.

    \b
    Start here:
      mnist-cnn train                     train the default recipe with PyTorch
      mnist-cnn train --framework keras   the same network, trained by Keras
      mnist-cnn evaluate --model latest   full report on the 10,000 test images
      mnist-cnn compare                   both frameworks trained and compared side by side
      mnist-cnn report                    figures of the latest run, with report.md
      mnist-cnn robustness                the newest runs on corrupted test digits
      mnist-cnn predict photo.jpg         read handwritten digits in a photo
      mnist-cnn camera --live             read digits held up to the camera
      mnist-cnn serve                     a web page: draw a digit, both frameworks answer
      mnist-cnn menu                      the interactive menu

    Data: $MNIST_CNN_DATA or --data-dir points at a local copy of MNIST; runs go to
    ./runs (or $MNIST_CNN_RUNS, --runs-dir).
    """


for command in (train, evaluate, compare, report, explain, recipes, runs, data, menu):
    cli.add_command(command)
cli.add_command(export)  # deploy-ready models (mnist_cnn/deploy)
cli.add_command(onnx_compare)
cli.add_command(predict)  # reading real photos and cameras (mnist_cnn/reading/)
cli.add_command(camera)
cli.add_command(serve)  # the web page (mnist_cnn/serve)
cli.add_command(robustness)  # the test set under corruptions (mnist_cnn/data/corruptions.py)


# The exit code of a clean stop on Ctrl-C (cli/common.friendly_errors).
INTERRUPTED = 130


def main() -> None:
    remember_ctrl_c()  # a Ctrl-C that something swallows still stops the job (interrupts.py)
    try:
        cli(prog_name="mnist-cnn")
    except SystemExit as exc:
        if exc.code != INTERRUPTED:
            raise
        # A Ctrl-C that arrived while a framework's C++ was running Python code through
        # PyRun_String (pybind11's exec/eval) is marked "unhandled" inside the interpreter, even
        # though friendly_errors handled it; the interpreter then ends by raising SIGINT on
        # itself (exit -2, seen in 1 of ~4 interrupted trainings under load). Leave with 130
        # directly: everything was cleaned up on the way here, only the output is flushed.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(INTERRUPTED)
