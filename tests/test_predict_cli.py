"""`mnist-cnn predict` on photos made with a known truth: once in its own process as a user
runs it, the other cases in-process through the same click command (each process would
spend seconds importing PyTorch)."""

from __future__ import annotations

import json

import cv2
import pytest

from .conftest import run_cli
from .photos import clear_digits, compose, iou

pytestmark = [pytest.mark.mnist, pytest.mark.usefixtures("keep_torch_threads")]


class Result:
    def __init__(self, invoked):
        self.returncode = invoked.exit_code
        self.stdout, self.stderr = invoked.stdout, invoked.stderr
        # Only a deliberate exit may end the command: no exception escapes as a traceback.
        assert invoked.exception is None or isinstance(invoked.exception, SystemExit), invoked.exception


def predict(*args: str) -> Result:
    from click.testing import CliRunner

    from mnist_cnn.cli import cli

    return Result(CliRunner().invoke(cli, ["predict", *args]))


@pytest.fixture(scope="module")
def model(torch_run, keep_torch_threads):
    from mnist_cnn.reading.commands import load_model

    return load_model(str(torch_run), None, None)[0]


@pytest.fixture(scope="module")
def photos(tmp_path_factory, mnist, model):
    """Digits the model reads directly, photographed: two rows on ruled paper in uneven light,
    chalk on a board, and a blank page."""
    folder = tmp_path_factory.mktemp("photos")
    images, labels = clear_digits(mnist, model, count=5, seed=7)
    rows = compose(images, labels, [(60, 60, 120), (230, 70, 120), (400, 55, 120), (140, 280, 120), (330, 275, 120)],
                   row_of=[0, 0, 0, 1, 1], ruled=44, gradient=0.4, specks=8, seed=7)
    images2, labels2 = clear_digits(mnist, model, count=2, seed=8)
    chalk = compose(images2, labels2, [(150, 150, 140), (330, 150, 140)], light_on_dark=True, seed=8)
    blank = compose([], [], [], gradient=0.3, seed=9)
    paths = {}
    for name, photo in (("rows.jpg", rows), ("chalk.png", chalk), ("blank.png", blank)):
        paths[name] = folder / name
        cv2.imwrite(str(paths[name]), photo.image)
    return paths, {"rows.jpg": rows, "chalk.png": chalk, "blank.png": blank}


def test_reads_rows_of_digits_in_reading_order(photos, torch_run):
    paths, truth = photos
    result = run_cli("predict", str(paths["rows.jpg"]), "--model", str(torch_run), "--json", timeout=120)
    assert result.returncode == 0, result.stderr
    (image,) = json.loads(result.stdout)["images"]
    assert image["rows"] == truth["rows.jpg"].rows and image["text"] == truth["rows.jpg"].text
    for digit in image["digits"]:
        assert len(digit["top3"]) == 3 and digit["top3"][0]["digit"] == digit["digit"]
        assert 0 < digit["confidence"] <= 1
        assert max(iou(digit["box"], box) for box in truth["rows.jpg"].boxes) > 0.5
    # The same in words for a person.
    text = predict(str(paths["rows.jpg"]), "--model", str(torch_run))
    assert text.returncode == 0
    assert f"5 digits read: {truth['rows.jpg'].text}" in text.stdout and "top 3" in text.stdout


def test_light_ink_on_dark(photos, torch_run):
    paths, truth = photos
    result = predict(str(paths["chalk.png"]), "--model", str(torch_run), "--json")
    assert result.returncode == 0, result.stderr
    (image,) = json.loads(result.stdout)["images"]
    assert image["polarity"] == "light-on-dark" and image["text"] == truth["chalk.png"].text


def test_region_annotated_image_and_the_digits_the_model_saw(photos, torch_run, tmp_path):
    paths, truth = photos
    x, y, w, h = truth["rows.jpg"].boxes[3]  # the first digit of the second row
    annotated, digits = tmp_path / "out.png", tmp_path / "digits"
    result = predict(str(paths["rows.jpg"]), "--model", str(torch_run), "--roi", f"{x - 15},{y - 15},"
                     f"{w + 30},{h + 30}", "--save-annotated", str(annotated), "--save-digits", str(digits),
                     "--json")
    assert result.returncode == 0, result.stderr
    (image,) = json.loads(result.stdout)["images"]
    assert image["text"] == str(truth["rows.jpg"].labels[3])
    original = cv2.imread(str(paths["rows.jpg"]))
    drawn = cv2.imread(str(annotated))
    assert drawn.shape == original.shape and (cv2.absdiff(drawn, original) > 60).any()
    saved = sorted(digits.iterdir())
    assert [p.name for p in saved] == [f"rows-01-{image['text']}.png"]
    assert cv2.imread(str(saved[0]), cv2.IMREAD_GRAYSCALE).shape == (28, 28)


def test_several_images_one_blank(photos, torch_run, tmp_path):
    paths, truth = photos
    result = predict(str(paths["chalk.png"]), str(paths["blank.png"]), "--model", str(torch_run),
                     "--save-annotated", str(tmp_path / "ann"))
    assert result.returncode == 1
    assert f"2 digits read: {truth['chalk.png'].text}" in result.stdout
    assert "blank.png: no digit found" in result.stdout
    assert "1 of 2 images could not be read" in result.stderr and "Traceback" not in result.stderr
    assert sorted(p.name for p in (tmp_path / "ann").iterdir()) == ["blank-annotated.png", "chalk-annotated.png"]


@pytest.mark.parametrize("make, args, words", [
    (lambda p: p.write_text("not an image"), [], ["not an image that can be read"]),
    (lambda p: p.write_bytes(b""), [], ["not an image"]),
    (None, ["--roi", "5000,5000,10,10"], ["outside"]),
    (None, ["--roi", "10,10"], ["x,y,w,h"]),
])
def test_bad_inputs_are_one_line_errors(make, args, words, photos, torch_run, tmp_path):
    paths, _ = photos
    target = paths["blank.png"]
    if make is not None:
        target = tmp_path / "broken.png"
        make(target)
    result = predict(str(target), "--model", str(torch_run), *args)
    assert result.returncode in (1, 2)
    assert "Traceback" not in result.stderr
    out = (result.stdout + result.stderr).strip()
    assert all(w in out for w in words), out


def test_no_digit_in_the_image_exits_1(photos, torch_run):
    paths, _ = photos
    result = predict(str(paths["blank.png"]), "--model", str(torch_run))
    assert result.returncode == 1 and "no digit found" in result.stdout + result.stderr


def test_annotated_file_with_several_images_is_a_usage_error(photos, torch_run, tmp_path):
    paths, _ = photos
    result = predict(str(paths["rows.jpg"]), str(paths["chalk.png"]), "--save-annotated",
                     str(tmp_path / "one.png"), "--model", str(torch_run))
    assert result.returncode == 2 and "give a folder" in result.stderr


def test_touching_digits_settled_by_the_model(mnist, model):
    """Two digits so close their strokes merge: the model's confidence decides to cut them."""
    from mnist_cnn.reading.reader import read_image

    images, labels = clear_digits(mnist, model, count=6, seed=11)
    pairs_read = 0
    for a, b in ((0, 1), (2, 3), (4, 5)):
        photo = compose([images[a], images[b]], [labels[a], labels[b]], [(200, 150, 130), (272, 150, 130)], pen=0.03)
        pairs_read += read_image(model, photo.image).text == photo.text
    assert pairs_read >= 2
