"""Loading MNIST for a command: from where `data.mnist` finds it, downloading with a progress bar if needed."""

from __future__ import annotations

from typing import Optional

from rich.console import Console

from ..progress import DownloadDisplay
from . import mnist as data_module


def load_data(data_dir: Optional[str], console: Console) -> data_module.Mnist:
    """Load MNIST, showing a progress bar if it has to be downloaded first."""
    if data_module.locate(data_dir) is None:
        with DownloadDisplay(console) as display:
            return data_module.load_mnist(data_dir, on_progress=display)
    return data_module.load_mnist(data_dir)
