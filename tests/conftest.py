"""Shared fixtures.

Real MNIST is found through $MNIST_CNN_DATA, else ../shared/mnist beside the project.
Without it the tests that need it skip on a developer's machine but FAIL under CI=true:
CI must never pass by skipping the real thing.

`torch_run` and `keras_run` train the `fast` recipe for one epoch through the real CLI once
per session; every test that needs a trained model reuses them, which keeps the suite short.

Markers come from the fixtures a test uses (pytest_collection_modifyitems below), not from
memory: a test that uses MNIST is `mnist`, one that uses a trained run is also `slow`. The
quick tier, `pytest -m "not slow and not mnist"`, therefore trains nothing and needs no data;
a test that reaches a trained run some other way (request.getfixturevalue) without the
`slow` mark fails rather than slowing the quick tier down unseen.
"""

from __future__ import annotations

import http.server
import json
import os
import subprocess
import sys
import threading
from functools import partial
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


# fixture -> the markers every test using it (directly or through other fixtures) gets
FIXTURE_MARKS = {
    "mnist_dir": ("mnist",),
    "mnist": ("mnist",),
    "torch_run": ("mnist", "slow"),
    "keras_run": ("mnist", "slow"),
}


def pytest_collection_modifyitems(config, items):
    for item in items:
        for fixture in getattr(item, "fixturenames", ()):
            for mark in FIXTURE_MARKS.get(fixture, ()):
                if item.get_closest_marker(mark) is None:
                    item.add_marker(mark)
        # slow implies mnist: everything slow trains on (or reads) the real data
        if item.get_closest_marker("slow") is not None and item.get_closest_marker("mnist") is None:
            item.add_marker("mnist")


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


# Skips CI accepts: the machine lacks a platform feature, or HAS a GPU (so "no GPU" messages
# cannot be seen). Any other skip under CI=true (a missing package, tool or data set) is a
# failure: CI must never pass by skipping what it could run.
SKIPS_ALLOWED_IN_CI = ("sees a CUDA device", "a CUDA device is present", "a GPU is present",
                       "glibc's malloc only", "POSIX only", "through /proc", "no bfloat16 support")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.skipped and in_ci() and isinstance(report.longrepr, tuple):
        reason = str(report.longrepr[2])
        if not any(allowed in reason for allowed in SKIPS_ALLOWED_IN_CI):
            report.outcome = "failed"
            report.longrepr = f"CI=true: this test skipped ({reason}), but CI can run it and must"


_RUNNING: list = [None]  # the test being set up or run (for the check in _train_once)


def pytest_runtest_setup(item):
    _RUNNING[0] = item


def _mnist_dir() -> Path | None:
    from mnist_cnn.data.mnist import find_files

    for candidate in (os.environ.get("MNIST_CNN_DATA"), ROOT.parent / "shared" / "mnist"):
        if candidate and find_files(Path(candidate)) is not None:
            return Path(candidate).resolve()
    return None


@pytest.fixture(scope="session")
def mnist_dir() -> Path:
    found = _mnist_dir()
    if found is None:
        message = "real MNIST not found: set MNIST_CNN_DATA to a folder with the four IDX files"
        if in_ci():
            pytest.fail(message + " (CI=true: tests on real data must run, not skip)")
        pytest.skip(message)
    return found


@pytest.fixture(scope="session")
def mnist(mnist_dir):
    from mnist_cnn.data.mnist import load_mnist

    return load_mnist(mnist_dir, download=False)


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory, monkeypatch):
    # Never read or write the developer's real cache from a test.
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.getbasetemp() / "xdg-cache"))


def run_cli(*args: str, env: dict | None = None, input: str | None = None, timeout: float = 600,
            cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run `python -m mnist_cnn ARGS` in a fresh process, as a user would (data found as in CI)."""
    found = _mnist_dir()
    full_env = {**os.environ, **({"MNIST_CNN_DATA": str(found)} if found else {}), **(env or {})}
    return subprocess.run([sys.executable, "-m", "mnist_cnn", *args], capture_output=True, text=True,
                          env=full_env, input=input, timeout=timeout, cwd=cwd or ROOT)


_HELP_PROBE = """
import json, sys
from click.testing import CliRunner
from mnist_cnn.cli import cli
commands, watched = json.loads(sys.argv[1]), json.loads(sys.argv[2])
results = [CliRunner().invoke(cli, [*command, "--help"], prog_name="mnist-cnn") for command in commands]
print(json.dumps({"loaded": sorted(m for m in watched if m in sys.modules),
                  "output": "".join(r.output for r in results),
                  "exit_codes": [r.exit_code for r in results]}))
"""


def help_in_fresh_process(commands: list[list[str]], watched: tuple[str, ...]) -> dict:
    """`mnist-cnn COMMAND --help` for each command, in one fresh process: which of the `watched`
    modules got imported (`loaded`), the help texts (`output`) and each `exit_codes`."""
    done = subprocess.run([sys.executable, "-c", _HELP_PROBE, json.dumps(commands), json.dumps(list(watched))],
                          capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


_BATCH_PROBE = """
import json, sys, traceback
from click.testing import CliRunner
from mnist_cnn.cli import cli
results = []
for args, env in json.loads(open(sys.argv[1]).read()):
    r = CliRunner().invoke(cli, args, env=env, prog_name="mnist-cnn")
    stderr = r.stderr
    if r.exception is not None and not isinstance(r.exception, SystemExit):  # what a process would print
        stderr += "".join(traceback.format_exception(r.exception))
    results.append({"args": args, "returncode": r.exit_code, "stdout": r.stdout, "stderr": stderr})
open(sys.argv[2], "w").write(json.dumps(results))
"""


def cli_in_one_process(commands: list[list[str]], env: dict | None = None, tmp: Path | None = None,
                       envs: list[dict] | None = None) -> list[subprocess.CompletedProcess]:
    """Several `mnist-cnn ARGS` commands, one after another in ONE fresh process (the same click
    command `python -m mnist_cnn` runs), each with its own exit code, stdout and stderr: a test
    that checks a command per file pays one interpreter start and one framework import, not one
    per file. `envs` gives each command its own extra environment. An exception escaping a
    command appears as a traceback on its stderr, as in a process of its own; anything written
    on the process's own stderr (a framework's C++ logging, which no command may print) fails."""
    import tempfile

    found = _mnist_dir()
    base = {**({"MNIST_CNN_DATA": str(found)} if found else {}), **(env or {})}
    with tempfile.TemporaryDirectory(dir=tmp) as folder:
        todo, done_file = Path(folder) / "commands.json", Path(folder) / "results.json"
        todo.write_text(json.dumps([[list(args), {**base, **((envs or [{}] * len(commands))[i])}]
                                    for i, args in enumerate(commands)]))
        done = subprocess.run([sys.executable, "-c", _BATCH_PROBE, str(todo), str(done_file)], capture_output=True,
                              text=True, cwd=ROOT, timeout=600, env={**os.environ, **base})
        assert done.returncode == 0, done.stdout + done.stderr
        assert done.stderr.strip() == "", done.stderr  # no framework chatter outside the commands' own output
        return [subprocess.CompletedProcess(r["args"], r["returncode"], r["stdout"], r["stderr"])
                for r in json.loads(done_file.read_text())]


def _train_once(framework: str, runs_dir: Path, mnist_dir: Path) -> Path:
    item = _RUNNING[0]
    if item is not None and item.get_closest_marker("slow") is None:
        pytest.fail(f"{item.nodeid} trains a model ({framework}_run) but is not marked slow: "
                    f"mark it, or request {framework}_run as a fixture argument so it is marked automatically")
    result = run_cli("train", "--framework", framework, "--epochs", "1", "--runs-dir", str(runs_dir),
                     "--data-dir", str(mnist_dir))
    assert result.returncode == 0, result.stdout + result.stderr
    runs = [p for p in runs_dir.iterdir() if not p.name.startswith(".")]
    assert len(runs) == 1, runs
    run = runs[0]
    run.joinpath("cli-output.txt").write_text(result.stdout)
    return run


@pytest.fixture(scope="session")
def torch_run(tmp_path_factory, mnist_dir) -> Path:
    """A run folder of `mnist-cnn train --framework torch --epochs 1` (recipe fast)."""
    return _train_once("torch", tmp_path_factory.mktemp("runs-torch"), mnist_dir)


@pytest.fixture(scope="session")
def keras_run(tmp_path_factory, mnist_dir) -> Path:
    """A run folder of `mnist-cnn train --framework keras --epochs 1` (recipe fast)."""
    return _train_once("keras", tmp_path_factory.mktemp("runs-keras"), mnist_dir)


def run_metrics(run: Path) -> dict:
    return json.loads((run / "metrics.json").read_text())


@pytest.fixture(scope="module")
def keep_torch_threads():
    """Reading sets PyTorch to one thread for the process (mnist_cnn.reading.commands.load_model);
    put back what the rest of the test session had when a module is done."""
    import torch

    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


# ------------------------- a real HTTP mirror on 127.0.0.1 (the downloads of test_data and test_data_checks)

class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def mirror(tmp_path):
    """Serve folders over HTTP on 127.0.0.1; yields a function folder -> base URL."""
    servers = []

    def serve(folder: Path) -> str:
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), partial(_QuietHandler, directory=str(folder)))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/"

    yield serve
    for server in servers:
        server.shutdown()
        server.server_close()
