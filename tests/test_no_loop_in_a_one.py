"""A 1 is one stroke: a digit whose ink closes round paper is never read as a 1 or a 7.

A long-tailed 9 whose loop is tiny fits 20x20 by its height, the loop shrinks to a pixel or
two, and the model reads a 1 (real photos: Abraham9511 5 read "131..." for "139...", the model
at 35% for 1 and 21% for 9). Measured at the reading's own size (digits.WORK_SIZE), the loop
is plain: every 1 read right on the real photos closes round at most half a pen squared.
"""

from __future__ import annotations

import cv2
import numpy as np

from mnist_cnn.reading.digits import closes_round_paper
from mnist_cnn.reading.reader import read_image


class OneThenNine:
    """A stand-in model that reads everything as the tiny-looped 9 was read: 1 first, then 9."""

    def predict_proba(self, images: np.ndarray) -> np.ndarray:
        p = np.array([0.03, 0.35, 0.03, 0.04, 0.02, 0.03, 0.01, 0.07, 0.20, 0.22], np.float32)
        return np.tile(p, (len(images), 1))


def _page(loop: bool) -> np.ndarray:
    """A white page with one tall stroke, with or without a small loop at its top (a 9 written
    with a long tail), dark blue ballpoint."""
    page = np.full((400, 300, 3), 235, np.uint8)
    cv2.line(page, (160, 110), (150, 330), (90, 40, 30), 6)
    if loop:
        cv2.ellipse(page, (146, 100), (16, 20), 0, 0, 360, (90, 40, 30), 6)
    return page


def test_a_loop_is_a_hole_of_a_few_pens_squared_not_a_pinhole():
    ring = np.zeros((80, 40), np.uint8)
    cv2.circle(ring, (20, 20), 12, 1, 4)            # a hole about 16 pens squared
    assert closes_round_paper(ring)
    stroke = np.zeros((80, 20), np.uint8)
    stroke[:, 8:12] = 1
    assert not closes_round_paper(stroke)           # no hole at all
    pinhole = np.zeros((80, 20), np.uint8)
    pinhole[:, 6:14] = 1
    pinhole[30:32, 9:11] = 0                         # a gap where the pen wavered: 4 pixels
    assert not closes_round_paper(pinhole)


def test_a_tall_digit_closing_round_paper_is_read_as_its_best_digit_with_a_loop():
    assert read_image(OneThenNine(), _page(loop=True)).text == "9"


def test_a_plain_stroke_is_still_read_as_a_one():
    assert read_image(OneThenNine(), _page(loop=False)).text == "1"
