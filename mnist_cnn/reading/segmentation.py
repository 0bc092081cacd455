"""Which ink is a digit? From an ink map (ink.py) to digit boxes, and their reading order.

Connected pieces of ink are filtered and grouped the way a reader would: lines along the
image and specks are not digits; the pieces of a digit broken by a faint stroke (the bar of
a 5, an open 4) belong together; a blob wider than any digit is several digits that touch.
Where that last call is not clear-cut, the alternatives are handed on, so that the model can
decide (digits.py asks it: "one 0" against "a ( and a )").

No framework here; cv2 only through ink.py's results.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from .ink import InkMap, encloses_paper
from .orientation import profile_angle, text_angle

Box = tuple[int, int, int, int]  # x, y, width, height

# MNIST digits are at most about 1.7 times as wide as tall (the widest 2s and 5s).
WIDEST_DIGIT = 1.7


@dataclass
class Blob:
    x: int
    y: int
    w: int
    h: int
    area: int
    labels: list[int] = field(default_factory=list)  # components of the ink map it is made of
    loops: tuple[float, ...] = ()  # heights of the paper its ink closes round (digits._render)

    @property
    def x1(self) -> int:
        return self.x + self.w

    @property
    def y1(self) -> int:
        return self.y + self.h

    @property
    def box(self) -> Box:
        return self.x, self.y, self.w, self.h

    def merged(self, other: "Blob") -> "Blob":
        x0, y0 = min(self.x, other.x), min(self.y, other.y)
        x1, y1 = max(self.x1, other.x1), max(self.y1, other.y1)
        return Blob(x0, y0, x1 - x0, y1 - y0, self.area + other.area, self.labels + other.labels)


@dataclass
class Candidate:
    """A group of ink that is one digit, or several touching ones: the ways to read it."""

    whole: Blob
    splits: list[list[Blob]] = field(default_factory=list)  # alternatives: 2 pieces, 3 pieces...
    preferred: int = 0  # without a model to ask: 0 = whole, k = splits[k - 1]

    def chosen(self, option: int | None = None) -> list[Blob]:
        option = self.preferred if option is None else option
        return [self.whole] if option == 0 else self.splits[option - 1]


def own_ink(ink: InkMap, blob: Blob) -> np.ndarray:
    """The ink of `blob`'s own components inside its box, uint8 0/1 (a neighbour's left out)."""
    return np.isin(ink.labels[blob.y:blob.y1, blob.x:blob.x1], blob.labels).astype(np.uint8)


# --------------------------------------------------------------------------- filters

def is_line_like(blob: Blob, width: int, height: int) -> bool:
    """A band along the image (a strip of table, a shadow's edge, a line left over), not a digit.

    A digit is never much wider than tall; a vertical band must also be thin for its length
    and touch the image's edge, so a tall thin 1 is kept.
    """
    long_side = max(blob.w, blob.h)
    thickness = blob.area / max(long_side, 1)
    if blob.w >= 0.5 * width and blob.w > 2.5 * blob.h:
        return True
    if blob.h >= 0.8 * height and blob.h > 4 * blob.w and (blob.y <= 1 or blob.y1 >= height - 1) \
            and thickness < long_side / 25:
        return True
    return long_side >= 0.6 * max(width, height) and thickness < long_side / 25


def hugs_edge(blob: Blob, width: int, height: int) -> bool:
    """A thin band lying along the picture's edge: the edge of the page or of a book, a shadow
    at the border. It touches the edge and runs along it (three times as long as wide)."""
    reach = max(2, int(0.01 * max(width, height)))
    along_side = (blob.x <= reach or blob.x1 >= width - reach) and blob.h >= 3 * blob.w
    along_top = (blob.y <= reach or blob.y1 >= height - reach) and blob.w >= 3 * blob.h
    return along_side or along_top


# Boxes that overlap are merged only into a blob no taller than this many usual heights.
CHAIN = 3.0
# A piece standing clear above or below another joins it only if their columns overlap by at
# least this share of the wider one: a 5's bar over its body does, a digit standing on a broad
# band of shade does not (measured on the real photos turned 30 degrees: such a band took the
# digits above it one by one, and half a page of 120 digits became one "digit"). Pieces whose
# boxes interleave (a page's white mass cut into bands, read as light ink) still join.
NARROW = 0.25


# A thin line broken into pieces (the dark rim along a page's edge on a desk, its contrast
# varying along it) is a chain of thin strokes end to end, each passing for a 1: at least this
# many pieces, each at most THIN as wide as tall, a gap under END_TO_END of their length between
# one and the next, and their middles in line. Handwritten 1s one per line stand further apart.
# A page levelled by its writing leaves its edge at a slant: there a piece is a straight stroke
# whose ink is at most STRAIGHT as broad as long (from its second moments; measured on a page
# levelled at 35 degrees: its edge's pieces 0.06-0.15, the digits beside them 0.24-0.53), and
# the next piece lies along its direction, within TURNED of it. Three such
# pieces are enough: 1s written one per line stack along their own direction only when upright
# (a column goes down the page, a slanted 1 leans off it).
DASHES = 4
SLANTED_DASHES = 3
THIN = 0.35
END_TO_END = 0.25
STRAIGHT = 0.2
TURNED = np.deg2rad(15.0)

Segment = tuple[float, float, float, float, float]  # top end x, y, bottom end x, y, length


def _segment(blob: Blob, ink: InkMap | None) -> Segment | None:
    """`blob` as a straight stroke from its top end to its bottom end, or None when it is not one."""
    if blob.w <= THIN * blob.h:  # upright: its box says so
        middle = (blob.x + blob.x1) / 2
        return middle, float(blob.y), middle, float(blob.y1), float(blob.h)
    if ink is None:
        return None
    m = cv2.moments(own_ink(ink, blob), binaryImage=True)
    if m["m00"] <= 0:
        return None
    a, b, c = m["mu20"] / m["m00"], m["mu11"] / m["m00"], m["mu02"] / m["m00"]
    spread = np.hypot((a - c) / 2, b)
    major, minor = (a + c) / 2 + spread, max((a + c) / 2 - spread, 0.0)
    if major <= 0 or minor > STRAIGHT ** 2 * major:
        return None
    theta = 0.5 * np.arctan2(2 * b, a - c)
    half = np.sqrt(3 * major)  # a uniform segment of length L has variance L**2 / 12 along it
    cx, cy = blob.x + m["m10"] / m["m00"], blob.y + m["m01"] / m["m00"]
    dx, dy = half * np.cos(theta), half * np.sin(theta)
    if dy < 0:
        dx, dy = -dx, -dy
    return cx - dx, cy - dy, cx + dx, cy + dy, 2 * half


def in_dashed_lines(blobs: list[Blob], ink: InkMap | None = None) -> set[int]:
    """Indices of the blobs that are the pieces of one broken line (see DASHES): upright, or
    at any slant when `ink` is given to measure the pieces by."""
    segments = {k: s for k, s in ((k, _segment(b, ink)) for k, b in enumerate(blobs)) if s is not None}
    below: dict[int, int] = {}
    for i, (ax, ay, ax1, ay1, alen) in segments.items():
        ux, uy = (ax1 - ax) / alen, (ay1 - ay) / alen
        best = None
        for j, (bx, by, bx1, by1, blen) in segments.items():
            if j == i or by <= ay:
                continue
            short = min(alen, blen)
            gap = (bx - ax1) * ux + (by - ay1) * uy
            offset = abs(((bx + bx1) - (ax + ax1)) / 2 * uy - ((by + by1) - (ay + ay1)) / 2 * ux)
            turn = abs(np.arctan2(ux * (by1 - by) - uy * (bx1 - bx), ux * (bx1 - bx) + uy * (by1 - by)))
            if -0.2 * short <= gap <= END_TO_END * short and offset <= 0.5 * short and turn <= TURNED \
                    and (best is None or by < segments[best][1]):
                best = j
        if best is not None:
            below[i] = best
    above = {j: i for i, j in below.items()}
    dashed: set[int] = set()
    for start in below:
        if start in above:
            continue  # not the top of a chain
        chain = [start]
        while chain[-1] in below and below[chain[-1]] not in chain:
            chain.append(below[chain[-1]])
        top, bottom = segments[chain[0]], segments[chain[-1]]
        upright = abs(bottom[2] - top[0]) <= np.tan(TURNED) * (bottom[3] - top[1])
        if len(chain) >= (DASHES if upright else SLANTED_DASHES):
            dashed.update(chain)
    return dashed


# The few blobs this many times as tall as any other, among a page of digits (at least
# LONE_AMONG others, most shaped like digits), are not writing: the rims of a page's edges
# whose pieces joined, or a band of shade down a page's corner. As the tallest they made every
# digit a speck (six digits beside such a line, five digits tall, were all dropped; a page of
# ten 7s turned 30 degrees and levelled, beside its shaded corner, read as one "1"; a page on a
# grey desk, its left and right edges each six digits tall, read as "11"). They are neither
# measured by nor read. "Few" is one, or two (a page's two sides), or a tenth of the blobs on a
# larger page. Among fewer blobs, or among thin strokes, the tallest is left to measure by:
# beside a single 9 are its crumbs, and a ruled page read a quarter turn round has its lines'
# pieces upright (measured on the wider camera-like set: both read as strings of digits then).
LONE = 3.0
LONE_AMONG = 6


def _lone_tallest(blobs: list[Blob]) -> list[Blob]:
    """The few blobs standing far taller than the rest of a page of digits (see LONE)."""
    if len(blobs) <= LONE_AMONG or sum(b.w > THIN * b.h for b in blobs) < 0.5 * len(blobs):
        return []
    ranked = sorted(blobs, key=lambda b: -b.h)
    few = max(2, len(blobs) // 10)
    for k in range(1, few + 1):
        if len(blobs) - k >= LONE_AMONG and ranked[k - 1].h > LONE * ranked[k].h:
            return ranked[:k]
    # Thin strokes LONE times as tall as the median blob, though a long-tailed digit comes
    # nearer them than that: lines (the page's edges beside a 9 with a tail).
    middle = float(np.median([b.h for b in blobs]))
    return [b for b in ranked[:few] if b.w <= THIN * b.h and b.h > LONE * middle]


def usual_height(heights: list[int], near: float) -> float:
    """The usual height of a digit among blobs of these `heights`: the median of those at least
    `near` times the tallest. The tallest is taken as the tenth of them that are tallest (the
    tallest itself among under 20): a strip of desk or the shade along a sheet's edge, one tall
    blob among a page of digits, must not make every digit look like a speck (measured: a page
    of 120 digits turned 12 degrees on a wooden desk was read as one digit)."""
    if not heights:
        return 0.0
    ranked = sorted(heights, reverse=True)
    tallest = ranked[len(ranked) // 10 - 1] if len(ranked) >= 20 else ranked[0]
    return float(np.median([h for h in ranked if h >= near * tallest]))


def merge_pieces(blobs: list[Blob]) -> list[Blob]:
    """Merge the pieces of one digit stacked one above the other (a 5's bar, a broken 8), or
    whose boxes overlap a lot (the two halves of a 0 that a ruled line cut).

    They belong together when their columns mostly overlap, the gap between them is small,
    the smaller is not a mere speck, and together they are no taller than a digit: than the
    taller piece allows, or than the usual height of the blobs around (two halves of a 5).
    """
    blobs = sorted(blobs, key=lambda b: -b.area)
    usual = usual_height([b.h for b in blobs], 0.5)
    # Stacked pieces may chain into a long strip (the shade along a sheet's edge, cut up by
    # the line search; a long strip is then left out as a line). Its box, on a page held at an
    # angle, covers the digits beside it: boxes that overlap are merged only into something no
    # taller than CHAIN times the usual height (a 7's tail reaching the next line is about twice).
    changed = True
    while changed:
        changed = False
        for i in range(len(blobs)):
            for j in range(i + 1, len(blobs)):
                a, b = blobs[i], blobs[j]
                overlap = min(a.x1, b.x1) - max(a.x, b.x)
                gap = max(a.y, b.y) - min(a.y1, b.y1)
                tall = max(a.h, b.h)
                small, big = (b, a) if b.area <= a.area else (a, b)
                merged = a.merged(b)
                clear_of = gap >= 0  # one stands wholly above the other
                stacked = (overlap >= 0.5 * min(a.w, b.w) and gap <= 0.2 * tall
                           and (overlap >= NARROW * max(a.w, b.w) or not clear_of)
                           and max(small.w, small.h) >= 0.2 * big.h
                           and merged.h <= max(1.6 * tall, 1.25 * usual))
                # Boxes that overlap a lot: the halves of a 0 or an 8 that a ruled line cut.
                shared = max(0, overlap) * max(0, -gap)
                nested = (shared >= 0.3 * min(a.w * a.h, b.w * b.h) and merged.w <= 1.3 * merged.h
                          and merged.h <= 1.25 * max(tall, usual) and merged.h <= CHAIN * usual)
                if stacked or nested:
                    blobs[i] = merged
                    del blobs[j]
                    changed = True
                    break
            if changed:
                break
    return blobs


def attach_fragments(blobs: list[Blob]) -> list[Blob]:
    """Attach a small fragment (the detached bar of a 5 or a 7) to the digit it touches.

    A fragment is much smaller and shorter than a digit; it joins the nearest digit whose box
    it touches or almost touches, as long as the result is still shaped like one digit.
    """
    result: list[Blob] = []
    # Each digit as it was before fragments joined it: what it may still take is judged against
    # that, so a digit does not grow by a fragment at a time into its neighbours.
    cores: list[Blob] = []
    for blob in sorted(blobs, key=lambda b: -b.area):
        best, best_gap = None, None
        for k, (big, core) in enumerate(zip(result, cores)):
            if blob.area > 0.4 * core.area or blob.h > 0.6 * core.h:
                continue
            gap = max(core.x - blob.x1, blob.x - core.x1, core.y - blob.y1, blob.y - core.y1, 0)
            merged = big.merged(blob)
            if gap <= 0.08 * core.h and merged.w <= 1.5 * merged.h and merged.h <= 1.3 * core.h \
                    and (best_gap is None or gap < best_gap):
                best, best_gap = k, gap
        if best is None:
            result.append(blob)
            cores.append(blob)
        else:
            result[best] = result[best].merged(blob)
    return result


def _cut(blob: Blob, ink: np.ndarray, pieces: int) -> list[Blob] | None:
    """`blob` cut into `pieces` at the columns with least ink near equal divisions, or None."""
    region = ink[blob.y:blob.y1, blob.x:blob.x1]
    profile = region.sum(axis=0)
    cuts = []
    for k in range(1, pieces):
        centre = int(blob.w * k / pieces)
        half = max(2, int(blob.w / pieces * 0.3))
        lo, hi = max(1, centre - half), min(blob.w - 1, centre + half)
        if hi <= lo:
            return None
        cuts.append(lo + int(np.argmin(profile[lo:hi])))
    out = []
    for left, right in zip([0, *cuts], [*cuts, blob.w]):
        ys, xs = np.nonzero(region[:, left:right])
        if len(xs) == 0:
            return None
        out.append(Blob(blob.x + left + int(xs.min()), blob.y + int(ys.min()), int(xs.max() - xs.min() + 1),
                        int(ys.max() - ys.min() + 1), int(len(xs)), list(blob.labels)))
    # Every piece must still look like a digit, not a sliver.
    if any(p.h < 0.5 * blob.h or max(p.w, p.h) < 0.3 * blob.h for p in out):
        return None
    return out


def candidate(blob: Blob, ink: np.ndarray) -> Candidate:
    """One digit, or several touching ones? Wide blobs get alternatives, most likely first."""
    ratio = blob.w / max(blob.h, 1)
    if ratio < 1.15:
        return Candidate(blob)
    splits = []
    for pieces in range(2, min(6, int(ratio / 0.35)) + 1):
        cut = _cut(blob, ink, pieces)
        if cut is not None:
            splits.append(cut)
    # Without a model: split only what no single digit could be, into digits of usual width.
    preferred = 0
    if ratio >= WIDEST_DIGIT and splits:
        want = max(2, int(round(ratio / 0.8)))
        preferred = 1 + min(range(len(splits)), key=lambda k: abs(len(splits[k]) - want))
    return Candidate(blob, splits, preferred)


# --------------------------------------------------------------------------- digits

def smallest_digit(shape: tuple[int, ...]) -> float:
    """A digit smaller than this is unreadable or a speck (MNIST's are 20 pixels tall): at least
    8 pixels tall, and 2% of the image's shorter side. (3% lost the 5 mm digits of a scanned A4
    page, 2.2% of its width; measured on the real photos.)"""
    return max(8.0, 0.02 * min(shape[:2]))


# Beside small digits, digits down to this fraction of smallest_digit are looked for.
SMALL_WRITING = 0.6


def _is_blot(ink: InkMap, blob: Blob) -> bool:
    """A filled dot rather than strokes: its ink lies over 0.3 of its height from the paper
    somewhere. A filled disk measures 0.5; a digit drawn with MNIST's pen about 0.06 (half of
    strokes.MNIST_WIDTH), one in a marker three times as broad under 0.2."""
    piece = np.pad(own_ink(ink, blob), 1)
    return float(cv2.distanceTransform(piece, cv2.DIST_L2, 3).max()) > 0.3 * blob.h


def _digit_sized(blobs: list[Blob], min_side: float) -> list[Blob]:
    """The blobs (pieces of one digit merged) at least `min_side` tall, or small and flat."""
    # Pieces smaller than a speck may still join a digit; whatever stays small goes.
    blobs = [b for b in blobs if max(b.w, b.h) >= 0.35 * min_side]
    blobs = attach_fragments(merge_pieces(blobs))
    # A digit written small and flat (a 2 squashed into its line) is short but wider than the
    # smallest digit, and no flatter than a digit gets: it stays (measured on the real photos:
    # the small 2s of a scanned page, 1.65-1.86 times as wide as tall, were lost). The crumbs
    # of a ruled line are flatter.
    return [b for b in blobs if b.h >= min_side
            or (b.h >= 0.7 * min_side and 1.3 * min_side <= b.w <= 2.2 * b.h)]


def find_candidates(ink: InkMap, whole_picture: bool = False, min_side: float | None = None) -> list[Candidate]:
    """Digit-sized groups of clear ink, specks and lines left out.

    With `whole_picture` (a photo read whole, not a region the user chose), thin bands along
    its edge are left out too: a digit cut by the photo's edge is not readable, and in the real
    photos such bands were the edges of pages and books, read as 1s. In a region the user drew,
    a 1 may stand against the edge. `min_side` is the smallest digit (default: smallest_digit of
    the ink map's picture).
    """
    h, w = ink.labels.shape
    blobs = [Blob(int(s[0]), int(s[1]), int(s[2]), int(s[3]), int(s[4]), [i])
             for i, s in enumerate(ink.stats) if i > 0 and ink.seeded[i]]
    blobs = [b for b in blobs if not is_line_like(b, w, h)]
    if whole_picture:
        blobs = [b for b in blobs if not hugs_edge(b, w, h)]
    min_side = smallest_digit((h, w)) if min_side is None else min_side
    sized = _digit_sized(blobs, min_side)
    # Small writing photographed whole (digits 4 mm tall on a page filling a 12 MP photo are
    # 1.8% of its width) is partly under that size: when what was found is itself small,
    # digits down to half its usual height (and SMALL_WRITING of the size, and 8 pixels) are
    # looked for again; never lower: on a page of larger writing the smaller ink is dots and
    # crumbs (measured on the real photos: at 1.5% throughout, dotted paper's dots came in and
    # 7 of its 17 digits went). When nothing was found, only a large picture is searched
    # again, for strokes: in a small one 8 pixels is already the floor, and specks and
    # blots are what a blank page holds (20 blank 1280x960 pages with dust: 32 blots read as
    # digits without the blot test, none with it).
    if sized:
        lower = max(8.0, SMALL_WRITING * min_side, 0.5 * float(np.median([b.h for b in sized])))
        if lower < min_side:
            sized = _digit_sized(blobs, lower)
    elif SMALL_WRITING * min_side >= 8.0:
        # Nothing found in a large picture: small writing alone, or a blank page with dust on
        # it. Strokes are kept, filled blots are not.
        sized = [b for b in _digit_sized(blobs, SMALL_WRITING * min_side) if not _is_blot(ink, b)]
    blobs = sized
    if not blobs:
        return []
    # Much smaller than the usual digit here: a speck or a stray mark. "Usual" is the median
    # height of the blobs not far below the tallest, so a few long-tailed 7s and 9s do not
    # make a small 0 beside them look like a speck (measured on the real photos).
    lone = {id(b) for b in _lone_tallest(blobs)}
    usual = usual_height([b.h for b in blobs if id(b) not in lone], 0.3)
    # A small loop is a 0 or an o written small beside tall digits, not a speck (measured on the
    # real photos: 0s a third of their row's height lost).
    blobs = [b for b in blobs if b.h >= 0.4 * usual
             or (b.h >= 0.25 * usual and encloses_paper(own_ink(ink, b)))]
    # ... and a thin stroke LONE times the usual height is a line (a 7's tail is about twice).
    blobs = [b for b in blobs if not (b.h > LONE * usual and b.w <= THIN * b.h) and id(b) not in lone]
    dashed = in_dashed_lines(blobs, ink)
    mask = ink.mask
    return [candidate(b, mask) for k, b in enumerate(blobs) if k not in dashed]


def faint_parts(ink: InkMap, blob: Blob, taken: set[int]) -> list[int]:
    """Faint pieces (no clear ink of their own) lying inside `blob`'s box, not claimed by others.

    A digit's faint stroke that broke away (the thin bar of a 7 in a shadow) comes back this way.
    """
    margin = int(0.1 * blob.h)
    x0, y0, x1, y1 = blob.x - margin, blob.y - margin, blob.x1 + margin, blob.y1 + margin
    inside = np.unique(ink.labels[max(0, y0):y1, max(0, x0):x1])
    found = []
    for i in inside:
        if i == 0 or ink.seeded[i] or i in taken:
            continue
        x, y, w, h, area = ink.stats[i]
        if x >= x0 and y >= y0 and x + w <= x1 and y + h <= y1 and max(w, h) >= 0.15 * blob.h:
            found.append(int(i))
    return found


# --------------------------------------------------------------------------- reading order

def _chained_rows(boxes: list[Box], angle: float) -> list[list[int]]:
    """Boxes chained into rows along lines sloping `angle` degrees, top row first, each row
    from left to right: a box joins the row whose last box is level with it along that slope
    (centres less than half a digit height apart across it)."""
    theta = np.radians(angle)
    along = [x * np.cos(theta) + (y + h / 2) * np.sin(theta) for x, y, w, h in boxes]  # by left edge
    across = [(y + h / 2) * np.cos(theta) - (x + w / 2) * np.sin(theta) for x, y, w, h in boxes]
    rows: list[list[int]] = []
    for i in sorted(range(len(boxes)), key=lambda k: along[k]):
        h = boxes[i][3]
        best, best_distance = None, None
        for r, row in enumerate(rows):
            distance = abs(across[row[-1]] - across[i])
            if distance <= 0.5 * max(h, boxes[row[-1]][3]) and (best_distance is None or distance < best_distance):
                best, best_distance = r, distance
        if best is None:
            rows.append([i])
        else:
            rows[best].append(i)
    rows.sort(key=lambda row: float(np.mean([across[i] for i in row])))
    return rows


# Rows sloping less than this are left to the chaining (it follows a slight tilt box by box).
SLOPED_ROWS = 4.0
# The slope of the rows is trusted over at least this many digits: among fewer, two numbers
# written side by side at different heights look like one sloping row (measured on the
# camera-like set: "65" beside a lower "19" was read as one row "6519").
SLOPE_OVER = 8


def reading_order(boxes: list[Box]) -> list[tuple[int, int]]:
    """(row, position) for each box: rows top to bottom, left to right inside a row.

    Rows are chained from left to right, so a slightly tilted line stays one row. A page read
    at a slope without being levelled (its levelled reading scored no better) has its rows
    chained along the digits' own slope (orientation.text_angle and profile_angle) when that
    makes fewer rows, on a page of SLOPE_OVER digits or more. Measured on the real photos
    turned 12 degrees: a page of sparse digits on graph paper was read right, 17 of 17, but
    in an order that interleaved its rows (12 of 17 in order); along the slope, 17 of 17.
    """
    rows = _chained_rows(boxes, 0.0)
    if len(rows) > 1 and len(boxes) >= SLOPE_OVER:
        for angle in sorted({text_angle(boxes), profile_angle(boxes)}, key=abs):
            if abs(angle) >= SLOPED_ROWS:
                sloped = _chained_rows(boxes, angle)
                if len(sloped) < len(rows):
                    rows = sloped
    result = [(0, 0)] * len(boxes)
    for r, row in enumerate(rows):
        for p, i in enumerate(row):
            result[i] = (r, p)
    return result
