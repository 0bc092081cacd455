"""Reading photos as they come from phones and webcams: a sheet on a dark desk, a page turned a
quarter turn or tilted, the unsure mark, the annotated image's size, the camera window's
status line and strip of model inputs; and the real-photo benchmark's counting."""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np
import pytest

from benchmarks.real_photos import score
from mnist_cnn.reading.annotate import digits_strip, draw_guide, draw_reading
from mnist_cnn.reading.orientation import level, page_score, text_angle, turn, unlevel_box, unturn_box
from mnist_cnn.reading.paper import sheet_mask
from mnist_cnn.reading.reader import UNSURE_BELOW, Reading, ReadDigit

from .photos import SureOfZero, clear_digits, compose

REAL_PHOTOS = Path(__file__).resolve().parents[1].parent / "shared" / "realphotos"


# --------------------------------------------------------------------------- no model needed

def _reading(confidences: list[float], rows: list[int] | None = None) -> Reading:
    rows = rows or [0] * len(confidences)
    return Reading([ReadDigit(k % 10, c, [(k % 10, c)], (10 + 30 * k, 10, 20, 30), r, np.full((28, 28), 200, np.uint8))
                    for k, (c, r) in enumerate(zip(confidences, rows))])


def test_unsure_digits_are_marked_in_the_string_and_the_json():
    reading = _reading([0.99, UNSURE_BELOW - 0.1, 0.95], rows=[0, 0, 1])
    assert reading.text == "012" and reading.marked_text == "01?2" and reading.marked_rows == ["01?", "2"]
    data = reading.to_dict()
    assert [d["unsure"] for d in data["digits"]] == [False, True, False] and data["unsure"] == 1


def test_lcs_scoring_counts_missed_extra_and_wrong_digits():
    assert score("12345", "12345")["right"] == 5
    s = score("12345", "1245")          # 3 missed
    assert (s["right"], s["missed"], s["extra"], s["wrong"]) == (4, 1, 0, 0)
    s = score("12345", "128345")        # 8 extra
    assert (s["right"], s["missed"], s["extra"], s["wrong"]) == (5, 0, 1, 0)
    s = score("12345", "12745")         # 3 read as 7
    assert (s["right"], s["missed"], s["extra"], s["wrong"], s["wrong_read"]) == (4, 0, 0, 1, [2])


def test_quarter_turn_boxes_map_back():
    image = np.zeros((40, 60), np.uint8)
    image[5:15, 20:28] = 255  # box x=20, y=5, w=8, h=10
    for q in range(4):
        turned = turn(image, q)
        ys, xs = np.nonzero(turned)
        box = (int(xs.min()), int(ys.min()), int(xs.max() - xs.min() + 1), int(ys.max() - ys.min() + 1))
        assert unturn_box(box, q, image.shape) == (20, 5, 8, 10), q


def test_text_angle_and_levelling_round_trip():
    angle = np.radians(30)
    boxes = [(int(100 + 40 * k * np.cos(angle)), int(100 + 40 * k * np.sin(angle)), 20, 30) for k in range(8)]
    assert abs(text_angle(boxes) - 30) < 3
    assert text_angle(boxes[:2]) == 0.0  # too few digits to tell
    image = np.zeros((200, 300), np.uint8)
    turned, back = level(image, 30)
    assert turned.shape[0] > 200 and turned.shape[1] > 300  # nothing cut off
    x, y, w, h = unlevel_box((turned.shape[1] // 2 - 5, turned.shape[0] // 2 - 5, 10, 10), back, image.shape)
    assert abs(x + w / 2 - 150) <= 2 and abs(y + h / 2 - 100) <= 2


def test_page_score_prefers_many_sure_digits_to_one_lucky_one():
    assert page_score([0.9] * 10) > page_score([1.0])
    assert page_score([0.3] * 5) < 0


def _desk_with_note(angle: float = 0.0) -> np.ndarray:
    rng = np.random.default_rng(1)
    desk = np.clip(rng.normal(45, 12, (600, 800)), 0, 255).astype(np.uint8)  # a dark textured desk
    note = np.zeros_like(desk)
    centre = (400, 300)
    corners = cv2.boxPoints((centre, (300, 220), angle)).astype(np.int32)
    cv2.fillPoly(note, [corners], 1)
    desk[note > 0] = 215
    return desk


@pytest.mark.parametrize("angle", [0.0, 35.0])
def test_a_sheet_on_a_dark_desk_is_found(angle):
    mask = sheet_mask(_desk_with_note(angle))
    assert mask is not None
    assert 0.08 < mask.mean() < 0.16  # the note is 300x220 of 800x600, less its rim


def test_a_page_with_a_hard_shadow_is_not_a_sheet():
    page = np.full((480, 640), 210, np.uint8)
    yy, xx = np.mgrid[0:480, 0:640]
    page[yy - xx * 480 / 640 > 0] = 105  # half the page in shadow, 2x darker
    assert sheet_mask(page) is None


def test_annotated_image_of_a_big_photo_is_capped():
    big = np.full((3000, 4000, 3), 230, np.uint8)
    reading = _reading([0.9, 0.4])
    drawn = draw_reading(big, reading, max_side=1600)
    assert max(drawn.shape[:2]) == 1600
    assert draw_reading(big[:400, :500], reading, max_side=1600).shape == (400, 500, 3)


def test_status_line_is_drawn_once_inside_the_frame():
    frame = np.full((480, 640, 3), 200, np.uint8)
    status = "SPACE: snapshot, then drag a region and press ENTER (c cancels)  |  q / Esc: quit  |  24 fps"
    out = draw_guide(frame, (100, 100, 200, 100), None, status)
    band = out[-30:]
    # One line of white text on a darkened band: its text pixels span most of the width but
    # stay inside it, and nothing is drawn above the band outside the guide box.
    text = np.nonzero((band > 230).all(axis=2).any(axis=0))[0]
    assert text.size and text.min() >= 4 and text.max() <= 636
    assert (out[:400, :90] == 200).all()
    rows_with_text = np.nonzero((out > 230).all(axis=2)[400:].any(axis=1))[0]
    assert np.ptp(rows_with_text) < 20  # one line, not two at two heights


def test_camera_window_shows_the_models_inputs(monkeypatch):
    from mnist_cnn.reading.camera_window import result_view

    reading = _reading([0.9, 0.4, 0.8])
    strip = digits_strip(reading, 640)
    assert strip is not None and strip.shape[1] == 640
    view = result_view(np.full((480, 640, 3), 200, np.uint8), reading)
    assert view.shape[0] == 480 + strip.shape[0]
    # The 28x28 images (200 grey, enlarged) are in the strip.
    assert (view[480:, :, 0] == 200).sum() >= 3 * 56 * 56


# --------------------------------------------------------------------------- with a model

@pytest.fixture(scope="module")
def model(torch_run):
    from mnist_cnn.reading.commands import load_model

    return load_model(str(torch_run), None, None)[0]


@pytest.fixture(scope="module")
def page(mnist, model):
    images, labels = clear_digits(mnist, model, count=6, seed=3)
    places = [(60 + 90 * k, 150, 84) for k in range(6)]
    return compose(images, labels, places, height=400, width=640, seed=3)


@pytest.mark.mnist
@pytest.mark.parametrize("quarters", [1, 2, 3])
def test_a_page_turned_without_exif_is_read_upright(page, model, quarters):
    from mnist_cnn.reading.reader import read_image

    upright = read_image(model, page.image).text
    assert upright == page.text
    turned = read_image(model, np.ascontiguousarray(np.rot90(page.image, quarters)))
    assert turned.text == page.text


@pytest.mark.mnist
def test_a_tilted_page_is_read_level(page, model):
    from mnist_cnn.reading.orientation import level
    from mnist_cnn.reading.reader import read_image

    tilted, _ = level(page.image, -30)
    reading = read_image(model, tilted)
    assert reading.text == page.text
    # Boxes are in the tilted image's coordinates.
    for d in reading.digits:
        x, y, w, h = d.box
        assert 0 <= x and x + w <= tilted.shape[1] and 0 <= y and y + h <= tilted.shape[0]


@pytest.mark.mnist
def test_a_note_on_a_dark_desk_is_read(page, model):
    from mnist_cnn.reading.reader import read_image

    desk = np.full((1200, 1600, 3), 40, np.uint8)
    desk += np.random.default_rng(0).integers(0, 20, desk.shape, dtype=np.uint8)
    desk[400:800, 480:1120] = page.image
    assert read_image(model, desk).text == page.text


@pytest.mark.mnist
def test_the_real_photo_benchmark_runs_on_the_development_photos(model, tmp_path):
    if not REAL_PHOTOS.is_dir():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{REAL_PHOTOS} is missing in CI")
        pytest.skip(f"{REAL_PHOTOS} is not there (the development photos sit beside the checkout)")
    from benchmarks.real_photos import run

    only = ["Abraham9511__CV_HW__2.jpg", "mrsadeghi__handwritten-multi-digits__webcammkhsgqtdzv.png",
            "Zemke__ml__handwritten.jpg"]
    result = run(model, REAL_PHOTOS, only)
    assert result["images"] == 3 and result["digits"] == 17 + 4 + 10
    assert result["digits_right"] + result["missed_digits"] + result["wrong_digits"] == result["digits"]
    assert {row["image"] for row in result["per_image"]} == set(only)
    # The EXIF-rotated photo (stored upside down) is read the right way up: most of its digits.
    (upside_down,) = [row for row in result["per_image"] if row["image"].startswith("Abraham")]
    assert upside_down["right"] >= 6


def test_a_hand_drawn_grid_is_erased_and_the_digits_in_it_stay():
    from mnist_cnn.reading.grid_lines import remove_grid

    mask = np.zeros((450, 450), np.uint8)
    rng = np.random.default_rng(0)
    for k in range(10):  # a 9x9 grid, lines wavering by a pixel or two, the frame thick
        at = 20 + 45 * k
        thick = 6 if k in (0, 9) else 2
        wobble = rng.integers(-1, 2)
        mask[at + wobble:at + wobble + thick, 20:428] = 1
        mask[20:428, at - wobble:at - wobble + thick] = 1
    digits = [(87, 87), (222, 267), (357, 177)]  # cell centres
    for x, y in digits:  # a digit-sized ring touching no line
        cv2.circle(mask, (x, y), 12, 1, 3)
    cleaned = remove_grid(mask)
    count, _, stats, _ = cv2.connectedComponentsWithStats(cleaned)
    big = [s for s in stats[1:] if s[4] > 50]
    assert len(big) == len(digits)  # the rings, nothing of the grid
    assert all(s[2] < 40 and s[3] < 40 for s in big)


def test_large_digits_are_not_a_grid():
    from mnist_cnn.reading.grid_lines import remove_grid

    mask = np.zeros((480, 640), np.uint8)
    mask[100:300, 100:108] = 1     # a tall 1
    mask[100:108, 300:460] = 1     # the bar of a 7
    mask[100:300, 450:458] = 1     # its stem, straight
    mask[292:300, 300:460] = 1     # and a stroke below
    assert (remove_grid(mask) == mask).all()


def _rings(picture: np.ndarray, centres, ink: int) -> None:
    for centre in centres:
        cv2.ellipse(picture, centre, (16, 24), 0, 0, 360, ink, 5)


def test_digits_in_a_hard_shadow_are_read_with_those_in_the_light():
    from mnist_cnn.reading.reader import read_image

    page = np.full((480, 640), 220, np.uint8)
    page[:, :300] = 55  # a hard shadow over the left half, 4x darker: it passes for a desk
    lit, shaded = [(400, 240), (480, 240), (560, 240)], [(90, 240), (170, 240), (250, 240)]
    _rings(page[:, :300], shaded, 14)
    _rings(page, lit, 60)
    assert sheet_mask(page) is not None  # the lit half alone looks like a sheet on a desk

    reading = read_image(SureOfZero(), page)

    assert sorted(d.box[0] + d.box[2] // 2 for d in reading.digits) == pytest.approx(
        sorted(x for x, _ in shaded + lit), abs=4)


def test_a_note_on_a_desk_is_still_read_alone():
    from mnist_cnn.reading.reader import read_image

    desk = _desk_with_note()
    _rings(desk, [(330, 300), (400, 300), (470, 300)], 40)
    reading = read_image(SureOfZero(), desk)
    assert [d.box[0] + d.box[2] // 2 for d in reading.digits] == pytest.approx([330, 400, 470], abs=4)


def _desk_with_shaded_card() -> tuple[np.ndarray, np.ndarray]:
    """A white card on a dark desk whose sheen, top left, is brighter than the card's lower half
    in a soft shadow (the shade deepens over 200 pixels); and the card's own mask."""
    yy, xx = np.mgrid[0:600, 0:800].astype(np.float32)
    rng = np.random.default_rng(2)
    sheen = 150 * np.exp(-((xx - 150) ** 2 + (yy - 120) ** 2) / (2 * 140.0 ** 2))
    desk = np.clip(rng.normal(45, 10, (600, 800)) + sheen, 0, 255)
    card = np.zeros((600, 800), np.uint8)
    cv2.fillPoly(card, [cv2.boxPoints(((420, 320), (440, 320), 10)).astype(np.int32)], 1)
    shade = np.clip((yy - 260) / 200, 0, 1)  # 1 in the light, 0.45 at the card's foot
    desk[card > 0] = (220 * (1 - 0.55 * shade))[card > 0]
    return desk.astype(np.uint8), card


def test_a_card_half_in_a_soft_shadow_is_found_whole():
    desk, card = _desk_with_shaded_card()
    mask = sheet_mask(desk)
    assert mask is not None
    # The whole card less its rim, not only its lit half.
    assert mask.sum() > 0.85 * card.sum()
    assert (mask & (1 - card)).sum() < 0.01 * card.sum()


def test_a_broad_patch_of_shade_is_not_read_as_digits():
    from mnist_cnn.reading.reader import read_image

    page = np.full((480, 640), 220, np.uint8)
    rings = [(120, 140), (200, 140), (280, 140), (360, 140)]
    _rings(page, rings, 40)
    # The darkest band of a shadow: as dark as ink, as tall as a digit, but no pen draws it.
    cv2.ellipse(page, (400, 340), (150, 40), 0, 0, 360, 60, -1)
    reading = read_image(SureOfZero(), page)
    assert [d.box[0] + d.box[2] // 2 for d in reading.digits] == pytest.approx([x for x, _ in rings], abs=4)


def _white_page_on_a_grey_desk() -> np.ndarray:
    rng = np.random.default_rng(3)
    desk = np.clip(rng.normal(110, 4, (600, 800)), 0, 255).astype(np.uint8)
    page = np.zeros_like(desk)
    cv2.fillPoly(page, [cv2.boxPoints(((400, 300), (300, 220), 20)).astype(np.int32)], 1)
    desk[page > 0] = 228
    _rings(desk, [(340, 300), (400, 300), (460, 300)], 40)
    return desk


def test_a_white_page_on_a_grey_desk_is_not_read_as_light_ink():
    """The bright page deviates lighter from the grey desk than its writing does darker, as
    chalk on a board would, but not surely so: the page is read both ways and the reading of
    dark ink on light paper, which finds the digits, is kept."""
    from mnist_cnn.reading.ink import LIGHT_INK, SURELY_LIGHT, light_evidence
    from mnist_cnn.reading.reader import read_image

    picture = _white_page_on_a_grey_desk()
    assert LIGHT_INK < light_evidence(picture) <= SURELY_LIGHT
    reading = read_image(SureOfZero(), picture)
    assert reading.polarity == "dark-on-light"
    assert [d.box[0] + d.box[2] // 2 for d in reading.digits] == pytest.approx([340, 400, 460], abs=4)
