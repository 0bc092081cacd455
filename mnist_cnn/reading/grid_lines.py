"""Grids and boxes are not writing: a sudoku drawn by hand, the boxes of a printed form.

ink.remove_lines erases thin ruled lines that run across the page. The lines of a grid are
often thick (a marker frame), drawn by hand, and touch every digit in them, so all of it is
one piece of ink. Here every long straight run of ink, of any thickness, is found with a
long horizontal and a long vertical opening; when they form a grid (at least two lines each
way, crossing each other), they are erased, a pixel wider than found. A single long stroke
(a tall 1 that fills the picture) is not a grid and stays.

A row of printed boxes, one digit in each, is different: its long lines are the ruled lines
remove_lines already took, and its upright sides are short, as tall as a digit. They are found
as evenly spaced straight runs joining the line above to the line below (remove_form_boxes).

Imports cv2 at load time: only the commands that read images import this module.
"""

from __future__ import annotations

import cv2
import numpy as np

from .orientation import within_45

# A grid line runs straight for at least this fraction of the picture's side (0.2 took the
# strokes of large digits on the camera-like set: a 7's bar of 26%, 1s of 25%).
MIN_LENGTH = 0.3
# ... and the lines of a grid cross: at least this many crossings.
MIN_CROSSINGS = 4
# Once a grid is found, the pieces of its lines are taken down to this fraction of the side.
SHORT_LENGTH = 0.07
# A box's upright side runs straight for at least this share of the height between the lines
# above and below it.
SIDE_SHARE = 0.6
# ... and is then no wider than this many times the lines' width.
SIDE_WIDTH = 2.5
# A row of printed boxes has at most this many upright sides.
MAX_SIDES = 64
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


def _lattice(xs: list[float], tolerance: float, shortest: float) -> list[int]:
    """Indices of the positions in `xs` that stand on the most populated evenly spaced lattice
    (x0 + k * d, d at least `shortest`), with at least 3 on it; [] when there is none. Each
    pair of positions proposes a lattice: its origin the first, its spacing their distance
    over 1, 2 or 3 steps (all proposals weighed at once, in one array)."""
    x = np.asarray(xs, np.float64)
    first, second = np.triu_indices(len(x), k=1)
    origin = np.repeat(x[first], 3)
    spacing = np.abs(x[second] - x[first])[:, None] / np.array([1.0, 2.0, 3.0])
    spacing = spacing.ravel()
    usable = spacing >= max(shortest, 4 * tolerance)
    if not usable.any():
        return []
    origin, spacing = origin[usable], spacing[usable]
    steps = (x[None, :] - origin[:, None]) / spacing[:, None]
    on = np.abs(steps - np.round(steps)) * spacing[:, None] <= tolerance
    best = int(np.argmax(on.sum(axis=1)))
    return [int(k) for k in np.flatnonzero(on[best])] if on[best].sum() >= 3 else []


def remove_form_boxes(ruled: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """`mask` without the upright sides of a row of printed boxes, one digit in each.

    `ruled` holds the long lines ink.remove_lines took out (tilted ones too): the lines above
    and below the row. A box's side is a straight upright run that joins the line above to the
    line below, and the sides stand evenly spaced. A digit's stem may be as straight and tall,
    but it stands inside a box, off that spacing. A row of 1s written between two ruled lines
    is evenly spaced too, but there the "boxes" between them are empty: at least half the boxes
    must hold ink of their own.
    """
    h, w = mask.shape
    if not ruled.any():
        return mask
    bridged = cv2.morphologyEx(ruled, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (max(3, w // 8), 3)))
    count, _, stats, line_centres = cv2.connectedComponentsWithStats(bridged, connectivity=8)
    long_lines = [i for i in range(1, count) if stats[i, cv2.CC_STAT_WIDTH] >= MIN_LENGTH * w]
    if len(long_lines) < 2:
        return mask
    # A side runs straight for a fifth of the picture's height, or, as thin as the lines, for
    # most of the row between two lines: with a margin of paper round the row as tall as the row
    # above and below it, a fifth of the height missed every side (they were read as 1s). On
    # ruled paper the strokes of digits spanning a row are thicker than the lines (a marker's 1,
    # 9 and 4 were taken for sides) and keep the fifth.
    heights = sorted(line_centres[i][1] for i in long_lines)
    row = min((b - a for a, b in zip(heights, heights[1:]) if b - a >= 8), default=0)  # a broken line is one
    line_width = float(ruled.sum()) / max(1, int(sum(stats[i, cv2.CC_STAT_WIDTH] for i in long_lines)))
    fifth = max(8, h // 5)
    length = max(8, min(fifth, int(SIDE_SHARE * row)))
    runs = cv2.morphologyEx(mask, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, length)))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(runs, connectivity=8)
    near = cv2.dilate(bridged, np.ones((5, 5), np.uint8))
    joining = [i for i in range(1, count)
               if (stats[i, 3] >= fifth or stats[i, 2] <= SIDE_WIDTH * line_width)
               and near[stats[i, 1], stats[i, 0]:stats[i, 0] + stats[i, 2]].any()
               and near[stats[i, 1] + stats[i, 3] - 1, stats[i, 0]:stats[i, 0] + stats[i, 2]].any()
               and not near[stats[i, 1] + stats[i, 3] // 2, stats[i, 0]:stats[i, 0] + stats[i, 2]].any()]
    # A row of form boxes has a few dozen sides at most; more runs joining two ruled lines are a
    # notebook page full of 1s and stems (and the lattice search grows with their cube).
    if len(joining) > MAX_SIDES:
        return mask
    centres = [stats[i, 0] + stats[i, 2] / 2 for i in joining]
    # A box for one digit is hardly narrower than 0.7 of its height: that keeps the lattice from
    # taking in the stems standing halfway between two sides.
    shortest = 0.7 * float(np.median([stats[i, 3] for i in joining])) if joining else 0.0
    on = _lattice(centres, tolerance=max(2.0, 0.01 * w), shortest=shortest)
    sides = sorted((centres[k], joining[k]) for k in on)
    if len(sides) < 3:
        return mask
    # Ink of its own between each pair of neighbouring sides: the digits in the boxes (pieces
    # at least a third as tall as a side; the crumbs of the lines do not count).
    side_ids = [i for _, i in sides]
    rest = mask & (1 - cv2.dilate(np.isin(labels, side_ids).astype(np.uint8), np.ones((3, 3), np.uint8)))
    n, _, pieces, centroids = cv2.connectedComponentsWithStats(rest, connectivity=8)
    tall = float(np.median([stats[i, 3] for i in side_ids]))
    inside = [centroids[k][0] for k in range(1, n) if pieces[k, 3] >= tall / 3]
    filled = sum(any(a < x < b for x in inside) for (a, _), (b, _) in zip(sides, sides[1:]))
    if filled < 0.5 * (len(sides) - 1):
        return mask
    erase = np.isin(labels, side_ids).astype(np.uint8)
    return mask & (1 - cv2.dilate(erase, cv2.getStructuringElement(cv2.MORPH_RECT, (3, 3))))


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


# A grid or a row of boxes is one piece of ink closing round at least this many cells; a digit
# closes round two at most (an 8).
MIN_CELLS = 3
# ... and it is large: at least this share of the picture's width or height.
FRAME_SHARE = 0.4


def frame_angle(labels: np.ndarray, stats: np.ndarray, seeded: np.ndarray) -> float | None:
    """The angle (degrees, as orientation.text_angle measures rows) of a grid or a row of boxes
    left whole in the ink map, or None when there is none.

    Turned with its page, a grid's lines are neither level nor upright, so neither remove_grid
    nor the ruled-line searches take them (a hand-drawn sudoku's lines are not straight enough
    for steep_lines.py), and the grid with every digit it touches is one piece of ink: the page
    read as one digit, or none (measured on the real photos turned 12 degrees: a sudoku and a
    row of form boxes, 34 digits, none read). Its outline gives the page's angle; read level,
    the grid is erased as on a level page.
    """
    h, w = labels.shape
    if len(stats) < 2:
        return None
    boxes = stats[1:, 2].astype(np.int64) * stats[1:, 3] * seeded[1:]
    i = 1 + int(np.argmax(boxes))
    x, y, bw, bh = (int(v) for v in stats[i, :4])
    if not seeded[i] or (bw < FRAME_SHARE * w and bh < FRAME_SHARE * h):
        return None
    piece = (labels[y:y + bh, x:x + bw] == i).astype(np.uint8)
    contours, hierarchy = cv2.findContours(piece, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
    # Holes are the contours with a parent; a cell is a hole of some size, not a gap in a stroke.
    smallest = 0.0005 * bw * bh
    cells = sum(1 for c, link in zip(contours, hierarchy[0]) if link[3] >= 0 and cv2.contourArea(c) >= smallest)
    if cells < MIN_CELLS:
        return None
    corners = cv2.boxPoints(cv2.minAreaRect(np.concatenate([c for c, link in zip(contours, hierarchy[0])
                                                            if link[3] < 0])))
    dx, dy = corners[1] - corners[0]
    angle = float(np.degrees(np.arctan2(dy, dx)))
    return within_45(angle)  # the edge nearest to level, whichever side it is
