"""The corruption suite on made-up images: each corruption's defining property, and determinism."""

from __future__ import annotations

import numpy as np
import pytest

from mnist_cnn.data import corruptions as C


def digit_like(n: int = 8, seed: int = 1) -> np.ndarray:
    """Made-up 'digits': a thick bright bar and a blob, at varying places, on black."""
    rng = np.random.default_rng(seed)
    images = np.zeros((n, 28, 28), np.uint8)
    for i in range(n):
        r, c = rng.integers(8, 14, 2)
        images[i, r:r + 10, c:c + 3] = 255
        images[i, r + 2:r + 5, c - 3:c + 6] = 200
    return images


def test_the_suite_has_the_fifteen_mnist_c_corruptions_each_documented_with_its_strength():
    assert len(C.SUITE) == 15 and len(set(C.NAMES)) == 15
    doc = C.__doc__
    for corruption in C.SUITE:
        assert f"| {corruption.name} | {corruption.strength:g} |" in doc, corruption.name


@pytest.mark.parametrize("name", C.NAMES)
def test_each_corruption_is_deterministic_for_a_seed_and_changes_with_it(name):
    images = digit_like()
    first, again = C.corrupt(images, name, seed=3), C.corrupt(images, name, seed=3)
    assert first.dtype == np.uint8 and first.shape == images.shape
    assert np.array_equal(first, again)
    assert not np.array_equal(first, images), f"{name} left the images unchanged"
    if name not in ("scale", "brightness", "canny_edges"):  # these draw no random numbers
        assert not np.array_equal(first, C.corrupt(images, name, seed=4)), f"{name} ignores its seed"


def test_shot_noise_changes_pixels_but_keeps_the_mean_close():
    flat = np.full((20, 28, 28), 128, np.uint8)
    noisy = C.shot_noise(flat, np.random.default_rng(0), 60)
    assert (noisy != flat).mean() > 0.5
    assert abs(noisy.mean() - 128) < 2
    black = np.zeros((2, 28, 28), np.uint8)
    assert np.array_equal(C.shot_noise(black, np.random.default_rng(0), 60), black)  # Poisson(0) is 0


def test_impulse_noise_sets_about_its_share_of_pixels_to_black_or_white_and_leaves_the_rest():
    grey = np.full((50, 28, 28), 100, np.uint8)
    out = C.impulse_noise(grey, np.random.default_rng(0), 0.07)
    changed = out != grey
    assert abs(changed.mean() - 0.07) < 0.01
    assert set(np.unique(out[changed])) == {0, 255}


@pytest.mark.parametrize("name", ["glass_blur", "motion_blur"])
def test_blurs_keep_a_flat_image_flat_and_spread_a_dot(name):
    flat = np.full((3, 28, 28), 90, np.uint8)
    assert np.abs(C.corrupt(flat, name).astype(int) - 90).max() <= 1
    dot = np.zeros((3, 28, 28), np.uint8)
    dot[:, 14, 14] = 255
    blurred = C.corrupt(dot, name)
    assert blurred.max() < 255 and (blurred > 0).sum(axis=(1, 2)).min() > 3


def test_motion_kernel_is_a_normalised_line():
    kernel = C.motion_kernel(7, 0)
    assert kernel.sum() == pytest.approx(1.0)
    assert np.allclose(kernel[3], 1 / 7) and kernel[:3].sum() == 0


@pytest.mark.parametrize("function, identity", [(C.rotate, None), (C.shear, 0.0), (C.scale, 1.0)])
def test_geometric_corruptions_at_zero_strength_are_the_identity(function, identity):
    images = digit_like()
    if function is C.rotate:  # rotate draws angles in [strength - 10, strength]: 10 gives 0..10 degrees
        out = C._warp(images, C._about_centre(np.repeat(np.eye(2)[None], len(images), 0)))
    else:
        out = function(images, np.random.default_rng(0), identity)
    assert np.array_equal(out, images)


def test_rotation_by_90_degrees_is_rot90_for_a_centred_image():
    image = np.zeros((1, 28, 28), np.uint8)
    image[0, 6:20, 12:16] = 255  # symmetric about the centre (13.5, 13.5)
    turn = np.array([[[0.0, 1.0], [-1.0, 0.0]]])
    out = C._warp(image, C._about_centre(turn))
    assert np.array_equal(out[0], np.rot90(image[0])) or np.array_equal(out[0], np.rot90(image[0], -1))


def test_rotate_turns_by_30_to_40_degrees():
    bar = np.zeros((40, 28, 28), np.uint8)
    bar[:, 4:24, 13:15] = 255  # vertical
    out = C.rotate(bar, np.random.default_rng(0), 40)
    for img in out:
        ys, xs = np.nonzero(img > 127)
        angle = np.degrees(np.arctan2(np.polyfit(ys, xs, 1)[0], 1))
        assert 25 <= abs(angle) <= 45


def test_scale_shrinks_the_ink_by_the_square_of_the_factor():
    images = digit_like()
    ratio = C.scale(images, None, 0.6).astype(float).sum() / images.astype(float).sum()
    assert 0.36 * 0.8 < ratio < 0.36 * 1.2


def test_shear_keeps_a_horizontal_line_horizontal():
    line = np.zeros((4, 28, 28), np.uint8)
    line[:, 13, 8:20] = 255
    out = C.shear(line, np.random.default_rng(0), 0.5)
    assert (out[:, 13] > 0).sum() >= (out > 0).sum() * 0.9


def test_translate_moves_the_ink_by_3_to_5_pixels_without_losing_it():
    image = np.zeros((30, 28, 28), np.uint8)
    image[:, 11:17, 11:17] = 255
    out = C.translate(image, np.random.default_rng(0), 5)
    assert np.array_equal(out.sum(axis=(1, 2)), image.sum(axis=(1, 2)))
    for img in out:
        ys, xs = np.nonzero(img)
        dy, dx = ys.min() - 11, xs.min() - 11
        assert 3 <= abs(dy) <= 5 and 3 <= abs(dx) <= 5


def test_brightness_raises_the_background_and_keeps_the_order_of_pixels():
    ramp = np.tile(np.arange(0, 252, 9, dtype=np.uint8), (1, 28, 1))
    out = C.brightness(ramp, None, 0.4)
    assert out.min() == 102 and np.all(np.diff(out.astype(int), axis=2) >= 0)


def test_fog_is_smooth_and_only_brightens_the_background():
    black = np.zeros((5, 28, 28), np.uint8)
    black[:, 10:18, 13:15] = 255
    out = C.fog(black, np.random.default_rng(0), 0.5).astype(int)
    background = out[:, :, :8]
    assert background.mean() > 20  # a visible cloud
    assert np.abs(np.diff(background, axis=2)).mean() < 12  # low-frequency: neighbours alike


@pytest.mark.parametrize("name", ["spatter", "dotted_line", "zigzag", "stripe", "impulse_noise"])
def test_additions_never_darken_ink_except_impulse_noise(name):
    images = digit_like(20)
    out = C.corrupt(images, name)
    if name != "impulse_noise":
        assert np.all(out >= images)


def test_stripe_is_a_white_band_three_columns_wide_in_the_middle_third():
    out = C.stripe(np.zeros((10, 28, 28), np.uint8), np.random.default_rng(0), 3)
    for img in out:
        columns = np.flatnonzero(img.min(axis=0) == 255)
        assert len(columns) == 3 and np.all(np.diff(columns) == 1) and 9 <= columns[0] and columns[-1] <= 18
        assert (img == 255).sum() == 3 * 28


def test_dotted_line_is_dots_on_a_straight_line_across():
    out = C.dotted_line(np.zeros((10, 28, 28), np.uint8), np.random.default_rng(0), 1)
    for img in out:
        ys, xs = np.nonzero(img)
        assert len(ys) >= 10
        span = max(np.ptp(ys), np.ptp(xs))
        assert span == 27 or span == 26  # from one side to the other
        # every other pixel: fewer dots than a solid line of that span
        assert len(ys) <= span // 2 + 2


def test_zigzag_adds_a_connected_thin_line():
    out = C.zigzag(np.zeros((10, 28, 28), np.uint8), np.random.default_rng(0), 1)
    import cv2

    for img in out:
        count, _ = cv2.connectedComponents((img > 0).astype(np.uint8), connectivity=8)
        assert count == 2  # background + one line
        assert 20 <= (img > 0).sum() <= 200


def test_canny_edges_keep_the_outline_of_a_filled_square_and_empty_its_inside():
    square = np.zeros((1, 28, 28), np.uint8)
    square[0, 8:20, 8:20] = 255
    edges = C.canny_edges(square, None, 50)[0]
    assert set(np.unique(edges)) == {0, 255}
    assert edges[12:16, 12:16].max() == 0
    assert edges[7:21, 7:21].sum() == edges.sum() > 0


def test_spatter_adds_grey_blobs():
    out = C.spatter(np.zeros((20, 28, 28), np.uint8), np.random.default_rng(0), 0.6)
    assert set(np.unique(out)) <= {0, 153}
    assert 0 < (out > 0).mean() < 0.1


def test_an_unknown_corruption_is_a_one_line_error():
    with pytest.raises(ValueError, match="unknown corruption 'fire'; choose from shot_noise"):
        C.corrupt(digit_like(), "fire")
