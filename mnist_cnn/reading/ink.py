"""Where is the ink? From a photo to a map of ink strength and a mask, lines taken out.

The first half of reading a photo (digits.py does the rest):
1. grey scale, slightly smoothed against sensor noise;
2. the paper's brightness under every pixel, and each pixel's ink strength as a ratio to it,
   so a digit in a shadow is as strong as one in full light; dark ink on light paper and
   light ink (chalk, a screen) on a dark ground are told apart automatically;
3. a mask by hysteresis (clear ink, plus the faint ink connected to it), from which ruled
   lines and other long thin lines are erased first.

Imports cv2 at load time: only the commands that read images import this module.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

DARK_ON_LIGHT = "dark-on-light"
LIGHT_ON_DARK = "light-on-dark"
POLARITIES = (DARK_ON_LIGHT, LIGHT_ON_DARK)


def to_grey(image: np.ndarray) -> np.ndarray:
    """Any 8-bit image (grey, BGR or BGRA) -> grey uint8."""
    image = np.asarray(image)
    if image.dtype != np.uint8:
        raise ValueError(f"expected an 8-bit image, got {image.dtype}")
    if image.ndim == 2:
        return image
    if image.ndim == 3 and image.shape[2] == 1:
        return image[..., 0]
    if image.ndim == 3 and image.shape[2] == 3:
        return cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    if image.ndim == 3 and image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2GRAY)
    raise ValueError(f"expected a grey or colour image, got an array of shape {image.shape}")


def _odd(value: float) -> int:
    return max(3, int(value) // 2 * 2 + 1)


def weighted_median(values, weights) -> np.floating:
    """The value at which the weights, taken in the values' order, reach half their sum (an
    element of `values`, in their own dtype)."""
    order = np.argsort(values)
    cumulative = np.cumsum(np.asarray(weights)[order])
    return np.asarray(values)[order[int(np.searchsorted(cumulative, cumulative[-1] / 2))]]


# --------------------------------------------------------------------------- strength

def light_evidence(grey: np.ndarray) -> float:
    """How much more the picture deviates lighter than darker from its paper: over 1 looks
    like light ink on a dark ground.

    On a reduced copy, deviations from a large median (the paper) are summed on each side
    beyond three noise levels: noise and shading are two-sided, strokes are not.
    """
    h, w = grey.shape
    factor = max(1.0, min(h, w) / 160.0)
    small = cv2.resize(grey, (max(8, int(round(w / factor))), max(8, int(round(h / factor)))),
                       interpolation=cv2.INTER_AREA)
    deviation = small.astype(np.float32) - cv2.medianBlur(small, _odd(min(small.shape) * 0.33))
    spread = float(np.median(np.abs(deviation))) * 1.4826 + 1.0
    darker = float(np.clip(-deviation - 3 * spread, 0, None).sum())
    lighter = float(np.clip(deviation - 3 * spread, 0, None).sum())
    return lighter / max(darker, 1.0)


# Paper is far more common, and a lit patch beside a large shadow also looks "lighter", so
# light ink is only chosen when its evidence is LIGHT_INK times stronger (a half-shadowed page
# measures about 1). Chalk on a board or a screen measures 25 and more, but a white page on a
# grey desk, with the desk filling much of the picture, measured 4.8-7.4 (and 5 of 92 chalkboard
# frames of the camera-like sets 5.5-25): in between, photos are read both ways (reader.py).
LIGHT_INK = 4.0
SURELY_LIGHT = 25.0


def polarity_of(grey: np.ndarray) -> str:
    """Dark ink on light paper, or light on dark? Ink is the strong one-sided deviation."""
    return LIGHT_ON_DARK if light_evidence(grey) > LIGHT_INK else DARK_ON_LIGHT


def ink_strength(grey: np.ndarray, polarity: str = "auto") -> tuple[np.ndarray, str]:
    """Per-pixel ink contrast in [0, 1] against the local paper, and the polarity used.

    The paper's brightness under each pixel is a morphological closing of the image (an
    opening for light ink) with a square a third of the image wide: it erases every stroke
    narrower than that, yet leaves any straight or smooth change of brightness exactly where
    it is, so the soft edge of a shadow, a lighting gradient and the edge of the paper with
    the table beyond it never look like ink (a median or a blur would smear them into a band).
    """
    h, w = grey.shape
    smooth = cv2.GaussianBlur(grey, (3, 3), 0)
    if polarity == "auto":
        polarity = polarity_of(smooth)
    if polarity not in POLARITIES:
        raise ValueError(f"unknown polarity {polarity!r}; choose auto, {DARK_ON_LIGHT} or {LIGHT_ON_DARK}")
    size = _odd(min(h, w) * 0.33)
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (size, size))
    # Continue the image past its border first, so a strip of table or shadow along the border
    # is an edge that goes on, not a narrow dark band that the closing would erase.
    pad = size // 2 + 1
    padded = cv2.copyMakeBorder(smooth, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
    operation = cv2.MORPH_CLOSE if polarity == DARK_ON_LIGHT else cv2.MORPH_OPEN
    paper = cv2.morphologyEx(padded, operation, kernel)[pad:pad + h, pad:pad + w].astype(np.float32)
    img = smooth.astype(np.float32)
    difference = paper - img if polarity == DARK_ON_LIGHT else img - paper
    # The closing lifts the paper estimate a little above noisy paper; that lift and the noise
    # are taken off, so a dark noisy table or shadow does not turn into "ink" once divided by
    # its low brightness.
    sample = difference[::4, ::4]
    lift = float(np.median(sample))
    noise = float(np.median(np.abs(sample - lift))) * 1.4826
    difference -= lift + 3.0 * noise
    # Ink absorbs a fraction of the light the paper reflects, so (paper - ink) / paper does
    # not depend on how much light falls on that part of the page (light ink: / ink).
    strength = difference / np.maximum(paper if polarity == DARK_ON_LIGHT else img, 32.0)
    return np.clip(strength, 0.0, 1.0), polarity


def otsu_threshold(strength: np.ndarray, floor: float) -> float:
    """Otsu's threshold on an ink strength map, never below `floor`."""
    scaled = np.clip(strength * 255, 0, 255).astype(np.uint8)
    otsu, _ = cv2.threshold(scaled, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return max(floor, float(otsu) / 255.0)


# --------------------------------------------------------------------------- lines

# A ruled line that fades out of the ink mask part of the way across still runs in from within
# this share of the picture's width of its edge (_line_pixels).
FADED_REACH = 0.08


def _line_pixels(mask: np.ndarray, thickness: int, min_span: int, inside: np.ndarray | None = None) -> np.ndarray:
    """Pixels of thin near-horizontal lines in `mask` that run across most of it (ruled lines).

    A pixel is "thin" when its vertical run of ink is at most `thickness` long: a line, tilted
    or not, is thin everywhere; a digit only along its horizontal strokes; and a stroke that
    crosses a line is not thin where it crosses. A faint line falls apart into dashes, so thin
    flat pieces are grouped by the straight line they lie on (their height at the middle of
    the image, along the pieces' common slope). A group whose pieces cover 30% of the width and
    span `min_span` is a line; its thin pixels near its fitted path are returned, so the
    strokes of a digit that merely touch it are kept.

    On ruled paper (two such lines or more), a line that fades out of the mask part of the way
    across (uneven light) is a line too when it runs in from the picture's edge (FADED_REACH)
    over 30% of its width, as straight as the others.

    `inside` (uint8 0/1, for a page turned level on a larger canvas: steep_lines.py) marks
    where the picture is; a line's 30% and `min_span` are then taken of the stretch of its path
    inside the picture (min_span given as a share of w), since a line near a corner is short.
    """
    h, w = mask.shape
    tall = cv2.morphologyEx(mask, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, thickness + 1)))
    thin = mask & (1 - tall)
    # Pieces are thin runs at least `piece_width` long; an image without enough of them has
    # no line (the usual case, so it is decided before any grouping).
    piece_width = max(8, w // 40)
    runs = cv2.morphologyEx(thin, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (piece_width, 1)))
    if int(np.count_nonzero(runs.max(axis=0))) < 0.3 * w:
        return np.zeros_like(mask)
    count, labels, stats, centroids = cv2.connectedComponentsWithStats(runs, connectivity=8)
    pieces = [i for i in range(1, count)
              if stats[i, 2] >= piece_width and stats[i, 3] <= 2 * thickness + stats[i, 2] * 0.1]
    if sum(int(stats[i, 2]) for i in pieces) < 0.3 * w:
        return np.zeros_like(mask)
    # Each piece's slope from its second moments; the common slope is their median weighted
    # by length (ruled lines are parallel, up to a little perspective).
    slopes, weights = [], []
    for i in pieces:
        x, y, pw, ph = stats[i, :4]
        ys, xs = np.nonzero(labels[y:y + ph, x:x + pw] == i)
        xs = xs - xs.mean()
        slopes.append(float((xs * (ys - ys.mean())).sum() / max((xs * xs).sum(), 1e-6)))
        weights.append(pw)
    slope = weighted_median(slopes, weights)
    heights = np.array([centroids[i][1] - slope * (centroids[i][0] - w / 2) for i in pieces])

    groups: list[list[int]] = []
    for k in np.argsort(heights):
        if groups and heights[k] - heights[groups[-1][-1]] <= thickness:
            groups[-1].append(k)
        else:
            groups.append([k])
    erase = np.zeros_like(mask)
    columns = np.arange(w)
    longest = int(inside.sum(axis=1).max()) if inside is not None else w
    thin_y = thin_x = None

    def erase_if_straight(group: list[int]) -> bool:
        nonlocal thin_y, thin_x
        ys, xs = np.nonzero(np.isin(labels, [pieces[k] for k in group]))
        line_slope, offset = np.polyfit(xs, ys, 1)
        # A ruled line is straight: its pixels stay in a narrow band about the fitted path.
        # Digits that merely stand in a column (the 1s that start each row of a page) line up
        # loosely (measured: lines 0.7-2.7 pixels from their path, hand-drawn grids included;
        # a column of 1s 3.7-24).
        if float(np.std(ys - (line_slope * xs + offset))) > 0.25 * thickness + 0.5:
            return False
        if thin_y is None:
            thin_y, thin_x = np.nonzero(thin)
        # Every thin pixel near the path, the bits of line between digit strokes included.
        near = np.abs(thin_y - (line_slope * thin_x + offset)) <= thickness / 2 + 1
        erase[thin_y[near], thin_x[near]] = 1
        return True

    whole_lines, short = 0, []
    for group in groups:
        covered = np.zeros(w, bool)
        for k in group:
            x, _, pw, _ = stats[pieces[k], :4]
            covered[x:x + pw] = True
        chord, span = w, min_span
        if inside is not None:
            middle = float(np.mean(heights[group]))
            path = np.clip(np.round(middle + slope * (columns - w / 2)).astype(int), 0, h - 1)
            along = columns[inside[path, columns] > 0]
            chord = len(along)
            span = int(min_span / w * chord)
            ink_along = columns[covered]
            # A short line cuts across a corner of the picture, from one edge to the other; a
            # digit's bar of the same length stops short of both.
            if chord < 0.15 * longest and (chord == 0 or ink_along.min() - along.min() > 2 * thickness
                                           or along.max() - ink_along.max() > 2 * thickness):
                continue
        if covered.sum() < 0.3 * chord or np.ptp(columns[covered]) + 1 < span:
            if inside is None and covered.any():
                short.append((group, columns[covered]))
            continue
        whole_lines += erase_if_straight(group)
    # Ruled paper in uneven light: a line fades out of the mask part of the way across, where
    # the light falls brighter, and its stretch in the shade joins the digits it touches. On a
    # page with two whole lines or more, a shorter one running in from the picture's edge
    # (within FADED_REACH of it) over 30% of its width, as straight as they are, is one of them.
    # A digit's bar is not that long and does not reach the edge.
    if whole_lines >= 2:
        for group, reach in short:
            if ((reach.min() <= FADED_REACH * w or reach.max() >= (1 - FADED_REACH) * w)
                    and len(reach) >= 0.3 * w):
                erase_if_straight(group)
    return erase


def remove_lines(mask: np.ndarray, steep: bool = True) -> np.ndarray:
    """Erase ruled lines and other thin straight lines running across most of the image.

    Only lines spanning 60% of the image (in pieces covering 30% of it) are erased: the bar
    of a 7 or a tall thin 1 written large inside a tight region stays a digit. With `steep`,
    lines turned past the level search's reach are looked for too (steep_lines.py).
    """
    return lines_removed(mask, steep)[0]


def lines_removed(mask: np.ndarray, steep: bool = True) -> tuple[np.ndarray, float | None]:
    """remove_lines' mask, and the angle of the ruled lines it found at a slant (or None)."""
    h, w = mask.shape
    thickness = max(3, int(round(0.012 * max(h, w))))
    horizontal = _line_pixels(mask, thickness, int(0.6 * w))
    vertical = _line_pixels(np.ascontiguousarray(mask.T), thickness, int(0.6 * h)).T
    slant = None
    if steep:  # a page held at an angle (steep_lines.py)
        from .steep_lines import steep_line_pixels

        rest = mask & (1 - horizontal) & (1 - vertical)
        slanted, slant = steep_line_pixels(rest, thickness, _line_pixels)
        mask = mask & (1 - slanted)
    if not (horizontal.any() or vertical.any()):
        return mask, slant
    # A pixel more around each line (its anti-aliased edge would stay as crumbs), but never
    # where a stroke crosses the line: there the ink runs on beyond the line's width.
    grow = cv2.getStructuringElement(cv2.MORPH_RECT, (3, 3))
    tall = cv2.morphologyEx(mask, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, thickness + 1)))
    wide = cv2.morphologyEx(mask, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (thickness + 1, 1)))
    erase = (cv2.dilate(horizontal, grow) & (1 - tall)) | (cv2.dilate(vertical, grow) & (1 - wide))
    return mask & (1 - erase), slant


# A piece of ink left beside an erased line (a hand-drawn line wavers off its straight path,
# the anti-aliased edge of a thick one) lies along it: at least this share of its pixels is
# within GHOST_REACH pixels of the line's erased pixels. A digit that touches or crosses a
# line has only the stretch where it meets the line there.
GHOST_SHARE = 0.6
GHOST_REACH = 2


def _drop_line_ghosts(labels: np.ndarray, stats: np.ndarray, erased: np.ndarray) -> np.ndarray:
    """`labels` with the pieces that lie along erased lines (`erased`, uint8 0/1) set to 0.

    Measured on the real photos: the crumbs of a hand-drawn sudoku grid were read as 1s.
    """
    if not erased.any():
        return labels
    size = 2 * GHOST_REACH + 1
    near = cv2.dilate(erased, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size)))
    count = len(stats)
    close = np.bincount(labels.ravel(), weights=near.ravel(), minlength=count)
    share = close / np.maximum(stats[:, cv2.CC_STAT_AREA], 1)
    ghosts = share >= GHOST_SHARE
    ghosts[0] = False
    if not ghosts.any():
        return labels
    keep = np.arange(count)
    keep[ghosts] = 0
    return keep[labels].astype(labels.dtype)


def enclosed_paper(piece: np.ndarray) -> np.ndarray:
    """The paper a piece of ink (uint8 0/1) closes round, as a uint8 0/1 mask of its shape: what
    the paper reached from outside it does not reach."""
    outside = np.pad(1 - piece, 1, constant_values=1).astype(np.uint8)
    cv2.floodFill(outside, None, (0, 0), 0)  # the paper around it; what stays is enclosed
    return np.ascontiguousarray(outside[1:-1, 1:-1])


def encloses_paper(piece: np.ndarray) -> bool:
    """Whether a piece of ink (uint8 0/1, cropped to it) closes round some paper: a loop, as in
    a small 0, rather than a speck (a blot is filled). The hole must be a tenth of its box."""
    h, w = piece.shape
    return int(enclosed_paper(piece).sum()) >= 0.1 * h * w


# --------------------------------------------------------------------------- the ink map

@dataclass
class InkMap:
    strength: np.ndarray  # float32 ink strength in [0, 1]
    labels: np.ndarray    # int32 connected components of the faint-ink mask (lines removed)
    stats: np.ndarray     # their cv2 stats: x, y, w, h, area (row 0 is the background)
    seeded: np.ndarray    # bool per component: holds clear ink (the hysteresis keeps it)
    high: float           # the clear-ink threshold
    low: float            # the faint-ink threshold (the mask's edge)
    polarity: str
    slant: float | None = None  # the angle of ruled lines found at a slant (steep_lines.py)
    frame: float | None = None  # the angle of a grid or row of boxes left whole (grid_lines.py)

    @property
    def mask(self) -> np.ndarray:
        """The ink kept by hysteresis, as a uint8 0/1 mask."""
        return self.seeded.astype(np.uint8)[self.labels]


def ink_map(grey: np.ndarray, polarity: str = "auto", floor: float = 0.12, steep: bool = True) -> InkMap:
    """Strength, then the hysteresis mask: clear ink and the fainter ink connected to it.

    Clear ink is above Otsu's threshold (never below `floor`, so plain paper has none) and well
    above the paper's noise; faint ink is above half of that. A thin or blurred stroke thus
    stays in one piece while noise specks stay out. Lines are erased from the faint mask
    before the clear parts pick what to keep: a faint ruled line touching a digit would
    otherwise come along with it. Faint pieces without clear ink are kept in the labels (not in
    the mask): a digit may claim a faint stroke of its own that lies inside its box.
    `steep`: look for lines at a slant too (remove_lines); the live loop leaves it out for speed.
    """
    strength, polarity = ink_strength(grey, polarity)
    sample = strength[::4, ::4]
    centre = float(np.median(sample))
    noise = float(np.median(np.abs(sample - centre))) * 1.4826
    high = max(otsu_threshold(strength, floor), centre + 6 * noise)
    low = max(0.06, 0.5 * high, centre + 3.5 * noise)
    # Grids and form boxes too (grid_lines.py): imported here, as the rest of this function.
    from .grid_lines import remove_form_boxes, remove_grid

    raw = (strength >= low).astype(np.uint8)
    lined, slant = lines_removed(raw, steep)
    weak = remove_form_boxes(raw & (1 - lined), remove_grid(lined))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(weak, connectivity=8)
    if count > 1:
        labels = _drop_line_ghosts(labels, stats, raw & (1 - weak))
    seeded = np.zeros(count, bool)
    seeded[np.unique(labels[strength >= high])] = True
    seeded[0] = False
    return InkMap(strength, labels, stats, seeded, high, low, polarity, slant)
