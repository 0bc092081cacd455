"""A 1 is one stroke: a digit whose ink closes round paper is never read as a 1, and with the
loop in its upper half never as a 7.

A long-tailed 9 whose loop is tiny fits 20x20 by its height, the loop shrinks to a pixel or
two, and the model reads a 1 or a 7 (real photos: Abraham9511 5 read "131..." for "139...",
the model at 35% for 1 and 21% for 9). Measured at the reading's own size (digits.WORK_SIZE),
the loop is plain: every 1 read right on the real photos closes round at most half a pen
squared. A crossed 7 may close a little paper low on its stem, never at its top.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from mnist_cnn.reading.digits import loop_heights
from mnist_cnn.reading.reader import read_image

from .photos import BALLPOINT, FirstThen


def _page(loop_at: str | None) -> np.ndarray:
    """A white page with one tall stroke; with a small loop at its top (a 9 written with a long
    tail) or low on it, or none."""
    page = np.full((400, 300, 3), 235, np.uint8)
    cv2.line(page, (160, 110), (150, 330), BALLPOINT, 6)
    if loop_at == "top":
        cv2.ellipse(page, (146, 100), (16, 20), 0, 0, 360, BALLPOINT, 6)
    elif loop_at == "low":
        cv2.ellipse(page, (140, 270), (16, 20), 0, 0, 360, BALLPOINT, 6)
    return page


def test_a_loop_is_a_hole_of_a_few_pens_squared_and_its_height_is_where_it_is():
    ring = np.zeros((80, 40), np.uint8)
    cv2.circle(ring, (20, 20), 12, 1, 4)            # a hole about 16 pens squared, high up
    (height,) = loop_heights(ring)
    assert height == pytest.approx(20 / 80, abs=0.03)
    stroke = np.zeros((80, 20), np.uint8)
    stroke[:, 8:12] = 1
    assert loop_heights(stroke) == ()                # no hole at all
    pinhole = np.zeros((80, 20), np.uint8)
    pinhole[:, 6:14] = 1
    pinhole[30:32, 9:11] = 0                         # a gap where the pen wavered: 4 pixels
    assert loop_heights(pinhole) == ()


def test_a_tall_digit_with_a_loop_at_its_top_is_neither_a_one_nor_a_seven():
    assert read_image(FirstThen(1, 9), _page("top")).text == "9"
    assert read_image(FirstThen(7, 9), _page("top")).text == "9"


def test_a_loop_low_on_the_stem_rules_out_a_one_but_not_a_seven():
    assert read_image(FirstThen(1, 2), _page("low")).text == "2"
    assert read_image(FirstThen(7, 2), _page("low")).text == "7"


def test_a_plain_stroke_is_read_as_the_model_reads_it():
    assert read_image(FirstThen(1, 9), _page(None)).text == "1"
    assert read_image(FirstThen(7, 9), _page(None)).text == "7"
