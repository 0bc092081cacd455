"""Learning-rate schedules, computed here once and applied by both backends step by step."""

from __future__ import annotations

import math
from dataclasses import dataclass


def one_cycle(step: int, total_steps: int, max_lr: float, pct_start: float = 0.25,
              div_factor: float = 25.0, final_div_factor: float = 1e4) -> float:
    """PyTorch's OneCycleLR (cosine): warm up from max/div to max, then anneal to max/div/final."""
    initial = max_lr / div_factor
    final = initial / final_div_factor
    warmup = max(1, int(pct_start * total_steps))
    if step < warmup:
        return _cosine(initial, max_lr, step / warmup)
    remaining = max(1, total_steps - warmup - 1)
    return _cosine(max_lr, final, min(1.0, (step - warmup) / remaining))


def _cosine(start: float, end: float, fraction: float) -> float:
    return end + (start - end) * (1 + math.cos(math.pi * fraction)) / 2


@dataclass
class Plateau:
    """Multiply the rate by `factor` when the watched accuracy has not improved for `patience` epochs."""
    lr: float
    patience: int
    factor: float
    min_lr: float
    best: float = -math.inf
    waited: int = 0

    def update(self, accuracy: float) -> float:
        if accuracy > self.best:
            self.best, self.waited = accuracy, 0
        else:
            self.waited += 1
            if self.waited >= self.patience:
                self.lr = max(self.min_lr, self.lr * self.factor)
                self.waited = 0
        return self.lr
