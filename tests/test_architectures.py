"""The two builds of every spec are the same network.

Equal trainable parameters layer by layer, equal output shapes, and weights copied from the
PyTorch model into the Keras model give the same probabilities on real test images.
"""

import numpy as np
import pytest
import torch

from keras_impl import model_utils as keras_utils
from mnist_cnn.backends import get_backend
from mnist_cnn.models.architectures import (ARCHITECTURES, ArchSpec, BatchNorm, Conv, Flatten, ReLU, shapes,
                                            trainable_parameter_counts)
from mnist_cnn.models.weights import initial_weights
from pytorch_impl import model_utils as torch_utils

NAMES = sorted(ARCHITECTURES)


@pytest.mark.parametrize("name", NAMES)
def test_parameter_counts_match_layer_by_layer(name):
    spec = ARCHITECTURES[name]
    expected = trainable_parameter_counts(spec)
    assert torch_utils.trainable_counts(torch_utils.build_model(spec)) == expected
    assert keras_utils.trainable_counts(keras_utils.build_model(spec)) == expected


@pytest.mark.parametrize("name", NAMES)
def test_output_shapes_match_the_spec(name):
    spec = ARCHITECTURES[name]
    model = keras_utils.build_model(spec)
    assert [tuple(layer.output.shape[1:]) for layer in model.layers] == shapes(spec)
    x = torch.zeros(2, 1, 28, 28)
    for module, shape in zip(torch_utils.build_model(spec), shapes(spec)):
        x = module(x)
        torch_shape = tuple(x.shape[1:])
        assert (torch_shape[1:] + torch_shape[:1] if len(torch_shape) == 3 else torch_shape) == shape


def _trained_looking_weights(spec: ArchSpec, seed: int):
    """Initial weights with non-trivial biases and batch-norm statistics, so every tensor is tested."""
    rng = np.random.default_rng(seed)
    weights = initial_weights(spec, seed)
    for entry in weights:
        for key in entry:
            if key in ("bias", "beta", "mean"):
                entry[key] = rng.normal(0, 0.1, entry[key].shape).astype(np.float32)
            elif key in ("gamma", "var"):
                entry[key] = rng.uniform(0.5, 1.5, entry[key].shape).astype(np.float32)
    return weights


@pytest.mark.parametrize("name", NAMES)
def test_weights_copied_from_torch_to_keras_give_the_same_probabilities(name, mnist):
    spec = ARCHITECTURES[name]
    torch_clf = get_backend("torch").build(spec, _trained_looking_weights(spec, seed=7))
    weights = torch_utils.get_weights(torch_clf.model, spec)
    keras_clf = get_backend("keras").build(spec, weights)
    images = mnist.test_images[:500]
    p_torch, p_keras = torch_clf.predict_proba(images), keras_clf.predict_proba(images)
    assert p_torch.shape == (500, 10)
    assert np.abs(p_torch - p_keras).max() < 1e-4
    # and back again: the neutral layout survives a round trip through Keras
    back = keras_utils.get_weights(keras_clf.model, spec)
    for a, b in zip(weights, back):
        assert a.keys() == b.keys()
        for key in a:
            np.testing.assert_array_equal(a[key], b[key])


def test_spec_survives_json_and_keras_round_trip():
    for spec in ARCHITECTURES.values():
        assert ArchSpec.from_dict(spec.to_dict()) == spec
        assert keras_utils.spec_from_model(keras_utils.build_model(spec)).layers == spec.layers


def test_a_spec_written_before_strides_loads_with_stride_one():
    old = {"name": "old", "layers": [{"type": "Conv", "filters": 8, "kernel": 3, "padding": "same",
                                      "activation": "relu", "use_bias": True}, {"type": "Flatten"}]}
    assert ArchSpec.from_dict(old).layers[0].stride == 1


def test_strided_same_convolutions_halve_the_image_rounding_up():
    spec = ArchSpec("s", (Conv(4, 4, "same", stride=2), Conv(4, 2, "valid", stride=2), Conv(4, 3, "same", stride=2),
                          Flatten()))
    assert shapes(spec) == [(14, 14, 4), (7, 7, 4), (4, 4, 4), (64,)]
    assert torch_utils.build_model(spec)(torch.zeros(1, 1, 28, 28)).shape == (1, 64)
    assert tuple(keras_utils.build_model(spec).output_shape) == (None, 64)


def test_a_convolution_the_two_frameworks_would_pad_differently_is_refused():
    # 5x5 with stride 2 on 28 pixels: Keras pads 1 before and 2 after, PyTorch cannot
    spec = ArchSpec("odd", (Conv(8, 5, "same", activation=None, stride=2), BatchNorm(), ReLU(), Flatten()))
    for build in (shapes, torch_utils.build_model, keras_utils.build_model):
        with pytest.raises(ValueError, match="pads 3 pixels, which Keras and PyTorch split differently"):
            build(spec)


@pytest.mark.mnist
@pytest.mark.parametrize("name", ["fast", "accurate", "lab7"])
def test_an_image_reads_the_same_alone_or_in_a_batch(name, mnist):
    """PyTorch predicts single images and small batches through one compiled graph and large
    batches through another (faster for batches): an image's probabilities must not depend on
    which one ran it."""
    spec = ARCHITECTURES[name]
    classifier = get_backend("torch").build(spec, initial_weights(spec, 3))
    images = mnist.test_images[:300]
    batched = classifier.predict_proba(images)
    alone = np.concatenate([classifier.predict_proba(images[i:i + 1]) for i in range(0, 300, 10)])
    np.testing.assert_allclose(batched[::10], alone, atol=1e-5)
    assert (batched.argmax(1)[::10] == alone.argmax(1)).all()
    np.testing.assert_allclose(batched.sum(axis=1), 1.0, atol=1e-5)
