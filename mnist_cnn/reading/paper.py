"""Where is the paper? A sheet or a sticky note photographed on a dark desk: read only the sheet.

A phone photo of a small card on a black desk holds two kinds of "dark on light": the
writing on the card, and the card's own edges against the desk. The second is far stronger,
so the ink threshold, the size of the largest blob (the reference for what is a speck) and
the reading order all follow the card's edge and the digits are lost. Here the sheet is
found (the one large, bright, convex region, clearly brighter than what surrounds it) and
everything outside it is painted the sheet's own colour, so the rest of the pipeline sees
a page that fills the picture.

Imports cv2 at load time: only the commands that read images import this module.
"""

from __future__ import annotations

from typing import Optional

import cv2
import numpy as np

# The sheet covers at least this fraction of the picture, and leaves at least this much of it
# for the background (otherwise the picture is all page, as a scan or a close-up is).
MIN_SHEET = 0.06
MAX_SHEET = 0.85
# The sheet must be this much brighter than the ground around it: a white card or a sticky
# note on a dark desk measures 3.2-8.4 on the real photos; the lit half of a page beside a hard
# shadow measures 1.9-2.3 on the camera-like set, and must not be taken for a sheet.
MIN_CONTRAST = 3.0
# A sheet is a convex quadrilateral, give or take a curled corner: its area over its hull's.
MIN_SOLIDITY = 0.85
# A sheet's region grows across neighbouring pixels this close in grey level (on the picture
# reduced to 320 pixels and median-filtered): the soft edge of a shadow on the paper changes by
# less than this from pixel to pixel, the sheet's own edge against the desk by far more.
GROWTH = 3


def _sheet_at(small: np.ndarray, threshold: float) -> Optional[tuple[float, np.ndarray]]:
    """(solidity, filled hull) of the largest region brighter than `threshold`, if sheet-like.

    The region is first grown across gentle changes of brightness (`_grown`): a card half in
    a soft shadow is one sheet, though its shaded half is darker than the desk's sheen. When
    the growth leaks onto the desk, the region as thresholded is judged instead.
    """
    bright = (small > threshold).astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(bright, connectivity=4)
    if count < 2:
        return None
    largest = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    region = (labels == largest).astype(np.uint8)
    grown = _grown(small, region)
    if grown is not None:
        found = _judged(small, grown)
        if found is not None:
            return found
    return _judged(small, region)


def _grown(small: np.ndarray, region: np.ndarray) -> Optional[np.ndarray]:
    """What floods from `region`'s most inward point across neighbouring pixels within GROWTH
    grey levels of each other, or None when that is not larger than `region`. A shadow's edge
    on paper changes slowly; a sheet's edge against the desk is a step."""
    inward = cv2.distanceTransform(region, cv2.DIST_L2, 3)
    y, x = np.unravel_index(int(np.argmax(inward)), inward.shape)
    flood = np.zeros((small.shape[0] + 2, small.shape[1] + 2), np.uint8)
    cv2.floodFill(small, flood, (int(x), int(y)), 0, GROWTH, GROWTH,
                  4 | cv2.FLOODFILL_MASK_ONLY | (1 << 8))
    # The flood alone: the region may hold a patch of desk sheen joined to the sheet by a thread.
    grown = flood[1:-1, 1:-1]
    return grown if grown.sum() > region.sum() * 1.05 else None


def _judged(small: np.ndarray, region: np.ndarray) -> Optional[tuple[float, np.ndarray]]:
    """(solidity, filled hull) of `region` if it is sheet-like: convex, of a sheet's size, and
    clearly brighter than the ground around it."""
    contours, _ = cv2.findContours(region, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    hull = cv2.convexHull(max(contours, key=cv2.contourArea))
    filled = np.zeros_like(region)
    cv2.fillPoly(filled, [hull], 1)
    if not MIN_SHEET <= float(filled.mean()) <= MAX_SHEET:
        return None
    solidity = float(region.sum()) / max(float(filled.sum()), 1.0)
    if solidity < MIN_SOLIDITY:
        return None
    inside = float(np.median(small[filled > 0]))
    outside = float(np.median(small[filled == 0]))
    if inside < MIN_CONTRAST * max(outside, 8.0):
        return None
    return solidity, filled


def sheet_mask(grey: np.ndarray) -> Optional[np.ndarray]:
    """uint8 mask (1 on the sheet) of a bright sheet lying on a darker ground, or None.

    Two brightness thresholds are tried: Otsu's between ground and sheet, and Otsu's again
    among the brighter pixels (a desk in sheen is brighter than its shadows but darker than
    the paper); the more convex sheet-like region wins.
    """
    h, w = grey.shape
    factor = max(1.0, max(h, w) / 320.0)
    small = cv2.resize(grey, (max(8, int(round(w / factor))), max(8, int(round(h / factor)))),
                       interpolation=cv2.INTER_AREA)
    # A median first: the writing on the sheet must not cut it into pieces, and the sheen of a
    # textured desk must not join it (a closing would brighten every speck of sheen).
    small = cv2.medianBlur(small, 7)
    first, _ = cv2.threshold(small, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    thresholds = [first]
    brighter = small[small > first]
    if brighter.size > 64:
        second, _ = cv2.threshold(brighter.reshape(1, -1), 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
        thresholds.append(second)
    found = [s for s in (_sheet_at(small, t) for t in thresholds) if s is not None]
    if not found:
        return None
    _, filled = max(found, key=lambda s: s[0])
    # Back to full size, a little inside the edge: the sheet's shaded rim is not ink either.
    mask = cv2.resize(filled, (w, h), interpolation=cv2.INTER_NEAREST)
    rim = max(3, int(0.01 * max(h, w)))
    return cv2.erode(mask, cv2.getStructuringElement(cv2.MORPH_RECT, (2 * rim + 1, 2 * rim + 1)))


def isolate_sheet(grey: np.ndarray) -> tuple[np.ndarray, tuple[int, int]]:
    """The sheet cut out of `grey` (its bounding box, the ground around it painted the sheet's
    colour) and the box's top-left corner; `grey` itself and (0, 0) when there is no sheet.

    Cut out, a small note in a 16 MP photo is analysed at the full working resolution, and
    its digits are judged small or large against the note, not against the whole desk.
    """
    mask = sheet_mask(grey)
    if mask is None or not mask.any():
        return grey, (0, 0)
    ys, xs = np.nonzero(mask)
    x0, x1, y0, y1 = int(xs.min()), int(xs.max()) + 1, int(ys.min()), int(ys.max()) + 1
    paper = np.uint8(round(float(np.median(grey[y0:y1:4, x0:x1:4][mask[y0:y1:4, x0:x1:4] > 0]))))
    out = grey[y0:y1, x0:x1].copy()
    out[mask[y0:y1, x0:x1] == 0] = paper
    return out, (x0, y0)


def frame_sheet(grey: np.ndarray, margin: float = 0.12) -> tuple[np.ndarray, tuple[int, int]]:
    """The sheet with a dark margin around it, cut out of `grey`, and the cut's top-left corner.

    For a picture that will be turned and read several times (orientation.py): the sheet is
    kept at full resolution while the desk around it goes, yet every reading finds the sheet
    again (bright on black, with room around it) and cuts it out tightly at its own angle.
    """
    mask = sheet_mask(grey)
    if mask is None or not mask.any():
        return grey, (0, 0)
    ys, xs = np.nonzero(mask)
    h, w = grey.shape
    pad_x, pad_y = int(margin * (xs.max() - xs.min())), int(margin * (ys.max() - ys.min()))
    x0, x1 = max(0, int(xs.min()) - pad_x), min(w, int(xs.max()) + 1 + pad_x)
    y0, y1 = max(0, int(ys.min()) - pad_y), min(h, int(ys.max()) + 1 + pad_y)
    out = grey[y0:y1, x0:x1].copy()
    out[mask[y0:y1, x0:x1] == 0] = 0
    return out, (x0, y0)
