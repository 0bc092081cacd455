"""Options and error handling shared by the commands."""

from __future__ import annotations

import functools
import signal
import sys

import click
from rich.console import Console

from ..backends import FRAMEWORKS, canonical_framework
from ..errors import MnistCnnError, storage_problem
from ..runtime import DEVICES_HELP, PRECISIONS, parse_device


class FrameworkType(click.ParamType):
    """torch or keras; also accepts pytorch, pt, tensorflow and tf."""
    name = "torch|keras"

    def convert(self, value, param, ctx):
        if value is None:
            return None
        try:
            return canonical_framework(str(value))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


FRAMEWORK_CHOICE = FrameworkType()

data_dir_option = click.option(
    "--data-dir", type=click.Path(file_okay=True, dir_okay=True), default=None,
    help="Folder with the MNIST files (four IDX files, .gz or raw, or mnist.npz). "
         "Default: $MNIST_CNN_DATA, then the cache ~/.cache/mnist-cnn, then copies from Keras or "
         "torchvision, then a download.")
runs_dir_option = click.option(
    "--runs-dir", type=click.Path(file_okay=False), default=None,
    help="Folder that holds the run folders. Default: $MNIST_CNN_RUNS, else ./runs.")


class DeviceType(click.ParamType):
    """auto, cpu, cuda, cuda:N or mps (checked against the hardware when the model loads)."""
    name = "auto|cpu|cuda[:N]|mps"

    def convert(self, value, param, ctx):
        try:
            return parse_device(str(value))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


device_option = click.option(
    "--device", type=DeviceType(), default="auto", show_default=True,
    help=f"Where the model runs: {DEVICES_HELP}. A device that is not there is an error, not a fallback.")
precision_option = click.option(
    "--precision", type=click.Choice(PRECISIONS), default="fp32", show_default=True,
    help="Training arithmetic: fp32, or mixed precision in bf16 / fp16 where the device supports it "
         "(fp16 needs a GPU; the weights stay float32).")


def console() -> Console:
    # soft_wrap: in a pipe or a CI log, rich would otherwise cut lines at 80 columns
    return Console(highlight=False, soft_wrap=True)


def friendly_errors(func):
    """Turn the project's expected failures into one-line errors instead of tracebacks.

    The one place the CLI words them: every MnistCnnError (exit code 1), bad option values
    (a usage error, exit code 2), a full or read-only disk (exit code 1) and Ctrl-C (130).
    """

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except MnistCnnError as exc:
            raise click.ClickException(str(exc)) from None
        except ValueError as exc:  # bad option values caught by the config's validation
            raise click.UsageError(str(exc)) from None
        except OSError as exc:
            message = storage_problem(exc)
            if message is None:
                raise  # not the disk: a bug, with its traceback
            raise click.ClickException(message) from None
        except KeyboardInterrupt:
            # Stopping now: a second Ctrl-C must not interrupt the clean stop on its way out
            # (cli.main ends the process with 130).
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            click.echo("\nInterrupted: stopped cleanly; nothing half-written was left behind.", err=True)
            sys.exit(130)

    return wrapper


__all__ = ["FRAMEWORKS", "FRAMEWORK_CHOICE", "data_dir_option", "runs_dir_option", "device_option",
           "precision_option", "console", "friendly_errors"]
