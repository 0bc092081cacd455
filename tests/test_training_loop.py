"""The training loop's bookkeeping (mnist_cnn/training.py) with a recording stand-in backend.

The loop decides, for both frameworks, the split, every epoch's batches and images, every
step's learning rate and what each history row reports. A fake backend records what the loop
hands it, so these checks run without a framework (quick tier) and see exactly what a real
backend would be told. That real backends then use what they are told is checked on real
MNIST at the end of the file.
"""

from __future__ import annotations

import errno
import math
import os
import re

import numpy as np
import pytest

from mnist_cnn import runs

from mnist_cnn.training import loop as training
from mnist_cnn.config import get_recipe
from mnist_cnn.data.mnist import Mnist
from mnist_cnn.training.schedules import one_cycle


class FakeClassifier:
    """Predicts class (sum of pixels mod 10) with probability `confidence`, the rest spread evenly."""

    spec = None

    def __init__(self, confidence: float):
        self.confidence = confidence

    def predict_proba(self, images):
        predicted = images.reshape(len(images), -1).sum(axis=1) % 10
        proba = np.full((len(images), 10), (1 - self.confidence) / 9, np.float32)
        proba[np.arange(len(images)), predicted] = self.confidence
        return proba

    def save(self, path):
        path.write_bytes(b"fake model")


class FakeTrainer:
    def __init__(self, images, labels, log):
        self.images, self.labels, self.log = images.copy(), labels, log
        self.epoch = 0

    def train_epoch(self, batches, lr_at, on_step):
        self.log["batches"].append([b.copy() for b in batches])
        self.log["images"].append(self.images.copy())
        rates = []
        for step, _ in enumerate(batches):
            rates.append(lr_at(step))
            on_step(step, 1.0, 0.5)
        self.log["rates"].append(rates)
        self.epoch += 1
        return 1.0 / self.epoch, 0.5 + 0.1 * self.epoch

    def replace_images(self, images):
        self.images = images.copy()

    def classifier(self):
        # validation accuracy comes from this: it rises, then stalls (see `confidences`)
        return FakeClassifier(self.log["confidences"][min(self.epoch, len(self.log["confidences"])) - 1])


class FakeBackend:
    name = "torch"
    display_name = "PyTorch"

    def __init__(self, log):
        self.log = log

    def create_trainer(self, config, images, labels, weights, **options):
        self.log["created"] = (images.copy(), labels.copy(), len(weights))
        self.log["config"], self.log["weights"], self.log["options"] = config, weights, options
        return FakeTrainer(images, labels, self.log)

    def versions(self):
        return {"fake": "1"}


@pytest.fixture
def fake(monkeypatch):
    log = {"batches": [], "images": [], "rates": [], "confidences": [0.6, 0.7, 0.7, 0.7, 0.7]}
    def get_backend(name):
        assert name == "torch", name  # the framework asked for, passed on
        return FakeBackend(log)

    monkeypatch.setattr(training, "get_backend", get_backend)
    monkeypatch.setattr(training, "keep_freed_memory", lambda: None)
    return log


def tiny_mnist(n_train=100, n_test=30) -> Mnist:
    rng = np.random.default_rng(7)
    digits = np.zeros((n_train + n_test, 28, 28), np.uint8)
    digits[:, 8:20, 10:18] = rng.integers(0, 256, (n_train + n_test, 12, 8), dtype=np.uint8)
    labels = rng.integers(0, 10, n_train + n_test).astype(np.uint8)
    return Mnist(digits[:n_train], labels[:n_train], digits[n_train:], labels[n_train:], "tiny")


class Steps(training.SilentListener):
    def __init__(self):
        self.events = []

    def on_start(self, info):
        self.events.append(("start", info))

    def on_epoch_start(self, epoch):
        self.events.append(("epoch", epoch))

    def on_epoch_end(self, row):
        self.events.append(("end", row["epoch"]))


def test_one_cycle_runs_once_over_all_epochs_not_once_per_epoch(fake):
    config = get_recipe("fast").with_overrides(epochs=3, batch_size=32, lr=0.01, val_split=0.0)
    assert config.schedule == "onecycle"
    trained = training.train_model(config, "torch", tiny_mnist())
    steps_per_epoch = math.ceil(100 / 32)
    total = 3 * steps_per_epoch
    rates = [rate for epoch in fake["rates"] for rate in epoch]
    assert rates == pytest.approx([one_cycle(step, total, 0.01) for step in range(total)])
    assert rates[0] == pytest.approx(0.01 / 25) and rates[-1] == pytest.approx(0.01 / 25 / 1e4)
    # the second epoch does not start again at the warm-up rate
    assert fake["rates"][1][0] > fake["rates"][0][0] * 2
    assert [row["lr"] for row in trained.history] == pytest.approx([fake["rates"][e][-1] for e in range(3)])


def test_constant_step_and_plateau_rates_per_epoch(fake):
    data = tiny_mnist()
    constant = get_recipe("kids").with_overrides(epochs=2, batch_size=50, lr=0.003, val_split=0.0)
    training.train_model(constant, "torch", data)
    assert fake["rates"] == [[0.003, 0.003], [0.003, 0.003]]
    fake["rates"].clear()
    step = get_recipe("pytorch-example").with_overrides(epochs=3, batch_size=50, lr=1.0, val_split=0.0)
    history = training.train_model(step, "torch", data).history
    assert [r for epoch in fake["rates"] for r in epoch] == pytest.approx([1.0, 1.0, 0.7, 0.7, 0.49, 0.49])
    assert [row["lr"] for row in history] == pytest.approx([1.0, 0.7, 0.49])
    fake["rates"].clear()
    # plateau watches validation accuracy, which stays the same here (the fake predicts the same
    # classes every epoch) while training accuracy rises: halved after every epoch but the first
    plateau = get_recipe("tutorial").with_overrides(epochs=4, batch_size=50, lr=0.1, val_split=0.2,
                                                     plateau_patience=1, plateau_factor=0.5)
    history = training.train_model(plateau, "torch", data).history
    assert [rates[0] for rates in fake["rates"]] == pytest.approx([0.1, 0.1, 0.05, 0.025])
    assert [row["lr"] for row in history] == pytest.approx([0.1, 0.1, 0.05, 0.025])


def test_augmentation_gives_every_epoch_new_images_of_the_same_digits(fake):
    data = tiny_mnist()
    config = get_recipe("accurate").with_overrides(epochs=2, batch_size=40, val_split=0.0)
    assert config.augment
    training.train_model(config, "torch", data)
    originals, _, _ = fake["created"]
    first, second = fake["images"]
    assert first.shape == originals.shape and first.dtype == np.uint8
    assert not np.array_equal(first, originals) and not np.array_equal(second, first)
    # a warped digit, not noise: mostly the same ink in the same region
    assert abs(int(first.sum()) - int(originals.sum())) < 0.2 * originals.sum()
    plain = get_recipe("accurate").with_overrides(epochs=1, batch_size=40, val_split=0.0, augment=False)
    fake["images"].clear()
    training.train_model(plain, "torch", data)
    assert np.array_equal(fake["images"][0], fake["created"][0])


def test_split_batches_and_history_rows(fake):
    data = tiny_mnist(n_train=200)
    config = get_recipe("kids").with_overrides(epochs=2, batch_size=64, val_split=0.25, seed=4, train_limit=120)
    listener = Steps()
    trained = training.train_model(config, "torch", data, listener)
    split = training.split_indices(200, 0.25, 4, 120)
    images, labels, n_weights = fake["created"]
    assert np.array_equal(images, data.train_images[split.train_index])
    assert np.array_equal(labels, data.train_labels[split.train_index])
    assert n_weights == len(config.spec.layers)
    assert (trained.n_train, trained.n_val) == (120, 50)
    for epoch, batches in enumerate(fake["batches"]):
        expected = training.epoch_batches(120, 64, 4, epoch)
        assert [b.tolist() for b in batches] == [b.tolist() for b in expected]
    start = listener.events[0][1]
    assert (start["steps_per_epoch"], start["n_train"], start["n_val"], start["epochs"]) == (2, 120, 50, 2)
    assert [e for e in listener.events[1:]] == [("epoch", 0), ("end", 1), ("epoch", 1), ("end", 2)]
    rows = trained.history
    assert [row["epoch"] for row in rows] == [1, 2]
    assert [row["train_loss"] for row in rows] == [1.0, 0.5]
    assert [row["train_accuracy"] for row in rows] == pytest.approx([0.6, 0.7])
    val_x, val_y = data.train_images[split.val_index], data.train_labels[split.val_index]
    for row, confidence in zip(rows, (0.6, 0.7)):
        proba = FakeClassifier(confidence).predict_proba(val_x)
        assert row["val_accuracy"] == pytest.approx(float(np.mean(proba.argmax(1) == val_y)))
        assert row["val_loss"] == pytest.approx(-math.log(confidence) * row["val_accuracy"]
                                                - math.log((1 - confidence) / 9) * (1 - row["val_accuracy"]))
    assert all(0 <= row["train_seconds"] <= row["seconds"] for row in rows)
    assert trained.train_seconds == pytest.approx(sum(row["train_seconds"] for row in rows))
    assert trained.total_seconds >= trained.train_seconds


def test_after_epoch_can_stop_early_and_no_validation_leaves_blanks(fake):
    config = get_recipe("kids").with_overrides(epochs=5, batch_size=50, val_split=0.0)
    seen = []
    trained = training.train_model(config, "torch", tiny_mnist(),
                                   after_epoch=lambda epoch, classifier: seen.append(epoch) or epoch == 1)
    assert seen == [0, 1] and len(trained.history) == 2
    assert trained.history[0]["val_accuracy"] == "" and trained.history[0]["val_loss"] == ""


def test_train_and_save_publishes_what_it_measured(fake, tmp_path):
    data = tiny_mnist()
    config = get_recipe("kids").with_overrides(epochs=1, batch_size=50, val_split=0.0)
    outcome = training.train_and_save(config, "torch", data, tmp_path, command="mnist-cnn train")
    assert [p.name for p in tmp_path.iterdir()] == [outcome.run_dir.name]
    assert outcome.run_dir.name.endswith("-torch-kids") and outcome.model_path.read_bytes() == b"fake model"
    saved = runs.load_run_summary(outcome.run_dir)
    expected = training.evaluate_classifier(FakeClassifier(0.6), data.test_images, data.test_labels)
    assert saved["test_accuracy"] == expected.accuracy and saved["test"]["correct"] == expected.correct
    assert saved["test"]["total"] == 30 and saved["epochs"] == 1 and saved["model_bytes"] == 10
    assert saved["train_images_per_second"] == pytest.approx(100 / outcome.trained.train_seconds)
    assert runs.read_csv(outcome.run_dir / "history.csv")[0]["epoch"] == "1"


def test_a_full_disk_while_saving_leaves_no_run(fake, tmp_path, monkeypatch):
    def disk_full(*args):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(runs.os, "fsync", disk_full)
    config = get_recipe("kids").with_overrides(epochs=1, batch_size=50, val_split=0.0)
    with pytest.raises(OSError, match="No space left"):
        training.train_and_save(config, "torch", tiny_mnist(), tmp_path)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
@pytest.mark.parametrize("framework", ["torch", "keras"])
def test_real_backends_train_on_the_augmented_images(framework, mnist):
    """Same seed, same batches, same rates: only the images differ, so must the models."""
    base = get_recipe("mlp").with_overrides(epochs=1, train_limit=512, val_split=0.0, batch_size=128)
    plain = training.train_model(base, framework, mnist)
    augmented = training.train_model(base.with_overrides(augment=True), framework, mnist)
    again = training.train_model(base, framework, mnist)
    images = mnist.test_images[:200]
    np.testing.assert_array_equal(plain.classifier.predict_proba(images), again.classifier.predict_proba(images))
    assert np.abs(plain.classifier.predict_proba(images) - augmented.classifier.predict_proba(images)).max() > 1e-3


def test_what_the_backend_and_the_listener_are_told(fake):
    from mnist_cnn.runtime import Runtime
    from mnist_cnn.models.weights import initial_weights

    config = get_recipe("kids").with_overrides(epochs=1, batch_size=50, val_split=0.2, seed=9)
    listener = Steps()
    runtime = Runtime(precision="bf16")
    trained = training.train_model(config, "torch", tiny_mnist(), listener, runtime=runtime)
    assert fake["config"] is config and fake["options"] == {"runtime": runtime}
    expected = initial_weights(config.spec, 9)
    assert all(np.array_equal(a[k], b[k]) for a, b in zip(fake["weights"], expected) for k in a)
    assert listener.events[0][1] == {"framework": "torch", "framework_name": "PyTorch", "recipe": "kids",
                                     "epochs": 1, "steps_per_epoch": 2, "n_train": 80, "n_val": 20,
                                     "batch_size": 50}
    training.train_model(config, "torch", tiny_mnist())
    assert fake["options"] == {}  # no runtime: the backend's own default (this CPU, fp32)
    row = trained.history[0]
    assert 0 <= row["train_seconds"] <= row["seconds"] < 60 and trained.total_seconds < 60
    assert training.predict_proba_batched(FakeClassifier(0.5), np.zeros((0, 28, 28), np.uint8)).shape == (0, 10)
    assert training.predict_proba_batched(FakeClassifier(0.5), np.zeros((0, 28, 28), np.uint8)).dtype == np.float32


def test_after_epoch_gets_the_model_and_plateau_without_validation_follows_training_accuracy(fake):
    got = []
    config = get_recipe("tutorial").with_overrides(epochs=3, batch_size=50, lr=0.1, val_split=0.0, plateau_patience=1)
    training.train_model(config, "torch", tiny_mnist(), after_epoch=lambda e, c: got.append(c) and False)
    assert all(isinstance(c, FakeClassifier) for c in got) and len(got) == 3
    # training accuracy rises every epoch (the fake): no reduction
    assert [rates[0] for rates in fake["rates"]] == pytest.approx([0.1, 0.1, 0.1])


def test_the_run_files_record_what_ran(fake, tmp_path):
    import json
    import platform
    import resource

    from mnist_cnn.models.architectures import trainable_parameter_counts

    data = tiny_mnist()
    config = get_recipe("kids").with_overrides(epochs=2, batch_size=50, val_split=0.0)
    outcome = training.train_and_save(config, "torch", data, tmp_path, command="mnist-cnn train -r kids")
    saved = json.loads((outcome.run_dir / "config.json").read_text())
    assert set(saved) == {*config.to_dict(), "framework", "framework_name", "spec", "data_source", "n_train", "n_val",
                          "versions", "runtime", "machine", "command", "created"}
    assert (saved["framework"], saved["framework_name"], saved["data_source"], saved["command"]) == (
        "torch", "PyTorch", "tiny", "mnist-cnn train -r kids")
    assert (saved["n_train"], saved["n_val"], saved["spec"]) == (100, 0, config.spec.to_dict())
    assert saved["versions"] == {"python": platform.python_version(), "numpy": np.__version__, "fake": "1"}
    machine = saved["machine"]  # training/machine_info.py: the CPU and math libraries as well (tests there)
    assert {k: machine[k] for k in ("platform", "processor", "cpu_count")} == {
        "platform": platform.platform(), "processor": platform.machine(), "cpu_count": os.cpu_count()}
    assert machine["numpy"] == np.__version__ and "cpu_model" in machine
    assert saved["runtime"]["device"] == "cpu" and re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4}",
                                                                saved["created"])
    summary = json.loads((outcome.run_dir / "metrics.json").read_text())
    assert {k: v for k, v in summary.items() if k != "test"} == outcome.summary
    assert set(outcome.summary) == {"framework", "recipe", "test_accuracy", "test_loss", "epochs", "train_seconds",
                                    "total_seconds", "train_images_per_second", "parameters", "model_file",
                                    "model_bytes", "peak_memory_mb", "device", "processes"}
    assert outcome.summary["train_images_per_second"] == pytest.approx(200 / outcome.trained.train_seconds)
    assert outcome.summary["test_loss"] == outcome.report.loss and outcome.summary["epochs"] == 2
    assert outcome.summary["parameters"] == sum(trainable_parameter_counts(config.spec))
    assert (outcome.summary["device"], outcome.summary["processes"], outcome.summary["model_file"]) == ("cpu", 1, "model.pt")
    assert outcome.summary["train_seconds"] == outcome.trained.train_seconds
    assert outcome.summary["total_seconds"] == outcome.trained.total_seconds
    # Linux reports the peak in kilobytes: megabytes are that / 1024, and this process holds some
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    assert 10 < outcome.summary["peak_memory_mb"] <= peak
    assert (outcome.run_dir / "plots" / "curves.png").is_file()


def test_train_and_save_passes_listener_and_runtime_on_and_stages_under_its_name(fake, tmp_path):
    from mnist_cnn.runtime import Runtime

    class Watching(Steps):
        def on_epoch_start(self, epoch):
            super().on_epoch_start(epoch)
            self.staged = [p.name for p in tmp_path.iterdir()]

    listener, runtime = Watching(), Runtime(precision="bf16")
    config = get_recipe("kids").with_overrides(epochs=1, batch_size=50, val_split=0.0)
    outcome = training.train_and_save(config, "torch", tiny_mnist(), tmp_path, listener, runtime=runtime)
    assert ("epoch", 0) in listener.events and fake["options"] == {"runtime": runtime}
    (staged,) = listener.staged
    assert staged.startswith(".incomplete-") and "-torch-kids-" in staged
    assert runs.load_run_summary(outcome.run_dir)["device"] == "cpu"
    import json

    assert json.loads((outcome.run_dir / "config.json").read_text())["command"] == ""  # none given
