"""What is not writing stays out of the reading: a column of 1s is not a ruled line, the crumbs
a wavering grid line leaves are not 1s, and a page's edge is not a 1.

Each rule came from a failure on the real photos (benchmarks/real_photos.py); these tests
build the same situation on synthetic pictures, so no model and no MNIST are needed.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from mnist_cnn.reading.digits import extract_digits
from mnist_cnn.reading.ink import _drop_line_ghosts, remove_lines

from .photos import SureOfZero


def _column_of_ones(mask: np.ndarray, x: int, jitter: int, seed: int = 0) -> None:
    """Thin-pen 1s, one per row, standing in a loose column (each a little slanted)."""
    rng = np.random.default_rng(seed)
    for k in range(5):
        top = 20 + 115 * k
        dx = int(rng.integers(-jitter, jitter + 1))
        slant = int(rng.integers(-6, 7))
        cv2.line(mask, (x + dx, top), (x + dx + slant, top + 85), 1, 7)


def test_a_column_of_ones_is_not_a_ruled_line_but_a_dashed_line_is():
    mask = np.zeros((600, 800), np.uint8)
    _column_of_ones(mask, 60, jitter=12)
    ones = mask.copy()
    # A faint ruled line down the margin, fallen apart into dashes: straight, thin, one path.
    for top in range(0, 600, 80):
        cv2.line(mask, (400, top), (400, top + 60), 1, 2)

    cleaned = remove_lines(mask)

    assert (cleaned & ones).sum() == ones.sum()  # every 1 kept whole
    assert cleaned[:, 395:406].sum() == 0        # the dashed line gone


def _labelled(weak: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    _, labels, stats, _ = cv2.connectedComponentsWithStats(weak, connectivity=8)
    return labels, stats


def test_crumbs_along_an_erased_line_are_dropped_and_a_digit_on_the_line_is_kept():
    erased = np.zeros((300, 300), np.uint8)
    erased[20:280, 100:104] = 1  # a grid line, taken out of the mask
    weak = np.zeros_like(erased)
    weak[40:120, 104:106] = 1    # where the pen wavered: a sliver beside the line, left over
    cv2.circle(weak, (130, 200), 24, 1, 5)  # a 0 whose side touches the line
    weak &= 1 - erased
    labels, stats = _labelled(weak)
    crumb, digit = labels[80, 105], labels[200, 154]

    kept = _drop_line_ghosts(labels, stats, erased)

    assert not (kept == crumb).any()
    assert (kept == digit).sum() == (labels == digit).sum()


def test_nothing_is_dropped_when_no_line_was_erased():
    weak = np.zeros((100, 100), np.uint8)
    weak[10:90, 50:52] = 1
    labels, stats = _labelled(weak)
    assert np.array_equal(_drop_line_ghosts(labels, stats, np.zeros_like(weak)), labels)


def _page_with_an_edge() -> np.ndarray:
    """Three dark rings (0s) in a row on white paper, and a dark stroke as tall as they are
    against the left edge: the edge of a page, or a 1 framed tightly."""
    page = np.full((480, 640, 3), 235, np.uint8)
    for x in (250, 350, 450):
        cv2.ellipse(page, (x, 240), (28, 40), 0, 0, 360, (30, 30, 30), 7)
    cv2.line(page, (4, 200), (4, 280), (30, 30, 30), 7)
    return page


def test_the_edge_of_a_page_is_not_read_as_a_digit():
    found = extract_digits(_page_with_an_edge())
    assert [d.box[0] > 150 for d in found.digits] == [True] * 3


def test_in_a_region_the_user_chose_a_stroke_against_its_edge_is_kept():
    # The same picture as a region: its left stroke may be a 1 the user framed tightly.
    found = extract_digits(_page_with_an_edge(), roi=(0, 0, 640, 480))
    assert [d.box[0] < 10 for d in found.digits] == [True, False, False, False]


def test_predict_keeps_the_edge_stroke_only_inside_a_region():
    from mnist_cnn.reading.reader import read_image

    page = _page_with_an_edge()
    assert len(read_image(SureOfZero(), page).digits) == 3
    assert len(read_image(SureOfZero(), page, roi=(0, 0, 640, 480)).digits) == 4


def _rings_and_a_stroke(stroke_width: int, rings: tuple[int, ...] = (150, 250, 350)) -> np.ndarray:
    """0s written with a 9-pixel pen at `rings` (x), and a straight stroke (a 1?) of the given width."""
    page = np.full((480, 640, 3), 235, np.uint8)
    for x in rings:
        cv2.ellipse(page, (x, 240), (28, 40), 0, 0, 360, (30, 30, 30), 9)
    cv2.line(page, (480, 200), (480, 280), (30, 30, 30), stroke_width)
    return page


def test_a_hairline_among_digits_of_a_broad_pen_is_not_a_digit():
    found = extract_digits(_rings_and_a_stroke(1))
    assert [d.box[0] < 400 for d in found.digits] == [True] * 3


def test_a_1_written_with_the_same_pen_is_kept():
    found = extract_digits(_rings_and_a_stroke(9))
    assert [d.box[0] < 400 for d in found.digits] == [True, True, True, False]


def _two_ruled_lines(width: int = 640, height: int = 220) -> np.ndarray:
    page = np.full((height, width, 3), 235, np.uint8)
    for y in (60, 150):
        cv2.line(page, (10, y), (width - 10, y), (60, 60, 60), 2)
    return page


@pytest.mark.parametrize("height", [220, 640])
def test_the_sides_of_printed_boxes_are_not_1s_and_a_1_filling_its_box_is(height):
    # 640: the row of boxes photographed with paper above and below it, 5 times its height in all
    page = _two_ruled_lines(height=height)
    for k in range(9):  # eight boxes, 70 pixels apart
        cv2.line(page, (20 + 70 * k, 60), (20 + 70 * k, 150), (60, 60, 60), 2)
    for k in range(8):
        centre = 55 + 70 * k
        if k == 3:  # a 1 from the line above to the line below, in the middle of its box
            cv2.line(page, (centre, 62), (centre, 148), (20, 20, 20), 5)
        else:
            cv2.ellipse(page, (centre, 105), (17, 30), 0, 0, 360, (20, 20, 20), 5)

    found = extract_digits(page)

    assert [round((d.box[0] + d.box[2] / 2 - 55) / 70) for d in found.digits] == list(range(8))


@pytest.mark.parametrize("height", [220, 640])
def test_a_row_of_1s_between_ruled_lines_is_not_a_row_of_boxes(height):
    page = _two_ruled_lines(height=height)
    for k in range(9):
        cv2.line(page, (20 + 70 * k, 62), (20 + 70 * k, 148), (20, 20, 20), 5)
    assert len(extract_digits(page).digits) == 9


def test_marker_1s_spanning_a_ruled_row_between_other_digits_are_not_box_sides():
    # A marker's strokes are thicker than the ruled lines: 1s from line to line, evenly spaced
    # with a 0 between each two, on a page 5 times the row's height, are digits, not boxes.
    page = _two_ruled_lines(height=640)
    for k in range(5):
        cv2.line(page, (40 + 140 * k, 62), (40 + 140 * k, 148), (20, 20, 20), 9)
    for k in range(4):
        cv2.ellipse(page, (110 + 140 * k, 105), (17, 30), 0, 0, 360, (20, 20, 20), 9)
    assert len(extract_digits(page).digits) == 9


def test_a_small_flat_digit_is_kept_and_a_dash_is_not():
    # A scanned page (smallest digit 2% of 1280 = 25.6 pixels): 0s 45 pixels tall, one written
    # flat (23 tall, 35 wide, as the squashed 2s of a real scan), and a dash.
    page = np.full((1280, 1280, 3), 235, np.uint8)
    for x in (200, 260, 320):
        cv2.ellipse(page, (x, 400), (12, 19), 0, 0, 360, (30, 30, 30), 3)
    cv2.ellipse(page, (380, 405), (14, 8), 0, 0, 360, (30, 30, 30), 3)
    cv2.line(page, (430, 405), (455, 405), (30, 30, 30), 4)

    found = extract_digits(page)

    assert [round(d.box[0] + d.box[2] / 2) for d in found.digits] == [200, 260, 320, 380]


def test_a_small_0_beside_tall_digits_is_kept_and_a_blot_of_its_size_is_not():
    # Tall 1s (120 pixels) and, between them, a 0 written a third as tall and a filled blot.
    page = np.full((720, 960, 3), 235, np.uint8)
    for x in (200, 300, 500, 600):
        cv2.line(page, (x, 300), (x, 420), (30, 30, 30), 6)
    cv2.ellipse(page, (400, 400), (16, 20), 0, 0, 360, (30, 30, 30), 5)  # a small 0
    cv2.ellipse(page, (700, 400), (16, 20), 0, 0, 360, (30, 30, 30), -1)  # a blot

    found = extract_digits(page)

    assert [round(d.box[0] + d.box[2] / 2) for d in found.digits] == [200, 300, 400, 500, 600]


def test_a_long_tailed_9_is_shortened_to_mnists_tallest_and_a_1_is_not():
    from mnist_cnn.reading.digits import TALLEST, shorten_tail

    nine = np.zeros((200, 50), np.uint8)  # a small loop on a tail four times its width
    cv2.circle(nine, (25, 25), 20, 1, 6)
    cv2.line(nine, (44, 25), (40, 199), 1, 6)
    one = np.zeros((200, 12), np.uint8)
    one[:, 3:9] = 1

    shortened = shorten_tail(nine)

    assert shortened.shape == (round(TALLEST * 50), 50)
    assert shorten_tail(one) is one


def test_a_narrow_long_7_is_shortened_too():
    # Its bar is three pens wide: more than a 1 ever is (a 1 is one pen wide, 2.5 at most).
    from mnist_cnn.reading.digits import TALLEST, shorten_tail

    seven = np.zeros((200, 18), np.uint8)
    seven[:6, :] = 1
    cv2.line(seven, (14, 3), (6, 199), 1, 6)
    assert shorten_tail(seven).shape == (round(TALLEST * 18), 18)


def test_a_long_tailed_9_is_also_shown_squashed_further_and_a_1_is_not():
    """A 9 whose tail is four times its loop's width is shown to the model twice over: squashed
    to MNIST's tallest, and to SQUASHED, where its loop is larger; the middle view, the one shown
    to the user, stays MNIST's pen of the first. A 1 is shown once."""
    from mnist_cnn.reading.digits import SQUASHED, TALLEST
    from mnist_cnn.reading.strokes import PENS

    page = np.full((400, 300), 230, np.uint8)
    cv2.circle(page, (100, 100), 20, 20, 5)
    cv2.line(page, (118, 100), (114, 280), 20, 5)
    cv2.line(page, (220, 80), (220, 280), 20, 5)

    nine, one = extract_digits(page).digits

    assert len(nine.views) == 2 * len(PENS) and len(one.views) == len(PENS)
    assert SQUASHED < TALLEST

    def aspect(view):
        ys, xs = np.nonzero(view > 127)
        return (np.ptp(ys) + 1) / (np.ptp(xs) + 1)

    # The first and last views are the further squashed ones: wider for their height.
    assert aspect(nine.views[0]) < aspect(nine.views[len(PENS) // 2 + 1]) - 0.2
    assert aspect(nine.views[-1]) < aspect(nine.views[len(PENS) // 2 + 1]) - 0.2
    assert np.array_equal(nine.image, nine.views[len(nine.views) // 2])


def test_a_hairline_beside_two_digits_is_not_a_digit():
    # Three pieces are enough to tell the page's pen from a stray hairline.
    found = extract_digits(_rings_and_a_stroke(1, rings=(150, 250)))
    assert [d.box[0] < 400 for d in found.digits] == [True, True]
