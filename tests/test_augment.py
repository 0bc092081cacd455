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
