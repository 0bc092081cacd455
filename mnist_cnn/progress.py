"""Progress displays: one for training (fed by the core loop) and one for downloads.

On a terminal a live bar shows epoch, step, running loss and accuracy, and elapsed time;
a finished epoch leaves one line with validation figures. Without a terminal (CI, a pipe)
only the epoch lines are printed, so logs stay readable.
"""

from __future__ import annotations

import time
from typing import Optional

from rich.console import Console
from rich.progress import (BarColumn, DownloadColumn, MofNCompleteColumn, Progress, TextColumn,
                           TimeElapsedColumn, TransferSpeedColumn)


def _pct(value) -> str:
    return f"{100 * value:6.2f}%" if value != "" else "     - "


def _num(value) -> str:
    return f"{value:.4f}" if value != "" else "   -  "


class TrainDisplay:
    """Implements mnist_cnn.training.loop.TrainListener with rich."""

    def __init__(self, console: Console):
        self.console = console
        self.progress: Optional[Progress] = None
        self.task = None
        self.info: dict = {}
        self._last_update = 0.0

    def on_start(self, info: dict) -> None:
        self.info = info
        self.console.print(
            f"[bold]{info['framework_name']}[/] · recipe [bold]{info['recipe']}[/] · "
            f"{info['epochs']} epoch(s) × {info['steps_per_epoch']} steps of {info['batch_size']} · "
            f"{info['n_train']:,} training / {info['n_val']:,} validation images")

    def on_epoch_start(self, epoch: int) -> None:
        self._epoch = epoch
        self._epoch_start = time.perf_counter()
        if self.console.is_terminal:
            self.progress = Progress(
                TextColumn(f"Epoch {epoch + 1}/{self.info['epochs']}"), BarColumn(), MofNCompleteColumn(),
                TextColumn("{task.fields[stats]}"), TimeElapsedColumn(),
                console=self.console, transient=True)
            self.progress.start()
            self.task = self.progress.add_task("train", total=self.info["steps_per_epoch"], stats="")

    def on_step(self, step: int, loss: float, accuracy: float) -> None:
        if self.progress is None:
            return
        now = time.perf_counter()
        # rich redraws at its own pace; updating the text more often than ~10 Hz only costs time
        if now - self._last_update > 0.1 or step + 1 == self.info["steps_per_epoch"]:
            self.progress.update(self.task, completed=step + 1,
                                 stats=f"loss {loss:.4f}  acc {100 * accuracy:6.2f}%")
            self._last_update = now

    def on_epoch_end(self, row: dict) -> None:
        if self.progress is not None:
            self.progress.stop()
            self.progress = None
        self.console.print(
            f"Epoch {row['epoch']}/{self.info['epochs']}  loss {_num(row['train_loss'])}  "
            f"acc {_pct(row['train_accuracy'])}  val_loss {_num(row['val_loss'])}  "
            f"val_acc {_pct(row['val_accuracy'])}  lr {row['lr']:.2e}  {row['seconds']:.1f} s")

    def on_test(self) -> None:
        self.console.print("Testing on the 10,000 test images…")

    def close(self) -> None:
        if self.progress is not None:
            self.progress.stop()
            self.progress = None


class DownloadDisplay:
    """A callback for mnist_cnn.data.download_mnist: one bar per file."""

    def __init__(self, console: Console):
        self.console = console
        self.progress = Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(),
                                 TransferSpeedColumn(), console=console)
        self.tasks: dict[str, int] = {}

    def __enter__(self) -> "DownloadDisplay":
        self.progress.start()
        return self

    def __exit__(self, *exc) -> None:
        self.progress.stop()

    def __call__(self, name: str, done: int, total: Optional[int]) -> None:
        if name not in self.tasks:
            self.tasks[name] = self.progress.add_task(name, total=total)
        self.progress.update(self.tasks[name], completed=done, total=total)
