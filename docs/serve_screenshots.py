"""The README's screenshots of `mnist-cnn serve`: the three pages in headless Chromium.

    python -m docs.serve_screenshots [--runs-dir D]   (the latest PyTorch and Keras runs)

Draws a 7 on the Draw page, uploads a generated photo of six digits in two rows on the
Photo page, opens the Runs page; writes docs/images/serve-{draw,photo,runs}.png, reduced to
a 128-colour palette so that they stay small in the repository.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import cv2
from PIL import Image

from mnist_cnn.data.mnist import load_mnist
from mnist_cnn.runs import runs_root
from mnist_cnn.serve.models import ModelHolder
from tests.browser import browser_page, chromium_path, draw_digit, serving, wait_answered, wait_until
from tests.photos import clear_digits, compose

OUT = Path(__file__).resolve().parent / "images"


def small_png(source: Path, target: Path, width: int = 1000) -> None:
    image = Image.open(source).convert("RGB")
    if image.width > width:
        image = image.resize((width, round(image.height * width / image.width)), Image.LANCZOS)
    image.quantize(colors=128, method=Image.Quantize.FASTOCTREE).save(target, optimize=True)
    print(f"wrote {target} ({target.stat().st_size // 1024} KB)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs-dir", default=None)
    args = parser.parse_args()
    holder = ModelHolder(runs_root(args.runs_dir))
    holder.load("torch", "latest")
    holder.load("keras", "latest")
    mnist = load_mnist(None, download=False)
    images, labels = clear_digits(mnist, holder.loaded["torch"].classifier, count=6, seed=11)
    photo = compose(images, labels, [(70, 90, 110), (220, 80, 120), (380, 95, 105), (90, 270, 115),
                                     (250, 280, 110), (410, 265, 120)], row_of=[0, 0, 0, 1, 1, 1],
                    gradient=0.35, shadow=0.25, seed=11)
    OUT.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch, serving(holder) as address, \
            browser_page(chromium_path(), width=1240, height=760) as page:
        shots = Path(scratch)
        page.goto(f"{address}/draw")
        wait_until(page, "document.getElementById('status').textContent.includes('Keras')")
        draw_digit(page, 7)
        wait_answered(page)
        page.screenshot(path=str(shots / "draw.png"))
        cv2.imwrite(str(shots / "photo.jpg"), photo.image)
        page.goto(f"{address}/photo")
        page.set_input_files("#file", str(shots / "photo.jpg"))
        wait_until(page, "document.getElementById('read-keras').dataset.text", timeout_s=30)
        page.screenshot(path=str(shots / "photo.png"), full_page=True)
        page.goto(f"{address}/runs")
        wait_until(page, "[...document.querySelectorAll('#picked img')].every(i => i.complete && i.naturalWidth > 0)"
                         " && document.querySelectorAll('#picked img').length > 0")
        page.screenshot(path=str(shots / "runs.png"))
        for name in ("draw", "photo", "runs"):
            small_png(shots / f"{name}.png", OUT / f"serve-{name}.png")


if __name__ == "__main__":
    main()
