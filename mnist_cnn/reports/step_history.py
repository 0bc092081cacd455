"""Points within the epoch: the training loss every few dozen steps, so a 2-epoch run draws a curve.

The backends report after each step the running mean loss and accuracy of the epoch so far
(what the progress bar shows). The core knows every batch's size, so it recovers each
step's own loss from two consecutive running means, without asking the backends for more:
sum_k = mean_k * seen_k, and the step's loss is (sum_k - sum_(k-1)) / n_k. This is exact in
one process; with several processes a backend's running mean covers its own share of each
batch, and the recovered values are that share's (close to the whole batch's).

The rows go to `steps.csv` in the run folder beside `history.csv` (one row per epoch, as
before): runs trained before this have no steps.csv, and their curves draw as they did.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Optional, Sequence

import numpy as np

from ..runs import read_csv

STEPS_FILE = "steps.csv"
EVERY = 50  # steps per point: about 8 points per epoch of the `fast` recipe (422 steps)
MIN_POINTS_PER_EPOCH = 4  # short runs (--train-limit) still get a few points per epoch


def interval(steps_per_epoch: int, every: int = EVERY) -> int:
    return max(1, min(every, steps_per_epoch // MIN_POINTS_PER_EPOCH))


class StepRecorder:
    """Wraps the listener's on_step: records every step's loss, accuracy and learning rate."""

    def __init__(self, steps_per_epoch: int, forward: Callable[[int, float, float], None]):
        self.steps_per_epoch = steps_per_epoch
        self.forward = forward
        self.loss: list[float] = []
        self.accuracy: list[float] = []
        self.lr: list[float] = []
        self.batch: list[int] = []
        self._sizes: Sequence[int] = ()
        self._lr_at: Callable[[int], float] = lambda step: float("nan")
        self._sum = self._correct = 0.0
        self._seen = 0

    def start_epoch(self, batches: Sequence[np.ndarray], lr_at: Callable[[int], float]) -> None:
        self._sizes = [len(b) for b in batches]
        self._lr_at = lr_at
        self._sum = self._correct = 0.0
        self._seen = 0

    def on_step(self, step: int, running_loss: float, running_accuracy: float) -> None:
        n = self._sizes[step] if step < len(self._sizes) else 1
        seen = self._seen + n
        loss_sum, correct = running_loss * seen, running_accuracy * seen
        self.loss.append((loss_sum - self._sum) / n)
        self.accuracy.append((correct - self._correct) / n)
        self.lr.append(float(self._lr_at(step)))
        self.batch.append(n)
        self._sum, self._correct, self._seen = loss_sum, correct, seen
        self.forward(step, running_loss, running_accuracy)

    def rows(self, every: Optional[int] = None) -> list[dict]:
        """One row per `every` steps (a shorter last window in each epoch): the window's mean
        loss and accuracy (weighted by batch size), the learning rate of its last step, and
        where it ends, as a global step (1-based) and as a fraction of epochs."""
        every = every or interval(self.steps_per_epoch)
        loss, acc, weight = np.array(self.loss), np.array(self.accuracy), np.array(self.batch, dtype=np.float64)
        rows = []
        # windows never cross an epoch's end, so the last point of each epoch lies on it
        windows = [(start, min(start + every, epoch_start + self.steps_per_epoch, len(loss)))
                   for epoch_start in range(0, len(loss), self.steps_per_epoch)
                   for start in range(epoch_start, min(epoch_start + self.steps_per_epoch, len(loss)), every)]
        for start, end in windows:
            w = weight[start:end]
            rows.append({"step": end, "epoch": end / self.steps_per_epoch,
                         "train_loss": float(np.dot(loss[start:end], w) / w.sum()),
                         "train_accuracy": float(np.dot(acc[start:end], w) / w.sum()),
                         "lr": self.lr[end - 1]})
        return rows


def read_steps(run_dir: Path) -> list[dict]:
    """The step rows of a run; [] for a run trained before they were recorded."""
    path = Path(run_dir) / STEPS_FILE
    return read_csv(path) if path.is_file() else []
