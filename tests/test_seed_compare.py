"""`compare --seeds`: the summary of constructed run folders, and the real command end to end."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from mnist_cnn import seed_compare
from mnist_cnn.runs import write_csv, write_json

from .conftest import run_cli
from .figure_checks import assert_png

ACCURACY = {"torch": [0.9930, 0.9941, 0.9925, 0.9938, 0.9933], "keras": [0.9921, 0.9935, 0.9920, 0.9929, 0.9930]}


def fake_run(folder: Path, framework: str, seed: int, accuracy: float, seconds: float) -> Path:
    run = folder / f"run-{framework}-{seed}"
    run.mkdir(parents=True)
    recall = [accuracy - 0.001 * (d % 3) for d in range(10)]
    write_json(run / "config.json", {"framework": framework, "seed": seed})
    write_json(run / "metrics.json", {"recipe": "fast", "epochs": 2, "test_accuracy": accuracy,
                                      "test_loss": 1 - accuracy, "train_seconds": seconds,
                                      "test": {"per_class": {"recall": recall}}})
    write_csv(run / "history.csv", [{"epoch": e, "train_loss": 0.5 / e + seed / 100, "train_accuracy": 0.9,
                                     "val_loss": 0.2 / e, "val_accuracy": 0.97 + e / 100} for e in (1, 2)])
    write_csv(run / "steps.csv", [{"step": s, "epoch": s / 4, "train_loss": 1 / s + seed / 50,
                                   "train_accuracy": 0.9, "lr": 0.01} for s in range(1, 9)])
    return run


@pytest.fixture
def summarised(tmp_path):
    pairs = [(fake_run(tmp_path / "runs", "torch", s, ACCURACY["torch"][s], 20 + s),
              fake_run(tmp_path / "runs", "keras", s, ACCURACY["keras"][s], 25 - s)) for s in range(5)]
    result = seed_compare.summarise(pairs, tmp_path)
    seed_compare.write_seed_comparison(result, tmp_path)
    return result, tmp_path


def test_mean_sd_min_max_per_framework_and_the_paired_difference(summarised):
    result, _ = summarised
    torch = result["frameworks"]["torch"]["test_accuracy"]
    assert torch["mean"] == pytest.approx(100 * np.mean(ACCURACY["torch"]))
    assert torch["sd"] == pytest.approx(100 * np.std(ACCURACY["torch"], ddof=1))
    assert (torch["min"], torch["max"]) == pytest.approx((99.25, 99.41))
    difference = result["differences"]["test_accuracy"]["paired_t"]
    d = 100 * (np.array(ACCURACY["torch"]) - np.array(ACCURACY["keras"]))
    assert difference["mean_difference"] == pytest.approx(d.mean())
    assert difference["sd_difference"] == pytest.approx(d.std(ddof=1))
    assert difference["p"] < 0.05  # the seeds move both alike; PyTorch is ahead on every seed
    assert result["differences"]["test_accuracy"]["wilcoxon"]["p"] == pytest.approx(0.0625)
    assert result["seeds"] == [0, 1, 2, 3, 4]
    assert result["runs"]["torch"][0]["run"] == "runs/run-torch-0"  # relative: the folder gets renamed


def test_per_digit_recall_and_its_differences(summarised):
    result, _ = summarised
    assert len(result["frameworks"]["keras"]["recall_percent"]) == 10
    digit3 = result["per_class"][3]
    assert digit3["mean_difference"] == pytest.approx(100 * (np.mean(ACCURACY["torch"]) - np.mean(ACCURACY["keras"])))


def test_compare_md_shows_the_table_the_sentence_and_the_figures(summarised):
    result, folder = summarised
    text = (folder / "compare.md").read_text()
    row = next(line for line in text.splitlines() if line.startswith("| test accuracy (%)"))
    torch = result["frameworks"]["torch"]["test_accuracy"]
    assert f"{torch['mean']:.2f} ± {torch['sd']:.2f}" in row and "99.25 – 99.41" in row
    assert "PyTorch is more accurate here" in text
    assert len(re.findall(r"^\| [0-9] \|", text, flags=re.M)) == 10 + 5  # ten digits, five seeds
    assert json.loads((folder / "compare.json").read_text())["seeds"] == [0, 1, 2, 3, 4]
    assert_png(folder / seed_compare.SEEDS_FIGURE)
    assert_png(folder / seed_compare.CURVES_FIGURE)


def test_runs_that_do_not_pair_up_by_seed_are_refused(tmp_path):
    pairs = [(fake_run(tmp_path, "torch", 0, 0.99, 1), fake_run(tmp_path, "keras", 1, 0.99, 1))]
    with pytest.raises(ValueError, match="do not pair up by seed"):
        seed_compare.summarise(pairs, tmp_path)


def test_seeds_start_at_the_given_seed_or_the_recipes():
    assert seed_compare.seeds_for("fast", {"seed": 7}, 3) == [7, 8, 9]
    assert seed_compare.seeds_for("fast", {"seed": None}, 2) == [0, 1]


def test_seeds_and_tensorboard_need_training_not_runs(tmp_path):
    done = run_cli("compare", "--seeds", "3", "--runs", "a", "b", "--runs-dir", str(tmp_path))
    assert done.returncode != 0 and "--seeds and --tensorboard apply only when compare trains" in done.stderr


@pytest.mark.slow
def test_compare_with_two_seeds_trains_real_runs_under_the_compare_folder(tmp_path, mnist_dir):
    done = run_cli("compare", "--seeds", "2", "--seed", "5", "--epochs", "1", "--train-limit", "256",
                   "--tensorboard", "--runs-dir", str(tmp_path))
    assert done.returncode == 0, done.stdout + done.stderr
    (folder,) = [p for p in tmp_path.iterdir() if p.name.startswith("compare-")]
    runs = sorted((folder / "runs").iterdir())
    assert len(runs) == 4
    seeds = {}
    for run in runs:
        config = json.loads((run / "config.json").read_text())
        seeds.setdefault(config["framework"], []).append(config["seed"])
        assert (run / "steps.csv").is_file() and list(run.glob("events.out.tfevents.*"))
        assert config["machine"]["vector_extensions"] is not None
    assert sorted(seeds["torch"]) == sorted(seeds["keras"]) == [5, 6]
    result = json.loads((folder / "compare.json").read_text())
    assert [row["seed"] for row in result["runs"]["keras"]] == [5, 6]
    assert "paired t-test" in " ".join(done.stdout.split()).lower()
