"""A 1 written with a flag: a stroke dropping to the left from the top of its stem.

Many writers (most of Europe) start a 1 with a flag. MNIST's writers rarely did, and a model
trained on it reads such a 1 as a 7: both are a stem with a stroke to the left at its top.
What tells them apart is that stroke. A 7's bar runs across from its corner, level or nearly,
and is long; a 1's flag is short and falls away steeply from the apex, which is the top of a
stem that goes straight down.

A long flag, falling to half the digit's height, makes the 1 an open 4 without its bar, and
the model reads a 4. What tells them apart is the bar: a 4's left stroke ends in a bar that
runs to the stem (or crosses it); a flag's end is free, paper between it and the stem.

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


def _enlarged(canvas: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, int, int, float] | None:
    """The 28x28 digit enlarged SCALE times and cut at CUT of its peak: (ink mask, its rows,
    its columns, its top row, its height, its pen width), or None for an empty canvas."""
    big = cv2.resize(canvas.astype(np.float32), None, fx=SCALE, fy=SCALE, interpolation=cv2.INTER_LINEAR)
    if big.max() <= 0:
        return None
    ink = big > CUT * big.max()
    ys, xs = np.nonzero(ink)
    return ink, ys, xs, int(ys.min()), int(ys.max() - ys.min() + 1), max(1.0, stroke_width(ink))


def is_flagged_one(canvas: np.ndarray) -> bool:
    """True when the 28x28 digit (white on black) is a stem whose only stroke at the top is a
    short flag falling steeply to the left: a 1 as much of the world writes it, not a 7."""
    enlarged = _enlarged(canvas)
    if enlarged is None:
        return False
    ink, ys, xs, top, height, pen = enlarged
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


# A long flag (is_long_flagged_one), measured on the digit enlarged and cut as above. The stem
# is the chord from the apex (the middle of the ink in the top pen's width of rows, at most
# APEX_WIDE pens wide) to the foot (the ink between FOOT of the height). Nothing stands more
# than RIGHT_OF pens right of it above the foot. The flag is the ink more than a pen left of
# it in the upper LONG_UPPER of the height: it falls as a short flag does (FALL, LEAST_FALL),
# from the apex (most of its ink above its far end joins the apex there), and its end is free:
# no row there runs ink from a pen past its end to within half a pen of the stem, nor any row
# below, down to the foot, from a stroke BAR_REACH pens left of the stem (a 4's bar; BAR of the
# row's pixels).
# A blot (a pen over BLOT of the height) hides its shape: a 4 whose triangle filled in.
#
# Measured on the MNIST test set: none of its 982 4s has this shape, 18 of its 1135 1s have it
# (and 2 6s, 1 7, 1 9: the rule acts only on a digit read as 4); of the digits the models read
# as 4 with at least ONE_AT_LEAST for a 1 (3 with PyTorch, 8 with Keras, all 4s but one 8),
# none. Real photos: the one digit read as 4 with a 1 beside it is Zemke's 1, a flag reaching
# 0.64 of the height left and falling to half of it (the pen 0.14 of the height).
APEX_WIDE = 2.5
FOOT = (0.8, 0.95)
RIGHT_OF = 1.5
LONG_UPPER = 0.6
JOINED = 0.5
BAR = 0.99
BAR_REACH = 2.5
BLOT = 0.17


def is_long_flagged_one(canvas: np.ndarray) -> bool:
    """True when the 28x28 digit (white on black) is a stem whose flag falls from its top to
    its middle, the flag's end free: a 1 that an open 4 without its bar resembles."""
    enlarged = _enlarged(canvas)
    if enlarged is None:
        return False
    ink, ys, xs, top, height, pen = enlarged
    at_top = ys < top + pen
    foot = (ys >= top + FOOT[0] * height) & (ys < top + FOOT[1] * height)
    if pen > BLOT * height or not foot.any() or xs[at_top].max() - xs[at_top].min() + 1 > APEX_WIDE * pen:
        return False
    apex_x = float(xs[at_top].mean())
    slope = (float(np.median(xs[foot])) - apex_x) / max(1.0, float(np.median(ys[foot])) - top)

    def stem(y):
        return apex_x + slope * (y - top)

    if ((xs > stem(ys) + RIGHT_OF * pen) & (ys < top + FOOT[0] * height)).any():
        return False
    left = (xs < stem(ys) - pen) & (ys < top + LONG_UPPER * height)
    if not left.any():
        return False
    reach = (stem(ys) - xs)[left]
    far = int(np.argmax(reach))
    far_y, far_x = int(ys[left][far]), int(xs[left][far])
    reach_far, fall = float(reach[far]) / height, float(far_y - top) / height
    if fall < max(LEAST_FALL, FALL * reach_far):
        return False
    # Hung from the apex: above its far end, the flag's ink is joined to the apex's.
    above = ink.copy()
    above[max(0, int(far_y - pen)):] = False
    _, labels = cv2.connectedComponents(above.astype(np.uint8), connectivity=8)
    apex_labels = list(set(labels[ys[at_top], xs[at_top]].tolist()) - {0})
    upper_flag = left & (ys < far_y - pen)
    if not upper_flag.any() or np.isin(labels[ys[upper_flag], xs[upper_flag]], apex_labels).mean() < JOINED:
        return False
    # Free at its end: no row at its end runs ink from a pen past it to the stem, and none
    # below, down to the foot, runs ink to the stem from a stroke BAR_REACH pens left of it.
    for y in range(max(0, int(far_y - pen / 2)), int(top + FOOT[0] * height)):
        stop = int(stem(y) - pen / 2)
        if y <= far_y + pen:
            start = int(far_x + pen)
        else:
            row = np.nonzero(ink[y])[0]
            start = int(row[0]) if row.size else 0
            if stop - start < (BAR_REACH - 1) * pen:
                continue
        if stop > start and ink[y, start:stop].mean() >= BAR:
            return False
    return True


def rule_out_look_alikes(p: np.ndarray, canvas: np.ndarray) -> np.ndarray:
    """The model's probabilities with the 7 ruled out when the digit is a flagged 1, or the 4
    when it is a 1 with a long flag, and the model sees a 1 in it too (the others'
    probabilities kept, nothing renormalised)."""
    read = int(np.argmax(p))
    if p[1] < ONE_AT_LEAST or read not in (7, 4):
        return p
    if not (is_flagged_one(canvas) if read == 7 else is_long_flagged_one(canvas)):
        return p
    p = p.copy()
    p[read] = 0.0
    return p
