"""Loading photos and scans for reading: any common format, any size, any bit depth, upright.

Pillow decodes first: it applies the EXIF orientation tag of JPEG, PNG, WebP and TIFF files
(phones store a portrait photo as landscape pixels plus that tag; OpenCV's IMREAD_UNCHANGED
ignores it, and IMREAD_COLOR honours it for JPEG only), reads the first frame of a GIF, and
reports a truncated file or an absurd header as an error instead of half an image. OpenCV
decodes what Pillow cannot identify.

Imports cv2 and PIL at load time: only the commands that read images import this module.
"""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from .errors import ImageError

# What OpenCV reads in every build (the formats offered in messages).
FORMATS = "PNG, JPEG, BMP, TIFF, WebP, GIF or PNM"
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".gif", ".pgm", ".ppm", ".pbm",
                  ".pnm"}
# An image claiming more pixels than this is refused before it is decoded (a 100 MP camera
# stays under it; a 60000x60000 header would need 10 GB).
MAX_PIXELS = 150_000_000
# Smaller than this on a side, an image cannot hold a readable digit.
MIN_SIDE = 8


def to_bgr8(image: np.ndarray) -> np.ndarray:
    """Any decoded image -> 8-bit BGR. Transparency becomes white paper (a scan saved with a
    transparent background would otherwise turn black and hide dark ink)."""
    if image.dtype == np.uint16:
        image = (image / 257).astype(np.uint8)
    elif image.dtype != np.uint8:
        scaled = cv2.normalize(image.astype(np.float32), None, 0, 255, cv2.NORM_MINMAX)
        image = scaled.astype(np.uint8)
    if image.ndim == 2:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    if image.shape[2] == 4:
        alpha = image[..., 3:4].astype(np.float32) / 255.0
        white = np.full_like(image[..., :3], 255, dtype=np.float32)
        return (image[..., :3] * alpha + white * (1 - alpha)).astype(np.uint8)
    return image[..., :3]


def _check_size(path: Path, width: int, height: int) -> None:
    if width * height > MAX_PIXELS:
        raise ImageError(f"{path}: claims {width}x{height} pixels, more than the {MAX_PIXELS // 1_000_000} "
                         f"million this reader accepts")
    if min(width, height) < MIN_SIDE:
        raise ImageError(f"{path}: is {width}x{height} pixels, too small to hold a digit "
                         f"(at least {MIN_SIDE}x{MIN_SIDE})")


def _pillow_array(image: Image.Image) -> np.ndarray:
    """A decoded Pillow frame as an array to_bgr8 understands (BGR / BGRA / grey / 16-bit grey)."""
    mode = image.mode
    if mode == "P":
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
    elif mode == "1":
        image = image.convert("L")
    elif mode in ("LA", "La", "PA", "RGBa"):
        image = image.convert("RGBA")
    elif mode not in ("L", "RGB", "RGBA") and not mode.startswith("I") and mode != "F":
        image = image.convert("RGB")  # CMYK, YCbCr, LAB, HSV
    array = np.asarray(image)
    if image.mode == "RGB":
        return array[..., ::-1]
    if image.mode == "RGBA":
        return array[..., [2, 1, 0, 3]]
    if image.mode.startswith("I"):
        # 16-bit grey ("I;16") or 32-bit integers holding 16-bit values (some PNG decoders).
        return array.astype(np.uint16) if array.max(initial=0) <= 65535 else array.astype(np.float32)
    return array


def _decode_with_pillow(path: Path, data: bytes) -> np.ndarray | None:
    """Decode `data` upright with Pillow; None when Pillow does not know the format."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
    except UnidentifiedImageError:
        return None
    except Image.DecompressionBombError as exc:
        raise ImageError(f"{path}: claims an image too large to decode ({str(exc).split(',')[0]})") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise ImageError(f"{path}: damaged image ({exc})") from None
    _check_size(path, *image.size)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image.seek(0)  # a GIF or a multi-page TIFF: the first frame
            image.load()
            upright = ImageOps.exif_transpose(image)
    except (OSError, SyntaxError, ValueError, EOFError, Image.DecompressionBombError) as exc:
        raise ImageError(f"{path}: damaged or truncated image ({exc})") from None
    return _pillow_array(upright if upright is not None else image)


def load_image(path: str | Path) -> np.ndarray:
    """Read an image file as 8-bit BGR, upright, or raise ImageError naming the file."""
    path = Path(path)
    if path.is_dir():
        raise ImageError(f"{path}: is a folder, not an image")
    try:
        data = np.fromfile(path, dtype=np.uint8)  # np.fromfile: also paths cv2.imread cannot open
    except FileNotFoundError:
        raise ImageError(f"{path}: no such file") from None
    except OSError as exc:
        raise ImageError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    image = _decode_with_pillow(path, data.tobytes()) if data.size else None
    if image is None and data.size:
        try:
            image = cv2.imdecode(data, cv2.IMREAD_UNCHANGED)
        except cv2.error:
            image = None
    if image is None or image.size == 0:
        raise ImageError(f"{path}: not an image that can be read (expected {FORMATS})")
    _check_size(path, image.shape[1], image.shape[0])
    return to_bgr8(np.ascontiguousarray(image))


def save_image(path: str | Path, image: np.ndarray) -> Path:
    """Write `image`; the format follows the suffix (.png when there is none)."""
    path = Path(path)
    if not path.suffix:
        path = path.with_suffix(".png")
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        ok, encoded = cv2.imencode(path.suffix, image)
    except cv2.error:
        ok = False
    if not ok:
        raise ImageError(f"{path}: OpenCV cannot write this format (use .png or .jpg)")
    path.write_bytes(encoded.tobytes())
    return path
