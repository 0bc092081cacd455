"""Export building blocks without training: batch-norm folding, the int8 file format, format
sniffing, variant selection, the trust registry, the optional extra and lazy imports."""

import os
import subprocess
import sys

import numpy as np
import pytest
import torch

from mnist_cnn import model_formats as formats
from mnist_cnn.backends import ModelFileError, get_backend
from mnist_cnn.deploy import trust, variants
from mnist_cnn.models.architectures import FAST, KIDS, ArchSpec, BatchNorm, Conv, Dense, Flatten, MaxPool, ReLU
from mnist_cnn.models.folding import fold_batchnorm
from mnist_cnn.models.weights import initial_weights
from mnist_cnn.runs import sniff_model_format

from .conftest import ROOT, help_in_fresh_process, run_cli


def trained_looking(spec, seed, negative_gamma=False):
    """Initial weights with batch-norm statistics that are not the identity."""
    rng = np.random.default_rng(seed)
    weights = initial_weights(spec, seed)
    for layer, entry in zip(spec.layers, weights):
        if isinstance(layer, BatchNorm):
            n = len(entry["gamma"])
            entry["gamma"] = rng.uniform(0.5, 2.0, n).astype(np.float32)
            if negative_gamma:
                entry["gamma"][0] = -0.7
            entry["beta"] = rng.normal(0, 0.5, n).astype(np.float32)
            entry["mean"] = rng.normal(0, 0.3, n).astype(np.float32)
            entry["var"] = rng.uniform(0.2, 3.0, n).astype(np.float32)
    return weights


def probabilities(spec, weights, images):
    return get_backend("torch").build(spec, weights).predict_proba(images)


IMAGES = np.random.default_rng(7).integers(0, 256, size=(64, 28, 28), dtype=np.uint8)

# conv -> max-pool -> batch norm -> ReLU three times (the accurate recipe's blocks, narrower):
# a batch norm behind a pool folds only with a positive scale
POOLED = ArchSpec("pooled", tuple(layer for filters, kernel in ((16, 5), (32, 3), (64, 3)) for layer in (
    Conv(filters, kernel, "same", None, False), MaxPool(2), BatchNorm(), ReLU())) + (Flatten(), Dense(10, None)))

# conv -> batch norm directly (no pool in between): foldable whatever the sign of gamma
CONV_BN = ArchSpec("conv-bn", (Conv(8, 3, "same", None, False), BatchNorm(), ReLU(), MaxPool(2), Flatten(),
                               Dense(10, None)))


def test_folding_removes_every_batch_norm_of_fast_and_computes_the_same_function():
    weights = trained_looking(FAST, 1)
    folded = fold_batchnorm(FAST, weights)
    assert (folded.folded, folded.kept) == (3, 0)
    assert not any(isinstance(layer, BatchNorm) for layer in folded.spec.layers)
    assert all(layer.use_bias for layer in folded.spec.layers if isinstance(layer, Conv))
    np.testing.assert_allclose(probabilities(folded.spec, folded.weights, IMAGES),
                               probabilities(FAST, weights, IMAGES), atol=2e-5)


def test_a_negative_scale_behind_a_pool_keeps_that_batch_norm():
    # max(s*x) = s*min(x) for s < 0: folding across the pool would be wrong, so it is kept.
    weights = trained_looking(POOLED, 2, negative_gamma=True)
    folded = fold_batchnorm(POOLED, weights)
    assert (folded.folded, folded.kept) == (0, 3)
    np.testing.assert_allclose(probabilities(folded.spec, folded.weights, IMAGES),
                               probabilities(POOLED, weights, IMAGES), atol=2e-5)


def test_a_negative_scale_right_after_a_conv_folds():
    weights = trained_looking(CONV_BN, 3, negative_gamma=True)
    folded = fold_batchnorm(CONV_BN, weights)
    assert (folded.folded, folded.kept) == (1, 0)
    np.testing.assert_allclose(probabilities(folded.spec, folded.weights, IMAGES),
                               probabilities(CONV_BN, weights, IMAGES), atol=2e-5)


def test_relu_moves_before_the_pool_into_the_convolution():
    from mnist_cnn.models.folding import inference_form

    weights = trained_looking(POOLED, 6)
    form = inference_form(POOLED, weights)
    assert [type(layer).__name__ for layer in form.spec.layers] == ["Conv", "MaxPool"] * 3 + ["Flatten", "Dense"]
    assert all(layer.activation == "relu" for layer in form.spec.layers if isinstance(layer, Conv))
    np.testing.assert_allclose(probabilities(form.spec, form.weights, IMAGES),
                               probabilities(POOLED, weights, IMAGES), atol=2e-5)
    kept = inference_form(POOLED, trained_looking(POOLED, 6, negative_gamma=True))  # BN between: nothing fused
    assert sum(isinstance(layer, ReLU) for layer in kept.spec.layers) == 3


def test_a_net_without_batch_norm_is_unchanged():
    weights = initial_weights(KIDS, 0)
    folded = fold_batchnorm(KIDS, weights)
    assert folded.spec == KIDS and (folded.folded, folded.kept) == (0, 0)


# --------------------------------------------------------------------------- int8 file

@pytest.mark.parametrize("spec, negative_gamma", [(FAST, False), (POOLED, True), (KIDS, False)],
                         ids=["fast-folded", "pooled-kept-batchnorm", "kids-fused-relu"])
def test_int8_file_loads_safely_and_reproduces_the_quantized_model(spec, negative_gamma, tmp_path):
    from mnist_cnn.models.folding import inference_form
    from pytorch_impl import quantized

    weights = trained_looking(spec, 4, negative_gamma)
    fold = inference_form(spec, weights)
    model, engine = quantized.quantize(fold.spec, fold.weights, IMAGES)
    path = tmp_path / "model.int8.pt"
    quantized.save_quantized(quantized.pack(model, fold.spec, engine, '{"framework":"torch"}'), path)
    assert formats.sniff_exported(path) == "torch-int8" and sniff_model_format(path) == "torch-int8"

    payload = torch.load(path, weights_only=True)  # plain data: no class is unpickled
    assert {type(v) for v in payload.values()} <= {str, int, torch.Tensor}
    loaded = quantized.load_classifier(path)
    assert loaded.spec == fold.spec
    x = torch.from_numpy(__import__("mnist_cnn.data.mnist", fromlist=["normalize"]).normalize(IMAGES)).unsqueeze(1)
    with torch.inference_mode():
        expected = model(x)
        got = loaded.model(x)
        traced = loaded._inference_graph()(x)
    torch.testing.assert_close(got, expected, rtol=0, atol=0)  # the very same int8 computation
    torch.testing.assert_close(traced, expected, rtol=0, atol=0)  # and so is the graph predict_proba runs
    # and it is still the network: most predictions match the float model on these images
    agree = np.mean(loaded.predict_proba(IMAGES).argmax(1) == probabilities(spec, weights, IMAGES).argmax(1))
    assert agree >= 0.9


def test_int8_loader_refuses_code_and_foreign_files(tmp_path):
    from pytorch_impl import quantized

    marker = tmp_path / "code-ran"

    class Hostile:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    hostile = tmp_path / "hostile.int8.pt"
    torch.save({"format": quantized.FILE_FORMAT, "payload": Hostile()}, hostile)
    with pytest.raises(ModelFileError, match="hostile.int8.pt: not a loadable int8 PyTorch file"):
        quantized.load_classifier(hostile)
    assert not marker.exists()

    foreign = tmp_path / "foreign.pt"
    torch.save({"format": "something-else", "x": torch.zeros(2)}, foreign)
    with pytest.raises(ModelFileError, match="not an mnist-cnn int8 model"):
        quantized.load_classifier(foreign)

    fold = fold_batchnorm(FAST, trained_looking(FAST, 5))
    model, engine = quantized.quantize(fold.spec, fold.weights, IMAGES[:16])
    payload = quantized.pack(model, fold.spec, engine, "{}")
    payload["int8"][100] += 1  # one weight changed by one step
    changed = tmp_path / "changed.int8.pt"
    torch.save(payload, changed)
    with pytest.raises(ModelFileError, match="changed.int8.pt: .*do not match their SHA-256"):
        quantized.load_classifier(changed)

    damaged = tmp_path / "damaged.int8.pt"
    torch.save({"format": quantized.FILE_FORMAT, "format_version": 1, "spec": "{}", "engine": "x86"}, damaged)
    with pytest.raises(ModelFileError, match="damaged.int8.pt: int8 model file is damaged"):
        quantized.load_classifier(damaged)


# --------------------------------------------------------------------------- sniffing

@pytest.mark.parametrize("head, expected", [
    (b"\x00\x00\x00\x00TFL3" + b"\x00" * 32, "tflite"),
    (b"\x08\x0a\x12\x07pytorch" + b"\x00" * 32, "onnx"),
    (b"\x08\x08\x12\x07tf2onnx" + b"\x00" * 32, "onnx"),
    (b"GIF89a not a model at all", None),
    (b"", None),
])
def test_exported_formats_are_told_apart_by_their_bytes(head, expected, tmp_path):
    path = tmp_path / "model.bin"
    path.write_bytes(head)
    assert formats.sniff_exported(path) == expected


def test_junk_names_every_accepted_format(tmp_path):
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"this is not a model")
    with pytest.raises(ModelFileError, match=r"junk.onnx: not a model file: .*\.onnx / \.tflite"):
        sniff_model_format(junk)


# --------------------------------------------------------------------------- variants

def test_variant_selection():
    names = lambda chosen: [v.name for v in chosen]  # noqa: E731
    assert names(variants.select("torch", None, None)) == ["onnx", "torchscript", "exported-program", "int8"]
    assert names(variants.select("keras", "all", None)) == ["tflite", "tflite-float16", "tflite-int8", "onnx"]
    assert names(variants.select("torch", "torch", None)) == ["int8"]
    assert names(variants.select("torch", "pt2", None)) == ["exported-program"]
    assert names(variants.select("keras", "tflite", None)) == ["tflite"]
    assert names(variants.select("keras", "tflite", "int8")) == ["tflite-int8"]
    assert names(variants.select("keras", None, "int8")) == ["tflite-int8"]
    with pytest.raises(ValueError, match="--format tflite is not an export of PyTorch models; .*--format onnx"):
        variants.select("torch", "tflite", None)
    with pytest.raises(ValueError, match="--format onnx --quantize float16 is not an export of Keras"):
        variants.select("keras", "onnx", "float16")


def test_exact_mcnemar_against_hand_computed_values():
    from mnist_cnn.deploy.compare import mcnemar_exact_p

    assert mcnemar_exact_p(0, 0) == 1.0
    assert mcnemar_exact_p(5, 5) == 1.0
    assert mcnemar_exact_p(0, 10) == pytest.approx(2 / 1024)
    # 1 vs 9 discordant: P(X <= 1) for Binomial(10, 1/2) = 11/1024, two-sided 22/1024
    assert mcnemar_exact_p(9, 1) == pytest.approx(22 / 1024)


# --------------------------------------------------------------------------- trust

def test_only_files_written_here_are_trusted(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv(trust.TRUST_ENV, raising=False)
    written = tmp_path / "model.torchscript.pt"
    written.write_bytes(b"pretend program")
    trust.record_written(written)
    trust.require_trusted(written, "TorchScript file")  # no error

    copied = tmp_path / "same-content.pt"
    copied.write_bytes(b"pretend program")
    trust.require_trusted(copied, "TorchScript file")  # same content, same hash: also written here

    written.write_bytes(b"pretend program, changed")
    with pytest.raises(ModelFileError, match=r"model.torchscript.pt: is a TorchScript file; loading one runs "
                                             r"code .* MNIST_CNN_TRUST_CODE=1"):
        trust.require_trusted(written, "TorchScript file")
    monkeypatch.setenv(trust.TRUST_ENV, "1")
    trust.require_trusted(written, "TorchScript file")


# --------------------------------------------------------------------------- CLI

def test_help_imports_no_export_tool():
    result = help_in_fresh_process([[], ["export"], ["onnx-compare"]],
                                   ("torch", "tensorflow", "onnx", "onnxruntime", "onnxscript", "tf2onnx",
                                    "ai_edge_litert"))
    assert result["loaded"] == [], result
    assert "export" in result["output"] and "onnx-compare" in result["output"]


BLOCK_ONNX = """
import sys
class Missing:
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in ('onnx', 'onnxscript', 'onnxruntime'):
            raise ModuleNotFoundError(f"No module named {name!r}")
sys.meta_path.insert(0, Missing())
from mnist_cnn.cli import main
sys.argv = ['mnist-cnn'] + sys.argv[1:]
main()
"""


def test_without_the_extra_export_says_what_to_install(torch_run):
    result = subprocess.run([sys.executable, "-c", BLOCK_ONNX, "export", str(torch_run), "--format", "onnx"],
                            capture_output=True, text=True, cwd=ROOT, env={**os.environ})
    assert result.returncode == 1, result.stdout + result.stderr
    assert "needs onnx, onnxscript, onnxruntime, which is not installed" in result.stderr
    assert "pip install -e '.[export]'" in result.stderr and "Traceback" not in result.stderr
    assert not (torch_run / "model.onnx").exists()


@pytest.mark.parametrize("args, message", [
    (["--format", "tflite"], "--format tflite is not an export of PyTorch models"),
    (["--quantize", "float16"], "--quantize float16 is not an export of PyTorch models"),
])
def test_impossible_combinations_are_usage_errors(torch_run, args, message):
    result = run_cli("export", str(torch_run), *args)
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr
