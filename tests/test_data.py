"""Data: IDX parsing, checksums, the search order, npz, and real downloads from a local mirror."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import numpy as np
import pytest

from mnist_cnn.data import mnist as data
from mnist_cnn.data.mnist import DataError

from .conftest import run_cli


def test_idx_round_trip():
    array = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    assert np.array_equal(data.parse_idx(data.encode_idx(array)), array)


@pytest.mark.parametrize("raw, message", [
    (b"\x00\x00\x09\x01\x00\x00\x00\x01\x05", "not an IDX file"),
    (b"\x00\x00\x08\x02\x00\x00", "truncated IDX header"),
    (b"\x00\x00\x08\x01\x00\x00\x00\x03\x01\x02", "says 3 bytes of data, found 2"),
])
def test_bad_idx_is_rejected(raw, message):
    with pytest.raises(DataError, match=message):
        data.parse_idx(raw)


def test_normalize_has_training_mean_and_std(mnist):
    x = data.normalize(mnist.train_images[:20000])
    assert x.dtype == np.float32
    assert abs(float(x.mean())) < 0.01 and abs(float(x.std()) - 1.0) < 0.01


def test_real_mnist_loads_and_verifies(mnist, mnist_dir):
    assert mnist.train_images.shape == (60000, 28, 28) and mnist.train_images.dtype == np.uint8
    assert mnist.test_images.shape == (10000, 28, 28)
    assert mnist.train_labels.shape == (60000,) and set(np.unique(mnist.test_labels)) == set(range(10))
    assert all(ok for *_, ok, _ in data.verify(mnist_dir))


def test_raw_idx_files_and_npz_are_accepted(tmp_path, mnist_dir, mnist):
    raw_dir = tmp_path / "raw"
    raw_dir.mkdir()
    for name in data.IDX_FILES:
        with gzip.open(mnist_dir / f"{name}.gz") as src:
            (raw_dir / name).write_bytes(src.read())
    from_raw = data.load_mnist(raw_dir, download=False)
    assert np.array_equal(from_raw.test_labels, mnist.test_labels)

    npz = tmp_path / "mnist.npz"
    np.savez(npz, x_train=mnist.train_images, y_train=mnist.train_labels,
             x_test=mnist.test_images, y_test=mnist.test_labels)
    from_npz = data.load_mnist(npz, download=False)
    assert np.array_equal(from_npz.train_images, mnist.train_images)


def test_corrupt_local_file_is_a_clear_error(tmp_path, mnist_dir):
    for name in data.IDX_FILES:
        shutil.copy(mnist_dir / f"{name}.gz", tmp_path)
    labels = tmp_path / "t10k-labels-idx1-ubyte.gz"
    raw = bytearray(gzip.decompress(labels.read_bytes()))
    raw[100] ^= 0xFF
    labels.write_bytes(gzip.compress(bytes(raw)))
    with pytest.raises(DataError, match="checksum mismatch for t10k-labels-idx1-ubyte"):
        data.load_mnist(tmp_path, download=False)


def test_explicit_folder_is_the_only_place_looked_at(tmp_path, monkeypatch):
    monkeypatch.setenv("MNIST_CNN_DATA", str(tmp_path / "elsewhere"))
    assert data.candidate_locations(tmp_path) == [tmp_path]
    assert data.candidate_locations() == [tmp_path / "elsewhere"]
    monkeypatch.delenv("MNIST_CNN_DATA")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert data.candidate_locations()[0] == tmp_path / "cache" / "mnist-cnn"
    assert Path.home() / ".keras" / "datasets" / "mnist.npz" in data.candidate_locations()


def test_missing_folder_and_offline_errors_say_where_and_how(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        data.load_mnist(tmp_path / "nope", download=False)
    with pytest.raises(DataError) as info:
        data.load_mnist(tmp_path, mirrors=["http://127.0.0.1:9/"])  # port 9: nothing listens
    message = str(info.value)
    assert str(tmp_path) in message and "MNIST_CNN_DATA" in message and "Download failed" in message
    assert list(tmp_path.iterdir()) == []


def _damaged_copy(src: Path, dst: Path, how: str) -> None:
    dst.mkdir()
    for name in data.IDX_FILES:
        shutil.copy(src / f"{name}.gz", dst)
    target = dst / "t10k-images-idx3-ubyte.gz"
    blob = target.read_bytes()
    if how == "truncated":
        target.write_bytes(blob[: len(blob) // 2])
    else:  # corrupted: valid gzip, wrong content
        raw = bytearray(gzip.decompress(blob))
        raw[5000:5010] = b"\xff" * 10
        target.write_bytes(gzip.compress(bytes(raw)))


def test_download_from_local_mirror_verifies_and_loads(tmp_path, mnist_dir, mirror, mnist):
    url = mirror(mnist_dir)
    seen = []
    target = tmp_path / "cache"
    written = data.download_mnist(target, mirrors=[url], on_progress=lambda n, d, t: seen.append((n, d, t)))
    assert sorted(p.name for p in written) == sorted(f"{n}.gz" for n in data.IDX_FILES)
    assert sorted(p.name for p in target.iterdir()) == sorted(f"{n}.gz" for n in data.IDX_FILES)
    assert seen[-1][1] == seen[-1][2]  # the bar reached the file's size
    loaded = data.load_mnist(target, download=False)
    assert np.array_equal(loaded.test_images, mnist.test_images)
    # a second call finds verified files and downloads nothing
    assert data.download_mnist(target, mirrors=[url]) == []


@pytest.mark.parametrize("how", ["corrupted", "truncated"])
def test_bad_download_is_rejected_and_nothing_is_left(tmp_path, mnist_dir, mirror, how):
    bad = tmp_path / "bad"
    _damaged_copy(mnist_dir, bad, how)
    target = tmp_path / "cache"
    with pytest.raises(DataError, match="t10k-images-idx3-ubyte"):
        data.download_mnist(target, mirrors=[mirror(bad)])
    leftovers = {p.name for p in target.iterdir()}
    assert "t10k-images-idx3-ubyte.gz" not in leftovers
    assert not any(name.endswith(".part") for name in leftovers)


def test_bad_mirror_falls_back_to_the_next(tmp_path, mnist_dir, mirror):
    bad = tmp_path / "bad"
    _damaged_copy(mnist_dir, bad, "corrupted")
    target = tmp_path / "cache"
    data.download_mnist(target, mirrors=[mirror(bad), mirror(mnist_dir)])
    assert all(ok for *_, ok, _ in data.verify(target))


def test_cli_data_download_and_info(tmp_path, mnist_dir, mirror):
    target = tmp_path / "fresh"
    result = run_cli("data", "download", "--data-dir", str(target), "--mirror", mirror(mnist_dir))
    assert result.returncode == 0, result.stderr
    assert "Downloaded and verified 4 file(s)" in result.stdout
    info = run_cli("data", "info", "--data-dir", str(target))
    assert info.returncode == 0 and "All four files verify" in info.stdout


def test_training_downloads_when_data_is_missing(tmp_path, mnist_dir, mirror, monkeypatch):
    target = tmp_path / "empty"
    target.mkdir()
    monkeypatch.setenv("MNIST_CNN_MIRRORS", mirror(mnist_dir))
    loaded = data.load_mnist(target)
    assert loaded.source == str(target) and loaded.train_images.shape == (60000, 28, 28)
