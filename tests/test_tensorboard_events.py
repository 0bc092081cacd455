"""TensorBoard event files written by the core: the record format, and TensorFlow reading them back."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from mnist_cnn.training import tensorboard_events as te


def test_crc32c_and_its_mask_match_the_published_check_values():
    assert te.crc32c(b"123456789") == 0xE3069283  # the CRC-32C check value
    assert te.crc32c(b"") == 0
    crc = te.crc32c(b"abc")
    assert te.masked_crc(b"abc") == (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def test_events_round_trip_and_a_damaged_file_is_refused(tmp_path):
    with te.EventWriter(tmp_path) as writer:
        writer.scalars(7, {"loss": 0.25, "lr": 1e-3})
        writer.image(7, "digit", np.eye(28, dtype=np.uint8) * 255)
    events = te.read_events(writer.path)
    assert events[0]["file_version"] == "brain.Event:2"
    assert events[1]["step"] == 7 and events[1]["scalars"] == pytest.approx({"loss": 0.25, "lr": 1e-3})
    assert events[2]["images"]["digit"].startswith(b"\x89PNG")
    data = bytearray(writer.path.read_bytes())
    data[-10] ^= 1
    writer.path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="checksum"):
        te.read_events(writer.path)


def _run_events(tmp_path):
    history = [{"epoch": 1, "train_loss": 0.9, "train_accuracy": 0.7, "val_loss": 0.5, "val_accuracy": 0.8},
               {"epoch": 2, "train_loss": 0.4, "train_accuracy": 0.9, "val_loss": "", "val_accuracy": ""}]
    trace = {"loss": [2.0, 1.0, 0.8, 0.5], "accuracy": [0.1, 0.5, 0.8, 0.9], "lr": [0.1, 0.2, 0.2, 0.1]}
    images = np.random.default_rng(0).integers(0, 256, (20, 28, 28), dtype=np.uint8)
    return te.write_run_events(tmp_path, history, 2, trace, {"loss": 0.3, "accuracy": 0.95}, images,
                               np.array([3, 1, 4]))


def test_a_run_file_has_every_step_every_epoch_the_test_and_the_mistakes(tmp_path):
    events = te.read_events(_run_events(tmp_path))
    steps = [e for e in events if "step/train_loss" in e["scalars"]]
    assert [e["step"] for e in steps] == [1, 2, 3, 4]
    assert [e["scalars"]["step/learning_rate"] for e in steps] == pytest.approx([0.1, 0.2, 0.2, 0.1])
    epochs = [e for e in events if "epoch/train_loss" in e["scalars"]]
    assert [e["step"] for e in epochs] == [2, 4]
    assert "epoch/val_loss" in epochs[0]["scalars"] and "epoch/val_loss" not in epochs[1]["scalars"]
    assert any(e["scalars"].get("test/accuracy") == pytest.approx(0.95) for e in events)
    assert any("test/misclassified_most_confident" in e["images"] for e in events)


def test_tensorflow_reads_the_file_written_without_it(tmp_path):
    """The format check that matters: TensorFlow's own record reader (it verifies both CRCs)."""
    pytest.importorskip("tensorflow")
    path = _run_events(tmp_path)
    probe = ("import sys, tensorflow as tf\n"
             "tags = []\n"
             "for e in tf.compat.v1.train.summary_iterator(sys.argv[1]):\n"
             "    tags += [(e.step, v.tag, round(v.simple_value, 4), v.image.width) for v in e.summary.value]\n"
             "print(tags)\n")
    done = subprocess.run([sys.executable, "-c", probe, str(path)], capture_output=True, text=True, timeout=300,
                          env={"TF_CPP_MIN_LOG_LEVEL": "3", "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    tags = eval(done.stdout.strip().splitlines()[-1])  # our own printed list of tuples
    assert (3, "step/train_loss", 0.8, 0) in tags
    assert (4, "test/accuracy", 0.95, 0) in tags
    width = next(w for _, tag, _, w in tags if tag == "test/misclassified_most_confident")
    assert width == (6 * 29 + 1) * 3
