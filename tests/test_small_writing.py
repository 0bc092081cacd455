"""Small writing in a large photo is read; the dots of dotted paper beside larger writing are not.

Synthetic pictures only (no model). The rule: a digit is at least 2% of the picture's shorter
side, but when what was found is itself small, digits down to half its usual height and 60% of
that size are looked for again; when nothing was found in a large picture, strokes (not filled
blots) down to 60% of that size (segmentation.find_candidates).
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from mnist_cnn.reading.digits import extract_digits


def _page(height: int, width: int) -> np.ndarray:
    return np.full((height, width), 228, np.uint8)


def _zeros(page: np.ndarray, tall: int, count: int, left: int, top: int) -> list[int]:
    """`count` 0s `tall` pixels tall in a row; their centres' x."""
    centres = []
    for k in range(count):
        x = left + int(k * 1.4 * tall)
        cv2.ellipse(page, (x, top), (tall * 3 // 10, tall // 2), 0, 0, 360, 30, 2)
        centres.append(x)
    return centres


def test_small_writing_of_a_large_photo_is_found_whole():
    page = _page(960, 1280)
    # Drawn 22 and 17 pixels tall: about the 2% size (19 pixels) and under it, as 4 mm
    # digits on a page filling a 12 MP photo are.
    centres = _zeros(page, 18, 2, 400, 480) + _zeros(page, 13, 3, 460, 480)
    found = extract_digits(page)
    assert [d.box[0] + d.box[2] // 2 for d in found.digits] == pytest.approx(centres, abs=2)


def test_a_page_of_small_digits_only_is_read_in_a_large_photo():
    page = _page(960, 1280)
    centres = _zeros(page, 13, 4, 500, 480)  # drawn 17 pixels tall, all under the 2% size
    found = extract_digits(page)
    assert [d.box[0] + d.box[2] // 2 for d in found.digits] == pytest.approx(centres, abs=2)


def test_blots_on_a_blank_large_photo_are_not_small_digits():
    page = _page(960, 1280)
    for k, radius in enumerate((5, 6, 7, 6, 5)):  # dust and ink blots 11-15 pixels across
        cv2.circle(page, (200 + 180 * k, 300 + 90 * (k % 2)), radius, 60, -1)
    assert extract_digits(page).digits == []


def test_a_small_digit_beside_others_of_the_usual_size_is_found_too():
    page = _page(960, 1280)
    _zeros(page, 24, 3, 300, 480)   # above the 2% size (19 pixels)
    _zeros(page, 13, 2, 700, 480)   # under it, in the same line
    assert len(extract_digits(page).digits) == 5


def test_the_dots_of_dotted_paper_stay_out_beside_large_digits():
    page = _page(960, 1280)
    for y in range(20, 960, 40):      # dotted paper: a dot every 40 pixels
        for x in range(20, 1280, 40):
            cv2.circle(page, (x, y), 3, 90, -1)
    _zeros(page, 90, 3, 400, 500)
    assert len(extract_digits(page).digits) == 3


def test_the_small_writing_benchmark_reads_digits_just_over_the_size(mnist, torch_run, keep_torch_threads):
    """benchmarks.small_writing on a few pages: digits 20 pixels tall on a 1280x960 page (2.1%
    of its height; the full benchmark reads 97.5% of them with the default model)."""
    from benchmarks.small_writing import run
    from mnist_cnn.reading.commands import load_model

    classifier, _ = load_model(str(torch_run), None, None)
    result = run(classifier, mnist.test_images, mnist.test_labels, pages=5, seed=0, sizes=(28,))
    assert result["by_size"]["28"]["pages"] == 5
    assert result["by_size"]["28"]["per_digit_accuracy"] >= 0.85
