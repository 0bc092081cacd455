"""Grids and boxes are not writing: a sudoku drawn by hand, the boxes of a printed form.

ink.remove_lines erases thin ruled lines that run across the page. The lines of a grid are
often thick (a marker frame), drawn by hand, and touch every digit in them, so all of it is
one piece of ink. Here every long straight run of ink, of any thickness, is found with a
long horizontal and a long vertical opening; when they form a grid (at least two lines each
way, crossing each other), they are erased, a pixel wider than found. A single long stroke
(a tall 1 that fills the picture) is not a grid and stays.

Imports cv2 at load time: only the commands that read images import this module.
"""

from __future__ import annotations

import cv2
import numpy as np

# A grid line runs straight for at least this fraction of the picture's side (0.2 took the
# strokes of large digits on the camera-like set: a 7's bar of 26%, 1s of 25%).
MIN_LENGTH = 0.3
# ... and the lines of a grid cross: at least this many crossings.
MIN_CROSSINGS = 4
# Once a grid is found, the pieces of its lines are taken down to this fraction of the side.
SHORT_LENGTH = 0.07
# The lines of a grid are thin beside the picture: thicker straight runs are the strokes of a
# digit that fills it (a 9 in a tight region on ruled paper: strokes 13% of its width).
MAX_THICKNESS = 0.05


def _lines(mask: np.ndarray, length: int, horizontal: bool) -> tuple[np.ndarray, int]:
    """The pixels of straight runs at least `length` long, and how many separate lines they make."""
    size = (length, 1) if horizontal else (1, length)
    runs = cv2.morphologyEx(mask, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, size))
    if not runs.any():  # the usual page: no long line at all (and no time spent on one)
        return runs, 0
    # A hand-drawn line wavers: pieces of it are bridged along its direction before counting.
    bridge = (max(3, length // 4), 3) if horizontal else (3, max(3, length // 4))
    joined = cv2.morphologyEx(runs, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, bridge))
    count, _, stats, _ = cv2.connectedComponentsWithStats(joined, connectivity=8)
    long_side = cv2.CC_STAT_WIDTH if horizontal else cv2.CC_STAT_HEIGHT
    return runs, int(sum(1 for i in range(1, count) if stats[i, long_side] >= length))


def _thickness(runs: np.ndarray, horizontal: bool) -> float:
    """Mean thickness of the straight runs: their pixels over their summed lengths."""
    count, _, stats, _ = cv2.connectedComponentsWithStats(runs, connectivity=8)
    length = stats[1:, cv2.CC_STAT_WIDTH if horizontal else cv2.CC_STAT_HEIGHT].sum()
    return float(runs.sum()) / max(1, int(length))


def remove_grid(mask: np.ndarray) -> np.ndarray:
    """`mask` (uint8 0/1) without the lines of a grid or of form boxes, when there is one."""
    h, w = mask.shape
    across, n_across = _lines(mask, max(15, int(MIN_LENGTH * w)), True)
    if n_across < 2:
        return mask
    down, n_down = _lines(mask, max(15, int(MIN_LENGTH * h)), False)
    if n_down < 2:
        return mask
    crossings = cv2.connectedComponents(cv2.dilate(across, np.ones((5, 5), np.uint8)) & down)[0] - 1
    if crossings < MIN_CROSSINGS:
        return mask
    if max(_thickness(across, True), _thickness(down, False)) > MAX_THICKNESS * min(h, w):
        return mask
    lines = cv2.dilate(across | down, cv2.getStructuringElement(cv2.MORPH_RECT, (5, 5)))
    mask = mask & (1 - lines)
    # Inside a grid, the thinner lines are broken where they cross and where the pen wavered:
    # a second pass takes their straight pieces down to SHORT_LENGTH, still longer than a digit
    # of a grid that size.
    across, _ = _lines(mask, max(9, int(SHORT_LENGTH * w)), True)
    down, _ = _lines(mask, max(9, int(SHORT_LENGTH * h)), False)
    return mask & (1 - cv2.dilate(across | down, cv2.getStructuringElement(cv2.MORPH_RECT, (3, 3))))
