"""Ensembles average their members' probabilities, through the API and the CLI."""

import json

import numpy as np
import pytest

from mnist_cnn.training.ensemble import EnsembleClassifier

from .conftest import run_cli, run_metrics


class _Fixed:
    framework = "torch"
    spec = None

    def __init__(self, proba):
        self.proba = np.asarray(proba, np.float32)

    def predict_proba(self, images):
        return self.proba[: len(images)]


def test_average_of_members_by_hand():
    a = _Fixed([[0.6, 0.4], [0.2, 0.8]])
    b = _Fixed([[0.0, 1.0], [0.4, 0.6]])
    np.testing.assert_allclose(EnsembleClassifier([a, b]).predict_proba(np.zeros((2, 28, 28))),
                               [[0.3, 0.7], [0.3, 0.7]])


def test_cli_evaluates_several_runs_as_an_ensemble(torch_run, keras_run):
    result = run_cli("evaluate", str(torch_run), str(keras_run), "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["framework"] == "keras+torch" and len(report["model"]) == 2
    # an average of two good models is at least as good as the weaker one, here on real data
    weaker = min(run_metrics(torch_run)["test_accuracy"], run_metrics(keras_run)["test_accuracy"])
    assert report["accuracy"] >= weaker - 0.002


@pytest.mark.slow
def test_train_ensemble_trains_members_with_successive_seeds_and_records_their_average(tmp_path, mnist_dir):
    result = run_cli("train", "--framework", "torch", "--recipe", "mlp", "--epochs", "1", "--train-limit", "2000",
                     "--ensemble", "2", "--seed", "4", "--runs-dir", str(tmp_path), "--data-dir", str(mnist_dir))
    assert result.returncode == 0, result.stdout + result.stderr
    folders = sorted(p for p in tmp_path.iterdir())
    assert len(folders) == 3, folders
    (ensemble,) = [p for p in folders if p.name.endswith("-torch-mlp-ensemble2")]
    record = json.loads((ensemble / "ensemble.json").read_text())
    members = [tmp_path / m["run"] for m in record["members"]]
    assert record["size"] == 2 and sorted(members) == sorted(p for p in folders if p != ensemble)
    assert [m["seed"] for m in record["members"]] == [4, 5]
    assert [json.loads((m / "config.json").read_text())["seed"] for m in members] == [4, 5]
    assert [m["test_accuracy"] for m in record["members"]] == [run_metrics(m)["test_accuracy"] for m in members]
    assert f"Ensemble of 2: test accuracy {100 * record['test_accuracy']:.2f}%" in result.stdout
    # the recorded figure is what `evaluate` gives for the average of the two member models
    evaluated = run_cli("evaluate", *map(str, members), "--json", "--data-dir", str(mnist_dir))
    assert evaluated.returncode == 0, evaluated.stderr
    assert json.loads(evaluated.stdout)["accuracy"] == record["test_accuracy"]
    assert record["test"]["correct"] == round(record["test_accuracy"] * 10000)
