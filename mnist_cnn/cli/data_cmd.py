"""`mnist-cnn data info` and `mnist-cnn data download`."""

from __future__ import annotations

from pathlib import Path

import click

from ..data import mnist as data_module
from ..progress import DownloadDisplay
from .common import console, friendly_errors


@click.group()
def data():
    """Where MNIST is, whether it verifies, and downloading it."""


@data.command()
@click.option("--data-dir", type=click.Path(), default=None, help="Look only in this folder.")
@friendly_errors
def info(data_dir):
    """Say where the data is found and check every file against its published checksum."""
    out = console()
    location = data_module.locate(data_dir)
    if location is None:
        out.print(data_module.not_found_message(data_dir))
        out.print("Run `mnist-cnn data download` to fetch it.")
        raise SystemExit(1)
    out.print(f"MNIST found at [bold]{location}[/]")
    rows = data_module.verify(location)
    for name, path, ok, detail in rows:
        mark = "[green]ok[/]" if ok else "[red]BAD[/]"
        out.print(f"  {mark}  {name:<26} {detail if not ok else path}")
    if not all(ok for *_, ok, _ in rows):
        raise click.ClickException(f"{location}: some files do not verify; run `mnist-cnn data download "
                                   f"--force` or point --data-dir at a good copy")
    out.print("All four files verify (md5 of the decompressed IDX content).")


@data.command()
@click.option("--data-dir", type=click.Path(file_okay=False), default=None,
              help="Download into this folder. Default: $MNIST_CNN_DATA, else ~/.cache/mnist-cnn.")
@click.option("--force", is_flag=True, help="Download again even if verified files are present.")
@click.option("--mirror", "mirrors", multiple=True,
              help="Base URL of a mirror to use instead of the defaults (repeatable).")
@friendly_errors
def download(data_dir, force, mirrors):
    """Download the four MNIST files with a progress bar, verifying each before keeping it."""
    out = console()
    target = data_module.explicit_dir(data_dir) or data_module.cache_dir()
    with DownloadDisplay(out) as display:
        written = data_module.download_mnist(Path(target), mirrors=list(mirrors) or None,
                                             on_progress=display, force=force)
    if written:
        out.print(f"Downloaded and verified {len(written)} file(s) into [bold]{target}[/]")
    else:
        out.print(f"All four files were already present and verified in [bold]{target}[/]")
