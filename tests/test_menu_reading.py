"""The menu's reading modes: "image file" reads photos, "webcam ROI" says clearly when it cannot
open a window, and both go back to the menu afterwards."""

from __future__ import annotations

import io

import cv2
import pytest
from rich.console import Console

from .photos import clear_digits, compose

pytestmark = [pytest.mark.mnist, pytest.mark.usefixtures("keep_torch_threads")]


def _menu(answers: list[str], runs_dir) -> str:
    from mnist_cnn.menu.main import run_menu

    pending = iter(answers)

    def ask(prompt: str) -> str:
        try:
            return next(pending)
        except StopIteration:
            raise EOFError from None

    out = io.StringIO()
    code = run_menu(console=Console(file=out, width=160), ask=ask, runs_dir=str(runs_dir))
    assert code == 0, out.getvalue()
    return out.getvalue()


def test_image_file_mode_reads_photos_then_goes_back(torch_run, mnist, tmp_path):
    from mnist_cnn.reading.commands import load_model

    images, labels = clear_digits(mnist, load_model(str(torch_run), None, None)[0], count=3, seed=31)
    photo = compose(images, labels, [(80, 150, 130), (250, 150, 130), (420, 150, 130)], gradient=0.3, seed=31)
    path = tmp_path / "digits on paper.png"  # a name with spaces, quoted as in a shell
    cv2.imwrite(str(path), photo.image)
    # PyTorch -> reuse the latest model -> 3 image file -> a missing file, the photo -> back -> quit
    out = _menu(["1", "2", "3", "missing.png", f'"{path}"', "", "q"], torch_run.parent)
    assert "image file: read the handwritten digits" in out
    assert "missing.png: no such file" in out
    assert f"3 digits read: {photo.text}" in out
    assert out.rstrip().endswith("Bye.")


def test_webcam_mode_without_a_display_says_so(torch_run, monkeypatch):
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(name, raising=False)
    # PyTorch -> reuse the latest -> 2 webcam ROI -> camera 0, not live -> the menu again -> quit
    out = _menu(["1", "2", "2", "0", "n", "q"], torch_run.parent)
    assert "Error: no display: DISPLAY is not set" in out and "--no-window" in out
    assert out.count("Test mode") == 2 and out.rstrip().endswith("Bye.")
