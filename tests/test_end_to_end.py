"""End to end on real MNIST, through the CLI as a user runs it: train, then evaluate."""

import csv
import json
import re

import pytest

from mnist_cnn.runs import latest_run

from .conftest import cli_in_one_process, run_metrics

pytestmark = pytest.mark.slow


@pytest.fixture(params=["torch", "keras"])
def run(request):
    return request.getfixturevalue(f"{request.param}_run")


def test_one_epoch_of_fast_reaches_98_5_percent(run):
    summary = run_metrics(run)
    assert summary["epochs"] == 1 and summary["recipe"] == "fast"
    assert summary["test_accuracy"] >= 0.985, summary["test_accuracy"]
    output = (run / "cli-output.txt").read_text()
    assert f"Test accuracy {100 * summary['test_accuracy']:.2f}%" in output
    assert f"Run written to {run}" in output
    assert re.search(r"Epoch 1/1 .*val_acc .*%", output)


def test_run_folder_is_complete_and_readable(run):
    framework = run_metrics(run)["framework"]
    assert re.fullmatch(rf"\d{{8}}-\d{{6}}-{framework}-fast", run.name)
    names = {p.name for p in run.iterdir()}
    assert {"config.json", "history.csv", "metrics.json", f"model{'.pt' if framework == 'torch' else '.keras'}"} <= names
    assert not [n for n in names if n.startswith(".")]  # no temporary files left
    config = json.loads((run / "config.json").read_text())
    assert config["framework"] == framework and config["spec"]["name"] == "fast" and config["epochs"] == 1
    with open(run / "history.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 1
    assert set(rows[0]) >= {"epoch", "train_loss", "train_accuracy", "val_loss", "val_accuracy", "lr", "seconds"}
    assert 0.95 < float(rows[0]["val_accuracy"]) <= 1.0


def test_evaluate_reproduces_the_training_accuracy_exactly(run):
    summary = run_metrics(run)
    framework = summary["framework"]
    result, as_json = cli_in_one_process([  # both commands in one fresh process: one framework import
        ["evaluate", "--framework", framework, "--model", "latest", "--runs-dir", str(run.parent)],
        ["evaluate", str(run / f"model{'.pt' if framework == 'torch' else '.keras'}"), "--json"],
    ])
    assert result.returncode == 0, result.stderr
    correct = summary["test"]["correct"]
    assert f"Test accuracy: {100 * summary['test_accuracy']:.2f}% ({correct:,} of 10,000 correct)" in result.stdout
    assert "macro" in result.stdout and "Confusion matrix" in result.stdout and "Most common confusions" in result.stdout
    assert as_json.returncode == 0, as_json.stderr
    report = json.loads(as_json.stdout)
    assert report["correct"] == correct and report["accuracy"] == summary["test_accuracy"]
    assert report["confusion_matrix"] == summary["test"]["confusion_matrix"]


def test_evaluate_a_run_folder_and_latest_picks_the_framework(torch_run, keras_run, tmp_path):
    for run in (torch_run, keras_run):
        (tmp_path / run.name).symlink_to(run)
    latest = latest_run(tmp_path, "keras")
    assert latest is not None and latest.name == keras_run.name
    result, wrong = cli_in_one_process([["evaluate", str(torch_run)],
                                        ["evaluate", str(torch_run / "model.pt"), "--framework", "keras"]])
    assert result.returncode == 0 and "PyTorch model" in result.stdout
    assert wrong.returncode != 0
    assert "is a torch model, but --framework keras was given" in wrong.stderr
    assert "Traceback" not in wrong.stderr
