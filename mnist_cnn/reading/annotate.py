"""Drawing what was read onto an image: boxes, digits and confidences, a guide box, a status line."""

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


def _text(image: np.ndarray, text: str, origin: tuple[int, int], scale: float, colour) -> None:
    """Text with a dark outline, readable on paper and on a dark board alike."""
    thickness = max(1, int(round(scale * 2)))
    cv2.putText(image, text, origin, cv2.FONT_HERSHEY_SIMPLEX, scale, BLACK, thickness + 2, cv2.LINE_AA)
    cv2.putText(image, text, origin, cv2.FONT_HERSHEY_SIMPLEX, scale, colour, thickness, cv2.LINE_AA)


def draw_reading(image: np.ndarray, reading: Reading, confident: float = 0.8) -> np.ndarray:
    """A copy of `image` with each digit's box, the digit read above it and its confidence.

    Green: confident; amber: below `confident` (worth a second look).
    """
    out = image.copy() if image.ndim == 3 else cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    if reading.roi is not None:
        x, y, w, h = reading.roi
        cv2.rectangle(out, (x, y), (x + w, y + h), WHITE, 1, cv2.LINE_AA)
    for d in reading.digits:
        x, y, w, h = d.box
        colour = GREEN if d.confidence >= confident else AMBER
        cv2.rectangle(out, (x, y), (x + w, y + h), colour, max(1, h // 60 + 1), cv2.LINE_AA)
        scale = max(0.4, min(2.0, h / 60))
        _text(out, f"{d.digit}", (x, max(12, y - int(8 * scale))), scale, colour)
        _text(out, f"{100 * d.confidence:.0f}%", (x, y + h + int(18 * scale * 0.6) + 4), scale * 0.5, colour)
    return out


def draw_guide(image: np.ndarray, box: Box, text: Optional[str] = None, status: Optional[str] = None) -> np.ndarray:
    """The live preview: the guide box (where to hold the digits), a reading, a status line."""
    out = image.copy()
    x, y, w, h = box
    cv2.rectangle(out, (x, y), (x + w, y + h), WHITE, 2, cv2.LINE_AA)
    if text:
        _text(out, text, (x, max(24, y - 10)), 1.0, GREEN)
    if status:
        _text(out, status, (8, out.shape[0] - 10), 0.5, WHITE)
    return out
