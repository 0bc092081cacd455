"""The shared training loop: reproducible, identical across frameworks at the start, clean on Ctrl-C."""

import numpy as np
import pytest

from mnist_cnn.backends import get_backend
from mnist_cnn.config import get_recipe
from mnist_cnn.evaluation.predict import evaluate_classifier
from mnist_cnn.models.weights import initial_weights
from mnist_cnn.training.loop import SilentListener, train_and_save, train_model

QUICK = dict(epochs=1, train_limit=6000, val_split=0.1)


@pytest.mark.parametrize("framework", ["torch", "keras"])
def test_same_seed_gives_the_same_model(framework, mnist):
    config = get_recipe("kids").with_overrides(**QUICK, seed=5)
    first = train_model(config, framework, mnist)
    second = train_model(config, framework, mnist)
    images = mnist.test_images[:2000]
    np.testing.assert_array_equal(first.classifier.predict_proba(images), second.classifier.predict_proba(images))
    assert first.history[0]["train_loss"] == second.history[0]["train_loss"]
    report = evaluate_classifier(first.classifier, mnist.test_images, mnist.test_labels)
    assert report.accuracy > 0.9  # 6,000 images, one epoch: it learned something real


def test_both_frameworks_start_from_the_same_weights(mnist):
    spec = get_recipe("fast").spec
    weights = initial_weights(spec, seed=3)
    p_torch = get_backend("torch").build(spec, weights).predict_proba(mnist.test_images[:300])
    p_keras = get_backend("keras").build(spec, weights).predict_proba(mnist.test_images[:300])
    assert np.abs(p_torch - p_keras).max() < 1e-4


def test_frameworks_follow_the_same_trajectory(mnist):
    """Same data order, rates and initial weights: after an epoch the two differ only by float noise."""
    config = get_recipe("mlp").with_overrides(epochs=1, train_limit=5000, val_split=0.1, seed=2)
    histories = {fw: train_model(config, fw, mnist).history[0] for fw in ("torch", "keras")}
    # Measured (2026-11-28, this machine): train loss 1.7213 vs 1.7165, a difference of 0.0048;
    # validation accuracy differs by 0.0047 (28 of 6,000 images). About twice that is allowed.
    assert abs(histories["torch"]["train_loss"] - histories["keras"]["train_loss"]) < 0.01
    assert abs(histories["torch"]["val_accuracy"] - histories["keras"]["val_accuracy"]) < 0.01


class _InterruptAt(SilentListener):
    def __init__(self, step):
        self.step = step

    def on_step(self, step, loss, accuracy):
        if step == self.step:
            raise KeyboardInterrupt


@pytest.mark.parametrize("framework", ["torch", "keras"])
def test_ctrl_c_leaves_no_run_and_no_temporary_files(framework, mnist, tmp_path):
    config = get_recipe("mlp").with_overrides(epochs=1, train_limit=3000)
    with pytest.raises(KeyboardInterrupt):
        train_and_save(config, framework, mnist, tmp_path, _InterruptAt(step=3))
    assert list(tmp_path.iterdir()) == []


def test_a_complete_run_is_published_with_a_unique_name(mnist, tmp_path):
    config = get_recipe("mlp").with_overrides(epochs=1, train_limit=2000, val_split=0.0)
    first = train_and_save(config, "torch", mnist, tmp_path)
    second = train_and_save(config, "torch", mnist, tmp_path)
    assert first.run_dir != second.run_dir and first.run_dir.exists() and second.run_dir.exists()
    assert first.trained.history[0]["val_accuracy"] == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([first.run_dir.name, second.run_dir.name])


@pytest.mark.parametrize("framework", ["torch", "keras"])
def test_augmented_training_runs_and_learns(framework, mnist):
    config = get_recipe("accurate").with_overrides(epochs=2, train_limit=3000, val_split=0.05)
    trained = train_model(config, framework, mnist)
    assert trained.history[1]["train_loss"] < trained.history[0]["train_loss"]
    assert trained.history[-1]["val_accuracy"] > 0.8


def test_step_schedule_multiplies_the_rate_each_epoch(mnist):
    config = get_recipe("pytorch-example").with_overrides(epochs=3, train_limit=640, lr=1.0)
    history = train_model(config, "torch", mnist).history
    assert [round(row["lr"], 6) for row in history] == [1.0, 0.7, 0.49]


@pytest.mark.slow
@pytest.mark.parametrize("framework", ["torch", "keras"])
def test_a_real_sigint_stops_training_cleanly(framework, mnist_dir, tmp_path):
    """Ctrl-C as a terminal sends it: SIGINT to the training process, while it trains. Exit 130,
    one line saying so, no traceback, and nothing left in the runs folder (no staging folder)."""
    import os
    import signal
    import subprocess
    import sys
    import time

    from .conftest import ROOT

    runs_dir = tmp_path / "runs"
    process = subprocess.Popen([sys.executable, "-m", "mnist_cnn", "train", "--framework", framework, "--recipe",
                                "mlp", "--epochs", "5", "--data-dir", str(mnist_dir), "--runs-dir", str(runs_dir)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
                               env={**os.environ, "PYTHONUNBUFFERED": "1"},
                               # As in a terminal: a runner started in the background (`cmd &` in a
                               # script) passes SIGINT on as ignored, and Python then keeps ignoring it.
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        # the staging folder exists from the moment training starts until the run is published
        deadline = time.monotonic() + 240
        while not (runs_dir.is_dir() and any(p.name.startswith(".incomplete-") for p in runs_dir.iterdir())):
            assert process.poll() is None and time.monotonic() < deadline, "training never started"
            time.sleep(0.2)
        # While the framework starts or in the first epoch: a Ctrl-C swallowed there by a
        # finalizer once let a run finish and publish (test_interrupts.py)
        time.sleep(1.0)
        assert process.poll() is None, "training finished before it could be interrupted"
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130, stdout + stderr
    assert "Traceback" not in stderr
    assert stderr.strip().splitlines()[-1] == "Interrupted: stopped cleanly; nothing half-written was left behind."
    assert list(runs_dir.iterdir()) == []
