"""A thin line broken into pieces is not a column of 1s.

The dark rim along a page's edge, on a page photographed at an angle on a desk and levelled,
stands upright beside the writing; its contrast varies along it, so the ink search finds it in
pieces end to end, each as tall as a digit and as thin as a 1 (measured on the real photos
turned 12 degrees: a page of 25 digits cropped from a phone photo read with 19 extra 1s
down its two edges).
Synthetic pages, no model.
"""

from __future__ import annotations

import cv2
import numpy as np

from mnist_cnn.reading.digits import extract_digits
from mnist_cnn.reading.segmentation import Blob, in_dashed_lines

H, W = 480, 640


def _page_with_rings(columns: int = 6) -> np.ndarray:
    page = np.full((H, W), 225, np.uint8)
    for c in range(columns):
        cv2.ellipse(page, (120 + 70 * c, 200), (11, 17), 0, 0, 360, 30, 3)
    return page


def test_a_line_in_pieces_beside_a_row_is_left_out():
    page = _page_with_rings()
    assert len(extract_digits(page).digits) == 6
    for k in range(5):  # five dashes 36 pixels tall, 4 apart, down the page's left side
        cv2.line(page, (50, 60 + 40 * k), (53, 93 + 40 * k), 40, 3)
    found = extract_digits(page).digits
    assert len(found) == 6
    assert all(d.box[0] > 80 for d in found)


def test_ones_written_one_per_line_stay_digits():
    page = _page_with_rings()
    for k in range(5):  # a column of 1s, a line apart (gaps of half their height)
        cv2.line(page, (50, 60 + 54 * k), (50, 94 + 54 * k), 30, 3)
    found = extract_digits(page).digits
    assert len(found) == 11
    assert sum(1 for d in found if d.box[0] < 80) == 5


def test_the_chain_rule_itself():
    dashes = [Blob(50 + k, 60 + 38 * k, 4, 34, 130) for k in range(5)]  # leaning a little
    assert in_dashed_lines(dashes) == set(range(5))
    assert in_dashed_lines(dashes[:3]) == set()  # three pieces could be 1s written close
    apart = [Blob(50, 60 + 80 * k, 4, 34, 130) for k in range(5)]
    assert in_dashed_lines(apart) == set()
    broad = [Blob(50, 60 + 38 * k, 20, 34, 400) for k in range(5)]  # digits, not strokes
    assert in_dashed_lines(broad) == set()


def test_a_line_whose_pieces_joined_does_not_make_the_digits_specks():
    """Pieces close enough join into one thin blob five digits tall: among few blobs it was the
    tallest, every digit looked a speck beside it, and the page read as one "1"."""
    page = _page_with_rings()
    for k in range(6):
        cv2.line(page, (50, 60 + 38 * k), (53, 93 + 38 * k), 40, 3)
    found = extract_digits(page).digits
    assert len(found) == 6
    assert all(d.box[0] > 80 for d in found)


def test_a_broad_band_of_shade_does_not_make_the_digits_specks():
    """The same for a broad blob: the shaded corner of a page on a desk, levelled, joined to its
    edge, stood many digits tall beside ten 7s (measured on the real photos turned 30 degrees:
    the page read as one "1"). Taken as the tallest digit it made every 7 a speck."""
    page = _page_with_rings()
    band = np.zeros((H, W), np.uint8)  # a ragged band of shade, eight digits tall
    cv2.fillPoly(band, [np.array([[600, 80], [630, 80], [630, 360], [520, 360]], np.int32)], 1)
    page[(band > 0) & (np.random.default_rng(0).random((H, W)) < 0.5)] = 70
    found = extract_digits(page).digits
    assert len(found) == 6
    assert all(d.box[0] < 500 for d in found)


def test_a_line_in_pieces_at_a_slant_is_left_out():
    """A page levelled by its writing leaves its edge at a slant, in pieces that pass for 1s and
    7s (measured on the real photos with a quarter of their size added round them: a page of 14
    digits read with 20 extra). Three pieces are enough there: 1s written one per line stand
    upright in their column, or lean off it."""
    page = _page_with_rings()
    for k in range(3):  # three dashes 40 pixels long, 5 apart, down a 40-degree line
        x0, y0 = 40 + 36 * k, 300 + 30 * k
        cv2.line(page, (x0, y0), (x0 + 30, y0 + 25), 40, 3)
    found = extract_digits(page).digits
    assert len(found) == 6
    assert all(d.box[1] + d.box[3] < 260 for d in found)


def test_ones_leaning_one_per_line_stay_digits():
    page = _page_with_rings()
    for k in range(5):  # a column of 1s leaning 20 degrees, a line apart
        cv2.line(page, (62, 60 + 54 * k), (50, 94 + 54 * k), 30, 3)
    found = extract_digits(page).digits
    assert sum(1 for d in found if d.box[0] < 80) == 5


def test_a_page_s_two_edges_inside_the_picture_do_not_make_the_digits_specks():
    """A page on a desk of nearly its own grey, photographed from further away: its left and
    right edges stand inside the picture, each six digits tall. As the two tallest blobs they
    made every digit a speck (measured on the real photos with a quarter of their size added
    round them: a page of 25 digits read as "11")."""
    page = _page_with_rings()
    cv2.line(page, (30, 100), (30, 300), 40, 3)
    cv2.line(page, (610, 120), (610, 330), 40, 3)
    found = extract_digits(page).digits
    assert len(found) == 6
    assert all(80 < d.box[0] < 580 for d in found)


def test_the_edges_are_lines_beside_a_long_tailed_digit_too():
    """A 9 with a long tail comes nearer the edges' height than the threefold of "far taller";
    the edges are still thin strokes three times as tall as the usual blob."""
    page = _page_with_rings()
    cv2.line(page, (30, 100), (30, 300), 40, 3)
    cv2.line(page, (610, 120), (610, 330), 40, 3)
    cv2.ellipse(page, (540, 200), (11, 17), 0, 0, 360, 30, 3)
    cv2.line(page, (551, 200), (546, 290), 30, 3)  # the 9's tail: 90 pixels tall in all
    found = extract_digits(page).digits
    assert len(found) == 7
    assert all(80 < d.box[0] < 580 for d in found)
