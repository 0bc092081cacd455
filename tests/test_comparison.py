"""The comparison pipeline on constructed models (no framework): compare.json, compare.md, figures."""

import re
from pathlib import Path

import numpy as np
import pytest

from mnist_cnn.data.mnist import Mnist
from mnist_cnn.evaluation.agreement import mcnemar_exact
from mnist_cnn.reports import comparison

from .figure_checks import assert_png

N = 200


class TableClassifier:
    """Predicts from a fixed table: image i (its pixel [0, 0] holds i) gets predictions[i]."""

    framework = "torch"
    spec = None

    def __init__(self, predictions: np.ndarray):
        self.predictions = predictions

    def predict_proba(self, images):
        index = images[:, 0, 0].astype(np.int64) + 256 * images[:, 0, 1].astype(np.int64)
        proba = np.full((len(images), 10), 0.01, np.float32)
        proba[np.arange(len(images)), self.predictions[index]] = 0.91
        return proba


def constructed(tmp_path: Path):
    labels = np.arange(N) % 10
    images = np.zeros((N, 28, 28), np.uint8)
    images[:, 0, 0], images[:, 0, 1] = np.arange(N) % 256, np.arange(N) // 256
    pred_a, pred_b = labels.copy(), labels.copy()
    pred_a[:12] = (labels[:12] + 1) % 10     # a wrong on 0..11
    pred_b[8:30] = (labels[8:30] + 2) % 10   # b wrong on 8..29 -> only a right: 18, only b right: 8
    data = Mnist(images, labels, images, labels, "constructed")
    models = []
    for name, framework, pred, seconds in (("ra", "torch", pred_a, 12.5), ("rb", "keras", pred_b, 30.25)):
        run = tmp_path / name
        run.mkdir()
        summary = {"recipe": "fast", "epochs": 2, "train_seconds": seconds, "train_images_per_second": 9000.4,
                   "parameters": 29434, "model_bytes": 123456 if framework == "torch" else 170001,
                   "peak_memory_mb": 512.26}
        history = [{"epoch": "1", "train_loss": "0.5", "train_accuracy": "0.9", "val_loss": "0.2",
                    "val_accuracy": "0.95"},
                   {"epoch": "2", "train_loss": "0.3", "train_accuracy": "0.95", "val_loss": "0.1",
                    "val_accuracy": "0.97"}]
        models.append(comparison.ComparedModel(
            "PyTorch" if framework == "torch" else "TensorFlow/Keras", run, framework,
            TableClassifier(pred), {"seed": 0}, summary, history))
    return models, data


def markdown_table(text: str, header_start: str) -> dict[str, list[str]]:
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header_start))
    rows = {}
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in line.strip("|").split("|")]
        rows[cells[0]] = cells[1:]
    return rows


def number(cell: str) -> float:
    return float(cell.replace(",", ""))


def test_compare_json_and_markdown_carry_the_same_numbers(tmp_path):
    (a, b), data = constructed(tmp_path)
    result = comparison.compare_models(a, b, data, trained_here=True)
    out = tmp_path / "cmp"
    comparison.write_comparison(result, a, b, out)
    saved = comparison.read_comparison(out)
    md = (out / "compare.md").read_text()

    table = markdown_table(md, "| | PyTorch | TensorFlow/Keras |")
    assert len(table) == len(comparison.ROWS)
    for key, label, decimals in comparison.ROWS:
        for model, cell in zip(saved["models"], table[label]):
            if decimals is None:
                assert cell == str(model[key])
            else:
                assert number(cell) == model[key], (label, cell, model[key])
    agreement_table = markdown_table(md, "| | images |")
    agree = saved["agreement"]
    assert number(agreement_table["same digit predicted by both"][0]) == agree["same_prediction"]
    assert number(agreement_table["only PyTorch right"][0]) == agree["only_a_right"]
    assert number(agreement_table["only TensorFlow/Keras right"][0]) == agree["only_b_right"]
    assert number(agreement_table["both wrong"][0]) == agree["both_wrong"]
    assert re.search(rf"p = {agree['mcnemar_p']}\b", md)
    for name in saved["figures"]:
        assert f"]({name})" in md
        assert_png(out / name)


def test_the_numbers_are_those_of_the_constructed_models(tmp_path):
    (a, b), data = constructed(tmp_path)
    result = comparison.compare_models(a, b, data)
    ma, mb = result["models"]
    assert ma["test_accuracy_percent"] == 100 * (N - 12) / N and mb["test_accuracy_percent"] == 100 * (N - 22) / N
    assert ma["seconds_per_epoch"] == 6.2 and mb["seconds_per_epoch"] == pytest.approx(15.1)  # 15.125 rounds to 1 place
    assert ma["model_bytes"] == 123456 and ma["peak_memory_mb"] == 512 and ma["train_images_per_second"] == 9000
    assert result["agreement"] == {"total": N, "same_prediction": N - 30, "both_right": N - 30,
                                   "only_a_right": 18, "only_b_right": 8, "both_wrong": 4,
                                   "mcnemar_p": float(f"{mcnemar_exact(18, 8):.4g}")}
    assert ma["latency_ms_median"] > 0 and mb["batch_images_per_second"] > 0
    assert "not show that either model" in comparison.verdict(result)


def test_one_run_cannot_be_compared_with_itself(tmp_path):
    (a, _), data = constructed(tmp_path)
    with pytest.raises(ValueError, match="two different runs"):
        comparison.compare_models(a, a, data)


def test_the_same_framework_twice_is_labelled_by_run(tmp_path):
    (a, b), data = constructed(tmp_path)
    b.framework, b.label = "torch", "PyTorch"
    result = comparison.compare_models(a, b, data)
    assert [m["label"] for m in result["models"]] == ["PyTorch (ra)", "PyTorch (rb)"]
