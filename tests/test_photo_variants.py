"""The real-photo benchmark's variants: a photo turned on its own ground, with fewer pixels, or
with more of its ground round it (benchmarks/photo_variants.py), made in memory."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.photo_variants import border_colour, framed, scaled, turned, variant
from benchmarks.real_photos import main


def _photo() -> np.ndarray:
    photo = np.full((300, 400, 3), (40, 90, 150), np.uint8)  # a wooden desk
    photo[50:250, 80:320] = 230                               # a page on it
    photo[120:180, 150:170] = 20                              # a stroke
    return photo


def test_a_turned_photo_keeps_all_of_it_and_its_corners_are_its_ground():
    photo = _photo()
    assert border_colour(photo) == (40.0, 90.0, 150.0)
    out = turned(photo, 30)
    assert out.shape[0] > 300 and out.shape[1] > 400 and out.dtype == np.uint8
    assert tuple(int(v) for v in out[0, 0]) == (40, 90, 150)  # an uncovered corner
    assert (out == 20).all(axis=2).sum() == pytest.approx(60 * 20, rel=0.15)  # the stroke, all of it
    assert turned(photo, 0) is photo and turned(photo, 360) is photo


def test_a_scaled_photo_has_that_share_of_its_pixels_and_grey_stays_grey():
    grey = _photo()[..., 0]
    assert scaled(grey, 0.5).shape == (150, 200)
    assert variant(grey, 12, 0.5).ndim == 2 and border_colour(grey) == (40.0,)
    assert scaled(grey, 1.0) is grey


def test_the_benchmark_refuses_a_scale_out_of_range(tmp_path, capsys):
    (tmp_path / "truth.json").write_text("{}")
    assert main([str(tmp_path), "--scale", "0"]) == 1
    assert "--scale" in capsys.readouterr().err


def test_a_framed_photo_has_its_ground_round_it_and_the_photo_unchanged_inside():
    photo = _photo()
    out = framed(photo, 0.25)
    assert out.shape == (450, 600, 3)
    assert (out[:75] == (40, 90, 150)).all() and (out[:, :100] == (40, 90, 150)).all()
    assert (out[75:375, 100:500] == photo).all()
    assert framed(photo, 0) is photo
    assert variant(photo, 0, 1.0, 0.5).shape == (600, 800, 3)


def test_the_benchmark_refuses_a_margin_out_of_range(tmp_path, capsys):
    (tmp_path / "truth.json").write_text("{}")
    assert main([str(tmp_path), "--margin", "-1"]) == 1
    assert "--margin" in capsys.readouterr().err
