"""Checks that a file is a real PNG image of a sensible size with something drawn on it."""

from pathlib import Path

import numpy as np

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def assert_png(path: Path, min_side: int = 200, max_side: int = 4000) -> tuple[int, int]:
    import cv2

    assert path.is_file(), f"{path} was not written"
    assert path.read_bytes()[:8] == PNG_SIGNATURE, f"{path} is not a PNG file"
    image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    assert image is not None, f"{path} does not decode"
    height, width = image.shape[:2]
    assert min_side <= width <= max_side and min_side <= height <= max_side, f"{path}: {width}x{height}"
    assert float(np.std(image)) > 5, f"{path} is (nearly) blank"
    return width, height
