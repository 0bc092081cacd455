"""A page levelled for a second reading is the same page on a larger canvas: it is read at the
page's scale and with the ink polarity decided on the page as given.

The failures they stand for were measured on the real photos turned 30 degrees
(`benchmarks.real_photos --turn 30`): a scan of 100 small digits, read as given at a slant,
was levelled onto a canvas 1.4 times as long, reduced with it, and its digits fell under the
smallest digit size; and the canvas's filled corners made the white page pass for chalk.
"""

from __future__ import annotations

import cv2
import numpy as np

from mnist_cnn.reading.digits import extract_digits
from mnist_cnn.reading.orientation import level

from .photos import SureOfZero


def _page_of_small_sevens(size: int = 16) -> np.ndarray:
    """32 strokes shaped like 7s, `size` pixels tall (1.3% of the page's short side)."""
    page = np.full((1200, 1600), 220, np.uint8)
    for r in range(4):
        for c in range(8):
            x, y = 200 + 160 * c, 200 + 200 * r
            stroke = np.array([[x, y], [x + 0.6 * size, y], [x + 0.2 * size, y + size]], np.int32)
            cv2.polylines(page, [stroke], False, 40, 3)
    return page


def test_small_writing_on_a_levelled_canvas_is_judged_against_its_page():
    page = _page_of_small_sevens()
    assert len(extract_digits(page).digits) == 32
    canvas, _ = level(page, 30.0)
    assert max(canvas.shape) > 1.2 * max(page.shape)
    assert len(extract_digits(canvas, page=page.shape).digits) == 32
    # Judged against the canvas, as before, a third of them were specks.
    assert len(extract_digits(canvas).digits) < 32


def test_the_ink_polarity_is_decided_once_on_the_page_as_given(monkeypatch):
    from mnist_cnn.reading import reader

    page = np.full((480, 640), 235, np.uint8)  # a page of strokes, tilted: it is levelled
    for k in range(6):
        cv2.line(page, (140 + 70 * k, 150), (130 + 70 * k, 330), 30, 6)
    turned, _ = level(page, 25.0)
    asked, got = [], []
    read = reader._read

    def spy(classifier, image, roi, polarity, *args, **kwargs):
        asked.append(polarity)
        reading = read(classifier, image, roi, polarity, *args, **kwargs)
        got.append(reading.polarity)
        return reading

    monkeypatch.setattr(reader, "_read", spy)
    reader.read_image(SureOfZero(), turned)
    # The page as given decides; its levelled and turned copies are read with that polarity.
    assert len(asked) >= 2 and asked[0] == "auto"
    assert asked[1:] == [got[0]] * (len(asked) - 1)
