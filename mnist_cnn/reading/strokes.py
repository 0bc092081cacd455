"""A digit's pen width, measured on its ink and brought to MNIST's.

MNIST's writers used much the same pen, and a model trained on it reads a hairline or a felt
marker worse than the same digit at MNIST's width. The width is measured where it is defined:
across the stroke. The distance transform gives each ink pixel its distance to the paper; on
the ridge (the stroke's middle line, where that distance is a local maximum) it is half the
stroke's width. The median over the ridge is the pen, whatever the digit's length or loops
(2 * area / perimeter, the older measure, overstates a marker whose loops have filled in),
once hairs far finer than the digit's ink are left out (HAIR).

MNIST's own width, measured the same way on 6,000 training digits enlarged 4x and cut at half
grey: median 2.25 pixels in the 28x28 image (10% of digits under 1.75, 10% over 3.25), that
is 0.1125 of the digit's longer side (the 20-pixel box).

Imports cv2 at load time: only the reading commands import this module.
"""

from __future__ import annotations

import cv2
import numpy as np

from .ink import weighted_median

# MNIST's pen width as a fraction of the digit's longer side (see the module docstring).
MNIST_WIDTH = 0.1125
# The pens each digit is shown to the model with: as written, and about MNIST's width.
PENS: tuple[float, ...] = (0.0, 0.8 * MNIST_WIDTH, MNIST_WIDTH, 1.2 * MNIST_WIDTH)
# A thinned stroke keeps at least this fraction of its ink: beyond, the measure is wrong (a
# blot, not a stroke) and the digit is left as it is.
KEEP_AT_LEAST = 0.25


def _disk(radius: int) -> np.ndarray:
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))


def ridge(binary: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(distance to the paper of each pixel, the ridge mask: ink pixels at a local maximum)."""
    if binary.size == 0:
        return np.zeros(binary.shape, np.float32), np.zeros(binary.shape, bool)
    # A border of paper: ink touching the crop's edge is measured to that edge, not beyond.
    padded = cv2.copyMakeBorder(binary.astype(np.uint8), 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=0)
    distance = cv2.distanceTransform(padded, cv2.DIST_L2, 5)
    top = (distance >= cv2.dilate(distance, np.ones((3, 3), np.uint8))) & (distance > 0)
    return distance[1:-1, 1:-1], top[1:-1, 1:-1]


def stroke_width(binary: np.ndarray) -> float:
    """The pen width of a binary digit in pixels: 2 * the median distance on the ridge, less
    the half pixel each side that the distance counts (a one-pixel line is 1 wide). 0 for no ink."""
    return measure(binary)[3]


def target_width(binary: np.ndarray, fraction: float = MNIST_WIDTH) -> float:
    """The pen width (pixels) that makes the digit's width `fraction` of its longer side."""
    if binary.size == 0:
        return 0.0
    _, _, w, h = cv2.boundingRect((binary > 0).astype(np.uint8))
    return fraction * max(w, h)


def to_width(binary: np.ndarray, fraction: float = MNIST_WIDTH, measured: tuple | None = None) -> np.ndarray:
    """`binary` (uint8 0/1) redrawn so its pen width is `fraction` of its longer side.

    A thin pen is thickened by a round dilation. A broad pen is thinned by a round erosion,
    but every stroke keeps its middle line drawn at the new width, so a part finer than the
    rest (a marker's lighter stretch, a serif) is thinned to the width rather than erased.
    Dilating adds the radius on each side of the box too, so the radius is chosen for the
    width relative to the box after the change: (w + 2r) / (L + 2r) = fraction.
    `measured`: what measure(binary) gave, when several widths are drawn from one digit.
    """
    binary, distance, top, width, length = measured or measure(binary)
    if width == 0.0 or length == 0.0:
        return binary
    radius = int(round((fraction * length - width) / (2 * (1 - fraction))))
    if radius == 0:
        return binary
    if radius > 0:
        pad = radius + 1  # room to grow past the crop
        padded = cv2.copyMakeBorder(binary, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=0)
        return cv2.dilate(padded, _disk(radius))
    core = (distance > -radius).astype(np.uint8)  # the round erosion
    half = max(1, int(round(fraction * length / 2)))
    spine = cv2.dilate(top.astype(np.uint8), _disk(half)) & binary
    thinner = core | spine
    return thinner if thinner.sum() >= KEEP_AT_LEAST * binary.sum() else binary


def measure(binary: np.ndarray) -> tuple:
    """(the digit as uint8 0/1, its distance map, its ridge, its pen width, its longer side)."""
    binary = (binary > 0).astype(np.uint8)
    distance, top = ridge(binary)
    width = max(1.0, 2.0 * _pen_distance(distance[top]) - 1.0) if top.any() else 0.0
    return binary, distance, top, width, target_width(binary, 1.0)


# A ridge this much finer than the ink's own (below a third of its ink-weighted median) is a
# hair, not the pen: the stub of a ruled line or a scratch left on a marker's digit. Every
# pixel of a hair one or two pixels wide is on the ridge, so a hair across a digit can be most
# of the ridge, and the plain median then measured a felt pen at one pixel: the digit was
# "thickened" to MNIST's width into a blot (a 2 on ruled paper read as 8). Measured with the
# default models: camera-like set PyTorch 98.30 -> 98.39%, Keras 98.49 -> 98.54%; the real
# photos as taken unchanged; MNIST's own pen unchanged (1.6% of 6,000 training digits drop a
# ridge pixel, the 10th, 50th and 90th percentiles stay 1.75, 2.25, 3.25 pixels).
HAIR = 1 / 3


def _pen_distance(values: np.ndarray) -> float:
    """Half the pen: the median of the ridge's distances to the paper, hairs left out."""
    heavy = weighted_median(values, values)  # each ridge pixel weighted by the ink it carries
    return float(np.median(values[values >= HAIR * heavy]))


def pen_views(binary: np.ndarray, pens: tuple[float, ...], measured: tuple | None = None) -> list[np.ndarray]:
    """The digit drawn with each pen in `pens` (fractions of its longer side; 0: as written),
    each cropped tight. The model's answers over them are averaged (reader.py): the digit as
    written keeps what a redrawing can lose (a loop that a marker nearly closed), the ones at
    and about MNIST's width are what the model knows best."""
    measured = measured or measure(binary)  # once for all the widths (`measured`: measure(binary))
    views = []
    for pen in pens:
        drawn = to_width(binary, pen, measured) if pen > 0 else measured[0]
        x, y, w, h = cv2.boundingRect(drawn) if drawn.size else (0, 0, 0, 0)
        views.append(drawn[y:y + h, x:x + w] if w else drawn)
    return views
