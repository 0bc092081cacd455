"""Find, download, verify and load MNIST as NumPy arrays (no framework here).

Search order (the first location that holds the data wins):
  1. an explicit folder (`--data-dir`), then `$MNIST_CNN_DATA`;
  2. the project's cache, `$XDG_CACHE_HOME/mnist-cnn` (default `~/.cache/mnist-cnn`);
  3. copies the user may already have: Keras' `~/.keras/datasets/mnist.npz`, and a
     torchvision-style `data/MNIST/raw/` folder below the working directory or its parent;
  4. a download from the public mirrors into the explicit folder, or else the cache.

Accepted formats: the four IDX files (gzip-compressed or raw) and a Keras-style `mnist.npz`.
Content is verified against the published md5 of the decompressed IDX files, so a
re-compressed `.gz` still verifies, and an `mnist.npz` is checked by rebuilding the IDX
bytes from its arrays.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import struct
import tempfile
import urllib.error
import urllib.request
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Optional

import numpy as np

from ..errors import MnistCnnError

# name -> (md5 of the decompressed IDX file, its size in bytes, npz key)
IDX_FILES: dict[str, tuple[str, int, str]] = {
    "train-images-idx3-ubyte": ("6bbc9ace898e44ae57da46a324031adb", 47_040_016, "x_train"),
    "train-labels-idx1-ubyte": ("a25bea736e30d166cdddb491f175f624", 60_008, "y_train"),
    "t10k-images-idx3-ubyte": ("2646ac647ad5339dbf082846283269ea", 7_840_016, "x_test"),
    "t10k-labels-idx1-ubyte": ("27ae3e4e09519cfbb04c329615203637", 10_008, "y_test"),
}

# Mirrors that serve the original gzip files (the ones torchvision and TensorFlow use).
DEFAULT_MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)

# Mean and standard deviation of the training pixels scaled to [0, 1].
PIXEL_MEAN = 0.1307
PIXEL_STD = 0.3081

ProgressCallback = Callable[[str, int, Optional[int]], None]  # (file name, bytes done, total)


class DataError(MnistCnnError):
    """The data could not be found, downloaded or verified; the message says what to do."""


@dataclass
class Mnist:
    train_images: np.ndarray  # (60000, 28, 28) uint8
    train_labels: np.ndarray  # (60000,) uint8
    test_images: np.ndarray   # (10000, 28, 28) uint8
    test_labels: np.ndarray   # (10000,) uint8
    source: str               # where it was loaded from


def normalize(images: np.ndarray, out: Optional[np.ndarray] = None) -> np.ndarray:
    """uint8 (N, 28, 28) -> float32 (N, 28, 28), scaled and standardised; both backends use it.

    With `out` (a float32 array of the same shape) the result is written in place, so an
    epoch of augmented images reuses the training buffer instead of allocating a new one.
    """
    if out is None:
        out = images.astype(np.float32)
    else:
        np.copyto(out, images, casting="unsafe")
    out *= 1.0 / 255.0
    out -= PIXEL_MEAN
    out *= 1.0 / PIXEL_STD
    return out


# --------------------------------------------------------------------------- locations

def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "mnist-cnn"


def explicit_dir(data_dir: Optional[os.PathLike | str] = None) -> Optional[Path]:
    """The folder the user chose (argument, else $MNIST_CNN_DATA), or None."""
    chosen = data_dir if data_dir is not None else os.environ.get("MNIST_CNN_DATA") or None
    return Path(chosen).expanduser() if chosen is not None else None


def candidate_locations(data_dir: Optional[os.PathLike | str] = None) -> list[Path]:
    """Every place looked at, in order. A location is a folder or an `mnist.npz` file."""
    chosen = explicit_dir(data_dir)
    if chosen is not None:
        # An explicit choice is the only place looked at: a user who points at a folder
        # does not want a silent fallback to some other copy.
        return [chosen]
    cwd = Path.cwd()
    return [
        cache_dir(),
        Path.home() / ".keras" / "datasets" / "mnist.npz",
        cwd / "data" / "MNIST" / "raw",
        cwd.parent / "data" / "MNIST" / "raw",
    ]


def _idx_file_in(folder: Path, name: str) -> Optional[Path]:
    for candidate in (folder / f"{name}.gz", folder / name, folder / "MNIST" / "raw" / f"{name}.gz",
                      folder / "MNIST" / "raw" / name):
        if candidate.is_file():
            return candidate
    return None


def find_files(location: Path) -> Optional[dict[str, Path] | Path]:
    """IDX file paths (all four) or an npz path at `location`, or None if incomplete."""
    if location.is_file() and location.suffix == ".npz":
        return location
    if not location.is_dir():
        return None
    found = {name: _idx_file_in(location, name) for name in IDX_FILES}
    if all(found.values()):
        return found  # type: ignore[return-value]
    npz = location / "mnist.npz"
    if npz.is_file():
        return npz
    return None


def locate(data_dir: Optional[os.PathLike | str] = None) -> Optional[Path]:
    """The first candidate location that holds the data, or None."""
    for location in candidate_locations(data_dir):
        if find_files(location) is not None:
            return location
    return None


# --------------------------------------------------------------------------- IDX format

def _read_bytes(path: Path, gzipped: Optional[bool] = None) -> bytes:
    """The decompressed bytes of an IDX file; `gzipped` defaults to "the name ends in .gz"."""
    gzipped = path.suffix == ".gz" if gzipped is None else gzipped
    try:
        if gzipped:
            with gzip.open(path, "rb") as handle:
                return handle.read()
        return path.read_bytes()
    except (OSError, EOFError, zlib.error) as exc:
        raise DataError(f"{path}: cannot be read as {'gzip' if gzipped else 'IDX'} "
                        f"({exc}); delete it or point --data-dir at a good copy") from None


def parse_idx(raw: bytes, source: str = "IDX data") -> np.ndarray:
    """Parse IDX bytes (magic 0x00 0x00 0x08 ndim, big-endian dims, uint8 data)."""
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise DataError(f"{source}: not an IDX file of unsigned bytes")
    ndim = raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DataError(f"{source}: truncated IDX header")
    dims = struct.unpack(f">{ndim}I", raw[4:header])
    expected = int(np.prod(dims)) if dims else 0
    if len(raw) - header != expected:
        raise DataError(f"{source}: IDX header says {expected} bytes of data, found {len(raw) - header}")
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(dims)


def encode_idx(array: np.ndarray) -> bytes:
    """The IDX bytes of a uint8 array (used to checksum an npz against the IDX md5s)."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    return bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape) + array.tobytes()


def _check(name: str, raw: bytes, source: str) -> None:
    md5, size, _ = IDX_FILES[name]
    if len(raw) != size:
        raise DataError(f"{source}: expected {size:,} bytes of {name}, got {len(raw):,} (truncated or wrong file)")
    digest = hashlib.md5(raw).hexdigest()
    if digest != md5:
        raise DataError(f"{source}: checksum mismatch for {name} (md5 {digest}, expected {md5}): the file is corrupt")


# --------------------------------------------------------------------------- load / verify

def _load_arrays(found: dict[str, Path] | Path) -> dict[str, np.ndarray]:
    """Read and verify the four arrays from IDX files or an npz; raises DataError."""
    arrays: dict[str, np.ndarray] = {}
    if isinstance(found, Path):  # an npz file; allow_pickle=False: never unpickle
        try:
            with np.load(found, allow_pickle=False) as npz:
                for name, (_, _, key) in IDX_FILES.items():
                    if key not in npz:
                        raise DataError(f"{found}: no array {key!r}; expected a Keras-style mnist.npz")
                    array = npz[key]
                    _check(name, encode_idx(array), f"{found} [{key}]")
                    arrays[name] = array
        except (OSError, ValueError) as exc:
            raise DataError(f"{found}: not a readable .npz file ({exc})") from None
        return arrays
    for name, path in found.items():
        raw = _read_bytes(path)
        _check(name, raw, str(path))
        arrays[name] = parse_idx(raw, str(path))
    return arrays


def verify(location: Path) -> list[tuple[str, str, bool, str]]:
    """(file, path, ok, detail) for each of the four files at a location (for `data info`)."""
    found = find_files(location)
    if found is None:
        return [(name, "", False, "missing") for name in IDX_FILES]
    rows = []
    for name, (_, _, key) in IDX_FILES.items():
        path = found if isinstance(found, Path) else found[name]
        try:
            if isinstance(found, Path):
                with np.load(found, allow_pickle=False) as npz:
                    _check(name, encode_idx(npz[key]), str(found))
            else:
                _check(name, _read_bytes(path), str(path))
            rows.append((name, str(path), True, "md5 ok"))
        except (DataError, KeyError, OSError, ValueError) as exc:
            rows.append((name, str(path), False, str(exc)))
    return rows


def not_found_message(data_dir: Optional[os.PathLike | str] = None, reason: str = "") -> str:
    looked = "\n".join(f"  - {p}" for p in candidate_locations(data_dir))
    why = f"\nDownload failed: {reason}" if reason else ""
    return (
        "MNIST was not found. Looked in:\n" + looked + why +
        "\nPoint the project at a copy with --data-dir DIR or MNIST_CNN_DATA=DIR: a folder with the four "
        "IDX files (train-images-idx3-ubyte.gz, ...; .gz or raw) or a Keras-style mnist.npz."
    )


def load_mnist(data_dir: Optional[os.PathLike | str] = None, download: bool = True,
               mirrors: Optional[Iterable[str]] = None,
               on_progress: Optional[ProgressCallback] = None) -> Mnist:
    """Load and verify MNIST, downloading it first if it is nowhere to be found."""
    location = locate(data_dir)
    if location is None:
        chosen = explicit_dir(data_dir)
        if chosen is not None and not chosen.exists():
            raise DataError(f"{chosen} does not exist. " + not_found_message(data_dir))
        if not download:
            raise DataError(not_found_message(data_dir))
        target = chosen if chosen is not None else cache_dir()
        try:
            download_mnist(target, mirrors=mirrors, on_progress=on_progress)
        except DataError as exc:
            raise DataError(not_found_message(data_dir, str(exc))) from None
        location = target
    found = find_files(location)
    assert found is not None
    arrays = _load_arrays(found)
    return Mnist(
        train_images=arrays["train-images-idx3-ubyte"],
        train_labels=arrays["train-labels-idx1-ubyte"],
        test_images=arrays["t10k-images-idx3-ubyte"],
        test_labels=arrays["t10k-labels-idx1-ubyte"],
        source=str(location),
    )


# --------------------------------------------------------------------------- download

def _fetch(url: str, destination: Path, name: str, on_progress: Optional[ProgressCallback],
           timeout: float) -> None:
    """Stream `url` into `destination` (a temporary file the caller owns)."""
    with urllib.request.urlopen(url, timeout=timeout) as response, open(destination, "wb") as out:
        total = response.headers.get("Content-Length")
        total_bytes = int(total) if total and total.isdigit() else None
        done = 0
        while True:
            chunk = response.read(1 << 16)
            if not chunk:
                break
            out.write(chunk)
            done += len(chunk)
            if on_progress:
                on_progress(name, done, total_bytes)
        if total_bytes is not None and done != total_bytes:
            raise DataError(f"{url}: connection closed after {done:,} of {total_bytes:,} bytes")


def download_mnist(target: Path, mirrors: Optional[Iterable[str]] = None,
                   on_progress: Optional[ProgressCallback] = None, timeout: float = 30.0,
                   force: bool = False) -> list[Path]:
    """Download the four gzip files into `target`, verifying each before it is kept.

    Each file is written to a temporary name in `target` and renamed only once its
    decompressed content matches the published checksum, so an interrupted or corrupt
    download never leaves a file that looks complete. Mirrors are tried in order.
    """
    mirrors = list(mirrors) if mirrors is not None else _mirrors_from_env()
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for name in IDX_FILES:
        final = target / f"{name}.gz"
        existing = _idx_file_in(target, name)
        if existing is not None and not force:
            try:
                _check(name, _read_bytes(existing), str(existing))
                continue
            except DataError:
                pass  # a bad file is replaced below
        errors = []
        for base in mirrors:
            url = base.rstrip("/") + f"/{name}.gz"
            handle, tmp_name = tempfile.mkstemp(prefix=f".{name}.", suffix=".part", dir=target)
            os.close(handle)
            tmp = Path(tmp_name)
            try:
                _fetch(url, tmp, f"{name}.gz", on_progress, timeout)
                _check(name, _read_bytes(tmp, gzipped=True), url)
                os.replace(tmp, final)
                written.append(final)
                break
            except (DataError, urllib.error.URLError, OSError, ValueError) as exc:
                errors.append(f"{url}: {getattr(exc, 'reason', exc)}")
            finally:
                tmp.unlink(missing_ok=True)
        else:
            raise DataError(f"could not download {name}.gz; " + "; ".join(errors))
    return written


def _mirrors_from_env() -> list[str]:
    """$MNIST_CNN_MIRRORS (space- or comma-separated base URLs) overrides the defaults."""
    value = os.environ.get("MNIST_CNN_MIRRORS", "").replace(",", " ").split()
    return value or list(DEFAULT_MIRRORS)
