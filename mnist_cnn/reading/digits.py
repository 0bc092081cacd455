"""From a real photo of handwritten digits to MNIST-style 28x28 images, in reading order.

MNIST was made from binary NIST scans: each digit was size-normalised to fit a 20x20 box
keeping its aspect ratio (the anti-aliasing of that reduction gives MNIST its grey edges),
then placed in a 28x28 field so that its centre of mass sits at the centre. A model trained
on MNIST works on a photo only once the photo is brought into that same form:

1. ink.py: grey scale, ink strength relative to the local paper (robust to uneven light and
   shadows), light-on-dark detected, a hysteresis mask with ruled lines erased;
2. segmentation.py: specks, paper edges and lines dropped, pieces of one digit merged,
   touching digits cut apart (the model settles the doubtful cases), reading order;
3. here: each digit binarised at a higher resolution (as NIST was), its pen width brought
   towards MNIST's, fitted into 20x20 keeping its aspect ratio and centred by mass in 28x28.

Imports cv2 at load time: only the commands that read images import this module.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Optional

import cv2
import numpy as np

from .grid_lines import frame_angle
from .hypotheses import Classify, Rendered, choose_reading, merge_broken
from .ink import LIGHT_ON_DARK, InkMap, enclosed_paper, ink_map, to_grey
from .paper import isolate_sheet
from .row_seams import split_touching_rows
from .segmentation import (Blob, Box, Candidate, faint_parts, find_candidates, own_ink, reading_order,
                           smallest_digit)
# The pen widths each digit is shown to the model with (fractions of its size, measured and
# redrawn in strokes.py); the model's answers are averaged.
from .strokes import PENS, measure, pen_views
from .strokes import stroke_width as pen_width

# MNIST's geometry: the digit fits 20x20 and sits by its centre of mass in 28x28.
FIELD = 28
FIT = 20
# Each digit is binarised at this size (its longer side) before the final anti-aliased
# reduction to 20 pixels, as the NIST scans were binary at a higher resolution.
WORK_SIZE = 80
# Larger images are analysed at this size (longer side): a digit needs far fewer pixels, and
# the time per image stays bounded.
MAX_SIDE = 1280


@dataclass
class DigitImage:
    """One digit found in the image."""

    image: np.ndarray  # (28, 28) uint8, white digit on black, as in MNIST
    box: Box           # where it is, in the input image
    row: int = 0       # reading-order row, 0 at the top
    views: list[np.ndarray] = field(default_factory=list)  # the same digit drawn with each pen width
    loops: tuple[float, ...] = ()  # where its ink closes round paper (loop_heights): no 1


@dataclass
class Extraction:
    digits: list[DigitImage] = field(default_factory=list)
    polarity: str = "dark-on-light"
    ink: Optional[InkMap] = None  # what was analysed, for debugging and tests
    roi: Optional[Box] = None     # the region read, cut to the image


def clip_roi(roi: Box, shape: tuple[int, ...]) -> Box:
    """`roi` cut to the image; ValueError when nothing of it is inside."""
    x, y, w, h = (int(v) for v in roi)
    height, width = shape[:2]
    if w <= 0 or h <= 0:
        raise ValueError(f"region {x},{y},{w},{h}: width and height must be positive")
    x0, y0 = max(0, x), max(0, y)
    x1, y1 = min(width, x + w), min(height, y + h)
    if x1 - x0 < 8 or y1 - y0 < 8:
        raise ValueError(f"region {x},{y},{w},{h} is outside the {width}x{height} image (or under 8 pixels)")
    return x0, y0, x1 - x0, y1 - y0


# --------------------------------------------------------------------------- MNIST style

def stroke_width(binary: np.ndarray) -> float:
    """Mean pen width of a binary shape: 2 * area / perimeter (a stroke is long and thin)."""
    contours, _ = cv2.findContours(binary.astype(np.uint8), cv2.RETR_LIST, cv2.CHAIN_APPROX_NONE)
    perimeter = sum(cv2.arcLength(c, True) for c in contours)
    return 2.0 * float(binary.sum()) / max(perimeter, 1.0)


def to_mnist(binary: np.ndarray) -> np.ndarray:
    """A tightly cropped binary digit (any size) -> (28, 28) uint8 the MNIST way.

    Fit 20x20 keeping the aspect ratio (area averaging gives the grey edges), then shift so
    the centre of mass is at the centre of the 28x28 field.
    """
    h, w = binary.shape
    scale = FIT / max(h, w)
    new_w, new_h = max(1, int(round(w * scale))), max(1, int(round(h * scale)))
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    small = cv2.resize(binary.astype(np.float32) * 255.0, (new_w, new_h), interpolation=interpolation)
    canvas = np.zeros((FIELD, FIELD), np.float32)
    top, left = (FIELD - new_h) // 2, (FIELD - new_w) // 2
    canvas[top:top + new_h, left:left + new_w] = small
    moments = cv2.moments(canvas)
    if moments["m00"] > 0:
        cx, cy = moments["m10"] / moments["m00"], moments["m01"] / moments["m00"]
        shift = np.float32([[1, 0, (FIELD - 1) / 2 - cx], [0, 1, (FIELD - 1) / 2 - cy]])
        canvas = cv2.warpAffine(canvas, shift, (FIELD, FIELD), flags=cv2.INTER_LINEAR,
                                borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    return np.clip(canvas + 0.5, 0, 255).astype(np.uint8)


def digit_binary(ink: InkMap, blob: Blob, labels: list[int], cut_at: Optional[float] = None) -> Optional[np.ndarray]:
    """The digit `blob` (made of components `labels`) as a clean binary image, tightly cropped.

    Only the digit's own ink counts (grown by two pixels for its soft edge, never reaching
    past its columns into a neighbour). It is enlarged or reduced to WORK_SIZE and cut at half
    its own peak strength or at the mask's edge, whichever is lower; with `cut_at`, at that
    share of its peak strength alone (TIGHT_CUT).
    """
    H, W = ink.labels.shape
    pad = 3
    x0, y0, x1, y1 = max(0, blob.x - pad), max(0, blob.y - pad), min(W, blob.x1 + pad), min(H, blob.y1 + pad)
    own = np.isin(ink.labels[y0:y1, x0:x1], labels).astype(np.uint8)
    own = cv2.dilate(own, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5)))
    own[:, :blob.x - x0] = 0
    own[:, blob.x1 - x0:] = 0
    crop = ink.strength[y0:y1, x0:x1] * own
    values = crop[own > 0]
    if values.size == 0:
        return None
    scale = WORK_SIZE / max(blob.w, blob.h)
    size = (max(1, int(round((x1 - x0) * scale))), max(1, int(round((y1 - y0) * scale))))
    crop = cv2.resize(crop, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    # Half its peak keeps a blurred stroke at its true width, but never cut above the mask's
    # own edge: a faint stretch of a stroke must not vanish (measured: a 7 without its bar).
    peak = float(np.percentile(values, 90))
    cut = min(max(0.04, 0.5 * peak), ink.low) if cut_at is None else max(0.04, cut_at * peak)
    binary = (crop >= cut).astype(np.uint8)
    ys, xs = np.nonzero(binary)
    if len(xs) == 0:
        return None
    return binary[ys.min():ys.max() + 1, xs.min():xs.max() + 1]


# A page is written with one pen, or pens alike: a piece of ink drawn this many times finer
# than the page's usual pen is something else (the hairline left of a grid line, the edge of a
# page). Measured on the real photos: digits 0.76-1.0 of their page's median pen width, the
# crumbs of a sudoku grid and a page edge 0.11-0.21.
OTHER_PEN = 0.4
# ... and a piece this many times broader is a patch of shade, not writing: the darkest band
# of a soft shadow across a card measured 5.2-9.3 times its page's pen; on the real photos
# nothing read as a digit measured over 2.5 (dropping all over 2.5 lost none).
BROADER_PEN = 4.0


def drop_other_pens(ink: InkMap, candidates: list[Candidate]) -> list[Candidate]:
    """`candidates` without those drawn with a far finer or far broader pen than the rest (with
    three or more to compare)."""
    if len(candidates) < 3:
        return candidates
    pens = [stroke_width(own_ink(ink, cand.whole)) for cand in candidates]
    usual = float(np.median(pens))
    return [c for c, pen in zip(candidates, pens) if OTHER_PEN * usual <= pen <= BROADER_PEN * usual]


# MNIST's 7s and 9s are at most this many times as tall as wide (98% of them); a 1 is a
# single stroke, as wide as its pen.
TALLEST = 2.5
# A digit taller than this (and no 1) is shown to the model squashed to it as well, and the
# answers are averaged: a long tail squashed only to TALLEST still leaves a 9's loop or a 7's
# bar a few pixels wide. Measured with the default PyTorch model: real photos as taken 629 ->
# 631 of 660 (two long 7s read as 1 now read 7, a 9 read as 1 reads 8, and a 1 with a long flag
# on a webcam frame now reads 7), turned 12/-20/30 degrees +2/+1/+3, camera-like sets +1 and +3
# digits of 2,117 and 1,421.
SQUASHED = 2.0


def shorten_tail(binary: np.ndarray, tallest: float = TALLEST, pen: Optional[float] = None) -> np.ndarray:
    """A long-tailed 7 or 9, far taller than any in MNIST, squashed to `tallest` (MNIST's).

    Fitted into 20x20 by its height, such a digit's loop or bar shrinks to a few pixels and
    the model sees a 1 (measured on the real photos). A 1 is left alone (the very `binary`
    returned): its width is its pen (`pen`: stroke_width(binary), measured here when not given).
    """
    h, w = binary.shape
    if h <= tallest * w or w < 2.5 * (stroke_width(binary) if pen is None else pen):
        return binary
    squashed = cv2.resize(binary.astype(np.uint8), (w, int(round(tallest * w))), interpolation=cv2.INTER_AREA)
    return squashed


# A 1 is one stroke: it closes round no paper. A hole this many times the square of the pen
# (strokes.stroke_width) is a loop, not a gap where the pen wavered (measured on the real
# photos: every 1 read right closes round at most 0.5 pen squared; a long-tailed 9 with a tiny
# loop read as 1, 4.7 and 10.9).
LOOP_AREA = 2.0


def loop_heights(binary: np.ndarray, pen: Optional[float] = None) -> tuple[float, ...]:
    """Where a digit's binary image (at WORK_SIZE) closes round paper: the height of the centre
    of each hole of at least LOOP_AREA pens squared, 0 at the top and 1 at the bottom (`pen`:
    strokes.stroke_width(binary), measured here when not given)."""
    holes = enclosed_paper(binary)
    if not holes.any():
        return ()
    count, _, stats, centres = cv2.connectedComponentsWithStats(holes, connectivity=4)
    least = LOOP_AREA * max(1.0, pen_width(binary) if pen is None else pen) ** 2
    return tuple(round(float(centres[k][1] / binary.shape[0]), 3)
                 for k in range(1, count) if stats[k, cv2.CC_STAT_AREA] >= least)


# A pen this broad for its digit's size (strokes.measure; MNIST's is 0.1125) blurs the gaps
# between close strokes shut: a 3 becomes an 8, the open top of a 4 a 9's loop. Such a digit
# is shown to the model cut at TIGHT_CUT of its peak strength as well (as written and at
# MNIST's pen), where the gaps, fainter than the strokes, open again; the answers are averaged.
# Measured with the default PyTorch model: camera-like set 97.97 -> 98.30% (thick felt pens),
# the wider set 92.19 -> 92.26%, the real photos as taken unchanged; shown to every digit, the
# camera-like set read 98.39% but the real photos lost 3 digits (thin strokes broken), and
# with the gate at 0.2, 98.25%.
THICK_PEN = 0.16
TIGHT_CUT = 0.75
# Each tight view is shown twice, so that the two cuts weigh alike in the average (two tight
# views against the usual cut's len(PENS)): where the usual cut has blurred a gap shut, the four
# views of it outvoted the one cut that sees the gap (a felt-pen 3 read as 0 at 33%, the tight
# view a 3 at 68%). Measured with the default models, after strokes.HAIR: camera-like set
# PyTorch 98.39 -> 98.49%, Keras 98.54 -> 98.49% (a 9 read right, and a page of two rows
# levelled 13 degrees that it did not need: read right, but its boxes, turned there and back,
# no longer overlap the 1's); the wider set 92.33 -> 92.68% and 92.89 -> 93.03%; the real photos
# as taken unchanged. Shown at all four pens instead, the tight cut read the same camera-like
# digits but lost a digit of the real photos in each framework (a broad 2 read as 3).
TIGHT_WEIGHT = 2


def _tight_views(ink: InkMap, blob: Blob, labels: list[int], measured: tuple, pens: tuple[float, ...],
                 pen: Optional[float]) -> list[np.ndarray]:
    """The views of a broad-penned digit cut at TIGHT_CUT (as written, at MNIST's pen), or none.
    `measured`: strokes.measure of the digit as cut the usual way."""
    _, _, _, width, length = measured
    if not pens or width < THICK_PEN * max(length, 1.0):
        return []
    tight = digit_binary(ink, blob, labels, TIGHT_CUT)
    if tight is None:
        return []
    return mnist_views(shorten_tail(tight, pen=pen), (pens[0], pens[len(pens) // 2]))


# --------------------------------------------------------------------------- the whole way

def mnist_views(binary: np.ndarray, pens: tuple[float, ...], measured: Optional[tuple] = None) -> list[np.ndarray]:
    """The 28x28 images of a binary digit drawn with each pen width in `pens` (fractions of
    the digit's size, 0: as written; empty: as it is). The pen is measured and redrawn in
    strokes.py (`measured`: strokes.measure(binary), when already taken); the middle one is
    MNIST's."""
    if not pens:
        return [to_mnist(binary)]
    return [to_mnist(drawn) for drawn in pen_views(binary, pens, measured)]


def _render(ink: InkMap, blob: Blob, taken: set[int], pens: tuple[float, ...]) -> Optional[Rendered]:
    """A blob with its faint parts, as (its final box, its 28x28 views)."""
    labels = list(blob.labels)
    for extra in faint_parts(ink, blob, taken):
        x, y, w, h, area = ink.stats[extra]
        blob = blob.merged(Blob(int(x), int(y), int(w), int(h), int(area)))
        labels.append(extra)
    binary = digit_binary(ink, blob, labels)
    if binary is None:
        return None
    # The pen is measured once, for both squashings, and only for a digit tall enough for one.
    pen = stroke_width(binary) if binary.shape[0] > min(TALLEST, SQUASHED) * binary.shape[1] else None
    # The stroke pen is measured once, for the loops, the broad-pen test and the pen views.
    measured = measure(binary)
    blob = replace(blob, loops=loop_heights(binary, measured[3]))
    drawn = shorten_tail(binary, pen=pen)
    views = mnist_views(drawn, pens, measured if drawn is binary else None)
    squashed = shorten_tail(binary, SQUASHED, pen=pen)
    if squashed is not binary:
        # Its views go either side of the others, so the middle view is still MNIST's pen of
        # the digit as first squashed (the one shown, and the one holds_loop looks at).
        more = mnist_views(squashed, pens)
        half = len(more) // 2
        views = more[:half] + views + more[half:]
    tight = _tight_views(ink, blob, labels, measured, pens, pen)
    if tight:  # either side, so that the middle view is still MNIST's pen of the digit as cut
        views = tight[:1] * TIGHT_WEIGHT + views + tight[1:] * TIGHT_WEIGHT
    return blob, views


def extract_digits(image: np.ndarray, roi: Optional[Box] = None, polarity: str = "auto",
                   classify: Optional[Classify] = None, pens: tuple[float, ...] = PENS,
                   max_side: Optional[int] = None, sheet: bool = True,
                   whole_picture: Optional[bool] = None, desk: bool = True,
                   page: Optional[tuple[int, int]] = None) -> Extraction:
    """Find the handwritten digits in `image` (or in its `roi`) and return them MNIST-style.

    `image` is grey, BGR or BGRA uint8 of any size; boxes are in its coordinates. `classify`
    (a model's predict_proba) settles the doubtful cases: is a wide blob one digit or several
    touching ones, are two pieces side by side one broken digit? Without it, geometric rules
    do. Images larger than `max_side` (default MAX_SIDE) are analysed reduced. No digit gives
    an empty list. `whole_picture` (default: no `roi`) says that `image` is a whole photo, not
    a region the user chose: thin bands along its edge are then not digits. `sheet` is off for
    live frames (no sheet, no slanted lines: speed); with `desk` off a bright sheet on a darker
    ground is not cut out either (reader.py reads such a picture both ways). `page` is the
    shape of the page when `image` is a larger canvas holding it turned (orientation.level):
    the smallest digit is judged against the page, not the canvas, so that levelling does not
    make small writing specks. (Reading the canvas at the page's scale as well, `max_side`
    growing with it, measured worse on the real photos turned 30 degrees: 71.4% against 73.0%,
    and one digit fewer as taken.)
    """
    if whole_picture is None:
        whole_picture = roi is None
    grey = to_grey(image)
    ox, oy = 0, 0
    if roi is not None:
        roi = clip_roi(roi, grey.shape)
        ox, oy, rw, rh = roi
        grey = grey[oy:oy + rh, ox:ox + rw]
    if sheet and desk and polarity != LIGHT_ON_DARK:  # a note on a desk read alone (paper.py)
        grey, (sx, sy) = isolate_sheet(grey)
        ox, oy = ox + sx, oy + sy
    scale = 1.0
    limit = max_side or MAX_SIDE
    if max(grey.shape) > limit:
        scale = limit / max(grey.shape)
        grey = cv2.resize(grey, (max(1, int(round(grey.shape[1] * scale))), max(1, int(round(grey.shape[0] * scale)))),
                          interpolation=cv2.INTER_AREA)

    ink = ink_map(grey, polarity, steep=sheet)  # live frames (no sheet) skip the slanted lines
    if sheet:  # a grid turned with its page, whole before row_seams cuts it (for levelling)
        ink.frame = frame_angle(ink.labels, ink.stats, ink.seeded)
    least = smallest_digit(grey.shape)
    if page is not None:  # judged against the page, not the canvas round it
        least = min(least, smallest_digit((min(page) * scale, min(page) * scale)))
    # Rows that touch are cut apart first (the same smallest digit as find_candidates).
    ink = split_touching_rows(ink, least)
    candidates: list[Candidate] = drop_other_pens(ink, find_candidates(ink, whole_picture=whole_picture and sheet,
                                                                      min_side=least))
    taken = {label for c in candidates for label in c.whole.labels}
    found: list[tuple[Blob, list[np.ndarray], bool]] = []  # (box, 28x28 views, cut from a wider blob)
    for cand in candidates:
        options = []
        for k in range(1 + len(cand.splits)):
            rendered = [_render(ink, blob, taken, pens) for blob in cand.chosen(k)]
            options.append([r for r in rendered if r is not None])
        pick = cand.preferred
        if classify is not None and len(options) > 1 and all(options):
            pick = choose_reading(options, classify)
        found.extend((blob, views, pick > 0) for blob, views in options[pick])
    if classify is not None:
        found = merge_broken(found, classify, lambda blob: _render(ink, blob, taken, pens))

    boxes = [(int(round(b.x / scale)) + ox, int(round(b.y / scale)) + oy, int(round(b.w / scale)),
              int(round(b.h / scale))) for b, _, _ in found]
    order = reading_order(boxes)
    ranked = sorted(range(len(found)), key=lambda i: order[i])
    # The image shown and saved is the middle view: MNIST's own pen width.
    return Extraction([DigitImage(found[i][1][len(found[i][1]) // 2], boxes[i], order[i][0], found[i][1],
                                  found[i][0].loops) for i in ranked],
                      ink.polarity, ink, roi)
