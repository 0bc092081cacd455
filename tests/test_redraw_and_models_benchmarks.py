"""Two measures behind the reading's figures: what the reading's own redrawing of a digit costs
the model (benchmarks.redraw_cost), and how far apart several models read the same photos
(benchmarks.real_photos_models: the seeds of one recipe)."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from tests.photos import clear_digits, compose


@pytest.fixture(scope="module")
def model(torch_run, keep_torch_threads):
    from mnist_cnn.reading.commands import load_model

    return load_model(str(torch_run), None, None)[0]


def test_a_digit_is_binarised_the_way_a_photos_ink_is_and_cropped_to_it(mnist):
    from benchmarks.redraw_cost import binarised
    from mnist_cnn.reading.digits import WORK_SIZE

    digit = binarised(mnist.test_images[0])
    assert set(np.unique(digit)) == {0, 1} and max(digit.shape) <= WORK_SIZE
    assert digit[0].any() and digit[-1].any() and digit[:, 0].any() and digit[:, -1].any()  # no margin
    assert binarised(np.zeros((28, 28), np.uint8)).sum() == 0  # an empty field stays empty


def test_the_readings_redrawing_costs_the_model_little_on_mnist_digits(model, mnist):
    from benchmarks.redraw_cost import run

    result = run(model, mnist.test_images[:600], mnist.test_labels[:600])
    assert result["digits"] == 600 and result["as_given"] >= 0.95
    # Drawn back as the reading draws a photo's digit, MNIST's own digits read nearly as well:
    # a redrawing that lost digits would show here before it showed on the photos.
    assert result["redrawn_all_pens"] >= result["as_given"] - 0.015
    assert len(result["redrawn_each_pen"]) == 4 and all(a >= 0.9 for a in result["redrawn_each_pen"].values())


def test_the_models_benchmark_reads_the_photos_with_each_model_and_gives_the_spread(
        model, torch_run, mnist, tmp_path, monkeypatch, capsys):
    from benchmarks import common
    from benchmarks.real_photos_models import main

    images, labels = clear_digits(mnist, model, count=3, seed=4)
    photo = compose(images, labels, [(120, 150, 110), (260, 160, 110), (400, 150, 110)], seed=4)
    photos = tmp_path / "photos"
    photos.mkdir()
    cv2.imwrite(str(photos / "three.png"), photo.image)
    (photos / "truth.json").write_text(json.dumps({"three.png": {"digits": photo.text, "rows": photo.rows}}))
    monkeypatch.setattr(common, "RESULTS", tmp_path / "results")

    assert main([str(photos), "--models", str(torch_run), str(torch_run), "--name", "two"]) == 0
    result = json.loads((tmp_path / "results" / "two.json").read_text())
    assert len(result["models"]) == 2
    first, second = result["models"]
    assert first["digits_right"] == second["digits_right"] == 3 and first["numbers_exact"] == 1
    recorded = json.loads((torch_run / "metrics.json").read_text())["test_accuracy"]
    assert first["mnist_test_accuracy"] == pytest.approx(recorded)
    assert result["spread"]["digits_right"] == [3, 3.0, 3]
    assert "digits right: least 3, mean 3.0, most 3" in capsys.readouterr().out


def test_the_models_benchmark_refuses_a_folder_without_truth(tmp_path, capsys):
    from benchmarks.real_photos_models import main

    assert main([str(tmp_path), "--models", "latest"]) == 1
    assert "no truth.json" in capsys.readouterr().err


def test_the_two_benchmarks_name_a_missing_model_in_one_line(tmp_path, capsys):
    from benchmarks.real_photos_models import main as models_main
    from benchmarks.redraw_cost import main as redraw_main

    (tmp_path / "truth.json").write_text("{}")
    missing = str(tmp_path / "nowhere" / "model.pt")
    assert models_main([str(tmp_path), "--models", missing]) == 1
    assert redraw_main(["--model", missing]) == 1
    errors = capsys.readouterr().err.strip().splitlines()
    assert len(errors) == 2 and all(line.startswith("Error: ") and "nowhere" in line for line in errors)
