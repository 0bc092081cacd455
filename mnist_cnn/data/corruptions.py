"""Fifteen corruptions of MNIST digits, modelled on MNIST-C (Mu & Gilmer, 2019), in NumPy and OpenCV.

MNIST-C corrupts the test set fifteen ways and found CNN error rates rising many-fold. Its
files are not downloaded here: the corruptions are written again, so that they run on any
image (also on the camera's crops) and are tested one by one. Strengths follow MNIST-C's
choices where they are stated and were otherwise set so that a person still reads the digit.

Every corruption takes uint8 images (N, 28, 28), white ink on black, a NumPy Generator and a
strength, and returns new uint8 images. `corrupt(images, name, seed)` seeds the generator
from (seed, the corruption's place in SUITE), so the corrupted test set is the same on every
run and machine for a seed, and independent of which other corruptions are computed.

| corruption | strength | what it does |
|---|---|---|
| shot_noise | 60 | Poisson noise: each pixel drawn from Poisson(60·x)/60 (x in 0..1) |
| impulse_noise | 0.07 | salt and pepper: 7% of the pixels set to black or white |
| glass_blur | 0.7 | Gaussian blur σ 0.7, pixels displaced by up to 1 px twice, blurred again |
| motion_blur | 7 | a line kernel 7 px long at a random angle (camera shake) |
| shear | 0.5 | horizontal shear by ±0.5 (x += ±0.5·y about the centre) |
| scale | 0.6 | shrunk to 60% about the centre |
| rotate | 40 | rotated by 30°–40°, either way |
| brightness | 0.4 | 0.4 added to every pixel (x in 0..1), clipped: a grey background |
| translate | 5 | shifted by 3–5 px in x and y, random directions |
| stripe | 3 | a white vertical stripe 3 px wide through the middle third |
| fog | 0.5 | a smooth random cloud (plasma-like, 3 octaves) up to 0.5 added, rescaled |
| spatter | 0.6 | splashes: blobs of thresholded blurred noise at 60% grey, over the digit |
| dotted_line | 1 | one random straight line drawn as dots (every other pixel) |
| zigzag | 1 | one random zigzag line (3–5 segments, 1 px) |
| canny_edges | 50 | the digit replaced by its Canny edges (thresholds 50 and 150) |
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

SIZE = 28


def _cv2():
    import cv2  # lazy, as everywhere in the core: `mnist-cnn --help` must not load OpenCV

    return cv2


def _unit(images: np.ndarray) -> np.ndarray:
    return images.astype(np.float32) / 255.0


def _to_uint8(x: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(x * 255.0), 0, 255).astype(np.uint8)


def _warp(images: np.ndarray, matrices: np.ndarray) -> np.ndarray:
    cv2 = _cv2()
    out = np.empty_like(images)
    for i in range(len(images)):
        out[i] = cv2.warpAffine(images[i], matrices[i], (SIZE, SIZE), flags=cv2.INTER_LINEAR,
                                borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    return out


def _about_centre(linear: np.ndarray) -> np.ndarray:
    """2x3 affine matrices applying (N, 2, 2) linear maps about the image centre."""
    centre = np.array([(SIZE - 1) / 2, (SIZE - 1) / 2])
    offset = centre - linear @ centre
    return np.concatenate([linear, offset[..., None]], axis=-1).astype(np.float64)


# --- noise -----------------------------------------------------------------------------------------

def shot_noise(images, rng, strength=60.0):
    return _to_uint8(rng.poisson(_unit(images) * strength) / strength)


def impulse_noise(images, rng, strength=0.07):
    out = images.copy()
    hit = rng.random(images.shape) < strength
    out[hit] = np.where(rng.random(int(hit.sum())) < 0.5, 0, 255).astype(np.uint8)
    return out


# --- blur --------------------------------------------------------------------------------------------

def glass_blur(images, rng, strength=0.7, max_delta=1, iterations=2):
    cv2 = _cv2()
    x = np.stack([cv2.GaussianBlur(img, (0, 0), strength) for img in _unit(images)])
    rows, cols = np.mgrid[0:SIZE, 0:SIZE]
    n = np.arange(len(images))[:, None, None]
    for _ in range(iterations):
        # every pixel takes the value of a neighbour up to max_delta away: frosted glass
        dy = rng.integers(-max_delta, max_delta + 1, images.shape)
        dx = rng.integers(-max_delta, max_delta + 1, images.shape)
        x = x[n, np.clip(rows + dy, 0, SIZE - 1), np.clip(cols + dx, 0, SIZE - 1)]
    return _to_uint8(np.stack([cv2.GaussianBlur(img, (0, 0), strength) for img in x]))


def motion_kernel(length: int, angle_deg: float) -> np.ndarray:
    """A normalised line of `length` pixels through the centre at `angle_deg`."""
    cv2 = _cv2()
    kernel = np.zeros((length, length), np.float32)
    kernel[length // 2, :] = 1.0
    turn = cv2.getRotationMatrix2D(((length - 1) / 2, (length - 1) / 2), angle_deg, 1.0)
    kernel = cv2.warpAffine(kernel, turn, (length, length), flags=cv2.INTER_LINEAR)
    return kernel / kernel.sum()


def motion_blur(images, rng, strength=7):
    cv2 = _cv2()
    angles = rng.uniform(-45, 45, len(images))
    x = _unit(images)
    return _to_uint8(np.stack([cv2.filter2D(img, -1, motion_kernel(int(strength), a), borderType=cv2.BORDER_REPLICATE)
                               for img, a in zip(x, angles)]))


# --- geometry ------------------------------------------------------------------------------------------

def shear(images, rng, strength=0.5):
    signs = np.where(rng.random(len(images)) < 0.5, -1.0, 1.0) * strength
    linear = np.zeros((len(images), 2, 2))
    linear[:, 0, 0] = linear[:, 1, 1] = 1.0
    linear[:, 0, 1] = signs  # x' = x + s·y
    return _warp(images, _about_centre(linear))


def scale(images, rng, strength=0.6):
    linear = np.repeat((np.eye(2) * strength)[None], len(images), axis=0)
    return _warp(images, _about_centre(linear))


def rotate(images, rng, strength=40.0):
    angles = np.deg2rad(rng.uniform(strength - 10, strength, len(images)) * np.where(rng.random(len(images)) < 0.5,
                                                                                       -1, 1))
    cos, sin = np.cos(angles), np.sin(angles)
    linear = np.stack([np.stack([cos, sin], -1), np.stack([-sin, cos], -1)], 1)
    return _warp(images, _about_centre(linear))


def translate(images, rng, strength=5):
    shifts = rng.integers(3, int(strength) + 1, (len(images), 2)) * np.where(rng.random((len(images), 2)) < 0.5, -1, 1)
    matrices = np.zeros((len(images), 2, 3))
    matrices[:, 0, 0] = matrices[:, 1, 1] = 1.0
    matrices[:, :, 2] = shifts
    return _warp(images, matrices)


# --- lighting and weather ---------------------------------------------------------------------------

def brightness(images, rng, strength=0.4):
    return _to_uint8(_unit(images) + strength)


def fog(images, rng, strength=0.5, octaves=3):
    cv2 = _cv2()
    cloud = np.zeros(images.shape, np.float32)
    for octave in range(octaves):
        cells = 2 ** (octave + 2)  # 4, 8, 16 cells across: coarse to fine, finer ones weaker
        noise = rng.random((len(images), cells, cells)).astype(np.float32)
        cloud += np.stack([cv2.resize(n, (SIZE, SIZE), interpolation=cv2.INTER_CUBIC) for n in noise]) / 2 ** octave
    low = cloud.min(axis=(1, 2), keepdims=True)
    cloud = (cloud - low) / np.maximum(cloud.max(axis=(1, 2), keepdims=True) - low, 1e-6)
    x = _unit(images)
    peak = x.max(axis=(1, 2), keepdims=True)
    # as in ImageNet-C's fog: add the cloud, then rescale so the brightest ink keeps its value
    return _to_uint8(np.clip((x + strength * cloud) * peak / (peak + strength), 0, 1))


def spatter(images, rng, strength=0.6, sigma=1.5, level=2.0):
    cv2 = _cv2()
    noise = rng.normal(size=images.shape).astype(np.float32)
    blobs = np.stack([cv2.GaussianBlur(n, (0, 0), sigma) for n in noise])
    blobs /= blobs.std(axis=(1, 2), keepdims=True) + 1e-6
    # smoothed noise above 2 of its standard deviations: a few round blobs per image
    drops = (blobs > level).astype(np.float32) * strength
    return np.maximum(images, _to_uint8(drops))


# --- strokes that were not there --------------------------------------------------------------------

def stripe(images, rng, strength=3):
    out = images.copy()
    width = int(strength)
    starts = rng.integers(SIZE // 3, 2 * SIZE // 3 - width + 1, len(images))
    for i, start in enumerate(starts):
        out[i, :, start:start + width] = 255
    return out


def dotted_line(images, rng, strength=1):
    out = images.copy()
    for i in range(len(images)):
        for _ in range(int(strength)):
            (x0, y0), (x1, y1) = _edge_points(rng)
            count = int(max(abs(x1 - x0), abs(y1 - y0)))
            xs = np.rint(np.linspace(x0, x1, count + 1)).astype(int)[::2]
            ys = np.rint(np.linspace(y0, y1, count + 1)).astype(int)[::2]
            out[i, ys, xs] = 255
    return out


def _edge_points(rng) -> tuple[tuple[int, int], tuple[int, int]]:
    """Two points on opposite sides of the image (left/right or top/bottom): a line across it."""
    a, b = rng.integers(0, SIZE, 2)
    if rng.random() < 0.5:
        return (0, int(a)), (SIZE - 1, int(b))
    return (int(a), 0), (int(b), SIZE - 1)


def zigzag(images, rng, strength=1):
    cv2 = _cv2()
    out = images.copy()
    for i in range(len(images)):
        for _ in range(int(strength)):
            corners = rng.integers(3, 6) + 1
            xs = np.linspace(rng.integers(0, 6), SIZE - 1 - rng.integers(0, 6), corners)
            ys = rng.integers(2, SIZE - 2, corners)
            points = np.stack([xs, ys], 1).round().astype(np.int32)
            if rng.random() < 0.5:
                points = points[:, ::-1].copy()  # vertical zigzags too
            cv2.polylines(out[i], [points], False, 255, 1, lineType=cv2.LINE_8)
    return out


def canny_edges(images, rng, strength=50):
    cv2 = _cv2()
    return np.stack([cv2.Canny(img, int(strength), int(3 * strength)) for img in images])


@dataclass(frozen=True)
class Corruption:
    name: str
    function: Callable
    strength: float
    description: str

    def __call__(self, images: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return self.function(np.ascontiguousarray(images, dtype=np.uint8), rng, self.strength)


SUITE: tuple[Corruption, ...] = (
    Corruption("shot_noise", shot_noise, 60, "Poisson noise, Poisson(60·x)/60"),
    Corruption("impulse_noise", impulse_noise, 0.07, "salt and pepper on 7% of the pixels"),
    Corruption("glass_blur", glass_blur, 0.7, "blur σ 0.7, pixels displaced by up to 1 px twice"),
    Corruption("motion_blur", motion_blur, 7, "line kernel 7 px at a random angle"),
    Corruption("shear", shear, 0.5, "horizontal shear ±0.5"),
    Corruption("scale", scale, 0.6, "shrunk to 60%"),
    Corruption("rotate", rotate, 40, "rotated 30°–40° either way"),
    Corruption("brightness", brightness, 0.4, "+0.4 on every pixel (grey background)"),
    Corruption("translate", translate, 5, "shifted 3–5 px in x and y"),
    Corruption("stripe", stripe, 3, "white vertical stripe 3 px wide"),
    Corruption("fog", fog, 0.5, "smooth random cloud up to 0.5"),
    Corruption("spatter", spatter, 0.6, "blobs at 60% grey"),
    Corruption("dotted_line", dotted_line, 1, "one dotted line across"),
    Corruption("zigzag", zigzag, 1, "one zigzag line"),
    Corruption("canny_edges", canny_edges, 50, "Canny edges (50/150) instead of the digit"),
)
NAMES = tuple(c.name for c in SUITE)
DEFAULT_SEED = 0


def get_corruption(name: str) -> Corruption:
    for corruption in SUITE:
        if corruption.name == name:
            return corruption
    raise ValueError(f"unknown corruption {name!r}; choose from {', '.join(NAMES)}")


def corrupt(images: np.ndarray, name: str, seed: int = DEFAULT_SEED) -> np.ndarray:
    """`images` under one corruption of the suite, the same for a seed on every machine."""
    corruption = get_corruption(name)
    return corruption(images, np.random.default_rng([seed, NAMES.index(name)]))
