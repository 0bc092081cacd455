"""Data augmentation in the core, so both frameworks learn from the very same stream.

Each epoch's images are a seeded function of (seed, epoch): random rotation, zoom and shift
(one affine warp per image with OpenCV), and optionally what differs between real pens and
writers: a slant (shear), an elastic distortion, and a finer or broader pen (the digit blended
with its grey erosion or dilation). The result is written into a buffer the caller owns, so
training does not allocate a copy of the data set per epoch. The options that are off draw no
random numbers, so a recipe without them gets the very images it always got.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Optional

import numpy as np


@dataclass(frozen=True)
class Augmentation:
    rotation: float = 10.0     # degrees, uniform in [-rotation, rotation]
    zoom: float = 0.1          # scale uniform in [1 - zoom, 1 + zoom]
    shift: float = 2.5         # pixels, uniform in [-shift, shift] on each axis
    elastic_alpha: float = 0.0  # elastic distortion strength in pixels (0: off)
    elastic_sigma: float = 4.0  # smoothness of the elastic displacement field
    shear: float = 0.0         # slant: x moves by up to this fraction of y (about the centre)
    stroke: float = 0.0        # pen: up to this far (0 to 1) towards a 1-pixel grey erosion or dilation

    def to_dict(self) -> dict:
        return asdict(self)


def affine_matrices(n: int, aug: Augmentation, rng: np.random.Generator) -> np.ndarray:
    """(n, 2, 3) matrices slanting, rotating and zooming about the centre, then shifting."""
    angle = np.deg2rad(rng.uniform(-aug.rotation, aug.rotation, n))
    scale = rng.uniform(1 - aug.zoom, 1 + aug.zoom, n)
    shift = rng.uniform(-aug.shift, aug.shift, (n, 2))
    # Drawn only when asked for: the other recipes' streams stay as they were.
    slant = rng.uniform(-aug.shear, aug.shear, n) if aug.shear > 0 else np.zeros(n)
    cos, sin = scale * np.cos(angle), scale * np.sin(angle)
    centre = 13.5  # the centre of a 28-pixel image
    # rotation-and-zoom @ shear, where the shear [[1, s], [0, 1]] leans the digit's top right
    # for s < 0 (image y grows downwards), as a right-handed writer's slant does.
    a00, a01 = cos, -sin + cos * slant
    a10, a11 = sin, cos + sin * slant
    matrices = np.empty((n, 2, 3), np.float32)
    matrices[:, 0, 0], matrices[:, 0, 1] = a00, a01
    matrices[:, 1, 0], matrices[:, 1, 1] = a10, a11
    matrices[:, 0, 2] = centre - a00 * centre - a01 * centre + shift[:, 0]
    matrices[:, 1, 2] = centre - a10 * centre - a11 * centre + shift[:, 1]
    return matrices


def change_pen(image: np.ndarray, amount: float, cv2) -> np.ndarray:
    """`image` drawn with a broader pen (`amount` > 0, up to 1: the full 3x3 grey dilation,
    about a pixel more on each side of a stroke) or a finer one (< 0: towards the erosion).
    Blending gives every width between, not only whole pixels."""
    if amount == 0:
        return image
    kernel = cv2.getStructuringElement(cv2.MORPH_CROSS, (3, 3))
    moved = cv2.dilate(image, kernel) if amount > 0 else cv2.erode(image, kernel)
    t = abs(amount)
    return cv2.addWeighted(image, 1 - t, moved, t, 0)


def augment_epoch(images: np.ndarray, aug: Augmentation, seed: int, epoch: int,
                  out: Optional[np.ndarray] = None) -> np.ndarray:
    """Augmented copies of `images` (uint8 (N, 28, 28)) for one epoch, into `out` if given."""
    import cv2  # lazy: only training with augmentation needs OpenCV

    rng = np.random.default_rng([seed, epoch, 0xA06])
    n = len(images)
    out = np.empty_like(images) if out is None else out
    matrices = affine_matrices(n, aug, rng)
    pens = rng.uniform(-aug.stroke, aug.stroke, n) if aug.stroke > 0 else None
    if aug.elastic_alpha > 0:
        grid_y, grid_x = np.mgrid[0:28, 0:28].astype(np.float32)
    for i in range(n):
        warped = cv2.warpAffine(images[i], matrices[i], (28, 28), flags=cv2.INTER_LINEAR,
                                borderMode=cv2.BORDER_CONSTANT, borderValue=0)
        if aug.elastic_alpha > 0:
            field = rng.uniform(-1, 1, (2, 28, 28)).astype(np.float32)
            dx = cv2.GaussianBlur(field[0], (0, 0), aug.elastic_sigma) * aug.elastic_alpha
            dy = cv2.GaussianBlur(field[1], (0, 0), aug.elastic_sigma) * aug.elastic_alpha
            warped = cv2.remap(warped, grid_x + dx, grid_y + dy, cv2.INTER_LINEAR,
                               borderMode=cv2.BORDER_CONSTANT, borderValue=0)
        if pens is not None:
            warped = change_pen(warped, float(pens[i]), cv2)
        out[i] = warped
    return out
