"""One error family, worded in one place: every failure a user can cause is a MnistCnnError,
and a disk that fills up while a run is written ends in one line, not a traceback."""

from __future__ import annotations

import errno

import click
import pytest
from click.testing import CliRunner

from mnist_cnn import runs
from mnist_cnn.backends import BackendUnavailable, ModelFileError
from mnist_cnn.cli import cli
from mnist_cnn.cli.common import friendly_errors
from mnist_cnn.data.mnist import DataError
from mnist_cnn.errors import MnistCnnError, storage_problem, user_message
from mnist_cnn.reading.errors import CameraError, DisplayError, ImageError, NoDigitError, ReadingError
from mnist_cnn.runtime import DeviceError, DistributedError
from mnist_cnn.side_by_side import CompareError

USER_ERRORS = [DataError, ModelFileError, BackendUnavailable, DeviceError, DistributedError, ReadingError,
               ImageError, NoDigitError, CameraError, DisplayError, CompareError]


@pytest.mark.parametrize("error", USER_ERRORS, ids=lambda e: e.__name__)
def test_every_user_error_is_one_line_from_the_cli(error):
    assert issubclass(error, MnistCnnError)

    @friendly_errors
    def command():
        raise error("what went wrong, and what to do")

    with pytest.raises(click.ClickException) as caught:
        command()
    assert caught.value.message == "what went wrong, and what to do" and caught.value.exit_code == 1


def test_a_bug_keeps_its_traceback():
    @friendly_errors
    def command():
        raise OSError(errno.EBADF, "Bad file descriptor")

    with pytest.raises(OSError):
        command()
    assert user_message(KeyError("x")) is None and storage_problem(OSError(errno.EBADF, "x")) is None


def test_a_full_disk_is_worded_with_the_file():
    message = storage_problem(OSError(errno.ENOSPC, "No space left on device", "/runs/x/config.json"))
    assert message == "could not write /runs/x/config.json: No space left on device"


@pytest.mark.mnist
def test_training_onto_a_full_disk_prints_one_line_and_leaves_nothing(mnist_dir, tmp_path, monkeypatch):
    root = tmp_path / "runs"
    written = runs.atomic_write_bytes

    def disk_full(path, data):
        if path.name == "config.json":  # the model file is saved; then the disk is full
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        written(path, data)

    monkeypatch.setattr(runs, "atomic_write_bytes", disk_full)
    result = CliRunner().invoke(cli, ["train", "--epochs", "1", "--train-limit", "640", "--data-dir", str(mnist_dir),
                                       "--runs-dir", str(root)])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output and "No space left on device" in result.output
    error_lines = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(error_lines) == 1 and "config.json" in error_lines[0]
    assert list(root.iterdir()) == []  # the staging folder was removed: nothing half-written
