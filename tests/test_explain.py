"""Looking inside the networks: per-layer outputs in both frameworks, and `mnist-cnn explain`."""

import numpy as np
import pytest

from mnist_cnn.backends import get_backend
from mnist_cnn.models.architectures import ARCHITECTURES, shapes, trainable_parameter_counts
from mnist_cnn.models.weights import initial_weights
from mnist_cnn.reports.run_report import channels_last

from .conftest import run_cli
from .figure_checks import assert_png


@pytest.mark.parametrize("arch", ["fast", "lab7", "mlp"])
def test_layer_outputs_follow_the_spec_identically_in_both_frameworks(arch):
    spec = ARCHITECTURES[arch]
    weights = initial_weights(spec, seed=5)
    images = (np.random.default_rng(1).random((3, 28, 28)) * 255).astype(np.uint8)
    outputs = {}
    for framework in ("torch", "keras"):
        backend = get_backend(framework)
        classifier = backend.build(spec, weights)
        layers = [channels_last(o, backend.channels_first) for o in backend.layer_outputs(classifier, images)]
        assert [o.shape[1:] for o in layers] == shapes(spec)
        logits = layers[-1].astype(np.float64)
        softmax = np.exp(logits - logits.max(axis=1, keepdims=True))
        softmax /= softmax.sum(axis=1, keepdims=True)
        assert np.allclose(softmax, classifier.predict_proba(images), atol=1e-6)
        assert backend.parameter_counts(classifier) == trainable_parameter_counts(spec)
        for given, got in zip(weights, backend.weights(classifier)):
            assert given.keys() == got.keys() and all(np.allclose(given[k], got[k]) for k in given)
        outputs[framework] = layers
    # Same weights, same numbers, layer by layer (a Flatten's order differs between the frameworks,
    # so compare its output as a sorted set; everything after it is equal again).
    for index, (torch_out, keras_out) in enumerate(zip(outputs["torch"], outputs["keras"])):
        if type(spec.layers[index]).__name__ == "Flatten":
            torch_out, keras_out = np.sort(torch_out, axis=1), np.sort(keras_out, axis=1)
        assert np.allclose(torch_out, keras_out, atol=2e-4), (arch, index, spec.layers[index])


def test_explain_prints_both_frameworks_and_saves_the_kernel_demo(tmp_path, mnist_dir):
    out = tmp_path / "edge.png"
    result = run_cli("explain", "--recipe", "lab7", "--kernel-demo", str(out), "--kernel", "vertical",
                     "--image", "3", "--data-dir", str(mnist_dir))
    assert result.returncode == 0, result.stdout + result.stderr
    text = result.stdout
    spec = ARCHITECTURES["lab7"]
    total = f"{sum(trainable_parameter_counts(spec)):,}"
    total_line = next(line for line in text.splitlines() if "trainable parameters" in line)
    assert total_line.count(total) == 2  # PyTorch and Keras count the same
    assert "PyTorch C×H×W" in text and "Keras H×W×C" in text
    for layer_shape in shapes(spec):
        if len(layer_shape) == 3:
            h, w, c = layer_shape
            assert f"{c}×{h}×{w}" in text and f"{h}×{w}×{c}" in text
    assert "1×28×28" in text and "28×28×1" in text and "softmax → probabilities" in text
    assert f"written to {out}" in text
    assert_png(out)


@pytest.mark.parametrize("args, message", [
    (["--kernel-demo", "edge.jpg"], "ending in .png"),
    (["--kernel", "blur"], "'blur' is not one of"),
    (["--recipe", "huge"], "'huge' is not one of"),
])
def test_explain_bad_input_is_one_clear_line(args, message, tmp_path):
    result = run_cli("explain", *args, cwd=tmp_path)
    assert result.returncode != 0
    assert message in result.stderr and "Traceback" not in result.stderr
