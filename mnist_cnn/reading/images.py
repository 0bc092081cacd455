"""Loading photos and scans for reading: any format OpenCV decodes, any size, any bit depth.

Imports cv2 at load time: only the commands that read images import this module.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from .errors import ImageError

# What OpenCV reads in every build (the formats offered in messages).
FORMATS = "PNG, JPEG, BMP, TIFF, WebP or PNM"
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".pgm", ".ppm", ".pbm", ".pnm"}


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


def load_image(path: str | Path) -> np.ndarray:
    """Read an image file as 8-bit BGR, or raise ImageError naming the file."""
    path = Path(path)
    if path.is_dir():
        raise ImageError(f"{path}: is a folder, not an image")
    try:
        data = np.fromfile(path, dtype=np.uint8)  # np.fromfile: also paths cv2.imread cannot open
    except FileNotFoundError:
        raise ImageError(f"{path}: no such file") from None
    except OSError as exc:
        raise ImageError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    image = cv2.imdecode(data, cv2.IMREAD_UNCHANGED) if data.size else None
    if image is None or image.size == 0:
        raise ImageError(f"{path}: not an image OpenCV can read (expected {FORMATS})")
    return to_bgr8(image)


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
