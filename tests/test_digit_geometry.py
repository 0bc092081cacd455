"""The digit preprocessing (mnist_cnn.reading.digits) on drawn shapes: no MNIST, no model, quick tier.

What a user would check on the 28x28 image the model receives, with the truth known exactly
because the digits are drawn here (bars, rings, an L): its 20-pixel box, its centre of mass,
white ink on black whatever the paper, the pen width of each view, and boxes reported in the
input image's own pixels whatever region, sheet or reduction the analysis went through.
A fake classifier stands in for the model where the model settles a doubtful case.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from mnist_cnn.reading import digits
from mnist_cnn.reading.digits import (FIELD, PENS, WORK_SIZE, clip_roi, digit_binary, extract_digits,
                                      mnist_views, stroke_width, to_mnist)
from mnist_cnn.reading.ink import DARK_ON_LIGHT, LIGHT_ON_DARK, ink_map
from mnist_cnn.reading.segmentation import find_candidates

PAPER, INK = 215, 30


def _page(height: int = 300, width: int = 400) -> np.ndarray:
    return np.full((height, width), PAPER, np.uint8)


def _bar(image: np.ndarray, x: int, y: int, w: int, h: int, value: int = INK) -> None:
    cv2.rectangle(image, (x, y), (x + w - 1, y + h - 1), value, -1)


def _photo(image: np.ndarray) -> np.ndarray:
    """A camera's slight blur, as BGR."""
    return cv2.cvtColor(cv2.GaussianBlur(image, (0, 0), 0.8), cv2.COLOR_GRAY2BGR)


def _one_and_zero() -> np.ndarray:
    """A "1" (a 12x120 bar at x=100, y=90) and a "0" (a ring, box 240..331 x 104..195)."""
    page = _page()
    _bar(page, 100, 90, 12, 120)
    cv2.circle(page, (285, 150), 45, INK, 12)
    return _photo(page)


ONE_BOX, ZERO_BOX = (100, 90, 12, 120), (234, 99, 103, 103)


def _near(box, expected, tolerance=3):
    return all(abs(a - b) <= tolerance for a, b in zip(box, expected))


def _ink_box(image: np.ndarray, level: int = 60) -> tuple[int, int]:
    ys, xs = np.nonzero(image > level)
    return int(np.ptp(ys)) + 1, int(np.ptp(xs)) + 1


def _centre_of_mass(image: np.ndarray) -> tuple[float, float]:
    m = cv2.moments(image.astype(np.float32))
    return m["m10"] / m["m00"], m["m01"] / m["m00"]


# --------------------------------------------------------------------------- the region read

def test_clip_roi_cuts_the_region_to_the_image_and_refuses_what_is_not_in_it():
    assert clip_roi((-5, -10, 50, 60), (100, 200)) == (0, 0, 45, 50)
    assert clip_roi((190, 90, 50, 50), (100, 200, 3)) == (190, 90, 10, 10)
    assert clip_roi((1.7, 2.2, 30.9, 40.0), (100, 200)) == (1, 2, 30, 40)
    assert clip_roi((192, 92, 50, 50), (100, 200)) == (192, 92, 8, 8)       # 8 pixels: enough
    assert clip_roi((-42, -42, 50, 50), (100, 200)) == (0, 0, 8, 8)
    for roi in ((193, 0, 50, 50), (0, 93, 50, 50), (-43, 0, 50, 50), (0, -43, 50, 50), (0, 0, 1, 50), (0, 0, 50, 1)):
        with pytest.raises(ValueError, match=r"^region .* is outside the 200x100 image \(or under 8 pixels\)$"):
            clip_roi(roi, (100, 200))
    for roi in ((1, 2, 0, 5), (1, 2, 5, -1), (1, 2, 5, 0)):
        with pytest.raises(ValueError, match=rf"^region {roi[0]},{roi[1]},{roi[2]},{roi[3]}: width and height "
                                             r"must be positive$"):
            clip_roi(roi, (100, 200))


# --------------------------------------------------------------------------- pen width

def test_stroke_width_is_the_pen_width_of_bars_and_rings():
    bar = np.zeros((140, 40), np.uint8)
    bar[10:130, 17:23] = 1                                   # 6 pixels wide
    assert 5.5 < stroke_width(bar) < 6.2
    two = bar.copy()
    two[10:130, 30:36] = 1                                   # two strokes: still a 6-pixel pen
    assert 5.5 < stroke_width(two) < 6.2
    ring = cv2.circle(np.zeros((120, 120), np.uint8), (60, 60), 40, 1, 8)  # its hole's edge counts too
    assert 7.0 < stroke_width(ring) < 9.0
    assert stroke_width(np.zeros((20, 20), np.uint8)) == 0.0
    square = np.zeros((6, 6), np.uint8)
    square[2:4, 2:4] = 1                                     # a closed outline: 4 pixels round, pen 2
    assert stroke_width(square) == 2.0


def test_to_mnist_fits_a_wide_or_a_tiny_shape_into_20_pixels_centred_by_mass():
    wide = np.zeros((30, 150), np.uint8)
    wide[:, :] = 1
    wide[:, 100:] = 0
    wide[25:, 100:] = 1                                      # a foot to the right: the mass is off-centre
    out = to_mnist(wide)
    height, width = _ink_box(out, 40)
    assert height in (4, 5) and width in (20, 21)
    cx, cy = _centre_of_mass(out)
    assert abs(cx - 13.5) < 0.3 and abs(cy - 13.5) < 0.3
    tiny = np.ones((10, 5), np.uint8)                        # enlarged, not only reduced
    out = to_mnist(tiny)
    assert _ink_box(out, 127) in ((20, 10), (20, 11), (21, 10), (21, 11))
    assert abs(_centre_of_mass(out)[0] - 13.5) < 0.3
    assert not to_mnist(np.zeros((12, 7), np.uint8)).any()   # no ink: an empty field, no error
    for hairline in (np.ones((100, 1), np.uint8), np.ones((1, 100), np.uint8)):
        assert 19.5 < to_mnist(hairline).sum() / 255 < 20.6  # a 1-pixel line stays 20 pixels of ink


def test_to_mnist_averages_when_it_reduces_and_interpolates_when_it_enlarges():
    ninth = np.zeros((60, 60), np.uint8)
    ninth[1::3, 1::3] = 1                                    # 1 pixel in 9, reduced 3 times
    assert to_mnist(ninth)[4:24, 4:24].tolist() == [[28] * 20] * 20  # 255 / 9, not a sampled pixel
    for rows, size in ((16, 8), (10, 6)):                    # enlarged 1.25 and 2 times
        stripes = np.zeros((rows, size), np.uint8)
        on = [0, 3, 4, 7, 8, 11, 12, 15] if rows == 16 else [0, 3, 4, 5, 6, 9]
        stripes[on] = 1                                      # symmetric: no shift, so no grey from it
        out = to_mnist(stripes)
        assert ((out > 20) & (out < 235)).sum() >= 2 * size  # smooth grey between the stripes


def test_to_mnist_shifts_in_black_background():
    foot = np.zeros((60, 60), np.uint8)
    foot[:, :6] = 1
    foot[54:, :30] = 1                                       # an L: its mass low and left of its box's centre
    out = to_mnist(foot)
    cx, cy = _centre_of_mass(out)
    assert abs(cx - 13.5) < 0.3 and abs(cy - 13.5) < 0.3
    assert out[-4:].max() == 0 and out[:, :4].max() == 0     # shifted up and right: black comes in


def test_to_mnist_rounds_the_area_average_to_the_nearest_grey_level():
    quarter = np.zeros((40, 40), np.uint8)
    quarter[::2, ::2] = 1                                    # 1 pixel in 4: 63.75
    three = np.ones((40, 40), np.uint8)
    three[::2, ::2] = 0                                      # 3 in 4: 191.25
    for binary, value in ((quarter, 64), (three, 191), (np.ones((40, 40), np.uint8), 255)):
        out = to_mnist(binary)
        assert out[4:24, 4:24].tolist() == [[value] * 20] * 20
        assert out.sum() == 400 * value                      # nothing outside the 20x20 box


# --------------------------------------------------------------------------- the whole way, drawn digits

def test_each_digit_reaches_the_model_as_mnist_would_draw_it():
    found = extract_digits(_one_and_zero())
    assert found.polarity == DARK_ON_LIGHT and found.roi is None
    assert [d.row for d in found.digits] == [0, 0]
    one, zero = found.digits
    assert _near(one.box, ONE_BOX) and _near(zero.box, ZERO_BOX)
    for digit in found.digits:
        assert digit.image.shape == (FIELD, FIELD) and digit.image.dtype == np.uint8
        assert len(digit.views) == len(PENS) and digit.image is digit.views[len(PENS) // 2]
        assert digit.image[:3].max() == 0 and digit.image[:, :3].max() == 0  # white on black, a clear margin
        assert digit.image.max() == 255
        cx, cy = _centre_of_mass(digit.image)
        assert abs(cx - 13.5) < 0.5 and abs(cy - 13.5) < 0.5
        assert max(_ink_box(digit.image)) in (19, 20, 21)
        ink = [int(view.sum()) for view in digit.views[1:]]  # the first view: the pen as written
        assert ink[0] <= ink[1] <= ink[2]                # each view drawn with a broader pen...
    assert _ink_box(one.image)[1] <= 6                   # a bar stays a bar: aspect kept
    ink = [int(view.sum()) for view in zero.views[1:]]
    assert ink[0] < 0.9 * ink[1] and ink[1] < ink[2]   # ...which shows on a ring (a bar 2 pixels wide hides it)
    assert zero.image[13, 13] == 0 and zero.image[13, 4:24].max() == 255  # a ring keeps its hole
    plain = extract_digits(_one_and_zero(), pens=())
    assert [len(d.views) for d in plain.digits] == [1, 1]


def test_mnist_views_draw_the_digit_once_per_pen_each_tightly_fitted():
    ring = cv2.circle(np.zeros((WORK_SIZE, WORK_SIZE), np.uint8), (40, 40), 36, 1, 4)
    views = mnist_views(ring, (0.05, 0.2))
    assert len(views) == 2 and all(v.shape == (FIELD, FIELD) for v in views)
    assert stroke_width(views[0] > 127) < stroke_width(views[1] > 127)
    assert all(_ink_box(v) in ((20, 20), (19, 19), (21, 21), (20, 21), (21, 20)) for v in views)
    assert np.array_equal(mnist_views(ring, ())[0], to_mnist(ring))


def test_mnist_views_keep_the_whole_digit_in_each_view():
    square = np.ones((10, 10), np.uint8)                     # a pen too broad for a 10-pixel digit
    assert [_ink_box(view, 127) for view in mnist_views(square, (0.02, 0.5))] == [(20, 20), (20, 20)]


def test_digit_binary_is_the_digit_at_work_size_tightly_cropped_at_its_true_pen():
    ink = ink_map(cv2.cvtColor(_one_and_zero(), cv2.COLOR_BGR2GRAY))
    one, zero = sorted(find_candidates(ink), key=lambda c: c.whole.x)
    bar = digit_binary(ink, one.whole, one.whole.labels)
    ring = digit_binary(ink, zero.whole, zero.whole.labels)
    assert bar.shape[0] in (79, 80, 81) and 8 <= bar.shape[1] <= 10   # 12x120 at 80 pixels tall
    assert 78 <= min(ring.shape) <= max(ring.shape) <= 82
    for binary in (bar, ring):
        assert binary[0].any() and binary[-1].any() and binary[:, 0].any() and binary[:, -1].any()
    assert 9.5 < stroke_width(ring) < 11.5                   # a 12-pixel pen at 80/103, with its blur


def test_a_large_thin_digit_keeps_its_pen_at_work_size():
    page = _page(600, 600)
    cv2.circle(page, (300, 300), 200, INK, 10)               # 410 pixels across, a 10-pixel pen
    ink = ink_map(cv2.cvtColor(_photo(page), cv2.COLOR_BGR2GRAY))
    [ring] = find_candidates(ink)
    binary = digit_binary(ink, ring.whole, ring.whole.labels)
    assert 78 <= min(binary.shape) <= max(binary.shape) <= 82
    assert 1.9 < stroke_width(binary) < 2.9                  # 10 * 80 / 413 = 1.9, plus the blur's edge


def _touching_zeros() -> np.ndarray:
    page = _page()
    cv2.circle(page, (150, 150), 45, INK, 12)
    cv2.circle(page, (232, 150), 45, INK, 12)                 # two 0s whose strokes merge
    return _photo(page)


def test_a_piece_cut_from_touching_digits_holds_only_its_own_columns():
    ink = ink_map(cv2.cvtColor(_touching_zeros(), cv2.COLOR_BGR2GRAY))
    [blob] = find_candidates(ink)
    for piece in blob.splits[0]:                              # one ink component, cut in two
        binary = digit_binary(ink, piece, piece.labels)
        scale = WORK_SIZE / max(piece.w, piece.h)
        assert abs(binary.shape[1] - piece.w * scale) <= 1.5 and abs(binary.shape[0] - piece.h * scale) <= 1.5


def test_a_thin_ring_stays_closed_on_its_right_side_too():
    page = _page()
    cv2.circle(page, (200, 150), 45, INK, 4)
    image = extract_digits(_photo(page), pens=()).digits[0].image
    assert (image[10:18, 14:].max(axis=1) > 100).all() and (image[10:18, :14].max(axis=1) > 100).all()


def test_a_faint_piece_that_broke_away_comes_back_to_its_digit():
    page = _page()
    _bar(page, 180, 80, 12, 121)                              # a stem
    _bar(page, 170, 205, 34, 8, value=165)                    # its foot, faint and 4 pixels below it
    found = extract_digits(_photo(page), pens=())
    assert len(found.digits) == 1 and _near(found.digits[0].box, (170, 80, 34, 133))
    image = found.digits[0].image
    assert (image[-10:] > 100).sum(axis=1).max() >= 4          # the foot is drawn, not only boxed


def test_chalk_on_a_board_reaches_the_model_as_white_ink_on_black_too():
    dark = extract_digits(_one_and_zero())
    light = extract_digits(255 - _one_and_zero())
    assert light.polarity == LIGHT_ON_DARK
    assert [_near(d.box, b, 4) for d, b in zip(light.digits, (ONE_BOX, ZERO_BOX))] == [True, True]
    for a, b in zip(dark.digits, light.digits):
        assert b.image[:3].max() == 0 and b.image.max() == 255
        assert np.corrcoef(a.image.ravel().astype(float), b.image.ravel().astype(float))[0, 1] > 0.9


def test_a_faint_stretch_of_a_stroke_is_kept():
    """A 7 whose bar is drawn lightly: cut at half the stem's strength the bar would vanish;
    the cut never goes above the ink mask's own edge."""
    page = _page()
    _bar(page, 180, 80, 12, 121)                              # the stem, dark
    _bar(page, 110, 80, 70, 12, value=150)                    # the bar, faint, touching it
    found = extract_digits(_photo(page), pens=())
    assert len(found.digits) == 1 and _near(found.digits[0].box, (110, 80, 82, 121))
    image = found.digits[0].image
    assert (image[:, :12] > 60).sum() > 10                    # the bar's left end is there
    h, w = _ink_box(image)
    assert h >= 19 and w >= 12


def test_a_neighbours_ink_stays_out_of_a_digit():
    page = _page()
    _bar(page, 100, 90, 12, 120)
    _bar(page, 115, 90, 12, 120)                              # a second 1, 3 pixels to the right
    found = extract_digits(_photo(page), pens=())
    assert [_near(d.box, b) for d, b in zip(found.digits, (ONE_BOX, (115, 90, 12, 120)))] == [True, True]
    assert [_ink_box(d.image)[1] for d in found.digits] == [2, 2]  # each a bar alone: no stub of the other


# --------------------------------------------------------------------------- boxes in the input's pixels

def test_a_region_a_sheet_and_a_reduction_all_report_boxes_in_the_input_image():
    full = [d.box for d in extract_digits(_one_and_zero()).digits]
    in_roi = extract_digits(_one_and_zero(), roi=(200, 50, 180, 200))
    assert in_roi.roi == (200, 50, 180, 200)
    assert [_near(d.box, ZERO_BOX) for d in in_roi.digits] == [True]
    clipped = extract_digits(_one_and_zero(), roi=(200, 50, 500, 500))
    assert clipped.roi == (200, 50, 200, 250) and len(clipped.digits) == 1
    reduced = extract_digits(_one_and_zero(), max_side=200)   # analysed at half size
    assert [_near(d.box, b, 4) for d, b in zip(reduced.digits, full)] == [True, True]
    desk = np.full((400, 560, 3), 60, np.uint8)               # the page on a dark desk, off the corner
    desk[60:360, 120:520] = _one_and_zero()
    on_desk = extract_digits(desk)
    assert [_near(d.box, (x + 120, y + 60, w, h)) for d, (x, y, w, h) in zip(on_desk.digits, full)] == [True, True]
    both = extract_digits(desk, roi=(100, 40, 460, 360))
    assert [_near(d.box, (x + 120, y + 60, w, h)) for d, (x, y, w, h) in zip(both.digits, full)] == [True, True]
    large = cv2.resize(_one_and_zero(), (1600, 1200), interpolation=cv2.INTER_NEAREST)  # past MAX_SIDE
    assert max(large.shape) > digits.MAX_SIDE
    scaled = [d.box for d in extract_digits(large).digits]
    assert [_near(b, tuple(4 * v for v in f), 12) for b, f in zip(scaled, full)] == [True, True]


def test_a_note_on_a_desk_is_read_alone():
    desk = np.full((480, 640), 40, np.uint8)
    desk[200:380, 300:540] = PAPER                            # a card, 12% of the picture
    _bar(desk, 360, 260, 4, 30)
    cv2.circle(desk, (450, 275), 15, INK, 4)
    photo = _photo(desk)
    found = [d.box for d in extract_digits(photo).digits]
    assert [_near(b, e) for b, e in zip(found, ((360, 260, 4, 30), (433, 258, 35, 35)))] == [True, True]
    assert len(found) == 2
    whole = [d.box for d in extract_digits(photo, sheet=False).digits]  # the card's edge swamps them
    assert not any(_near(b, found[0]) for b in whole)


def test_the_region_read_and_the_polarity_asked_for_are_kept_exactly():
    image = _one_and_zero()
    whole = extract_digits(image)
    assert [d.box for d in extract_digits(image, roi=(0, 0, 400, 300)).digits] == [d.box for d in whole.digits]
    assert extract_digits(image, polarity=LIGHT_ON_DARK).polarity == LIGHT_ON_DARK
    assert extract_digits(255 - image, polarity=DARK_ON_LIGHT).polarity == DARK_ON_LIGHT
    five = extract_digits(image, pens=(0.05, 0.08, 0.12, 0.15, 0.2)).digits[1]
    assert len(five.views) == 5 and five.image is five.views[2]   # the middle pen is the one shown


def test_two_rows_come_in_reading_order_with_their_row():
    page = _page(400, 400)
    _bar(page, 300, 250, 12, 100)                             # row 1, right
    _bar(page, 80, 40, 12, 100)                               # row 0, left
    _bar(page, 100, 250, 12, 100)                             # row 1, left
    _bar(page, 280, 45, 12, 100)                              # row 0, right
    found = extract_digits(_photo(page))
    assert [(d.row, d.box[0] // 10) for d in found.digits] == [(0, 7), (0, 27), (1, 9), (1, 29)]


# --------------------------------------------------------------------------- the model settles doubtful cases

def _confident(digit):
    def classify(batch):
        assert batch.dtype == np.uint8 and batch.shape[1:] == (FIELD, FIELD)
        out = np.full((len(batch), 10), 0.1, np.float32)
        for i, image in enumerate(batch):
            if digit(image) is not None:
                out[i] = 0.0
                out[i, digit(image)] = 1.0
        return out
    return classify


def _wide_is_a_5(image):
    h, w = _ink_box(image)
    return 5 if w > 1.5 * h else None


def test_the_model_decides_whether_a_wide_blob_is_one_digit_or_two():
    photo = _touching_zeros()
    alone = extract_digits(photo)
    assert len(alone.digits) == 2                             # geometry: too wide for one digit
    split = extract_digits(photo, classify=_confident(lambda image: 0)).digits
    assert len(split) == 2
    for digit in split:                                       # each piece shows only its own part
        h, w = _ink_box(digit.image)
        assert abs(w / h - digit.box[2] / digit.box[3]) < 0.15, (digit.box, (h, w))
    whole = extract_digits(photo, classify=_confident(_wide_is_a_5)).digits
    assert len(whole) == 1 and _near(whole[0].box, (98, 98, 187, 105))


def test_the_model_joins_a_digit_drawn_in_two_strokes_only_when_it_reads_it_better():
    page = _page()
    _bar(page, 100, 80, 12, 121)                              # a 4 in two strokes: the stem...
    _bar(page, 60, 60, 10, 91)                                # ...and an L beside it, 5 pixels off
    _bar(page, 70, 141, 26, 10)
    _bar(page, 75, 180, 3, 3, value=165)                     # a faint speck inside the joined box
    photo = _photo(page)
    assert len(extract_digits(photo).digits) == 2
    assert len(extract_digits(photo, classify=_confident(lambda image: 4)).digits) == 2  # no gain
    joined = extract_digits(photo, classify=_confident(lambda image: 4 if _ink_box(image)[1] > 8 else None)).digits
    assert len(joined) == 1 and _near(joined[0].box, (59, 59, 53, 143))
    # every pen's view, twice: 2.7 times as tall as wide, it is also shown squashed (SQUASHED)
    assert len(joined[0].views) == 2 * len(PENS)
