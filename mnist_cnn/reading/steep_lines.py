"""Ruled lines at a slant: a page held at an angle, its lines too steep for ink.remove_lines.

ink.remove_lines finds a line by its horizontal (or vertical) runs of thin ink, which a line
turned more than about 10 degrees no longer has: on a ruled page held at 20-35 degrees the
lines stayed, joined every digit they touched, and the page read as a handful of 1s or nothing
(measured on the wider camera-like set, PyTorch: 41% of the 102 digits on such pages read right,
76.4% of all the digits on pages turned 12-35 degrees; with this module 78% and 87.0%).

Here the lines' direction is found first, from the whole mask: ruled lines are many long
parallel runs of ink, so along their direction the ink's profile across the page has sharp
peaks, one per line, and at any other angle it is smeared. The mask is then turned so the
lines lie level (nearest neighbour on a black canvas: no ink is made), remove_lines' own
search erases them there, and the erasure is turned back.

Imports cv2 at load time: only the commands that read images import this module.
"""

from __future__ import annotations

import cv2
import numpy as np

from .orientation import turning

# Angles tried, in degrees from level; under MIN_ANGLE the axis-aligned search already works.
MIN_ANGLE = 6.0
MAX_ANGLE = 45.0
STEP = 1.0
# At most this many ink pixels go into the profile (a regular sample of them: the peaks of
# ruled lines are kept, the search stays cheap on a 12 MP page).
SAMPLE = 20_000
# The peaks along the best angle must be this much sharper than at the median angle before
# the lines are looked for: a cheap gate, not the judge. On the wider camera-like set, ruled
# pages turned 12-35 degrees measured 1.6-6.8, most pages without lines 1.05-1.5, but a row of
# digits written at a slant reaches 3.6: ink._line_pixels, which wants long, straight, thin
# runs across most of the page, decides.
MIN_SHARPNESS = 1.6


def _sharpness(xs: np.ndarray, ys: np.ndarray, angle: float, bin_size: float) -> float:
    """The ink's profile across lines at `angle` degrees, as the sum of its squared bin counts
    over the number of pixels: high when the ink piles up on a few thin bands at that angle."""
    a = np.deg2rad(angle)
    across = -np.sin(a) * xs + np.cos(a) * ys
    counts = np.bincount(((across - across.min()) / bin_size).astype(np.int64))
    return float((counts.astype(np.float64) ** 2).sum() / max(len(xs), 1))


def line_angle(mask: np.ndarray, thickness: int) -> float | None:
    """The angle (degrees, image y downwards: positive turns clockwise) of ruled lines in
    `mask` steeper than MIN_ANGLE and within MAX_ANGLE of level, or None when there are none."""
    ys, xs = np.nonzero(mask)
    if len(xs) < 64:
        return None
    step = max(1, len(xs) // SAMPLE)
    xs, ys = xs[::step].astype(np.float64), ys[::step].astype(np.float64)
    bin_size = max(1.0, thickness / 2)
    angles = np.arange(-MAX_ANGLE, MAX_ANGLE + STEP / 2, STEP)
    scores = np.array([_sharpness(xs, ys, a, bin_size) for a in angles])
    best = int(np.argmax(scores))
    if abs(angles[best]) < MIN_ANGLE or scores[best] < MIN_SHARPNESS * float(np.median(scores)):
        return None
    return float(angles[best])


# Sets of parallel lines looked for, one after the other: a grid turned with its page has two
# directions, and so has a page whose lines bend at a fold or a mirrored border.
PASSES = 2


def steep_line_pixels(mask: np.ndarray, thickness: int, line_pixels) -> tuple[np.ndarray, float | None]:
    """The pixels of ruled lines lying at a slant in `mask` (uint8 0/1), as a 0/1 mask: lines
    near level and lines near upright (a page turned a quarter turn, or a grid's other side),
    up to PASSES directions of each; and the angle of the first lines found near level (the
    writing on a ruled page runs along them), or None."""
    found = np.zeros_like(mask)
    slant = None
    for _ in range(PASSES):
        rest = mask & (1 - found)
        lines, angle = _one_direction(rest, thickness, line_pixels)
        across, _ = _one_direction(np.ascontiguousarray((rest & (1 - lines)).T), thickness, line_pixels)
        across = across.T
        if not (lines.any() or across.any()):
            break
        if slant is None and lines.any():
            slant = angle
        found |= lines | across
    return found, slant


def _one_direction(mask: np.ndarray, thickness: int, line_pixels) -> tuple[np.ndarray, float | None]:
    """The pixels of ruled lines lying at a slant in `mask` (uint8 0/1), as a 0/1 mask, and
    their angle (None when there are none).

    `line_pixels(mask, thickness, min_span, inside)` is the level search (ink._line_pixels),
    run on the mask turned level. The span it asks for is 60% of each line's own stretch
    across the picture, as for level lines, since a turned page's lines are of many lengths.
    """
    angle = line_angle(mask, thickness)
    if angle is None:
        return np.zeros_like(mask), None
    h, w = mask.shape
    matrix, (new_w, new_h) = turning(mask.shape, angle)

    def turned(image):
        return cv2.warpAffine(image, matrix, (new_w, new_h), flags=cv2.INTER_NEAREST,
                              borderMode=cv2.BORDER_CONSTANT, borderValue=0)

    level = turned(mask)
    inside = turned(np.ones_like(mask))
    found = line_pixels(level, thickness, int(0.6 * new_w), inside)
    if not found.any():
        return np.zeros_like(mask), None
    # As remove_lines does for level lines: a pixel more round the line (its anti-aliased
    # edge, and the pixels a nearest-neighbour turn leaves unmatched), never where a stroke
    # crosses it.
    tall = cv2.morphologyEx(level, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, thickness + 1)))
    found = cv2.dilate(found, cv2.getStructuringElement(cv2.MORPH_RECT, (3, 3))) & (1 - tall)
    back = cv2.warpAffine(found, cv2.invertAffineTransform(matrix), (w, h), flags=cv2.INTER_NEAREST,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    return back & mask, angle
