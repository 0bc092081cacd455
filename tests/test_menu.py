"""The interactive menu, driven through its real standard input."""

import subprocess
import sys

import pytest

from .conftest import ROOT, run_metrics


def menu(answers: str, runs_dir, mnist_dir) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "interactive_run.py"], input=answers, capture_output=True, text=True,
                          cwd=ROOT, timeout=300,
                          env={**__import__("os").environ, "MNIST_CNN_RUNS": str(runs_dir),
                               "MNIST_CNN_DATA": str(mnist_dir)})


def test_end_of_input_leaves_cleanly(tmp_path, mnist_dir):
    result = menu("", tmp_path, mnist_dir)
    assert result.returncode == 0
    assert "End of input: leaving the menu." in result.stdout and "Traceback" not in result.stderr


def test_invalid_answers_re_prompt_then_quit(tmp_path, mnist_dir):
    result = menu("7\nhello\nq\n", tmp_path, mnist_dir)
    assert result.returncode == 0
    assert result.stdout.count("Please answer one of: 1, 2, 3, q.") == 2 and "Bye." in result.stdout


def test_reuse_latest_model_and_evaluate_on_the_test_set(torch_run, mnist_dir):
    # 1 PyTorch -> 2 reuse latest -> 1 standard test set -> q quit
    result = menu("1\n2\n1\nq\n", torch_run.parent, mnist_dir)
    assert result.returncode == 0, result.stdout + result.stderr
    summary = run_metrics(torch_run)
    assert f"reuse the latest PyTorch model ({torch_run.name}" in result.stdout
    assert f"Test accuracy: {100 * summary['test_accuracy']:.2f}% ({summary['test']['correct']:,} of 10,000" in result.stdout
    assert "Bye." in result.stdout


def test_menu_and_cli_share_one_entry_point():
    result = subprocess.run([sys.executable, "-m", "mnist_cnn", "menu"], input="q\n", capture_output=True,
                            text=True, cwd=ROOT, timeout=60)
    assert result.returncode == 0 and "Choose the framework" in result.stdout and "Bye." in result.stdout


def test_ctrl_c_at_a_prompt_leaves_with_a_message():
    import io

    from rich.console import Console

    from mnist_cnn.menu.main import run_menu

    def interrupt(prompt):
        raise KeyboardInterrupt

    out = io.StringIO()
    code = run_menu(console=Console(file=out, width=120), ask=interrupt)
    assert code == 130 and "Interrupted: leaving the menu." in out.getvalue()


@pytest.mark.slow
def test_train_a_new_model_then_evaluate_it(tmp_path, mnist_dir):
    """The menu's own training path: PyTorch -> train a new model -> recipe mlp -> 1 epoch, then the
    standard test set on the model just trained, then quit."""
    from mnist_cnn.config import RECIPES

    mlp = str(list(RECIPES).index("mlp") + 1)
    result = menu(f"1\n1\n{mlp}\n1\n1\nq\n", tmp_path, mnist_dir)
    assert result.returncode == 0, result.stdout + result.stderr
    (run,) = [p for p in tmp_path.iterdir()]
    summary = run_metrics(run)
    assert run.name.endswith("-torch-mlp") and summary["epochs"] == 1 and summary["recipe"] == "mlp"
    assert f"Run written to {run}" in result.stdout
    # the test set is read with the model just trained: its accuracy, as training measured it
    assert result.stdout.count(f"{100 * summary['test_accuracy']:.2f}%") >= 2
    assert f"Test accuracy: {100 * summary['test_accuracy']:.2f}% ({summary['test']['correct']:,} of 10,000" \
        in result.stdout
    assert "Bye." in result.stdout
