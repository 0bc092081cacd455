"""Ensembles average their members' probabilities, through the API and the CLI."""

import json

import numpy as np

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
