"""A seeded generator of camera-like photos of handwritten digits, made from MNIST test digits.

Each frame imitates a phone or webcam shot of digits written on paper: dark ink on light
paper (one frame in ten is chalk on a dark board), uneven lighting and a soft shadow, paper
texture, sometimes ruled lines, a paper edge with the table showing, ink specks, different
digit sizes, pen widths and positions, one or two rows of digits, then a mild perspective,
optical blur, sensor noise and JPEG compression.

The wider set (`generate_wide`) adds what real photos showed and the first set lacked, one
hazard per frame in turn: faint grey ink on dim paper, a page turned up to 35 degrees, a
column of digits one per line, and a hard shadow edge across the digits. It draws from its own
seeded stream, so the first set's frames stay the same for a given seed.

Only MNIST *test* digits are used, which no model of this project trains on, so the pipeline
(frame -> digits -> prediction) can be compared with the same digits fed directly as 28x28.
The benchmark (`camera_like_set.py`) and the tests (`tests/test_digits.py`, camera and CLI
tests) share this module: the same seed always gives the same frames.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import cv2
import numpy as np

FRAME_W, FRAME_H = 640, 480


@dataclass
class TruthDigit:
    label: int
    index: int                      # index into the MNIST test set
    box: tuple[int, int, int, int]  # the ink's bounding box in the frame (x, y, w, h)
    row: int


@dataclass
class Frame:
    image: np.ndarray               # (H, W, 3) uint8 BGR, as a camera delivers it
    digits: list[TruthDigit] = field(default_factory=list)
    conditions: dict = field(default_factory=dict)

    @property
    def rows(self) -> list[str]:
        """The truth in reading order: one string per row, top to bottom, left to right."""
        rows: dict[int, list[TruthDigit]] = {}
        for digit in self.digits:
            rows.setdefault(digit.row, []).append(digit)
        return ["".join(str(d.label) for d in sorted(row, key=lambda d: d.box[0]))
                for _, row in sorted(rows.items())]

    @property
    def text(self) -> str:
        return "".join(self.rows)


# --------------------------------------------------------------------------- building blocks

def _smooth_noise(rng: np.random.Generator, h: int, w: int, cells: int) -> np.ndarray:
    """Low-frequency noise in [-1, 1]: a coarse random grid, upsampled smoothly."""
    grid = rng.uniform(-1, 1, size=(cells, max(2, cells * w // h))).astype(np.float32)
    return cv2.resize(grid, (w, h), interpolation=cv2.INTER_CUBIC).clip(-1, 1)


def _illumination(rng: np.random.Generator, h: int, w: int, conditions: dict) -> np.ndarray:
    """Uneven light: an overall level, a gradient, a vignette and maybe a soft shadow."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    xn, yn = xx / w - 0.5, yy / h - 0.5
    level = rng.uniform(0.55, 1.05)
    gx, gy = rng.uniform(-0.5, 0.5, size=2)
    light = level * (1 + gx * xn + gy * yn)
    cx, cy = rng.uniform(-0.3, 0.3, size=2)
    light *= 1 - rng.uniform(0.0, 0.5) * ((xn - cx) ** 2 + (yn - cy) ** 2)
    conditions["light_level"] = round(float(level), 3)
    if rng.random() < 0.5:
        # A shadow (a hand, a phone) over a half-plane through the frame, with a soft edge.
        angle = rng.uniform(0, 2 * np.pi)
        offset = rng.uniform(-0.35, 0.35)
        side = (np.cos(angle) * xn + np.sin(angle) * yn - offset) > 0
        softness = rng.uniform(4, 40)
        mask = cv2.GaussianBlur(side.astype(np.float32), (0, 0), softness)
        depth = rng.uniform(0.2, 0.55)
        light *= 1 - depth * mask
        conditions["shadow"] = round(float(depth), 3)
    return np.clip(light, 0.08, 1.2)


def _paper(rng: np.random.Generator, h: int, w: int, conditions: dict) -> np.ndarray:
    """Reflectance of the paper in BGR, in [0, 1]: tinted, textured, maybe ruled, maybe with an edge."""
    tint = rng.uniform(0.82, 0.97) - rng.uniform(0, 0.06, size=3)
    paper = np.ones((h, w, 3), np.float32) * tint.astype(np.float32)
    paper *= (1 + 0.03 * _smooth_noise(rng, h, w, 12))[..., None]
    if rng.random() < 0.3:
        # Ruled lines, light blue or grey, slightly tilted, drawn before the ink.
        spacing = rng.uniform(28, 60)
        tilt = rng.uniform(-0.03, 0.03)
        colour = (0.85, 0.7, 0.55) if rng.random() < 0.6 else (0.55, 0.55, 0.55)
        y = rng.uniform(0, spacing)
        thickness = int(rng.integers(1, 3))
        while y < h + w * abs(tilt):
            p1 = (0, int(y))
            p2 = (w - 1, int(y + tilt * w))
            cv2.line(paper, p1, p2, tuple(tint * np.array(colour)), thickness, cv2.LINE_AA)
            y += spacing
        conditions["ruled"] = True
    return paper


def _table_edge(rng: np.random.Generator, h: int, w: int,
                conditions: dict) -> tuple[Callable[[float], np.ndarray], float] | None:
    """Where the paper ends and the table shows, along one side, or None: a function of the
    edge's depth into the frame (a fraction of it) giving the mask (1 = table), and the depth
    drawn. The depth is set once the writing is placed (_clear_of_ink)."""
    if rng.random() >= 0.2:
        return None
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    side = int(rng.integers(4))
    depth = rng.uniform(0.03, 0.12)
    slope = rng.uniform(-0.08, 0.08)
    conditions["table_edge"] = ["left", "right", "top", "bottom"][side]

    def table(depth: float) -> np.ndarray:
        if side == 0:
            mask = xx < w * depth + slope * (yy - h / 2)
        elif side == 1:
            mask = xx > w * (1 - depth) + slope * (yy - h / 2)
        elif side == 2:
            mask = yy < h * depth + slope * (xx - w / 2)
        else:
            mask = yy > h * (1 - depth) + slope * (xx - w / 2)
        return mask.astype(np.float32)
    return table, depth


def _clear_of_ink(table: Callable[[float], np.ndarray], depth: float, coverage: np.ndarray,
                  conditions: dict) -> np.ndarray | None:
    """The table's mask at `depth`, or nearer the frame's edge where that would cover writing:
    ink lies on the paper, so the paper's edge lies beyond it (a table drawn over digits made
    them unreadable in 9 of the first 600 frames, 6 digits of one frame wholly). No table is
    left where no edge clears the ink."""
    ink = coverage > 0.05
    while depth >= 0.01:
        mask = table(depth)
        if not (mask.astype(bool) & ink).any():
            return mask
        depth *= 0.8
    del conditions["table_edge"]
    return None


def digit_ink(image28: np.ndarray, size: int, pen: float) -> np.ndarray:
    """An MNIST digit as ink coverage in [0, 1], `size` pixels square, with a finer or broader pen.

    `pen` > 0 dilates (a marker) by that fraction of `size`. `pen` < 0 is a fine pen: only the
    core of each stroke is kept (a higher cut on the smoothly enlarged grey digit), so the
    line gets thinner but stays unbroken, as a real fine pen draws it.
    """
    ink = cv2.resize(image28.astype(np.float32) / 255.0, (size, size), interpolation=cv2.INTER_CUBIC)
    radius = int(round(pen * size))
    if pen > 0 and radius >= 1:
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
        ink = cv2.dilate(ink, kernel)
    # Real ink is opaque: sharpen MNIST's soft grey into a mostly solid stroke, cut at 0.25 of
    # the grey for a normal pen and up to 0.65 for the finest.
    cut = 0.25 + (min(1.0, -pen / 0.025) * 0.4 if pen < 0 else 0.0)
    return np.clip((ink - cut) * 4.0 + 0.5, 0, 1)


def _layout(rng: np.random.Generator, count: int, h: int, w: int) -> list[tuple[int, int, int, int]]:
    """Boxes (x, y, size, row) for `count` digits in one or two rows that do not overlap."""
    rows = 1 if count <= 2 or rng.random() < 0.6 else 2
    per_row = [count // rows + (1 if r < count % rows else 0) for r in range(rows)]
    widest = max(per_row)
    # A 28-pixel MNIST frame is drawn `size` pixels wide; its digit is about 20/28 of that.
    largest = min(0.88 * w / (widest * 0.82 + 0.2), 0.85 * h / (rows * 1.05), 300)
    size = int(rng.uniform(min(44, largest), largest))
    step = size * rng.uniform(0.78, 0.95)
    row_h = size * 1.05
    top = rng.uniform(0.02 * h, h - rows * row_h - 0.02 * h + 1e-3)
    boxes = []
    for r, n in enumerate(per_row):
        span = step * (n - 1) + size
        left = rng.uniform(0.02 * w, max(0.02 * w, w - span - 0.02 * w))
        for i in range(n):
            jitter = int(rng.uniform(-0.04, 0.04) * size)
            boxes.append((int(left + i * step), int(top + r * row_h + jitter), size, r))
    return boxes


def _perspective(rng: np.random.Generator, h: int, w: int, strength: float) -> np.ndarray:
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    dst = src + rng.uniform(-strength, strength, size=(4, 2)).astype(np.float32) * np.float32([w, h])
    return cv2.getPerspectiveTransform(src, dst)


def _warp_box(matrix: np.ndarray, box: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
    x, y, bw, bh = box
    corners = np.float32([[x, y], [x + bw, y], [x + bw, y + bh], [x, y + bh]]).reshape(-1, 1, 2)
    moved = cv2.perspectiveTransform(corners, matrix).reshape(-1, 2)
    x0, y0 = moved.min(axis=0)
    x1, y1 = moved.max(axis=0)
    return int(round(x0)), int(round(y0)), int(round(x1 - x0)), int(round(y1 - y0))


# --------------------------------------------------------------------------- frames

def make_frame(rng: np.random.Generator, images: np.ndarray, labels: np.ndarray, indices: np.ndarray,
               h: int = FRAME_H, w: int = FRAME_W, chalkboard: bool | None = None,
               area: tuple[int, int, int, int] | None = None, hazard: str | None = None) -> Frame:
    """One camera-like frame showing the MNIST test digits `indices` (1 to 8 of them).

    `area` (x, y, w, h) keeps the digits inside that part of the frame (the camera's guide box).
    `hazard` (one of HAZARDS, for the wider set) adds that hazard; None draws nothing more from
    `rng`, so the first set's frames do not change.
    """
    conditions: dict = {"hazard": hazard} if hazard else {}
    angle = 0.0
    if hazard == "angle":
        angle = float(rng.uniform(12, 35) * rng.choice([-1, 1]))
        area = _turnable_area(h, w, angle)
        conditions["page_angle"] = round(angle, 1)
    light = _illumination(rng, h, w, conditions)
    if hazard == "faint":
        light *= rng.uniform(0.5, 0.8)  # a dim room
    paper = _paper(rng, h, w, conditions)
    edge = _table_edge(rng, h, w, conditions)
    if chalkboard is None:
        chalkboard = hazard != "faint" and rng.random() < 0.1
    if chalkboard:
        board = rng.uniform(0.08, 0.2) * np.float32([1.0, 1.15, 0.9])
        paper = np.ones((h, w, 3), np.float32) * board.astype(np.float32)
        paper *= (1 + 0.05 * _smooth_noise(rng, h, w, 16))[..., None]
        ink_colour = np.float32([0.9, 0.92, 0.9]) * rng.uniform(0.75, 1.0)
        conditions = {k: v for k, v in conditions.items() if k != "ruled"}
        conditions["chalkboard"] = True
    else:
        # Black, blue or dark grey ink (BGR).
        ink_colour = [np.float32([0.08, 0.07, 0.07]), np.float32([0.45, 0.15, 0.1]),
                      np.float32([0.25, 0.25, 0.25])][int(rng.integers(3))] * rng.uniform(0.6, 1.3)
    if hazard == "faint":
        # Pencil or a dry ballpoint: grey strokes with little contrast to the paper.
        ink_colour = np.float32([0.6, 0.6, 0.6]) * rng.uniform(0.8, 1.1)

    coverage = np.zeros((h, w), np.float32)
    pen = float(rng.choice([-0.025, -0.012, 0.0, 0.0, 0.02, 0.035]))
    conditions["pen"] = pen
    truth = []
    ax, ay, aw, ah = area if area is not None else (0, 0, w, h)
    placed = _column(rng, len(indices), ah, aw) if hazard == "column" else _layout(rng, len(indices), ah, aw)
    boxes = [(x + ax, y + ay, size, row) for x, y, size, row in placed]
    for (x, y, size, row), index in zip(boxes, indices):
        own = int(size * rng.uniform(0.9, 1.1))
        ink = digit_ink(images[index], own, pen) * rng.uniform(0.75, 1.0)
        x0, y0 = max(0, x), max(0, y)
        x1, y1 = min(w, x + own), min(h, y + own)
        if x1 <= x0 or y1 <= y0:
            continue
        patch = ink[y0 - y:y1 - y, x0 - x:x1 - x]
        region = coverage[y0:y1, x0:x1]
        np.maximum(region, patch, out=region)
        ys, xs = np.nonzero(patch > 0.3)
        if len(xs) == 0:
            continue
        box = (x0 + int(xs.min()), y0 + int(ys.min()), int(xs.max() - xs.min() + 1), int(ys.max() - ys.min() + 1))
        truth.append(TruthDigit(int(labels[index]), int(index), box, row))

    writing = coverage.copy()  # the digits without the specks below
    if rng.random() < 0.5:
        # Specks: dust, a pencil dot, a crumb of eraser.
        for _ in range(int(rng.integers(1, 12))):
            centre = (int(rng.integers(w)), int(rng.integers(h)))
            cv2.circle(coverage, centre, int(rng.integers(1, 3)), float(rng.uniform(0.3, 0.8)), -1, cv2.LINE_AA)
        conditions["specks"] = True

    reflect = paper * (1 - coverage[..., None]) + ink_colour * coverage[..., None]
    if angle:
        # The whole page turned (paper, lines and ink); the light and the table stay put.
        turn = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
        reflect = cv2.warpAffine(reflect, turn, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
        matrix = np.vstack([turn, [0, 0, 1]])
        truth = [TruthDigit(d.label, d.index, _warp_box(matrix, d.box), d.row) for d in truth]
    if hazard == "shadow_across" and truth:
        light = light * _shadow_across(rng, h, w, truth, conditions)
    if edge is not None:
        if angle:
            writing = cv2.warpAffine(writing, turn, (w, h), flags=cv2.INTER_LINEAR)
        table = _clear_of_ink(*edge, writing, conditions)
        table_colour = np.float32(rng.uniform(0.1, 0.45, size=3))  # drawn even with no table left
        if table is not None:
            reflect = reflect * (1 - table[..., None]) + table_colour * table[..., None]
    image = reflect * light[..., None]

    strength = rng.uniform(0.0, 0.04)
    matrix = _perspective(rng, h, w, strength)
    image = cv2.warpPerspective(image, matrix, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    truth = [TruthDigit(d.label, d.index, _warp_box(matrix, d.box), d.row) for d in truth]

    blur = rng.uniform(0.0, 1.6)
    if blur > 0.3:
        image = cv2.GaussianBlur(image, (0, 0), blur)
    noise = rng.uniform(0.005, 0.035)
    image = image + rng.normal(0, noise, size=image.shape).astype(np.float32)
    frame = np.clip(image * 255, 0, 255).astype(np.uint8)
    quality = int(rng.integers(35, 92))
    ok, encoded = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, quality])
    frame = cv2.imdecode(encoded, cv2.IMREAD_COLOR)
    conditions.update(perspective=round(float(strength), 4), blur=round(float(blur), 3),
                      noise=round(float(noise), 4), jpeg=quality)
    return Frame(frame, truth, conditions)


HAZARDS = ("faint", "angle", "column", "shadow_across")


def _turnable_area(h: int, w: int, angle: float) -> tuple[int, int, int, int]:
    """The centred part of the frame whose contents stay in the frame when turned by `angle`."""
    c, s = abs(np.cos(np.deg2rad(angle))), abs(np.sin(np.deg2rad(angle)))
    f = min(0.95 * w / (w * c + h * s), 0.95 * h / (w * s + h * c))
    aw, ah = int(w * f), int(h * f)
    return (w - aw) // 2, (h - ah) // 2, aw, ah


def _column(rng: np.random.Generator, count: int, h: int, w: int) -> list[tuple[int, int, int, int]]:
    """Boxes (x, y, size, row) for `count` digits written one per line, a column drifting a little."""
    largest = min(0.9 * h / (count * 1.1), 0.5 * w, 300)
    size = int(rng.uniform(min(40, largest), largest))
    row_h = size * rng.uniform(1.0, 1.15)
    top = rng.uniform(0.02 * h, max(0.02 * h, h - count * row_h - 0.02 * h))
    left = rng.uniform(0.05 * w, w - 1.3 * size - 0.05 * w)
    return [(int(left + rng.uniform(-0.15, 0.15) * size), int(top + r * row_h), size, r) for r in range(count)]


def _shadow_across(rng: np.random.Generator, h: int, w: int, truth: list[TruthDigit], conditions: dict) -> np.ndarray:
    """A hand's or a phone's shadow: a nearly hard edge through the middle of the digits."""
    boxes = np.array([d.box for d in truth], np.float32)
    cx = float(np.mean(boxes[:, 0] + boxes[:, 2] / 2))
    cy = float(np.mean(boxes[:, 1] + boxes[:, 3] / 2))
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    angle = rng.uniform(0, 2 * np.pi)
    side = (np.cos(angle) * (xx - cx) + np.sin(angle) * (yy - cy)) > rng.uniform(-0.2, 0.2) * float(boxes[:, 3].mean())
    mask = cv2.GaussianBlur(side.astype(np.float32), (0, 0), rng.uniform(1.5, 6))
    depth = rng.uniform(0.35, 0.65)
    conditions["shadow_across"] = round(float(depth), 3)
    return 1 - depth * mask


def generate_wide(images: np.ndarray, labels: np.ndarray, frames: int, seed: int = 0, max_digits: int = 6):
    """Yield `frames` frames of the wider set: each frame one of HAZARDS in turn, 1..max_digits
    test digits (2..5 in a column), from a stream of its own (the first set is unchanged)."""
    rng = np.random.default_rng([seed, 0x31DE])
    order = rng.permutation(len(images))
    used = 0
    for n in range(frames):
        hazard = HAZARDS[n % len(HAZARDS)]
        count = int(rng.integers(2, 6)) if hazard == "column" else int(rng.integers(1, max_digits + 1))
        if used + count > len(order):
            used = 0
        chosen = order[used:used + count]
        used += count
        yield make_frame(rng, images, labels, chosen, hazard=hazard)


def generate(images: np.ndarray, labels: np.ndarray, frames: int, seed: int = 0,
             max_digits: int = 6, **kwargs):
    """Yield `frames` frames; each uses 1..max_digits test digits never used by an earlier frame."""
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(images))
    used = 0
    for _ in range(frames):
        count = int(rng.integers(1, max_digits + 1))
        if used + count > len(order):
            used = 0
        chosen = order[used:used + count]
        used += count
        yield make_frame(rng, images, labels, chosen, **kwargs)


def write_video(path, frames: list[np.ndarray], fps: float = 15.0) -> None:
    """Write BGR frames as an MJPG .avi (readable by every OpenCV build with FFmpeg)."""
    h, w = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (w, h))
    if not writer.isOpened():
        raise RuntimeError(f"cannot write a video to {path}")
    try:
        for frame in frames:
            writer.write(frame)
    finally:
        writer.release()
