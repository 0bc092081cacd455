"""A 1 written with a flag: a short stroke dropping to the left from the top of its stem.

Many writers (most of Europe) start a 1 with a flag. MNIST's writers rarely did, and a model
trained on it reads such a 1 as a 7: both are a stem with a stroke to the left at its top.
What tells them apart is that stroke. A 7's bar runs across from its corner, level or nearly,
and is long; a 1's flag is short and falls away steeply from the apex, which is the top of a
stem that goes straight down.

Measured on the 28x28 digit the model sees (MNIST's own geometry), so the rule can be checked
on the MNIST test set itself. Imports cv2 at load time: only the reading commands import this.
"""

from __future__ import annotations

import cv2
import numpy as np

from .strokes import stroke_width

# The canvas is enlarged this many times and cut at this fraction of its peak, so that the
# flag's few pixels have a shape to measure.
SCALE = 4
CUT = 0.4
# The stem is fitted on this band of the digit's height (0 top, 1 bottom): below any flag or
# bar, above a foot or a serif.
STEM_BAND = (0.45, 0.95)
# What counts as the stroke at the top: ink in the upper half, more than a pen's width left of
# the stem's line.
UPPER = 0.5
# The top is a point: the ink in the digit's top pen's width of rows reaches at most APEX pens
# left of the stem's line (a 7's top is its bar). A flag reaches at most LONGEST left of the stem
# (a fraction of the digit's height: a 7's bar reaches further), and its far end lies below the
# top by at least FALL of that reach (about 22 degrees or steeper) and at least LEAST_FALL of
# the height. Nothing may stand right of the stem in the upper half (a crossed 7's bar, a 4's
# arm, a 9's loop).
#
# Measured on the MNIST test set: none of its 1028 7s has this shape (19 without the pointed
# top), 19 of its 1135 1s have it. Real photos: the flagged 1s read as 7 measured a top of
# 1.1-1.8 pens, a reach of 0.31-0.39 and a fall of 0.18-0.29; two 7s there with a short falling
# bar, a top of 2.7 and 3.8 pens. Two hooked 7s of Keunyoung's chart have the shape (tops of 1.9
# and 2.0 pens) and stay 7s: the model sees no 1 in them (ONE_AT_LEAST).
APEX = 2.0
LONGEST = 0.45
FALL = 0.4
LEAST_FALL = 0.12
# The model must itself see a 1 in it: ruling out the 7 only decides between the two.
ONE_AT_LEAST = 0.1


def is_flagged_one(canvas: np.ndarray) -> bool:
    """True when the 28x28 digit (white on black) is a stem whose only stroke at the top is a
    short flag falling steeply to the left: a 1 as much of the world writes it, not a 7."""
    big = cv2.resize(canvas.astype(np.float32), None, fx=SCALE, fy=SCALE, interpolation=cv2.INTER_LINEAR)
    if big.max() <= 0:
        return False
    ink = big > CUT * big.max()
    ys, xs = np.nonzero(ink)
    top, height = ys.min(), ys.max() - ys.min() + 1
    pen = max(1.0, stroke_width(ink))
    rows = [(y, float(np.median(np.nonzero(ink[y])[0])))
            for y in range(int(top + STEM_BAND[0] * height), int(top + STEM_BAND[1] * height)) if ink[y].any()]
    if len(rows) < 5:
        return False
    along, across = np.array(rows).T
    slope, offset = np.polyfit(along, across, 1)
    # Twice refitted without the rows far off the line (a foot, a crossing bar).
    for _ in range(2):
        off = np.abs(across - (slope * along + offset))
        near = off < max(2 * pen, 3 * float(np.median(off)))
        if near.sum() >= 5:
            slope, offset = np.polyfit(along[near], across[near], 1)
    stem = slope * ys + offset
    if float((stem - xs)[ys < top + pen].max()) > APEX * pen:
        return False
    upper = ys < top + UPPER * height
    if (upper & (xs > stem + pen)).any():
        return False
    left = upper & (xs < stem - pen)
    if not left.any():
        return False
    reach = (stem - xs)[left]
    far = int(np.argmax(reach))
    reach_far = float(reach[far]) / height
    fall = float(ys[left][far] - top) / height
    return bool(reach_far < LONGEST and fall >= max(LEAST_FALL, FALL * reach_far))


def rule_out_seven(p: np.ndarray, canvas: np.ndarray) -> np.ndarray:
    """The model's probabilities with the 7 ruled out when the digit is a flagged 1 and the
    model sees a 1 in it too (the others' probabilities kept, nothing renormalised)."""
    if int(np.argmax(p)) != 7 or p[1] < ONE_AT_LEAST or not is_flagged_one(canvas):
        return p
    p = p.copy()
    p[7] = 0.0
    return p
