"""Trained runs under the corruption suite: the table, its numbers, the files, the command."""

from __future__ import annotations

import json

import numpy as np
import pytest

from mnist_cnn.data import corruptions

from mnist_cnn.reports import robustness
from mnist_cnn.data.mnist import load_mnist
from mnist_cnn.training.loop import evaluate_classifier

from .conftest import run_cli
from .figure_checks import assert_png

LIMIT = 300


class Console:
    def print(self, *args, **kwargs):
        pass


def test_group_summary_is_mean_and_sd_of_runs_of_one_framework_and_recipe():
    rows = [{"group": "PyTorch fast", "accuracy": {"clean": c, "rotate": r}, "mean_corrupted": r}
            for c, r in ((0.99, 0.70), (0.98, 0.80))] + \
           [{"group": "Keras fast", "accuracy": {"clean": 0.97, "rotate": 0.6}, "mean_corrupted": 0.6}]
    torch, keras = robustness.group_summary(rows, ["rotate"])
    assert torch["runs"] == 2 and torch["mean"]["rotate"] == pytest.approx(0.75)
    assert torch["sd"]["rotate"] == pytest.approx(np.std([0.7, 0.8], ddof=1))
    assert keras["runs"] == 1 and keras["sd"]["clean"] == 0.0


@pytest.mark.slow
def test_both_frameworks_under_every_corruption(torch_run, keras_run, mnist_dir, tmp_path):
    report, result = robustness.check_runs(Console(), [str(torch_run), str(keras_run)], tmp_path / "out",
                                           tmp_path, str(mnist_dir), limit=LIMIT)
    assert [c["name"] for c in result["corruptions"]] == list(corruptions.NAMES)
    data = load_mnist(mnist_dir, download=False)
    torch_row = result["runs"][0]
    # clean: the very accuracy `evaluate` gives on these images
    model = robustness.load_model(str(torch_run), tmp_path)
    clean = evaluate_classifier(model.classifier, data.test_images[:LIMIT], data.test_labels[:LIMIT]).accuracy
    assert torch_row["accuracy"]["clean"] == clean
    assert torch_row["mean_corrupted"] == pytest.approx(np.mean([torch_row["accuracy"][n] for n in corruptions.NAMES]))
    for row in result["runs"]:
        # a corruption that leaves no digit readable would be a broken suite
        assert min(row["accuracy"][n] for n in ("shot_noise", "spatter", "dotted_line")) > 0.8 * row["accuracy"]["clean"]
        assert row["mean_corrupted"] < row["accuracy"]["clean"]
    text = report.read_text()
    assert text.count("\n| ") >= 17 + 15  # clean, 15 corruptions, mean; then one line per corruption
    assert f"{100 * torch_row['mean_corrupted']:.2f}" in text
    assert json.loads((tmp_path / "out" / "robustness.json").read_text())["test_images"] == LIMIT
    assert_png(tmp_path / "out" / robustness.PICTURE)


@pytest.mark.slow
def test_the_robustness_command_and_its_errors(torch_run, tmp_path):
    done = run_cli("robustness", str(torch_run), "--limit", "100", "--out", str(tmp_path / "r"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "mean of the 15" in done.stdout and (tmp_path / "r" / "robustness.md").is_file()
    missing = run_cli("robustness", "--runs-dir", str(tmp_path / "empty"))
    assert missing.returncode != 0 and "no runs in" in missing.stderr


def test_help_of_the_new_options_loads_no_framework_and_no_opencv():
    from .conftest import help_in_fresh_process

    result = help_in_fresh_process([["robustness"], ["compare"], ["train"]],
                                   ("torch", "tensorflow", "keras", "cv2", "matplotlib"))
    assert result["loaded"] == [] and result["exit_codes"] == [0, 0, 0], result
    assert "MNIST-C" in result["output"] and "--seeds" in result["output"] and "--tensorboard" in result["output"]
