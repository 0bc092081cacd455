"""`mnist-cnn export` end to end on the session's trained runs: every format of both
frameworks is written, run through its own runtime, held to the issue's targets, and read
back by `evaluate`; the deploy contract is checked with the bare runtimes (no project code);
and the two ONNX files are compared in one ONNX Runtime.

The runs are copied first, so the shared session runs stay as other tests expect them.
"""

import json
import shutil

import cv2
import numpy as np
import pytest

from mnist_cnn.backends import get_backend
from mnist_cnn.deploy import load_any_classifier
from mnist_cnn.deploy.table import FLOAT_MIN_AGREEMENT, INT8_MAX_ACCURACY_DROP_PP, INT8_MIN_SHRINK

from .conftest import cli_in_one_process, run_cli
from .photos import clear_digits, compose

pytestmark = [pytest.mark.mnist, pytest.mark.slow]

TORCH_FILES = {"onnx": "model.onnx", "torchscript": "model.torchscript.pt", "exported-program": "model.pt2",
               "int8": "model.int8.pt"}
KERAS_FILES = {"tflite": "model.tflite", "tflite-float16": "model.float16.tflite",
               "tflite-int8": "model.int8.tflite", "onnx": "model.onnx"}


def _export_all(run, tmp_path_factory, name, mnist_dir):
    copy = tmp_path_factory.mktemp(name) / run.name
    shutil.copytree(run, copy)
    # Module-scoped fixtures run before the function-scoped _isolated_cache: give the export the
    # same cache folder explicitly (it records the TorchScript/.pt2 files it writes there).
    cache = tmp_path_factory.getbasetemp() / "xdg-cache"
    result = run_cli("export", str(copy), "--data-dir", str(mnist_dir), env={"XDG_CACHE_HOME": str(cache)})
    assert result.returncode == 0, result.stdout + result.stderr
    return copy, result.stdout


@pytest.fixture(scope="module")
def torch_exports(torch_run, tmp_path_factory, mnist_dir):
    return _export_all(torch_run, tmp_path_factory, "export-torch", mnist_dir)


@pytest.fixture(scope="module")
def keras_exports(keras_run, tmp_path_factory, mnist_dir):
    return _export_all(keras_run, tmp_path_factory, "export-keras", mnist_dir)


def _table(run):
    return json.loads((run / "exports.json").read_text())


@pytest.mark.parametrize("framework", ["torch", "keras"])
def test_every_variant_is_written_and_tabulated(framework, torch_exports, keras_exports):
    run, stdout = torch_exports if framework == "torch" else keras_exports
    files = TORCH_FILES if framework == "torch" else KERAS_FILES
    table = _table(run)
    assert table["framework"] == framework and table["run"] == run.name
    assert set(table["variants"]) == set(files)
    float_bytes = (run / ("model.pt" if framework == "torch" else "model.keras")).stat().st_size
    assert table["float"]["bytes"] == float_bytes
    for name, filename in files.items():
        row = table["variants"][name]
        assert row["file"] == filename and (run / filename).stat().st_size == row["bytes"]
        assert row["smaller_than_float"] == pytest.approx(float_bytes / row["bytes"])
        for key in ("latency_ms", "images_per_second", "test_accuracy"):
            assert row[key] > 0
        assert row["label"] in stdout  # the table printed by the command
    assert "exports.json" in stdout
    leftovers = [p.name for p in run.iterdir() if p.name.startswith(".")]
    assert leftovers == []  # every file was written through a temporary and renamed


@pytest.mark.parametrize("framework, variant", [("torch", "int8"), ("keras", "tflite-int8")])
def test_int8_meets_the_size_and_accuracy_targets(framework, variant, torch_exports, keras_exports, mnist):
    run, _ = torch_exports if framework == "torch" else keras_exports
    float_file = run / ("model.pt" if framework == "torch" else "model.keras")
    int8_file = run / (TORCH_FILES if framework == "torch" else KERAS_FILES)[variant]
    assert float_file.stat().st_size / int8_file.stat().st_size >= INT8_MIN_SHRINK
    # accuracy measured here, independently of the table
    float_acc = np.mean(get_backend(framework).load(float_file).predict_proba(mnist.test_images).argmax(1)
                        == mnist.test_labels)
    int8_acc = np.mean(load_any_classifier(int8_file).predict_proba(mnist.test_images).argmax(1)
                       == mnist.test_labels)
    assert 100 * (int8_acc - float_acc) >= -INT8_MAX_ACCURACY_DROP_PP
    assert _table(run)["variants"][variant]["test_accuracy"] == pytest.approx(int8_acc)


@pytest.mark.parametrize("framework", ["torch", "keras"])
def test_float_exports_agree_with_the_framework_model(framework, torch_exports, keras_exports, mnist):
    run, _ = torch_exports if framework == "torch" else keras_exports
    reference = get_backend(framework).load(run / ("model.pt" if framework == "torch" else "model.keras"))
    expected = reference.predict_proba(mnist.test_images)
    files = TORCH_FILES if framework == "torch" else KERAS_FILES
    for name, filename in files.items():
        if "int8" in name:
            continue
        got = load_any_classifier(run / filename).predict_proba(mnist.test_images)
        assert np.mean(got.argmax(1) == expected.argmax(1)) >= FLOAT_MIN_AGREEMENT, filename
        assert np.max(np.abs(got - expected)) < (5e-3 if "float16" in name else 1e-4), filename


EVALUATED = [("torch", "model.onnx"), ("torch", "model.int8.pt"), ("torch", "model.torchscript.pt"),
             ("keras", "model.int8.tflite"), ("keras", "model.float16.tflite"), ("keras", "model.onnx")]
IN_WORDS = [("torch", "model.onnx"), ("keras", "model.int8.tflite")]


def test_evaluate_runs_exported_files_and_prints_the_same_report(torch_exports, keras_exports, tmp_path):
    """Every exported format through `evaluate`, all in one fresh process (a process per file
    would spend seconds importing a framework each time and check nothing more)."""
    runs = {"torch": torch_exports[0], "keras": keras_exports[0]}
    commands = [["evaluate", str(runs[f] / name), "--json"] for f, name in EVALUATED]
    # The words for a person: once per framework; every file's JSON comes from the same report.
    commands += [["evaluate", str(runs[f] / name)] for f, name in IN_WORDS]
    results = cli_in_one_process(commands, tmp=tmp_path)
    for (framework, filename), result in zip(EVALUATED, results):
        assert result.returncode == 0, (filename, result.stdout + result.stderr)
        report = json.loads(result.stdout)
        row = next(r for r in _table(runs[framework])["variants"].values() if r["file"] == filename)
        assert report["accuracy"] == pytest.approx(row["test_accuracy"]), filename
        assert report["framework"] == framework and len(report["confusion_matrix"]) == 10, filename
    for (framework, filename), text in zip(IN_WORDS, results[len(EVALUATED):]):
        row = next(r for r in _table(runs[framework])["variants"].values() if r["file"] == filename)
        assert text.returncode == 0 and "Per class" in text.stdout and "Confusion matrix" in text.stdout, filename
        assert f"Test accuracy: {100 * row['test_accuracy']:.2f}%" in text.stdout, filename


@pytest.mark.parametrize("framework, filename", [("torch", "model.onnx"), ("keras", "model.tflite")])
def test_predict_and_camera_read_digits_with_an_exported_file(framework, filename, torch_exports, keras_exports,
                                                              mnist, tmp_path):
    """The deploy promise: `predict` and `camera` take an exported file as --model."""
    run, _ = torch_exports if framework == "torch" else keras_exports
    images, labels = clear_digits(mnist, load_any_classifier(run / filename), count=3, seed=3)
    photo = compose(images, labels, [(150, 140, 110), (265, 150, 110), (380, 140, 110)], gradient=0.3, seed=3)
    path = tmp_path / "digits.png"
    cv2.imwrite(str(path), photo.image)
    result, camera = cli_in_one_process([  # one process for both commands
        ["predict", str(path), "--model", str(run / filename), "--json"],
        ["camera", "--source", str(path), "--model", str(run / filename), "--no-window", "--live", "--frames", "1"],
    ], tmp=tmp_path)
    assert result.returncode == 0, result.stderr
    (image,) = json.loads(result.stdout)["images"]
    assert image["text"] == photo.text and [d["digit"] for d in image["digits"]] == labels
    assert camera.returncode == 0, camera.stderr
    assert camera.stdout.splitlines()[0].startswith(f"frame 1: {photo.text}   [")


def test_onnx_and_tflite_follow_the_deploy_contract_in_the_bare_runtimes(torch_exports, keras_exports, mnist):
    """A deployer needs only the runtime: raw pixels in, logits out, argmax = the digit."""
    import onnxruntime as ort
    from ai_edge_litert.interpreter import Interpreter

    pixels = mnist.test_images[:500].astype(np.float32)
    labels = mnist.test_labels[:500]
    for run in (torch_exports[0], keras_exports[0]):
        session = ort.InferenceSession(str(run / "model.onnx"), providers=["CPUExecutionProvider"])
        logits = session.run(["logits"], {"pixels": pixels})[0]
        assert logits.shape == (500, 10) and np.mean(logits.argmax(1) == labels) > 0.97

    interpreter = Interpreter(model_path=str(keras_exports[0] / "model.int8.tflite"))
    runner = interpreter.get_signature_runner()
    detail = runner.get_input_details()["pixels"]
    scale, zero = detail["quantization"]
    assert detail["dtype"] == np.int8 and scale == pytest.approx(1.0) and zero == -128  # pixels map exactly
    out = runner.get_output_details()["logits"]
    q = runner(pixels=(mnist.test_images[:500].astype(np.int16) - 128).astype(np.int8))["logits"]
    logits = (q.astype(np.float32) - out["quantization"][1]) * out["quantization"][0]
    assert np.mean(logits.argmax(1) == labels) > 0.97


def test_code_bearing_files_load_only_when_written_here(torch_exports, tmp_path):
    run, _ = torch_exports
    elsewhere = {"XDG_CACHE_HOME": str(tmp_path / "another-machine")}
    refused_ts, refused_pt2, trusted = cli_in_one_process(
        [["evaluate", str(run / "model.torchscript.pt")], ["evaluate", str(run / "model.pt2")],
         ["evaluate", str(run / "model.pt2"), "--json"]], env=elsewhere,
        envs=[{}, {}, {"MNIST_CNN_TRUST_CODE": "1"}], tmp=tmp_path)
    for filename, refused in (("model.torchscript.pt", refused_ts), ("model.pt2", refused_pt2)):
        assert refused.returncode == 1
        assert f"{filename}: is a" in refused.stderr and "runs code stored in the file" in refused.stderr
        assert "MNIST_CNN_TRUST_CODE=1" in refused.stderr and "Traceback" not in refused.stderr
    assert trusted.returncode == 0, trusted.stderr
    assert json.loads(trusted.stdout)["accuracy"] == pytest.approx(
        _table(run)["variants"]["exported-program"]["test_accuracy"])


CORRUPTIONS = [
    ("keras", "model.onnx", None, "not a loadable ONNX model"),
    ("torch", "model.onnx", 300, "not a loadable ONNX model"),  # the graph's nodes
    ("keras", "model.int8.tflite", None, "not a loadable TFLite model"),
    ("keras", "model.int8.tflite", 2000, "LiteRT 2"),  # parses, then fails when run
    ("torch", "model.int8.pt", None, "not a model file: expected"),  # no longer a zip archive
    ("torch", "model.int8.pt", 12000, "int8 model file is damaged"),  # weights changed: checksum
]


def test_a_corrupt_export_is_one_clear_error(torch_exports, keras_exports, tmp_path):
    """Each damaged file through `evaluate`, all in one fresh process (a native crash on a
    damaged file would still end that process, not pytest)."""
    broken_files = []
    for i, (framework, filename, zero_at, _) in enumerate(CORRUPTIONS):
        run = torch_exports[0] if framework == "torch" else keras_exports[0]
        content = bytearray((run / filename).read_bytes())
        if zero_at is None:  # cut in half
            content = content[: len(content) // 2]
        else:  # 400 bytes zeroed
            content[zero_at:zero_at + 400] = bytes(400)
        broken = tmp_path / str(i) / filename
        broken.parent.mkdir()
        broken.write_bytes(bytes(content))
        broken_files.append(broken)
    results = cli_in_one_process([["evaluate", str(broken)] for broken in broken_files], tmp=tmp_path)
    for (_, _, _, message), broken, result in zip(CORRUPTIONS, broken_files, results):
        assert result.returncode == 1, (broken, result.stdout)
        assert f"{broken}: {message}" in result.stderr and "Traceback" not in result.stderr, result.stderr


def test_onnx_without_mnist_cnn_metadata_is_refused(torch_exports, tmp_path):
    import onnx

    model = onnx.load(str(torch_exports[0] / "model.onnx"))
    del model.metadata_props[:]
    foreign = tmp_path / "foreign.onnx"
    onnx.save(model, str(foreign))
    result = run_cli("evaluate", str(foreign))
    assert result.returncode == 1
    assert "not one written by `mnist-cnn export`" in result.stderr and "input convention is unknown" in result.stderr


def test_one_variant_to_out_and_an_export_is_not_exported_again(torch_exports, tmp_path, mnist_dir):
    run, _ = torch_exports
    target = tmp_path / "deploy" / "digits.int8.pt"
    result, evaluated, again = cli_in_one_process([  # one process for the three commands
        ["export", str(run), "--format", "torch", "--quantize", "int8", "--out", str(target),
         "--calibration-images", "200", "--data-dir", str(mnist_dir), "--json"],
        ["evaluate", str(target), "--json"],
        ["export", str(run / "model.onnx")],
    ], tmp=tmp_path)
    assert result.returncode == 0, result.stderr
    table = json.loads(result.stdout)
    assert table["variants"]["int8"]["file"] == str(target.resolve())
    assert table["variants"]["int8"]["calibration_images"] == 200
    assert set(table["variants"]) == set(TORCH_FILES)  # the other rows of the run are kept
    assert evaluated.returncode == 0, evaluated.stderr
    assert json.loads(evaluated.stdout)["accuracy"] == pytest.approx(table["variants"]["int8"]["test_accuracy"])
    assert again.returncode == 1 and "export starts from a trained model" in again.stderr


def test_onnx_compare_takes_the_framework_out(torch_exports, keras_exports, mnist, mnist_dir):
    import onnxruntime as ort

    torch_dir, keras_dir = torch_exports[0], keras_exports[0]
    result, text = cli_in_one_process([["onnx-compare", str(torch_dir), str(keras_dir), "--json", "--data-dir",
                                        str(mnist_dir)],
                                       ["onnx-compare", str(torch_dir), str(keras_dir), "--data-dir", str(mnist_dir)]])
    assert result.returncode == 0, result.stderr
    comparison = json.loads(result.stdout)
    predictions = []
    for folder in (torch_dir, keras_dir):
        session = ort.InferenceSession(str(folder / "model.onnx"), providers=["CPUExecutionProvider"])
        predictions.append(session.run(["logits"], {"pixels": mnist.test_images.astype(np.float32)})[0].argmax(1))
    right = [p == mnist.test_labels for p in predictions]
    assert comparison["a"]["framework"] == "torch" and comparison["b"]["framework"] == "keras"
    assert comparison["a"]["test_accuracy"] == pytest.approx(np.mean(right[0]))
    assert comparison["b"]["test_accuracy"] == pytest.approx(np.mean(right[1]))
    assert comparison["disagreements"] == int(np.sum(predictions[0] != predictions[1]))
    assert comparison["only_a_right"] == int(np.sum(right[0] & ~right[1]))
    assert comparison["only_b_right"] == int(np.sum(right[1] & ~right[0]))
    assert (comparison["both_right"] + comparison["only_a_right"] + comparison["only_b_right"]
            + comparison["both_wrong"]) == 10_000
    assert 0.0 <= comparison["mcnemar_p"] <= 1.0
    assert text.returncode == 0, text.stderr
    assert "Same predicted digit on" in text.stdout and "McNemar" in text.stdout
