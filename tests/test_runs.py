"""Run folders (mnist_cnn/runs.py): `latest`, name clashes, staging folders, a full disk.

No training here: a run folder is made by hand (the three files that mark it complete and a
model file whose zip layout is what sniff_model_format reads), so these run in the quick tier.
"""

from __future__ import annotations

import errno
import json
import os
import re
import zipfile
from pathlib import Path

import pytest

from mnist_cnn import runs
from mnist_cnn.backends import ModelFileError


def _model_file(path: Path, framework: str) -> None:
    # Only the zip's table of contents decides the format (never unpickled here).
    with zipfile.ZipFile(path, "w") as archive:
        if framework == "torch":
            archive.writestr("model/data.pkl", b"not read")
        else:
            archive.writestr("config.json", "{}")
            archive.writestr("model.weights.h5", b"not read")


def make_run(root: Path, name: str, framework: str = "torch", complete: bool = True) -> Path:
    run = root / name
    run.mkdir(parents=True)
    runs.write_json(run / "config.json", {"framework": framework})
    runs.write_csv(run / "history.csv", [{"epoch": 1}])
    if complete:
        runs.write_json(run / "metrics.json", {"test_accuracy": 0.99})
    _model_file(runs.model_path(run, framework), framework)
    return run


def _fixed_clock(monkeypatch, stamp="20260102-030405"):
    monkeypatch.setattr(runs.time, "strftime", lambda fmt, *a: stamp)
    return stamp


def test_latest_is_the_newest_run_whatever_order_they_were_made_in(tmp_path):
    for name in ("20260105-090000-torch-fast", "20260101-090000-torch-fast", "20260110-090000-keras-fast",
                 "20260103-120000-torch-kids", "20260108-090000-torch-fast"):
        make_run(tmp_path, name, "keras" if "keras" in name else "torch")
    make_run(tmp_path, "20260111-090000-torch-fast", complete=False)  # interrupted: not a run
    (tmp_path / ".incomplete-20260112-000000-torch-fast-x").mkdir()    # staging: not a run
    assert [p.name for p in runs.list_runs(tmp_path)] == [
        "20260101-090000-torch-fast", "20260103-120000-torch-kids", "20260105-090000-torch-fast",
        "20260108-090000-torch-fast", "20260110-090000-keras-fast"]
    assert runs.latest_run(tmp_path).name == "20260110-090000-keras-fast"
    assert runs.latest_run(tmp_path, "torch").name == "20260108-090000-torch-fast"
    assert runs.latest_run(tmp_path, "pytorch").name == "20260108-090000-torch-fast"  # an alias
    assert runs.latest_run(tmp_path / "none") is None and runs.list_runs(tmp_path / "none") == []


def test_model_latest_resolves_to_the_newest_run_of_the_framework(tmp_path):
    older = make_run(tmp_path, "20260101-000000-torch-fast")
    newer = make_run(tmp_path, "20260102-000000-torch-fast")
    keras = make_run(tmp_path, "20260103-000000-keras-fast", "keras")
    assert runs.resolve_model("latest", None, tmp_path) == (keras / "model.keras", "keras", keras)
    assert runs.resolve_model("latest", "torch", tmp_path) == (newer / "model.pt", "torch", newer)
    # a run folder or a file inside one names its run; the file's content decides the format
    assert runs.resolve_model(str(older), None, tmp_path) == (older / "model.pt", "torch", older)
    assert runs.resolve_model(str(older / "model.pt"), "torch", tmp_path) == (older / "model.pt", "torch", older)
    with pytest.raises(ModelFileError, match="is a keras model, but --framework torch was given"):
        runs.resolve_model(str(keras), "torch", tmp_path)


def test_no_run_to_resolve_says_what_to_do(tmp_path):
    make_run(tmp_path, "20260101-000000-torch-fast")
    with pytest.raises(ModelFileError, match=r"no complete keras run in .*: train one first "
                                             r"\(mnist-cnn train --framework keras\)"):
        runs.resolve_model("latest", "keras", tmp_path)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ModelFileError, match="no model.pt or model.keras in this folder"):
        runs.resolve_model(str(empty), None, tmp_path)
    with pytest.raises(ModelFileError, match="is a folder, not a model file"):
        runs.sniff_model_format(empty)
    not_model = tmp_path / "notes.pt"
    not_model.write_text("hello")
    with pytest.raises(ModelFileError, match="not a model file"):
        runs.resolve_model(str(not_model), None, tmp_path)


def test_publishing_never_overwrites_a_run_of_the_same_name(tmp_path, monkeypatch):
    stamp = _fixed_clock(monkeypatch)
    existing = make_run(tmp_path, f"{stamp}-torch-fast")
    names = []
    for marker in ("second", "third"):
        with runs.new_run(tmp_path, "torch", "fast") as staging:
            assert staging.name.startswith(f".incomplete-{stamp}-torch-fast-")
            (staging / "marker.txt").write_text(marker)
            names.append(runs.publish_run(staging, tmp_path, "torch", "fast").name)
    assert names == [f"{stamp}-torch-fast-2", f"{stamp}-torch-fast-3"]
    assert json.loads((existing / "metrics.json").read_text()) == {"test_accuracy": 0.99}
    assert not (existing / "marker.txt").exists()
    assert (tmp_path / names[0] / "marker.txt").read_text() == "second"
    assert sorted(p.name for p in tmp_path.iterdir()) == [existing.name, *names]


def test_publishing_into_a_missing_root_is_an_error_not_a_loop(tmp_path, monkeypatch):
    _fixed_clock(monkeypatch)
    staging = tmp_path / "staging"
    staging.mkdir()
    with pytest.raises(OSError):
        runs.publish_run(staging, tmp_path / "gone", "torch", "fast")


def test_an_interrupted_run_leaves_nothing(tmp_path):
    with pytest.raises(KeyboardInterrupt):
        with runs.new_run(tmp_path, "keras", "kids") as staging:
            (staging / "model.keras").write_bytes(b"half")
            raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []


def test_staging_and_files_get_ordinary_permissions(tmp_path):
    old = os.umask(0o022)
    try:
        with runs.new_run(tmp_path, "torch", "fast") as staging:
            runs.write_json(staging / "config.json", {"a": 1})
            with runs.temporary_path_for(staging / "model.pt") as tmp:
                assert tmp.parent == staging and tmp.suffix == ".pt" and tmp.name.startswith(".model.")
                tmp.write_bytes(b"weights")
            assert (staging / "model.pt").read_bytes() == b"weights"
            assert staging.stat().st_mode & 0o777 == 0o755
            assert (staging / "config.json").stat().st_mode & 0o777 == 0o644
            assert (staging / "model.pt").stat().st_mode & 0o777 == 0o644
            assert sorted(p.name for p in staging.iterdir()) == ["config.json", "model.pt"]
    finally:
        os.umask(old)


def _disk_full(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


def test_a_full_disk_keeps_the_old_file_and_leaves_no_temporary(tmp_path, monkeypatch):
    target = tmp_path / "metrics.json"
    runs.write_json(target, {"old": True})
    monkeypatch.setattr(runs.os, "fsync", _disk_full)
    with pytest.raises(OSError, match="No space left"):
        runs.write_json(target, {"new": True})
    with pytest.raises(OSError, match="No space left"):
        runs.write_csv(tmp_path / "history.csv", [{"epoch": 1}])
    assert json.loads(target.read_text()) == {"old": True}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["metrics.json"]


def test_a_full_disk_while_filling_a_run_leaves_no_run(tmp_path, monkeypatch):
    with pytest.raises(OSError, match="No space left"):
        with runs.new_run(tmp_path, "torch", "fast") as staging:
            runs.write_json(staging / "config.json", {"framework": "torch"})
            monkeypatch.setattr(runs.os, "fsync", _disk_full)
            runs.write_json(staging / "metrics.json", {"test_accuracy": 0.99})
    assert list(tmp_path.iterdir()) == []


def test_a_failed_model_save_removes_its_temporary_file(tmp_path):
    with pytest.raises(OSError):
        with runs.temporary_path_for(tmp_path / "model.pt") as tmp:
            tmp.write_bytes(b"partial")
            raise OSError(errno.ENOSPC, "No space left on device")
    assert list(tmp_path.iterdir()) == []


def test_csv_round_trip_and_runs_root(tmp_path, monkeypatch):
    rows = [{"epoch": 1, "lr": 0.1}, {"epoch": 2, "lr": 0.05}]
    runs.write_csv(tmp_path / "h.csv", rows)
    assert runs.read_csv(tmp_path / "h.csv") == [{"epoch": "1", "lr": "0.1"}, {"epoch": "2", "lr": "0.05"}]
    runs.write_csv(tmp_path / "empty.csv", [])
    assert (tmp_path / "empty.csv").read_text() == ""
    monkeypatch.setenv("MNIST_CNN_RUNS", str(tmp_path / "env"))
    assert runs.runs_root() == tmp_path / "env"
    assert runs.runs_root(tmp_path / "arg") == tmp_path / "arg"
    monkeypatch.delenv("MNIST_CNN_RUNS")
    assert runs.runs_root() == Path("runs")
    assert runs.run_framework(tmp_path) is None


def test_every_file_is_written_beside_its_target_under_a_hidden_temporary_name(tmp_path, monkeypatch):
    # A temporary in another folder (/tmp) could not be renamed onto a run on another disk, and
    # one that is not hidden would look like a run file if the process were killed mid-write.
    seen = []
    real_fsync = os.fsync
    monkeypatch.setattr(runs.os, "fsync", lambda fd: (seen.extend(p.name for p in tmp_path.iterdir()),
                                                      real_fsync(fd))[1])
    runs.write_json(tmp_path / "metrics.json", {"b": 1, "a": 2})
    (name,) = seen
    assert name.startswith(".metrics.json.") and name.endswith(".tmp")
    # written as people read it: indented, in the order given, one newline at the end
    assert (tmp_path / "metrics.json").read_text() == '{\n  "b": 1,\n  "a": 2\n}\n'
    assert [p.name for p in tmp_path.iterdir()] == ["metrics.json"]


def test_run_names_are_a_sortable_time_stamp_then_framework_and_recipe(tmp_path):
    with runs.new_run(tmp_path, "keras", "kids") as staging:
        final = runs.publish_run(staging, tmp_path, "keras", "kids")
    assert re.fullmatch(r"\d{8}-\d{6}-keras-kids", final.name), final.name
    assert final.is_dir() and not staging.exists()


def test_a_hidden_or_half_written_folder_is_never_a_run(tmp_path):
    hidden = make_run(tmp_path, ".incomplete-20260101-000000-torch-fast-abc")  # all files, not yet renamed
    assert runs.is_complete_run(tmp_path / "20260101-000000-torch-fast") is False  # does not exist
    assert not runs.is_complete_run(hidden) and runs.list_runs(tmp_path) == []


def test_resolving_files_outside_runs_and_runs_without_a_framework(tmp_path):
    loose = tmp_path / "loose"
    loose.mkdir()
    _model_file(loose / "mine.pt", "torch")
    assert runs.resolve_model(str(loose / "mine.pt"), None, tmp_path) == (loose / "mine.pt", "torch", None)
    # a complete run whose config names no framework: its model.pt is the model
    old = make_run(tmp_path, "20260101-000000-torch-fast")
    runs.write_json(old / "config.json", {"recipe": "fast"})
    assert runs.resolve_model("latest", None, tmp_path)[0] == old / "model.pt"
    with pytest.raises(ModelFileError, match=r"^no complete run in .*: train one first "
                                             r"\(mnist-cnn train --framework torch\) or pass --model PATH$"):
        runs.resolve_model("latest", None, tmp_path / "empty")


def test_sniffing_names_what_a_file_is_or_is_not(tmp_path):
    with pytest.raises(ModelFileError, match=r"missing.pt: no such file$"):
        runs.sniff_model_format(tmp_path / "missing.pt")
    tflite = tmp_path / "model.tflite"
    tflite.write_bytes(b"\x1c\x00\x00\x00TFL3" + bytes(32))
    assert runs.sniff_model_format(tflite) == "tflite"
    half_keras = tmp_path / "half.keras"
    with zipfile.ZipFile(half_keras, "w") as archive:
        archive.writestr("config.json", "{}")  # no weights: not a Keras model
    with pytest.raises(ModelFileError, match="a zip archive, but neither a PyTorch .pt nor a Keras .keras model"):
        runs.sniff_model_format(half_keras)
    keras = tmp_path / "model.keras"
    _model_file(keras, "keras")
    assert runs.sniff_model_format(keras) == "keras"
