"""Small writing in a large photo: rows of MNIST test digits of a given height on a big page.

    python -m benchmarks.small_writing --model latest --pages 40

A phone photo of a whole page is reduced to 1280 pixels before it is read (reading/digits.py),
so a digit 4 mm tall on an A4 page filling the photo is about 17 pixels tall there: under the
2% of the shorter side below which ink is taken for a speck. Each page here is 1280x960 grey
paper with four MNIST test digits (each used once, seeded) in a row, drawn `size` pixels square
(the digit itself about 20/28 of that, as in MNIST), with a little noise. Reports, per size, the
share of pages read exactly and of digits read right (longest common subsequence, as
benchmarks/real_photos.py counts them). Writes benchmarks/results/NAME.json.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

from mnist_cnn.data.mnist import load_mnist

from .camera_like import digit_ink
from .common import add_model_options, write_result
from .real_photos import lcs_alignment

PAGE_H, PAGE_W = 960, 1280
SIZES = (24, 28, 36)  # the digit about 17, 20 and 26 pixels tall: 1.8%, 2.1% and 2.7% of 960


def page(images: np.ndarray, indices: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    """A grey page with the digits `indices` in a row, drawn `size` pixels square."""
    paper = np.full((PAGE_H, PAGE_W), 225.0, np.float32)
    step = int(size * 1.1)
    top = PAGE_H // 2 - size // 2
    for k, index in enumerate(indices):
        ink = digit_ink(images[index], size, 0.0)
        left = PAGE_W // 3 + k * step
        region = paper[top:top + size, left:left + size]
        paper[top:top + size, left:left + size] = region * (1 - ink) + 30.0 * ink
    return np.clip(paper + rng.normal(0, 3, paper.shape), 0, 255).astype(np.uint8)


def run(classifier, images: np.ndarray, labels: np.ndarray, pages: int, seed: int,
        sizes: tuple[int, ...] = SIZES) -> dict:
    from mnist_cnn.reading.reader import read_image

    rng = np.random.default_rng(seed)
    order = rng.permutation(len(images))
    used = 0
    by_size = {}
    for size in sizes:
        exact = right = total = 0
        for _ in range(pages):
            indices = order[used:used + 4]
            used += 4
            truth = "".join(str(int(labels[i])) for i in indices)
            text = read_image(classifier, page(images, indices, size, rng)).text
            exact += text == truth
            right += len(lcs_alignment(truth, text))
            total += len(truth)
        by_size[str(size)] = {"digit_height_px": round(size * 20 / 28, 1), "pages": pages,
                              "pages_exact": exact / pages, "per_digit_accuracy": right / total}
    return {"page": [PAGE_W, PAGE_H], "seed": seed, "by_size": by_size}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_model_options(parser)
    parser.add_argument("--pages", type=int, default=40, help="pages per digit size (default 40)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--name", default="small_writing", help="results file: benchmarks/results/NAME.json")
    args = parser.parse_args(argv)

    from mnist_cnn.reading.commands import load_model

    classifier, path = load_model(args.model, args.framework, args.runs_dir)
    mnist = load_mnist(args.data_dir, download=False)
    result = run(classifier, mnist.test_images, mnist.test_labels, args.pages, args.seed)
    argv_used = sys.argv[1:] if argv is None else list(argv)
    result.update(model=str(path), framework=getattr(classifier, "framework", "?"),
                  command="python -m benchmarks.small_writing " + " ".join(argv_used))
    out = write_result(args.name, result)
    for size, row in result["by_size"].items():
        print(f"digits {row['digit_height_px']:.0f} px tall on a {PAGE_W}x{PAGE_H} page: "
              f"{100 * row['pages_exact']:.0f}% of {row['pages']} pages exact, "
              f"{100 * row['per_digit_accuracy']:.1f}% of digits")
    print(f"written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
