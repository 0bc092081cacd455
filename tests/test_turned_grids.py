"""A grid or a row of boxes turned with its page: its angle is found from its outline, and the
page is read level, where the grid is erased as on a level page.

The failure they stand for was measured on the real photos turned 12 degrees
(`benchmarks.real_photos --turn 12`): a hand-drawn sudoku, its lines too crooked for the
slanted-line search, was one piece of ink with the digits it touched, and read as "0".
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from mnist_cnn.reading.grid_lines import frame_angle
from mnist_cnn.reading.ink import ink_map
from mnist_cnn.reading.orientation import level


def _frame(grey: np.ndarray) -> float | None:
    ink = ink_map(grey)
    return frame_angle(ink.labels, ink.stats, ink.seeded)


def _sudoku(size: int = 480, cells: int = 9, seed: int = 0) -> np.ndarray:
    """A grid drawn by hand on a light page: lines that bow by a few pixels (too crooked for a
    ruled line), a thick frame, and a ring in some cells."""
    rng = np.random.default_rng(seed)
    page = np.full((size, size), 215, np.uint8)
    margin, step = 30, (size - 60) // cells
    along = np.arange(margin, size - margin + 1, 10)
    for k in range(cells + 1):
        at = margin + step * k
        thick = 5 if k in (0, cells) else 2
        bow = rng.uniform(8, 12) * np.sin(np.pi * (along - margin) / (size - 2 * margin)) * rng.choice([-1, 1])
        across = (at + bow + rng.normal(0, 0.7, len(along))).round().astype(np.int32)
        cv2.polylines(page, [np.stack([along, across], 1)], False, 40, thick)
        cv2.polylines(page, [np.stack([across, along], 1)], False, 40, thick)
    for row, col in [(1, 1), (2, 5), (4, 3), (6, 7), (7, 2)]:
        centre = (margin + step * col + step // 2, margin + step * row + step // 2 + 4)
        cv2.ellipse(page, centre, (step // 4, step // 2 - 4), 0, 0, 360, 40, 3)
    return page


def _crooked(picture: np.ndarray, p: tuple[int, int], q: tuple[int, int], bow: float, thick: int = 3) -> None:
    """A line from p to q drawn by hand: it bows `bow` pixels off the straight path midway."""
    t = np.linspace(0, 1, 40)
    (x0, y0), (x1, y1) = p, q
    length = max(np.hypot(x1 - x0, y1 - y0), 1)
    nx, ny = -(y1 - y0) / length, (x1 - x0) / length
    off = bow * np.sin(np.pi * t)
    points = np.stack([x0 + t * (x1 - x0) + off * nx, y0 + t * (y1 - y0) + off * ny], 1)
    cv2.polylines(picture, [points.round().astype(np.int32)], False, 45, thick)


@pytest.mark.parametrize("angle", [-15.0, 12.0, 25.0])
def test_a_grid_turned_with_its_page_gives_the_page_angle(angle):
    turned, _ = level(_sudoku(), angle)
    found = _frame(turned)
    assert found is not None
    # level(picture, a) turns a page whose rows slope at `a` level: the page turned by -a.
    assert found == pytest.approx(-angle, abs=2.0)


def test_no_frame_on_a_page_of_digits_or_in_one_large_8():
    page = np.full((400, 600), 215, np.uint8)
    for k in range(6):  # a row of 0s and 8s, the 8s closing round two cells each
        centre = (60 + 95 * k, 200)
        cv2.ellipse(page, centre, (22, 34), 10, 0, 360, 40, 4)
        if k % 2:
            cv2.line(page, (centre[0] - 20, 200), (centre[0] + 20, 200), 40, 4)
    turned, _ = level(page, 20.0)
    assert _frame(turned) is None
    big = np.full((400, 400), 215, np.uint8)  # one 8 filling the picture, turned
    cv2.circle(big, (200, 110), 80, 40, 8)
    cv2.circle(big, (200, 290), 100, 40, 8)
    assert _frame(level(big, 20.0)[0]) is None


def test_a_level_grid_is_erased_and_leaves_no_frame():
    assert _frame(_sudoku()) is None


@pytest.mark.mnist
def test_a_turned_grid_of_mnist_digits_is_read_level(mnist, torch_run, monkeypatch):
    """Digits in the cells of a grid drawn with a marker, touching its long lines, the page
    turned 14 degrees: all read. Without the frame's angle, the grid and the digits it touches
    are one piece and the page is read as one digit."""
    from mnist_cnn.reading import digits as digits_module
    from mnist_cnn.reading.commands import load_model
    from mnist_cnn.reading.reader import read_image

    from .photos import clear_digits, compose

    model = load_model(str(torch_run), None, None)[0]
    images, labels = clear_digits(mnist, model, count=6, seed=5)
    step = 100
    places = [(40 + step * k + 8, 48, 84) for k in range(6)]
    page = compose(images, labels, places, height=200, width=680, seed=5)
    grey = cv2.cvtColor(page.image, cv2.COLOR_BGR2GRAY)
    # The grid drawn round the digits: its lines bow a little, and the long ones touch them.
    top = min(y for _, y, _, _ in page.boxes) - 1
    bottom = max(y + h for _, y, _, h in page.boxes)
    for k, y in enumerate((top - 30, top, bottom, bottom + 30)):
        _crooked(grey, (30, y), (650, y), 2 if k % 2 else -2, thick=5)
    for k in range(7):
        _crooked(grey, (40 + step * k, top - 30), (40 + step * k, bottom + 30), 1 if k % 2 else -1, thick=5)
    turned, _ = level(grey, 14.0)
    assert read_image(model, turned).text == page.text
    monkeypatch.setattr(digits_module, "frame_angle", lambda *args: None)
    assert read_image(model, turned).text != page.text
