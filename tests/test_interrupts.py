"""A Ctrl-C that something swallows still stops the job (mnist_cnn/interrupts.py).

Python raises a Ctrl-C's KeyboardInterrupt in whatever runs next on the main thread; inside a
finalizer the interpreter only prints it and goes on. CI once saw a training interrupted while
torch started run to the end and publish its run. These tests swallow a real SIGINT that way.
"""

from __future__ import annotations

import os
import signal
import sys

import pytest

from mnist_cnn import interrupts, runs
from mnist_cnn.config import get_recipe


@pytest.fixture
def remembering(monkeypatch):
    """The remembering handler installed as cli.main installs it; all restored afterwards."""
    monkeypatch.setattr(interrupts, "_interrupted", False)
    previous = signal.getsignal(signal.SIGINT)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    interrupts.remember_ctrl_c()
    yield
    signal.signal(signal.SIGINT, previous)


def _ctrl_c_swallowed_by_a_finalizer(monkeypatch) -> list:
    swallowed = []
    monkeypatch.setattr(sys, "unraisablehook", lambda report: swallowed.append(report.exc_type))

    class SendsCtrlC:
        def __del__(self):
            os.kill(os.getpid(), signal.SIGINT)  # the handler runs here, inside the finalizer

    SendsCtrlC()  # dropped at once: its finalizer runs and the interpreter reports, then ignores
    return swallowed


def test_a_ctrl_c_swallowed_by_a_finalizer_is_remembered(remembering, monkeypatch):
    assert not interrupts.interrupted()
    swallowed = _ctrl_c_swallowed_by_a_finalizer(monkeypatch)
    assert swallowed == [KeyboardInterrupt]  # the interpreter did swallow it: execution went on
    assert interrupts.interrupted()
    with pytest.raises(KeyboardInterrupt):
        interrupts.raise_if_interrupted()


def test_nothing_is_published_after_a_swallowed_ctrl_c(remembering, monkeypatch, tmp_path):
    with pytest.raises(KeyboardInterrupt):
        with runs.new_run(tmp_path, "torch", "fast") as staging:
            (staging / "metrics.json").write_text("{}")
            _ctrl_c_swallowed_by_a_finalizer(monkeypatch)
            runs.publish_run(staging, tmp_path, "torch", "fast")
    assert list(tmp_path.iterdir()) == []  # no run, no staging folder


def test_training_stops_at_the_next_epoch_after_a_swallowed_ctrl_c(remembering, monkeypatch, mnist):
    from mnist_cnn.training.loop import train_model

    epochs = []

    class Listener:
        def on_start(self, info): _ctrl_c_swallowed_by_a_finalizer(monkeypatch)  # as torch starts
        def on_epoch_start(self, epoch): epochs.append(epoch)
        def on_step(self, step, loss, accuracy): pass
        def on_epoch_end(self, row): pass
        def on_test(self): pass

    config = get_recipe("mlp").with_overrides(epochs=2, train_limit=512)
    with pytest.raises(KeyboardInterrupt):
        train_model(config, "torch", mnist, Listener())
    assert epochs == []


def test_a_process_that_ignores_ctrl_c_keeps_ignoring_it(monkeypatch):
    monkeypatch.setattr(interrupts, "_interrupted", False)
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)  # as `cmd &` in a script starts it
    try:
        interrupts.remember_ctrl_c()
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, previous)
