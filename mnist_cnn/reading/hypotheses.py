"""Letting the model settle what geometry cannot: one digit or two?

A wide blob may be one wide 0 or two digits that touch; a "1" beside an "L" may be a 4
drawn in two strokes. Each reading is scored by what a reader would weigh: how sure the model
is of every digit in it, how usual each digit's shape is (MNIST's widths per digit), and a
cost for every extra digit, since a model trained on MNIST is sure of itself even on half a
digit. Segmentation (segmentation.py) offers the alternatives; this module only scores them.
"""

from __future__ import annotations

from typing import Callable, Optional

import numpy as np

from .ink import encloses_paper
from .segmentation import Blob

Classify = Callable[[np.ndarray], np.ndarray]  # (N, 28, 28) uint8 -> (N, 10) probabilities
Rendered = tuple[Blob, list[np.ndarray]]       # a digit's box and its 28x28 views (pen widths)

# How wide each digit gets in MNIST's training set: 98% of them are at most this many times
# as wide as tall (a 1 is narrow; a 2 or a 5 with a long stroke is the widest).
WIDEST = (1.33, 0.9, 1.54, 1.18, 1.18, 1.67, 1.11, 1.18, 1.11, 1.0)

# Each extra digit in a reading costs this much (a log-probability).
EXTRA_DIGIT_COST = float(np.log(0.5))


def shape_prior(blob: Blob, digit: int) -> float:
    """How usual a `digit` of this width/height is in MNIST: 1 up to its widest, falling off beyond."""
    ratio = blob.w / max(blob.h, 1)
    return float(np.exp(-0.5 * (max(0.0, ratio - WIDEST[digit]) / 0.15) ** 2))


def predict_views(classify: Classify, views: list[list[np.ndarray]]) -> np.ndarray:
    """(N, 10): each digit's probabilities averaged over its views, in one model call."""
    if not views:
        return np.zeros((0, 10), np.float32)
    flat = np.stack([view for digit in views for view in digit]).astype(np.uint8)
    probabilities = np.asarray(classify(flat))
    out, at = [], 0
    for digit in views:
        out.append(probabilities[at:at + len(digit)].mean(axis=0))
        at += len(digit)
    return np.stack(out)


def _scores(rendered: list[Rendered], classify: Classify) -> list[float]:
    """log(confidence) + log(shape prior) of each rendered digit, in one model call."""
    return _scored(rendered, classify)[0]


def _scored(rendered: list[Rendered], classify: Classify) -> tuple[list[float], list[float], list[int]]:
    """The scores of _scores, each digit's confidence (the probability of its best digit), and
    that digit."""
    probabilities = predict_views(classify, [views for _, views in rendered])
    scores, sure, digits = [], [], []
    for (blob, _), p in zip(rendered, probabilities):
        digit = int(p.argmax())
        scores.append(float(np.log(max(p[digit], 1e-6)) + np.log(max(shape_prior(blob, digit), 1e-6))))
        sure.append(float(p[digit]))
        digits.append(digit)
    return scores, sure, digits


def choose_reading(options: list[list[Rendered]], classify: Classify) -> int:
    """Index of the most believable reading of one blob: whole, or cut into 2, 3... digits."""
    flat = [r for option in options for r in option]
    scores = _scores(flat, classify)
    totals, at = [], 0
    for option in options:
        totals.append(sum(scores[at:at + len(option)]) + EXTRA_DIGIT_COST * (len(option) - 1))
        at += len(option)
    return int(np.argmax(totals))


def _close(a: Blob, b: Blob) -> bool:
    """Almost touching, together no wider than tall, and not two digits standing level.

    Two digits in a row share their top and bottom lines; the pieces of one broken digit (the
    two strokes of a 4, the loop and tail of a 9) do not.
    """
    tall = max(a.h, b.h)
    gap_x = max(a.x, b.x) - min(a.x1, b.x1)
    gap_y = max(a.y, b.y) - min(a.y1, b.y1)
    level = abs(a.y - b.y) + abs(a.y1 - b.y1) < 0.25 * tall
    merged = a.merged(b)
    # Two digits side by side make a box wider than tall; one broken digit rarely does.
    return (not level and gap_x <= 0.05 * tall and gap_y <= 0.1 * tall
            and merged.w <= merged.h and merged.h <= 1.3 * tall)


def holds_loop(views: list[np.ndarray]) -> bool:
    """Whether a digit's 28x28 image (its middle view: MNIST's pen) closes round some paper."""
    ink = (views[len(views) // 2] > 127).astype(np.uint8)
    ys, xs = np.nonzero(ink)
    return len(xs) > 0 and encloses_paper(ink[ys.min():ys.max() + 1, xs.min():xs.max() + 1])


# A piece read alone at least this surely, as any digit but a 1 (a lone stroke is always a sure
# 1, and is the half of a broken 4), and at least as surely as the pair together, is a whole
# digit even where no loop of its own shows in its 28x28 image: a short 9 whose loop is open a
# crack, beside a long-tailed 9 read as a 1, was joined with it into one 7 (real photos: the
# 9 alone 0.90, the tail 0.45, the pair 0.75). At 0.85 a small 5 beside a tall 7 was still
# joined with it into one 9 read at 0.23 (the 5 alone 0.75, the 7 0.28), and a 6 into an 8 at
# 0.34 (the 6 alone 0.83): in the real photos' readings (every orientation tried) no join in
# which a piece read 0.7 or surer alone was the right one. Measured with the default models:
# real photos as taken 639 -> 643 digits (PyTorch), 641 -> 643 (Keras); the camera-like sets
# unchanged.
SURE_ALONE = 0.7


def merge_broken(found: list[tuple[Blob, np.ndarray, bool]], classify: Classify,
                 render: Callable[[Blob], Optional[Rendered]]) -> list[tuple[Blob, np.ndarray, bool]]:
    """Join neighbours that the model reads far better as one digit (a 4 in two strokes).

    Separate pieces are the default: a pair is joined only when the joined digit scores higher
    than the two pieces together (no extra-digit cost here), so two clear digits stay two.
    Pieces cut from a wider blob on purpose are left alone. A piece that closes round paper of
    its own (an 8, a 6, a 0), or is read surely as a digit other than 1 (SURE_ALONE), and is
    read at least as surely alone as the pair together is a whole digit: the long tail of the 7
    or 9 beside it made the pair look like one (measured on the real photos: "87" read as one 7
    at 80%, its 8 alone at 83%; the pieces of one broken digit are strokes, and a loop that
    broke away from its tail is read surer joined).
    """
    pairs = [(i, j) for i in range(len(found)) for j in range(i + 1, len(found))
             if not found[i][2] and not found[j][2] and _close(found[i][0], found[j][0])]
    if not pairs:
        return found
    joined = {pair: render(found[pair[0]][0].merged(found[pair[1]][0])) for pair in pairs}
    pairs = [pair for pair in pairs if joined[pair] is not None]
    if not pairs:
        return found
    singles = sorted({k for pair in pairs for k in pair})
    scores, sure, digits = _scored([(found[k][0], found[k][1]) for k in singles] + [joined[p] for p in pairs], classify)
    single = dict(zip(singles, scores[:len(singles)]))
    alone = dict(zip(singles, sure[:len(singles)]))
    read = dict(zip(singles, digits[:len(singles)]))

    def swallows_a_digit(n: int, pair: tuple[int, int]) -> bool:
        together = sure[len(singles) + n]
        return any(alone[k] >= together and (holds_loop(found[k][1]) or (alone[k] >= SURE_ALONE and read[k] != 1))
                   for k in pair)

    gains = sorted(((scores[len(singles) + n] - single[i] - single[j], (i, j)) for n, (i, j) in enumerate(pairs)
                    if not swallows_a_digit(n, (i, j))), reverse=True)
    used: set[int] = set()
    result = list(found)
    for gain, (i, j) in gains:
        if gain <= 0 or i in used or j in used:
            continue
        used.update((i, j))
        blob, image = joined[(i, j)]
        result[i] = (blob, image, False)
        result[j] = None  # type: ignore[call-overload]
    return [r for r in result if r is not None]
