"""The wider camera-like set (benchmarks/camera_like.generate_wide): seeded, each hazard present
and really shown, and the first set's frames left as they were."""

from __future__ import annotations

import cv2
import numpy as np

from benchmarks.camera_like import HAZARDS, generate, generate_wide


def _frames(mnist, count, **kwargs):
    return list(generate_wide(mnist.test_images, mnist.test_labels, count, **kwargs))


def test_the_wider_set_is_seeded_and_takes_each_hazard_in_turn(mnist):
    first, again = _frames(mnist, 8, seed=3), _frames(mnist, 8, seed=3)
    assert all(np.array_equal(a.image, b.image) and a.rows == b.rows for a, b in zip(first, again))
    assert [f.conditions["hazard"] for f in first] == list(HAZARDS) * 2
    other = _frames(mnist, 1, seed=4)[0]
    assert not np.array_equal(other.image, first[0].image)


def test_the_first_set_has_no_hazard_and_does_not_share_the_wider_sets_frames(mnist):
    plain = list(generate(mnist.test_images, mnist.test_labels, 8, seed=3))
    assert all("hazard" not in f.conditions for f in plain)
    wide = _frames(mnist, 8, seed=3)
    assert not any(np.array_equal(a.image, b.image) for a, b in zip(plain, wide))


def test_each_hazard_shows_what_it_says(mnist):
    frames = _frames(mnist, 40, seed=0)
    for frame in frames:
        hazard = frame.conditions["hazard"]
        h, w = frame.image.shape[:2]
        for d in frame.digits:  # every digit is in the frame
            x, y, bw, bh = d.box
            assert x >= -2 and y >= -2 and x + bw <= w + 2 and y + bh <= h + 2, (hazard, d.box)
        if hazard == "angle":
            assert 12 <= abs(frame.conditions["page_angle"]) <= 35
        if hazard == "column":
            assert len(frame.rows) == len(frame.digits) >= 2  # one digit per line
        if hazard == "shadow_across":
            assert frame.conditions["shadow_across"] >= 0.35
    # Faint ink: the strokes are far less dark against the paper than ordinary ink.
    def contrast(frame):
        grey = frame.image.mean(axis=2)
        x, y, bw, bh = frame.digits[0].box
        patch = grey[max(0, y):y + bh, max(0, x):x + bw]
        return (np.percentile(patch, 90) - np.percentile(patch, 2)) / max(np.percentile(patch, 90), 1)
    faint = [contrast(f) for f in frames if f.conditions["hazard"] == "faint" and f.digits]
    plain = [contrast(f) for f in generate(mnist.test_images, mnist.test_labels, 20, seed=0)
             if f.digits and "chalkboard" not in f.conditions]
    assert np.median(faint) < 0.75 * np.median(plain)


def test_the_table_edge_stops_short_of_the_writing():
    """Ink lies on the paper, so the paper's edge (where the table shows) lies beyond it: a
    digit written near the edge moves the edge out, and writing down to the frame's border
    leaves no table at all (once, 15 digits of the first 600 frames were drawn under it)."""
    from benchmarks.camera_like import _clear_of_ink, _table_edge
    h, w = 120, 160
    drawn = []
    for seed in range(200):
        conditions: dict = {}
        edge = _table_edge(np.random.default_rng(seed), h, w, conditions)
        if edge is not None:
            drawn.append((edge, conditions))
    assert {c["table_edge"] for _, c in drawn} == {"left", "right", "top", "bottom"}
    for (table, depth), conditions in drawn:
        full = table(depth).astype(bool)
        # A stroke just inside the table's reach: the table's own rim, along the middle third.
        paper = (~full).astype(np.uint8)
        rim = full & (cv2.dilate(paper, np.ones((3, 3), np.uint8)) > 0)
        near = np.zeros((h, w), np.float32)
        side = conditions["table_edge"]
        if side in ("left", "right"):
            near[h // 3:2 * h // 3] = rim[h // 3:2 * h // 3]
        else:
            near[:, w // 3:2 * w // 3] = rim[:, w // 3:2 * w // 3]
        assert (full & (near > 0)).any()
        mask = _clear_of_ink(table, depth, near, dict(conditions))
        assert mask is not None and mask.any() and not (mask.astype(bool) & (near > 0)).any()
        # Ink on the frame's very border: no edge clears it, and the frame says it has no table.
        border = np.zeros((h, w), np.float32)
        border[{"left": (slice(None), 0), "right": (slice(None), -1), "top": (0, slice(None)),
                "bottom": (-1, slice(None))}[side]] = 1.0
        said = dict(conditions)
        assert _clear_of_ink(table, depth, border, said) is None and "table_edge" not in said
