"""Drawing what was read onto an image: boxes, digits and confidences, a guide box, a status line,
and the strip of 28x28 images the model was given."""

from __future__ import annotations

from typing import Optional

import cv2
import numpy as np

from .digits import Box
from .reader import Reading

GREEN = (60, 200, 60)
AMBER = (0, 170, 255)
RED = (60, 60, 230)
WHITE = (255, 255, 255)
BLACK = (0, 0, 0)
# --save-annotated writes at most this many pixels on the long side: a 12 MP photo drawn at
# full size made a 20 MB PNG; 1600 pixels keeps every box and digit legible.
ANNOTATED_MAX_SIDE = 1600


def _text(image: np.ndarray, text: str, origin: tuple[int, int], scale: float, colour) -> None:
    """Text with a dark outline, readable on paper and on a dark board alike."""
    thickness = max(1, int(round(scale * 2)))
    cv2.putText(image, text, origin, cv2.FONT_HERSHEY_SIMPLEX, scale, BLACK, thickness + 2, cv2.LINE_AA)
    cv2.putText(image, text, origin, cv2.FONT_HERSHEY_SIMPLEX, scale, colour, thickness, cv2.LINE_AA)


def draw_reading(image: np.ndarray, reading: Reading, confident: Optional[float] = None,
                 max_side: Optional[int] = None) -> np.ndarray:
    """A copy of `image` with each digit's box, the digit read above it and its confidence.

    Green: confident; amber, with a "?" after the digit: unsure (worth a second look; the
    threshold is reader.UNSURE_BELOW unless `confident` is given). With `max_side`, a larger
    image is reduced first (the boxes with it), so the drawing stays legible.
    """
    out = image.copy() if image.ndim == 3 else cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    scale = 1.0
    if max_side and max(out.shape[:2]) > max_side:
        scale = max_side / max(out.shape[:2])
        out = cv2.resize(out, (max(1, round(out.shape[1] * scale)), max(1, round(out.shape[0] * scale))),
                         interpolation=cv2.INTER_AREA)

    def scaled(box: Box) -> Box:
        return tuple(int(round(v * scale)) for v in box)  # type: ignore[return-value]

    if reading.roi is not None:
        x, y, w, h = scaled(reading.roi)
        cv2.rectangle(out, (x, y), (x + w, y + h), WHITE, 1, cv2.LINE_AA)
    for d in reading.digits:
        x, y, w, h = scaled(d.box)
        unsure = d.unsure if confident is None else d.confidence < confident
        colour = AMBER if unsure else GREEN
        cv2.rectangle(out, (x, y), (x + w, y + h), colour, max(1, h // 60 + 1), cv2.LINE_AA)
        size = max(0.4, min(2.0, h / 60))
        _text(out, f"{d.digit}?" if unsure else f"{d.digit}", (x, max(12, y - int(8 * size))), size, colour)
        _text(out, f"{100 * d.confidence:.0f}%", (x, y + h + int(18 * size * 0.6) + 4), size * 0.5, colour)
    return out


def draw_status(image: np.ndarray, status: str) -> None:
    """One status line along the bottom of `image`, drawn once, white on a dark band, its size
    fitted to the width (an outlined line drawn over the picture read as two garbled lines
    under Xvfb, and ran past the edge of a 640-pixel frame)."""
    h, w = image.shape[:2]
    scale = 0.5
    (tw, th), base = cv2.getTextSize(status, cv2.FONT_HERSHEY_SIMPLEX, scale, 1)
    if tw > w - 16:
        scale *= (w - 16) / tw
        (tw, th), base = cv2.getTextSize(status, cv2.FONT_HERSHEY_SIMPLEX, scale, 1)
    band = th + base + 8
    image[h - band:] = (image[h - band:] * 0.25).astype(image.dtype)
    cv2.putText(image, status, (8, h - base - 4), cv2.FONT_HERSHEY_SIMPLEX, scale, WHITE, 1, cv2.LINE_AA)


def digits_strip(reading: Reading, width: int, tile: int = 56) -> Optional[np.ndarray]:
    """The 28x28 images the model was given, enlarged to `tile` pixels, each with the digit read
    under it ("?" when unsure), wrapped to `width`: why a digit was misread is seen here."""
    if not reading.digits:
        return None
    label = 20
    per_row = max(1, (width - 4) // (tile + 4))
    rows = (len(reading.digits) + per_row - 1) // per_row
    strip = np.full((rows * (tile + label + 4) + 4, width, 3), 40, np.uint8)
    for k, d in enumerate(reading.digits):
        r, c = divmod(k, per_row)
        x, y = 4 + c * (tile + 4), 4 + r * (tile + label + 4)
        big = cv2.resize(d.image, (tile, tile), interpolation=cv2.INTER_NEAREST)
        strip[y:y + tile, x:x + tile] = big[..., None]
        colour = AMBER if d.unsure else GREEN
        cv2.putText(strip, f"{d.digit}?" if d.unsure else str(d.digit), (x + 2, y + tile + label - 5),
                    cv2.FONT_HERSHEY_SIMPLEX, 0.5, colour, 1, cv2.LINE_AA)
    return strip


def draw_guide(image: np.ndarray, box: Box, text: Optional[str] = None, status: Optional[str] = None) -> np.ndarray:
    """The live preview: the guide box (where to hold the digits), a reading, a status line."""
    out = image.copy()
    x, y, w, h = box
    cv2.rectangle(out, (x, y), (x + w, y + h), WHITE, 2, cv2.LINE_AA)
    if text:
        _text(out, text, (x, max(24, y - 10)), 1.0, GREEN)
    if status:
        draw_status(out, status)
    return out
