"""Points within the epoch: per-step losses recovered from the running means, and old runs still reading."""

from __future__ import annotations

import numpy as np
import pytest

from mnist_cnn.reports import figures
from mnist_cnn.runs import write_csv
from mnist_cnn.reports.step_history import STEPS_FILE, StepRecorder, interval, read_steps


def feed(recorder: StepRecorder, losses, correct, sizes, lr=lambda step: 0.1 * step):
    """Play a backend: report the running means after each step, as the real ones do."""
    recorder.start_epoch([np.arange(n) for n in sizes], lr)
    loss_sum = right = seen = 0
    for step, (loss, ok, n) in enumerate(zip(losses, correct, sizes)):
        loss_sum, right, seen = loss_sum + loss * n, right + ok, seen + n
        recorder.on_step(step, loss_sum / seen, right / seen)


def test_each_steps_own_loss_and_accuracy_are_recovered_from_the_running_means():
    forwarded = []
    recorder = StepRecorder(4, lambda *args: forwarded.append(args))
    feed(recorder, [2.0, 1.0, 0.5, 0.25], [10, 20, 25, 3], [32, 32, 32, 4])
    assert recorder.loss == pytest.approx([2.0, 1.0, 0.5, 0.25])
    assert recorder.accuracy == pytest.approx([10 / 32, 20 / 32, 25 / 32, 3 / 4])
    assert recorder.lr == pytest.approx([0.0, 0.1, 0.2, 0.3])
    assert len(forwarded) == 4 and forwarded[-1][1] == pytest.approx((64 + 32 + 16 + 1) / 100)  # running mean


def test_rows_are_windows_within_each_epoch_weighted_by_batch_size():
    recorder = StepRecorder(4, lambda *args: None)
    for _ in range(2):
        feed(recorder, [2.0, 1.0, 0.5, 0.25], [10, 20, 25, 3], [32, 32, 32, 4])
    rows = recorder.rows(every=3)
    assert [r["step"] for r in rows] == [3, 4, 7, 8]  # no window crosses an epoch's end
    assert [r["epoch"] for r in rows] == pytest.approx([0.75, 1.0, 1.75, 2.0])
    assert rows[0]["train_loss"] == pytest.approx(3.5 / 3)
    assert rows[1]["train_loss"] == pytest.approx(0.25) and rows[1]["lr"] == pytest.approx(0.3)


def test_the_interval_gives_a_few_dozen_steps_or_four_points_per_short_epoch():
    assert interval(422) == 50
    assert interval(8) == 2 and interval(2) == 1


def test_an_old_run_without_step_rows_reads_and_draws_as_before(tmp_path):
    history = [{"epoch": 1, "train_loss": 0.5, "train_accuracy": 0.9, "val_loss": 0.3, "val_accuracy": 0.93},
               {"epoch": 2, "train_loss": 0.3, "train_accuracy": 0.95, "val_loss": 0.2, "val_accuracy": 0.96}]
    write_csv(tmp_path / "history.csv", history)
    assert read_steps(tmp_path) == []
    assert figures.training_curves(history, tmp_path / "old.png", steps=read_steps(tmp_path)).stat().st_size > 0
    steps = [{"step": s, "epoch": s / 4, "train_loss": 1 / s, "train_accuracy": 0.9, "lr": 0.1} for s in range(1, 9)]
    write_csv(tmp_path / STEPS_FILE, steps)
    assert len(read_steps(tmp_path)) == 8
    assert figures.training_curves(history, tmp_path / "new.png", steps=read_steps(tmp_path)).stat().st_size > 0
