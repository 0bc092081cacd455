"""Loading photo files as a user's phone, scanner or editor writes them: EXIF orientation in
JPEG, PNG, WebP and TIFF (all eight tags), 16-bit, palette, alpha, greyscale, GIF; and bad
files (an absurd header, a truncated JPEG, a 1x1 image) as one-line errors, exit code 1."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from mnist_cnn.reading.images import load_image
from mnist_cnn.reading.errors import ImageError

from .conftest import cli_in_one_process

# An upright test picture (rows x columns) whose four quadrants differ, so any turn or mirror shows.
UPRIGHT = np.zeros((40, 60, 3), np.uint8)
UPRIGHT[:20, :30] = (255, 0, 0)     # top left: blue (BGR)
UPRIGHT[:20, 30:] = (0, 255, 0)     # top right: green
UPRIGHT[20:, :30] = (0, 0, 255)     # bottom left: red
UPRIGHT[20:, 30:] = (255, 255, 255)  # bottom right: white

def _stored(tag: int) -> np.ndarray:
    """The pixels a camera stores with `tag` so that a viewer applying the tag shows UPRIGHT
    (EXIF 2.32, tag 0x0112: 6 = turn 90 degrees clockwise to view, 8 = anticlockwise), as RGB."""
    a = UPRIGHT[..., ::-1]
    stored = {1: a, 2: a[:, ::-1], 3: a[::-1, ::-1], 4: a[::-1, :], 5: a.transpose(1, 0, 2),
              6: np.rot90(a, 1), 7: a.transpose(1, 0, 2)[::-1, ::-1], 8: np.rot90(a, -1)}[tag]
    return np.ascontiguousarray(stored)


def _write(path, pixels_rgb: np.ndarray, fmt: str, tag: int) -> None:
    image = Image.fromarray(pixels_rgb)
    exif = Image.Exif()
    exif[0x0112] = tag
    options = {"quality": 95} if fmt == "JPEG" else {"lossless": True} if fmt == "WEBP" else {}
    image.save(path, fmt, exif=exif.tobytes(), **options)


@pytest.mark.parametrize("fmt,suffix", [("JPEG", ".jpg"), ("PNG", ".png"), ("WEBP", ".webp"), ("TIFF", ".tif")])
@pytest.mark.parametrize("tag", range(1, 9))
def test_every_exif_orientation_is_read_upright(tmp_path, fmt, suffix, tag):
    path = tmp_path / f"tag{tag}{suffix}"
    _write(path, _stored(tag), fmt, tag)
    loaded = load_image(path)
    assert loaded.shape == UPRIGHT.shape
    # JPEG blurs the colour edges a little; the quadrants' centres say which way is up.
    for (y, x) in ((10, 15), (10, 45), (30, 15), (30, 45)):
        assert np.abs(loaded[y, x].astype(int) - UPRIGHT[y, x]).max() < 40, (fmt, tag, y, x)


def test_an_invalid_orientation_tag_leaves_the_pixels_as_they_are(tmp_path):
    path = tmp_path / "tag0.jpg"
    _write(path, UPRIGHT[..., ::-1].copy(), "JPEG", 0)
    assert np.abs(load_image(path)[10, 45].astype(int) - (0, 255, 0)).max() < 40


def test_unusual_encodings_are_read(tmp_path):
    grey = np.tile(np.linspace(0, 255, 64).astype(np.uint8), (48, 1))
    # 16-bit greyscale PNG: the top byte is kept.
    Image.fromarray((grey.astype(np.uint16) * 257)).save(tmp_path / "g16.png")
    assert np.abs(load_image(tmp_path / "g16.png")[..., 0].astype(int) - grey).max() <= 1
    # Palette PNG and the first frame of a GIF.
    Image.fromarray(grey).convert("P").save(tmp_path / "palette.png")
    assert np.abs(load_image(tmp_path / "palette.png")[..., 0].astype(int) - grey).max() <= 8
    frames = [Image.fromarray(grey).convert("P"), Image.fromarray(255 - grey).convert("P")]
    frames[0].save(tmp_path / "anim.gif", save_all=True, append_images=frames[1:])
    assert np.abs(load_image(tmp_path / "anim.gif")[..., 0].astype(int) - grey).max() <= 8
    # A transparent background becomes white paper; the opaque ink stays dark.
    rgba = np.zeros((48, 64, 4), np.uint8)
    rgba[10:20, 10:20] = (0, 0, 0, 255)
    Image.fromarray(rgba).save(tmp_path / "alpha.png")
    loaded = load_image(tmp_path / "alpha.png")
    assert loaded[0, 0].tolist() == [255, 255, 255] and loaded[15, 15].tolist() == [0, 0, 0]
    # A greyscale JPEG comes back as three equal channels.
    Image.fromarray(grey).save(tmp_path / "grey.jpg", quality=95)
    loaded = load_image(tmp_path / "grey.jpg")
    assert loaded.shape == (48, 64, 3) and np.abs(loaded[..., 0].astype(int) - grey).max() < 12


def _png_claiming(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


def _truncated_jpeg() -> bytes:
    buffer = io.BytesIO()
    noise = np.random.default_rng(0).integers(0, 255, (200, 300, 3), dtype=np.uint8)
    Image.fromarray(noise).save(buffer, "JPEG", quality=90)
    return buffer.getvalue()[: len(buffer.getvalue()) // 2]


def _one_pixel() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (1, 1), "white").save(buffer, "PNG")
    return buffer.getvalue()


@pytest.mark.parametrize("name,data,words", [
    ("huge.png", _png_claiming(60000, 60000), "too large"),
    ("cut.jpg", _truncated_jpeg(), "truncated"),
    ("dot.png", _one_pixel(), "too small"),
    ("text.png", b"not an image at all", "not an image"),
])
def test_bad_files_raise_one_line_errors(tmp_path, name, data, words):
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(ImageError) as raised:
        load_image(path)
    message = str(raised.value)
    assert "\n" not in message and str(path) in message and words in message


BAD_FILES = [("huge.png", _png_claiming(60000, 60000)), ("cut.jpg", _truncated_jpeg()), ("dot.png", _one_pixel())]


@pytest.mark.mnist
def test_predict_on_a_bad_file_prints_one_line_and_exits_1(tmp_path, torch_run):
    """Through the CLI as a user runs it (the three files in one fresh process): one line, no
    traceback, exit code 1."""
    paths = []
    for name, data in BAD_FILES:
        paths.append(tmp_path / name)
        paths[-1].write_bytes(data)
    for path, done in zip(paths, cli_in_one_process([["predict", str(p), "--model", str(torch_run)] for p in paths])):
        assert done.returncode == 1, done.stdout + done.stderr
        output = (done.stdout + done.stderr).strip()
        assert "Traceback" not in output and str(path.name) in output
        assert len([line for line in output.splitlines() if "Error" in line]) == 1
