"""A broad pen blurs the gap between close strokes shut; cut tighter, it opens again.

A "C" drawn with a felt pen whose ends nearly meet, photographed a little out of focus: cut
at half its peak strength (the usual cut), its ends join into a loop (an 0 where a 3's or a
4's gap was); cut at digits.TIGHT_CUT, the fainter gap is paper again. The digit is shown to
the model both ways, each cut weighing alike (the tight views either side, each twice, the
middle view unchanged). A digit drawn with a pen of usual width gets no tight views.
"""

from __future__ import annotations

import cv2
import numpy as np

from mnist_cnn.reading.digits import TIGHT_WEIGHT, extract_digits
from mnist_cnn.reading.ink import enclosed_paper
from mnist_cnn.reading.strokes import PENS


def _c(pen: int, blur: float) -> np.ndarray:
    page = np.full((240, 240), 235, np.uint8)
    cv2.ellipse(page, (120, 120), (50, 60), 0, 15, 345, 30, pen)  # ends 30 degrees apart
    return cv2.GaussianBlur(page, (0, 0), blur)


def _closed(view: np.ndarray) -> bool:
    return bool(enclosed_paper((view > 127).astype(np.uint8)).any())


def test_a_broad_pen_blurred_shut_is_also_shown_cut_tighter_where_it_opens():
    (digit,) = extract_digits(_c(pen=24, blur=6)).digits
    assert len(digit.views) == len(PENS) + 2 * TIGHT_WEIGHT  # the two cuts weigh alike
    tight = digit.views[:TIGHT_WEIGHT] + digit.views[-TIGHT_WEIGHT:]
    usual = digit.views[TIGHT_WEIGHT:-TIGHT_WEIGHT]
    assert len(tight) == len(usual)  # the cut that sees the gap is not outvoted by the other
    assert all(_closed(view) for view in usual)  # the usual cut closes the gap
    assert not any(_closed(view) for view in tight)  # the tight cut opens it
    assert digit.image is digit.views[len(digit.views) // 2]  # the image shown: MNIST's pen, usual cut


def test_a_usual_pen_gets_no_tight_views():
    (digit,) = extract_digits(_c(pen=8, blur=2)).digits
    assert len(digit.views) == len(PENS)
