"""Augmentation: seeded, shared by both frameworks, and really moving the digits."""

import numpy as np

from mnist_cnn.config import get_recipe
from mnist_cnn.data.augment import Augmentation, affine_matrices, augment_epoch
from mnist_cnn.data.mnist import normalize


def test_identity_when_every_range_is_zero(mnist):
    images = mnist.train_images[:50]
    out = augment_epoch(images, Augmentation(rotation=0, zoom=0, shift=0), seed=0, epoch=0)
    np.testing.assert_array_equal(out, images)


def test_seeded_per_epoch_and_written_in_place(mnist):
    images = mnist.train_images[:200]
    aug = Augmentation()
    buffer = np.empty_like(images)
    first = augment_epoch(images, aug, seed=1, epoch=0, out=buffer)
    assert first is buffer
    again = augment_epoch(images, aug, seed=1, epoch=0)
    np.testing.assert_array_equal(first, again)
    other_epoch = augment_epoch(images, aug, seed=1, epoch=1)
    assert not np.array_equal(other_epoch, again)


def test_digits_move_but_keep_their_ink(mnist):
    images = mnist.train_images[:500]
    out = augment_epoch(images, Augmentation(rotation=10, zoom=0.1, shift=2.5), seed=0, epoch=0)
    changed = np.mean([not np.array_equal(a, b) for a, b in zip(images, out)])
    assert changed > 0.95
    ink_before = images.reshape(500, -1).sum(1).astype(float)
    ink_after = out.reshape(500, -1).sum(1).astype(float)
    # zoom of at most 10% changes the ink by at most ~(1.1)^2; digits are never cut off entirely
    assert np.all(ink_after > 0.6 * ink_before) and np.all(ink_after < 1.4 * ink_before)


def test_shift_only_matrix_is_a_translation():
    matrix = affine_matrices(1, Augmentation(rotation=0, zoom=0, shift=2.0), np.random.default_rng(0))[0]
    np.testing.assert_allclose(matrix[:, :2], np.eye(2), atol=1e-6)
    assert np.all(np.abs(matrix[:, 2]) <= 2.0)


def test_elastic_distortion_changes_the_image(mnist):
    images = mnist.train_images[:20]
    plain = augment_epoch(images, Augmentation(rotation=0, zoom=0, shift=0, elastic_alpha=20), seed=0, epoch=0)
    assert np.mean([not np.array_equal(a, b) for a, b in zip(images, plain)]) > 0.9


def test_accurate_recipe_augments_and_normalize_writes_in_place(mnist):
    assert get_recipe("accurate").augmentation is not None and get_recipe("fast").augmentation is None
    images = mnist.train_images[:10]
    out = np.zeros(images.shape, np.float32)
    assert normalize(images, out=out) is out
    np.testing.assert_array_equal(out, normalize(images))


def test_without_slant_the_matrices_are_the_plain_rotation_zoom_shift():
    """Slant and pen draw no random numbers when off: the other recipes' images stay as they were."""
    aug = Augmentation(rotation=10, zoom=0.1, shift=2.5)
    got = affine_matrices(50, aug, np.random.default_rng(7))
    rng = np.random.default_rng(7)
    angle = np.deg2rad(rng.uniform(-10, 10, 50))
    scale = rng.uniform(0.9, 1.1, 50)
    shift = rng.uniform(-2.5, 2.5, (50, 2))
    cos, sin = scale * np.cos(angle), scale * np.sin(angle)
    np.testing.assert_allclose(got[:, 0, 0], cos, rtol=1e-5)
    np.testing.assert_allclose(got[:, 0, 1], -sin, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got[:, 0, 2], 13.5 - cos * 13.5 + sin * 13.5 + shift[:, 0], rtol=1e-5)
    np.testing.assert_allclose(got[:, 1, 2], 13.5 - sin * 13.5 - cos * 13.5 + shift[:, 1], rtol=1e-5)


def test_slant_leans_an_upright_stroke_both_ways_within_its_range():
    bar = np.zeros((200, 28, 28), np.uint8)
    bar[:, 4:24, 13:15] = 255
    out = augment_epoch(bar, Augmentation(rotation=0, zoom=0, shift=0, shear=0.3), seed=0, epoch=0)

    def lean(image):  # x of the ink's centre at the top minus at the bottom, per row of height
        top, bottom = image[4:9].astype(float), image[19:24].astype(float)
        cols = np.arange(28)
        return ((top * cols).sum() / top.sum() - (bottom * cols).sum() / bottom.sum()) / 15

    leans = np.array([lean(image) for image in out])
    assert leans.min() < -0.15 and leans.max() > 0.15  # both ways, really slanted
    assert np.all(np.abs(leans) <= 0.3 + 0.05)         # never beyond the range
    assert np.allclose(out.reshape(200, -1).sum(1), bar.reshape(200, -1).sum(1), rtol=0.1)  # same ink


def test_pen_width_thickens_and_thins_the_strokes(mnist):
    import cv2

    from mnist_cnn.data.augment import change_pen

    images = mnist.train_images[:100]
    for image in images[:10]:
        broad, fine, half = change_pen(image, 1.0, cv2), change_pen(image, -1.0, cv2), change_pen(image, 0.5, cv2)
        assert np.all(broad >= image) and np.all(fine <= image)
        assert np.all(half >= image) and np.all(half <= broad)
        assert broad.sum() > 1.3 * image.sum() and fine.sum() < 0.7 * image.sum()
    out = augment_epoch(images, Augmentation(rotation=0, zoom=0, shift=0, stroke=0.8), seed=0, epoch=0)
    ratio = out.reshape(100, -1).sum(1) / images.reshape(100, -1).sum(1)
    assert ratio.min() < 0.8 and ratio.max() > 1.2  # finer and broader pens both drawn


def test_the_pen_recipe_is_the_fast_network_with_pen_like_augmentation():
    pen, fast = get_recipe("pen"), get_recipe("fast")
    aug = pen.augmentation
    assert pen.arch == fast.arch and aug is not None
    assert aug.shear > 0 and aug.stroke > 0 and aug.rotation > 0
