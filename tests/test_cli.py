"""The command line as a user meets it: help, lazy imports, and one-line errors."""

from .conftest import cli_in_one_process, help_in_fresh_process, run_cli

COMMANDS = [["train"], ["evaluate"], ["recipes"], ["runs"], ["data"], ["data", "info"], ["data", "download"], ["menu"]]


def test_help_imports_neither_framework():
    result = help_in_fresh_process([[]], ("torch", "tensorflow", "keras", "cv2", "matplotlib"))
    assert result["loaded"] == [], result
    assert "train" in result["output"] and "evaluate" in result["output"]


def test_every_command_explains_itself():
    for command, result in zip(COMMANDS, cli_in_one_process([[*c, "--help"] for c in COMMANDS])):  # one process
        assert result.returncode == 0, (command, result.stderr)
        assert "Usage: mnist-cnn" in result.stdout and len(result.stdout.splitlines()) > 4, command


BAD_INPUT = [
    (["train", "--framework", "caffe"], "unknown framework 'caffe'"),
    (["train", "--recipe", "huge"], "'huge' is not one of"),
    (["train", "--epochs", "0"], "0 is not in the range x>=1"),
    (["train", "--val-split", "1"], "--val-split"),
    (["evaluate", "--model", "/no/such/model.pt"], "/no/such/model.pt: no such file"),
    (["evaluate", "a", "--model", "b"], "not both"),
]


def test_bad_input_is_one_clear_line(tmp_path):
    commands = [[*args, "--runs-dir", str(tmp_path)] if args[0] == "evaluate" else args for args, _ in BAD_INPUT]
    for (args, message), result in zip(BAD_INPUT, cli_in_one_process(commands)):  # one process for all
        assert result.returncode != 0, args
        assert message in result.stderr, (args, result.stderr)
        assert "Traceback" not in result.stderr


def test_evaluate_with_no_runs_says_what_to_do(tmp_path):
    result = run_cli("evaluate", "--framework", "keras", "--runs-dir", str(tmp_path))
    assert result.returncode == 1
    assert "no complete keras run" in result.stderr and "mnist-cnn train --framework keras" in result.stderr


def test_missing_data_offline_is_one_clear_error(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    result = run_cli("train", "--data-dir", str(empty), "--runs-dir", str(tmp_path / "runs"),
                     env={"MNIST_CNN_MIRRORS": "http://127.0.0.1:9/"})
    assert result.returncode == 1
    assert "MNIST was not found" in result.stderr and "--data-dir" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())


def test_recipes_lists_every_recipe():
    result = run_cli("recipes")
    assert result.returncode == 0
    for name in ("fast", "kids", "lab7", "tutorial", "mlp"):
        assert name in result.stdout


def test_runs_lists_trained_runs(torch_run):
    result = run_cli("runs", "--runs-dir", str(torch_run.parent))
    assert result.returncode == 0 and torch_run.name in result.stdout


def test_help_of_every_command_imports_no_framework():
    """`mnist-cnn COMMAND --help` answers before any framework, OpenCV or matplotlib loads: one
    fresh process asks every command (a command that imports one at module level shows up here)."""
    commands = [["train"], ["evaluate"], ["compare"], ["report"], ["explain"], ["menu"], ["predict"], ["camera"],
                ["export"], ["onnx-compare"], ["recipes"], ["runs"], ["data"]]
    result = help_in_fresh_process(commands, ("torch", "tensorflow", "keras", "cv2", "matplotlib", "onnxruntime"))
    assert result["exit_codes"] == [0] * len(commands), result
    assert result["loaded"] == [], result
    assert result["output"].count("Usage: mnist-cnn") == len(commands)
