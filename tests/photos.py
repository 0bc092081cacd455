"""Photos of handwritten digits made for the reading tests, with the truth known exactly.

Each photo is built like benchmarks/camera_like.py builds its frames (the same ink model),
but with the conditions chosen by the test: paper brightness, a lighting gradient, a hard
shadow, ruled lines, specks, dark or light ink, pen width, digit sizes and positions.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from benchmarks.camera_like import digit_ink

# Dark blue ballpoint (BGR), for tests that draw a digit on a page themselves.
BALLPOINT = (90, 40, 30)


@dataclass
class Photo:
    image: np.ndarray                        # (H, W, 3) uint8 BGR
    labels: list[int] = field(default_factory=list)
    boxes: list[tuple[int, int, int, int]] = field(default_factory=list)  # ink boxes, x, y, w, h
    rows: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(self.rows)


def compose(images28: list[np.ndarray], labels: list[int], places: list[tuple[int, int, int]],
            height: int = 480, width: int = 640, paper: float = 0.85, ink: float = 0.12, light_on_dark: bool = False,
            gradient: float = 0.0, shadow: float = 0.0, ruled: int = 0, specks: int = 0, pen: float = 0.0,
            noise: float = 0.01, blur: float = 0.7, seed: int = 0, row_of: list[int] | None = None) -> Photo:
    """Draw MNIST digits at `places` (x, y, size of the 28x28 field in pixels) on a page.

    gradient: the light falls off by this fraction from left to right; shadow: a hard-edged
    shadow of this depth over the lower-left half; ruled: line spacing in pixels (0: none);
    specks: dark dots; pen: finer (<0) or broader (>0) pen, as in camera_like.digit_ink.
    """
    rng = np.random.default_rng(seed)
    coverage = np.zeros((height, width), np.float32)
    boxes = []
    for image28, (x, y, size) in zip(images28, places):
        patch = digit_ink(image28, size, pen)
        region = coverage[y:y + size, x:x + size]
        np.maximum(region, patch[:region.shape[0], :region.shape[1]], out=region)
        ys, xs = np.nonzero(patch > 0.3)
        boxes.append((x + int(xs.min()), y + int(ys.min()), int(np.ptp(xs)) + 1, int(np.ptp(ys)) + 1))
    for _ in range(specks):
        cv2.circle(coverage, (int(rng.integers(width)), int(rng.integers(height))), int(rng.integers(1, 3)), 0.8, -1)
    background = np.full((height, width), paper, np.float32)
    if ruled:
        for y in range(ruled // 2, height, ruled):
            cv2.line(background, (0, y), (width - 1, y + 6), paper * 0.7, 1, cv2.LINE_AA)
    if light_on_dark:
        background, ink = np.full((height, width), 0.12, np.float32), 0.9
    reflect = background * (1 - coverage) + ink * coverage
    light = np.ones((height, width), np.float32) * (1 - gradient * np.linspace(0, 1, width, dtype=np.float32))
    if shadow:
        yy, xx = np.mgrid[0:height, 0:width]
        light *= np.where(yy - xx * height / width > 0, 1 - shadow, 1.0).astype(np.float32)
    image = reflect * light
    if blur:
        image = cv2.GaussianBlur(image, (0, 0), blur)
    image = image + rng.normal(0, noise, image.shape).astype(np.float32)
    grey = np.clip(image * 255, 0, 255).astype(np.uint8)
    rows = row_of or [0] * len(labels)
    by_row: dict[int, list[tuple[int, int]]] = {}
    for label, box, row in zip(labels, boxes, rows):
        by_row.setdefault(row, []).append((box[0], label))
    text_rows = ["".join(str(label) for _, label in sorted(items)) for _, items in sorted(by_row.items())]
    return Photo(cv2.cvtColor(grey, cv2.COLOR_GRAY2BGR), list(labels), boxes, text_rows)


def clear_digits(mnist, classifier=None, count: int = 6, seed: int = 0) -> tuple[list[np.ndarray], list[int]]:
    """`count` MNIST test digits; with a classifier, only ones it reads directly with confidence
    (so a test of the photo pipeline does not fail on a digit the model cannot read anyway)."""
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(mnist.test_images))[:400]
    if classifier is not None:
        p = classifier.predict_proba(mnist.test_images[order])
        keep = (p.argmax(axis=1) == mnist.test_labels[order]) & (p.max(axis=1) > 0.8)
        order = order[keep]
    chosen = order[:count]
    return [mnist.test_images[i] for i in chosen], [int(mnist.test_labels[i]) for i in chosen]


def iou(a, b) -> float:
    w = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
    h = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
    if w <= 0 or h <= 0:
        return 0.0
    return w * h / (a[2] * a[3] + b[2] * b[3] - w * h)


class SureOfZero:
    """A stand-in model: every input is a 0, with certainty, so a page's score counts the
    digits found (what the tests that use it check is geometry, not the model)."""

    def predict_proba(self, images: np.ndarray) -> np.ndarray:
        p = np.zeros((len(images), 10), np.float32)
        p[:, 0] = 1.0
        return p


class FirstThen:
    """A stand-in model that reads everything alike: `first` most likely (0.5), `then` next
    (`then_p`), so a test sees what a rule of the reading does with the model's doubt."""

    def __init__(self, first: int, then: int, then_p: float = 0.25):
        self.p = np.full(10, 0.02, np.float32)
        self.p[first], self.p[then] = 0.5, then_p

    def predict_proba(self, images: np.ndarray) -> np.ndarray:
        return np.tile(self.p, (len(images), 1))
