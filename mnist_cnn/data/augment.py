"""Data augmentation in the core, so both frameworks learn from the very same stream.

Each epoch's images are a seeded function of (seed, epoch): random rotation, zoom and shift
(one affine warp per image with OpenCV), and optionally an elastic distortion. The result is
written into a buffer the caller owns, so training does not allocate a copy of the data set
per epoch.
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

    def to_dict(self) -> dict:
        return asdict(self)


def affine_matrices(n: int, aug: Augmentation, rng: np.random.Generator) -> np.ndarray:
    """(n, 2, 3) matrices rotating and zooming about the centre, then shifting."""
    angle = np.deg2rad(rng.uniform(-aug.rotation, aug.rotation, n))
    scale = rng.uniform(1 - aug.zoom, 1 + aug.zoom, n)
    shift = rng.uniform(-aug.shift, aug.shift, (n, 2))
    cos, sin = scale * np.cos(angle), scale * np.sin(angle)
    centre = 13.5  # the centre of a 28-pixel image
    matrices = np.empty((n, 2, 3), np.float32)
    matrices[:, 0, 0], matrices[:, 0, 1] = cos, -sin
    matrices[:, 1, 0], matrices[:, 1, 1] = sin, cos
    matrices[:, 0, 2] = centre - cos * centre + sin * centre + shift[:, 0]
    matrices[:, 1, 2] = centre - sin * centre - cos * centre + shift[:, 1]
    return matrices


def augment_epoch(images: np.ndarray, aug: Augmentation, seed: int, epoch: int,
                  out: Optional[np.ndarray] = None) -> np.ndarray:
    """Augmented copies of `images` (uint8 (N, 28, 28)) for one epoch, into `out` if given."""
    import cv2  # lazy: only training with augmentation needs OpenCV

    rng = np.random.default_rng([seed, epoch, 0xA06])
    n = len(images)
    out = np.empty_like(images) if out is None else out
    matrices = affine_matrices(n, aug, rng)
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
        out[i] = warped
    return out
