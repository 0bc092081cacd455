"""Which way is up? A page turned a quarter or half turn without an EXIF tag, or held at an angle.

Two questions, both answered over the whole page, never from one digit (a 6 turned round is
a 9):
1. a quarter or half turn: the page is read in each of the four turns and the model scores
   each reading (`page_score`: every digit it is sure of counts for it, every doubtful one
   against); the other turns are only tried when the upright reading is doubtful, so a
   clear page costs one reading;
2. an angle within about 45 degrees: the direction of the text lines, from the digits found
   (each digit's nearest neighbours of its own size lie along its line); past a few degrees
   the page is turned level and read again, and the level reading is kept when it scores
   better.

Boxes are given back in the coordinates of the image as it was passed in (the bounding box
of a turned digit's corners). Imports cv2 at load time.
"""

from __future__ import annotations

from typing import Callable, Optional

import cv2
import numpy as np

# A reading is doubtful (worth trying the other turns) when fewer than this share of its
# digits are read with at least SURE confidence.
SURE = 0.8
SURE_SHARE = 0.75
FEW_DIGITS = 3
# Angles smaller than this are left to the row chaining (reading_order follows a slight tilt).
MIN_SKEW = 8.0
# Rows at 45 degrees are as much a column at -45: an angle this close to 45 is tried both ways
# (a note turned 40 degrees, whose touching digits scatter the links, measured from 36.9 to
# 47.7 degrees as taken and at half its pixels).
AMBIGUOUS = 12.0
# A turned reading must score this much better than the page as given (one sure digit more):
# a page of 6s, 9s and 0s reads almost as well upside down.
TURN_MARGIN = 1.0
# ... or be sure where the page as given is doubtful, with its digits covering at least this
# share of the area the page's do (_turn_is_better).
SAME_INK = 0.5
# Turns scoring within this share of the best turn (read unlevelled, reduced) are all read
# levelled at full size, and the best of those is kept: a note turned 52 degrees scored 14.4
# sideways one way and 12.6 the other, and levelled 26.4 and 35 (measured on the real photos
# turned 12 degrees).
CLOSE_TURN = 0.2
# Two digits are on one line of writing when their centres lie within about this share of
# the smaller one's height across it (profile_angle), and at most this many digits are compared.
ROW_SPREAD = 0.25
MOST_BOXES = 120
# The other turns are first tried at this size (long side, pixels).
QUICK_SIDE = 800


def page_score(confidences: list[float]) -> float:
    """Sum of (2 p - 1) over the digits: a digit read at over 50% adds, a doubtful one subtracts.

    Sideways or upside-down writing gives fewer digits and far less sure ones. Each digit
    counts at most one, and the sum rather than the mean keeps a reading of one lucky digit
    from beating a page of fairly sure ones.
    """
    return float(sum(2.0 * p - 1.0 for p in confidences))


def is_doubtful(confidences: list[float]) -> bool:
    """Worth trying the other turns: few digits sure, or too few digits to show which way is up
    (a turned page's digits lie on their side, and most are dropped as too wide: one sure "1"
    is all that is left)."""
    if len(confidences) < FEW_DIGITS:
        return True
    return float(np.mean(np.asarray(confidences) >= SURE)) < SURE_SHARE


def text_angle(boxes: list[tuple[int, int, int, int]]) -> float:
    """The direction of the lines of writing, in degrees within (-45, 45]; 0 for too few digits.

    Each digit is joined to its nearest neighbour of similar height; the directions of these
    links (modulo 180) are averaged on the doubled-angle circle, weighted by nothing but their
    count, so a few links between rows do not turn the answer.
    """
    if len(boxes) < 3:
        return 0.0
    centres = np.array([(x + w / 2, y + h / 2) for x, y, w, h in boxes], np.float64)
    heights = np.array([h for _, _, _, h in boxes], np.float64)
    angles = []
    for i in range(len(boxes)):
        similar = (heights >= 0.5 * heights[i]) & (heights <= 2.0 * heights[i])
        similar[i] = False
        if not similar.any():
            continue
        distance = np.hypot(*(centres[similar] - centres[i]).T)
        j = np.flatnonzero(similar)[int(np.argmin(distance))]
        if distance.min() > 3.0 * heights[i]:
            continue
        dx, dy = centres[j] - centres[i]
        angles.append(np.arctan2(dy, dx))
    if len(angles) < 3:
        return 0.0
    doubled = np.array(angles) * 2
    # Lines of digits run left to right: angles near +-90 degrees are links inside a column.
    mean = np.arctan2(np.sin(doubled).mean(), np.cos(doubled).mean()) / 2
    return within_45(float(np.degrees(mean)))


def within_45(degrees: float) -> float:
    """A direction of lines (modulo 180 degrees) as a levelling angle within (-45, 45].

    Beyond 45 degrees the lines run more down than across: rows held that steeply, or a column
    leaning; either way levelling by the angle less a quarter turn straightens them (and an
    upright column needs nothing)."""
    degrees = (degrees + 45.0) % 90.0 - 45.0
    return 45.0 if degrees == -45.0 else degrees


def profile_angle(boxes: list[tuple[int, int, int, int]]) -> float:
    """The direction of the lines of writing as text_angle gives it, measured otherwise: the
    direction along which the most pairs of digits of like height lie on one line: every
    pair counts, each as much as its centres' distance across that direction is small against
    the digits' height (the sharpness of the page's projection profile, taken over the digits'
    centres). Digits far apart along their row still count, where text_angle links a digit to
    the next row's when the rows are closer than the digits (two rows of ten sparse digits
    turned 30 degrees measured 21 degrees that way, 31 this way). Neither measure is always
    the better (on the camera-like pages at an angle, the links are), so both are tried.
    """
    if len(boxes) < 3:
        return 0.0
    if len(boxes) > MOST_BOXES:  # evenly chosen: the pairs grow with the square of the count
        boxes = [boxes[k] for k in np.linspace(0, len(boxes) - 1, MOST_BOXES).astype(int)]
    centres = np.array([(x + w / 2, y + h / 2) for x, y, w, h in boxes], np.float64)
    heights = np.array([max(h, 1) for _, _, _, h in boxes], np.float64)
    i, j = np.triu_indices(len(boxes), 1)
    alike = (heights[j] >= 0.5 * heights[i]) & (heights[j] <= 2.0 * heights[i])
    i, j = i[alike], j[alike]
    if len(i) < 2:
        return 0.0
    # each pair's offsets in units of the spread allowed across a line
    spread = ROW_SPREAD * np.minimum(heights[i], heights[j])
    dx, dy = ((centres[j] - centres[i]).T / spread).astype(np.float32)

    def best_of(degrees: np.ndarray) -> float:
        theta = np.radians(degrees).astype(np.float32)[:, None]
        across = dy * np.cos(theta) - dx * np.sin(theta)
        return float(degrees[int(np.argmax(np.exp(-0.5 * across ** 2).sum(axis=1)))])

    coarse = best_of(np.arange(-90.0, 90.0, 1.0))
    return within_45(best_of(np.arange(coarse - 1.0, coarse + 1.01, 0.1)))


def turn(image: np.ndarray, quarters: int) -> np.ndarray:
    """`image` turned `quarters` quarter turns anticlockwise."""
    return np.ascontiguousarray(np.rot90(image, quarters))


def unturn_box(box, quarters: int, shape: tuple[int, ...]):
    """A box in the turned image -> the same box in the original (of `shape`)."""
    x, y, w, h = box
    height, width = shape[:2]
    q = quarters % 4
    if q == 0:
        return box
    if q == 1:   # turned anticlockwise: turned (x, y) came from original (W-1-y, x)
        return (width - y - h, x, h, w)
    if q == 2:
        return (width - x - w, height - y - h, w, h)
    return (y, height - x - w, h, w)


def turning(shape: tuple[int, ...], angle: float) -> tuple[np.ndarray, tuple[int, int]]:
    """The 2x3 matrix turning a picture of `shape` by `angle` degrees about its centre onto a
    canvas large enough to hold all of it, and that canvas's (width, height)."""
    h, w = shape[:2]
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    cos, sin = abs(matrix[0, 0]), abs(matrix[0, 1])
    new_w, new_h = int(h * sin + w * cos + 0.5), int(h * cos + w * sin + 0.5)
    matrix[0, 2] += new_w / 2 - w / 2
    matrix[1, 2] += new_h / 2 - h / 2
    return matrix, (new_w, new_h)


def level(image: np.ndarray, angle: float) -> tuple[np.ndarray, np.ndarray]:
    """`image` turned by `angle` degrees (text at that slope becomes level), on a canvas large
    enough to keep all of it, and the 2x3 matrix back to the original's coordinates."""
    h, w = image.shape[:2]
    matrix, (new_w, new_h) = turning(image.shape, angle)
    turned = cv2.warpAffine(image, matrix, (new_w, new_h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    # The corners the turn uncovers continue the picture's shading, not its details: copying
    # the border outwards drew every ruled line that reached it on as a streak, and a levelled
    # ruled page read as rows of 1s; a flat fill made the picture's darker corners ink
    # (both measured on the wider camera-like set). So the corners are the border of a copy
    # blurred far past any line or stroke.
    shading = cv2.resize(cv2.resize(image, (max(1, w // 16), max(1, h // 16)), interpolation=cv2.INTER_AREA),
                         (w, h), interpolation=cv2.INTER_LINEAR)
    corners = cv2.warpAffine(shading, matrix, (new_w, new_h), flags=cv2.INTER_LINEAR,
                             borderMode=cv2.BORDER_REPLICATE)
    inside = cv2.warpAffine(np.full((h, w), 255, np.uint8), matrix, (new_w, new_h), flags=cv2.INTER_NEAREST,
                            borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    uncovered = inside == 0
    turned[uncovered] = corners[uncovered]
    return turned, cv2.invertAffineTransform(matrix)


def unlevel_box(box, back: np.ndarray, shape: tuple[int, ...]):
    """A box in the levelled image -> the bounding box of its corners in the original."""
    x, y, w, h = box
    corners = np.array([[x, y, 1], [x + w, y, 1], [x, y + h, 1], [x + w, y + h, 1]], np.float64)
    points = corners @ back.T
    height, width = shape[:2]
    x0, y0 = np.clip(points.min(axis=0), 0, [width - 1, height - 1])
    x1, y1 = np.clip(points.max(axis=0), 0, [width, height])
    return int(x0), int(y0), max(1, int(round(x1 - x0))), max(1, int(round(y1 - y0)))


def _levelled_is_better(levelled: list[float], given: list[float]) -> bool:
    """A levelled reading replaces the page as given when it scores higher; a sure reading
    (not doubtful) only when the levelled one is also surer digit for digit, on average.
    Otherwise a model sure of itself on pieces and crumbs gains by reading more of them: a
    turned copy of a level scan read 18 "digits" at 85% against its 13 at 91% (measured with
    the `accurate` model on the real photos)."""
    if page_score(levelled) <= page_score(given):
        return False
    return is_doubtful(given) or float(np.mean(levelled)) >= float(np.mean(given))


def _box_area(boxes) -> float:
    return float(sum(w * h for _, _, w, h in boxes))


def _turn_is_better(turned: list[float], turned_area: float, best: list[float], best_area: float) -> bool:
    """A turned reading replaces the best so far when it scores TURN_MARGIN more; or, when the
    best is doubtful, when the turned one is sure (not is_doubtful), surer digit for digit on
    average, and its digits cover at least SAME_INK of the area the best's do. A page read on
    its side and levelled falls into pieces, and a model fairly sure of each piece sums to
    more than the page's real digits: with the Keras fast model, a sideways scan of 23 digits
    read levelled as 63 pieces scored 30.1 (mean 0.74, 65% sure) against 16.6 (mean 0.86, 91%
    sure) read a quarter turn round. The area keeps a few sure pieces from beating a page."""
    if page_score(turned) > page_score(best) + TURN_MARGIN:
        return True
    return (is_doubtful(best) and not is_doubtful(turned)
            and float(np.mean(turned)) > (float(np.mean(best)) if best else 0.0)
            and turned_area >= SAME_INK * best_area)


def read_upright(read: Callable, image: np.ndarray, confidences: Callable, boxes_of: Callable,
                 with_boxes: Callable, slant_of: Optional[Callable] = None, rows_of: Optional[Callable] = None):
    """The best reading of `image` over quarter turns and a levelling of tilted lines.

    `read(image)` gives a reading, `confidences(reading)` its digits' confidences,
    `boxes_of(reading)` their boxes, `with_boxes(reading, fn)` a copy with each box mapped by fn,
    `slant_of(reading)` the angle of the ruled lines found at a slant, if any, `rows_of(reading)`
    what it reads, row by row: a levelling that reads the same is not taken.
    The page as given is levelled first (a tilted page reads doubtfully too); only a reading
    still doubtful tries the turns, and a turn must win by TURN_MARGIN. Turns that score
    within CLOSE_TURN of the best one are each levelled, and the best levelled reading kept.
    """

    def levelled(picture, reading):
        """(reading, matrix back or None): `picture` read level when its lines slope.

        The slope is that of the digits' rows (text_angle and profile_angle, each tried where
        they differ) and, on a ruled page held at an
        angle, that of its lines: the writing runs along them, and where the lines' crumbs or
        digits cut in pieces scatter the boxes, the rows' slope is lost (measured on the wider
        camera-like set)."""
        angles: list[float] = []
        boxes = boxes_of(reading)
        measured = []
        for rows in (text_angle(boxes), profile_angle(boxes)):
            steep = rows - np.copysign(90.0, rows) if abs(rows) > 45.0 - AMBIGUOUS else None
            measured += [rows, steep]
        for angle in (*measured, slant_of(reading) if slant_of else None):
            if angle is not None and abs(angle) >= MIN_SKEW and all(abs(angle - a) >= MIN_SKEW for a in angles):
                angles.append(angle)
        best, best_back = reading, None
        given_rows = rows_of(reading) if rows_of is not None and angles else None
        for angle in angles:
            turned, back = level(picture, angle)
            again = read(turned)
            if given_rows is not None and rows_of(again) == given_rows:
                # The very digits and rows of the page as given, only surer: nothing gained but
                # a resampled page whose boxes, turned there and back, grow past the digits'.
                # A model reads digits turned 10-15 degrees nearly as well as upright ones: a
                # level page of staggered rows (links sloping from row to row) was levelled
                # when its turned copy scored a hair higher (4.24 against 4.20), and the boxes
                # of its 1s grew from 8 to 31 pixels wide. Measured with the default models:
                # camera-like set 98.49 -> 98.54% in both frameworks (the wider set, whose true
                # boxes on turned pages are the corners' bounds, 92.68 -> 92.54% and
                # 93.03 -> 92.89%, every frame read the same); the real photos as taken unchanged.
                continue
            if _levelled_is_better(confidences(again), confidences(best)):
                best, best_back = again, back
        return best, best_back

    given = read(image)
    best, back = levelled(image, given)
    quarters = 0
    if is_doubtful(confidences(best)):
        # The turns are tried on a reduced copy (a quarter of the pixels or fewer), against the
        # page as given at that size; only a winning turn is read again at full size.
        factor = min(1.0, QUICK_SIDE / max(image.shape[:2]))
        quick = image if factor == 1.0 else cv2.resize(
            image, (max(8, round(image.shape[1] * factor)), max(8, round(image.shape[0] * factor))),
            interpolation=cv2.INTER_AREA)
        # Against the page as given and unlevelled, read at the same size as the turns.
        as_given = page_score(confidences(read(quick) if factor < 1.0 else given))
        scores = {q: page_score(confidences(read(turn(quick, q)))) for q in (1, 3, 2)}
        top = max(scores.values())
        # The turns that win, and those that come close to the winner: tilted pages read
        # unlevelled score alike either way up, and the one that levels better decides.
        winners = [q for q in (1, 3, 2) if scores[q] > as_given + TURN_MARGIN
                   and scores[q] >= top - max(TURN_MARGIN, CLOSE_TURN * abs(top))]
        best_area = _box_area(boxes_of(best))

        def better(reading) -> bool:
            return _turn_is_better(confidences(reading), _box_area(boxes_of(reading)), confidences(best), best_area)

        turned_best, turned_score = None, -np.inf
        for q in winners:
            reading = read(turn(image, q))
            if better(reading):
                reading, to_back = levelled(turn(image, q), reading)
                if page_score(confidences(reading)) > turned_score and better(reading):
                    turned_best, turned_score = (reading, q, to_back), page_score(confidences(reading))
        if turned_best is not None:
            best, quarters, back = turned_best
    upright_shape = turn(image, quarters).shape if quarters else image.shape

    def to_original(box):
        if back is not None:
            box = unlevel_box(box, back, upright_shape)
        return unturn_box(box, quarters, image.shape)

    return with_boxes(best, to_original)
