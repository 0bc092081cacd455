"""Rows of sparse digits held at an angle: their slope is measured from every pair of digits on
one line, not only from each digit's nearest neighbour.

Two rows of ten digits spaced wider than the rows, the second row's digits half a step along:
each digit's nearest neighbour is in the other row, and the links measure the slope badly (here
-3 degrees for 30). On the real photo of two such rows turned 30 degrees (`benchmarks.real_photos
--turn 30`) they measured 21, and the page was read unlevelled, 10 of its 20 digits right.
Boxes and a stand-in reading: no model.
"""

from __future__ import annotations

import numpy as np
import pytest

from mnist_cnn.reading.orientation import level, profile_angle, read_upright, text_angle

H, W = 600, 900


def _staggered_rows(angle: float, step: float = 3.0, between: float = 2.6, count: int = 10,
                    height: int = 30) -> list[tuple[int, int, int, int]]:
    """Boxes of two rows of `count` digits `step` heights apart, the rows `between` heights
    apart and the second one half a step along, turned `angle` degrees (y grows down)."""
    a = np.radians(angle)
    boxes = []
    for row in range(2):
        for k in range(count):
            x, y = (k + 0.5 * row) * step * height, row * between * height
            cx, cy = 150 + x * np.cos(a) - y * np.sin(a), 150 + x * np.sin(a) + y * np.cos(a)
            boxes.append((int(cx - 10), int(cy - height / 2), 20, height))
    return boxes


@pytest.mark.parametrize("angle", [0.0, 12.0, 30.0, -30.0])
@pytest.mark.parametrize("step, between", [(3.0, 2.6), (3.6, 2.4), (3.0, 1.6)])
def test_staggered_rows_are_measured_along_the_rows(angle, step, between):
    boxes = _staggered_rows(angle, step, between)
    assert profile_angle(boxes) == pytest.approx(angle, abs=1.0)


def test_the_nearest_neighbour_links_miss_them():
    # Why both measures are kept: the links cross between the rows here.
    assert abs(text_angle(_staggered_rows(30.0)) - 30.0) > 20.0


def test_profile_angle_folds_columns_and_needs_three_digits():
    column = [(100, 60 * k, 20, 30) for k in range(8)]
    assert profile_angle(column) == pytest.approx(0.0, abs=1.0)  # an upright column: nothing to level
    assert profile_angle(column[:2]) == 0.0


def test_a_page_of_sparse_rows_at_30_degrees_is_read_level():
    page = np.zeros((H, W), np.uint8)
    given = {"conf": [0.5] * 20, "boxes": _staggered_rows(30.0)}
    good = {"conf": [0.95] * 20, "boxes": _staggered_rows(0.0)}
    level_shape = level(page, 30.0)[0].shape
    tried = []

    def read(picture):
        if picture.shape[:2] == (H, W):
            return given
        tried.append(picture.shape)
        return good if picture.shape == level_shape else {"conf": [0.3] * 20, "boxes": given["boxes"]}

    found = read_upright(read, page, lambda r: r["conf"], lambda r: r["boxes"], lambda r, fn: r)
    assert found is good
    assert level_shape in tried


def test_a_levelling_that_reads_the_same_rows_is_not_taken():
    """A level page of two short rows, the second begun further left: the links slope from row
    to row, so a levelling is tried, and the model reads the digits turned that far nearly as
    well, here a little surer. It reads the same rows, so the page as given is kept (levelled,
    its boxes, turned there and back, grew past the digits')."""
    page = np.zeros((H, W), np.uint8)
    boxes = [(420, 260, 40, 50), (510, 260, 10, 56), (560, 254, 46, 58),
             (166, 337, 53, 51), (226, 335, 54, 56), (302, 334, 53, 57)]
    given = {"conf": [0.85] * 6, "boxes": boxes, "rows": ["716", "522"]}
    same = {"conf": [0.95] * 6, "boxes": boxes, "rows": ["716", "522"]}
    other = {"conf": [0.95] * 6, "boxes": boxes, "rows": ["716522"]}
    for levelled, kept in ((same, given), (other, other)):
        tried = []

        def read(picture):
            if picture.shape[:2] == (H, W):
                return given
            tried.append(picture.shape)
            return levelled

        found = read_upright(read, page, lambda r: r["conf"], lambda r: r["boxes"], lambda r, fn: r,
                             rows_of=lambda r: r["rows"])
        assert tried  # a levelling was read
        assert found is kept
