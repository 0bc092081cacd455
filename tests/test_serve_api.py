"""`mnist-cnn serve`: the JSON API through FastAPI's test client, the upload checks, the CLI.

The API's mechanics run on models built from the `fast` spec with seeded initial weights
(no training: they answer, just not well); whether the answers are right is checked on the
session's trained runs (conftest torch_run / keras_run), shared with the other tests.
"""

from __future__ import annotations

import json
import struct

import cv2
import numpy as np
import pytest

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient  # noqa: E402

from mnist_cnn.models.architectures import Conv  # noqa: E402
from mnist_cnn.backends import get_backend  # noqa: E402
from mnist_cnn.config import get_recipe  # noqa: E402
from mnist_cnn.models.weights import initial_weights  # noqa: E402
from mnist_cnn.serve import uploads  # noqa: E402
from mnist_cnn.serve.answers import drawn_views  # noqa: E402
from mnist_cnn.serve.app import create_app  # noqa: E402
from mnist_cnn.serve.models import ModelHolder  # noqa: E402
from tests.conftest import help_in_fresh_process, run_cli  # noqa: E402
from tests.photos import clear_digits, compose  # noqa: E402

SPEC = get_recipe("fast").spec


def fake_run(root, name: str, framework: str, seed: int, accuracy: float):
    """A complete run folder holding an untrained model of the `fast` spec."""
    run = root / name
    (run / "plots").mkdir(parents=True)
    classifier = get_backend(framework).build(SPEC, initial_weights(SPEC, seed))
    classifier.save(run / f"model{'.pt' if framework == 'torch' else '.keras'}")
    (run / "config.json").write_text(json.dumps({"framework": framework, "recipe": "fast"}))
    (run / "metrics.json").write_text(json.dumps({"test_accuracy": accuracy, "epochs": 0, "train_seconds": 0.0}))
    (run / "history.csv").write_text("epoch,train_loss\n")
    cv2.imwrite(str(run / "plots" / "curves.png"), np.full((20, 30, 3), 200, np.uint8))
    return run


@pytest.fixture(scope="module")
def runs_root(tmp_path_factory, keep_torch_threads):
    root = tmp_path_factory.mktemp("serve-runs")
    fake_run(root, "20260101-000000-torch-fast", "torch", seed=1, accuracy=0.1)
    fake_run(root, "20260101-000001-keras-fast", "keras", seed=1, accuracy=0.11)
    fake_run(root, "20260101-000002-torch-fast", "torch", seed=2, accuracy=0.12)
    return root


def files_of(root):
    return {str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns) for p in root.rglob("*")}


@pytest.fixture(scope="module")
def holder(runs_root):
    holder = ModelHolder(runs_root)
    holder.load("torch", str(runs_root / "20260101-000000-torch-fast"))
    holder.load("keras", "latest")
    return holder


@pytest.fixture(scope="module")
def client(holder):
    with TestClient(create_app(holder), raise_server_exceptions=False) as client:
        yield client


def canvas_png(points, size=280, pen=18) -> bytes:
    """A drawing pad as the page sends it: black strokes on white, PNG."""
    pad = np.full((size, size), 255, np.uint8)
    cv2.polylines(pad, [np.int32(points)], False, 0, pen, cv2.LINE_AA)
    return cv2.imencode(".png", pad)[1].tobytes()


SEVEN = [(70, 60), (210, 60), (120, 230)]


# --------------------------------------------------------------------------- draw

def test_status_names_both_models_and_their_runs(client):
    status = client.get("/api/status").json()
    assert status["models"]["torch"]["run"] == "20260101-000000-torch-fast"
    assert status["models"]["keras"]["run"] == "20260101-000001-keras-fast"
    assert status["missing"] == {}


def test_draw_gives_the_mnist_style_input_and_both_answers(client, holder):
    body = canvas_png(SEVEN)
    response = client.post("/api/draw?maps=torch", content=body, headers={"Content-Type": "image/png"})
    assert response.status_code == 200, response.text
    result = response.json()
    image = np.array(result["input"], np.uint8)
    assert image.shape == (28, 28)
    ys, xs = np.nonzero(image > 30)
    assert np.ptp(ys) <= 21 and np.ptp(xs) <= 21         # fitted into 20x20 (plus the soft edge)
    mass = cv2.moments(image.astype(np.float32))
    assert abs(mass["m10"] / mass["m00"] - 13.5) < 1.0 and abs(mass["m01"] / mass["m00"] - 13.5) < 1.0
    # Each framework answers through its Classifier on the pen-width views (reading.strokes.PENS), averaged.
    views = np.stack(drawn_views(cv2.imdecode(np.frombuffer(body, np.uint8), cv2.IMREAD_COLOR)))
    for framework in ("torch", "keras"):
        answer = result["answers"][framework]
        expected = holder.loaded[framework].classifier.predict_proba(views).mean(axis=0)
        assert np.allclose(answer["probabilities"], expected, atol=1e-3)
        assert answer["digit"] == int(np.argmax(expected))
    assert result["agree"] == (result["answers"]["torch"]["digit"] == result["answers"]["keras"]["digit"])
    maps = result["feature_maps"]
    convs = [layer for layer in SPEC.layers if isinstance(layer, Conv)]
    assert maps["framework"] == "torch" and len(maps["layers"]) == len(convs)
    first = maps["layers"][0]
    png = __import__("base64").b64decode(first["png"].split(",", 1)[1])
    tiles = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_GRAYSCALE)
    h, w, c = first["shape"]
    columns = int(np.ceil(np.sqrt(c)))
    assert c == convs[0].filters and tiles.shape[1] == columns * (w + 1) - 1


def test_empty_canvas_is_a_json_error(client):
    blank = cv2.imencode(".png", np.full((280, 280), 255, np.uint8))[1].tobytes()
    response = client.post("/api/draw", content=blank)
    assert response.status_code == 422
    assert "nothing drawn" in response.json()["error"]


# --------------------------------------------------------------------------- uploads

@pytest.mark.parametrize("suffix", [".png", ".jpg", ".bmp", ".webp"])
def test_image_size_is_read_from_the_header(suffix):
    image = np.zeros((37, 53, 3), np.uint8)
    data = cv2.imencode(suffix, image)[1].tobytes()
    fmt = uploads.sniff_format(data)
    assert fmt is not None
    assert uploads.header_size(data, fmt) == (53, 37)


def test_uploads_are_refused_with_json_reasons(client):
    text = client.post("/api/read", content=b"hello, not an image")
    assert text.status_code == 415 and "not an image" in text.json()["error"]
    empty = client.post("/api/read", content=b"")
    assert empty.status_code == 400
    too_big = client.post("/api/read", content=b"\x89PNG\r\n\x1a\n" + bytes(uploads.MAX_BYTES))
    assert too_big.status_code == 413 and "limit" in too_big.json()["error"]
    # A decompression bomb: a few bytes claiming 50,000 x 50,000 pixels, refused before decoding.
    bomb = b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + struct.pack(">II", 50_000, 50_000) + bytes(100)
    refused = client.post("/api/read", content=bomb)
    assert refused.status_code == 413 and "50000x50000" in refused.json()["error"]
    damaged = cv2.imencode(".png", np.zeros((40, 40), np.uint8))[1].tobytes()[:60]
    assert client.post("/api/read", content=damaged).status_code == 400
    form = client.post("/api/read", files={"file": ("a.png", damaged, "image/png")})
    assert form.status_code == 415 and "--data-binary" in form.json()["error"]


def test_a_bad_region_or_ink_is_a_json_error(client):
    photo = cv2.imencode(".png", np.full((100, 100), 255, np.uint8))[1].tobytes()
    assert client.post("/api/read?roi=5,5,x,9", content=photo).status_code == 422
    outside = client.post("/api/read?roi=500,500,50,50", content=photo)
    assert outside.status_code == 422 and "outside" in outside.json()["error"]
    assert client.post("/api/read?ink=purple", content=photo).status_code == 422


# --------------------------------------------------------------------------- runs

def test_runs_listing_figures_and_choosing_a_run_by_name(client, runs_root, holder):
    listing = client.get("/api/runs").json()
    names = [run["name"] for run in listing["runs"]]
    assert names == ["20260101-000002-torch-fast", "20260101-000001-keras-fast", "20260101-000000-torch-fast"]
    assert [run["in_use"] for run in listing["runs"]] == [False, True, True]
    assert listing["runs"][0]["test_accuracy"] == 0.12 and listing["runs"][0]["figures"] == ["curves"]

    figure = client.get("/api/runs/20260101-000002-torch-fast/curves")
    assert figure.status_code == 200 and figure.content.startswith(b"\x89PNG")
    for bad in ("/api/runs/20260101-000002-torch-fast/confusion", "/api/runs/nope/curves",
                "/api/runs/..%2F..%2Fetc/curves", "/api/runs/20260101-000002-torch-fast/config.json"):
        response = client.get(bad)
        assert response.status_code == 404 and "error" in response.json(), bad

    chosen = client.post("/api/model", json={"run": "20260101-000002-torch-fast"})
    assert chosen.status_code == 200, chosen.text
    assert chosen.json()["models"]["torch"]["run"] == "20260101-000002-torch-fast"
    assert client.get("/api/status").json()["models"]["torch"]["run"] == "20260101-000002-torch-fast"
    # Only names from the listing: a path is not a name.
    for bad in (str(runs_root / "20260101-000000-torch-fast"), "../20260101-000000-torch-fast", "latest"):
        response = client.post("/api/model", json={"run": bad})
        assert response.status_code == 404 and "no run called" in response.json()["error"]
    assert client.post("/api/model", content=b"run=x").status_code == 422
    client.post("/api/model", json={"run": "20260101-000000-torch-fast"})


def test_latest_comparison_is_shown_when_there_is_one(client, runs_root):
    assert client.get("/api/comparison").json()["name"] is None
    folder = runs_root / "compare-20260101-000100-fast"
    folder.mkdir()
    (folder / "compare.json").write_text(json.dumps({"title": "PyTorch vs Keras", "models": [], "agreement": {}}))
    (folder / "compare.md").write_text("| | PyTorch | Keras |\n")
    cv2.imwrite(str(folder / "confusion.png"), np.zeros((10, 10), np.uint8))
    try:
        found = client.get("/api/comparison").json()
        assert found["name"] == folder.name and found["markdown"].startswith("| | PyTorch")
        assert found["figures"] == ["confusion"]
        assert client.get("/api/comparison/confusion").content.startswith(b"\x89PNG")
        assert client.get("/api/comparison/curves").status_code == 404
    finally:
        for file in folder.iterdir():
            file.unlink()
        folder.rmdir()


# --------------------------------------------------------------------------- errors and safety

def test_every_error_is_json_and_pages_carry_security_headers(client, holder, monkeypatch):
    missing = client.get("/api/nothing-here")
    assert missing.status_code == 404 and "error" in missing.json()
    page = client.get("/draw")
    assert page.status_code == 200 and "<canvas id=\"pad\"" in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert client.get("/static/%2e%2e/app.py").status_code == 404

    def broken(images):
        raise RuntimeError("the model fell over")

    monkeypatch.setattr(holder.loaded["keras"], "predict", broken)
    failed = client.post("/api/draw", content=canvas_png(SEVEN))
    assert failed.status_code == 500
    assert failed.json() == {"error": "internal error: RuntimeError: the model fell over"}


def test_hosts_other_than_the_loopback_names_are_refused(holder):
    app = create_app(holder, allowed_hosts=["127.0.0.1", "localhost"])
    with TestClient(app, base_url="http://127.0.0.1:8000") as local:
        assert local.get("/api/status").status_code == 200
    with TestClient(app, base_url="http://rebound.example:8000") as elsewhere:
        refused = elsewhere.get("/api/status")  # DNS rebinding from a web page
        assert refused.status_code == 400 and "answers only to 127.0.0.1" in refused.json()["error"]


def test_serving_writes_nothing(client, runs_root):
    before = files_of(runs_root)
    client.post("/api/draw?maps=keras", content=canvas_png(SEVEN))
    client.post("/api/read", content=canvas_png([(40, 40), (40, 200)]))
    client.get("/api/runs")
    assert files_of(runs_root) == before


def test_one_framework_only_says_why_the_other_is_missing(runs_root):
    holder = ModelHolder(runs_root)
    holder.load("torch", "latest")
    holder.load("keras", "none")
    with TestClient(create_app(holder)) as client:
        status = client.get("/api/status").json()
        assert list(status["models"]) == ["torch"]
        assert "none" in status["missing"]["keras"]["reason"]
        result = client.post("/api/draw", content=canvas_png(SEVEN)).json()
        assert list(result["answers"]) == ["torch"] and result["agree"] is None
    empty = ModelHolder(runs_root / "no-such-folder")
    empty.load("torch", "latest")
    with TestClient(create_app(empty)) as client:
        response = client.post("/api/draw", content=canvas_png(SEVEN))
        assert response.status_code == 503 and "no complete torch run" in response.json()["error"]


# --------------------------------------------------------------------------- right answers, trained models

@pytest.mark.mnist
def test_trained_models_read_a_photo_right(torch_run, keras_run, mnist, keep_torch_threads):
    holder = ModelHolder(torch_run.parent)
    holder.load("torch", str(torch_run))
    holder.load("keras", str(keras_run))
    images, labels = clear_digits(mnist, holder.loaded["torch"].classifier, count=4, seed=3)
    photo = compose(images, labels, [(60, 150, 110), (200, 150, 110), (340, 150, 110), (480, 150, 110)])
    with TestClient(create_app(holder)) as client:
        result = client.post("/api/read", content=cv2.imencode(".jpg", photo.image)[1].tobytes()).json()
        assert result["read"]["torch"]["text"] == photo.text
        assert result["read"]["keras"]["text"] == photo.text
        assert len(result["digits"]) == 4 and all(len(d["box"]) == 4 for d in result["digits"])
        x, y, w, h = photo.boxes[1]
        region = client.post(f"/api/read?roi={x - 10},{y - 10},{w + 20},{h + 20}",
                             content=cv2.imencode(".png", photo.image)[1].tobytes()).json()
        assert region["read"]["torch"]["text"] == str(labels[1])


# --------------------------------------------------------------------------- the command

def test_serve_help_loads_no_framework_and_no_web_server():
    probe = help_in_fresh_process([[], ["serve"]], ("torch", "tensorflow", "fastapi", "uvicorn", "cv2"))
    assert probe["exit_codes"] == [0, 0]
    assert probe["loaded"] == []
    assert "ssh -L 8000:127.0.0.1:8000 host" in probe["output"]


def test_serving_beyond_the_loopback_warns(tmp_path):
    result = run_cli("serve", "--host", "0.0.0.0", "--port", "0", "--torch-model", "none", "--keras-model", "none",
                     "--runs-dir", str(tmp_path), timeout=120)
    assert result.returncode == 1
    assert "Warning: serving on 0.0.0.0" in result.stderr
    assert "no model to serve" in result.stderr


def test_a_busy_port_is_one_line_before_any_model_loads(tmp_path):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = run_cli("serve", "--port", str(port), "--runs-dir", str(tmp_path), timeout=120)
    assert result.returncode == 1
    assert f"cannot serve on 127.0.0.1:{port}" in result.stderr and "choose another --port" in result.stderr
    assert "Traceback" not in result.stderr and "PyTorch" not in result.stdout
