"""`mnist-cnn menu`: the interactive menu (the same code as `python interactive_run.py`)."""

from __future__ import annotations

import sys

import click

from .common import data_dir_option, runs_dir_option


@click.command()
@data_dir_option
@runs_dir_option
def menu(data_dir, runs_dir):
    """Interactive menu: pick a framework, train or reuse a model, then test it."""
    from ..menu.main import run_menu

    sys.exit(run_menu(data_dir=data_dir, runs_dir=runs_dir))
