"""A ruled page held at an angle: its lines are erased at any slant, its digits are kept, and
levelling it for a second reading makes no ink in the corners the turn uncovers.

Synthetic pictures only (no model, no MNIST). The failure they stand for was measured on the
wider camera-like set (`benchmarks.camera_like_set --wide`): ruled pages turned 12-35 degrees.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from mnist_cnn.reading.digits import extract_digits
from mnist_cnn.reading.ink import ink_map, remove_lines
from mnist_cnn.reading.orientation import level
from mnist_cnn.reading.steep_lines import line_angle

H, W = 480, 640


def _direction(angle: float) -> tuple[float, float]:
    a = np.deg2rad(angle)
    return float(np.cos(a)), float(np.sin(a))


GAP = 56  # between ruled lines; the digits are written between two of them


def _ruled(picture: np.ndarray, angle: float, colour, gap: int = GAP, width: int = 2) -> None:
    """Ruled lines `gap` apart across the whole picture, at `angle` degrees (y downwards)."""
    dx, dy = _direction(angle)
    nx, ny = -dy, dx  # across the lines
    reach = 2 * max(H, W)
    for k in range(-reach // gap, reach // gap):
        cx, cy = W / 2 + k * gap * nx, H / 2 + k * gap * ny
        p = (int(cx - reach * dx), int(cy - reach * dy))
        q = (int(cx + reach * dx), int(cy + reach * dy))
        cv2.line(picture, p, q, colour, width)


def _digits_along(picture: np.ndarray, angle: float, colour, count: int = 5) -> list[tuple[int, int]]:
    """`count` 0s (rings) in a row along `angle` through the middle, between two lines."""
    dx, dy = _direction(angle)
    nx, ny = -dy, dx
    centres = []
    for k in range(count):
        t = (k - (count - 1) / 2) * 60
        centre = (int(W / 2 + t * dx + GAP / 2 * nx), int(H / 2 + t * dy + GAP / 2 * ny))
        cv2.ellipse(picture, centre, (12, 18), angle, 0, 360, colour, 4)
        centres.append(centre)
    return centres


@pytest.mark.parametrize("angle", [-30.0, 18.0, 25.0])
def test_ruled_lines_at_a_slant_are_erased_and_the_digits_kept(angle):
    mask = np.zeros((H, W), np.uint8)
    _ruled(mask, angle, 1)
    lines = mask.copy()
    digits = np.zeros_like(mask)
    _digits_along(digits, angle, 1)
    mask |= digits

    cleaned = remove_lines(mask)

    assert (cleaned & digits).sum() >= 0.9 * digits.sum()
    assert (cleaned & lines & (1 - digits)).sum() <= 0.03 * lines.sum()
    # Only the search at a slant does it: the level one leaves such lines as they are.
    assert (remove_lines(mask, steep=False) & lines).sum() >= 0.9 * lines.sum()


def test_a_slanted_row_of_digits_is_not_a_ruled_line():
    mask = np.zeros((H, W), np.uint8)
    _digits_along(mask, 25.0, 1, count=7)
    assert np.array_equal(remove_lines(mask), mask)


def test_the_angle_of_the_lines_is_measured_and_a_blank_or_level_page_has_none():
    mask = np.zeros((H, W), np.uint8)
    _ruled(mask, 22.0, 1)
    assert line_angle(mask, 8) == pytest.approx(22.0, abs=1.0)
    assert line_angle(np.zeros((H, W), np.uint8), 8) is None
    level_lines = np.zeros((H, W), np.uint8)
    _ruled(level_lines, 0.0, 1)
    assert line_angle(level_lines, 8) is None  # the level search's job


def _turned_ruled_page(angle: float) -> tuple[np.ndarray, list[tuple[int, int]]]:
    page = np.full((H, W), 225, np.uint8)
    # Light from one side, as under a lamp: the corners a turn uncovers are not plain paper.
    page = (page * np.linspace(0.8, 1.0, W)[None, :]).astype(np.uint8)
    _ruled(page, angle, 120)
    centres = _digits_along(page, angle, 25, count=4)
    return page, centres


def test_a_ruled_page_at_an_angle_is_read_digit_by_digit():
    page, centres = _turned_ruled_page(24.0)
    found = extract_digits(page)
    assert len(found.digits) == len(centres)
    for digit, (cx, cy) in zip(found.digits, centres):
        x, y, w, h = digit.box
        assert x <= cx <= x + w and y <= cy <= y + h


def test_levelling_a_ruled_page_makes_no_ink_in_the_uncovered_corners():
    page, _ = _turned_ruled_page(-20.0)
    turned, back = level(page, -20.0)
    ys, xs = np.mgrid[0:turned.shape[0], 0:turned.shape[1]]
    ox = back[0, 0] * xs + back[0, 1] * ys + back[0, 2]
    oy = back[1, 0] * xs + back[1, 1] * ys + back[1, 2]
    inside = (ox >= 0) & (ox < W) & (oy >= 0) & (oy < H)
    # The turn itself blurs the picture's edge over a pixel or two: judged a few pixels out.
    corners = cv2.erode((~inside).astype(np.uint8), np.ones((7, 7), np.uint8)) > 0
    mask = ink_map(turned).mask
    assert corners.sum() > 0.1 * corners.size
    assert mask[corners].sum() <= 0.001 * corners.sum()


def test_the_ink_map_reports_the_slant_of_the_lines_it_erased():
    page, _ = _turned_ruled_page(24.0)
    assert ink_map(page).slant == pytest.approx(24.0, abs=1.5)
    plain = np.full((H, W), 225, np.uint8)
    _digits_along(plain, 24.0, 25)
    assert ink_map(plain).slant is None  # a slanted row of digits is no ruled line


def test_a_ruled_page_is_levelled_along_its_lines_when_its_rows_show_no_slope():
    """The page's digits read as given show no slope (one digit, or crumbs and pieces that
    scatter it); its ruled lines lie at 24 degrees: levelling along them is tried, and kept
    because it reads better."""
    from mnist_cnn.reading.orientation import read_upright

    page = np.zeros((H, W), np.uint8)
    as_given = {"conf": [0.4], "boxes": [(100, 100, 20, 30)], "slant": 24.0}
    tried = []

    def read(picture):
        if picture.shape[0] <= H or picture.shape[1] <= W:  # as given, or turned a quarter or half
            return as_given
        tried.append(picture.shape)  # the levelled canvas is larger than the page each way
        return {"conf": [0.95] * 4, "boxes": [(100 + 40 * k, 100, 20, 30) for k in range(4)], "slant": None}

    def upright(slant_of):
        return read_upright(read, page, lambda r: r["conf"], lambda r: r["boxes"], lambda r, fn: r, slant_of=slant_of)

    assert upright(lambda r: r["slant"])["conf"] == [0.95] * 4 and len(tried) == 1
    tried.clear()
    assert upright(None) is as_given and not tried


def test_a_sure_reading_is_not_levelled_into_more_digits_read_less_surely():
    """A model sure of itself on pieces gains page score by reading more of them: a level
    page read surely is kept against a levelled copy with more, less sure "digits"; a page
    that read doubtfully is levelled when that scores higher."""
    from mnist_cnn.reading.orientation import read_upright

    page = np.zeros((H, W), np.uint8)
    row = [(100 + 40 * k, 100 + 12 * k, 20, 30) for k in range(13)]  # sloping 17 degrees

    def upright(given_conf):
        given = {"conf": given_conf, "boxes": row}
        levelled = {"conf": [0.85] * 18, "boxes": row}

        def read(picture):
            return levelled if picture.shape[0] > H and picture.shape[1] > W else given

        return read_upright(read, page, lambda r: r["conf"], lambda r: r["boxes"], lambda r, fn: r)

    assert upright([0.91] * 13)["conf"] == [0.91] * 13       # sure as given: kept
    assert upright([0.55] * 13)["conf"] == [0.85] * 18       # doubtful as given: levelled
