"""The same photo taken otherwise: turned on its ground, or with fewer pixels.

The real photos are few; a reading that holds only for the angle and the resolution at which
each was taken would not hold for the next user's photo. `benchmarks.real_photos --turn DEG
--scale F` reads every photo changed this way (in memory: nothing is written), which asks the
questions a held-out set of photos would ask: is a page read at any angle within 45 degrees,
at half the pixels, with more of the desk round it (`--margin`)?
"""

from __future__ import annotations

import cv2
import numpy as np


def border_colour(image: np.ndarray) -> tuple[float, ...]:
    """The median colour of the picture's outermost pixels: the ground it lies on, or the paper."""
    edge = np.concatenate([image[0], image[-1], image[:, 0], image[:, -1]])
    return tuple(float(v) for v in np.atleast_1d(np.median(edge.reshape(len(edge), -1), axis=0)))


def turned(image: np.ndarray, degrees: float) -> np.ndarray:
    """`image` turned `degrees` anticlockwise on a canvas that holds all of it, the uncovered
    corners in its border's colour (as if the same page had been photographed at an angle on
    the same ground)."""
    if degrees % 360 == 0:
        return image
    # the same turn and canvas as the reader's own levelling (orientation.turning)
    from mnist_cnn.reading.orientation import turning

    matrix, size = turning(image.shape, degrees)
    return cv2.warpAffine(image, matrix, size, flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=border_colour(image))


def scaled(image: np.ndarray, factor: float) -> np.ndarray:
    """`image` with `factor` times the pixels on each side (area-averaged, as a camera with fewer
    pixels would see it)."""
    if factor == 1.0:
        return image
    h, w = image.shape[:2]
    size = (max(1, int(round(w * factor))), max(1, int(round(h * factor))))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA if factor < 1 else cv2.INTER_LINEAR)


def framed(image: np.ndarray, share: float) -> np.ndarray:
    """`image` with `share` of its height and width added above and below, left and right, in
    its border's colour: the same page photographed from further away, more of the desk round
    it (a page that no longer fills the picture)."""
    if share <= 0:
        return image
    h, w = image.shape[:2]
    dy, dx = int(round(share * h)), int(round(share * w))
    return cv2.copyMakeBorder(image, dy, dy, dx, dx, cv2.BORDER_CONSTANT, value=border_colour(image))


def variant(image: np.ndarray, degrees: float = 0.0, factor: float = 1.0, margin: float = 0.0) -> np.ndarray:
    """Scaled first, then framed, then turned."""
    return turned(framed(scaled(image, factor), margin), degrees)
