"""Rows written so close that they touch: cut them apart along the path of least ink.

When the descender of a 7 in one row touches the top of the 3 below it, the two rows become
one connected piece of ink, as wide as the rows and two digits tall; the filters that follow
then drop it as a band or read it as one wide digit. A piece far taller than the usual digit
and wider than one is cut by horizontal seams (a path from its left edge to its right, one
pixel a column, moving at most one pixel up or down a step, through the fewest ink pixels),
one seam between each pair of rows it spans, so a sloping row is followed, not cut through.

Imports cv2 at load time: only the commands that read images import this module.
"""

from __future__ import annotations

from dataclasses import replace

import cv2
import numpy as np

from .ink import InkMap

# A piece this many times taller than the usual digit spans several rows.
TALL = 1.8


def _seam(cost: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """Row index per column of the cheapest left-to-right path within rows lo..hi of `cost`."""
    band = cost[lo:hi].astype(np.float64)
    height, width = band.shape
    total = band[:, 0].copy()
    step = np.zeros((height, width), np.int8)
    for x in range(1, width):
        up = np.concatenate([[np.inf], total[:-1]])
        down = np.concatenate([total[1:], [np.inf]])
        choices = np.stack([up, total, down])
        pick = np.argmin(choices, axis=0)
        step[:, x] = pick - 1
        total = choices[pick, np.arange(height)] + band[:, x]
    path = np.empty(width, np.int64)
    path[-1] = int(np.argmin(total))
    for x in range(width - 1, 0, -1):
        path[x - 1] = path[x] + step[path[x], x]
    return path + lo


def split_touching_rows(ink: InkMap, min_side: float) -> InkMap:
    """`ink` with every piece spanning several rows cut into rows (a new InkMap), or `ink` itself."""
    stats = ink.stats
    seeded = [i for i in range(1, len(stats)) if ink.seeded[i] and stats[i, 3] >= min_side]
    if len(seeded) < 3:
        return ink
    usual = float(np.median([stats[i, 3] for i in seeded]))
    tall = [i for i in seeded if stats[i, 3] >= TALL * usual and stats[i, 2] >= 1.2 * usual]
    if not tall:
        return ink
    weak = (ink.labels > 0).astype(np.uint8)
    for i in tall:
        x, y, w, h = (int(v) for v in stats[i, :4])
        own = (ink.labels[y:y + h, x:x + w] == i).astype(np.float32)
        rows = int(round(h / usual))
        if rows < 2:
            continue
        # Ink costs much; the piece's own empty pixels cost nothing.
        cost = own * 10.0
        for k in range(1, rows):
            centre = int(h * k / rows)
            half = max(2, int(0.35 * usual))
            path = _seam(cost, max(0, centre - half), min(h, centre + half))
            columns = np.arange(w)
            for dy in (0, 1):  # two pixels thick, so 8-connected strokes come apart too
                ys = np.clip(path + dy, 0, h - 1)
                cut = own[ys, columns] > 0
                weak[y + ys[cut], x + columns[cut]] = 0
    count, labels, new_stats, _ = cv2.connectedComponentsWithStats(weak, connectivity=8)
    new_seeded = np.zeros(count, bool)
    new_seeded[np.unique(labels[ink.strength >= ink.high])] = True
    new_seeded[0] = False
    # The rest of the map (strength, thresholds, polarity, the lines' slant) is unchanged.
    return replace(ink, labels=labels, stats=new_stats, seeded=new_seeded)
