"""`mnist-cnn predict`: read the handwritten digits in photos or scans."""

from __future__ import annotations

from pathlib import Path

import click

from .common import console, friendly_errors
from .reading_options import REGION, ink_option, model_options


@click.command()
@click.argument("images", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@model_options
@click.option("--roi", type=REGION, default=None,
              help="Read only this region of each image: x,y,w,h in pixels (left, top, width, height).")
@ink_option
@click.option("--save-annotated", type=click.Path(path_type=Path), default=None, metavar="PATH",
              help="Write the image with boxes and the digits read, '?' after an unsure one (one image: "
                   "a .png/.jpg file; several: a folder, <name>-annotated.png in it). Images longer than "
                   "1600 pixels are written reduced to 1600 on the long side; give a .jpg name for a small file.")
@click.option("--save-digits", type=click.Path(file_okay=False, path_type=Path), default=None, metavar="DIR",
              help="Write the 28x28 digits the model saw, <name>-<k>-<digit>.png.")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
@friendly_errors
def predict(images, model, framework, runs_dir, roi, ink, save_annotated, save_digits, as_json):
    """Read the handwritten digits in photos or scans of paper.

    Each digit is found, turned into an MNIST-style 28x28 image (as MNIST itself was made:
    cropped, fitted into 20x20, centred by mass) and predicted. Digits are printed in reading
    order (rows top to bottom, left to right), each with its confidence and top 3; a "?" follows
    a digit the model is unsure of (JSON: "unsure": true). A photo's EXIF orientation is
    applied, and a page turned a quarter or half turn, or tilted, is read upright. Dark ink on
    light paper and light on dark both work; uneven light, shadows, ruled paper and specks
    are taken care of. Exit code 1 when an image cannot be read or holds no digit.

    \b
    Examples:
      mnist-cnn predict photo.jpg
      mnist-cnn predict scan.png --roi 120,80,400,150 --save-annotated out.png
      mnist-cnn predict *.jpg --model runs/20261121-120000-torch-fast --json
    """
    from ..reading.commands import predict_files

    several = len(images) > 1
    if save_annotated is not None and several and save_annotated.suffix:
        raise click.UsageError(f"--save-annotated {save_annotated}: with several images, give a folder "
                               f"(each image is written as <name>-annotated.png in it)")
    results = predict_files(list(images), model, framework, runs_dir, roi=roi, polarity=ink, console=console(),
                            as_json=as_json, save_annotated=save_annotated, save_digits=save_digits)
    failed = [r for r in results if r.error]
    if failed and not as_json:
        if several:
            raise click.ClickException(f"{len(failed)} of {len(results)} images could not be read (see above)")
        raise SystemExit(1)  # the one error line is printed already
    if failed:
        raise SystemExit(1)
