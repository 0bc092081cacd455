"""Data verification on a tiny stand-in for MNIST: no real data, so it runs in the quick tier.

The published md5s and sizes (data.IDX_FILES) are replaced by those of four small arrays, so
every check the real files go through (size, md5, IDX header, the npz rebuilt as IDX bytes)
runs here on files of a few hundred bytes, and a single flipped byte must be refused.
"""

from __future__ import annotations

import gzip
import hashlib
import re

import numpy as np
import pytest

from mnist_cnn.data import mnist as data
from mnist_cnn.data.mnist import DataError

KEYS = {"train-images-idx3-ubyte": "x_train", "train-labels-idx1-ubyte": "y_train",
        "t10k-images-idx3-ubyte": "x_test", "t10k-labels-idx1-ubyte": "y_test"}


@pytest.fixture
def tiny(monkeypatch):
    """name -> array: 6 train and 4 test "images" of 3x3 pixels, with their labels."""
    rng = np.random.default_rng(0)
    arrays = {"train-images-idx3-ubyte": rng.integers(0, 256, (6, 3, 3), dtype=np.uint8),
              "train-labels-idx1-ubyte": np.array([0, 1, 2, 3, 4, 5], np.uint8),
              "t10k-images-idx3-ubyte": rng.integers(0, 256, (4, 3, 3), dtype=np.uint8),
              "t10k-labels-idx1-ubyte": np.array([9, 8, 7, 6], np.uint8)}
    published = {name: (hashlib.md5(data.encode_idx(a)).hexdigest(), len(data.encode_idx(a)), KEYS[name])
                 for name, a in arrays.items()}
    monkeypatch.setattr(data, "IDX_FILES", published)
    return arrays


def _write_idx(folder, arrays, gz=True):
    folder.mkdir(parents=True, exist_ok=True)
    for name, array in arrays.items():
        raw = data.encode_idx(array)
        if gz:
            (folder / f"{name}.gz").write_bytes(gzip.compress(raw))
        else:
            (folder / name).write_bytes(raw)
    return folder


def _write_npz(path, arrays):
    np.savez(path, **{KEYS[name]: array for name, array in arrays.items()})
    return path


def test_good_idx_files_and_npz_load_with_their_source(tiny, tmp_path):
    for folder in (_write_idx(tmp_path / "gz", tiny), _write_idx(tmp_path / "raw", tiny, gz=False)):
        loaded = data.load_mnist(folder, download=False)
        assert loaded.source == str(folder)
        assert np.array_equal(loaded.train_images, tiny["train-images-idx3-ubyte"])
        assert np.array_equal(loaded.test_labels, tiny["t10k-labels-idx1-ubyte"])
        assert all(ok and detail == "md5 ok" for *_, ok, detail in data.verify(folder))
    npz = _write_npz(tmp_path / "mnist.npz", tiny)
    loaded = data.load_mnist(npz, download=False)
    assert np.array_equal(loaded.test_images, tiny["t10k-images-idx3-ubyte"])
    assert np.array_equal(loaded.train_labels, tiny["train-labels-idx1-ubyte"])
    assert [ok for *_, ok, _ in data.verify(npz)] == [True] * 4


def test_a_corrupt_npz_is_refused_by_its_checksum(tiny, tmp_path):
    """Same shapes, same dtype, one pixel changed: only the md5 can tell."""
    bad = dict(tiny)
    bad["t10k-images-idx3-ubyte"] = tiny["t10k-images-idx3-ubyte"].copy()
    bad["t10k-images-idx3-ubyte"][1, 1, 1] ^= 0x01
    npz = _write_npz(tmp_path / "mnist.npz", bad)
    with pytest.raises(DataError, match=r"mnist.npz \[x_test\]: checksum mismatch for t10k-images-idx3-ubyte"):
        data.load_mnist(npz, download=False)
    rows = {name: (ok, detail) for name, _, ok, detail in data.verify(npz)}
    assert rows["t10k-images-idx3-ubyte"][0] is False and "checksum mismatch" in rows["t10k-images-idx3-ubyte"][1]
    assert all(ok for name, (ok, _) in rows.items() if name != "t10k-images-idx3-ubyte")


def test_a_corrupt_or_short_idx_file_is_refused(tiny, tmp_path):
    folder = _write_idx(tmp_path / "raw", tiny, gz=False)
    labels = folder / "train-labels-idx1-ubyte"
    raw = bytearray(labels.read_bytes())
    raw[-1] ^= 0x01
    labels.write_bytes(bytes(raw))
    with pytest.raises(DataError, match="checksum mismatch for train-labels-idx1-ubyte.*the file is corrupt"):
        data.load_mnist(folder, download=False)
    labels.write_bytes(bytes(raw[:-1]))
    with pytest.raises(DataError, match=r"expected 14 bytes of train-labels-idx1-ubyte, got 13"):
        data.load_mnist(folder, download=False)
    rows = {name: ok for name, _, ok, _ in data.verify(folder)}
    assert rows == {"train-images-idx3-ubyte": True, "train-labels-idx1-ubyte": False,
                    "t10k-images-idx3-ubyte": True, "t10k-labels-idx1-ubyte": True}


def test_an_npz_without_an_array_or_not_an_npz_is_a_clear_error(tiny, tmp_path):
    partial = {name: a for name, a in tiny.items() if name != "t10k-labels-idx1-ubyte"}
    with pytest.raises(DataError, match="no array 'y_test'; expected a Keras-style mnist.npz"):
        data.load_mnist(_write_npz(tmp_path / "mnist.npz", partial), download=False)
    broken = tmp_path / "broken" / "mnist.npz"
    broken.parent.mkdir()
    broken.write_bytes(b"not a zip")
    with pytest.raises(DataError, match="not a readable .npz file"):
        data.load_mnist(broken, download=False)


def test_a_folder_with_three_of_four_files_is_not_data(tiny, tmp_path):
    folder = _write_idx(tmp_path / "some", tiny)
    (folder / "t10k-labels-idx1-ubyte.gz").unlink()
    assert data.find_files(folder) is None
    assert [detail for *_, detail in data.verify(folder)] == ["missing"] * 4
    with pytest.raises(DataError, match="MNIST was not found"):
        data.load_mnist(folder, download=False)


# ------------------------------------------------- downloads from a real HTTP mirror on 127.0.0.1

def test_download_verifies_reports_progress_and_keeps_only_good_files(tiny, tmp_path, mirror):
    url = mirror(_write_idx(tmp_path / "served", tiny))
    seen = []
    target = tmp_path / "cache"
    written = data.download_mnist(target, mirrors=[url], on_progress=lambda *event: seen.append(event))
    names = [f"{name}.gz" for name in tiny]
    assert [p.name for p in written] == names and sorted(p.name for p in target.iterdir()) == sorted(names)
    sizes = {f"{name}.gz": (tmp_path / "served" / f"{name}.gz").stat().st_size for name in tiny}
    assert seen == [(name, size, size) for name, size in sizes.items()]  # one chunk each: done == total
    for name in tiny:
        assert (target / f"{name}.gz").read_bytes() == (tmp_path / "served" / f"{name}.gz").read_bytes()
    assert data.download_mnist(target, mirrors=[url]) == []                        # verified: nothing to fetch
    assert [p.name for p in data.download_mnist(target, mirrors=[url], force=True)] == names
    loaded = data.load_mnist(target, download=False)
    assert np.array_equal(loaded.train_images, tiny["train-images-idx3-ubyte"])


def test_a_corrupt_local_file_is_downloaded_again(tiny, tmp_path, mirror):
    url = mirror(_write_idx(tmp_path / "served", tiny))
    target = _write_idx(tmp_path / "cache", tiny)
    labels = target / "t10k-labels-idx1-ubyte.gz"
    labels.write_bytes(gzip.compress(b"\x00\x00\x08\x01\x00\x00\x00\x04\x01\x02\x03\x04"))  # wrong labels
    assert [p.name for p in data.download_mnist(target, mirrors=[url])] == ["t10k-labels-idx1-ubyte.gz"]
    assert all(ok for *_, ok, _ in data.verify(target))


def test_a_bad_mirror_falls_back_and_a_failed_download_leaves_nothing(tiny, tmp_path, mirror):
    bad = dict(tiny)
    bad["t10k-labels-idx1-ubyte"] = np.array([0, 0, 0, 0], np.uint8)  # a valid file of the wrong content
    bad_url = mirror(_write_idx(tmp_path / "bad", bad))
    good_url = mirror(_write_idx(tmp_path / "good", tiny))
    target = tmp_path / "cache"
    data.download_mnist(target, mirrors=[bad_url, good_url])
    assert all(ok for *_, ok, _ in data.verify(target))
    elsewhere = tmp_path / "elsewhere"
    with pytest.raises(DataError, match=r"could not download t10k-labels-idx1-ubyte.gz; "
                                        r"http://127.0.0.1:\d+/t10k-labels-idx1-ubyte.gz: .*checksum mismatch"):
        data.download_mnist(elsewhere, mirrors=[bad_url])
    left = sorted(p.name for p in elsewhere.iterdir())
    assert left == ["t10k-images-idx3-ubyte.gz", "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"]


def test_a_connection_that_closes_early_is_refused(tmp_path):
    class Short:
        headers = {"Content-Length": "10"}

        def __init__(self):
            self.chunks = [b"12345", b""]

        def read(self, size):
            assert size == 1 << 16
            return self.chunks.pop(0)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    import urllib.request

    original = urllib.request.urlopen
    urllib.request.urlopen = lambda url, timeout: Short()
    try:
        with pytest.raises(DataError, match=r"^http://x/f.gz: connection closed after 5 of 10 bytes$"):
            data._fetch("http://x/f.gz", tmp_path / "part", "f.gz", None, 5.0)
    finally:
        urllib.request.urlopen = original
    assert (tmp_path / "part").read_bytes() == b"12345"


def test_mirrors_come_from_the_environment_or_the_defaults(monkeypatch):
    monkeypatch.setenv("MNIST_CNN_MIRRORS", "http://a/, http://b/ http://c/")
    assert data._mirrors_from_env() == ["http://a/", "http://b/", "http://c/"]
    monkeypatch.setenv("MNIST_CNN_MIRRORS", "")
    assert data._mirrors_from_env() == list(data.DEFAULT_MIRRORS)


def test_normalize_scales_to_the_training_mean_and_std_in_place_when_asked():
    images = np.array([[[0, 255], [51, 102]]], np.uint8)
    expected = (images / 255.0 - data.PIXEL_MEAN) / data.PIXEL_STD
    result = data.normalize(images)
    assert result.dtype == np.float32 and result.shape == images.shape
    np.testing.assert_allclose(result, expected, rtol=1e-6)
    out = np.full(images.shape, 7.0, np.float32)
    assert data.normalize(images, out=out) is out
    np.testing.assert_allclose(out, expected, rtol=1e-6)
    assert images.tolist() == [[[0, 255], [51, 102]]]  # the uint8 images are untouched
    assert (data.PIXEL_MEAN, data.PIXEL_STD) == (0.1307, 0.3081)


def test_an_npz_holding_pickled_objects_is_refused_never_unpickled(tiny, tmp_path):
    arrays = {KEYS[name]: a for name, a in tiny.items()}
    arrays["x_train"] = np.array([{"payload": 1}] * 6, dtype=object)  # stored as a pickle
    npz = tmp_path / "mnist.npz"
    np.savez(npz, **arrays)
    with pytest.raises(DataError, match=r"not a readable .npz file \(.*allow_pickle=False"):
        data.load_mnist(npz, download=False)
    rows = {name: (ok, detail) for name, _, ok, detail in data.verify(npz)}
    assert rows["train-images-idx3-ubyte"][0] is False and "allow_pickle=False" in rows["train-images-idx3-ubyte"][1]


# ------------------------------------------------- where the data is looked for, and what a user is told

@pytest.fixture
def elsewhere(tmp_path, monkeypatch):
    """No explicit folder, no mirrors from the environment, an empty home and cache, and the
    working directory one level below tmp_path: only the default search order applies."""
    for name in ("MNIST_CNN_DATA", "MNIST_CNN_MIRRORS", "XDG_CACHE_HOME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    work = tmp_path / "project" / "work"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)
    return tmp_path


def test_the_default_search_order_and_the_message_that_lists_it(elsewhere):
    home, work = elsewhere / "home", elsewhere / "project" / "work"
    places = [home / ".cache" / "mnist-cnn", home / ".keras" / "datasets" / "mnist.npz",
              work / "data" / "MNIST" / "raw", work.parent / "data" / "MNIST" / "raw"]
    assert data.cache_dir() == places[0] and data.candidate_locations() == places
    with pytest.raises(DataError) as info:
        data.load_mnist(download=False)
    assert str(info.value) == (
        "MNIST was not found. Looked in:\n" + "\n".join(f"  - {p}" for p in places) +
        "\nPoint the project at a copy with --data-dir DIR or MNIST_CNN_DATA=DIR: a folder with the four "
        "IDX files (train-images-idx3-ubyte.gz, ...; .gz or raw) or a Keras-style mnist.npz.")


@pytest.mark.parametrize("below", ["work", "parent"])
def test_a_torchvision_folder_below_the_working_directory_or_its_parent_is_found(tiny, elsewhere, below):
    work = elsewhere / "project" / "work"
    raw = (work if below == "work" else work.parent) / "data" / "MNIST" / "raw"
    _write_idx(raw, tiny)
    loaded = data.load_mnist(download=False)
    assert loaded.source == str(raw) and np.array_equal(loaded.test_labels, tiny["t10k-labels-idx1-ubyte"])


@pytest.mark.parametrize("gz", [True, False])
def test_a_data_dir_pointing_at_a_torchvision_root_finds_mnist_raw(tiny, tmp_path, gz):
    _write_idx(tmp_path / "root" / "MNIST" / "raw", tiny, gz=gz)
    loaded = data.load_mnist(tmp_path / "root", download=False)
    assert np.array_equal(loaded.train_images, tiny["train-images-idx3-ubyte"])


def test_an_npz_inside_a_folder_is_found_and_a_stray_file_is_not_data(tiny, tmp_path):
    folder = tmp_path / "keras"
    folder.mkdir()
    _write_npz(folder / "mnist.npz", tiny)
    assert data.find_files(folder) == folder / "mnist.npz"
    assert np.array_equal(data.load_mnist(folder, download=False).test_images, tiny["t10k-images-idx3-ubyte"])
    stray = tmp_path / "notes.txt"
    stray.write_text("not MNIST")
    assert data.find_files(stray) is None
    odd = _write_idx(tmp_path / "copy.npz", tiny)          # a folder whose name ends in .npz
    assert isinstance(data.find_files(odd), dict)


def test_an_explicit_folder_that_is_empty_or_missing_names_only_itself(tmp_path, monkeypatch):
    monkeypatch.delenv("MNIST_CNN_DATA", raising=False)
    with pytest.raises(DataError) as info:
        data.load_mnist(tmp_path, download=False)
    assert str(info.value).startswith(f"MNIST was not found. Looked in:\n  - {tmp_path}\nPoint the project")
    with pytest.raises(DataError) as info:
        data.load_mnist(tmp_path / "nope", download=False)
    assert str(info.value).startswith(f"{tmp_path / 'nope'} does not exist. MNIST was not found. "
                                      f"Looked in:\n  - {tmp_path / 'nope'}\nPoint")


def test_verify_names_each_file_and_its_path(tiny, tmp_path):
    folder = _write_idx(tmp_path / "raw", tiny, gz=False)
    labels = folder / "train-labels-idx1-ubyte"
    labels.write_bytes(labels.read_bytes()[:-1])
    rows = data.verify(folder)
    assert [(name, path) for name, path, _, _ in rows] == [(name, str(folder / name)) for name in tiny]
    bad = [detail for name, _, ok, detail in rows if not ok]
    assert bad == [f"{labels}: expected 14 bytes of train-labels-idx1-ubyte, got 13 (truncated or wrong file)"]
    npz = _write_npz(tmp_path / "mnist.npz", {**tiny, "t10k-labels-idx1-ubyte": np.zeros(4, np.uint8)})
    rows = data.verify(npz)
    assert [path for _, path, _, _ in rows] == [str(npz)] * 4
    assert rows[3][3].startswith(f"{npz}: checksum mismatch for t10k-labels-idx1-ubyte")
    assert data.verify(tmp_path / "empty") == [(name, "", False, "missing") for name in tiny]


def test_a_corrupt_idx_file_is_named_in_the_error(tiny, tmp_path):
    folder = _write_idx(tmp_path / "gz", tiny)
    labels = folder / "t10k-labels-idx1-ubyte.gz"
    labels.write_bytes(gzip.compress(b"\x00\x00\x08\x01\x00\x00\x00\x04\x09\x08\x07\x07"))
    with pytest.raises(DataError, match=f"^{re.escape(str(labels))}: checksum mismatch for t10k-labels"):
        data.load_mnist(folder, download=False)
    labels.write_bytes(b"not gzip at all")
    with pytest.raises(DataError, match=f"^{re.escape(str(labels))}: cannot be read as gzip "
                                        r"\(.*\); delete it or point --data-dir at a good copy$"):
        data.load_mnist(folder, download=False)
    with pytest.raises(DataError, match=f"^{re.escape(str(folder))}: cannot be read as IDX "):
        data._read_bytes(folder)                            # a folder: an OSError like any unreadable file


def test_idx_headers_at_the_edges(tiny):
    assert data.parse_idx(data.encode_idx(np.zeros(0, np.uint8))).shape == (0,)
    with pytest.raises(DataError, match=r"^IDX data: truncated IDX header$"):
        data.parse_idx(b"\x00\x00\x08\x01")
    for raw in (b"\x01\x00\x08\x01\x00\x00\x00\x01\x05", b"\x00\x00\x08"):
        with pytest.raises(DataError, match=r"^IDX data: not an IDX file of unsigned bytes$"):
            data.parse_idx(raw)
    labels = np.array([1, 2, 3], np.int64)                  # labels saved as int64 in an npz
    assert data.encode_idx(labels) == data.encode_idx(labels.astype(np.uint8))


# ------------------------------------------------- downloads: progress, timeouts, temporaries, messages

class _Response:
    """A fake HTTP response serving `body` in `chunk`-byte pieces with the given headers."""

    def __init__(self, body: bytes, headers: dict, chunk: int = 1 << 16):
        self.headers, self._body, self._chunk = headers, body, chunk

    def read(self, size):
        piece, self._body = self._body[:min(size, self._chunk)], self._body[min(size, self._chunk):]
        return piece

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


@pytest.mark.parametrize("headers", [{}, {"Content-Length": "unknown"}])
def test_a_download_without_a_usable_length_still_completes(tmp_path, monkeypatch, headers):
    seen, timeouts = [], []

    def urlopen(url, timeout):
        timeouts.append(timeout)
        return _Response(b"0123456789", headers, chunk=4)

    monkeypatch.setattr(data.urllib.request, "urlopen", urlopen)
    data._fetch("http://x/f.gz", tmp_path / "part", "f.gz", lambda *event: seen.append(event), 7.0)
    assert (tmp_path / "part").read_bytes() == b"0123456789"
    assert seen == [("f.gz", 4, None), ("f.gz", 8, None), ("f.gz", 10, None)] and timeouts == [7.0]


def test_a_download_in_several_chunks_counts_them_all(tmp_path, monkeypatch):
    seen = []
    monkeypatch.setattr(data.urllib.request, "urlopen",
                        lambda url, timeout: _Response(b"0123456789", {"Content-Length": "10"}, chunk=5))
    data._fetch("http://x/f.gz", tmp_path / "part", "f.gz", lambda *event: seen.append(event), 7.0)
    assert seen == [("f.gz", 5, 10), ("f.gz", 10, 10)]


def test_a_download_waits_30_s_on_a_stalled_mirror_and_stages_each_file_as_a_hidden_part(tiny, tmp_path,
                                                                                         monkeypatch):
    served = _write_idx(tmp_path / "served", tiny)
    timeouts, staged = [], []
    target = tmp_path / "a" / "new" / "cache"                # parents created

    def urlopen(url, timeout):
        timeouts.append(timeout)
        return _Response((served / url.rsplit("/", 1)[1]).read_bytes(), {})

    def progress(name, done, total):
        staged.append(sorted(p.name for p in target.iterdir() if p.name.endswith(".part")))

    monkeypatch.setattr(data.urllib.request, "urlopen", urlopen)
    data.download_mnist(target, mirrors=["http://x/"], on_progress=progress)
    assert timeouts == [30.0] * 4
    for name, names in zip(tiny, staged):
        assert len(names) == 1 and re.fullmatch(rf"\.{re.escape(name)}\.\w+\.part", names[0]), names
    assert not list(target.glob("*.part")) and not list(target.glob(".*.part"))


def test_load_mnist_downloads_into_the_chosen_folder_or_the_cache_with_progress(tiny, tmp_path, mirror,
                                                                               monkeypatch):
    url = mirror(_write_idx(tmp_path / "served", tiny))
    monkeypatch.setenv("MNIST_CNN_MIRRORS", "http://127.0.0.1:9/")   # not used: the mirrors given win
    monkeypatch.delenv("MNIST_CNN_DATA", raising=False)
    chosen = tmp_path / "chosen"
    chosen.mkdir()
    seen = []
    loaded = data.load_mnist(chosen, mirrors=[url], on_progress=lambda *event: seen.append(event))
    assert loaded.source == str(chosen) and sorted(p.name for p in chosen.iterdir()) == sorted(f"{n}.gz" for n in tiny)
    assert [name for name, _, _ in seen] == [f"{n}.gz" for n in tiny]
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "nowhere").mkdir()
    monkeypatch.chdir(tmp_path / "nowhere")
    cached = data.load_mnist(mirrors=[url])
    assert cached.source == str(tmp_path / "xdg" / "mnist-cnn")
    assert np.array_equal(cached.train_labels, tiny["train-labels-idx1-ubyte"])


def test_mirrors_from_the_environment_and_a_base_url_without_its_slash(tiny, tmp_path, mirror, monkeypatch):
    (tmp_path / "site").mkdir()
    _write_idx(tmp_path / "site" / "filesX", tiny)
    monkeypatch.setenv("MNIST_CNN_MIRRORS", mirror(tmp_path / "site") + "filesX")
    assert len(data.download_mnist(tmp_path / "cache")) == 4
    monkeypatch.delenv("MNIST_CNN_MIRRORS")
    assert data._mirrors_from_env() == list(data.DEFAULT_MIRRORS)


def test_a_failed_download_says_why_for_each_mirror(tiny, tmp_path, mirror, monkeypatch):
    bad = dict(tiny)
    bad["train-images-idx3-ubyte"] = np.zeros((6, 3, 3), np.uint8)
    bad_url = mirror(_write_idx(tmp_path / "bad", bad))
    monkeypatch.delenv("MNIST_CNN_DATA", raising=False)
    (tmp_path / "cache").mkdir()
    with pytest.raises(DataError) as info:
        data.load_mnist(tmp_path / "cache", mirrors=["http://127.0.0.1:9/", bad_url])
    file = "train-images-idx3-ubyte.gz"
    refused, corrupt = f"http://127.0.0.1:9/{file}", f"{bad_url}{file}"
    assert (f"\nDownload failed: could not download {file}; {refused}: [Errno 111] Connection refused; "
            f"{corrupt}: {corrupt}: checksum mismatch for train-images-idx3-ubyte") in str(info.value)
