"""A page on its side, levelled, falls into pieces: a quarter turn that reads it surely wins.

A model fairly sure of each piece of a sideways digit sums to a higher page score than the
page's real digits read surely a quarter turn round (measured with the Keras fast model on a
sideways scan of 23 digits: 63 pieces scored 30.1 against 16.6). The reading is a stand-in
here, keyed on the shape of the picture it is given, so that only the choice is tested.
"""

from __future__ import annotations

import numpy as np

from mnist_cnn.reading.orientation import read_upright

H, W = 300, 400  # the page as given: landscape


def _reading(confidences, boxes):
    return {"conf": list(confidences), "boxes": list(boxes)}


# As given: a few doubtful "digits" along a 30-degree slope, so levelling is tried.
AS_GIVEN = _reading([0.55] * 8, [(40 + 30 * k, 40 + 17 * k, 20, 30) for k in range(8)])
# Levelled: 63 pieces, 41 of them sure: score 30.6, mean 0.74, 65% sure (doubtful).
PIECES = _reading([0.9] * 41 + [0.45] * 22, [(5 + 6 * (k % 60), 60 + 40 * (k // 60), 10, 15) for k in range(63)])


def _choose(quarter_turn):
    def read(picture):
        if picture.shape[:2] == (W, H):  # a quarter turn either way
            return quarter_turn
        if picture.shape[0] > H and picture.shape[1] > W:  # the levelled canvas
            return PIECES
        return AS_GIVEN  # as given, or a half turn

    page = np.zeros((H, W), np.uint8)
    return read_upright(read, page, lambda r: r["conf"], lambda r: r["boxes"], lambda r, fn: r)


def test_a_sure_quarter_turn_beats_a_higher_scoring_reading_of_pieces():
    # 23 digits in a level row, 21 sure: score 16.8, mean 0.87, 91% sure; they cover the page's ink.
    upright = _reading([0.9] * 21 + [0.5] * 2, [(10 + 17 * k, 100, 15, 30) for k in range(23)])
    assert _choose(upright) is upright


def test_a_few_sure_pieces_do_not_beat_a_page():
    # 3 sure digits covering a fifth of what the pieces cover: the page of pieces stays.
    few = _reading([0.95] * 3, [(10 + 40 * k, 100, 15, 20) for k in range(3)])
    assert _choose(few) is PIECES


def test_a_turn_that_scores_more_still_wins_as_before():
    many = _reading([0.99] * 40, [(10 + 9 * k, 100, 8, 30) for k in range(40)])
    assert _choose(many) is many


def test_a_sure_turn_wins_over_a_page_that_read_nothing():
    from mnist_cnn.reading.orientation import _turn_is_better

    assert _turn_is_better([0.9, 0.9, 0.95], 900.0, [], 0.0)
    assert not _turn_is_better([0.9, 0.9, 0.95], 900.0, [0.99] * 10, 5000.0)
