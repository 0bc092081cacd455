"""Options shared by `predict` and `camera` (no OpenCV here: `--help` must stay fast)."""

from __future__ import annotations

import click

from .common import FRAMEWORK_CHOICE, runs_dir_option


class RegionType(click.ParamType):
    """x,y,w,h in pixels: left, top, width, height."""
    name = "x,y,w,h"

    def convert(self, value, param, ctx):
        if value is None or isinstance(value, tuple):
            return value
        parts = str(value).replace(" ", "").split(",")
        try:
            x, y, w, h = (int(float(p)) for p in parts)
        except ValueError:
            self.fail(f"{value!r} is not x,y,w,h (four whole numbers, e.g. 100,50,300,200)", param, ctx)
        if w <= 0 or h <= 0:
            self.fail(f"{value!r}: width and height must be positive", param, ctx)
        if x < 0 or y < 0:
            self.fail(f"{value!r}: x and y must not be negative", param, ctx)
        return x, y, w, h


REGION = RegionType()


def model_options(func):
    """--model, --framework, --runs-dir, as in `evaluate`."""
    func = runs_dir_option(func)
    func = click.option("--framework", "-f", type=FRAMEWORK_CHOICE, default=None,
                        help="With 'latest': whose newest run. With a file: checked against the file's format.")(func)
    func = click.option("--model", "-m", default="latest", show_default=True,
                        help="'latest' (the newest run), a run folder, or a model file "
                             "(.pt / .keras, or an exported .onnx / .tflite ...).")(func)
    return func


ink_option = click.option(
    "--ink", type=click.Choice(["auto", "dark", "light"]), default="auto", show_default=True,
    help="dark: dark ink on light paper; light: chalk or a screen, light on dark; auto: decide per image.")
