"""Pen width measured on a digit's ink and brought to MNIST's (mnist_cnn.reading.strokes)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from mnist_cnn.reading.strokes import MNIST_WIDTH, stroke_width, to_width


def _drawn(width: int, size: int = 160) -> np.ndarray:
    """A '4'-like digit (three strokes) drawn with OpenCV's round pen of thickness `width`,
    cropped. OpenCV's line is `width` + 2 pixels across for widths over 1 (see _across)."""
    canvas = np.zeros((size, size), np.uint8)
    for p1, p2 in (((40, 10), (20, 100)), ((20, 100), (120, 100)), ((100, 20), (100, 150))):
        cv2.line(canvas, p1, p2, 1, width)
    ys, xs = np.nonzero(canvas)
    return canvas[ys.min():ys.max() + 1, xs.min():xs.max() + 1]


def _across(binary: np.ndarray) -> int:
    """The true pen: the run of ink across the upright stroke of `_drawn`, half way down."""
    row = binary[binary.shape[0] // 2]
    return int(row[row.size // 2:].sum())


def _relative_width(binary: np.ndarray) -> float:
    ys, xs = np.nonzero(binary)
    return stroke_width(binary) / max(np.ptp(ys) + 1, np.ptp(xs) + 1)


@pytest.mark.parametrize("pen", [3, 9, 15, 25])
def test_the_measure_finds_the_pen_that_drew_the_digit(pen):
    digit = _drawn(pen)
    assert stroke_width(digit) == pytest.approx(_across(digit), abs=max(1.0, 0.1 * pen))


@pytest.mark.parametrize("pen", [2, 4, 28, 36])
def test_thin_and_thick_pens_come_out_at_about_mnists_width(pen):
    before = _relative_width(_drawn(pen))
    after = _relative_width(to_width(_drawn(pen)))
    assert abs(before - MNIST_WIDTH) > 0.04  # really far from MNIST's pen...
    assert after == pytest.approx(MNIST_WIDTH, abs=0.025)  # ...and brought to it


def test_hairs_across_a_marker_digit_are_not_its_pen():
    """Ruled lines' stubs left across a felt-pen digit: one pixel wide, every pixel of them on
    the ridge, together longer than the digit's own ridge. The pen is still the marker's, and
    the digit, at about MNIST's width already, is not blown up into a blot."""
    digit = _drawn(15)
    with_hairs = digit.copy()
    with_hairs[[20, 60, 130], :] = 1
    assert stroke_width(with_hairs) == pytest.approx(_across(digit), abs=1.5)
    assert to_width(with_hairs).sum() <= 1.1 * with_hairs.sum()


def test_a_digit_already_at_mnists_width_is_left_nearly_unchanged():
    digit = _drawn(16)  # 18 pixels across a 160-pixel digit: MNIST's width
    assert _relative_width(digit) == pytest.approx(MNIST_WIDTH, abs=0.015)
    out = to_width(digit)
    assert out.shape == digit.shape
    changed = np.count_nonzero(out != digit)
    assert changed <= 0.1 * digit.sum()


def test_thinning_a_marker_keeps_every_stroke():
    """A marker digit with one finer stroke: the broad strokes are thinned to the width, the
    finer one is kept at about the width, not erased by the erosion that thins the others."""
    canvas = np.zeros((200, 200), np.uint8)
    for p1, p2 in (((30, 20), (30, 180)), ((30, 180), (170, 180)), ((170, 20), (170, 180))):
        cv2.line(canvas, p1, p2, 1, 38)  # a U drawn with a felt marker
    cv2.line(canvas, (100, 40), (100, 140), 1, 10)  # a finer stroke inside it
    out = to_width(canvas)
    assert stroke_width(out) < 0.7 * stroke_width(canvas)
    fine = out[60:120, 80:120]
    assert 0.6 * 12 * 60 <= fine.sum() <= 2.0 * 12 * 60  # the finer stroke is still there


@pytest.mark.parametrize("shape", [(0, 0), (1, 1), (5, 5), (40, 30)])
def test_no_ink_or_one_pixel_does_not_crash(shape):
    empty = np.zeros(shape, np.uint8)
    assert stroke_width(empty) == 0.0
    assert to_width(empty).sum() == 0
    if shape[0]:
        dot = empty.copy()
        dot[shape[0] // 2, shape[1] // 2] = 1
        assert stroke_width(dot) == 1.0
        assert to_width(dot).sum() >= 1


def test_mnist_width_is_what_mnists_own_digits_measure(mnist):
    """The target is MNIST's pen, measured as the module says: training digits enlarged 4x
    (about the size a photo's digit is measured at), cut at half grey."""
    widths = []
    for image in mnist.train_images[:1000]:
        big = cv2.resize(image.astype(np.float32) / 255, (112, 112), interpolation=cv2.INTER_CUBIC)
        widths.append(_relative_width((big >= 0.5).astype(np.uint8)))
    assert np.median(widths) == pytest.approx(MNIST_WIDTH, abs=0.004)
