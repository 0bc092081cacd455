"""Reports and comparisons of real runs (the session's trained `fast` runs), through the CLI."""

import io
import json
import shutil

import pytest

from mnist_cnn.reports import comparison
from mnist_cnn.reports.run_report import report_figures

from .conftest import cli_in_one_process, run_cli, run_metrics
from .figure_checks import assert_png
from .test_comparison import markdown_table, number

pytestmark = pytest.mark.slow

REPORT_FIGURES = ["curves.png", "confusion.png", "misclassified.png", "filters.png", "feature_maps.png",
                  "prediction.png"]


@pytest.fixture(params=["torch", "keras"])
def run(request):
    return request.getfixturevalue(f"{request.param}_run")


def test_training_draws_the_curves_and_the_confusion_matrix(run):
    for name in ("curves.png", "confusion.png"):
        assert_png(run / "plots" / name)


def test_report_writes_every_figure_in_order(torch_run, keras_run, tmp_path, mnist_dir):
    runs = (torch_run, keras_run)
    copies = [tmp_path / run.name for run in runs]  # the session's runs are shared: report on copies
    for run, copy in zip(runs, copies):
        shutil.copytree(run, copy)
    results = cli_in_one_process([["report", str(copy), "--image", "5", "--data-dir", str(mnist_dir)]
                                  for copy in copies])  # both frameworks' reports in one process
    for run, copy, result in zip(runs, copies, results):
        assert result.returncode == 0, result.stdout + result.stderr
        report_md = copy / "report.md"
        shown = report_figures(report_md)
        assert shown == [copy / "plots" / name for name in REPORT_FIGURES]
        for figure in shown:
            assert_png(figure)
            assert str(figure) in result.stdout
        text = report_md.read_text()
        summary = run_metrics(run)
        assert f"**{100 * summary['test_accuracy']:.2f}%**" in text
        assert "test image #5" in text
        assert not [p for p in copy.rglob(".*")]  # no temporary files left


def test_report_needs_a_run_folder(torch_run, tmp_path):
    bare = tmp_path / "model.pt"  # a model file outside any run folder: no history to draw
    shutil.copy(torch_run / "model.pt", bare)
    result = run_cli("report", str(bare))
    assert result.returncode != 0
    assert "needs a complete run folder" in result.stderr and "Traceback" not in result.stderr


def test_compare_two_existing_runs(torch_run, keras_run, tmp_path, mnist_dir):
    out = tmp_path / "cmp"
    result = run_cli("compare", "--runs", str(torch_run), str(keras_run), "--out", str(out),
                     "--data-dir", str(mnist_dir))
    assert result.returncode == 0, result.stdout + result.stderr
    saved = comparison.read_comparison(out)
    torch_row, keras_row = saved["models"]
    assert (torch_row["label"], keras_row["label"]) == ("PyTorch", "TensorFlow/Keras")
    assert saved["trained_by_compare"] is False
    agree = saved["agreement"]
    for row, run, only_right in ((torch_row, torch_run, agree["only_a_right"]),
                                 (keras_row, keras_run, agree["only_b_right"])):
        summary = run_metrics(run)
        # a fresh evaluation equals the one made at the end of training
        assert row["test_accuracy_percent"] == round(100 * summary["test_accuracy"], 2)
        assert agree["both_right"] + only_right == summary["test"]["correct"]
        for key in ("parameters", "model_bytes", "epochs"):
            assert row[key] == summary[key]
        assert row["latency_ms_median"] <= row["latency_ms_p95"]
        assert row["batch_images_per_second"] > 0
    assert agree["both_right"] + agree["only_a_right"] + agree["only_b_right"] + agree["both_wrong"] == 10_000
    assert agree["both_right"] <= agree["same_prediction"] <= agree["both_right"] + agree["both_wrong"]
    assert 0 < agree["mcnemar_p"] <= 1
    md = (out / "compare.md").read_text()
    table = markdown_table(md, "| | PyTorch | TensorFlow/Keras |")
    for key, label, decimals in comparison.ROWS:
        if decimals is not None:
            assert [number(cell) for cell in table[label]] == [torch_row[key], keras_row[key]], label
    for name in saved["figures"]:
        assert_png(out / name)
    assert f"Comparison written to {out}" in result.stdout and "McNemar" in result.stdout


def test_compare_trains_both_frameworks_alike_each_in_its_own_process(tmp_path, mnist_dir):
    result = run_cli("compare", "--epochs", "1", "--train-limit", "1500", "--seed", "3", "--runs-dir", str(tmp_path),
                     "--data-dir", str(mnist_dir))
    assert result.returncode == 0, result.stdout + result.stderr
    folders = sorted(p.name for p in tmp_path.iterdir())
    assert len(folders) == 3 and not [n for n in folders if n.startswith(".")], folders
    [compare_folder] = [tmp_path / n for n in folders if n.startswith("compare-") and n.endswith("-fast")]
    saved = comparison.read_comparison(compare_folder)
    assert saved["trained_by_compare"] is True
    configs = []
    for row, framework in zip(saved["models"], ("torch", "keras")):
        run = tmp_path / row["run"].rsplit("/", 1)[-1]
        config = json.loads((run / "config.json").read_text())
        assert config["framework"] == framework
        configs.append({k: v for k, v in config.items() if k in ("recipe", "epochs", "seed", "train_limit", "spec")})
        assert row["peak_memory_mb"] == round(run_metrics(run)["peak_memory_mb"])
    assert configs[0] == configs[1] and configs[0]["seed"] == 3 and configs[0]["train_limit"] == 1500
    assert result.stdout.index("PyTorch (a process of its own)") < result.stdout.index("TensorFlow/Keras (a process")
    for name in ("compare.md", "curves.png", "confusion.png"):
        assert (compare_folder / name).is_file()


BAD_COMPARE = [
    (["--runs", "RUN", "RUN"], "two different runs"),
    (["--runs", "RUN", "/no/such/run", "--epochs", "1"], "apply only when compare trains"),
    (["--runs", "RUN", "/no/such/run"], "/no/such/run: no such file"),
]


def test_compare_bad_input_is_one_clear_line(torch_run, mnist_dir):
    commands = [["compare", *[str(torch_run) if a == "RUN" else a for a in args], "--data-dir", str(mnist_dir)]
                for args, _ in BAD_COMPARE]
    for (args, message), result in zip(BAD_COMPARE, cli_in_one_process(commands)):  # one process for all
        assert result.returncode != 0, args
        assert message in result.stderr and "Traceback" not in result.stderr, result.stderr


def test_menu_offers_both_frameworks_side_by_side(torch_run, keras_run, tmp_path, monkeypatch):
    from rich.console import Console

    from mnist_cnn.menu import compare as menu_compare
    from mnist_cnn.menu.main import run_menu

    for run in (torch_run, keras_run):
        shutil.copytree(run, tmp_path / run.name)
    calls = []
    monkeypatch.setattr(menu_compare, "compare", lambda *args, **kwargs: calls.append((args, kwargs)))
    answers = iter(["3", "2", "3", "1", "", "4", "3", "b", "q"])
    out = io.StringIO()
    code = run_menu(console=Console(file=out, width=200), ask=lambda prompt: next(answers), runs_dir=str(tmp_path))
    text = out.getvalue()
    assert code == 0 and "3) both frameworks, side by side" in text and "Bye." in text
    assert f"compare the latest runs ({torch_run.name} and {keras_run.name})" in text
    (latest_args, latest_kwargs), (train_args, train_kwargs) = calls
    assert latest_args[3] == [str(tmp_path / torch_run.name), str(tmp_path / keras_run.name)]
    assert train_args[1:3] == ("fast", {"epochs": 4}) and train_kwargs["runs_dir"] == str(tmp_path)
